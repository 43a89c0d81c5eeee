"""Bundles made to exhaust the verifier: each is refused with a clear FAILED line, in a
few seconds and bounded memory, however large it claims to be or turns out to be.

Each test runs the verifier as auditors do (its own process) and reads that process's
peak RSS. Without the limits the 1 GiB manifest took 2.1 GB and 9 s, 50,000 entries
under 25,000 names 15 s (a quadratic duplicate check), a 256 MiB line of events.jsonl
was read whole, and an unreadable entry ended in a traceback."""

import base64
import shutil
import zipfile
from pathlib import Path

import pytest

from casefiles import signing
from casefiles.export.bundle import export_case
from casefiles.verify_export import (
    MAX_DIRECTORY_BYTES,
    MAX_DOCUMENT_BYTES,
    MAX_ENTRIES,
    MAX_EVENT_LINE,
    MAX_JSON_VALUES,
    MAX_SIGNATURE_BYTES,
)
from tests.export import hostile

PEAK_MIB = 200  # the verifier alone takes about 30 MiB
# Each takes well under 2 s (docs/benchmarks.md); without the limits the same bundles took
# 27-35 s or gigabytes. A generous bound, so a loaded machine does not fail a test that
# is about complexity, not speed.
SECONDS = 10


def refused(path, *args, seconds: float = SECONDS) -> str:
    """Verify `path` and return the reason of its FAILED line, checking that the
    verifier stayed within PEAK_MIB and `seconds` and did not end in a traceback."""
    run = hostile.run_verifier(str(path), *args, timeout=max(30, 3 * seconds))
    assert run.returncode == 1 and run.output.startswith("FAILED: "), run.output[-2000:]
    assert run.output.count("\n") == 1, run.output
    assert run.peak_rss_mib < PEAK_MIB, f"peak RSS {run.peak_rss_mib:.0f} MiB"
    assert run.seconds < seconds, f"{run.seconds:.1f} s"
    return run.output.removeprefix("FAILED: ").strip()


@pytest.fixture(scope="module")
def gigabyte_manifest(tmp_path_factory):
    """manifest.json of 1 GiB of spaces in a ZIP of about 1 MB, built once."""
    return hostile.member_bomb(tmp_path_factory.mktemp("bomb") / "bomb.zip")


def test_a_manifest_larger_than_its_cap_is_refused_before_it_is_read(gigabyte_manifest):
    assert refused(gigabyte_manifest) == (
        f"manifest.json is 1,073,741,824 bytes; this tool reads at most {MAX_DOCUMENT_BYTES:,}"
    )


def test_a_signature_larger_than_its_cap_is_refused_before_it_is_read(tmp_path):
    bundle = hostile.member_bomb(tmp_path / "sig.zip", name="manifest.sig", size=256 << 20)
    assert refused(bundle) == (
        f"manifest.sig is 268,435,456 bytes; this tool reads at most {MAX_SIGNATURE_BYTES}"
    )


def test_a_central_directory_understating_a_size_cannot_make_the_verifier_read_more(
    gigabyte_manifest, tmp_path
):
    # The directory says 100 bytes; the data is 1 GiB. zipfile stops at the size it was
    # told and then finds the CRC wrong: a failure, not a traceback and not 1 GiB read.
    lying = hostile.patch_entry(
        Path(shutil.copy(gigabyte_manifest, tmp_path / "lying.zip")), "manifest.json", file_size=100
    )
    assert refused(lying) == (
        "manifest.json cannot be read from the ZIP: Bad CRC-32 for file 'manifest.json'"
    )


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (
            lambda path: hostile.corrupt_data(path, "manifest.json"),
            "manifest.json cannot be read from the ZIP: Error -3 while decompressing data: "
            "invalid block type",
        ),
        (
            lambda path: hostile.patch_entry(path, "manifest.json", flag_bits=1),
            "manifest.json cannot be read from the ZIP: File 'manifest.json' is encrypted, "
            "password required for extraction",
        ),
    ],
    ids=["corrupt deflate data", "encrypted"],
)
def test_an_unreadable_entry_is_a_failure_not_a_traceback(tmp_path, damage, reason):
    bundle = hostile.member_bomb(tmp_path / "damaged.zip", size=1 << 20)
    assert refused(damage(bundle)) == reason


def test_a_member_compressed_other_than_by_deflate_is_refused(tmp_path):
    # bzip2 packs a run of bytes without the 1032:1 bound of deflate.
    with zipfile.ZipFile(tmp_path / "bzip2.zip", "w", zipfile.ZIP_BZIP2) as archive:
        archive.writestr("manifest.json", b" " * (1 << 20))
    assert refused(tmp_path / "bzip2.zip") == (
        "manifest.json is compressed with method 12; this tool reads only stored and "
        "deflated files, as the exporter writes them"
    )


def test_duplicate_names_are_found_in_linear_time(tmp_path):
    # 50,000 entries (the most a bundle may hold) under 25,000 names.
    bundle = hostile.entries(tmp_path / "dups.zip", MAX_ENTRIES // 2, repeat=2)
    assert refused(bundle) == "the ZIP holds sources/0.txt more than once"


def test_more_entries_than_a_bundle_holds_are_refused_before_they_are_parsed(tmp_path):
    bundle = hostile.entries(tmp_path / "many.zip", 60_000)
    assert refused(bundle) == (
        f"the ZIP declares 60,000 entries; a bundle holds at most {MAX_ENTRIES:,} files"
    )
    # zipfile counts entries by parsing them, whatever the end record declares.
    hostile.set_declared_entries(bundle, 10)
    assert refused(bundle) == (
        f"the ZIP holds 60,000 entries; a bundle holds at most {MAX_ENTRIES:,} files"
    )


def test_a_central_directory_larger_than_its_cap_is_refused_before_it_is_parsed(tmp_path):
    bundle = hostile.entries(tmp_path / "long.zip", 1_000, name_length=10_000)
    reason = refused(bundle)
    assert reason.startswith("the ZIP's central directory is 10,")
    assert reason.endswith(
        f"bytes; this tool reads at most {MAX_DIRECTORY_BYTES:,} (a "
        f"bundle holds at most {MAX_ENTRIES:,} files)"
    )


def test_entries_sharing_their_compressed_bytes_are_refused_before_any_is_read(tmp_path):
    # 100 entries of 16 MiB each from 40 KB: 1.6 GiB to inflate and hash.
    bomb = tmp_path / "overlap.zip"
    hostile.overlapping(bomb)
    reason = refused(bomb)
    assert reason.startswith("the ZIP's entries take ")
    assert reason.endswith(
        f"compressed bytes but the file has only "
        f"{bomb.stat().st_size:,}: entries overlap (a ZIP bomb) or the "
        "central directory is wrong"
    )


def test_a_manifest_of_countless_tiny_values_is_refused_before_it_is_parsed(tmp_path):
    # Just under the byte cap, but parsing it would take about 450 MB.
    bundle = hostile.json_values(tmp_path / "values.zip", MAX_DOCUMENT_BYTES - 1)
    assert refused(bundle) == (
        f"manifest.json has 11,184,808 commas and brackets; this tool reads at most "
        f"{MAX_JSON_VALUES:,} JSON values in it"
    )


# ------------------------------------------------- signed by the key the auditor trusts


@pytest.fixture
def genuine(case_id, tmp_path):
    path = tmp_path / "genuine.zip"
    with open(path, "wb") as out:
        export_case(case_id, exported_by="aud", out=out)
    return path


def _resigned(genuine, tmp_path, chunks):
    """The genuine bundle with events.jsonl replaced, listed and signed again with the
    export key: only the checks after the signature can refuse it."""
    private = signing.signing_key().private
    return hostile.replace_member(
        genuine,
        tmp_path / "forged.zip",
        "events.jsonl",
        chunks,
        lambda raw: base64.b64encode(private.sign(raw)),
    )


def _key() -> str:
    return signing.signing_key().public.base64


@pytest.mark.django_db
def test_a_huge_single_line_of_events_is_refused_without_reading_it_whole(genuine, tmp_path):
    forged = _resigned(genuine, tmp_path, hostile.spaces(256 << 20))
    assert refused(forged, "--public-key", _key()) == (
        f"events.jsonl line 1 is longer than {MAX_EVENT_LINE:,} characters; this tool "
        "reads no longer event"
    )


@pytest.mark.django_db
def test_what_is_kept_from_the_events_is_bounded_by_what_a_bundle_can_hold(
    genuine, tmp_path, case_id
):
    originals = hostile.chain(
        case_id,
        (
            ("SourceAttached", {"content_sha256": f"{number:064x}"})
            for number in range(MAX_ENTRIES + 1)
        ),
    )
    # 50,001 events to hash and check first: the time limit is not the point here.
    assert refused(_resigned(genuine, tmp_path, originals), "--public-key", _key(), seconds=20) == (
        f"events.jsonl refers to more than {MAX_ENTRIES:,} originals; a bundle holds at "
        f"most {MAX_ENTRIES:,} files"
    )
    person = hostile.chain(
        case_id,
        [
            (
                "PersonAdded",
                {"person_id": "p" * (1 << 20), "protected": True, "identity_commitment": "0" * 64},
            )
        ],
    )
    assert refused(_resigned(genuine, tmp_path, person), "--public-key", _key()) == (
        "events.jsonl line 1 adds a protected person whose person_id or "
        "identity_commitment is longer than 64 characters"
    )
