"""config/settings.py and config/env.py: a value that does not parse stops start-up with a
message naming the variable and the value; secrets may come from files (X_FILE), never
from both; importing the settings creates nothing on disk.

Each test evaluates config/settings.py afresh (runpy) in an environment holding only the
variables it sets, so no test depends on the environment the suite runs in."""

import re
import runpy
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as live_settings
from django.core.exceptions import ImproperlyConfigured
from django.db.utils import ConnectionHandler

SETTINGS = Path(live_settings.BASE_DIR) / "config" / "settings.py"
OPERATIONS = Path(live_settings.BASE_DIR) / "docs" / "operations.md"
# Every variable the settings read, found where they read it.
VARIABLES = sorted(set(re.findall(r'read_\w+\(\s*"([A-Z0-9_]+)"', SETTINGS.read_text())))
SECRETS = [
    "SECRET_KEY",
    "DATABASE_URL",
    "DATABASE_PASSWORD",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "CACHE_URL",
    "CASEFILES_TSA_URL",
]


def load(monkeypatch, tmp_path: Path, **env: str) -> dict:
    """The settings module's namespace under `env` alone (files under tmp_path)."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name + "_FILE", raising=False)
    monkeypatch.setenv("CASEFILES_VAR_DIR", str(tmp_path / "var"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


def secret_file(tmp_path: Path, content: str, name: str = "secret") -> str:
    path = tmp_path / name
    path.write_text(content)
    return str(path)


def test_the_variables_are_found():
    # The other tests range over VARIABLES: an empty list would make them vacuous.
    assert {"SECRET_KEY", "DATABASE_URL", "TRUSTED_PROXY_COUNT", "STATIC_ROOT"} <= set(VARIABLES)
    assert set(SECRETS) <= set(VARIABLES)


# --- nothing created at import ---------------------------------------------------------


def test_importing_the_settings_creates_no_directory(monkeypatch, tmp_path):
    namespace = load(monkeypatch, tmp_path)
    assert namespace["DATABASES"]["default"]["NAME"] == str(tmp_path / "var" / "casefiles.sqlite3")
    assert namespace["STATIC_ROOT"] == tmp_path / "var" / "static"
    assert list(tmp_path.iterdir()) == []


def test_the_sqlite_folder_is_made_when_the_database_is_first_opened(monkeypatch, tmp_path):
    database = load(monkeypatch, tmp_path)["DATABASES"]["default"]
    assert not (tmp_path / "var").exists()
    wrapper = ConnectionHandler({"default": database})["default"]
    # get_new_connection, not ensure_connection: pytest-django bars the latter outside
    # database tests, and this opens a file of its own, not the test database.
    raw = wrapper.get_new_connection(wrapper.get_connection_params())
    try:
        raw.execute("CREATE TABLE t (x)")
    finally:
        raw.close()
    assert (tmp_path / "var" / "casefiles.sqlite3").is_file()


def test_the_web_server_makes_static_root_when_it_starts(tmp_path):
    # WhiteNoise warns on stderr when STATIC_ROOT is missing, and log watchers (the API
    # conflicts soak) count any such line as a server error.
    env = {
        "PATH": "/usr/bin:/bin",
        "CASEFILES_VAR_DIR": str(tmp_path / "var"),
        "STATIC_ROOT": str(tmp_path / "static"),
        "PYTHONPATH": str(live_settings.BASE_DIR),
    }
    result = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"],
        env=env,
        cwd=live_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "No directory at" not in result.stderr
    assert (tmp_path / "static").is_dir()


# --- values that do not parse ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("AXES_FAILURE_LIMIT", "five", "is not a whole number"),
        ("AXES_FAILURE_LIMIT", "0", "is below its minimum, 1"),
        ("TRUSTED_PROXY_COUNT", "-1", "is below its minimum, 0"),
        ("TRUSTED_PROXY_COUNT", "1e3", "is not a whole number"),
        ("DB_CONN_MAX_AGE", "0x10", "is not a whole number"),
        ("DATA_UPLOAD_MAX_MEMORY_SIZE", "2.5MB", "is not a whole number"),
        ("DEBUG", "maybe", "is not a boolean"),
        ("AXES_ENABLED", "2", "is not a boolean"),
        ("SESSION_COOKIE_AGE", "8 hours", "is not a duration"),
        ("API_TOKEN_IDLE_SECONDS", "0", "is below its minimum, 1 seconds"),
        ("HEALTH_WORKER_TIMEOUT", "nan", "is not a duration"),
        ("CASEFILES_SEQUENCER_WAIT", "-5", "is not a duration"),
        ("AXES_FAILURE_MEMORY_HOURS", "1w", "is not a duration (a number of hours"),
        ("CASEFILES_TREE_HEAD_INTERVAL", "0s", "is below its minimum, 1 seconds"),
        ("STATIC_ROOT", "var/static", "is not an absolute path"),
        ("CASEFILES_BLOB_DIR", "./blobs", "is not an absolute path"),
    ],
)
def test_a_value_that_does_not_parse_stops_start_up_naming_it(
    monkeypatch, tmp_path, name, value, reason
):
    with pytest.raises(ImproperlyConfigured) as refused:
        load(monkeypatch, tmp_path, **{name: value})
    assert str(refused.value).startswith(f"{name}={value!r} {reason}")


def test_durations_take_a_unit_or_the_one_their_name_says(monkeypatch, tmp_path):
    namespace = load(
        monkeypatch,
        tmp_path,
        SESSION_COOKIE_AGE="8h",
        API_TOKEN_IDLE_SECONDS="90",
        AXES_FAILURE_MEMORY_HOURS="12",
        AXES_BACKOFF_BASE="0.5",
        CASEFILES_TREE_HEAD_INTERVAL="2m",
        VERIFY_INTERVAL_SECONDS="1d",
    )
    assert namespace["SESSION_COOKIE_AGE"] == 8 * 3600
    assert namespace["API_TOKEN_IDLE_SECONDS"] == 90
    assert namespace["AXES_COOLOFF_TIME"] == timedelta(hours=12)
    assert namespace["AXES_BACKOFF_BASE"] == 0.5
    assert namespace["CASEFILES_TREE_HEAD_INTERVAL"] == 120
    assert namespace["CELERY_BEAT_SCHEDULE"]["verify-chains-nightly"]["schedule"] == 86400


def test_the_defaults_are_unchanged(monkeypatch, tmp_path):
    namespace = load(monkeypatch, tmp_path)
    assert (
        namespace["SESSION_COOKIE_AGE"],
        namespace["API_TOKEN_MAX_AGE_SECONDS"],
        namespace["AXES_FAILURE_LIMIT"],
        namespace["AXES_BACKOFF_MAX"],
        namespace["AXES_COOLOFF_TIME"],
        namespace["CASEFILES_SEQUENCER_WAIT"],
        namespace["TRUSTED_PROXY_COUNT"],
        namespace["CASEFILES_TSA_CA_FILE"],
    ) == (8 * 3600, 30 * 24 * 3600, 5, 900.0, timedelta(hours=24), 30.0, 0, "")
    assert namespace["CELERY_BROKER_URL"] is None and namespace["CELERY_TASK_ALWAYS_EAGER"]


# --- secrets from files --------------------------------------------------------------------


SECRET_VALUES = {
    "SECRET_KEY": ("k" * 50, lambda ns: ns["SECRET_KEY"]),
    "DATABASE_URL": (
        "postgres://app:hunter2@db.internal:5433/cases",
        lambda ns: (ns["DATABASES"]["default"]["PASSWORD"], ns["DATABASES"]["default"]["PORT"]),
    ),
    "DATABASE_PASSWORD": (
        "s3cret/with:odd@chars",
        lambda ns: ns["DATABASES"]["default"]["PASSWORD"],
    ),
    "REDIS_URL": (
        "redis://:hunter2@cache:6379/3",
        lambda ns: (ns["CELERY_BROKER_URL"], ns["CACHE_URL"]),
    ),
    "CELERY_BROKER_URL": ("redis://:hunter2@broker:6379/1", lambda ns: ns["CELERY_BROKER_URL"]),
    "CELERY_RESULT_BACKEND": (
        "redis://:hunter2@results:6379/2",
        lambda ns: ns["CELERY_RESULT_BACKEND"],
    ),
    "CACHE_URL": ("redis://:hunter2@cache:6379/4", lambda ns: ns["CACHE_URL"]),
    "CASEFILES_TSA_URL": (
        "https://tsa.example.org/stamp?key=hunter2",
        lambda ns: ns["CASEFILES_TSA_URL"],
    ),
}
EXPECTED = {
    "SECRET_KEY": "k" * 50,
    "DATABASE_URL": ("hunter2", 5433),
    "DATABASE_PASSWORD": "s3cret/with:odd@chars",
    "REDIS_URL": ("redis://:hunter2@cache:6379/3", "redis://:hunter2@cache:6379/3"),
    "CELERY_BROKER_URL": "redis://:hunter2@broker:6379/1",
    "CELERY_RESULT_BACKEND": "redis://:hunter2@results:6379/2",
    "CACHE_URL": "redis://:hunter2@cache:6379/4",
    "CASEFILES_TSA_URL": "https://tsa.example.org/stamp?key=hunter2",
}


def test_every_secret_has_a_value_to_test():
    assert set(SECRET_VALUES) == set(EXPECTED) == set(SECRETS)


@pytest.mark.parametrize("name", SECRETS)
def test_a_secret_is_read_from_the_file_its_FILE_variable_names(monkeypatch, tmp_path, name):
    value, read = SECRET_VALUES[name]
    # As `echo value > file` writes it: the one trailing newline is not part of the value.
    path = secret_file(tmp_path, value + "\n")
    assert read(load(monkeypatch, tmp_path, **{f"{name}_FILE": path})) == EXPECTED[name]
    # The same as the variable itself.
    assert read(load(monkeypatch, tmp_path, **{name: value})) == EXPECTED[name]


@pytest.mark.parametrize("name", SECRETS)
def test_a_secret_set_both_ways_is_refused(monkeypatch, tmp_path, name):
    value, _ = SECRET_VALUES[name]
    with pytest.raises(ImproperlyConfigured, match=f"both {name} and {name}_FILE are set"):
        load(monkeypatch, tmp_path, **{name: value, f"{name}_FILE": secret_file(tmp_path, value)})


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "cannot be read (No such file or directory)"),
        ("", "is empty"),
        ("\n", "is empty"),
        ("first\nsecond\n", "holds more than one line"),
    ],
)
def test_a_secret_file_that_cannot_be_used_is_refused(monkeypatch, tmp_path, content, reason):
    path = tmp_path / "secret-key"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ImproperlyConfigured) as refused:
        load(monkeypatch, tmp_path, SECRET_KEY_FILE=str(path))
    assert str(refused.value) == f"SECRET_KEY_FILE={str(path)!r} {reason}"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "postgres://app:hunter2@db:port/cases"),
        ("DATABASE_URL", "postgress://app:hunter2@db/cases"),
        ("CASEFILES_TSA_URL", "ftp://user:hunter2@tsa.example.org/"),
    ],
)
def test_an_unusable_secret_is_named_but_never_shown(monkeypatch, tmp_path, name, value):
    for env in ({name: value}, {f"{name}_FILE": secret_file(tmp_path, value)}):
        with pytest.raises(ImproperlyConfigured) as refused:
            load(monkeypatch, tmp_path, **env)
        message = str(refused.value)
        assert message.startswith(f"{name} is not") and "hunter2" not in message
        # Nor in an exception chained to it, which a traceback would print.
        assert refused.value.__cause__ is None
        assert refused.value.__context__ is None or refused.value.__suppress_context__


def test_start_up_stops_with_the_message_not_a_bare_traceback(tmp_path):
    # The real start-up path: manage.py, as gunicorn's and celery's imports would meet it.
    env = {
        "PATH": "/usr/bin:/bin",
        "AXES_FAILURE_LIMIT": "five",
        "CASEFILES_VAR_DIR": str(tmp_path / "var"),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        env=env,
        cwd=live_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured: AXES_FAILURE_LIMIT='five' is not a "
        "whole number"
    )
    assert not (tmp_path / "var").exists()


# --- the documentation --------------------------------------------------------------------


def test_every_variable_is_in_the_configuration_table():
    text = OPERATIONS.read_text()
    table = text[text.index("## Configuration") :]
    table = table[: table.index("\n## ", 1)]
    missing = [name for name in VARIABLES if f"`{name}`" not in table]
    assert missing == []
    undocumented_files = [name for name in SECRETS if f"`{name}_FILE`" not in table]
    assert undocumented_files == []
