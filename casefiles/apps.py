from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CasefilesConfig(AppConfig):
    name = "casefiles"
    verbose_name = "Case files"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # checks registers itself; tasks registers the tasks commands queue (commands.ports).
        from casefiles import checks, security_log, tasks  # noqa: F401
        from casefiles.roles import ensure_groups
        from casefiles.search import ensure_sqlite_triggers

        post_migrate.connect(ensure_groups, sender=self)
        post_migrate.connect(ensure_sqlite_triggers, sender=self)
        security_log.connect()
