from django import forms

from trellis.qa.services import BODY_MAX, COMMENT_MAX, TITLE_MAX


class AskForm(forms.Form):
    community = forms.ChoiceField(
        label="Where",
        help_text="The community whose experts should see it.",
        # Never echo the value: a private community's slug typed by an outsider stays unsaid.
        error_messages={"invalid_choice": "Choose one of the places listed."},
    )
    title = forms.CharField(
        max_length=TITLE_MAX,
        help_text="The question in one sentence, as you would ask a colleague.",
    )
    body = forms.CharField(
        required=False,
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 10}),
        label="Details",
        help_text="What you tried, what you expected, what happened. Markdown works; "
        "@name mentions a colleague.",
    )
    tags = forms.CharField(
        required=False,
        max_length=200,
        help_text="Up to five, separated by spaces, e.g. “kubernetes helm”.",
    )

    def __init__(self, *args: object, choices: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["community"].choices = choices  # type: ignore[attr-defined]


class AnswerForm(forms.Form):
    body = forms.CharField(
        max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 8}), label="Your answer"
    )


class CommentForm(forms.Form):
    body = forms.CharField(max_length=COMMENT_MAX, label="Comment")


class EditForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX, required=False)
    body = forms.CharField(
        required=False, max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 12})
    )
    tags = forms.CharField(required=False, max_length=200)
    note = forms.CharField(
        required=False, max_length=200, label="Edit summary", help_text="What did you change?"
    )


class CloseForm(forms.Form):
    duplicate_of = forms.CharField(
        max_length=300,
        label="Duplicate of",
        help_text="The original question's number or address.",
    )

    def clean_duplicate_of(self) -> int:
        value = self.cleaned_data["duplicate_of"].strip().rstrip("/")
        tail = value.rsplit("/questions/", 1)[-1].split("/")[0].split("#")[0]
        if not tail.isdigit():
            raise forms.ValidationError("Give the question's number or its address.")
        return int(tail)


class VoteForm(forms.Form):
    value = forms.TypedChoiceField(choices=[("1", "up"), ("-1", "down"), ("0", "undo")], coerce=int)
