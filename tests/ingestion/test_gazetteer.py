"""The gazetteer: GeoNames' settlements of Ukraine and Russia (casefiles/data/
geonames_ua_ru.json.gz, CC BY 4.0) beside the curated list, in English, Ukrainian and
Russian text, declined; and the names it must not take for places."""

import gzip
import json

from casefiles.ingestion.extract import extract_text
from casefiles.ingestion.gazetteer import find_places
from casefiles.ingestion.resources import DATA_DIR


def places(text: str) -> list[str]:
    return [p.name for p in find_places(text, 0, len(text))]


def test_the_shipped_data_set_covers_villages_of_both_countries_with_its_licence():
    data = json.loads(gzip.decompress((DATA_DIR / "geonames_ua_ru.json.gz").read_bytes()))
    countries = [row[4] for row in data["places"]]
    assert countries.count("UA") > 5000 and countries.count("RU") > 5000
    assert "CC BY 4.0" in data["_source"]
    assert "CC BY 4.0" in (DATA_DIR / "GEONAMES-LICENSE.md").read_text(encoding="utf-8")


def test_a_village_outside_the_curated_list_is_found_in_three_languages():
    assert places("Soldiers detained the village head in Lukashivka.") == ["Lukashivka"]
    # Ukrainian locative with the consonant alternation (-ка -> -ці), Russian locative.
    assert places("Військові затримали старосту у Лукашівці.") == ["Lukashivka"]
    assert places("Военные задержали старосту в Лукашовке.") == ["Lukashivka"]
    assert places("The bodies were found near Motyzhyn.") == ["Motyzhyn"]
    assert places("Тіла знайшли біля Мотижина.") == ["Motyzhyn"]


def test_names_that_are_people_units_or_words_are_not_places():
    assert places("President Vladimir Putin said the troops would stay.") == []
    assert places("Ukraine's Azov brigade posted a video.") == []
    assert places("Human Rights Watch published the report.") == []
    assert places("Anna told the reporters what she saw.") == []
    assert places("The New York Times verified the footage.") == []


def test_a_candidate_gets_the_village_and_its_coordinates():
    doc = extract_text(
        "Report\n\nIn Motyzhyn in March 2022, occupying soldiers shot dead two civilians "
        "outside the village council, residents said.\n"
    )
    (allegation,) = doc.allegations
    (place,) = allegation.places
    assert (place.name, place.country, place.lat, place.lon) == (
        "Motyzhyn",
        "UA",
        "50.3878",
        "29.9236",
    )
