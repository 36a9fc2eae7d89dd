"""Follow-up work for communities, run by the task worker."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone

from trellis.communities.models import CommunityInvitation, InvitationStatus
from trellis.core import access


@task()
def send_community_invitation(invitation_id: int) -> bool:
    """Email the invitee once; a no-op if already emailed, answered or deleted meanwhile."""
    with transaction.atomic():
        invitation = (
            CommunityInvitation.objects.select_for_update(of=("self",))
            .select_related("community", "person", "invited_by")
            .filter(pk=invitation_id, status=InvitationStatus.PENDING, emailed_at__isnull=True)
            .first()
        )
        if invitation is None:
            return False
        context = {
            "invitation": invitation,
            "names_role": access.is_team_role(invitation.role),
            # a member invited into the team (the radar's core-team fix) is not asked to join
            "already_member": access.active_role(invitation.person, invitation.community)
            is not None,
            "site_url": settings.SITE_URL,
        }
        send_mail(  # inside the transaction: a failed send leaves it unmarked for a retry
            subject=f"You're invited to {invitation.community.name} on Trellis",
            message=render_to_string("communities/email/invitation.txt", context),
            from_email=None,
            recipient_list=[invitation.person.email],
        )
        invitation.emailed_at = timezone.now()
        invitation.save(update_fields=["emailed_at"])
    return True
