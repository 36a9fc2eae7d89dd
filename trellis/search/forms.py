from typing import Any

from django import forms

from trellis.search.models import DocKind

KIND_CHOICES = [("", "Everything"), *DocKind.choices]


class SearchForm(forms.Form):
    """The search page's query and filters. Every field is optional and bounded; anything
    malformed is reported on the field and the rest of the search still runs."""

    q = forms.CharField(required=False, max_length=500, strip=True)
    kind = forms.ChoiceField(required=False, choices=KIND_CHOICES, label="Type")
    community = forms.SlugField(required=False, max_length=80)
    tag = forms.CharField(required=False, max_length=50, strip=True)
    since = forms.DateField(required=False, label="From")
    until = forms.DateField(required=False, label="Until")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "“Until” must be on or after “From”.")
        return data


class SimilarForm(forms.Form):
    title = forms.CharField(required=False, max_length=300)
    body = forms.CharField(required=False, max_length=20_000)
