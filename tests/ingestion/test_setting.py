"""Scene-setting, restated acts and charges tied to a named place, on wording written
for these tests (not the seeds'): an incident that states no place or time takes the
one set earlier in the article; "an order to that effect by X" is another incident;
"committed war crimes in <town>" is a candidate, "... in <country>" is not."""

from casefiles.ingestion.extract import extract_text


def test_a_later_incident_takes_the_place_and_time_set_earlier():
    text = (
        "Villagers recount the occupation\n\n"
        "In Hostomel in April 2022, occupying soldiers shot dead two civilians who were "
        "queuing for water, neighbours told investigators.\n\n"
        "Residents described how the troops spent the following weeks in the town.\n\n"
        "One woman said the soldiers detained her husband and beat him with rifle butts "
        "in a garage for three days.\n"
    )
    doc = extract_text(text)
    assert len(doc.allegations) == 2, [a.title for a in doc.allegations]
    first, later = doc.allegations
    assert [p.name for p in first.places] == ["Hostomel"]
    assert [p.name for p in later.places] == ["Hostomel"]
    # The inherited place points at where it is stated, outside the later excerpt.
    assert later.places[0].span.start < later.excerpt.start
    assert (later.time.start, later.time.end) == ("2022-04-01", "2022-04-30")
    assert "not stated in this passage" in later.time.note
    assert first.time.note == ""


def test_an_incident_with_its_own_place_and_time_keeps_them():
    text = (
        "Two villages, two attacks\n\n"
        "In Hostomel in April 2022, occupying soldiers shot dead two civilians, "
        "neighbours said.\n\n"
        "In Izium in September 2022, troops killed three civilians at a checkpoint, "
        "the police said.\n"
    )
    doc = extract_text(text)
    assert [[p.name for p in a.places] for a in doc.allegations] == [["Hostomel"], ["Izium"]]
    assert [a.time.start for a in doc.allegations] == ["2022-04-01", "2022-09-01"]


def test_an_order_to_that_effect_by_someone_else_is_another_incident():
    text = (
        "Commanders' words\n\n"
        "Several officers of the occupying army told their men that there would be "
        "no mercy for anyone caught carrying a weapon.\n\n"
        "This included an order to that effect by a colonel of the 64th brigade, read "
        "out to his soldiers in May 2023.\n"
    )
    doc = extract_text(text)
    calls = [a for a in doc.allegations if a.category == "no_quarter"]
    assert len(calls) == 2, [a.excerpt.text for a in doc.allegations]
    assert "colonel" in calls[1].excerpt.text and "colonel" not in calls[0].excerpt.text
    assert calls[1].time.start == "2023-05-01"


def test_war_crimes_charged_at_a_named_town_are_a_candidate_not_at_a_country():
    town = extract_text(
        "Prosecutors name a unit\n\n"
        "Investigators say the tank regiment committed war crimes in Irpin during the "
        "occupation of the town.\n"
    )
    assert [a.category for a in town.allegations] == ["wilful_killing"]
    assert [p.name for p in town.allegations[0].places] == ["Irpin"]
    country = extract_text(
        "Prosecutors name a unit\n\n"
        "Investigators say the tank regiment committed war crimes in Ukraine during the "
        "occupation.\n"
    )
    assert country.allegations == ()
