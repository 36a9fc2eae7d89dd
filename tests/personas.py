"""One small organisation with every persona, built through the services like a real one."""

from dataclasses import dataclass

from trellis.communities import services as community_services
from trellis.communities.models import Community, Role, Visibility
from trellis.people.models import Department, Person

PASSWORD = "correct-horse-battery-staple"


@dataclass
class Org:
    admin: Person
    leader: Person
    facilitator: Person
    member: Person
    sponsor: Person
    newcomer: Person
    outsider: Person
    engineering: Department
    design: Department
    public: Community
    private: Community


def person(email: str, name: str, department: Department, **extra: object) -> Person:
    return Person.objects.create_user(email, PASSWORD, name=name, department=department, **extra)


def build_org() -> Org:
    engineering = Department.objects.create(name="Engineering", slug="engineering")
    design = Department.objects.create(name="Design", slug="design")
    admin = person(
        "admin@example.com",
        "Ada Admin",
        engineering,
        is_org_admin=True,
        is_staff=True,
        is_superuser=True,
    )
    leader = person("leader@example.com", "Lena Leader", engineering, title="Staff engineer")
    facilitator = person("facilitator@example.com", "Femi Facilitator", design)
    member = person("member@example.com", "Mo Member", design, manager=leader)
    sponsor = person("sponsor@example.com", "Sam Sponsor", engineering, title="VP Engineering")
    newcomer = person("newcomer@example.com", "Nia Newcomer", design)
    outsider = person("outsider@example.com", "Otto Outsider", design)

    public = community_services.community_create(
        actor=leader,
        name="Kubernetes Guild",
        slug="kubernetes",
        domain="Running containers in production",
        charter="We help each other ship safely.",
    )
    private = community_services.community_create(
        actor=leader,
        name="Security Council",
        slug="security-council",
        domain="Incident response and data security",
        visibility=Visibility.PRIVATE,
    )
    community_services.community_join(actor=member, community=public)
    community_services.community_join(actor=facilitator, community=public)
    community_services.membership_set_role(
        actor=leader, community=public, person=facilitator, role=Role.FACILITATOR
    )
    # Private communities are joined by invitation (or an approved request).
    for invitee, role in ((member, Role.MEMBER), (facilitator, Role.FACILITATOR)):
        invitation = community_services.invitation_create(
            actor=leader, community=private, person=invitee, role=role
        )
        community_services.invitation_respond(actor=invitee, invitation=invitation, accept=True)
    for community in (public, private):
        community_services.sponsor_add(actor=admin, community=community, person=sponsor)
    return Org(
        admin,
        leader,
        facilitator,
        member,
        sponsor,
        newcomer,
        outsider,
        engineering,
        design,
        public,
        private,
    )
