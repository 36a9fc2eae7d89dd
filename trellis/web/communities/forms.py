from typing import Any

from django import forms

from trellis.communities.models import Role, Status, Visibility


class CommunityForm(forms.Form):
    name = forms.CharField(
        max_length=120, help_text="Short and recognisable, e.g. “Kubernetes Guild”."
    )
    domain = forms.CharField(
        max_length=500,
        label="Domain",
        help_text="In one sentence: the shared concern or craft the community is about.",
    )
    charter = forms.CharField(
        required=False,
        widget=forms.Textarea,
        help_text="Why the community exists, who it is for, how it works. Optional.",
    )
    visibility = forms.ChoiceField(
        choices=Visibility.choices, widget=forms.RadioSelect, initial=Visibility.PUBLIC
    )
    status = forms.ChoiceField(choices=Status.choices, initial=Status.SEED)
    verification_interval_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=3650,
        initial=90,
        label="Check library resources every … days",
        help_text="Owners are reminded to verify a resource when it falls due.",
    )

    def settings(self) -> dict[str, Any]:
        """The cleaned fields, leaving out an empty interval (keep the current one)."""
        data = dict(self.cleaned_data)
        if data.get("verification_interval_days") is None:
            data.pop("verification_interval_days", None)
        return data


class CommunityFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=200)
    status = forms.ChoiceField(
        required=False, choices=[("", "Active (not archived)"), *Status.choices]
    )
    visibility = forms.ChoiceField(required=False, choices=[("", "Any"), *Visibility.choices])
    mine = forms.BooleanField(required=False, label="Only communities I belong to")


class JoinRequestForm(forms.Form):
    message = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Message to the leaders (optional)",
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email of the person to invite")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class SponsorForm(forms.Form):
    email = forms.EmailField(label="Sponsor's email")
