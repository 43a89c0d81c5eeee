import re
from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_demo_users_can_sign_in_to_the_admin(client):
    out = StringIO()
    call_command("demo_users", stdout=out)
    found = re.findall(r"(\w+)\s+username: (\w+)\s+password: (\S+)", out.getvalue())
    assert {role for role, _, _ in found} == {
        "documenter",
        "supervisor",
        "legal_reviewer",
        "auditor",
    }
    assert client.get("/").url == "/admin/"
    login = client.get("/admin/login/")
    assert login.status_code == 200 and b"Case files" in login.content
    for role, username, password in found:
        assert client.login(username=username, password=password), role
        page = client.get("/admin/")
        assert page.status_code == 200 and b"Case files" in page.content, role
        client.logout()
    # Running it again resets the passwords instead of failing.
    call_command("demo_users", stdout=StringIO())


@pytest.mark.django_db(transaction=True)
def test_the_demo_is_quiet_and_human(tmp_path):
    """`make demo`'s steps on a fresh data directory print no warning and no JSON log
    line (issue 18): plain-text logs in development, no AXES banner, no broker warning
    with tasks in-process, the dev server's own warning hidden, one 'Watching' line."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from django.conf import settings

    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "LOG_FORMAT")
    }
    env["CASEFILES_VAR_DIR"] = str(tmp_path / "var")
    manage = [sys.executable, "manage.py"]
    output = []
    for args in (["migrate", "--noinput"], ["demo_users"], ["ingest_seeds"]):
        done = subprocess.run(
            manage + args,
            env=env,
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
        output += (done.stdout + done.stderr).splitlines()
    server = subprocess.Popen(
        [*manage, "runserver", "127.0.0.1:0"],
        env={**env, "DEBUG": "1", "DJANGO_RUNSERVER_HIDE_WARNING": "true"},
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            output.append(line.rstrip("\n"))
            if "Quit the server" in line:
                break
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    assert any("Quit the server" in line for line in output), output
    assert [line for line in output if line.lstrip().startswith("{")] == []
    assert [line for line in output if "WARNING" in line or "Warning" in line] == []
    assert sum("Watching for file changes" in line for line in output) == 1
    assert any(re.search(r"documenter\s+username: doc\s+password: \S+", line) for line in output)
