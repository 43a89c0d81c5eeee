"""No admin path writes a read model without an event.

Every ModelAdmin registered for a casefiles model is checked, whoever is asking: add,
change and delete are either refused or (the case form) run a command that appends an
event. A new ModelAdmin is picked up here automatically."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse

from casefiles import commands, projections
from casefiles.admin.actions import ACTIONS
from casefiles.admin.cases import CaseFileAdmin, CommandRefused
from casefiles.models import CaseFile, CaseNote, Event, Ingestion
from casefiles.selectors import case_state
from tests.factories import attach, open_case

pytestmark = pytest.mark.django_db
ROLE_USERS = ("documenter", "legal", "supervisor", "auditor", "both")


def casefiles_admins() -> list[admin.ModelAdmin]:
    return [
        model_admin
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label == "casefiles"
    ]


def request_for(user):
    request = RequestFactory().post("/admin/")
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def everything() -> tuple:
    return (projections.snapshot(), Event.objects.count(), list(Ingestion.objects.values()))


@pytest.fixture
def world(actors):
    case_id = open_case(actors["documenter"])
    attach(actors["documenter"], case_id, ["NYT"])
    commands.note_add(actor=actors["documenter"], case_id=case_id, text="a note")
    commands.transition_request(
        actor=actors["documenter"], case_id=case_id, to_state="sourcing", reason="ready"
    )
    return case_id


@pytest.fixture
def everyone(users):
    superuser = User.objects.create_superuser("root", password="x")
    return {**{name: users[name] for name in ROLE_USERS}, "superuser without role": superuser}


def test_the_registry_holds_the_expected_admins():
    names = {type(model_admin).__name__ for model_admin in casefiles_admins()}
    assert {
        "CaseFileAdmin",
        "TransitionRequestAdmin",
        "EventAdmin",
        "CaseNoteAdmin",
        "SourceAdmin",
        "IngestionAdmin",
    } <= names


def test_no_delete_and_no_generic_save_anywhere(world, everyone):
    for name, user in everyone.items():
        request = request_for(user)
        for model_admin in casefiles_admins():
            model = model_admin.model
            obj = model.objects.first() or model()
            label = f"{type(model_admin).__name__} as {name}"
            assert not model_admin.has_delete_permission(request), label
            assert not model_admin.has_delete_permission(request, obj), label
            assert model_admin.get_actions(request) == {}, label
            before = everything()
            with pytest.raises(PermissionDenied):
                model_admin.delete_model(request, obj)
            with pytest.raises(PermissionDenied):
                model_admin.delete_queryset(request, model.objects.all())
            if not isinstance(model_admin, CaseFileAdmin):
                assert not model_admin.has_add_permission(request), label
                assert not model_admin.has_change_permission(request, obj), label
                with pytest.raises(PermissionDenied):
                    model_admin.save_model(request, obj, None, True)
            assert everything() == before, label


def test_only_people_who_work_cases_may_open_or_edit_them(world, everyone):
    case_admin = admin.site._registry[CaseFile]
    case = CaseFile.objects.get(pk=world)
    allowed = {
        name for name, user in everyone.items() if case_admin.has_add_permission(request_for(user))
    }
    editors = {
        name
        for name, user in everyone.items()
        if case_admin.has_change_permission(request_for(user), case)
    }
    assert allowed == editors == {"documenter", "legal", "supervisor", "both"}


def save_through_form(user, case_id, **changes):
    case_admin = admin.site._registry[CaseFile]
    request = request_for(user)
    obj = CaseFile.objects.get(pk=case_id)
    state = case_state(case_id)
    data = {
        "title": state.title,
        "summary": state.summary,
        "categories": list(state.categories),
        "places": "\n".join(state.places),
        "incident_from": state.incident_from,
        "incident_to": state.incident_to or "",
        "expected_version": state.version,
        **changes,
    }
    form = case_admin.get_form(request, obj, change=True)(data, instance=obj)
    assert form.is_valid(), form.errors
    case_admin.save_model(request, case_admin.save_form(request, form, change=True), form, True)


def test_case_save_model_appends_exactly_one_event_per_save(world, users):
    before = Event.objects.filter(case_id=world).count()
    save_through_form(users["documenter"], world, title="A clearer title")
    events = list(Event.objects.filter(case_id=world).order_by("version"))
    assert len(events) == before + 1
    assert events[-1].type == "CaseEdited"
    assert CaseFile.objects.get(pk=world).title == "A clearer title"
    # The read model is exactly what the events say.
    live = projections.snapshot()
    projections.rebuild()
    assert projections.snapshot() == live


@pytest.mark.parametrize("who", ["auditor", "superuser without role"])
def test_case_save_model_is_refused_for_people_who_do_not_work_cases(world, everyone, who):
    before = everything()
    with pytest.raises(CommandRefused):
        save_through_form(everyone[who], world, title="Changed by the wrong person")
    assert everything() == before


def test_stale_save_writes_nothing(world, users, actors):
    case_admin = admin.site._registry[CaseFile]
    request = request_for(users["documenter"])
    obj = CaseFile.objects.get(pk=world)
    form = case_admin.get_form(request, obj, change=True)(
        {
            "title": "Mine",
            "summary": "s",
            "categories": ["torture"],
            "places": "",
            "expected_version": obj.version,
        },
        instance=obj,
    )
    assert form.is_valid(), form.errors
    commands.note_add(actor=actors["documenter2"], case_id=world, text="meanwhile")
    before = everything()
    with pytest.raises(CommandRefused, match="changed since you read it"):
        case_admin.save_model(request, form.instance, form, True)
    assert everything() == before


@pytest.mark.parametrize("who", ["auditor", "superuser without role"])
def test_every_action_page_refuses_people_who_may_not_act(client, world, everyone, who):
    client.force_login(everyone[who])
    some_id = "00000000-0000-0000-0000-000000000000"
    before = everything()
    for name, action in ACTIONS.items():
        args = [
            world,
            *("sourcing" if kwarg == "to_state" else some_id for kwarg in action.url_kwargs),
        ]
        url = reverse(f"admin:casefiles_casefile_{name}", args=args)
        response = client.post(
            url,
            {"reason": "x", "text": "x", "title": "x", "button": "approve", "expected_version": 5},
        )
        assert response.status_code == 403, name
    pending = reverse("admin:casefiles_transitionrequest_pending")
    assert client.post(pending, {"reason": "x", "button": "approve"}).status_code == 403
    assert everything() == before
    assert CaseNote.objects.count() == 1
