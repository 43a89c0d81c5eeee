"""Settings, all driven by environment variables with safe defaults.

The embedded default (no variables set) is SQLite in ./var and Celery tasks run
eagerly in-process. A real deployment sets DATABASE_URL (PostgreSQL) and
REDIS_URL / CELERY_BROKER_URL. Every variable is read through config/env.py, which stops
start-up with a message naming a variable whose value it cannot use; secrets may come
from a file (X_FILE). Importing this module creates nothing on disk: folders are made
where they are first needed (docs/operations.md, "Configuration").
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    parse_secret,
    read_bool,
    read_choice,
    read_duration,
    read_int,
    read_list,
    read_path,
    read_secret,
    read_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
HOUR = timedelta(hours=1)

VAR_DIR = read_path("CASEFILES_VAR_DIR", BASE_DIR / "var")

# DJANGO_ENV=production switches on the hardened settings below (docs/operations.md).
# Only these two: a misspelt "Production" must not start the development settings.
DJANGO_ENV = read_str("DJANGO_ENV", "development")
if DJANGO_ENV not in ("production", "development"):
    raise ImproperlyConfigured(
        f"DJANGO_ENV={DJANGO_ENV!r} is neither 'production' nor 'development' (exactly, "
        "lower case); refusing to guess which settings you meant"
    )
PRODUCTION = DJANGO_ENV == "production"
DEBUG = read_bool("DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when DJANGO_ENV=production")
SECRET_KEY = read_secret("SECRET_KEY", None)
if SECRET_KEY is None:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in production")
    # Development only: a fixed, obviously-insecure key so sessions survive restarts.
    SECRET_KEY = "insecure-development-key-set-SECRET_KEY-in-production"  # noqa: S105
ALLOWED_HOSTS = read_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "casefiles.admin_apps.CaseFilesAdminConfig",  # django.contrib.admin + optional TOTP
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp_webauthn",  # passkeys as a second factor beside TOTP (docs/admin.md)
    "casefiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "casefiles.observability.RequestIdMiddleware",
    # Bodies over their cap are refused before they are read (casefiles/request_limits.py).
    "casefiles.request_limits.RequestSizeMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language cookie (set by /i18n/setlang/), else Accept-Language, else English.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Who changes roles, teams and grants, for the security log (casefiles/security_log.py).
    "casefiles.security_log.RequestMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout into a clear 429 page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out user is refused before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Searched before the apps, so casefiles/templates/admin/base_site.html (the
        # language switch) overrides django.contrib.admin's, which is installed first.
        "DIRS": [BASE_DIR / "casefiles" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_database_url = read_secret("DATABASE_URL", f"sqlite:///{VAR_DIR / 'casefiles.sqlite3'}")
_conn_max_age = read_int("DB_CONN_MAX_AGE", 0)
DATABASES = {
    "default": parse_secret(
        "DATABASE_URL",
        _database_url,
        lambda url: dj_database_url.parse(url, conn_max_age=_conn_max_age),
        "a database URL (postgres://user:password@host:port/name, sqlite:///path)",
    )
}
# The password apart from the URL, so that it alone can be a file (a docker secret)
# while the rest of the URL stays in plain configuration.
_database_password = read_secret("DATABASE_PASSWORD", None)
if _database_password is not None:
    DATABASES["default"]["PASSWORD"] = _database_password
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite backend, which first creates the database file's folder (here
    # ./var by default): made when first connected to, not when settings are imported.
    DATABASES["default"]["ENGINE"] = "config.backends.sqlite3"
    # IMMEDIATE takes the write lock when a transaction starts, so two commands on
    # SQLite serialise instead of failing half-way with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# The admin's own strings are translated to Ukrainian (casefiles/locale, docs/admin.md).
LANGUAGES = [("en", "English"), ("uk", "Українська")]
LOCALE_PATHS = [BASE_DIR / "casefiles" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# WhiteNoise serves from here: collectstatic creates and fills it (the Dockerfile runs it;
# under DEBUG the apps' own folders are served instead).
STATIC_ROOT = read_path("STATIC_ROOT", VAR_DIR / "static")

# Content-addressed originals (chain of custody): never modified once written.
CASEFILES_BLOB_DIR = read_path("CASEFILES_BLOB_DIR", VAR_DIR / "blobs")

# Ed25519 key that signs case exports (docs/export.md): created on first use, mode 0600.
CASEFILES_SIGNING_KEY = read_path("CASEFILES_SIGNING_KEY", VAR_DIR / "signing" / "ed25519.key")
# Signed checkpoints written after each successful nightly verification, and bundles
# built for the API (docs/export.md).
CASEFILES_CHECKPOINT_DIR = read_path("CASEFILES_CHECKPOINT_DIR", VAR_DIR / "checkpoints")
CASEFILES_EXPORT_DIR = read_path("CASEFILES_EXPORT_DIR", VAR_DIR / "exports")

# The transparency log (docs/transparency-log.md): its name in every signed tree head
# (unique per deployment: a schema-less URL), the witnesses whose cosignatures it
# accepts (their vkeys, separated by spaces or commas) and how often beat publishes a
# tree head: the longest an event waits before a signed tree head covers it.
CASEFILES_LOG_ORIGIN = read_str("CASEFILES_LOG_ORIGIN", "casefiles.localhost/log")
CASEFILES_WITNESSES = [
    vkey for vkey in read_str("CASEFILES_WITNESSES", "").replace(",", " ").split() if vkey
]
CASEFILES_TREE_HEAD_INTERVAL = int(
    read_duration(
        "CASEFILES_TREE_HEAD_INTERVAL", timedelta(seconds=60), minimum=timedelta(seconds=1)
    ).total_seconds()
)
# How long the sequencer waits for a transaction that may still add events before it
# leaves the new events to the next round (writers themselves never wait for it).
CASEFILES_SEQUENCER_WAIT = read_duration(
    "CASEFILES_SEQUENCER_WAIT", timedelta(seconds=30)
).total_seconds()
# Optional RFC 3161 time-stamps of every new tree head (docs/transparency-log.md,
# "Time-stamps (RFC 3161)"): the time-stamping authority's URL (empty: off; a secret, as
# a paid TSA's URL may carry its access key) and a PEM file with its root (or chain) that
# its answers must be signed through.
CASEFILES_TSA_URL = read_secret("CASEFILES_TSA_URL", "")
if CASEFILES_TSA_URL and not CASEFILES_TSA_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(
        "CASEFILES_TSA_URL is not an http(s) URL (the value is not "
        "shown: it may hold an access key)"
    )
_tsa_ca_file = read_path("CASEFILES_TSA_CA_FILE", None)
CASEFILES_TSA_CA_FILE = "" if _tsa_ca_file is None else str(_tsa_ca_file)

# Celery: no broker configured means tasks run eagerly, in-process.
# Redis URLs may hold a password: each can come from a file (X_FILE).
REDIS_URL = read_secret("REDIS_URL", None)
CELERY_BROKER_URL = read_secret("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = read_secret("CELERY_RESULT_BACKEND", CELERY_BROKER_URL)
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = read_str("CELERY_QUEUE", "casefiles")
# With acks_late, a message taken by a worker that is then killed (SIGKILL, OOM) stays
# unacknowledged in Redis and goes back to the queue only once older than this; at the
# transport's default (1 hour) its document stays "queued" that long (issue 9,
# tests/reliability/test_worker_kill.py). A task running longer than this is delivered
# twice, which is harmless: document_ingest locks its job and returns a finished one.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(
        read_duration(
            "CELERY_VISIBILITY_TIMEOUT", timedelta(seconds=300), minimum=timedelta(seconds=1)
        ).total_seconds()
    ),
}
# Redis can also lose a message outright (a worker killed between taking it and filing it
# as unacknowledged): beat queues again any job still queued this long after submission
# (casefiles/commands/jobs.py). Longer than the visibility timeout, so that the broker's
# own redelivery comes first.
CASEFILES_REQUEUE_AFTER = int(
    read_duration(
        "CASEFILES_REQUEUE_AFTER",
        timedelta(seconds=CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] + 60),
        minimum=timedelta(seconds=1),
    ).total_seconds()
)

REST_FRAMEWORK: dict[str, object] = {
    # Token first: its WWW-Authenticate header makes DRF answer 401 (not 403) to anonymous.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "casefiles.api.tokens.TokenAuthentication",
        "casefiles.api.tokens.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "casefiles.api.permissions.HasRole",
        "casefiles.api.visibility.CaseVisible",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["casefiles.api.filters.StrictFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "casefiles.api.pagination.Pages",
    "EXCEPTION_HANDLER": "casefiles.api.problems.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": read_str("API_THROTTLE_ANON", "60/minute"),
        "user": read_str("API_THROTTLE_USER", "3000/minute"),
        # Token issuing checks a password: kept slow for guessing.
        "auth": read_str("API_THROTTLE_AUTH", "10/minute"),
    },
}
# Behind TRUSTED_PROXY_COUNT reverse proxies the client is the address the outermost one
# appended to X-Forwarded-For; with 0 (the default) that header is ignored and REMOTE_ADDR
# is the client. DRF's own default (None) would key throttles on the whole header, which
# the client writes: a new value per request, a fresh budget per request.
TRUSTED_PROXY_COUNT = read_int("TRUSTED_PROXY_COUNT", 0)
REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXY_COUNT

# Hostile input gets a 4xx with a reason (docs/api.md, "Limits"): JSON bodies within a
# nesting depth and finite, sane numbers; request bodies refused by declared size before
# they are read: DATA_UPLOAD_MAX_MEMORY_SIZE (Django's, 2.5 MB) for everything but
# multipart uploads, which may carry a document up to its limit (20 MiB) plus the form.
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "casefiles.api.parsers.JSONParser",
    "rest_framework.parsers.FormParser",
    "rest_framework.parsers.MultiPartParser",
]
DATA_UPLOAD_MAX_MEMORY_SIZE = read_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440, minimum=1)
CASEFILES_MAX_UPLOAD_BYTES = read_int("CASEFILES_MAX_UPLOAD_BYTES", 21 * 1_048_576, minimum=1)

# Throttle counters (and anything else cached) live in Redis when it is configured, so
# every gunicorn worker shares them; otherwise in this process's memory.
CACHE_URL = read_secret("CACHE_URL", REDIS_URL)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
        "KEY_PREFIX": "casefiles",
    }
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
SPECTACULAR_SETTINGS = {
    # <case:case_id> (casefiles/api/converters.py): a case's id or its reference.
    "PATH_CONVERTER_OVERRIDES": {
        "case": {
            "type": "string",
            "description": "the case's id (a UUID) or its reference (CF-YYYY-NNNNNN)",
            "pattern": "^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
            "|[Cc][Ff]-[0-9]{4}-[0-9]{6})$",
        }
    },
    "TITLE": "Case files API",
    "DESCRIPTION": "Cases, their hash-chained event history, sources, transitions and "
    "approvals. Writes call the same commands as the admin. See docs/api.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per choice set where fields share a name ("role", "status"): without
    # them drf-spectacular makes up hashed names (Role50dEnum) and warns.
    "ENUM_NAME_OVERRIDES": {
        "CaseStateEnum": "casefiles.domain.workflow.STATES",
        # A source's provenance and a span's origin chain: the same six roles.
        "ChainRoleEnum": "casefiles.domain.workflow.PROVENANCE_ROLES",
        "PersonRoleEnum": "casefiles.domain.persons.PERSON_ROLES",
        "CorroborationStatusEnum": ["uncorroborated", "single_origin", "corroborated"],
        "ExportStatusEnum": ["queued", "ready", "failed"],
    },
    # Swagger UI served from our own static files: no CDN, and the CSP stays 'self'.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# Structured logs in production: one JSON object per line with the request id and user
# (casefiles/observability.py); plain text lines in development (LOG_FORMAT chooses).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "casefiles.observability.ContextFilter"}},
    "formatters": {
        "json": {"()": "casefiles.observability.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["context"],
            "formatter": read_choice(
                "LOG_FORMAT", "json" if PRODUCTION else "text", ("json", "text")
            ),
        }
    },
    "root": {
        "handlers": ["console"],
        "level": read_choice(
            "LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
        ),
    },
    # A line per task run is a worker's log; tasks run in-process (the embedded default)
    # would print one into every management command's output.
    "loggers": {
        # Django's own console handler (DEBUG only) would print each of its lines a second
        # time, unformatted: they go to the root's handler alone.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        **({"celery.app.trace": {"level": "WARNING"}} if CELERY_TASK_ALWAYS_EAGER else {}),
    },
}

HEALTH_WORKER_TIMEOUT = read_duration("HEALTH_WORKER_TIMEOUT", timedelta(seconds=2)).total_seconds()
# /health/ready/ answers 503 and `check --deploy` errs when the database role could get
# past the append-only guards (casefiles/dbroles.py; docs/operations.md, "Database roles").
CASEFILES_REQUIRE_LEAST_PRIVILEGE = read_bool("CASEFILES_REQUIRE_LEAST_PRIVILEGE", PRODUCTION)

# Celery beat: nightly verification of every chain, and head checkpoints.
CELERY_BEAT_SCHEDULE = {
    "publish-tree-head": {
        "task": "casefiles.tasks.publish_tree_head",
        "schedule": CASEFILES_TREE_HEAD_INTERVAL,
    },
    "requeue-stalled-jobs": {
        "task": "casefiles.tasks.requeue_stalled_jobs",
        "schedule": CASEFILES_REQUEUE_AFTER,
    },
    "verify-chains-nightly": {
        "task": "casefiles.tasks.verify_chains",
        "schedule": int(
            read_duration(
                "VERIFY_INTERVAL_SECONDS", 24 * HOUR, minimum=timedelta(seconds=1)
            ).total_seconds()
        ),
    },
}

# Login protection (django-axes, casefiles/lockout.py): after AXES_FAILURE_LIMIT failures
# a username is locked for AXES_BACKOFF_BASE seconds, doubling with each further failure
# up to AXES_BACKOFF_MAX; failures are forgotten AXES_FAILURE_MEMORY_HOURS after the last.
# By username, not address: behind a proxy, or from many addresses, it is the account that
# is guessed at; the short back-off keeps anyone from locking its owner out for long.
AXES_ENABLED = read_bool("AXES_ENABLED", True)
# No "AXES: BEGIN version …" banner at every start of every management command.
AXES_VERBOSE = False
AXES_FAILURE_LIMIT = read_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_HANDLER = "casefiles.lockout.BackoffHandler"
# django-axes' own default, stated because casefiles/lockout.py reads it.
AXES_LOCK_OUT_AT_FAILURE = True
AXES_BACKOFF_BASE = read_duration("AXES_BACKOFF_BASE", timedelta(seconds=1)).total_seconds()
AXES_BACKOFF_MAX = read_duration("AXES_BACKOFF_MAX", timedelta(seconds=900)).total_seconds()
# Renamed environment variables, old name: new name. An old name still set is honoured
# when the new one is not, and named by a start-up warning either way (system check
# casefiles.W102, casefiles/checks.py): never silently ignored.
RENAMED_ENV = {"AXES_COOLOFF_HOURS": "AXES_FAILURE_MEMORY_HOURS"}
RENAMED_ENV_SEEN = [
    (old, new, read_str(new, None) is not None)
    for old, new in RENAMED_ENV.items()
    if read_str(old, None) is not None
]
_memory_name = (
    "AXES_COOLOFF_HOURS"
    if read_str("AXES_FAILURE_MEMORY_HOURS", None) is None
    and read_str("AXES_COOLOFF_HOURS", None) is not None
    else "AXES_FAILURE_MEMORY_HOURS"
)
# At least a second: 0 would mean "never forget" to django-axes (a falsy cool-off).
AXES_COOLOFF_TIME = read_duration(_memory_name, 24 * HOUR, unit=HOUR, minimum=timedelta(seconds=1))
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes.W006 wants the address among the parameters lest rotating User-Agents evade the
# count; counted by username, every agent and address adds to the one count. With the
# address as a parameter of its own, one successful sign-in (the attacker's own account)
# would erase the failures recorded from that address, against every username.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# A try while locked out is refused but not counted: it neither extends the lockout nor
# grows the back-off, so hammering a locked account gains the attacker nothing.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
# Keep a record of every failed sign-in (who, from where, when, locked out or not), not
# only the counts the lockout needs, which a success or the memory period clears.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# The same client address as the API's throttles (casefiles/client_address.py).
AXES_CLIENT_IP_CALLABLE = "casefiles.client_address.client_address"

# API tokens (docs/api.md, "Access"): a token ends after this long unused, and this long
# after it was issued whatever its use.
API_TOKEN_IDLE_SECONDS = int(
    read_duration("API_TOKEN_IDLE_SECONDS", 8 * HOUR, minimum=timedelta(seconds=1)).total_seconds()
)
API_TOKEN_MAX_AGE_SECONDS = int(
    read_duration(
        "API_TOKEN_MAX_AGE_SECONDS", 30 * 24 * HOUR, minimum=timedelta(seconds=1)
    ).total_seconds()
)
# Holders of these roles must have a confirmed second-factor device to sign in to the
# admin or get an API token (casefiles/authpolicy.py). Default: supervisors, legal
# reviewers and auditors in production, nobody in development; "none" switches it off.
CASEFILES_SECOND_FACTOR_ROLES = [
    role
    for role in read_list(
        "CASEFILES_SECOND_FACTOR_ROLES",
        ["supervisor", "legal_reviewer", "auditor"] if PRODUCTION else [],
    )
    if role != "none"
]
_unknown_roles = set(CASEFILES_SECOND_FACTOR_ROLES) - {
    "documenter",
    "supervisor",
    "legal_reviewer",
    "auditor",
}
if _unknown_roles:
    raise ImproperlyConfigured(
        f"CASEFILES_SECOND_FACTOR_ROLES names unknown roles: {', '.join(sorted(_unknown_roles))}"
    )

# Passkeys (WebAuthn, django-otp-webauthn) as a second factor beside TOTP, never instead
# of the password (docs/admin.md, "Second factor"). A passkey is bound to the relying-party
# id, the host name people use (not an IP address: browsers refuse those): changing it later
# invalidates every registered passkey. The origins are the admin's exact scheme://host:port.
OTP_WEBAUTHN_RP_ID = read_str("WEBAUTHN_RP_ID", "localhost")
OTP_WEBAUTHN_RP_NAME = read_str("WEBAUTHN_RP_NAME", "Case files")
OTP_WEBAUTHN_ALLOWED_ORIGINS = read_list("WEBAUTHN_ORIGINS", ["http://localhost:8000"])
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_TIMEOUT_SECONDS = int(
    read_duration(
        "WEBAUTHN_TIMEOUT_SECONDS", timedelta(seconds=120), minimum=timedelta(seconds=1)
    ).total_seconds()
)

# Sessions end after a working day, and when the browser closes.
SESSION_COOKIE_AGE = int(
    read_duration("SESSION_COOKIE_AGE", 8 * HOUR, minimum=timedelta(seconds=1)).total_seconds()
)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Content Security Policy (django-csp 4): the admin needs only its own scripts and styles.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SECURE_SSL_REDIRECT = read_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(read_duration("SECURE_HSTS_SECONDS", 365 * 24 * HOUR).total_seconds())
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = read_bool("SECURE_HSTS_PRELOAD", True)
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    CSRF_TRUSTED_ORIGINS = read_list("CSRF_TRUSTED_ORIGINS", [])
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
