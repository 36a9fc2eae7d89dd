from typing import Any

from django import forms

from trellis.communities.handover import ACTIVITY_DAYS, Candidate, LedCommunity
from trellis.people.models import Department, Person
from trellis.people.selectors import AccountState


class PersonForm(forms.Form):
    """An org admin adds one person to the directory."""

    name = forms.CharField(max_length=200)
    email = forms.EmailField()
    title = forms.CharField(max_length=200, required=False)
    department = forms.ModelChoiceField(
        queryset=Department.objects.order_by("name"), required=False
    )
    manager_email = forms.EmailField(required=False, label="Manager's email")
    location = forms.CharField(max_length=120, required=False)
    start_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    send_invitation = forms.BooleanField(
        required=False, initial=True, label="Email them an invitation to choose a password"
    )


class ProfileForm(forms.Form):
    """What a person says about themselves."""

    name = forms.CharField(max_length=200)
    location = forms.CharField(max_length=120, required=False)
    skills = forms.CharField(
        required=False, max_length=2000, help_text="Comma-separated, e.g. Kubernetes, Terraform"
    )
    interests = forms.CharField(
        required=False, max_length=2000, help_text="What you'd like to learn or talk about."
    )
    bio = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)
    named_in_insights = forms.BooleanField(
        required=False,
        label="Name me in community analytics (champions, who is moving inward)",
        help_text="Leaders see lists of champions and of who to talk to this month. Unticked, "
        "you are still counted, never named.",
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns: name, email, department, title, manager_email, start_date "
        "(YYYY-MM-DD). UTF-8. Re-importing the same file changes nothing.",
    )


class PeopleFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    department = forms.CharField(required=False, max_length=140)


class AdminPersonForm(forms.Form):
    """An org admin corrects someone's details. `manager` is an email: the directory is too big
    for a list to choose from."""

    name = forms.CharField(max_length=200)
    email = forms.EmailField()
    title = forms.CharField(max_length=200, required=False)
    department = forms.ModelChoiceField(
        queryset=Department.objects.order_by("name"), required=False
    )
    manager = forms.EmailField(
        required=False, label="Manager's email", help_text="Leave empty if they have no manager."
    )
    location = forms.CharField(max_length=120, required=False)
    start_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    @staticmethod
    def initial_for(person: Person) -> dict[str, Any]:
        return {
            "name": person.name,
            "email": person.email,
            "title": person.title,
            "department": person.department_id,
            "manager": person.manager.email if person.manager else "",
            "location": person.location,
            "start_date": person.start_date,
        }


def _candidate_label(candidate: Candidate) -> str:
    parts = [candidate.role_label]
    if candidate.contributions:
        n = candidate.contributions
        months = ACTIVITY_DAYS // 30
        parts.append(f"{n} contribution{'s' if n != 1 else ''} in the last {months} months")
    return f"{candidate.person.name} ({', '.join(parts)})"


class DeactivateForm(forms.Form):
    """Confirm a deactivation: who takes over each community the person leads."""

    def __init__(self, data: Any = None, *, led: list[LedCommunity]) -> None:
        super().__init__(data)
        for item in led:
            if item.proposed is None:
                continue  # nobody else is in it: it will be left without a leader
            self.fields[item.field_name] = forms.IntegerField(
                label=f"Who leads {item.community.name} next?",
                initial=item.proposed.person.pk,
                # Any id passes the form: the handover says clearly why a non-member cannot lead.
                widget=forms.Select(
                    choices=[(c.person.pk, _candidate_label(c)) for c in item.candidates]
                ),
            )


class AdminPeopleFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    state = forms.ChoiceField(
        required=False, choices=AccountState.choices, label="Show", initial=AccountState.EVERYONE
    )
