"""No N+1: the number of queries of the busiest pages does not grow with the rows shown."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.personas import Org
from tests.typing_helpers import ClientFor
from trellis.communities import services
from trellis.communities.models import Role
from trellis.people.models import Person


def _queries(client: Client, url: str) -> int:
    from django.core.cache import cache

    cache.clear()  # the same cold start for both sizes
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def _grow(org: Org, n: int, start: int) -> None:
    for i in range(start, start + n):
        person = Person.objects.create_user(
            f"p{i}@example.com",
            None,
            name=f"Person {i}",
            department=org.design,
            manager=org.leader,
        )
        services.community_join(actor=person, community=org.public)
        community = services.community_create(actor=person, name=f"Community {i}", domain="Things")
        services.community_join(actor=org.member, community=community)
        if i % 2:
            services.membership_set_role(
                actor=org.leader, community=org.public, person=person, role=Role.CORE
            )


def test_directory_community_and_person_pages_query_count_is_flat(
    org: Org, client_for: ClientFor
) -> None:
    client = client_for(org.member)
    urls = [
        reverse("community-directory"),
        reverse("community-detail", args=[org.public.slug]),
        reverse("person-detail", args=[org.member.pk]),
        reverse("person-detail", args=[org.leader.pk]),
        reverse("person-directory"),
        reverse("home"),
    ]
    _grow(org, 3, 0)
    small = [_queries(client, url) for url in urls]
    _grow(org, 15, 100)
    large = [_queries(client, url) for url in urls]
    assert small == large, dict(zip(urls, zip(small, large, strict=True), strict=True))
