from django import forms

from trellis.library.models import Freshness, ResourceKind
from trellis.library.services import BODY_MAX, MAX_INTERVAL_DAYS, TITLE_MAX


class ResourceForm(forms.Form):
    kind = forms.ChoiceField(choices=ResourceKind.choices, initial=ResourceKind.GUIDE)
    title = forms.CharField(max_length=TITLE_MAX)
    url = forms.URLField(
        required=False,
        max_length=500,
        label="Address",
        help_text="For a link or a recording: where it lives.",
    )
    body = forms.CharField(
        required=False,
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 14}),
        label="Content",
        help_text="Markdown. For a link or recording, a few lines on why it is worth it.",
    )
    tags = forms.CharField(required=False, max_length=200, help_text="Up to five, space separated.")
    verification_interval_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_INTERVAL_DAYS,
        label="Check again every … days",
        help_text="Leave empty for the community's default.",
    )
    owners = forms.CharField(
        required=False,
        max_length=1000,
        help_text="Emails of the people who keep it right, separated by commas.",
    )
    note = forms.CharField(required=False, max_length=200, label="What changed")


class PromoteForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX)
    kind = forms.ChoiceField(
        choices=[
            (ResourceKind.GUIDE, "Guide"),
            (ResourceKind.HOWTO, "How-to"),
            (ResourceKind.FAQ, "FAQ"),
        ],
        initial=ResourceKind.GUIDE,
    )


class DuplicateForm(forms.Form):
    canonical = forms.IntegerField(
        min_value=1, label="Canonical resource number", help_text="The version to keep."
    )


class LibraryFilterForm(forms.Form):
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *ResourceKind.choices])
    state = forms.ChoiceField(required=False, choices=[("", "Any state"), *Freshness.choices])
    tag = forms.CharField(required=False, max_length=50)
