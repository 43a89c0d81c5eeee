"""The admin in Ukrainian: chosen by the browser's Accept-Language or the language switch,
English by default, with a complete catalogue whose compiled .mo matches the .po."""

import gettext
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from casefiles.models import Event
from tests.factories import attach, open_case

pytestmark = pytest.mark.django_db

LOCALE = Path(settings.BASE_DIR) / "casefiles" / "locale"
PO = LOCALE / "uk" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
UK = {"HTTP_ACCEPT_LANGUAGE": "uk"}


@pytest.fixture(autouse=True)
def _english_after_each_test():
    # LocaleMiddleware leaves the request's language active in the thread.
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def as_user(client, users):
    def login(name):
        client.force_login(users[name])
        return client

    return login


def case_url(case_id) -> str:
    return reverse("admin:casefiles_casefile_change", args=[case_id])


def test_index_speaks_ukrainian_to_a_ukrainian_browser(as_user, actors):
    open_case(actors["documenter"])
    index = as_user("supervisor").get(reverse("admin:index"), **UK).content.decode()
    assert '<html lang="uk"' in index
    assert "Справи: загальний огляд" in index
    assert "Запити, що чекають рішення" in index
    assert '?state__exact=intake">Приймання</a></th><td>1</td>' in index
    assert "Case files at a glance" not in index


def test_english_stays_the_default(as_user, actors):
    case_id = open_case(actors["documenter"])
    client = as_user("documenter")
    index = client.get(reverse("admin:index")).content.decode()
    assert '<html lang="en"' in index and "Case files at a glance" in index
    page = client.get(case_url(case_id)).content.decode()
    assert "State: Intake" in page and "Ask to move to Sourcing…" in page


def test_case_page_headings_and_buttons_in_ukrainian(as_user, actors):
    case_id = open_case(actors["documenter"])
    attach(actors["documenter"], case_id, ["OHCHR"])
    page = as_user("documenter").get(case_url(case_id), **UK).content.decode()
    assert "Стан: Приймання" in page
    assert "Запит на перехід у стан «Збір джерел»…" in page
    assert "Додати джерело…" in page
    assert "Історія (спершу найновіше)" in page
    assert "Історію перевірено: 2 події, ланцюг хешів цілісний." in page
    assert "Стислий опис" in page  # the form's field label
    # Event descriptions are the record's words: the same for every reader.
    assert "Opened case" in page


def test_case_list_state_column_and_filter_are_translated_and_still_filter(as_user, actors):
    open_case(actors["documenter"], title="Still in intake")
    moved = open_case(actors["documenter"], title="Moved on")
    from tests.factories import move

    move(actors["documenter"], actors["supervisor"], moved, "sourcing")
    client = as_user("documenter")
    listing = client.get(
        reverse("admin:casefiles_casefile_changelist"), {"state__exact": "sourcing"}, **UK
    )
    assert [str(case.pk) for case in listing.context["cl"].result_list] == [moved]
    html = listing.content.decode()
    assert '<td class="field-state_label">Збір джерел</td>' in html
    assert "Фільтр: стан" in html and "Перехресна перевірка" in html


def test_language_switch_sets_the_language_for_later_pages(as_user, actors):
    client = as_user("documenter")
    index = client.get(reverse("admin:index")).content.decode()
    assert f'action="{reverse("set_language")}"' in index
    assert '<option value="uk" lang="uk">Українська</option>' in index
    response = client.post(
        reverse("set_language"), {"language": "uk", "next": reverse("admin:index")}
    )
    assert response.status_code == 302 and response.url == reverse("admin:index")
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "uk"
    index = client.get(reverse("admin:index")).content.decode()  # no Accept-Language
    assert '<option value="uk" lang="uk" selected>' in index
    assert "Змінити мову" in index and "Справи: загальний огляд" in index


def test_pending_page_and_decision_buttons_in_ukrainian(as_user, actors):
    from casefiles import commands

    case_id = open_case(actors["documenter"])
    commands.transition_request(
        actor=actors["documenter"], case_id=case_id, to_state="sourcing", reason="ready"
    )
    page = (
        as_user("supervisor")
        .get(reverse("admin:casefiles_transitionrequest_pending"), **UK)
        .content.decode()
    )
    assert "<h1>Запити, що чекають рішення</h1>" in page
    assert "Приймання → Збір джерел" in page
    assert "Схвалити вибрані" in page and "Відхилити вибрані" in page
    assert ">Перехід</th>" in page


def test_messages_are_translated_but_the_recorded_event_is_not(as_user, actors):
    case_id = open_case(actors["documenter"])
    client = as_user("documenter")
    response = client.post(
        reverse("admin:casefiles_casefile_request", args=[case_id, "sourcing"]),
        {"reason": "Готово до збору джерел", "expected_version": 1, "button": "send"},
        follow=True,
        **UK,
    )
    text = response.content.decode()
    assert "Запит на перехід Приймання → Збір джерел для" in text
    event = Event.objects.filter(case_id=case_id).order_by("-version").first()
    assert event.type == "TransitionRequested"
    assert (event.payload["from_state"], event.payload["to_state"]) == ("intake", "sourcing")


def test_admin_labels_cover_every_state_and_status_in_the_domains_words():
    from casefiles.admin import labels
    from casefiles.domain import workflow
    from casefiles.models import CaseFile

    with translation.override("en"):
        assert {s: str(t) for s, t in labels.STATE_LABELS.items()} == workflow.STATE_LABELS
        assert {s: str(t) for s, t in labels.CORROBORATION_LABELS.items()} == dict(
            CaseFile.CORROBORATION_CHOICES
        )


# --- the catalogue ---------------------------------------------------------------------

ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _unquote(chunk: str) -> str:
    """A .po string (one or more quoted lines) as the text it stands for."""
    joined = "".join(re.findall(r'^"(.*)"$', chunk, re.M))
    return re.sub(r"\\(.)", lambda m: ESCAPES[m.group(1)], joined)


def po_entries(path: Path) -> list[dict]:
    """The .po's entries (header excluded): context, id, plural id, translations, flags."""
    entries = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        fields, flags, key = {}, set(), None
        for line in block.splitlines():
            if line.startswith("#,"):
                flags |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                fields[key] += line + "\n"
            else:
                key, _, rest = line.partition(" ")
                fields[key] = rest + "\n"
        entry = {k: _unquote(v) for k, v in fields.items()}
        if entry.get("msgid"):
            entries.append({"flags": flags, **entry})
    return entries


def test_every_entry_is_translated_and_none_is_fuzzy():
    entries = po_entries(PO)
    assert len(entries) > 250
    header = PO.read_text(encoding="utf-8").split("\n\n")[0]
    assert "#, fuzzy" not in header and '"Language: uk\\n"' in header
    for entry in entries:
        assert "fuzzy" not in entry["flags"], entry["msgid"]
        translations = [v for k, v in entry.items() if k.startswith("msgstr")]
        assert translations and all(t.strip() for t in translations), entry["msgid"]
        if "msgid_plural" in entry:
            assert len(translations) == 4, entry["msgid"]  # Ukrainian's four plural forms


def test_translations_keep_every_placeholder():
    placeholder = re.compile(r"%\(\w+\)[sd]|<[^>]+>|\{\{ \w+ \}\}")
    for entry in po_entries(PO):
        wanted = sorted(placeholder.findall(entry["msgid"]))
        for key, text in entry.items():
            if key.startswith("msgstr"):
                assert sorted(placeholder.findall(text)) == wanted, (entry["msgid"], text)


def test_compiled_catalogue_matches_the_po():
    """The .mo is committed (CI needs no gettext): it must say what the .po says."""
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in po_entries(PO):
        msgid = entry["msgid"]
        if "msgctxt" in entry:
            assert compiled.pgettext(entry["msgctxt"], msgid) == entry["msgstr"], msgid
        elif "msgid_plural" in entry:
            for n, form in ((1, 0), (3, 1), (5, 2)):
                assert (
                    compiled.ngettext(msgid, entry["msgid_plural"], n) == entry[f"msgstr[{form}]"]
                ), msgid
        else:
            assert compiled.gettext(msgid) == entry["msgstr"], msgid


@pytest.mark.skipif(
    shutil.which("xgettext") is None, reason="needs GNU gettext (apt-get install gettext)"
)
def test_catalogue_covers_every_marked_string(tmp_path, settings, monkeypatch):
    """Extract the strings again, in a copy of the sources and the catalogue, so the real
    one is left alone: nothing marked for translation may come out untranslated."""
    base = Path(settings.BASE_DIR)
    skip = shutil.ignore_patterns("__pycache__", "*.mo", "data")
    for folder in ("casefiles", "config"):
        shutil.copytree(base / folder, tmp_path / folder, ignore=skip)
    settings.LOCALE_PATHS = [tmp_path / "casefiles" / "locale"]
    monkeypatch.chdir(tmp_path)
    call_command("makemessages", locale=["uk"], verbosity=0)
    copy = tmp_path / PO.relative_to(base)
    untranslated = [
        e["msgid"]
        for e in po_entries(copy)
        if not all(v.strip() for k, v in e.items() if k.startswith("msgstr"))
    ]
    assert untranslated == []


def test_restriction_section_and_pending_restrictions_in_ukrainian(as_user, actors, users):
    from django.contrib.auth.models import Group

    from casefiles.commands.compartments import restriction_request

    team = Group.objects.create(name="team-kharkiv")
    users["documenter"].groups.add(team)
    case_id = open_case(actors["documenter"])
    page = as_user("documenter").get(case_url(case_id), **UK).content.decode()
    assert "Доступ не обмежено: цю справу бачать усі, хто має роль." in page
    assert "Обмежити доступ командою…" in page
    restriction_request(
        actor=actors["documenter"], case_id=case_id, team="team-kharkiv", reason="свідчення"
    )
    pending = (
        as_user("supervisor")
        .get(reverse("admin:casefiles_transitionrequest_pending"), **UK)
        .content.decode()
    )
    assert "Запити на обмеження доступу" in pending
    assert "Обмежити доступ до справи командою team-kharkiv" in pending
