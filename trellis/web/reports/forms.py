from django import forms

from trellis.reports.models import Cadence
from trellis.reports.services import CURRENCIES


class ResourcesForm(forms.Form):
    """Typed as text: the service parses and bounds the numbers, so the page and the API give
    the same messages."""

    annual_budget = forms.CharField(
        label="Budget a year", required=False, max_length=30, help_text="Leave empty if none."
    )
    currency = forms.ChoiceField(choices=[(c, c) for c in CURRENCIES], initial="EUR")
    hours_per_month = forms.CharField(
        label="Hours a month each member may spend on the community",
        required=False,
        max_length=10,
    )
    channels = forms.CharField(
        label="Channels",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Where the community meets and is announced: chat channels, all-hands "
        "slots, rooms.",
    )


class ScheduleForm(forms.Form):
    cadence = forms.ChoiceField(
        label="Email me the report", choices=Cadence.choices, widget=forms.RadioSelect
    )
