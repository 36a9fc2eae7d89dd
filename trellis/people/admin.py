from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from trellis.core import hooks
from trellis.people.models import Department, Person


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin[Person]):
    list_display = ("name", "email", "title", "department", "is_org_admin", "is_active")
    list_filter = ("is_org_admin", "is_active", "department")
    search_fields = ("name", "email", "title")
    raw_id_fields = ("manager",)
    exclude = ("password",)

    def save_model(self, request: HttpRequest, obj: Person, form: Any, change: bool) -> None:
        """An edit here reaches search as a profile edit does."""
        super().save_model(request, obj, form, change)
        hooks.content_changed(kind=hooks.ContentKind.PERSON, ids=[obj.pk])

    def delete_model(self, request: HttpRequest, obj: Person) -> None:
        person_id = obj.pk
        super().delete_model(request, obj)
        hooks.content_changed(kind=hooks.ContentKind.PERSON, ids=[person_id])


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin[Department]):
    list_display = ("name", "parent")
    search_fields = ("name",)
