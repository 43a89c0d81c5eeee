"""Document language by a small deterministic heuristic.

Why not a library: langdetect is randomised unless seeded and ships large profiles;
fastText/lingua need model files. Our documents are long news texts in a handful of
languages, where function-word counts (and, for Cyrillic, letters unique to Ukrainian
or Russian) are decisive. Returns None rather than guessing on thin evidence.
"""

from __future__ import annotations

import re

_STOPWORDS = {
    "en": "the and of to in is was that for with on as by he it at from this are were "
    "have has had but not they his her their which who said".split(),
    "de": "der die das und ist nicht mit von den dem sich auf für ein eine wurde sind "
    "auch als bei nach".split(),
    "fr": "le la les et des est une pas dans que qui pour sur par avec sont ont été "
    "du au aux".split(),
    "es": "el la los las y de que en un una es por con para del se fue son como pero sus".split(),
    "pl": "i w nie na się że z do jest to jak po przez które był była oraz".split(),
    "uk": "і в на не що з у до та це як за від було його її вони але який".split(),
    "ru": "и в на не что с у до это как за от было его её они но который".split(),
}
_UK_ONLY = set("іїєґІЇЄҐ")
_RU_ONLY = set("ыэъёЫЭЪЁ")
_WORD = re.compile(r"[^\W\d_]+")


def detect_language(text: str) -> str | None:
    words = [w.lower() for w in _WORD.findall(text[:20000])]
    if len(words) < 5:
        return None
    counts = {}
    for lang, stop in _STOPWORDS.items():
        stopset = set(stop)
        counts[lang] = sum(1 for w in words if w in stopset)
    cyrillic = sum(1 for w in words if "\u0400" <= w[0] <= "\u04ff")
    if cyrillic * 2 > len(words):
        uk = sum(text.count(ch) for ch in _UK_ONLY)
        ru = sum(text.count(ch) for ch in _RU_ONLY)
        if uk > ru:
            return "uk"
        if ru > uk:
            return "ru"
        return (
            "uk"
            if counts["uk"] >= counts["ru"] and counts["uk"]
            else ("ru" if counts["ru"] else None)
        )
    latin = {k: v for k, v in counts.items() if k not in {"uk", "ru"}}
    best = max(latin, key=lambda k: (latin[k], k == "en"))
    # At least ~10% function words: real prose in that language, not a list of names.
    if latin[best] * 10 < len(words):
        return None
    return best
