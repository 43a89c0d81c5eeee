"""Ukrainian and Russian extraction, and documents in languages the extractor does not
handle.

tests/ingestion/articles/three_incidents_{en,uk,ru}.txt is one article written for these
tests (a shelled hospital in Izium on a stated day, a killing in Bucha in a stated month,
torture in Kupiansk) and its Ukrainian and Russian translations: place names declined
("в Ізюмі", "В Купянске"), month names in the genitive and locative ("14 березня",
"в марте"), and Russian "пытались" (tried) beside "пытали" (tortured)."""

from pathlib import Path

import pytest

from casefiles.ingestion.candidates import document_candidates
from casefiles.ingestion.extract import extract_document, extract_text

ARTICLES = Path(__file__).resolve().parent / "articles"


def candidates(name: str) -> list[tuple]:
    path = ARTICLES / name
    entry = document_candidates(extract_document(path.read_bytes(), name), name)
    return [
        (tuple(c["categories"]), tuple(c["places"]), c["date_from"], c["date_to"])
        for c in entry["candidates"]
    ]


def test_the_english_article_gives_three_incidents():
    assert candidates("three_incidents_en.txt") == [
        (("attack_on_protected_objects",), ("Izium",), "2022-03-14", "2022-03-14"),
        (("wilful_killing",), ("Bucha",), "2022-03-01", "2022-03-31"),
        (("torture",), ("Kupiansk",), "2022-09-01", "2022-09-30"),
    ]


@pytest.mark.parametrize("language", ["uk", "ru"])
def test_a_translation_gives_the_same_candidates_as_the_english(language):
    name = f"three_incidents_{language}.txt"
    document = extract_document((ARTICLES / name).read_bytes(), name)
    assert document.language == language
    assert document.not_analysed is None
    # Same categories, places (one canonical name) and dates.
    assert candidates(name) == candidates("three_incidents_en.txt")


def test_russian_tried_is_not_tortured():
    doc = extract_text(
        "Сводка\n\nВ Буче в марте 2022 года жители пытались выехать из города, "
        "но российские военные открыли огонь по колонне мирных жителей.\n"
    )
    assert [a.category for a in doc.allegations] == ["attack_on_civilians"]


def test_a_denial_in_ukrainian_is_not_an_allegation():
    doc = extract_text(
        "Заява командування\n\nКомандир бригади заявив, що його військові не "
        "розстріляли жодних цивільних у Бучі під час війни.\n"
    )
    assert doc.allegations == ()


GERMAN = (
    "Bericht aus der Ukraine\n\n"
    "Russische Soldaten haben im März 2022 in Butscha Zivilisten erschossen und "
    "gefoltert, sagten die Bewohner der Stadt. Die Staatsanwaltschaft ermittelt wegen "
    "Kriegsverbrechen, und die Leichen wurden von den Behörden untersucht. Die Armee "
    "hat die Vorwürfe nicht kommentiert, aber die Zeugen haben ihre Aussagen gemacht.\n"
)


def test_a_language_without_rules_is_flagged_not_analysed_never_silently_empty():
    doc = extract_text(GERMAN)
    assert doc.language == "de"
    assert doc.allegations == ()
    assert doc.not_analysed == "not analysed: language de"
    entry = document_candidates(doc, "bericht.txt")
    assert entry["not_analysed"] == "not analysed: language de"


def test_english_is_analysed():
    path = ARTICLES / "three_incidents_en.txt"
    assert extract_document(path.read_bytes(), path.name).not_analysed is None


@pytest.mark.django_db
def test_ingestion_stores_the_document_and_says_it_was_not_analysed(tmp_path, monkeypatch):
    from django.core.management import call_command
    from django.db import transaction

    from casefiles.models import CaseFile, Ingestion, Source

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())
    path = tmp_path / "bericht.txt"
    path.write_text(GERMAN, encoding="utf-8")
    call_command("ingest", str(path), stdout=__import__("io").StringIO())
    job = Ingestion.objects.get(filename="bericht.txt")
    assert job.status == Ingestion.INGESTED
    assert job.reason == "not analysed: language de"
    assert Source.objects.filter(filename="bericht.txt").exists()
    assert not CaseFile.objects.exists()


# One sentence per category, written for this test, in each language: the category, a
# place where one is named (declined), and the accused named in the nominative.
SENTENCES = [
    ("uk", "У Бучі окупанти розстріляли трьох цивільних біля магазину.", "wilful_killing"),
    ("ru", "В Буче оккупанты расстреляли троих мирных жителей у магазина.", "wilful_killing"),
    ("uk", "Прокурори розслідують розстріл полонених біля Бахмута.", "killing_hors_de_combat"),
    ("ru", "Прокуроры расследуют расстрел пленных возле Бахмута.", "killing_hors_de_combat"),
    ("uk", "У підвалі школи окупанти облаштували катівню для мешканців села.", "torture"),
    ("ru", "Свидетели рассказали о пытках в подвале, где военные держали жителей.", "torture"),
    ("uk", "Російські військові вивезли дітей з Херсона під час окупації.", "unlawful_deportation"),
    ("ru", "Десятки детей были вывезены военными из Херсона.", "unlawful_deportation"),
    ("uk", "Полоненому солдату окупанти відрізали вухо, розповів боєць.", "mutilation"),
    ("ru", "Пленному солдату оккупанты отрезали ухо, рассказал боец.", "mutilation"),
    ("uk", "Російська армія завдала удару по лікарні в Харкові.", "attack_on_protected_objects"),
    ("ru", "Российская армия нанесла удар по больнице в Харькове.", "attack_on_protected_objects"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("language", "sentence", "category"),
    SENTENCES,
    ids=[f"{language}-{category}" for language, _, category in SENTENCES],
)
def test_each_category_in_ukrainian_and_russian(language, sentence, category):
    heading = "Звіт" if language == "uk" else "Отчёт"
    doc = extract_text(f"{heading}\n\n{sentence}\n")
    assert doc.language == language
    assert [a.category for a in doc.allegations] == [category], sentence


def test_the_accused_is_the_party_in_the_nominative_in_both_translations():
    sides = []
    for name in ("three_incidents_en.txt", "three_incidents_uk.txt", "three_incidents_ru.txt"):
        doc = extract_document((ARTICLES / name).read_bytes(), name)
        sides.append([a.perpetrator is not None for a in doc.allegations])
        assert all("ussian" in a.perpetrator or "осі" in a.perpetrator or "осс" in a.perpetrator
                   for a in doc.allegations if a.perpetrator)  # fmt: skip
    assert sides[0] == sides[1] == sides[2] == [True, True, True]
    # Mirror: the Ukrainian side accused; the Russian prisoners (genitive) are victims.
    uk = extract_text(
        "Звіт\n\nУкраїнські військові розстріляли російських полонених біля Бахмута.\n"
    )
    ru = extract_text("Отчёт\n\nУкраинские военные расстреляли российских пленных возле Бахмута.\n")
    assert [a.perpetrator for a in uk.allegations] == ["Українські військові"]
    assert [a.perpetrator for a in ru.allegations] == ["Украинские военные"]


@pytest.mark.parametrize(
    "text",
    [
        "Право\n\nВбивство цивільних під час війни є воєнним злочином згідно з Римським "
        "статутом.\n",
        "Право\n\nУбийство мирных жителей во время войны является военным преступлением "
        "согласно Римскому статуту.\n",
    ],
    ids=["uk", "ru"],
)
def test_a_statement_of_the_law_in_ukrainian_or_russian_is_not_an_allegation(text):
    doc = extract_text(text)
    assert doc.language in ("uk", "ru")
    assert doc.allegations == ()


def test_a_ukrainian_html_page_takes_the_year_of_a_bare_month_from_its_publication_date():
    """trafilatura reads the page's date (with htmldate, original date first); "у березні"
    in a page published in January 2023 is March 2022, and says how the year was found."""
    page = (
        '<!doctype html><html lang="uk"><head><meta charset="utf-8">'
        "<title>Свідчення мешканців Ізюма</title>"
        '<meta property="article:published_time" content="2023-01-20T10:00:00+02:00">'
        "</head><body><article><h1>Свідчення мешканців Ізюма</h1>"
        "<p>Мешканці Ізюма розповіли нашим кореспондентам про події минулого року, коли "
        "місто було під окупацією.</p>"
        "<p>У березні російська артилерія обстріляла лікарню в Ізюмі, коли всередині були "
        "пацієнти, розповіли лікарі.</p>"
        "<p>Обласна прокуратура повідомила, що розслідує цей випадок.</p>"
        "</article></body></html>"
    )
    doc = extract_document(page.encode(), "svidchennia.html")
    assert (doc.language, doc.published) == ("uk", "2023-01-20")
    (attack,) = doc.allegations
    assert attack.category == "attack_on_protected_objects"
    assert [p.name for p in attack.places] == ["Izium"]
    assert (attack.time.start, attack.time.end) == ("2022-03-01", "2022-03-31")
    assert attack.time.note == "year inferred from the publication date"
