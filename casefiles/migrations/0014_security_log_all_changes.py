"""The security log records every change of who may do what (casefiles/security_log.py):
entries name a user or a group.

On SQLite, adding the column rebuilds the table, which drops its append-only triggers:
they are created again on the new table (PostgreSQL alters the table in place and keeps
them)."""

import importlib

from django.db import migrations, models

security_log = importlib.import_module("casefiles.migrations.0012_security_log")


def sqlite_triggers_again(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for create, drop in security_log._sqlite():
            schema_editor.execute(drop, params=None)
            schema_editor.execute(create, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('casefiles', '0013_api_tokens'),
    ]

    operations = [
        # Backwards, removing the column rebuilds the table again: this runs after it.
        migrations.RunPython(migrations.RunPython.noop, sqlite_triggers_again),
        migrations.AddField(
            model_name='securitylogentry',
            name='subject_kind',
            field=models.CharField(choices=[('user', 'user'), ('group', 'group')], default='user', max_length=5),
        ),
        migrations.AlterField(
            model_name='securitylogentry',
            name='action',
            field=models.CharField(choices=[('clearance_granted', 'Clearance granted'), ('clearance_revoked', 'Clearance revoked'), ('group_joined', 'Joined a group'), ('group_left', 'Left a group'), ('permission_granted', 'Permission granted'), ('permission_revoked', 'Permission revoked'), ('account_created', 'Account created'), ('administrator_made', 'Made an administrator'), ('administrator_unmade', 'No longer an administrator'), ('account_deactivated', 'Account deactivated'), ('account_reactivated', 'Account reactivated'), ('account_deleted', 'Account deleted'), ('group_deleted', 'Group deleted')], max_length=40),
        ),
        migrations.AlterField(
            model_name='securitylogentry',
            name='permission',
            field=models.CharField(max_length=200, verbose_name='what'),
        ),
        migrations.RunPython(sqlite_triggers_again, migrations.RunPython.noop),
    ]
