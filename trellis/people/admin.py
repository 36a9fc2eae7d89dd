from django.contrib import admin

from trellis.people.models import Department, Person


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin[Person]):
    list_display = ("name", "email", "title", "department", "is_org_admin", "is_active")
    list_filter = ("is_org_admin", "is_active", "department")
    search_fields = ("name", "email", "title")
    raw_id_fields = ("manager",)
    exclude = ("password",)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin[Department]):
    list_display = ("name", "parent")
    search_fields = ("name",)
