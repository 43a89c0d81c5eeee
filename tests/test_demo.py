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
