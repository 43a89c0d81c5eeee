"""The bundle verifier on hostile bundles, against a genuine bundle (the anchor) in the
same run.

    .venv/bin/python bench/hostile_bundles.py [--rounds 5] [--events 1000] [--before REV]

Children of this process build, on a throwaway SQLite database, blob store and signing
key in a temporary directory, a genuine bundle of a case with EVENTS events
(bench/export_bench.py's build, then `manage.py export_case`), and the hostile bundles
of tests/export/hostile.py: a 1 GiB manifest.json in a 1 MB ZIP; the same with its
directory entry claiming 100 bytes; 50,000 entries under 25,000 names; 60,000 entries;
a 10 MB central directory; 100 overlapping entries of 16 MiB each from 40 KB, listed
in a manifest signed with the export key; a manifest.json of 16 MiB of empty arrays;
and the genuine bundle with events.jsonl replaced by one line of 1 GiB, signed again.
Then `python -m casefiles.verify_export BUNDLE --public-key KEY` runs on each, in its
own process started by a small launcher (a child's peak RSS on Linux includes what its
parent held when it forked): wall time including start-up, peak RSS from wait4. Rounds
are interleaved, the order rotated every round, and each hostile run is divided by the
same round's anchor run: min / median / max of the ratios. The genuine bundle must
verify (OK) and every hostile one fail (FAILED, exit 1), or the benchmark stops.

With --before REV the verifier of that commit (extracted by `git archive`) runs on the
same bundles in the same rounds, against its own anchor: the figures without limits.
"""

import argparse
import base64
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import benchlib

sys.path.insert(0, str(benchlib.ROOT))

from tests.export import hostile  # noqa: E402  (after the repository is on sys.path)

ANCHOR = "genuine.zip"
HOSTILE = {
    "manifest-1gib.zip": "manifest.json of 1 GiB of spaces",
    "lying-directory.zip": "manifest.json of 1 GiB, its directory entry saying 100 bytes",
    "duplicates.zip": "50,000 entries under 25,000 names",
    "entries.zip": "60,000 entries",
    "directory.zip": "central directory of 10 MB (1,000 names of 10,000 characters)",
    "overlap.zip": "100 overlapping entries of 16 MiB, listed and signed",
    "values.zip": "manifest.json of 16 MiB of empty arrays",
    "line-1gib.zip": "events.jsonl of one 1 GiB line, signed",
}


def build_hostile(directory: Path, genuine: Path, key_file: Path) -> None:
    """Runs in a child: the hostile bundles, next to the genuine one."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    from casefiles.verify_export import MANIFEST, MAX_DOCUMENT_BYTES, SIGNATURE

    private = load_pem_private_key(key_file.read_bytes(), None)

    def sign(raw: bytes) -> bytes:
        return base64.b64encode(private.sign(raw))

    hostile.member_bomb(directory / "manifest-1gib.zip")
    hostile.patch_entry(
        hostile.member_bomb(directory / "lying-directory.zip"), MANIFEST, file_size=100
    )
    hostile.entries(directory / "duplicates.zip", 25_000, repeat=2)
    hostile.entries(directory / "entries.zip", 60_000)
    hostile.entries(directory / "directory.zip", 1_000, name_length=10_000)
    # The overlapping entries listed in a manifest signed with the export key: a
    # verifier that reads them inflates and hashes all 1.6 GiB before anything fails.
    overlap = directory / "overlap.zip"
    listed = hostile.overlapping(overlap, checksums=True)
    with zipfile.ZipFile(genuine) as archive:
        manifest = json.loads(archive.read(MANIFEST))
    manifest.update(files=listed, events={**manifest["events"], "file": listed[0]["path"]})
    raw = json.dumps(manifest, indent=2).encode()
    with zipfile.ZipFile(overlap, "a") as archive:
        archive.writestr(MANIFEST, raw)
        archive.writestr(SIGNATURE, sign(raw))
    hostile.json_values(directory / "values.zip", MAX_DOCUMENT_BYTES - 1)
    hostile.replace_member(
        genuine, directory / "line-1gib.zip", "events.jsonl", hostile.spaces(1 << 30), sign
    )


def child(argv: list[str], env: dict[str, str]) -> str:
    # argv is built here, never from outside input.
    done = subprocess.run(
        argv,
        cwd=benchlib.ROOT,
        env=env,
        capture_output=True,  # noqa: S603
        text=True,
    )
    if done.returncode:
        sys.exit(f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def build(workdir: Path, events: int) -> str:
    """The genuine bundle and the hostile ones in `workdir`; the key to pin."""
    from export_bench import environment

    env = environment(workdir)
    python = sys.executable
    case_id, auditor = (
        child([python, "bench/export_bench.py", "--build-only", "--events", str(events)], env)
        .splitlines()[-1]
        .split()
    )
    child(
        [
            python,
            "manage.py",
            "export_case",
            case_id,
            "--out",
            str(workdir / ANCHOR),
            "--user",
            auditor,
        ],
        env,
    )
    key_file = Path(env["CASEFILES_SIGNING_KEY"])
    child([python, __file__, "--build-hostile", str(workdir), str(key_file)], env)
    return child(
        [
            python,
            "-c",
            (
                "import base64, sys\n"
                "from cryptography.hazmat.primitives import serialization as s\n"
                "k = s.load_pem_private_key(open(sys.argv[1], 'rb').read(), None).public_key()\n"
                "print(base64.b64encode(k.public_bytes(s.Encoding.Raw, s.PublicFormat.Raw))"
                ".decode())"
            ),
            str(key_file),
        ],
        env,
    ).strip()


def extract(revision: str, directory: Path) -> Path:
    """The tree of `revision`, to run its verifier."""
    archive = subprocess.run(
        ["git", "archive", revision],
        cwd=benchlib.ROOT,  # noqa: S607
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(
        ["tar", "-x", "-C", str(directory)],
        input=archive,  # noqa: S607
        check=True,
    )
    return directory


def measure(workdir: Path, key: str, roots: dict[str, Path], rounds: int) -> dict:
    """runs[verifier][bundle] = one Run per round, interleaved and rotated."""
    names = [ANCHOR, *HOSTILE]
    runs = {label: {name: [] for name in names} for label in roots}
    for number in range(rounds):
        order = names[number % len(names) :] + names[: number % len(names)]
        for name in order:
            for label, root in roots.items():
                run = hostile.run_verifier(
                    str(workdir / name), "--public-key", key, cwd=root, timeout=600
                )
                ok = run.returncode == 0 and run.output.startswith("OK ")
                failed = (
                    run.returncode == 1
                    and run.output.startswith("FAILED: ")
                    and run.output.count("\n") == 1
                )
                if (name == ANCHOR and not ok) or (
                    name != ANCHOR and label == "after" and not failed
                ):
                    sys.exit(f"{label} verifier on {name}: {run.output[-3000:]}")
                runs[label][name].append(run)
                print(
                    f"round {number + 1} {label:6} {name:22} {run.seconds:6.2f} s "
                    f"{run.peak_rss_mib:6.0f} MiB  {run.output.strip()[:90]}",
                    flush=True,
                )
    return runs


def spread(values: list[float], digits: int) -> str:
    return (
        f"{min(values):.{digits}f} / **{statistics.median(values):.{digits}f}** / "
        f"{max(values):.{digits}f}"
    )


def outcome(output: str) -> str:
    text = output.strip().splitlines()[-1] if output.strip() else "(no output)"
    if not text.startswith(("OK ", "FAILED: ")):
        text = f"traceback: {text}"
    return (text[:117] + "…" if len(text) > 118 else text).replace("|", "\\|")


def table(runs: dict, workdir: Path) -> str:
    anchor = runs[ANCHOR]
    lines = [
        "| bundle | ZIP | verifier says | time, median | time ÷ anchor (min / "
        "median / max) | peak RSS, median | peak RSS ÷ anchor (min / median / max) |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for name, label in {ANCHOR: "genuine bundle (the anchor)", **HOSTILE}.items():
        measured = runs[name]
        seconds = [run.seconds for run in measured]
        peaks = [run.peak_rss_mib for run in measured]
        time_ratios = [
            run.seconds / base.seconds for run, base in zip(measured, anchor, strict=True)
        ]
        rss_ratios = [
            run.peak_rss_mib / base.peak_rss_mib for run, base in zip(measured, anchor, strict=True)
        ]
        size = (workdir / name).stat().st_size / 1_048_576
        lines.append(
            f"| {label} | {size:,.2f} MiB | {outcome(measured[-1].output)} | "
            f"{statistics.median(seconds):.2f} s | {spread(time_ratios, 1)} | "
            f"{statistics.median(peaks):.0f} MiB | {spread(rss_ratios, 1)} |"
        )
    return "\n".join(lines)


def machine() -> str:
    memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return (
        f"{os.cpu_count()} CPU ({platform.processor() or platform.machine()}), "
        f"{memory_kib / 1_048_576:.0f} GiB RAM, Python {platform.python_version()}; "
        f"load average {os.getloadavg()[0]:.2f} at the start"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--events", type=int, default=1000, help="events in the genuine bundle's case"
    )
    parser.add_argument(
        "--before",
        metavar="REV",
        help="also run the verifier of this commit, for the figures without limits",
    )
    parser.add_argument("--build-hostile", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_hostile:
        directory, key_file = map(Path, args.build_hostile)
        build_hostile(directory, directory / ANCHOR, key_file)
        return
    machine_line = machine()
    with tempfile.TemporaryDirectory(prefix="hostile-bench-") as tmp:
        workdir = Path(tmp)
        key = build(workdir, args.events)
        roots = {"after": benchlib.ROOT}
        if args.before:
            roots["before"] = extract(args.before, Path(tempfile.mkdtemp(dir=tmp)))
        runs = measure(workdir, key, roots, args.rounds)
        body = (
            f"Genuine bundle: a case of {args.events:,} events, exported by "
            f"`manage.py export_case`, {(workdir / ANCHOR).stat().st_size / 1024:,.0f}"
            f" KiB. {args.rounds} interleaved rounds, the order rotated each round; "
            "each run is `python -m casefiles.verify_export BUNDLE --public-key KEY` "
            "in its own process (time including start-up, peak RSS from wait4), "
            "divided by the anchor run of its round.\n\n"
            f"With the limits (this tree):\n\n{table(runs['after'], workdir)}\n"
        )
        if args.before:
            body += (
                f"\nThe verifier of {args.before} on the same bundles, same rounds:"
                f"\n\n{table(runs['before'], workdir)}\n"
            )
    benchlib.append_results(
        "Verifier on hostile bundles", benchlib.this_command(), machine_line, body
    )


if __name__ == "__main__":
    main()
