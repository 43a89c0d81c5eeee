"""System checks of the deployment (`manage.py check --deploy`)."""

from django.conf import settings
from django.core import checks

from casefiles import dbroles


@checks.register(checks.Tags.database, deploy=True)
def database_role(app_configs=None, databases=None, **kwargs) -> list[checks.CheckMessage]:
    """An error for each way the application's database role could get past the
    append-only guards (casefiles/dbroles.py), when CASEFILES_REQUIRE_LEAST_PRIVILEGE is on
    (by default in production)."""
    if not settings.CASEFILES_REQUIRE_LEAST_PRIVILEGE:
        return []
    try:
        report = dbroles.inspect_role()
    except Exception as exc:  # noqa: BLE001 - a check that cannot run must say so
        return [
            checks.Error(
                f"cannot inspect the database role: {type(exc).__name__}: {exc}",
                hint="Is DATABASE_URL right and the database reachable?",
                id="casefiles.E100",
            )
        ]
    if not report.applicable:
        return [
            checks.Warning(
                "SQLite cannot enforce least privilege: it has no database roles, so any process "
                "that may write the database file may rewrite or delete events (the triggers "
                "are in the same file); only the hash chains and signed tree heads would tell.",
                hint=f"Run production on PostgreSQL with a runtime role ({dbroles.DOCS}), or set "
                "CASEFILES_REQUIRE_LEAST_PRIVILEGE=0 to say that this is understood.",
                id="casefiles.W101",
            )
        ]
    return [
        checks.Error(problem.message, hint=problem.hint, id=f"casefiles.{problem.id}")
        for problem in report.problems
    ]


@checks.register()
def renamed_environment(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A warning for each renamed environment variable still set under its old name
    (config/settings.py, RENAMED_ENV): honoured if the new name is not set, else ignored;
    either way the operator is told, at every start-up check (migrate, runserver, check)."""
    found: list[checks.CheckMessage] = []
    for old, new, new_too in settings.RENAMED_ENV_SEEN:
        if new_too:
            message = (
                f"{old} is set but ignored: it is the old name of {new}, which is "
                f"set too and is used."
            )
        else:
            message = f"{old} is the old name of {new}; its value is used for now."
        found.append(
            checks.Warning(
                message,
                hint=f"Rename {old} to {new} in the environment (docs/operations.md).",
                id="casefiles.W102",
            )
        )
    return found
