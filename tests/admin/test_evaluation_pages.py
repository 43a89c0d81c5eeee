"""Sourcing, corroboration and legal review in the admin: grading, provenance,
verification, the corroboration panel, legal review, persons under protection and
splitting, each through its action page and its command; and a protected person's real
name on no page but the reveal result."""

import re

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from casefiles.commands import case_edit
from casefiles.commands.facts import fact_record
from casefiles.commands.legal import element_assess, qualification_add
from casefiles.commands.persons import person_add
from casefiles.commands.sources import source_grade
from casefiles.domain.actors import Actor
from casefiles.domain.qualifications import provisions
from casefiles.models import CaseFile, Event, ProtectedIdentity
from casefiles.selectors import case_state
from tests.factories import attach, exhibit, move, open_case

pytestmark = pytest.mark.django_db

REAL_NAME = "Oleksandra Hrytsenko"
WRITE_BUTTONS = (
    "Grade…",
    "Record provenance…",
    "Record verification…",
    "Add fact…",
    "Link a source to a fact…",
    "Add person…",
    "Split case…",
)
LEGAL_BUTTONS = ("Add qualification…", "Assess…")


def case_url(case_id) -> str:
    return reverse("admin:casefiles_casefile_change", args=[case_id])


def action_url(name: str, case_id, *args) -> str:
    return reverse(f"admin:casefiles_casefile_{name}", args=[case_id, *args])


def cleared(user: User) -> User:
    user.user_permissions.add(Permission.objects.get(codename="reveal_identity"))
    return User.objects.get(pk=user.pk)  # a fresh object: permissions are cached per object


@pytest.fixture
def as_user(client, users):
    def login(who):
        client.force_login(users[who] if isinstance(who, str) else who)
        return client

    return login


@pytest.fixture
def case_id(actors):
    """A case with a NYT source, a Business Insider relay of it and a UN source (the
    first and last with stored texts, seeds 003 and 004, so their passages can be cited)."""
    case_id = open_case(actors["documenter"])
    exhibit(actors["documenter"], case_id, "003", ["The New York Times"], title="NYT recordings")
    attach(actors["documenter"], case_id, ["The New York Times"], title="BI relay")
    exhibit(actors["documenter"], case_id, "004", ["HRMMU"], title="UN report")
    return case_id


def source_id(case_id, title: str) -> str:
    return next(s.source_id for s in case_state(case_id).sources if s.title == title)


def last_event(case_id) -> Event:
    return Event.objects.filter(case_id=case_id).order_by("-version").first()


def page(client, case_id) -> str:
    response = client.get(case_url(case_id))
    assert response.status_code == 200
    return response.content.decode()


def post(client, url: str, data: dict, case_id) -> object:
    return client.post(url, {"expected_version": case_state(case_id).version, **data})


# --- each action page drives its command, and the case page shows the result ------------


def test_grade_page_grades_and_regrading_keeps_the_history(as_user, case_id):
    client = as_user("documenter")
    url = action_url("grade", case_id, source_id(case_id, "NYT recordings"))
    response = post(
        client,
        url,
        {"reliability": "B", "credibility": "2", "reason": "Long record of accurate reporting"},
        case_id,
    )
    assert response.status_code == 302
    event = last_event(case_id)
    assert (event.type, event.payload["reliability"], event.payload["credibility"]) == (
        "SourceGraded",
        "B",
        "2",
    )
    text = page(client, case_id)
    assert "B2 — usually reliable / probably true" in text
    assert "graded by dora" in text and "Long record of accurate reporting" in text

    # The form starts from the current grade; a regrade replaces it, both stay as events.
    assert re.search(r'value="B"[^>]* checked', client.get(url).content.decode())
    post(client, url, {"reliability": "A", "credibility": "1", "reason": "Confirmed"}, case_id)
    text = page(client, case_id)
    assert "A1 — completely reliable / confirmed by other sources" in text
    assert "B2 — usually reliable" not in text.split('id="casefiles-timeline"')[0]
    grades = Event.objects.filter(case_id=case_id, type="SourceGraded").order_by("version")
    assert [e.payload["reliability"] for e in grades] == ["B", "A"]


def test_grade_page_shows_the_commands_refusal(as_user, case_id):
    client = as_user("documenter")
    url = action_url("grade", case_id, source_id(case_id, "NYT recordings"))
    response = post(
        client,
        url,
        {"reliability": "B", "credibility": "2", "reason": "x", "expected_version": 1},
        case_id,
    )
    assert response.status_code == 200
    assert "changed since you read it" in response.content.decode()
    assert not Event.objects.filter(type="SourceGraded").exists()


def test_grade_page_for_a_source_of_another_case_says_so(as_user, case_id, actors):
    other = open_case(actors["documenter"])
    response = as_user("documenter").get(
        action_url("grade", other, source_id(case_id, "UN report")), follow=True
    )
    assert "has no source" in response.content.decode()


def test_provenance_page_records_the_chain_and_changes_corroboration(as_user, case_id):
    client = as_user("documenter")
    un = source_id(case_id, "UN report")
    url = action_url("provenance", case_id, un)
    response = post(
        client,
        url,
        {
            "role_0": "captured",
            "organisation_0": "Ukrainian police",
            "role_1": "relayed",
            "organisation_1": "HRMMU",
        },
        case_id,
    )
    assert response.status_code == 302
    assert last_event(case_id).payload["chain"] == [
        {"role": "captured", "organisation": "Ukrainian police"},
        {"role": "relayed", "organisation": "HRMMU"},
    ]
    text = page(client, case_id)
    assert "captured by Ukrainian police → relayed by HRMMU" in text
    # The form starts from the recorded chain (saving replaces it).
    assert 'value="Ukrainian police"' in client.get(url).content.decode()


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ({"organisation_0": "NYT"}, "Row 1 needs both a role and an organisation."),
        ({"role_0": "relayed", "organisation_0": "Business Insider"}, "the chain names no origin"),
    ],
)
def test_provenance_page_refuses_incomplete_chains(as_user, case_id, rows, message):
    client = as_user("documenter")
    url = action_url("provenance", case_id, source_id(case_id, "BI relay"))
    before = case_state(case_id).version
    response = post(client, url, rows, case_id)
    assert response.status_code == 200 and message in response.content.decode()
    assert case_state(case_id).version == before


def test_verification_page_records_a_step(as_user, case_id):
    client = as_user("supervisor")
    url = action_url("verification", case_id, source_id(case_id, "NYT recordings"))
    response = post(
        client,
        url,
        {
            "method": "audio_authentication",
            "result": "confirmed",
            "notes": "Voices matched known recordings",
        },
        case_id,
    )
    assert response.status_code == 302
    assert last_event(case_id).payload["method"] == "audio_authentication"
    text = page(client, case_id)
    assert "audio authentication: <strong>confirmed</strong> (sam," in text
    assert "Voices matched known recordings" in text


def test_facts_and_support_drive_the_corroboration_panel(as_user, case_id):
    client = as_user("documenter")
    text = page(client, case_id)
    assert "No fact is recorded yet: one row per source excerpt." in text
    assert "Link a source to a fact…" not in text  # nothing to link to yet

    fact = "Two captured soldiers were shot near Bakhmut"
    assert post(client, action_url("fact", case_id), {"text": fact}, case_id).status_code == 302
    fact_id = case_state(case_id).facts[0]["fact_id"]
    panel = page(client, case_id).split('id="casefiles-corroboration"')[1].split("</table>")[0]
    assert fact in panel and "uncorroborated" in panel

    support = action_url("support", case_id)
    nyt_quote = "showed the Ukrainian prisoners executed near the village of Novoivanovka"
    response = post(
        client,
        support,
        {"fact": fact_id, "source": source_id(case_id, "NYT recordings"), "quote": nyt_quote},
        case_id,
    )
    assert response.status_code == 302
    panel = page(client, case_id).split('id="casefiles-corroboration"')[1].split("</table>")[0]
    assert "single origin" in panel and nyt_quote in panel

    # A quote the source does not hold is refused with its nearest passage.
    response = post(
        client,
        support,
        {
            "fact": fact_id,
            "source": source_id(case_id, "UN report"),
            "quote": "The UN confirmed the Novoivanovka killings.",
        },
        case_id,
    )
    assert response.status_code == 200
    assert "not in the source&#x27;s stored text" in response.content.decode()
    assert "the nearest passage is" in response.content.decode()
    # A source attached by reference has no text to quote.
    response = post(
        client,
        support,
        {"fact": fact_id, "source": source_id(case_id, "BI relay"), "quote": "…"},
        case_id,
    )
    assert "has no stored text to quote from" in response.content.decode()

    post(
        client,
        support,
        {
            "fact": fact_id,
            "source": source_id(case_id, "UN report"),
            "quote": "shot dead on the spot",
        },
        case_id,
    )
    panel = page(client, case_id).split('id="casefiles-corroboration"')[1].split("</table>")[0]
    assert "corroborated by 2 independent origins" in panel

    response = post(
        client,
        support,
        {
            "fact": fact_id,
            "source": source_id(case_id, "UN report"),
            "quote": "shot dead on the spot",
        },
        case_id,
    )
    assert "this span already supports that fact" in response.content.decode()


def test_conflict_and_liability_through_their_pages(as_user, case_id, users, actors):
    doc = actors["documenter"]
    person_add(actor=doc, case_id=case_id, role="alleged_perpetrator", name="Col. Hrabar")
    fact_id = (
        fact_record(actor=doc, case_id=case_id, text="The 64th brigade held the village")
        .events[0]
        .payload["fact_id"]
    )
    client = as_user("legal")
    text = page(client, case_id)
    assert "Armed conflict:</strong> not classified" in text
    conflict = action_url("conflict", case_id)
    response = post(client, conflict, {"classification": "international", "reason": " "}, case_id)
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    response = post(
        client, conflict, {"classification": "international", "reason": "two States"}, case_id
    )
    assert response.status_code == 302
    assert "an international armed conflict — two States (lena)" in page(client, case_id)
    before = case_state(case_id).version
    response = post(client, action_url("qualification", case_id), {"code": "murder_niac"}, case_id)
    assert "is a war crime in a non-international armed conflict, but this case" in (
        response.content.decode()
    )
    assert case_state(case_id).version == before
    post(client, action_url("qualification", case_id), {"code": "wilful_killing"}, case_id)
    state = case_state(case_id)
    qualification_id = state.qualifications[0]["qualification_id"]
    perpetrator = state.persons[0]["person_id"]
    assert "Allege a mode of liability…" in page(client, case_id)
    response = post(
        client,
        action_url("liability", case_id),
        {"person": perpetrator, "mode": "military_commander", "qualification": qualification_id},
        case_id,
    )
    assert response.status_code == 302
    liability_id = case_state(case_id).liabilities[0]["liability_id"]
    assess = action_url("liability_assess", case_id, liability_id)
    assert "The person was a military commander" in client.get(assess).content.decode()
    response = post(
        client,
        assess,
        {
            "element": "effective_control",
            "finding": "met",
            "standard": "balance_of_probabilities",
            "facts": [fact_id],
        },
        case_id,
    )
    assert response.status_code == 302
    text = page(client, case_id)
    assert "Col. Hrabar: Responsibility of a military commander (art. 28(a))" in text
    assert "balance of probabilities" in text and "The 64th brigade held the village" in text
    # Reclassifying contradicts the qualification: recorded, and it no longer counts.
    post(client, conflict, {"classification": "non_international", "reason": "NSAG"}, case_id)
    assert "Does not count:" in page(client, case_id)
    for who in ("documenter", "supervisor", "auditor"):
        other = as_user(who)
        assert "Classify the conflict…" not in page(other, case_id)
        assert other.get(conflict).status_code == 403
        assert other.get(assess).status_code == 403


def test_legal_review_checklist_through_its_pages(as_user, case_id, users):
    client = as_user("legal")
    assert "Add qualification…" in page(client, case_id)
    response = post(
        client, action_url("qualification", case_id), {"code": "wilful_killing"}, case_id
    )
    assert response.status_code == 302
    qualification = case_state(case_id).qualifications[0]
    elements = provisions()["wilful_killing"]["elements"]
    text = page(client, case_id)
    assert "art. 8(2)(a)(i) War crime of wilful killing" in text
    assert text.count("<strong>not assessed</strong>") == len(elements)
    assert "Cannot be closed as substantiated yet" in text
    # Once added, the provision is not offered again.
    form = client.get(action_url("qualification", case_id)).content.decode()
    assert 'value="wilful_killing"' not in form

    assess = action_url("assess", case_id, qualification["qualification_id"])
    first = elements[0]["id"]
    assert re.search(
        rf'value="{first}"[^>]* selected', client.get(assess, {"element": first}).content.decode()
    )
    assert re.search(
        r'value="reasonable_grounds"[^>]* checked', client.get(assess).content.decode()
    )
    found = {"element": first, "finding": "met", "standard": "reasonable_grounds"}
    response = post(client, assess, found, case_id)
    assert "must cite at least one fact recorded in the case" in response.content.decode()
    fact_id = (
        fact_record(
            actor=Actor.for_user(users["documenter"]),
            case_id=case_id,
            text="The prisoners were shot after they surrendered",
        )
        .events[0]
        .payload["fact_id"]
    )
    response = post(client, assess, {**found, "standard": "hunch", "facts": [fact_id]}, case_id)
    assert "Select a valid choice. hunch is not one of the available choices." in (
        response.content.decode()
    )
    for element in elements:
        response = post(
            client,
            assess,
            {**found, "element": element["id"], "facts": [fact_id], "note": "see recording"},
            case_id,
        )
        assert response.status_code == 302
    text = page(client, case_id)
    assert "every element met" in text and "may be closed as substantiated" in text
    assert text.count("☑") == len(elements) and "see recording" in text
    assert "reasonable grounds to believe" in text
    assert "The prisoners were shot after they surrendered" in text
    assert last_event(case_id).actor["username"] == "lena"

    # Legal review is for legal reviewers: the others get neither buttons nor pages.
    for who in ("documenter", "supervisor"):
        client = as_user(who)
        text = page(client, case_id)
        assert not any(button in text for button in LEGAL_BUTTONS), who
        assert client.get(action_url("qualification", case_id)).status_code == 403
        assert client.get(assess).status_code == 403


def test_split_page_opens_a_case_and_both_refer_to_each_other(as_user, case_id):
    client = as_user("documenter")
    un = source_id(case_id, "UN report")
    response = post(
        client,
        action_url("split", case_id),
        {"sources": [un], "title": "Second incident", "reason": "other date"},
        case_id,
    )
    assert response.status_code == 302
    new = CaseFile.objects.get(title="Second incident")
    assert [s.title for s in case_state(new.pk).sources] == ["UN report"]
    text = page(client, case_id)
    assert f'href="{case_url(new.pk)}">{new.reference}</a>' in text and "Split off" in text
    original = CaseFile.objects.get(pk=case_id).reference
    assert f'href="{case_url(case_id)}">{original}</a>' in page(client, new.pk)


def test_split_needs_a_source(as_user, case_id):
    response = post(
        as_user("documenter"),
        action_url("split", case_id),
        {"title": "Second incident", "reason": "x"},
        case_id,
    )
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert not CaseFile.objects.filter(title="Second incident").exists()


# --- buttons only for roles the command accepts ---------------------------------------


@pytest.mark.parametrize(
    ("who", "write", "legal"),
    [
        ("documenter", True, False),
        ("supervisor", True, False),
        ("legal", True, True),
        ("auditor", False, False),
    ],
)
def test_buttons_follow_the_commands_roles(as_user, case_id, actors, who, write, legal):
    fact_record(actor=actors["documenter"], case_id=case_id, text="A fact")
    qualification_add(actor=actors["legal"], case_id=case_id, code="torture")
    person_add(
        actor=actors["documenter"], case_id=case_id, role="witness", name=REAL_NAME, protected=True
    )
    text = page(as_user(who), case_id)
    assert all((button in text) == write for button in WRITE_BUTTONS), who
    assert all((button in text) == legal for button in LEGAL_BUTTONS), who
    assert "Show identity…" not in text  # nobody here is cleared
    assert "Witness 1" in text


def test_auditor_reads_every_section_and_has_no_write_button(as_user, case_id, actors, users):
    nyt = source_id(case_id, "NYT recordings")
    source_grade(
        actor=actors["documenter"],
        case_id=case_id,
        source_id=nyt,
        reliability="C",
        credibility="3",
        reason="Unconfirmed",
    )
    qualification = (
        qualification_add(actor=actors["legal"], case_id=case_id, code="wilful_killing")
        .events[0]
        .payload
    )
    element_assess(
        actor=actors["legal"],
        case_id=case_id,
        qualification_id=qualification["qualification_id"],
        element="killed",
        finding="insufficient",
        note="one recording only",
    )
    for user in (users["auditor"], cleared(users["auditor"])):
        client = as_user(user)
        text = page(client, case_id)
        assert "C3 — fairly reliable / possibly true" in text
        assert "insufficient information" in text and "one recording only" in text
        assert not any(button in text for button in (*WRITE_BUTTONS, *LEGAL_BUTTONS))
        assert "<textarea" not in text and 'name="_save"' not in text


def test_a_closed_case_offers_no_evaluation_buttons(as_user, case_id, actors):
    for to_state in ("sourcing", "corroboration", "legal_review"):
        move(actors["documenter"], actors["supervisor"], case_id, to_state)
    case_edit(
        actor=actors["legal"],
        case_id=case_id,
        outcome="referred",
        legal_qualification="Referred to the national prosecutor",
    )
    move(actors["legal"], actors["supervisor"], case_id, "closed")
    for who in ("documenter", "legal"):
        text = page(as_user(who), case_id)
        assert not any(button in text for button in (*WRITE_BUTTONS, *LEGAL_BUTTONS)), who


# --- protected persons ----------------------------------------------------------------


@pytest.fixture
def protected(case_id, actors):
    outcome = person_add(
        actor=actors["documenter"],
        case_id=case_id,
        role="witness",
        name=REAL_NAME,
        pseudonym="Witness K",
        protected=True,
    )
    person_add(
        actor=actors["documenter"],
        case_id=case_id,
        role="alleged_perpetrator",
        name="Unit 4321",
        protected=False,
    )
    return outcome.events[0].payload["person_id"]


def pages_that_could_show_a_name(client, case_id) -> dict[str, str]:
    events = Event.objects.filter(case_id=case_id)
    urls = {
        "case page": case_url(case_id),
        "case list": reverse("admin:casefiles_casefile_changelist"),
        "case list searched by the name": reverse("admin:casefiles_casefile_changelist")
        + "?q=Hrytsenko",
        "admin history": reverse("admin:casefiles_casefile_history", args=[case_id]),
        "event log": reverse("admin:casefiles_event_changelist") + f"?q={case_id}",
        **{
            f"event {e.version}": reverse("admin:casefiles_event_change", args=[e.pk])
            for e in events
        },
        "notes": reverse("admin:casefiles_casenote_changelist"),
    }
    pages = {}
    for label, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, label
        pages[label] = response.content.decode()
        if label == "case list searched by the name":
            assert response.context["cl"].result_count == 0
    return pages


@pytest.mark.parametrize("who", ["documenter", "supervisor", "legal", "auditor", "both"])
def test_protected_name_is_on_no_page_for_users_without_clearance(as_user, case_id, protected, who):
    client = as_user(who)
    pages = pages_that_could_show_a_name(client, case_id)
    for label, text in pages.items():
        assert REAL_NAME not in text, (who, label)
    assert "Witness K" in pages["case page"] and "Unit 4321" in pages["case page"]
    assert "Show identity…" not in pages["case page"]
    # Nor by typing the address: the page is refused, nothing recorded.
    reveal = action_url("reveal", case_id, protected)
    assert client.get(reveal).status_code == 403
    assert client.post(reveal, {"reason": "curious"}).status_code == 403
    assert not Event.objects.filter(type="IdentityRevealed").exists()


@pytest.mark.parametrize("who", ["documenter", "auditor"])
def test_cleared_user_sees_the_name_once_and_the_look_is_recorded(
    as_user, case_id, protected, users, who
):
    user = cleared(users[who])
    client = as_user(user)
    pages = pages_that_could_show_a_name(client, case_id)
    assert not any(REAL_NAME in text for text in pages.values())
    assert "Show identity…" in pages["case page"]

    reveal = action_url("reveal", case_id, protected)
    form = client.get(reveal).content.decode()
    assert "Witness K" in form and REAL_NAME not in form
    response = client.post(
        reveal, {"reason": "Preparing the witness statement", "button": "reveal"}
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert f"<strong>{REAL_NAME}</strong>" in text and text.count(REAL_NAME) == 1
    assert "no-store" in response["Cache-Control"]
    event = last_event(case_id)
    assert event.type == "IdentityRevealed"
    assert event.payload == {"person_id": protected, "reason": "Preparing the witness statement"}
    assert event.actor["username"] == user.username
    assert event.actor["role"] == ("auditor" if who == "auditor" else "documenter")

    # Never kept anywhere the next request could find it.
    session = client.session
    assert all(REAL_NAME not in str(session[key]) for key in session.keys())
    assert all(REAL_NAME not in morsel.value for morsel in client.cookies.values())
    pages = pages_that_could_show_a_name(client, case_id)
    assert not any(REAL_NAME in text for text in pages.values())
    assert (
        "Viewed the real identity of a protected person: Preparing the witness statement"
        in pages["case page"]
    )


def test_reveal_needs_a_reason(as_user, case_id, protected, users):
    client = as_user(cleared(users["documenter"]))
    response = client.post(action_url("reveal", case_id, protected), {"reason": ""})
    assert response.status_code == 200 and REAL_NAME not in response.content.decode()
    assert not Event.objects.filter(type="IdentityRevealed").exists()


def test_person_page_keeps_the_name_out_of_history_and_messages(as_user, case_id):
    client = as_user("documenter")
    response = post(
        client,
        action_url("person", case_id),
        {"role": "victim", "name": REAL_NAME, "protected": "on"},
        case_id,
    )
    assert response.status_code == 302
    event = last_event(case_id)
    assert event.type == "PersonAdded" and event.payload["name"] is None
    assert REAL_NAME not in str(event.payload)
    assert ProtectedIdentity.objects.get(person_id=event.payload["person_id"]).name == REAL_NAME
    followed = client.get(response["Location"]).content.decode()
    assert "Protected victim added as “Victim 1”." in followed and REAL_NAME not in followed

    post(
        client,
        action_url("person", case_id),
        {"role": "alleged_perpetrator", "name": "Colonel X", "pseudonym": ""},
        case_id,
    )
    text = page(client, case_id)
    assert "Colonel X" in text  # an unprotected person's name is shown


def test_a_cleared_supervisor_and_legal_reviewer_may_look_too(as_user, case_id, protected, users):
    for who in ("supervisor", "legal"):
        client = as_user(cleared(users[who]))
        response = client.post(action_url("reveal", case_id, protected), {"reason": who})
        assert REAL_NAME in response.content.decode(), who
    revealed = Event.objects.filter(type="IdentityRevealed").order_by("version")
    assert [e.actor["role"] for e in revealed] == ["supervisor", "legal_reviewer"]
