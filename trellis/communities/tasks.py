"""Follow-up work for communities, run by the task worker."""

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.template.loader import render_to_string

from trellis.communities.models import CommunityInvitation, InvitationStatus


@task()
def send_community_invitation(invitation_id: int) -> bool:
    """Email the invitee; a no-op if the invitation was answered or deleted meanwhile."""
    invitation = (
        CommunityInvitation.objects.select_related("community", "person", "invited_by")
        .filter(pk=invitation_id, status=InvitationStatus.PENDING)
        .first()
    )
    if invitation is None:
        return False
    context = {"invitation": invitation, "site_url": settings.SITE_URL}
    send_mail(
        subject=f"You're invited to {invitation.community.name} on Trellis",
        message=render_to_string("communities/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.person.email],
    )
    return True
