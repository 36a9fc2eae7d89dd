from django import forms

from trellis.imports.models import ImportKind


class ImportForm(forms.Form):
    kind = forms.ChoiceField(choices=ImportKind.choices, label="What is it?")
    file = forms.FileField(
        label="Archive (.zip)",
        help_text="A Stack Exchange dump folder, a Slack export or a zulip_json folder, "
        "as a zip file.",
    )
    community = forms.SlugField(
        required=False,
        label="Into community (Stack Exchange only)",
        help_text="The slug of an existing community. Empty: the site gets a community of its "
        "own (never one that merely has the same name), and a rerun updates that one.",
    )
