"""Account emails, sent by the task worker after the enqueuing transaction commits."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse

from trellis.accounts.models import AccountInvitation
from trellis.accounts.services import account_invitation_mint


@task()
def send_account_invitation(invitation_id: int) -> bool:
    """Mint the one-time link and email it. Idempotent: a sent invitation is not sent twice."""
    with transaction.atomic():
        invitation = (
            AccountInvitation.objects.select_for_update(of=("self",))
            .select_related("person", "invited_by")
            .filter(pk=invitation_id, sent_at__isnull=True, accepted_at__isnull=True)
            .first()
        )
        if invitation is None:
            return False
        raw = account_invitation_mint(invitation=invitation)
        link = settings.SITE_URL + reverse("accept-invitation", args=[raw])
        context = {"invitation": invitation, "link": link, "site_url": settings.SITE_URL}
        # Sent inside the transaction: if delivery fails, the invitation stays unsent and a
        # retry mints a fresh link.
        send_mail(
            subject="Your Trellis account is ready",
            message=render_to_string("accounts/email/account_invitation.txt", context),
            from_email=None,
            recipient_list=[invitation.person.email],
        )
    return True
