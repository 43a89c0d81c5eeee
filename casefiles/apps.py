from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CasefilesConfig(AppConfig):
    name = "casefiles"
    verbose_name = "Case files"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from casefiles import checks, security_log  # noqa: F401 - checks registers itself
        from casefiles.roles import ensure_groups

        post_migrate.connect(ensure_groups, sender=self)
        security_log.connect()
