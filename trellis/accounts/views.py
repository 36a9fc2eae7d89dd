"""Sign-in, password reset, invitation links and personal API tokens."""

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from trellis.accounts import services
from trellis.accounts.models import ApiToken
from trellis.core.errors import NotFound, ServiceError
from trellis.core.web import AuthedRequest, add_form_errors, report_error


class SetPasswordForm(forms.Form):
    password = forms.CharField(
        widget=forms.PasswordInput,
        label="Choose a password",
        help_text="At least 8 characters; not a common password.",
    )


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        label="What will use this token?",
        help_text="e.g. “Slack bot” or “reporting script”",
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def accept_invitation(request: AuthedRequest, token: str) -> HttpResponse:
    try:
        invitation = services.account_invitation_get(token)
    except NotFound as error:
        return render(
            request, "accounts/invitation_invalid.html", {"error": error.message}, status=404
        )
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.account_invitation_accept(
                raw_token=token, password=form.cleaned_data["password"]
            )
        except ServiceError as error:
            add_form_errors(form, error)
        else:
            login(request, person, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Welcome to Trellis! Start by joining a community.")
            return redirect("home")
    return render(
        request, "accounts/accept_invitation.html", {"form": form, "person": invitation.person}
    )


@require_http_methods(["GET", "POST"])
def api_tokens(request: AuthedRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        try:
            _, new_token = services.api_token_create(
                actor=request.user,
                name=form.cleaned_data["name"],
            )
        except ServiceError as error:
            add_form_errors(form, error)
        else:
            form = TokenForm()
    tokens = ApiToken.objects.filter(person_id=request.user.pk, revoked_at__isnull=True).order_by(
        "-created_at"
    )
    context = {"form": form, "tokens": tokens, "new_token": new_token}
    return render(request, "accounts/api_tokens.html", context)


@require_POST
def api_token_revoke(request: AuthedRequest, token_id: int) -> HttpResponse:
    try:
        services.api_token_revoke(actor=request.user, token_id=token_id)
        messages.success(request, "Token revoked.")
    except ServiceError as error:
        report_error(request, error)
    return redirect("api-tokens")
