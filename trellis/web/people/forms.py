from django import forms

from trellis.people.models import Department


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


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns: name, email, department, title, manager_email, start_date "
        "(YYYY-MM-DD). UTF-8. Re-importing the same file changes nothing.",
    )


class PeopleFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    department = forms.CharField(required=False, max_length=140)
