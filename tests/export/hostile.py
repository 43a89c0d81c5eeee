"""Hostile bundles for the verifier's limits, and the verifier run as auditors run it
with its time and peak memory (tests/export/test_hostile_bundles.py,
bench/hostile_bundles.py). Standard library, cryptography-free and Django-free; every
large member is written in chunks, so a 1 GiB member costs its builder about 1 MB."""

import hashlib
import json
import os
import struct
import subprocess
import sys
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from casefiles.domain.hashing import GENESIS_HASH, canonical_json, event_hash
from casefiles.verify_export import MANIFEST, SIGNATURE

ROOT = Path(__file__).resolve().parents[2]
MiB = 1 << 20
LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # zipfile.structFileHeader
DIRECTORY_ENTRY = struct.Struct("<4s4B4HL2L5H2L")  # zipfile.structCentralDir
END_RECORD = struct.Struct("<4s4H2LH")  # zipfile.structEndArchive


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_rss_mib: float
    returncode: int
    output: str


# A child's peak RSS on Linux includes what its parent held when it forked (for a
# pytest process with Django, some 150 MB), so the verifier is started and measured by
# a small launcher of its own, as the benchmarks start every measured step.
LAUNCHER = """
import os, subprocess, sys, threading, time
timeout, args = float(sys.argv[1]), sys.argv[2:]
started = time.perf_counter()
process = subprocess.Popen([sys.executable, "-m", "casefiles.verify_export", *args],
                           stderr=subprocess.STDOUT)
timer = threading.Timer(timeout, process.kill)
timer.start()
_, status, usage = os.wait4(process.pid, 0)
timer.cancel()
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss, time.perf_counter() - started,
      file=sys.stderr)
"""


def run_verifier(*args: str, cwd: Path = ROOT, timeout: float = 60) -> Run:
    """`python -m casefiles.verify_export ARGS` in its own process: wall time, its own
    peak RSS (wait4), exit code and output (stdout and stderr). Killed after `timeout`
    seconds (returncode -9) so that a verifier without limits fails a test rather than
    hanging it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO")}
    # The arguments are paths and keys made by the caller, never outside input.
    launched = subprocess.run(  # noqa: S603
        [sys.executable, "-c", LAUNCHER, str(timeout), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        check=True,
    )
    returncode, peak_kib, seconds = launched.stderr.split()[-3:]
    return Run(
        float(seconds),
        int(peak_kib) / 1024,
        int(returncode),
        launched.stdout.decode(errors="replace"),
    )


def spaces(total: int) -> Iterator[bytes]:
    """`total` spaces in chunks of at most 1 MiB: deflate packs 1 GiB into about 1 MB."""
    chunk = b" " * MiB
    while total > 0:
        yield chunk[:total]
        total -= len(chunk)


def write_streamed(archive: zipfile.ZipFile, name: str, chunks: Iterable[bytes]) -> tuple[int, str]:
    """Write `name` chunk by chunk; its size and SHA-256."""
    digest, size = hashlib.sha256(), 0
    with archive.open(name, "w") as out:
        for chunk in chunks:
            out.write(chunk)
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def member_bomb(path: Path, name: str = MANIFEST, size: int = 1 << 30) -> Path:
    """A ZIP whose `name` is `size` spaces (a whole number of MiB; 1 GiB is about 1 MB
    on disk), next to a small manifest.json and manifest.sig. Written by hand as a
    forger would, in no time: one deflated MiB of spaces (byte-aligned, referring only
    to itself) repeated. Under 2 GiB, so the central directory holds the sizes in its
    own fields (no ZIP64 extra) and patch_entry can change them."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = packer.compress(b" " * MiB) + packer.flush(zlib.Z_FULL_FLUSH)
    data = block * (size // MiB) + b"\x03\x00"  # then an empty final block
    crc = 0
    for chunk in spaces(size):
        crc = zlib.crc32(chunk, crc)
    encoded = name.encode()
    fields = (zipfile.ZIP_DEFLATED, 0, 33, crc, len(data), size, len(encoded), 0)
    header = LOCAL_HEADER.pack(b"PK\x03\x04", 20, 0, 0, *fields) + encoded
    entry = DIRECTORY_ENTRY.pack(b"PK\x01\x02", 20, 3, 20, 0, 0, *fields, 0, 0, 0, 0, 0) + encoded
    end = END_RECORD.pack(b"PK\x05\x06", 0, 0, 1, 1, len(entry), len(header) + len(data), 0)
    path.write_bytes(header + data + entry + end)
    with zipfile.ZipFile(path, "a") as archive:
        for small in (MANIFEST, SIGNATURE):
            if small != name:
                archive.writestr(small, b"{}")
    return path


def patch_entry(
    path: Path, name: str, *, file_size: int | None = None, flag_bits: int | None = None
) -> Path:
    """Change what the central directory says of `name` (not the data, not the local
    header): the lies a forger can tell the reader."""
    data = bytearray(path.read_bytes())
    position = data.rfind(b"PK\x05\x06")
    directory = END_RECORD.unpack_from(data, position)[6]
    while True:
        entry = list(DIRECTORY_ENTRY.unpack_from(data, directory))
        start = directory + DIRECTORY_ENTRY.size
        if data[start : start + entry[12]].decode() == name:
            break
        directory = start + entry[12] + entry[13] + entry[14]
    if file_size is not None:
        entry[11] = file_size
    if flag_bits is not None:
        entry[5] = flag_bits
    DIRECTORY_ENTRY.pack_into(data, directory, *entry)
    path.write_bytes(data)
    return path


def corrupt_data(path: Path, name: str) -> Path:
    """Make the first byte of `name`'s deflate stream a block of the reserved type 3."""
    with zipfile.ZipFile(path) as archive:
        offset = archive.getinfo(name).header_offset
    data = bytearray(path.read_bytes())
    header = LOCAL_HEADER.unpack_from(data, offset)
    data[offset + LOCAL_HEADER.size + header[10] + header[11]] = 0xFF
    path.write_bytes(data)
    return path


def set_declared_entries(path: Path, count: int) -> Path:
    """Make the end record declare `count` entries; zipfile counts them by parsing."""
    data = bytearray(path.read_bytes())
    position = data.rfind(b"PK\x05\x06")
    record = list(END_RECORD.unpack_from(data, position))
    record[3] = record[4] = count
    END_RECORD.pack_into(data, position, *record)
    path.write_bytes(data)
    return path


def entries(path: Path, count: int, *, repeat: int = 1, name_length: int = 0) -> Path:
    """`count` empty entries, each name written `repeat` times, names padded to
    `name_length` characters."""
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w") as archive:
        warnings.simplefilter("ignore")  # zipfile warns of each duplicate name
        for number in range(count):
            name = f"sources/{number}.txt".rjust(name_length, "x")
            for _ in range(repeat):
                archive.writestr(name, b"")
    return path


def overlapping(
    path: Path, files: int = 100, kernel: int = 16 * MiB, checksums: bool = False
) -> list[dict]:
    """An overlapping ZIP bomb (David Fifield's "quoted overlap"): every entry's deflate
    stream starts with a stored block quoting the next entry's local header, then runs
    on into that entry's data, so each of the `files` entries decompresses the same
    `kernel` bytes of spaces again (100 x 16 MiB from about 40 KB). Returns the entries
    as a manifest lists them; their CRCs and SHA-256s are worked out (1.6 GB hashed)
    only with `checksums`, else left empty: a verifier must refuse the ZIP before it
    reads anything."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = b"".join(packer.compress(chunk) for chunk in spaces(kernel)) + packer.flush()
    names = [f"sources/{number:064x}.txt".encode() for number in range(files)]
    headers = [
        LOCAL_HEADER.pack(
            b"PK\x03\x04", 20, 0, 0, zipfile.ZIP_DEFLATED, 0, 33, 0, 0, 0, len(name), 0
        )
        + name
        for name in names
    ]
    quotes = [
        b"\x00" + struct.pack("<HH", len(header), len(header) ^ 0xFFFF) for header in headers[1:]
    ] + [b""]
    offsets, body = [], b""
    for header, quote in zip(headers, quotes, strict=True):
        offsets.append(len(body))
        body += header + quote
    body += packed
    directory, listed = b"", []
    for number, (name, offset) in enumerate(zip(names, offsets, strict=True)):
        data_start = offset + len(headers[number])
        quoted = b"".join(headers[number + 1 :])
        crc, digest = 0, hashlib.sha256()
        for chunk in [quoted, *spaces(kernel)] if checksums else []:
            crc = zlib.crc32(chunk, crc)
            digest.update(chunk)
        directory += (
            DIRECTORY_ENTRY.pack(
                b"PK\x01\x02",
                20,
                3,
                20,
                0,
                0,
                zipfile.ZIP_DEFLATED,
                0,
                33,
                crc,
                len(body) - data_start,
                len(quoted) + kernel,
                len(name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + name
        )
        listed.append(
            {
                "path": name.decode(),
                "bytes": len(quoted) + kernel,
                "sha256": digest.hexdigest() if checksums else "",
            }
        )
    end = END_RECORD.pack(b"PK\x05\x06", 0, 0, files, files, len(directory), len(body), 0)
    path.write_bytes(body + directory + end)
    return listed


def json_values(path: Path, size: int) -> Path:
    """manifest.json of `size` bytes of empty arrays: within a byte cap, but each 3
    bytes become a 72-byte Python object when parsed."""
    count = (size - 2) // 3
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(SIGNATURE, b"")
        write_streamed(archive, MANIFEST, (b"[", b"[]," * (count - 1), b"[]]"))
    return path


def replace_member(
    source: Path, target: Path, name: str, chunks: Iterable[bytes], sign: Callable[[bytes], bytes]
) -> Path:
    """`source` with `name` replaced by `chunks` (written streamed), the manifest listing
    its new size and SHA-256 and signed again by `sign` (base64 of the signature): only
    the checks after the signature can refuse it."""
    with zipfile.ZipFile(source) as original:
        manifest = json.loads(original.read(MANIFEST))
        kept = {
            other: original.read(other)
            for other in original.namelist()
            if other not in (name, MANIFEST, SIGNATURE)
        }
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for other, data in kept.items():
            archive.writestr(other, data)
        size, sha256 = write_streamed(archive, name, chunks)
        for entry in manifest["files"]:
            if entry["path"] == name:
                entry.update(bytes=size, sha256=sha256)
        raw = json.dumps(manifest, indent=2).encode()
        archive.writestr(MANIFEST, raw)
        archive.writestr(SIGNATURE, sign(raw))
    return target


def chain(case_id: str, events: Iterable[tuple[str, dict]]) -> Iterator[bytes]:
    """events.jsonl lines of a valid hash chain holding `events` (type, payload)."""
    prev_hash = GENESIS_HASH
    actor = {"id": 1, "username": "forger", "role": "documenter"}
    for version, (kind, payload) in enumerate(events, start=1):
        fields = {
            "case_id": case_id,
            "version": version,
            "type": kind,
            "schema": 1,
            "payload": payload,
            "actor": actor,
            "occurred_at": "2026-11-23T08:00:00.000000Z",
            "prev_hash": prev_hash,
        }
        fields["hash"] = prev_hash = event_hash(fields)
        yield canonical_json(fields).encode() + b"\n"
