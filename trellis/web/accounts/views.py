"""Sign-in, password reset, invitation links and personal API tokens."""

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from trellis.accounts import selectors, services, throttle
from trellis.core.errors import NotFound, ServiceError
from trellis.core.web import AuthedRequest, add_form_errors, report_error


class SignInForm(AuthenticationForm):
    """Django's sign-in form, telling a locked-out person so instead of "wrong password"."""

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"]
        return username.strip().lower()  # emails are stored lower-cased

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except ValidationError:
            lock = throttle.signin_lock_of(self.request) if self.request else None
            if lock is None:
                raise
            raise ValidationError(lock.message, code="locked") from None


class SignInView(auth_views.LoginView):
    """Sign-in; a refused attempt (the account or the address locked) is a 429 with the reason
    on the form (trellis/accounts/throttle.py)."""

    form_class = SignInForm
    redirect_authenticated_user = True

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        if throttle.signin_lock_of(self.request) is not None:
            response.status_code = 429
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset request, with two changes: the link is built on TRELLIS_SITE_URL, never on
    the Host the request names (which an attacker chooses), and at most a few emails an hour go
    to one address or come from one client address. Either way the answer is the same page."""

    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        allowed = throttle.password_reset_allowed(
            email=form.cleaned_data["email"], client=throttle.client_address(self.request)
        )
        if allowed:
            site = urlsplit(settings.SITE_URL)
            form.save(
                domain_override=site.netloc,
                use_https=site.scheme == "https",
                token_generator=self.token_generator,
                from_email=self.from_email,
                email_template_name=self.email_template_name,
                subject_template_name=self.subject_template_name,
                html_email_template_name=self.html_email_template_name,
                extra_email_context={"site_url": settings.SITE_URL},
            )
        return HttpResponseRedirect(self.get_success_url())


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
        invitation = selectors.account_invitation_get(raw=token)
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
    tokens = selectors.api_tokens_live(viewer=request.user)
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
