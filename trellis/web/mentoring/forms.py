import re
from typing import Any

from django import forms

from trellis.mentoring.models import MAX_CAPACITY, MAX_ID
from trellis.mentoring.services import PairIn

MAX_PAIRS = 2000
PAIR = re.compile(r"[0-9]{1,19}:[0-9]{1,19}")  # "mentee_id:mentor_id"


class MentorRequestForm(forms.Form):
    mentor = forms.IntegerField(min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)
    message = forms.CharField(
        required=False,
        max_length=1000,
        strip=True,
        label="A few words for them (optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RespondForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", "Accept"), ("decline", "Decline")])
    reason = forms.CharField(required=False, max_length=1000, strip=True, label="Why (optional)")


class MentorOfferForm(forms.Form):
    open = forms.BooleanField(required=False, label="I'm glad to mentor newcomers")
    capacity = forms.IntegerField(
        min_value=0, max_value=MAX_CAPACITY, initial=2, label="At most this many mentees at once"
    )
    note = forms.CharField(
        required=False,
        max_length=500,
        strip=True,
        label="What you can help with (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PairsField(forms.Field):
    """The pairs of a cohort's matching, each sent as "mentee_id:mentor_id"."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[PairIn]:
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        if len(value) > MAX_PAIRS:
            raise forms.ValidationError(f"At most {MAX_PAIRS} pairs at once.")
        pairs = []
        for item in value:
            # ASCII digits only: str.isdigit() also takes "²" or "٣", which int() refuses or
            # reads; and at most 19 of them, then bounded, or the id lookup overflows.
            text = str(item)
            if not PAIR.fullmatch(text):
                raise forms.ValidationError(f"“{text[:40]}” is not a pair of ids.")
            mentee, _, mentor = text.partition(":")
            if not all(1 <= int(pk) <= MAX_ID for pk in (mentee, mentor)):
                raise forms.ValidationError(
                    f"“{text[:40]}” is not a pair of ids: ids run from 1 to {MAX_ID}."
                )
            pairs.append(PairIn(mentee_id=int(mentee), mentor_id=int(mentor)))
        return pairs


class CohortForm(forms.Form):
    pair = PairsField(
        required=True,
        error_messages={"required": "Tick at least one pair to propose."},
        label="Pairs",
    )
    note = forms.CharField(
        required=False,
        max_length=500,
        strip=True,
        label="A note for everyone matched (optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
