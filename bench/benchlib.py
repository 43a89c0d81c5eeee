"""What the PostgreSQL benchmarks share: their own `bench_*` databases, the machine
description, peak RSS of child processes, and the results section in docs/benchmarks.md.

Every benchmark drops and recreates the databases it uses, whose names start with
`bench_`, on the server named by BENCH_PG (default postgres://postgres@127.0.0.1:5432):
it never touches another database.
"""

import os
import platform
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "benchmarks.md"
SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PYTHON = sys.executable
BROKER_VARIABLES = ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")


def database_url(name: str) -> str:
    if not name.startswith("bench_"):
        raise ValueError(f"benchmarks only use databases named bench_*, not {name!r}")
    return f"{SERVER}/{name}"


def recreate_database(name: str) -> str:
    """A fresh, empty `bench_*` database; returns its URL."""
    import psycopg

    url = database_url(name)
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url


def django_env(url: str, **extra: str) -> dict[str, str]:
    """Environment for a Django process on `url`, tasks eager unless a broker is given."""
    env = {k: v for k, v in os.environ.items() if k not in BROKER_VARIABLES}
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="config.settings",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env


def setup_django(url: str, *, keep_broker: bool = False, **extra: str) -> None:
    """Point this process at `url` and set Django up (before any casefiles import);
    tasks run eagerly unless `keep_broker` keeps the broker of the environment."""
    broker = {name: os.environ[name] for name in BROKER_VARIABLES if name in os.environ}
    os.environ.update(django_env(url, **extra))
    for name in BROKER_VARIABLES:
        os.environ.pop(name, None)
    if keep_broker:
        os.environ.update(broker)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def manage(url: str, *args: str, **extra: str) -> "Run":
    """`manage.py <args>` in its own process: wall time, peak RSS, output."""
    return run_measured([PYTHON, str(ROOT / "manage.py"), *args], django_env(url, **extra))


def migrate(url: str) -> None:
    """Migrate the database at `url` in a child process; stop the benchmark with
    migrate's own output if it fails."""
    migrated = manage(url, "migrate", "--noinput")
    if migrated.returncode:
        raise SystemExit(migrated.output)


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_rss_mib: float
    returncode: int
    output: str


def run_measured(argv: list[str], env: dict[str, str]) -> Run:
    """Run a child and read its own peak RSS from wait4 (not the sum of all children)."""
    started = time.perf_counter()
    # argv is built by the benchmarks themselves, never from outside input.
    process = subprocess.Popen(
        argv,
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,  # noqa: S603
        stderr=subprocess.STDOUT,
    )
    output = process.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    return Run(elapsed, usage.ru_maxrss / 1024, process.returncode, output)


def server_setting(url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(f"SHOW {name}").fetchone()[0]


def machine(url: str) -> str:
    """One line naming the machine, the versions and the durability settings in force."""
    import django

    memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    durability = ", ".join(
        f"{name}={server_setting(url, name)}"
        for name in ("fsync", "synchronous_commit", "shared_buffers")
    )
    return (
        f"{os.cpu_count()} CPU ({platform.processor() or platform.machine()}), "
        f"{memory_kib / 1_048_576:.0f} GiB RAM, Python {platform.python_version()}, "
        f"Django {django.get_version()}, PostgreSQL {server_setting(url, 'server_version')} "
        f"({durability}); load average {os.getloadavg()[0]:.2f} at the start"
    )


def append_results(title: str, command: str, machine_line: str, body: str) -> None:
    """Append one dated section to docs/benchmarks.md (append-only: other sections stay).
    BENCH_DRY_RUN=1 only prints it (for trying a benchmark out)."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = (
        f"\n### {title} — {stamp}\n\n"
        f"Command: `{command}`  \nMachine: {machine_line}\n\n{body.strip()}\n"
    )
    print(section)
    if os.environ.get("BENCH_DRY_RUN") != "1":
        with RESULTS.open("a", encoding="utf-8") as out:
            out.write(section)


def this_command() -> str:
    return " ".join([".venv/bin/python", *map(shlex.quote, sys.argv)])
