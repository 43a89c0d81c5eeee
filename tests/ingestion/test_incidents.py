"""Incident-level candidates and allegation-vs-not, on articles written for these tests
(wording unlike the seeds', so the rules are checked for generality, not for the
seeds' phrases)."""

from pathlib import Path

from casefiles.ingestion.extract import extract_document, extract_text

ARTICLES = Path(__file__).resolve().parent / "articles"


def article(name: str):
    path = ARTICLES / name
    return extract_document(path.read_bytes(), path.name)


def all_text(allegation) -> str:
    return " ".join(s.text for s in (allegation.excerpt, *allegation.spans))


def test_figurative_and_everyday_uses_are_not_allegations():
    """'killed three bakeries', 'paperwork is torture', 'the currency was massacred',
    'shot down by parliament', 'took no prisoners' in a business and sports piece: no
    armed conflict in the passage, so no candidate."""
    assert article("no_allegation_figurative.txt").allegations == ()


def test_one_incident_per_story_and_distinct_incidents_kept_apart():
    doc = article("two_incidents_retold.txt")
    assert len(doc.allegations) == 2, [a.title for a in doc.allegations]
    farmer, minibus = doc.allegations
    assert {"torture", "wilful_killing"} <= set(farmer.categories)
    assert "cellar" in all_text(farmer) and "shot him" in all_text(farmer)
    assert "minibus" not in all_text(farmer)
    assert {"attack_on_civilians", "wilful_killing"} <= set(minibus.categories)
    assert "Four of the passengers were killed" in all_text(minibus)
    assert "farmer" not in all_text(minibus)
    assert (minibus.time.start, minibus.time.end) == ("2022-06-01", "2022-06-30")


def test_a_conflicting_fact_keeps_same_category_mentions_apart():
    text = (
        "Report from the front\n\n"
        "Soldiers shot dead two civilians in Izium in April 2022, the prosecutor said.\n\n"
        "The same unit was later accused by the regional police of having killed five "
        "civilians in Kupiansk in September 2022.\n"
    )
    doc = extract_text(text)
    killings = [a for a in doc.allegations if "wilful_killing" in a.categories]
    assert len(killings) == 2, [a.title for a in doc.allegations]


def test_denial_and_tally_rhetoric_are_not_allegations():
    text = (
        "Commander rejects the accusations\n\n"
        "The brigade's commander spoke to reporters on the front line near the river. "
        '"Do not try to make it look as if my soldiers killed civilians," he said.\n\n'
        "Thousands of killed civilians. That is what the war has brought, he added, "
        "blaming the other side's artillery.\n"
    )
    assert extract_text(text).allegations == ()


def test_the_same_act_named_in_a_war_report_is_an_allegation():
    """The control for the two tests above: an act, its victims and the war in one
    passage is a candidate."""
    text = (
        "Report from the front\n\n"
        "During the occupation, soldiers opened fire on a car carrying three civilians "
        "near the checkpoint, killing them, witnesses said.\n"
    )
    assert [a.category for a in extract_text(text).allegations] == ["attack_on_civilians"]
