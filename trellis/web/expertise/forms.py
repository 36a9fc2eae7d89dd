from django import forms

from trellis.expertise.services.availability import MAX_WEEKLY_CAP


class WhoKnowsForm(forms.Form):
    q = forms.CharField(required=False, max_length=500, strip=True, label="Who knows about")
    community = forms.SlugField(required=False, max_length=80)


class AvailabilityForm(forms.Form):
    opted_out = forms.BooleanField(
        required=False, label="Don't route questions to me or list me as an expert"
    )
    away_until = forms.DateField(
        required=False, label="Away until", help_text="Nobody is routed to you until after it."
    )
    weekly_cap = forms.IntegerField(
        min_value=0, max_value=MAX_WEEKLY_CAP, initial=3, label="At most this many questions a week"
    )


class ConnectForm(forms.Form):
    email = forms.EmailField(max_length=254, label="Ask this person (their email)")
    note = forms.CharField(
        required=False, max_length=200, strip=True, label="A note for them (optional)"
    )


class EndorseForm(forms.Form):
    tag = forms.CharField(max_length=40, strip=True, label="Topic (a tag, such as helm)")
