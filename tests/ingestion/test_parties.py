"""Neutral perpetrator detection: the same sentence with the parties swapped gives the
swapped perpetrator. The pairs are generated from templates written for this test
(active and passive voice, the victim named first or last, units, the state itself)."""

import itertools
import re

from casefiles.ingestion.extract import extract_text

PARTIES = {
    "russia": {"adj": "Russian", "state": "Russia"},
    "ukraine": {"adj": "Ukrainian", "state": "Ukraine"},
}
TEMPLATES = (
    "{A} soldiers executed a captured {B} soldier near {place} in May 2023, a video shows.",
    "According to prosecutors, {A} troops shot dead three {B} prisoners of war near {place}.",
    "A {B} prisoner of war was killed by {A} forces near {place}, witnesses said.",
    "{A} servicemen tortured detained {B} soldiers in a basement in {place}, "
    "the soldiers said after their release.",
    "Video verified by reporters shows {A} soldiers executing {B} soldiers who had "
    "surrendered near {place}.",
    "Investigators say {A} paratroopers beat {B} prisoners of war at a camp near {place}.",
    "Two wounded {B} soldiers were shot on the spot by {A} marines near {place}, a survivor said.",
    "The ombudsman said {stateA} executed {B} prisoners of war near {place} last winter.",
)
PLACES = ("Bakhmut", "Kursk", "Avdiivka", "Belgorod", "Vovchansk", "Sudzha")


def side(perpetrator: str | None) -> str | None:
    # The scorer's reading of a perpetrator string (../shared/extraction).
    if perpetrator is None:
        return None
    if re.search(r"ukrain|kyiv|azov", perpetrator, re.I):
        return "ukraine"
    if re.search(r"russi|kremlin|wagner", perpetrator, re.I):
        return "russia"
    return None


def perpetrator_side(template: str, a: str, b: str, place: str) -> str | None:
    sentence = template.format(
        A=PARTIES[a]["adj"], B=PARTIES[b]["adj"], stateA=PARTIES[a]["state"], place=place
    )
    document = extract_text("Report from the front\n\n" + sentence + "\n")
    found = [x.perpetrator for x in document.allegations]
    return side(found[0]) if found else None


def test_mirror_pairs_name_the_accused_party_on_both_sides():
    pairs = list(itertools.product(TEMPLATES, PLACES))
    right = 0
    failures = []
    for template, place in pairs:
        forward = perpetrator_side(template, "russia", "ukraine", place)
        mirrored = perpetrator_side(template, "ukraine", "russia", place)
        if (forward, mirrored) == ("russia", "ukraine"):
            right += 1
        else:
            failures.append((template, place, forward, mirrored))
    assert right / len(pairs) >= 0.95, failures[:5]


def test_no_pair_is_read_as_the_victim_party():
    """The worse error: naming the victims' side as the perpetrator."""
    for template in TEMPLATES:
        for a, b in (("russia", "ukraine"), ("ukraine", "russia")):
            assert perpetrator_side(template, a, b, "Bakhmut") != b, template
