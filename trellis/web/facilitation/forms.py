"""The rotation's small forms: a weekly load, a colleague to ask, an answer."""

from django import forms

from trellis.facilitation.models import MAX_WEEKLY_LOAD
from trellis.facilitation.services import MAX_NOTE


class VolunteerForm(forms.Form):
    action = forms.ChoiceField(choices=[("in", "Volunteer"), ("out", "Stop volunteering")])
    weekly_load = forms.IntegerField(
        label="At most this many sessions a week",
        required=False,
        min_value=1,
        max_value=MAX_WEEKLY_LOAD,
        error_messages={
            "min_value": f"Choose between 1 and {MAX_WEEKLY_LOAD} sessions a week.",
            "max_value": f"Choose between 1 and {MAX_WEEKLY_LOAD} sessions a week.",
            "invalid": "Give the number of sessions a week, such as 1.",
        },
    )


class SwapForm(forms.Form):
    colleague = forms.IntegerField(
        label="Ask a colleague", min_value=1, error_messages={"required": "Choose a colleague."}
    )
    note = forms.CharField(label="Note (optional)", required=False, max_length=MAX_NOTE)


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(choices=[("accept", "Accept"), ("decline", "Decline")])
