"""Volna settings: one module, every deploy knob read from the environment.

See the configuration table in README.md. Nothing here has a secret default outside DEBUG.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "volna-insecure-development-key-only-for-debug"  # noqa: S105 (DEBUG only)

# HMAC key for invitation tokens and resume codes; separate from SECRET_KEY so either can rotate.
VOLNA_TOKEN_KEY = env.str("VOLNA_TOKEN_KEY", default="")
if not VOLNA_TOKEN_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("VOLNA_TOKEN_KEY must be set when DEBUG is off.")
    VOLNA_TOKEN_KEY = "volna-insecure-token-key-only-for-debug"  # noqa: S105 (DEBUG only)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "axes",
    "surveys",
    "respondents",
    "exports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
    # last: turns a locked-out admin sign-in into the lockout page (config/login_throttle.py)
    "axes.middleware.AxesMiddleware",
]

# Respondent pages load nothing from another origin (DESIGN.md §4); the admin follows the same policy.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "object-src": ["'none'"],
    }
}
# An expired CSRF token on a respondent page brings the page back filled in, never a bare 403.
CSRF_FAILURE_VIEW = "respondents.resume_views.csrf_failure"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'volna.sqlite3'}"),
}
# Persistent connections: a new connection per request costs most of the throughput (DESIGN.md §6).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The axes backend first: a locked-out username is refused before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Admin sign-in throttling (docs/security.md): failures counted per username in the database (works
# with Redis down), no IP address, user agent or Accept header stored or logged.
AXES_HANDLER = "config.login_throttle.AnonymousDatabaseHandler"
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_FAILURE_LIMIT = env.int("VOLNA_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("VOLNA_LOGIN_COOLOFF_MINUTES", default=15))
# Attempts made while locked are not counted, so the lockout ends COOLOFF after it began.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "config.login_throttle.client_address"
AXES_CLIENT_STR_CALLABLE = "config.login_throttle.client_description"
AXES_LOCKOUT_CALLABLE = "config.login_throttle.lockout_response"
AXES_VERBOSE = False
AXES_DISABLE_ACCESS_LOG = True  # no row per successful sign-in
AXES_ENABLE_ACCESS_FAILURE_LOG = False
# No axes pages in the admin (they are not team-scoped); unlock with `manage.py axes_reset_username`.
AXES_ENABLE_ADMIN = False
# axes.W006 asks for the client's IP address among the lockout parameters: Volna stores no address
# by design (DESIGN.md §4), and a count per username cannot be dodged by rotating user agents or
# cookies, which is what the warning is about (docs/security.md, "Checks that are silenced").
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Interface languages of Volna itself; survey languages are data and need no entry here.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Hashed, compressed static files in production (needs collectstatic); plain files in DEBUG and tests.
STATIC_MANIFEST = env.bool("STATIC_MANIFEST", default=not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
MEDIA_ROOT = env.path("VOLNA_PRIVATE_ROOT", default=BASE_DIR / "private")

FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
# Largest XLSForm the importer accepts (bytes).
VOLNA_XLSFORM_MAX_BYTES = env.int("VOLNA_XLSFORM_MAX_BYTES", default=5_000_000)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Celery: with no REDIS_URL, tasks run eagerly in the web process (demo and plain `make test`).
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = False  # set per task, only on idempotent ones
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Longer than the longest task, so a slow task is not redelivered while it still runs.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 6 * 3600}
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="volna")
CELERY_BEAT_SCHEDULE = {
    "reconcile-check-runs": {
        "task": "surveys.tasks.check_runs_reconcile_task",
        "schedule": crontab(minute="*/5"),
    },
    "reconcile-export-jobs": {
        "task": "exports.tasks.export_jobs_reconcile_task",
        "schedule": crontab(minute="*/5"),
    },
    "expire-export-files": {
        "task": "exports.tasks.export_files_expire_task",
        "schedule": crontab(minute=17),
    },
    # Live dashboard: refresh the waves whose responses changed; a beat message that waited longer
    # than a minute is dropped (the next one does the same work).
    "aggregate-open-waves": {
        "task": "exports.tasks.aggregate_open_waves_task",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    "reconcile-aggregate-snapshots": {
        "task": "exports.tasks.aggregation_reconcile_task",
        "schedule": crontab(minute="*/5"),
    },
}

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "volna",
            "TIMEOUT": 300,
            # Redis is a cache: when it is down, requests go on without it.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

SECURE_CONTENT_TYPE_NOSNIFF = True
# "same-origin", not "no-referrer": with no-referrer browsers send "Origin: null" on form posts and
# CSRF protection refuses them; same-origin still sends nothing to any other site (docs/decisions.md).
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# The container's health check asks over plain HTTP from inside (docker-compose.yml).
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)

LOGIN_URL = "admin:login"

# How many reverse proxies in front of Volna append to X-Forwarded-For (rate limits need the
# client's address, which is hashed and never stored); 0 when clients connect directly.
VOLNA_TRUSTED_PROXIES = env.int("VOLNA_TRUSTED_PROXIES", default=0)
# PostgreSQL work_mem for an export's one COPY, so that its sort by response ID stays in memory.
VOLNA_EXPORT_WORK_MEM = env.str("VOLNA_EXPORT_WORK_MEM", default="256MB")
# Seconds a wave (status, texts) is kept in each web process's memory on respondent pages.
VOLNA_WAVE_CACHE_SECONDS = env.float("VOLNA_WAVE_CACHE_SECONDS", default=5.0)

# Logs carry no client address, user agent, referrer, query string or POST body (DESIGN.md §4).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            # in production, tracebacks in the log name each exception but not its message
            "()": "logging.Formatter" if DEBUG else "config.logging.AnonymousFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "filters": {"redact": {"()": "config.logging.RedactFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # django.request and django.server log the request line; ours are reduced to the path.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.server": {"handlers": [], "level": "CRITICAL", "propagate": False},
    },
}
# Error reports (mailed to ADMINS, or kept by any tool fed from Django's reporter) carry no POST value,
# local variable, cookie, query string or identifying header (config/errors.py).
DEFAULT_EXCEPTION_REPORTER = "config.errors.AnonymousExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "config.errors.AnonymousReporterFilter"
