"""How sources are judged: the Admiralty grades and the verification vocabulary, read by
the commands that record them, the admin's forms, the API's serializers and the report."""

from collections.abc import Iterable, Mapping
from typing import Any

from casefiles.domain import workflow

# Admiralty (NATO) system: reliability of the source, credibility of the information.
RELIABILITY = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "reliability cannot be judged",
}
CREDIBILITY = {
    "1": "confirmed by other sources",
    "2": "probably true",
    "3": "possibly true",
    "4": "doubtful",
    "5": "improbable",
    "6": "truth cannot be judged",
}
# Berkeley Protocol-style verification methods.
VERIFICATION_METHODS = (
    "geolocation",
    "chronolocation",
    "audio_authentication",
    "video_authentication",
    "witness_interview",
    "document_examination",
    "official_record",
)
VERIFICATION_RESULTS = ("confirmed", "inconclusive", "contradicted")


# How ingestion's extractor names what an organisation did, as a provenance role.
EXTRACTED_ROLES = {
    "obtained": "obtained",
    "verified": "verified",
    "documented": "documented",
    "captured": "captured",
    "published": "published",
    "relayed": "relayed",
    "reported": "relayed",
}


def provenance_chain(origins: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The extractor's origins ({name, role}, as ingestion records them) as a provenance
    chain. Who obtained, verified or documented the material are its origins; an
    organisation that only reported or relayed it is a relay. When the text names no
    such origin, whoever first published the material (e.g. the Security Service of
    Ukraine on Telegram) is its origin."""
    chain = [
        {"role": EXTRACTED_ROLES.get(origin["role"], "relayed"), "organisation": origin["name"]}
        for origin in origins
    ]
    if not any(link["role"] in workflow.ORIGIN_ROLES for link in chain):
        chain = [
            {**link, "role": "obtained"} if link["role"] == "published" else link for link in chain
        ]
    return list({(link["role"], link["organisation"]): link for link in chain}.values())


def origin_names(chain: Iterable[Mapping[str, str]]) -> list[str]:
    """The organisations a chain names as origins, once each, in order."""
    return list(
        dict.fromkeys(
            link["organisation"] for link in chain if link["role"] in workflow.ORIGIN_ROLES
        )
    )
