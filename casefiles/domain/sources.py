"""How sources are judged: the Admiralty grades and the verification vocabulary, read by
the commands that record them, the admin's forms, the API's serializers and the report."""

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
