import pytest

from casefiles import blobs, commands
from casefiles.commands.sources import source_grade
from tests.factories import attach, move, open_case

ORIGINAL_A = "Свідок: «Вони стріляли в цивільних». \r\n<b>raw bytes</b>\n".encode()
ORIGINAL_B = b"\x00\x01binary original\xff"
HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'


@pytest.fixture(autouse=True)
def _signing_key(settings, tmp_path):
    settings.CASEFILES_SIGNING_KEY = tmp_path / "signing" / "ed25519.key"


@pytest.fixture
def case_id(actors):
    """A case driven through real commands to legal review: sources with stored
    originals (and one without), an assignment, untrusted text, a rejected request."""
    documenter, supervisor = actors["documenter"], actors["supervisor"]
    case_id = open_case(
        documenter, title=f"Shelling of Irpin {HOSTILE}", places=["Ірпінь", "Bucha"]
    )
    witness = (
        attach(
            documenter,
            case_id,
            ["Kyiv Independent"],
            title="Witness statement",
            content_sha256=blobs.put(ORIGINAL_A),
        )
        .events[0]
        .payload["source_id"]
    )
    attach(
        documenter,
        case_id,
        ["Human Rights Watch", "AP"],
        title="Field report",
        content_sha256=blobs.put(ORIGINAL_B),
        url="javascript:alert(1)",
    )
    attach(documenter, case_id, ["BBC"], title="Broadcast without a stored original")
    commands.note_add(actor=documenter, case_id=case_id, text=HOSTILE)
    source_grade(
        actor=documenter,
        case_id=case_id,
        source_id=witness,
        reliability="C",
        credibility="3",
        reason="first look",
    )
    source_grade(
        actor=documenter,
        case_id=case_id,
        source_id=witness,
        reliability="B",
        credibility="2",
        reason="statement matches the imagery",
    )
    commands.case_assign(actor=supervisor, case_id=case_id, assignee=documenter.user_id)
    move(documenter, supervisor, case_id, "sourcing")
    request = commands.transition_request(
        actor=documenter, case_id=case_id, to_state="corroboration", reason="first try"
    )
    commands.transition_reject(
        actor=actors["supervisor2"],
        request_id=request.events[0].payload["request_id"],
        reason="check the dates",
    )
    move(documenter, supervisor, case_id, "corroboration")
    move(documenter, supervisor, case_id, "legal_review")
    return case_id
