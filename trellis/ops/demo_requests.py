"""Requests waiting to join the demo's private community, so that its leaders meet the
feature on first contact: the bell, the email and the waiting count on their home page."""

from trellis.communities.models import Community, Membership, Visibility
from trellis.communities.services import join_request_create
from trellis.people.models import Person

# Who asks, and why, by department: people whose work brings them close to security.
ASKERS = (
    (
        "platform",
        "I'm on call for the payments cluster and keep running into the KMS and IAM "
        "decisions you discuss here. I'd like to follow the threat-model reviews and help "
        "where I can.",
    ),
    (
        "web",
        "We're adding SSO for enterprise customers next quarter; I'd like to read the "
        "council's notes on session handling before we design it, and bring our questions.",
    ),
)


def demo_join_requests_create() -> int:
    """One request per asking department, from its longest-serving engineer who is not in
    the private community yet (none when the organisation is too small to have one)."""
    community = Community.objects.filter(visibility=Visibility.PRIVATE).order_by("pk").first()
    if community is None:
        return 0
    inside = Membership.objects.filter(community=community, left_at__isnull=True)
    made = 0
    for department, message in ASKERS:
        asker = (
            Person.objects.filter(
                is_active=True,
                department__slug=department,
                title__icontains="engineer",
                is_org_admin=False,
            )
            .exclude(pk__in=inside.values("person_id"))
            .exclude(sponsored_communities=community)
            .order_by("start_date", "pk")
            .first()
        )
        if asker is not None:
            join_request_create(actor=asker, community=community, message=message)
            made += 1
    return made
