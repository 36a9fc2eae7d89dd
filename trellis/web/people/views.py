"""The org directory, profiles and the org admin's people pages."""

import re
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trellis.accounts import services as account_services
from trellis.accounts.selectors import signin_locked_ids
from trellis.accounts.services import account_invitation_send, account_signin_unlock
from trellis.communities import handover
from trellis.core import access
from trellis.core.activity import activity_record
from trellis.core.errors import Invalid, NotFound, ServiceError
from trellis.core.web import AuthedRequest, add_form_errors, int_param, report_error
from trellis.expertise import selectors as expertise
from trellis.facilitation import selectors as facilitation
from trellis.people import selectors, services
from trellis.people.directory_import import people_import_csv
from trellis.people.models import Person
from trellis.web.people.forms import (
    AdminPeopleFilterForm,
    AdminPersonForm,
    DeactivateForm,
    ImportForm,
    PeopleFilterForm,
    PersonForm,
    ProfileForm,
)

UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")


def _require_admin(request: AuthedRequest) -> None:
    if not access.can_manage_people(request.user):
        raise Http404("Not found.")


def _managed_person(request: AuthedRequest, pk: int) -> Person:
    """The person an org admin acts on; anyone else is refused before any lookup."""
    if not access.can_manage_people(request.user):
        raise PermissionDenied("Only org admins manage people.")
    person = selectors.person_by_id(person_id=pk)
    if person is None:
        raise Http404("No such person.")
    return person


@require_GET
def person_directory(request: AuthedRequest) -> HttpResponse:
    form = PeopleFilterForm(request.GET or None)
    query = department = ""
    if form.is_valid():
        query, department = form.cleaned_data["q"], form.cleaned_data["department"]
    page = selectors.person_directory(
        viewer=request.user, query=query, department=department, page=int_param(request, "page")
    )
    context = {
        "nav": "people",
        "form": form,
        "page": page,
        "departments": selectors.departments_with_counts(viewer=request.user),
        "filtered": bool(query or department),
    }
    template = "people/_directory_results.html" if request.htmx else "people/directory.html"
    return render(request, template, context)


@require_GET
def person_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        profile = selectors.person_profile(viewer=request.user, person_id=pk)
    except NotFound as error:
        raise Http404(error.message) from error
    activity_record(actor=request.user, verb="person.view", obj=profile.person)
    context = {
        "nav": "people",
        "profile": profile,
        "p": profile.person,
        "can_edit_profile": access.can_edit_own_profile(request.user, profile.person),
        "can_manage_people": access.can_manage_people(request.user),
        "can_endorse": access.can_endorse(request.user, profile.person),
        # Not a permission: links to the viewer's own availability, skills and mentorships.
        "is_own_profile": access.is_self(request.user, profile.person.pk),
        "topics": expertise.person_topics(viewer=request.user, person=profile.person),
        "learned": expertise.person_learned_topics(viewer=request.user, person=profile.person),
        "availability": expertise.availability_of(profile.person),
        "facilitated": facilitation.sessions_facilitated(
            viewer=request.user, person=profile.person
        ),
    }
    return render(request, "people/detail.html", context)


@require_http_methods(["GET", "POST"])
def profile_edit(request: AuthedRequest) -> HttpResponse:
    person: Person = request.user
    initial = {
        "name": person.name,
        "location": person.location,
        "skills": ", ".join(person.skills),
        "interests": ", ".join(person.interests),
        "bio": person.bio,
        "named_in_insights": person.named_in_insights,
    }
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            changes = dict(form.cleaned_data)
            named = changes.pop("named_in_insights")
            services.person_update(actor=person, person=person, **changes)
            if named != person.named_in_insights:
                services.person_set_named_in_insights(actor=person, person=person, named=named)
        except ServiceError as error:
            add_form_errors(form, error)
        else:
            messages.success(request, "Profile saved.")
            return redirect("person-detail", pk=person.pk)
    return render(request, "people/edit.html", {"form": form, "nav": "people"})


@require_http_methods(["GET", "POST"])
def admin_people(request: AuthedRequest) -> HttpResponse:
    _require_admin(request)
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        manager_email = data.pop("manager_email")
        try:
            manager = None
            if manager_email:
                manager = selectors.person_by_email(email=manager_email.lower())
                if manager is None:
                    raise Invalid(
                        "Unknown manager.",
                        field_errors={
                            "manager_email": f"Nobody with the email {manager_email} is in the "
                            "directory yet."
                        },
                    )
            person = account_services.person_add(actor=request.user, manager=manager, **data)
        except ServiceError as error:
            add_form_errors(form, error)
        else:
            messages.success(request, f"{person.name} added to the directory.")
            return redirect("admin-people")

    filters = AdminPeopleFilterForm(request.GET)
    query, state = "", ""
    if filters.is_valid():
        query, state = filters.cleaned_data["q"], filters.cleaned_data["state"]
    page = selectors.people_for_admin(
        viewer=request.user, query=query, state=state, page=int_param(request, "page")
    )
    locked = signin_locked_ids(viewer=request.user, people=page.items)
    context = {
        "nav": "admin",
        "form": form,
        "filters": filters,
        "page": page,
        "signin_locked": locked,
        # Nobody deactivates themselves (another org admin does): no button on their own row.
        "deactivatable": {
            p.pk for p in page.items if p.is_active and not access.is_self(request.user, p.pk)
        },
        "leaderless": handover.leaderless_communities(viewer=request.user),
    }
    return render(request, "people/admin_people.html", context)


@require_http_methods(["GET", "POST"])
def admin_person_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    person = _managed_person(request, pk)
    initial = AdminPersonForm.initial_for(person)
    form = AdminPersonForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            if "manager" in changes:
                changes["manager"] = _manager_by_email(changes["manager"])
            if changes:
                services.person_update(actor=request.user, person=person, **changes)
        except ServiceError as error:
            add_form_errors(form, error)
        else:
            saved = f"{person.name}'s details saved." if changes else "Nothing to change."
            messages.success(request, saved)
            return redirect("admin-people")
    context = {"nav": "admin", "form": form, "p": person}
    return render(request, "people/admin_edit.html", context)


def _manager_by_email(email: str) -> Person | None:
    if not email:
        return None
    manager = selectors.person_by_email(email=email.strip().lower(), active_only=True)
    if manager is None:
        raise Invalid(
            "Unknown manager.",
            field_errors={"manager": f"Nobody with the email {email} works here now."},
        )
    return manager


@require_http_methods(["GET", "POST"])
def admin_person_deactivate(request: AuthedRequest, pk: int) -> HttpResponse:
    """Confirm, choosing who takes over each community the person leads, then deactivate."""
    person = _managed_person(request, pk)
    if not person.is_active:
        messages.info(request, f"{person.name} is already deactivated.")
        return redirect("admin-people")
    led = handover.communities_led_by(viewer=request.user, person=person)
    form = DeactivateForm(request.POST if request.method == "POST" else None, led=led)
    if request.method == "POST" and form.is_valid():
        try:
            successors = _successors(form.cleaned_data, led)
            done = handover.person_deactivate(
                actor=request.user, person=person, successors=successors
            )
        except ServiceError as error:
            add_form_errors(form, error)
        else:
            _report_handover(request, done)
            return redirect("admin-people")
    context = {"nav": "admin", "form": form, "p": person, "led": led}
    return render(request, "people/admin_deactivate.html", context)


def _successors(chosen: dict[str, int], led: list[handover.LedCommunity]) -> dict[int, Person]:
    successors: dict[int, Person] = {}
    for item in led:
        person_id = chosen.get(item.field_name)
        if person_id is None:
            continue
        successor = selectors.person_by_id(person_id=person_id)
        if successor is None:
            raise Invalid(
                "That person is not in the directory.",
                field_errors={item.field_name: "Choose one of the community's members."},
            )
        successors[item.community.pk] = successor
    return successors


def _report_handover(request: AuthedRequest, done: handover.Handover) -> None:
    name = done.person.name
    messages.success(
        request, f"{name} is deactivated: they can no longer sign in. What they wrote stays."
    )
    for community, successor in done.successors:
        messages.success(request, f"{successor.name} now leads {community.name}.")
    for community in done.leaderless:
        messages.warning(
            request,
            f"{community.name} has no leader now: nobody else is in it. It is listed under "
            "“Communities without a leader” until someone is appointed.",
        )


@require_http_methods(["GET", "POST"])
def admin_person_reactivate(request: AuthedRequest, pk: int) -> HttpResponse:
    person = _managed_person(request, pk)
    if request.method == "POST":
        try:
            handover.person_reactivate(actor=request.user, person=person)
        except ServiceError as error:
            report_error(request, error)
        else:
            messages.success(
                request,
                f"{person.name} can sign in again. They don't lead any community again "
                "automatically: a community's leaders can give them the role back.",
            )
        return redirect("admin-people")
    context = {"nav": "admin", "p": person}
    return render(request, "people/admin_reactivate.html", context)


@require_POST
def admin_invite(request: AuthedRequest, pk: int) -> HttpResponse:
    _require_admin(request)

    person = selectors.person_by_id(person_id=pk)
    if person is None:
        raise Http404("No such person.")
    try:
        account_invitation_send(actor=request.user, person=person)
        messages.success(request, f"Invitation emailed to {person.email}.")
    except ServiceError as error:
        report_error(request, error)
    return redirect("admin-people")


@require_POST
def admin_unlock_signin(request: AuthedRequest, pk: int) -> HttpResponse:
    """Unlock a person locked out by too many failed sign-ins, before the lock runs out."""
    _require_admin(request)

    person = selectors.person_by_id(person_id=pk)
    if person is None:
        raise Http404("No such person.")
    try:
        account_signin_unlock(actor=request.user, person=person)
        messages.success(request, f"{person.name} can sign in again.")
    except ServiceError as error:
        report_error(request, error)
    return redirect("admin-people")


def _upload_path(upload_id: str) -> Path:
    if not UPLOAD_ID.match(upload_id):
        raise Invalid("That upload has expired: choose the file again.")
    return Path(settings.DATA_DIR) / "imports" / f"{upload_id}.csv"


@require_http_methods(["GET", "POST"])
def admin_import(request: AuthedRequest) -> HttpResponse:
    """Upload → preview (a dry run) → import. The preview and the import give the same report."""
    _require_admin(request)
    form = ImportForm()
    context: dict[str, object] = {"nav": "admin", "form": form}
    if request.method == "POST":
        try:
            if "upload_id" in request.POST:
                path = _upload_path(request.POST["upload_id"])
                if not path.exists():
                    raise Invalid("That upload has expired: choose the file again.")
                report = people_import_csv(actor=request.user, data=path.read_bytes())
                path.unlink(missing_ok=True)
                context |= {"report": report, "done": True}
            else:
                upload = request.FILES.get("file")
                if upload is None:
                    raise Invalid("Choose a CSV file to import.")
                if upload.size and upload.size > settings.TRELLIS_MAX_UPLOAD_BYTES:
                    raise Invalid(
                        f"The file is {upload.size / 1e6:.1f} MB; the limit is "
                        f"{settings.TRELLIS_MAX_UPLOAD_BYTES / 1e6:.0f} MB. Split it and import "
                        "the parts."
                    )
                data = upload.read()
                report = people_import_csv(actor=request.user, data=data, dry_run=True)
                upload_id = uuid.uuid4().hex
                path = _upload_path(upload_id)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                context |= {"report": report, "upload_id": upload_id, "filename": upload.name}
        except ServiceError as error:
            context["error"] = error.message
    return render(request, "people/admin_import.html", context)
