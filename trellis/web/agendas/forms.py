"""The agenda's forms: a topic, an item, its place and leader, the notes, the switches."""

from django import forms

from trellis.agendas.models import NOTE_MAX, NOTES_MAX, TITLE_MAX


class ProposalForm(forms.Form):
    title = forms.CharField(
        max_length=TITLE_MAX, label="Topic", help_text="What would you like to talk about?"
    )
    note = forms.CharField(
        required=False,
        max_length=NOTE_MAX,
        label="Why it matters (optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ItemAddForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX, label="Item")
    reason = forms.CharField(
        required=False, max_length=300, label="Why it is on the agenda (optional)"
    )
    speaker = forms.CharField(required=False, max_length=254, label="Led by (email, optional)")


class ItemUpdateForm(forms.Form):
    position = forms.IntegerField(min_value=1, max_value=1000, label="Place")
    speaker = forms.CharField(required=False, max_length=254, label="Led by (email)")


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "Up"), ("down", "Down")])


class NotesForm(forms.Form):
    notes = forms.CharField(
        required=False,
        max_length=NOTES_MAX,
        label="Notes",
        help_text="Markdown works: **bold**, lists, links.",
        widget=forms.Textarea(attrs={"rows": 10}),
    )
    recording_url = forms.CharField(
        required=False, max_length=500, label="Recording link", help_text="Or leave empty."
    )


class FeaturesForm(forms.Form):
    events_enabled = forms.BooleanField(
        required=False,
        label="Events",
        help_text="Brown-bags, circles, office hours: the community's calendar.",
    )
    agendas_enabled = forms.BooleanField(
        required=False,
        label="Member-driven agendas",
        help_text="Members propose and vote on topics; the draft agenda adds the most-wanted "
        "open questions and guides due for review.",
    )
    rotation_enabled = forms.BooleanField(
        required=False,
        label="Rotating facilitation",
        help_text="The rotation proposes who facilitates each occurrence of a series.",
    )
