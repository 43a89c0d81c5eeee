"""API tokens of our own (hashed, expiring, scoped) instead of DRF's authtoken, whose
table kept every key in plain text: it is dropped here, so a copy of the database made
after this migration holds no usable key (the old tokens stop working at once)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('casefiles', '0012_security_log'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ApiToken',
            fields=[
                ('id', models.UUIDField(primary_key=True, serialize=False)),
                ('key_hash', models.CharField(max_length=64, unique=True)),
                ('prefix', models.CharField(max_length=8)),
                ('name', models.CharField(blank=True, max_length=100)),
                ('scope', models.CharField(choices=[('read', 'Read only'), ('write', 'Read and write')], max_length=5)),
                ('issued_with', models.CharField(max_length=20)),
                ('created_at', models.DateTimeField()),
                ('last_used_at', models.DateTimeField()),
                ('expires_at', models.DateTimeField()),
                ('revoked_at', models.DateTimeField(blank=True, null=True)),
                ('revoked_by', models.CharField(blank=True, max_length=150)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_tokens', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'API token',
                'ordering': ['-created_at'],
            },
        ),
        # rest_framework.authtoken is no longer installed; its table held plain keys.
        migrations.RunSQL("DROP TABLE IF EXISTS authtoken_token", migrations.RunSQL.noop),
    ]
