"""The value-story prompt, the leaders' request for detail, the teller's detail and goals.

Numbers are taken as text and checked by the service, which names what is wrong with an
absurd estimate in words a member understands (the form's own number checks would not)."""

import secrets
from typing import Any

from django import forms

from trellis.stories.models import (
    MAX_DETAIL_REQUEST,
    MAX_GOAL_MEASURE,
    MAX_GOAL_NAME,
    MAX_MADE_POSSIBLE,
    MAX_TEXT,
    Audience,
    Cycle,
    Goal,
    Measure,
    Risk,
)
from trellis.stories.services import CURATE_ACTIONS, StoryFields

NO_GOAL = ""


class StoryForm(forms.Form):
    cycle = forms.ChoiceField(
        label="What did this help you do?", choices=Cycle.choices, widget=forms.RadioSelect
    )
    text = forms.CharField(
        label="In a sentence or two (optional)",
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What happened, and what would have happened otherwise?",
    )
    hours_saved = forms.CharField(
        label="Hours saved", required=False, max_length=20, help_text="Roughly; at most 2,000."
    )
    cost_avoided = forms.CharField(
        label="Cost avoided",
        required=False,
        max_length=20,
        help_text="A whole amount; at most 10,000,000.",
    )
    risk_reduced = forms.ChoiceField(
        label="Risk reduced", required=False, choices=[("", "None"), *Risk.choices]
    )
    made_possible = forms.CharField(
        label="Something new it made possible", required=False, max_length=MAX_MADE_POSSIBLE
    )
    audience = forms.ChoiceField(
        label="Who may read it",
        choices=Audience.choices,
        initial=Audience.MEMBERS,
        widget=forms.RadioSelect,
    )
    named = forms.BooleanField(label="Show my name with it", required=False, initial=True)
    goal = forms.ChoiceField(label="It serves the goal", required=False)

    def __init__(self, *args: Any, goals: list[Goal], **kwargs: Any) -> None:
        # Ids of their own on each showing: htmx would otherwise "settle" the old prompt's
        # attributes onto the new one's (setting style attributes the CSP refuses).
        kwargs.setdefault("auto_id", f"story-{secrets.token_hex(3)}-%s")
        super().__init__(*args, **kwargs)
        field = self.fields["goal"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(NO_GOAL, "None in particular"), *((str(g.pk), g.name) for g in goals)]
        if not goals:
            del self.fields["goal"]

    def story_fields(self) -> StoryFields:
        data = self.cleaned_data
        goal = data.get("goal") or NO_GOAL
        return StoryFields(
            cycle=data["cycle"],
            text=data["text"],
            hours_saved=data["hours_saved"].strip() or None,
            cost_avoided=data["cost_avoided"].strip() or None,
            risk_reduced=data["risk_reduced"],
            made_possible=data["made_possible"],
            audience=data["audience"],
            named=data["named"],
            goal_id=int(goal) if goal != NO_GOAL else None,
        )


class CurateForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in CURATE_ACTIONS])


class AskDetailForm(forms.Form):
    request = forms.CharField(
        label="What would you like to know?",
        required=False,
        max_length=MAX_DETAIL_REQUEST,
        widget=forms.TextInput(attrs={"placeholder": "Roughly how many hours did it save?"}),
    )


class DetailForm(forms.Form):
    detail = forms.CharField(
        label="Add detail", max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3})
    )


class GoalLinkForm(forms.Form):
    goal = forms.CharField(required=False, max_length=20)

    def goal_id(self) -> int | None:
        value = self.cleaned_data["goal"].strip()
        return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


class GoalForm(forms.Form):
    name = forms.CharField(
        label="Goal",
        max_length=MAX_GOAL_NAME,
        widget=forms.TextInput(attrs={"placeholder": "Reduce onboarding time"}),
    )
    measure = forms.ChoiceField(label="Measured by", choices=Measure.choices, required=False)
    measure_text = forms.CharField(
        label="How you'll know (optional)",
        required=False,
        max_length=MAX_GOAL_MEASURE,
        help_text="For a goal described in words: what would show progress?",
    )
