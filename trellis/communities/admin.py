from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from trellis.communities.models import Community, JoinRequest, Membership
from trellis.core import hooks


class MembershipInline(admin.TabularInline[Membership, Community]):
    model = Membership
    raw_id_fields = ("person",)
    extra = 0


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin[Community]):
    list_display = ("name", "slug", "visibility", "status")
    list_filter = ("visibility", "status")
    search_fields = ("name", "domain")
    inlines = (MembershipInline,)

    def save_model(self, request: HttpRequest, obj: Community, form: Any, change: bool) -> None:
        """An edit here reaches search as a settings change does."""
        super().save_model(request, obj, form, change)
        hooks.content_changed(kind=hooks.ContentKind.COMMUNITY, ids=[obj.pk])

    def delete_model(self, request: HttpRequest, obj: Community) -> None:
        community_id = obj.pk
        super().delete_model(request, obj)
        hooks.content_changed(kind=hooks.ContentKind.COMMUNITY, ids=[community_id])


@admin.register(JoinRequest)
class JoinRequestAdmin(admin.ModelAdmin[JoinRequest]):
    list_display = ("community", "person", "status", "created_at")
    list_filter = ("status",)
    raw_id_fields = ("person", "decided_by")
