"""The case page's action URLs come from the one list of actions (admin/actions.py)."""

from dataclasses import replace

from django.contrib import admin
from django.urls import reverse

from casefiles.admin import actions, cases
from casefiles.models import CaseFile


def _names(admin_class) -> dict[str, str]:
    urls = admin_class(CaseFile, admin.site).get_urls()
    return {url.name: str(url.pattern) for url in urls if url.name}


def test_every_action_has_its_url_with_its_arguments():
    names = _names(cases.CaseFileAdmin)
    for action in actions.ACTIONS.values():
        pattern = names[f"casefiles_casefile_{action.name}"]
        assert pattern == cases.action_path(action)
        kwargs = {"object_id": "c", **{name: "x" for name in action.url_kwargs}}
        assert reverse(f"admin:casefiles_casefile_{action.name}", kwargs=kwargs).endswith(
            "/".join([action.name, *("x" for _ in action.url_kwargs)]) + "/"
        )


def test_a_new_action_gets_its_url_without_another_list(monkeypatch):
    """Declaring an action is enough: no URL list elsewhere to keep in step."""
    new = replace(actions.ACTIONS["note"], name="interview", url_kwargs=("person_id",))
    monkeypatch.setitem(actions.ACTIONS, "interview", new)
    names = _names(cases.CaseFileAdmin)
    assert names["casefiles_casefile_interview"] == "<path:object_id>/interview/<str:person_id>/"
