"""One small organisation with every persona, built through the services like a real one."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from trellis.communities import services as community_services
from trellis.communities.models import Community, Role, Visibility
from trellis.people.models import Department, Person
from trellis.search.models import DocKind
from trellis.search.services import documents_index_after_commit

if TYPE_CHECKING:
    from trellis.library.models import Resource
    from trellis.qa.models import Post

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
    content: "Content | None" = None
    cluster_key: str = ""  # test_permission_matrix's duplicate cluster, once it made one

    @property
    def c(self) -> "Content":
        """The questions and resources built by `build_content` (tests that use it call it)."""
        assert self.content is not None, "call build_content(org) first"
        return self.content


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
    # Made with the ORM, not `person_create` (which needs an admin first): searchable the same.
    everyone = [admin, leader, facilitator, member, sponsor, newcomer, outsider]
    documents_index_after_commit(kind=DocKind.PERSON, ids=[p.pk for p in everyone])

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


PRIVATE_QUESTION = "Which vault holds the breach drill keys?"
PRIVATE_RESOURCE = "Breach drill runbook"


@dataclass
class Content:
    """Questions, answers and resources in both communities and organisation-wide."""

    public_question: "Post"
    public_answer: "Post"
    private_question: "Post"
    private_answer: "Post"
    org_question: "Post"
    public_resource: "Resource"
    private_resource: "Resource"


def build_content(org: Org) -> Content:
    from trellis.library import services as library_services
    from trellis.qa import services as qa_services

    public_question = qa_services.question_ask(
        actor=org.member,
        community=org.public,
        title="How do I roll back a Helm release safely?",
        body="The upgrade half failed. `helm rollback` or a fresh install?",
        tags="helm kubernetes",
    )
    public_answer = qa_services.answer_post(
        actor=org.facilitator,
        question=public_question,
        body="Use `helm rollback <release> <revision>`; check `helm history` first.",
    )
    private_question = qa_services.question_ask(
        actor=org.member,
        community=org.private,
        title=PRIVATE_QUESTION,
        body="Asking for the tabletop exercise next week.",
        tags="incident-response",
    )
    private_answer = qa_services.answer_post(
        actor=org.leader, question=private_question, body="The offline one in room 4."
    )
    org_question = qa_services.question_ask(
        actor=org.newcomer,
        community=None,
        title="Where do I find the travel policy?",
        body="",
        tags="onboarding",
    )
    public_resource = library_services.resource_create(
        actor=org.leader,
        community=org.public,
        kind="guide",
        title="Helm release checklist",
        body="1. Check `helm history`\n2. Roll back",
        tags="helm",
    )
    private_resource = library_services.resource_create(
        actor=org.leader,
        community=org.private,
        kind="decision",
        title=PRIVATE_RESOURCE,
        body="We rotate keys every quarter.",
    )
    org.content = Content(
        public_question,
        public_answer,
        private_question,
        private_answer,
        org_question,
        public_resource,
        private_resource,
    )
    return org.content
