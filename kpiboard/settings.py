"""Settings, read from the environment with development defaults.

Without any environment ``make run`` works: SQLite under ``var/``, Celery eager (in-process), console e-mail.
``KPIBOARD_ENV=production`` refuses to start without ``SECRET_KEY``, a PostgreSQL ``DATABASE_URL`` and a
broker, and turns on the settings ``manage.py check --deploy`` asks for.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

KPIBOARD_ENV = env.str("KPIBOARD_ENV", default="development")
PRODUCTION = KPIBOARD_ENV == "production"

_DEV_SECRET = "dev-insecure-kpiboard-secret-key-change-me-for-production"  # noqa: S105 (development only)
SECRET_KEY = env.str("SECRET_KEY", default="" if PRODUCTION else _DEV_SECRET)
if PRODUCTION and not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when KPIBOARD_ENV=production.")

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when KPIBOARD_ENV=production.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "metrics",
    "campaigns",
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
    "accounts.middleware.ActiveOrganizationMiddleware",
]

ROOT_URLCONF = "kpiboard.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.tenancy",
                "metrics.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "kpiboard.wsgi.application"

# Database: SQLite under var/ by default; DATABASE_URL (postgres://…) for PostgreSQL.
_sqlite_url = f"sqlite:///{VAR_DIR / 'kpiboard.sqlite3'}"
DATABASES = {"default": env.db_url("DATABASE_URL", default=_sqlite_url)}
if PRODUCTION and "postgresql" not in DATABASES["default"]["ENGINE"]:
    raise ImproperlyConfigured("KPIBOARD_ENV=production needs a PostgreSQL DATABASE_URL.")
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if "sqlite" in DATABASES["default"]["ENGINE"]:
    VAR_DIR.mkdir(exist_ok=True)
    # WAL lets the dashboard read while an import writes; the timeout waits out a writer instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"  # the organization overview
LOGOUT_REDIRECT_URL = "login"

# Language and time: English and Simplified Chinese; Beijing time by default; amounts in CNY.
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True
CURRENCY = "CNY"

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "staticfiles")
WHITENOISE_USE_FINDERS = DEBUG  # development: serve from the finders (plotly.js from its package) directly
WHITENOISE_AUTOREFRESH = DEBUG
if not PRODUCTION:
    Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    # plotly.min.js comes from the installed plotly package, never from a CDN or from git.
    "kpiboard.staticfiles.PlotlyFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = "media/"

# Celery: eager in-process when no broker is configured (embedded mode), Redis otherwise.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
if PRODUCTION and not CELERY_BROKER_URL:
    raise ImproperlyConfigured("KPIBOARD_ENV=production needs CELERY_BROKER_URL or REDIS_URL.")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_VISIBILITY_TIMEOUT = env.int("CELERY_BROKER_VISIBILITY_TIMEOUT", default=3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT}
# Every task's hard limit stays below half the visibility timeout, so a running task is never redelivered.
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=CELERY_BROKER_VISIBILITY_TIMEOUT // 2 - 60)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 60
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    # Re-enqueue import batches whose worker died or whose message was lost (metrics.services.imports).
    "import-batches-sweep": {"task": "metrics.import_batches_sweep", "schedule": 5 * 60.0},
    # A new day moves every period preset ("last 30 days" ends today): render each organization's dashboards for
    # the new day's presets before anyone opens them (metrics.views.warm), five minutes after midnight here.
    "dashboards-warm-daily": {"task": "metrics.dashboards_warm_daily",
                              "schedule": crontab(hour=0, minute=5)},
}

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env.str("CACHE_URL", default=REDIS_URL)}
        if env.str("CACHE_URL", default=REDIS_URL)
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "kpiboard"}
    )
}

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="kpiboard <noreply@kpiboard.local>")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "kpiboard API",
    "DESCRIPTION": "Brands' KPIs on China's social platforms. Tenant resources live under /api/v1/orgs/<slug>/.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Imports.
KPIBOARD_IMPORT_MAX_BYTES = env.int("KPIBOARD_IMPORT_MAX_BYTES", default=100 * 1024 * 1024)
KPIBOARD_IMPORT_MAX_ROWS = env.int("KPIBOARD_IMPORT_MAX_ROWS", default=2_000_000)
KPIBOARD_IMPORT_STUCK_MINUTES = env.int("KPIBOARD_IMPORT_STUCK_MINUTES", default=30)
# After an import commits, a worker renders the changed brands' default dashboard pages (where a worker runs).
KPIBOARD_WARM_AFTER_IMPORT = env.bool("KPIBOARD_WARM_AFTER_IMPORT", default=True)
# How long the KPI engine's answers stay cached. Their keys carry the brands' data versions (metrics.kpis.cache),
# so an entry is never served after the data changed; the lifetime only bounds memory. A day and two hours: the
# pages warmed after midnight stay warm all day, and yesterday's entries are gone by the next morning.
KPIBOARD_KPI_CACHE_SECONDS = env.int("KPIBOARD_KPI_CACHE_SECONDS", default=26 * 3600)
# Category comparison: groups with fewer posts are flagged as too small to conclude from.
KPIBOARD_SMALL_SAMPLE = env.int("KPIBOARD_SMALL_SAMPLE", default=5)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

# The KPI engine's covering indexes (INCLUDE columns) are a PostgreSQL feature; on the embedded SQLite database the
# same indexes simply have no included columns, which is all the warning says.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
