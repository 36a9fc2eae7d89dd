"""Who may see and do what. The one place that decides; everything else asks here.

Roles: org admin (sees and manages everything), community leader / facilitator / core / member
(by active membership), sponsor (sees the community they back), and everyone else, including
the outsider who belongs to no community. A private community and everything in it is visible
only to its members, its sponsors and org admins.
"""

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from trellis.communities.models import (
    Community,
    Membership,
    Role,
    Sponsorship,
    Status,
    Visibility,
)

if TYPE_CHECKING:
    from trellis.people.models import Person

Viewer = Union["Person", AnonymousUser]

MANAGING_ROLES = frozenset({Role.LEADER})
TEAM_ROLES = frozenset({Role.LEADER, Role.FACILITATOR, Role.CORE})


def viewer_id(viewer: Viewer) -> int:
    """The viewer's person id, or 0 (no such person) when signed out."""
    return int(viewer.pk or 0)


def is_signed_in(viewer: Viewer) -> bool:
    return bool(viewer.is_authenticated and viewer.is_active)


def is_org_admin(viewer: Viewer) -> bool:
    return is_signed_in(viewer) and bool(getattr(viewer, "is_org_admin", False))


def is_self(viewer: Viewer, person_id: int | None) -> bool:
    """Whether the signed-in viewer is this person (the author of a post, a side of a
    mentorship, the one a request was made to); never for a row that names nobody."""
    return is_signed_in(viewer) and person_id is not None and viewer_id(viewer) == person_id


def is_team_role(role: str | None) -> bool:
    """Leader, facilitator or core team: the roles a page names (a plain member is 'a member')
    and the ones the roles panel lets a leader change."""
    return role in TEAM_ROLES


def active_role(viewer: Viewer, community: Community) -> str | None:
    if not is_signed_in(viewer):
        return None
    cache: dict[int, str | None] = viewer.__dict__.setdefault("_trellis_roles", {})
    if community.pk not in cache:
        cache[community.pk] = (
            Membership.objects.filter(
                community=community, person_id=viewer_id(viewer), left_at__isnull=True
            )
            .values_list("role", flat=True)
            .first()
        )
    return cache[community.pk]


def is_sponsor(viewer: Viewer, community: Community) -> bool:
    return (
        is_signed_in(viewer)
        and Sponsorship.objects.filter(community=community, person_id=viewer_id(viewer)).exists()
    )


def joined_community_ids(viewer: Viewer) -> QuerySet[Membership, Any]:
    """A subquery of the communities the viewer is an active member of."""
    return Membership.objects.filter(person_id=viewer_id(viewer), left_at__isnull=True).values(
        "community_id"
    )


def visible_communities(viewer: Viewer) -> QuerySet[Community]:
    """Every community the viewer may know exists: the base of every list, count and search."""
    communities = Community.objects.all()
    if not is_signed_in(viewer):
        return communities.none()
    if is_org_admin(viewer):
        return communities
    own = joined_community_ids(viewer)
    sponsored = Sponsorship.objects.filter(person_id=viewer_id(viewer)).values("community_id")
    return communities.filter(Q(visibility=Visibility.PUBLIC) | Q(pk__in=own) | Q(pk__in=sponsored))


def can_view_community(viewer: Viewer, community: Community) -> bool:
    if not is_signed_in(viewer):
        return False
    if community.visibility == Visibility.PUBLIC or is_org_admin(viewer):
        return True
    return active_role(viewer, community) is not None or is_sponsor(viewer, community)


def can_join(viewer: Viewer, community: Community) -> bool:
    """Joining directly is for public, open communities; private ones go through a request."""
    return (
        is_signed_in(viewer)
        and community.visibility == Visibility.PUBLIC
        and community.status != Status.ARCHIVED
        and active_role(viewer, community) is None
    )


def can_request_to_join(viewer: Viewer, community: Community) -> bool:
    return (
        is_signed_in(viewer)
        and community.visibility == Visibility.PRIVATE
        and community.status != Status.ARCHIVED
        and active_role(viewer, community) is None
    )


def can_manage_community(viewer: Viewer, community: Community) -> bool:
    """Settings, roles, invitations and join-request decisions."""
    return is_org_admin(viewer) or active_role(viewer, community) in MANAGING_ROLES


def can_invite_to_community(viewer: Viewer, community: Community) -> bool:
    """The core team may invite; leaders decide roles."""
    return is_org_admin(viewer) or active_role(viewer, community) in TEAM_ROLES


def can_invite_with_role(viewer: Viewer, community: Community, role: str) -> bool:
    """Inviting someone as a plain member is for the core team (`can_invite_to_community`);
    inviting them into any other role (a team role) is for those who manage the community."""
    if not can_invite_to_community(viewer, community):
        return False
    return role == Role.MEMBER or can_manage_community(viewer, community)


def can_create_community(viewer: Viewer) -> bool:
    """Start simple: anyone may seed a community and becomes its first leader."""
    return is_signed_in(viewer)


def can_manage_people(viewer: Viewer) -> bool:
    return is_org_admin(viewer)


def can_view_people(viewer: Viewer) -> bool:
    """The org directory is open to everyone signed in, as on an intranet."""
    return is_signed_in(viewer)


def can_edit_person(viewer: Viewer, person: "Person") -> bool:
    return is_org_admin(viewer) or is_self(viewer, person.pk)


def can_edit_own_profile(viewer: Viewer, person: "Person") -> bool:
    """The profile form edits the signed-in person's own profile; an org admin changes other
    people's details on the people admin pages instead."""
    return is_self(viewer, person.pk) and can_edit_person(viewer, person)


def can_endorse(viewer: Viewer, person: "Person") -> bool:
    """Colleagues vouch for what an active person knows; nobody endorses themselves."""
    return is_signed_in(viewer) and person.is_active and not is_self(viewer, person.pk)


def visible_memberships(viewer: Viewer) -> QuerySet[Membership]:
    """Memberships in communities the viewer may see: a private one never shows on a profile."""
    return Membership.objects.filter(community__in=visible_communities(viewer))


# --- Ask the Expert and the library ------------------------------------------------------
# A post or resource belongs to a community (then it is as visible as the community) or to
# the whole organisation (community null: everyone signed in).


def visible_community_filter(viewer: Viewer, field: str = "community") -> Q:
    """The condition, on a row with a community foreign key, that the viewer may see it."""
    if not is_signed_in(viewer):
        return Q(pk__in=[])
    if is_org_admin(viewer):
        return Q()
    return Q(**{f"{field}__isnull": True}) | Q(
        **{f"{field}__in": visible_communities(viewer).values("pk")}
    )


@dataclass(frozen=True)
class SearchScope:
    """Where a viewer's search may look, as plain ids for the search engine's own SQL: rows
    with no community (org-wide) plus `community_ids`, or everything for an org admin."""

    signed_in: bool
    everything: bool
    community_ids: frozenset[int]

    def covers(self, community_id: int | None) -> bool:
        """Whether a row in this community (none: org-wide) is within the scope: the same
        rule as `visible_community_filter`, for rows already read."""
        if not self.signed_in:
            return False
        return self.everything or community_id is None or community_id in self.community_ids


def search_scope(viewer: Viewer) -> SearchScope:
    if not is_signed_in(viewer):
        return SearchScope(False, False, frozenset())
    if is_org_admin(viewer):
        return SearchScope(True, True, frozenset())
    ids = frozenset(visible_communities(viewer).values_list("pk", flat=True))
    return SearchScope(True, False, ids)


def search_scopes(people: "list[Person]") -> dict[int, SearchScope]:
    """`search_scope` of each of these people, in a query per community not everyone
    may see (a few) instead of one per person: what everyone may see, plus each of those
    communities for the people `who_can_view_in` it. One person: their own scope."""
    if len(people) <= 1:
        return {p.pk: search_scope(p) for p in people}
    everyone = everyone_scope()
    ids = {p.pk for p in people}
    extra: dict[int, set[int]] = defaultdict(set)
    for community in Community.objects.exclude(pk__in=everyone.community_ids).only("pk"):
        for pk in who_can_view_in(community, ids):
            extra[pk].add(community.pk)
    scopes = {}
    for person in people:
        if not is_signed_in(person) or is_org_admin(person):
            scopes[person.pk] = search_scope(person)  # no query for either
        else:
            seen = everyone.community_ids | extra[person.pk]
            scopes[person.pk] = SearchScope(True, False, frozenset(seen))
    return scopes


def everyone_communities() -> QuerySet[Community]:
    """The communities every signed-in person may see: the public ones. With org-wide rows
    (no community), this is "what everyone may see", whatever form a caller needs it in:
    `everyone_scope`, `everyone_filter`, `everyone_may_see`."""
    return Community.objects.filter(visibility=Visibility.PUBLIC)


def everyone_may_see(community: Community | None) -> bool:
    """Whether a row in this community (none: org-wide) is for every signed-in person: the
    same rule as `everyone_communities`, for a community already read."""
    return community is None or community.visibility == Visibility.PUBLIC


def everyone_filter(field: str = "community") -> Q:
    """The condition, on a row with a community foreign key, that every signed-in person may
    see it (org-wide, or in one of `everyone_communities`): for SQL that must not depend on
    who is looking, such as which words the search index counts as common."""
    return Q(**{f"{field}__isnull": True}) | Q(
        **{f"{field}__in": everyone_communities().values("pk")}
    )


def everyone_scope() -> SearchScope:
    """What every signed-in person may see (org-wide content and public communities): the
    evidence behind a routing decision about an org-wide question, so its reason never shows
    the routed person, the asker or a leader something from a private community."""
    ids = frozenset(everyone_communities().values_list("pk", flat=True))
    return SearchScope(True, False, ids)


def who_can_view_in(community: Community | None, person_ids: "set[int]") -> "set[int]":
    """Of these people, the active ones who may see content in `community`, in three queries
    whatever their number (routing filters its candidates with this)."""
    from trellis.people.models import Person

    people = Person.objects.filter(pk__in=person_ids, is_active=True)
    if community is not None and not everyone_may_see(community):
        members = Membership.objects.filter(community=community, left_at__isnull=True)
        sponsors = Sponsorship.objects.filter(community=community)
        people = people.filter(
            Q(is_org_admin=True)
            | Q(pk__in=members.values("person_id"))
            | Q(pk__in=sponsors.values("person_id"))
        )
    return set(people.values_list("pk", flat=True))


def can_view_in(viewer: Viewer, community: Community | None) -> bool:
    if community is None:
        return is_signed_in(viewer)
    return can_view_community(viewer, community)


def can_contribute_in(viewer: Viewer, community: Community | None) -> bool:
    """Ask, answer, comment, vote: anyone who can see the place, unless it is archived."""
    if community is not None and community.status == Status.ARCHIVED:
        return False
    return can_view_in(viewer, community)


def can_curate_in(viewer: Viewer, community: Community | None) -> bool:
    """Close duplicates, promote threads to guides, edit anything: the core team."""
    if is_org_admin(viewer):
        return True
    return community is not None and active_role(viewer, community) in TEAM_ROLES


def can_accept_answer(viewer: Viewer, question_author_id: int | None, community: Any) -> bool:
    """The asker decides which answer solved it; a community leader may do it for them."""
    if is_self(viewer, question_author_id):
        return True
    return is_org_admin(viewer) or (
        community is not None and active_role(viewer, community) in MANAGING_ROLES
    )


def can_close_question(viewer: Viewer, question_author_id: int | None, community: Any) -> bool:
    """The asker may say their question is a duplicate; the core team may say it for anyone."""
    return is_self(viewer, question_author_id) or can_curate_in(viewer, community)


def can_edit_content(viewer: Viewer, author_ids: "set[int]", community: Any) -> bool:
    """Authors (or owners) edit their own; the core team edits anything in its community."""
    if not is_signed_in(viewer):
        return False
    return viewer_id(viewer) in author_ids or can_curate_in(viewer, community)


@dataclass(frozen=True)
class PostRights:
    """What the viewer may do to the posts of one place (a community, or none: org-wide),
    decided once for a page of posts and then per post by its author: no query per post."""

    viewer: Viewer
    contribute: bool
    curate: bool

    def can_react(self, author_id: int | None) -> bool:
        """Vote on or thank a post: anyone who may contribute where it is, except its author."""
        return self.contribute and not is_self(self.viewer, author_id)

    def can_edit(self, author_id: int | None) -> bool:
        """A question or an answer: its author, or the core team of its place (as
        `can_edit_content` with the author as the one owner)."""
        return is_self(self.viewer, author_id) or self.curate


def post_rights(viewer: Viewer, community: Any) -> PostRights:
    return PostRights(
        viewer=viewer,
        contribute=can_contribute_in(viewer, community),
        curate=can_curate_in(viewer, community),
    )


def can_react_to(viewer: Viewer, author_id: int | None, community: Any) -> bool:
    """One post's `PostRights.can_react`, without deciding the curation it does not need."""
    return can_contribute_in(viewer, community) and not is_self(viewer, author_id)


def can_add_resource(viewer: Viewer, community: Community | None) -> bool:
    """Members add resources to their community; anyone signed in to the organisation-wide one."""
    if community is None:
        return is_signed_in(viewer)
    if community.status == Status.ARCHIVED:
        return False
    return is_org_admin(viewer) or active_role(viewer, community) is not None


def can_route_in(viewer: Viewer, community: Community | None) -> bool:
    """See routed load and connect a question to someone by hand: the community's leaders;
    for org-wide questions, org admins."""
    if community is None:
        return is_org_admin(viewer)
    return can_manage_community(viewer, community)


def can_see_everyone_routed(
    viewer: Viewer, question_author_id: int | None, community: Community | None
) -> bool:
    """Who was asked about a question: its asker and those who route in its community see
    everyone asked; anyone else sees only a request made to them."""
    return is_self(viewer, question_author_id) or can_route_in(viewer, community)


def can_view_join_request(viewer: Viewer, person_id: int, community: Community) -> bool:
    """A request to join is for the person who sent it and the leaders who decide it; to
    anyone else it does not exist (it would tell who wants into which community)."""
    return is_self(viewer, person_id) or can_manage_community(viewer, community)


def can_accept_mentorship(viewer: Viewer, mentorship: Any) -> bool:
    """Each side of a proposed mentorship says yes once (the mentorship is active when both
    have): a side that has not said it yet may. The caller checks that it is proposed."""
    return (is_self(viewer, mentorship.mentor_id) and mentorship.mentor_accepted_at is None) or (
        is_self(viewer, mentorship.mentee_id) and mentorship.mentee_accepted_at is None
    )


def can_propose_mentorship(viewer: Viewer, mentor_id: int, mentee_id: int) -> bool:
    """Propose a mentorship: for oneself (as the mentee asking or the mentor offering); an org
    admin may pair two other people."""
    return is_signed_in(viewer) and (
        is_self(viewer, mentor_id) or is_self(viewer, mentee_id) or can_manage_people(viewer)
    )


def readable_wherever(target: Community | None, source: Community | None) -> bool:
    """Whether everyone who can read something in `source` can read what is in `target`:
    links between posts or resources must never point readers at what they cannot see."""
    if target is None or (source is not None and target.pk == source.pk):
        return True
    return everyone_may_see(target)


def can_remove_member(viewer: Viewer, community: Community, person_id: int) -> bool:
    """Leaders (and org admins) take someone out of their community; nobody removes themselves
    this way: they leave, which keeps the rule that the last leader hands over first."""
    return can_manage_community(viewer, community) and not is_self(viewer, person_id)


def can_see_join_requests(viewer: Viewer, community: Community) -> bool:
    """Hear of and count the requests to join: the core team (leaders, facilitators, core),
    though only those who manage the community decide them."""
    return is_org_admin(viewer) or active_role(viewer, community) in TEAM_ROLES


# --- Events ---------------------------------------------------------------------------------
# An event belongs to a community (as visible as the community) or to the whole organisation
# (community null: everyone signed in), like a post.


def can_view_event(viewer: Viewer, community: Community | None) -> bool:
    return can_view_in(viewer, community)


def visible_events_filter(viewer: Viewer) -> Q:
    """The condition, on events, that the viewer may see them: the base of every list, count,
    feed and API answer about events."""
    return visible_community_filter(viewer)


def can_manage_events_in(viewer: Viewer, community: Community | None) -> bool:
    """Create, edit and cancel events: the community's core team (leaders, facilitators,
    core) and org admins; org-wide events are for org admins only."""
    if is_org_admin(viewer):
        return True
    if community is None or community.status == Status.ARCHIVED or not community.events_enabled:
        return False
    return active_role(viewer, community) in TEAM_ROLES


def can_rsvp_in(viewer: Viewer, community: Community | None) -> bool:
    """Say whether you are coming: anyone who may see the event, unless its community is
    archived (as for taking part in its questions)."""
    return can_contribute_in(viewer, community)


def can_subscribe_to_events_of(viewer: Viewer, community: Community | None) -> bool:
    """Hold a calendar feed of a community's events (none: the personal feed). Asked again
    each time the feed is read, so someone who leaves a private community stops getting its
    events at once."""
    return can_view_in(viewer, community)


def communities_managing_events(viewer: Viewer) -> QuerySet[Community]:
    """The communities whose events the viewer may add (`can_manage_events_in`, for many)."""
    if is_org_admin(viewer):
        return Community.objects.all()
    if not is_signed_in(viewer):
        return Community.objects.none()
    team = Membership.objects.filter(
        person_id=viewer_id(viewer), left_at__isnull=True, role__in=TEAM_ROLES
    ).values("community_id")
    return Community.objects.filter(pk__in=team, events_enabled=True).exclude(
        status=Status.ARCHIVED
    )


# --- events-more: who may see and do what, below this line ---


def can_record_attendance(
    viewer: Viewer, community: Community | None, facilitator_id: int | None
) -> bool:
    """Tick who came to an event: those who organise its events, and the person who
    facilitated this one (while they may still see it)."""
    if can_manage_events_in(viewer, community):
        return True
    return (
        facilitator_id is not None
        and is_signed_in(viewer)
        and viewer_id(viewer) == facilitator_id
        and can_view_in(viewer, community)
    )


def who_may_be_recorded_at(community: Community | None, person_ids: "set[int]") -> "set[int]":
    """Of these people, those who may be marked as having come to an event of this community:
    the active ones who may see it (no private community's attendance names an outsider)."""
    return who_can_view_in(community, person_ids)


# --- agendas: who may see and do what, below this line ---
# Start simple: a community's features are switched on by its leaders (org-wide events have
# every feature). An event's agenda is as visible as the event; members who may take part in
# the community propose and vote; the event's facilitator (else its organiser), the community's
# core team and org admins build, publish and follow it up.


def events_enabled_in(community: Community | None) -> bool:
    return community is None or community.events_enabled


def agendas_enabled_in(community: Community | None) -> bool:
    return community is None or community.agendas_enabled


def can_switch_features(viewer: Viewer, community: Community) -> bool:
    """Turn events, agendas and rotation on or off: those who manage the community."""
    return can_manage_community(viewer, community)


def can_view_agenda(viewer: Viewer, community: Community | None) -> bool:
    return can_view_event(viewer, community)


def can_propose_topics(viewer: Viewer, community: Community | None) -> bool:
    """Propose agenda topics and vote on them: anyone who may take part where the event is,
    once the community has agendas switched on (the service also checks the event's time)."""
    return agendas_enabled_in(community) and can_contribute_in(viewer, community)


def can_edit_agenda(
    viewer: Viewer,
    community: Community | None,
    facilitator_id: int | None,
    organiser_id: int | None,
) -> bool:
    """Reorder, add, remove, publish, write the notes: the event's facilitator (its organiser
    when nobody facilitates), the community's core team and org admins."""
    if can_manage_events_in(viewer, community):
        return True
    runner = facilitator_id if facilitator_id is not None else organiser_id
    return is_self(viewer, runner) and can_contribute_in(viewer, community)


def can_plan_first_event(viewer: Viewer, community: Community) -> bool:
    """See the suggested first brown-bag and "Plan it": whoever may add the community's events,
    while events are switched on."""
    return events_enabled_in(community) and can_manage_events_in(viewer, community)


# --- facilitation: who may see and do what, below this line ---
# A community's rotation is as visible as the community; its leaders (and org admins) run it;
# its active members (the core team and everyone else who belongs) opt in; a swap is between
# two people, and only they, the leaders and org admins act on it.


def can_view_rotation(viewer: Viewer, community: Community) -> bool:
    return can_view_community(viewer, community)


def can_manage_rotation(viewer: Viewer, community: Community) -> bool:
    """See everyone's sessions and the reasons, and ask the rotation to propose: once the
    community's leaders have switched the rotation on (start simple)."""
    return (
        community.rotation_enabled
        and can_manage_community(viewer, community)
        and community.status != Status.ARCHIVED
    )


def can_volunteer_to_facilitate(viewer: Viewer, community: Community) -> bool:
    """Opt in (or out): active members of a community that is not archived, whose rotation
    is switched on."""
    return (
        community.rotation_enabled
        and community.status != Status.ARCHIVED
        and active_role(viewer, community) is not None
    )


def can_answer_facilitation(viewer: Viewer, person_id: int, community: Community) -> bool:
    """Accept a proposal to facilitate, or ask a colleague to swap it: the person proposed
    (or the facilitator), the community's leaders and org admins."""
    return is_self(viewer, person_id) or can_manage_community(viewer, community)


def can_act_on_swap(
    viewer: Viewer, asked_by_id: int, colleague_id: int, community: Community
) -> bool:
    """See and decline a swap: the two people, the community's leaders and org admins."""
    return (
        is_self(viewer, asked_by_id)
        or is_self(viewer, colleague_id)
        or can_manage_community(viewer, community)
    )


def can_accept_swap(viewer: Viewer, colleague_id: int, community: Community) -> bool:
    """Take the occurrence over: the colleague asked (or a leader, org admin, for them); never
    the one who asked."""
    return is_self(viewer, colleague_id) or can_manage_community(viewer, community)


# --- stories: who may see and do what, below this line ---
# A value story belongs to its moment's community (none: org-wide) and is read by the audience
# its teller chose, each wider than the one before: "leaders" (the community's leaders, its
# sponsors, org admins), "members" (its active members too) and "everyone" (everyone who may
# see the community). Tellers see their own while they may see the community; a hidden
# story is for its teller and those who curate (leaders, org admins) only. Sponsors read but
# do not curate.


def _led_community_ids(viewer: Viewer) -> QuerySet[Membership, Any]:
    return Membership.objects.filter(
        person_id=viewer_id(viewer), left_at__isnull=True, role__in=MANAGING_ROLES
    ).values("community_id")


def visible_stories_filter(viewer: Viewer) -> Q:
    """The condition, on stories, that the viewer may read them: the base of every list,
    count, report and API answer about stories."""
    if not is_signed_in(viewer):
        return Q(pk__in=[])
    if is_org_admin(viewer):
        return Q()
    me = viewer_id(viewer)
    led = _led_community_ids(viewer)
    sponsored = Sponsorship.objects.filter(person_id=me).values("community_id")
    joined = joined_community_ids(viewer)
    for_everyone = Q(audience="everyone") & visible_community_filter(viewer)
    for_members = Q(audience="members") & (
        Q(community__isnull=True) | Q(community__in=joined) | Q(community__in=sponsored)
    )
    for_leaders = Q(audience="leaders") & Q(community__in=sponsored)
    shown = Q(hidden_at__isnull=True) & (for_everyone | for_members | for_leaders)
    return (Q(teller_id=me) & visible_community_filter(viewer)) | Q(community__in=led) | shown


def can_view_story(viewer: Viewer, story: Any, community: Community | None) -> bool:
    """`visible_stories_filter` for one story already read (with its community)."""
    if not is_signed_in(viewer):
        return False
    if not can_view_in(viewer, community):
        return False
    if is_self(viewer, story.teller_id) or can_curate_stories_in(viewer, community):
        return True
    if story.hidden_at is not None:
        return False
    if community is None:
        return bool(story.audience != "leaders")  # org-wide "leaders only": org admins
    if is_sponsor(viewer, community):
        return True
    if story.audience == "members":
        return active_role(viewer, community) is not None
    return story.audience == "everyone" and can_view_community(viewer, community)


def can_tell_story_in(viewer: Viewer, community: Community | None) -> bool:
    """Tell a story about a moment in a place: anyone who may take part there."""
    return can_contribute_in(viewer, community)


def can_curate_stories_in(viewer: Viewer, community: Community | None) -> bool:
    """Feature, hide and ask for detail: the community's leaders (org-wide: org admins)."""
    if is_org_admin(viewer):
        return True
    return community is not None and active_role(viewer, community) in MANAGING_ROLES


def can_manage_goals_in(viewer: Viewer, community: Community) -> bool:
    """Name and retire the business goals a community's stories serve: its sponsors and its
    leaders (and org admins)."""
    return can_curate_stories_in(viewer, community) or is_sponsor(viewer, community)


def can_link_story_to_goal(viewer: Viewer, story: Any, community: Community | None) -> bool:
    """Link a story to a goal: its teller or a curator."""
    return is_self(viewer, story.teller_id) or can_curate_stories_in(viewer, community)


def can_add_story_detail(viewer: Viewer, story: Any) -> bool:
    """Answer a leader's request for detail: the teller alone."""
    return is_self(viewer, story.teller_id)


# --- reports: who may see and do what, below this line ---
# The sponsor's impact report of a community is for its sponsors, its leaders and org admins;
# the organisation-wide one (every community, private ones included) for org admins alone.


def can_view_community_report(viewer: Viewer, community: Community) -> bool:
    return (
        is_org_admin(viewer)
        or is_sponsor(viewer, community)
        or active_role(viewer, community) in MANAGING_ROLES
    )


def can_view_org_report(viewer: Viewer) -> bool:
    return is_org_admin(viewer)


def can_edit_sponsor_resources(viewer: Viewer, community: Community) -> bool:
    """What the sponsor provides is recorded by the sponsor or the community's leaders."""
    return can_view_community_report(viewer, community) and community.status != Status.ARCHIVED


def can_subscribe_to_reports(viewer: Viewer) -> bool:
    """Reports are emailed to sponsors: whoever sponsors a community chooses how often."""
    return is_signed_in(viewer) and Sponsorship.objects.filter(person_id=viewer_id(viewer)).exists()


def sponsored_communities(viewer: Viewer) -> QuerySet[Community]:
    """The communities the viewer sponsors: the reports emailed to them (each of which they
    may open, `can_view_community_report`)."""
    if not is_signed_in(viewer):
        return Community.objects.none()
    sponsored = Sponsorship.objects.filter(person_id=viewer_id(viewer)).values("community_id")
    return Community.objects.filter(pk__in=sponsored)


# --- insights: who may see what Trellis infers about participation, below this line ---
# Named figures (who stands where, who moved in or out) are for the community's leaders and org
# admins, the organisation-wide ones for org admins; a person always sees their own standing
# and may download everything inferred about them. Sponsors read the report's aggregates.


def can_view_participation_in(viewer: Viewer, community: Community) -> bool:
    return can_manage_community(viewer, community)


def can_view_org_participation(viewer: Viewer) -> bool:
    return is_org_admin(viewer)


# The silo map (departments helping departments): aggregates only, each figure resting on at
# least 5 people. What a map is built from does not depend on who reads it, so a stored map is
# never more than its readers may see: the organisation's map only from content every
# signed-in person may see (org-wide, public communities), so it holds nothing of a private
# community, even for an org admin (help inside private communities is on their own maps); a
# community's map only from that community's content, for the people who lead it.


def silo_map_content(community: Community | None, field: str = "community") -> Q:
    """The condition, on a row whose `field` is its community, that it feeds this map (None:
    the organisation's)."""
    if community is None:
        return everyone_filter(field)
    return Q(**{field: community})


def can_view_org_silos(viewer: Viewer) -> bool:
    return is_org_admin(viewer)


def can_view_silos_in(viewer: Viewer, community: Community) -> bool:
    return can_manage_community(viewer, community)


# --- the pitfall radar: where a community's load falls and what is going wrong ---
# Its leaders and org admins read every signal of a community and may act on it; a sponsor
# reads only the sponsor signal of the communities they sponsor (about themselves); the
# organisation's radar is for org admins. Signals describe the community, never score a person.
# A private community's radar is never seen by anyone who cannot see the community.


def can_view_radar_in(viewer: Viewer, community: Community) -> bool:
    return can_manage_community(viewer, community)


def can_view_sponsor_signal_in(viewer: Viewer, community: Community) -> bool:
    return can_view_radar_in(viewer, community) or is_sponsor(viewer, community)


def can_snooze_radar(viewer: Viewer, community: Community) -> bool:
    return can_manage_community(viewer, community)


def can_act_on_radar(viewer: Viewer, community: Community) -> bool:
    return can_manage_community(viewer, community)


def can_view_org_radar(viewer: Viewer) -> bool:
    return is_org_admin(viewer)


# --- domain discovery: proposed communities, spin-offs, merges and joint events ---
# A proposed community rests on the whole organisation's questions: org admins read and start
# it. A spin-off is its community's business (its leaders, and org admins). A merge or joint
# event is read by org admins and by the leaders of either community who can see both: a
# private community is never named to someone who cannot see it.


def can_view_org_discovery(viewer: Viewer) -> bool:
    return is_org_admin(viewer)


def can_view_proposal(viewer: Viewer, proposal: Any) -> bool:
    if is_org_admin(viewer):
        return True
    pair = [c for c in (proposal.community, proposal.other_community) if c is not None]
    if not pair or proposal.kind == "community":
        return False
    return all(can_view_community(viewer, c) for c in pair) and any(
        can_act_on_radar(viewer, c) for c in pair
    )


def can_decide_proposal(viewer: Viewer, proposal: Any) -> bool:
    if proposal.kind == "community":
        return is_org_admin(viewer)
    if proposal.kind == "spin-off":
        return proposal.community is not None and can_act_on_radar(viewer, proposal.community)
    return can_view_proposal(viewer, proposal)
