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
    community = forms.CharField(required=False, max_length=100)


class ClusterForm(forms.Form):
    """A curator's decision on one cluster of the duplicate queue."""

    action = forms.ChoiceField(choices=[("merge", "Merge"), ("dismiss", "Not duplicates")])
    documents = forms.CharField(max_length=2000)
    canonical = forms.IntegerField(required=False, min_value=1)

    def clean_documents(self) -> list[int]:
        raw = self.cleaned_data["documents"]
        try:
            ids = [int(x) for x in raw.split("-") if x]
        except ValueError:
            raise forms.ValidationError("The cluster's items are not a list of ids.") from None
        if not 2 <= len(ids) <= 100:
            raise forms.ValidationError("A cluster has between 2 and 100 items.")
        return ids

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "merge" and not data.get("canonical"):
            self.add_error("canonical", "Choose which item to keep as the canonical one.")
        return data
