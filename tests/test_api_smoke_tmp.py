import json
import pytest
from django.test import Client
from trellis.accounts.services import api_token_create

@pytest.mark.django_db
def test_smoke(org):
    _, raw = api_token_create(actor=org.admin, name="t")
    c = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    for url in ["/api/v1/people", "/api/v1/people/me", f"/api/v1/people/{org.member.pk}", "/api/v1/departments",
                f"/api/v1/departments/{org.engineering.pk}", "/api/v1/communities", "/api/v1/communities/kubernetes",
                "/api/v1/communities/kubernetes/members", "/api/v1/communities/security-council/join-requests",
                "/api/v1/nope", "/api/v1/", "/api/v1/openapi.json"]:
        r = c.get(url)
        print(url, r.status_code, r.content[:300])
    r = c.post("/api/v1/people", json.dumps({"email": "x@example.com", "name": "X", "zzz": 1, "title": 5}), content_type="application/json")
    print(r.status_code, r.content)
    r = c.post("/api/v1/people", "{bad", content_type="application/json")
    print(r.status_code, r.content)
    r = c.delete("/api/v1/people")
    print(r.status_code, r.content, r.headers)
    r = Client().get("/api/v1/people")
    print(r.status_code, r.content, r.headers)
