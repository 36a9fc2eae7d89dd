from django.contrib import admin

from trellis.communities.models import Community, JoinRequest, Membership


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


@admin.register(JoinRequest)
class JoinRequestAdmin(admin.ModelAdmin[JoinRequest]):
    list_display = ("community", "person", "status", "created_at")
    list_filter = ("status",)
    raw_id_fields = ("person", "decided_by")
