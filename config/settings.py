"""Marquee settings: one module, every knob read from the environment (see .env.example)."""

import os
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from marquee.common.money import is_currency

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SECRET_KEY = "insecure-dev-only-secret-key-change-me"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default=DEFAULT_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEFAULT_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")


def _keys(name: str, default: list[str]) -> list[str]:
    """A comma-separated list of keys (blanks dropped)."""
    return [key.strip() for key in env.list(name, default=default) if key.strip()]


# Rotation: set the new SECRET_KEY and keep the old one here until what it signed has expired
# (sessions, password-reset links, and unless they have keys of their own, JWTs and tickets).
SECRET_KEY_FALLBACKS = _keys("SECRET_KEY_FALLBACKS", [])


def _signing_key(name: str) -> tuple[str, list[str]]:
    """A key of its own from `name`, or SECRET_KEY; its fallbacks from `<name>_FALLBACKS`,
    by default SECRET_KEY_FALLBACKS while the key is SECRET_KEY (rotated together)."""
    own = env(name, default="")
    return own or SECRET_KEY, _keys(f"{name}_FALLBACKS", [] if own else SECRET_KEY_FALLBACKS)


# E-ticket codes (and the booking page links in emails); verified with the fallbacks too.
TICKET_SIGNING_KEY, TICKET_SIGNING_KEY_FALLBACKS = _signing_key("TICKET_SIGNING_KEY")
# Ed25519 ticket codes, which a door device verifies offline with the public keys
# (marquee/tickets/codes.py). Each entry is `<key id>:<private key>` (the 32-byte seed in
# base64url, from `manage.py ticket_signing_key`); the first signs, the others only verify.
# Empty: one key derived from TICKET_SIGNING_KEY, and one from each of its fallbacks.
TICKET_SIGNING_ED25519_KEYS = _keys("TICKET_SIGNING_ED25519_KEYS", [])
# `<key id>:<public key>` of retired keys whose private half is gone: their codes still verify.
TICKET_VERIFY_ED25519_PUBLIC_KEYS = _keys("TICKET_VERIFY_ED25519_PUBLIC_KEYS", [])
# The transition: HMAC codes issued before the Ed25519 codes are still admitted while True.
TICKET_CODES_ACCEPT_HMAC = env.bool("TICKET_CODES_ACCEPT_HMAC", default=True)
# The door: how long a scan may be undone, and how far back the check-in list's delta feed
# looks again before its cursor (a change committed late by a slow transaction still shows).
DOOR_UNDO_SECONDS = env.int("DOOR_UNDO_SECONDS", default=120)
DOOR_FEED_OVERLAP_SECONDS = env.int("DOOR_FEED_OVERLAP_SECONDS", default=60)
# The door's scans are deleted this many days after their show ended (daily, by beat).
DOOR_SCAN_RETENTION_DAYS = env.int("DOOR_SCAN_RETENTION_DAYS", default=90)
if DOOR_SCAN_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("DOOR_SCAN_RETENTION_DAYS must be at least 1 (days).")
# JWTs: signed with the key, verified with it or a fallback (marquee/accounts/tokens.py).
JWT_SIGNING_KEY, JWT_SIGNING_KEY_FALLBACKS = _signing_key("JWT_SIGNING_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# How many proxies of ours (nginx, a load balancer) stand in front of the app, each appending
# to X-Forwarded-For. 0: the header is ignored and REMOTE_ADDR is the client. Every
# per-address limit (throttles, login lockout) and the logs go through one function that
# reads it (marquee/common/client_address.py). Production sets it explicitly (a deploy check).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
TRUSTED_PROXY_COUNT_SET = "TRUSTED_PROXY_COUNT" in os.environ
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more.")

INSTALLED_APPS = [
    # First: its `runserver` (a listen backlog that holds a rush) replaces staticfiles'.
    "marquee.common",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "corsheaders",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "marquee.accounts",
    "marquee.catalog",
    # Seat-change events for the live seat map; below booking, beside common.
    "marquee.live",
    "marquee.booking",
    "marquee.tickets",
    "marquee.payments",
    "marquee.waitlist",
    "marquee.reports",
    "marquee.demo",
    # The moviegoer's site: on top of everything, nothing imports it (docs/architecture.md).
    "marquee.web",
    "marquee.staff",
]

MIDDLEWARE = [
    "marquee.common.middleware.RequestContextMiddleware",
    # Before host validation: probes reach a process by its IP (marquee/common/middleware.py).
    "marquee.common.middleware.HealthProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The visitor's language for the site's pages (never for /api/: it stays English, unvaried).
    "marquee.common.middleware.PageLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "csp.middleware.CSPMiddleware",
]

# Admin messages live in the session the admin already uses: the default (cookie, then
# session) builds a cookie signer on every request (docs/benchmarks.md, "Message storage").
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ]
        },
    }
]

# --- Database -------------------------------------------------------------------------------
MYSQL_SQL_MODE = (
    "STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
    "NO_ENGINE_SUBSTITUTION"
)


def _database(config: dict) -> dict:
    """Marquee's backend and connection options for a database URL's engine.

    Every promise of docs/architecture.md is enforced by the database, so an engine where
    that is not built and tested is refused rather than run without them."""
    engine = config["ENGINE"]
    config["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
    config["CONN_HEALTH_CHECKS"] = True
    config["ATOMIC_REQUESTS"] = False
    options = config.setdefault("OPTIONS", {})
    if engine == "django.db.backends.sqlite3":
        # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN
        # so two writers queue on the busy timeout instead of failing with "database is locked".
        options.update(
            transaction_mode="IMMEDIATE",
            timeout=env.int("SQLITE_BUSY_TIMEOUT_SECONDS", default=20),
            init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        )
        # A file (not :memory:) so threaded and multi-process tests share one real database.
        config["TEST"] = {
            "NAME": env("SQLITE_TEST_NAME", default=str(BASE_DIR / ".test-db.sqlite3"))
        }
    elif engine == "django.db.backends.postgresql":
        pass  # Django's own backend (docs/benchmarks.md, "PostgreSQL backend")
    elif engine == "django.db.backends.mysql":
        # MySQL 8 / MariaDB through Marquee's backend (marquee/common/mysql/), which refuses a
        # server too old to enforce the constraints. Nothing is left to the server's defaults:
        # strict mode, READ COMMITTED (each statement sees the latest committed rows, as on
        # PostgreSQL), UTC sessions, utf8mb4, and a lock wait short enough to answer "try
        # again" (409 seats_busy) within a request rather than after InnoDB's 50 s.
        config["ENGINE"] = "marquee.common.mysql"
        lock_wait = env.int("MYSQL_LOCK_WAIT_TIMEOUT_SECONDS", default=5)
        config["OPTIONS"] = {
            "charset": "utf8mb4",
            "isolation_level": "read committed",
            "init_command": f"SET sql_mode='{MYSQL_SQL_MODE}', time_zone='+00:00', "
            f"innodb_lock_wait_timeout={lock_wait}",
            **options,
        }
        config["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_bin"}
    else:
        raise ImproperlyConfigured(
            f"The database URL names {engine}; Marquee runs on SQLite, PostgreSQL 15+, "
            "MySQL 8.0.16+ and MariaDB 10.11+ only."
        )
    return config


DATABASES = {
    "default": _database(env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")),
}
# An optional read replica serves catalog reads; seats, bookings and payments never use it.
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = _database(env.db("DATABASE_REPLICA_URL"))
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["marquee.common.db_router.PrimaryReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
# Every Redis call is bounded by these, and one that times out (or cannot connect) opens a
# circuit breaker: for REDIS_BREAKER_SECONDS this process does not call Redis at all, then one
# request probes it (marquee/common/redis_guard.py). A hung Redis costs a request at most one
# short timeout; each Redis answer normally takes well under a millisecond.
REDIS_CONNECT_TIMEOUT_SECONDS = env.float("REDIS_CONNECT_TIMEOUT_SECONDS", default=0.25)
REDIS_TIMEOUT_SECONDS = env.float("REDIS_TIMEOUT_SECONDS", default=0.25)
REDIS_BREAKER_SECONDS = env.float("REDIS_BREAKER_SECONDS", default=5.0)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="marquee"),
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "CONNECTION_POOL_CLASS": "marquee.common.redis_guard.GuardedConnectionPool",
                "SOCKET_CONNECT_TIMEOUT": REDIS_CONNECT_TIMEOUT_SECONDS,
                "SOCKET_TIMEOUT": REDIS_TIMEOUT_SECONDS,
                # A Redis outage degrades to uncached reads (and open throttles), not errors.
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
    # The breaker logs each outage once when it starts and once when it ends; django-redis
    # would log a traceback for every call skipped in between.
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Catalog responses (movies, theaters, screens, showtime lists) are cached when the cache is
# shared between processes (Redis); a seat map never is.
CATALOG_CACHE_SECONDS = env.int("CATALOG_CACHE_SECONDS", default=60 if REDIS_URL else 0)

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = env.list(
    "PASSWORD_HASHERS",
    default=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.ScryptPasswordHasher",
    ],
)

# django-axes: repeated failures lock one username *from one address*, so nobody can lock
# an owner (the admin included) out from elsewhere. Guessing one username from many addresses
# is stopped by the slower login_username throttle instead (docs/operations.md).
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "marquee.common.client_address.client_ip"
# Records of successful logins (who, address, user agent, when) are kept this long; expired
# sessions and refresh tokens go at once. Pruned daily by beat (docs/operations.md).
LOGIN_LOG_RETENTION_DAYS = env.int("LOGIN_LOG_RETENTION_DAYS", default=90)

ACCESS_TOKEN_MINUTES = env.int("ACCESS_TOKEN_MINUTES", default=5)
REFRESH_TOKEN_DAYS = env.int("REFRESH_TOKEN_DAYS", default=7)
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=ACCESS_TOKEN_MINUTES),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=REFRESH_TOKEN_DAYS),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "ALGORITHM": "HS256",
    "AUTH_HEADER_TYPES": ("Bearer",),
    # Verified with JWT_SIGNING_KEY_FALLBACKS as well, so a rotation logs nobody out.
    "AUTH_TOKEN_CLASSES": ("marquee.accounts.tokens.AccessToken",),
    "TOKEN_REFRESH_SERIALIZER": "marquee.accounts.tokens.TokenRefreshSerializer",
}
# Browser clients get the tokens as HttpOnly cookies as well as in the body.
AUTH_COOKIE_ACCESS = "marquee_access"
AUTH_COOKIE_REFRESH = "marquee_refresh"
AUTH_COOKIE_SECURE = env.bool("AUTH_COOKIE_SECURE", default=not DEBUG)
AUTH_COOKIE_SAMESITE = env("AUTH_COOKIE_SAMESITE", default="Lax")
AUTH_COOKIE_DOMAIN = env("AUTH_COOKIE_DOMAIN", default=None)
CSRF_COOKIE_SECURE = AUTH_COOKIE_SECURE
SESSION_COOKIE_SECURE = AUTH_COOKIE_SECURE
# The site's sessions: read from the shared cache, written through to the database, when there
# is a shared cache (a logged-in page then costs a Redis GET instead of a session query).
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if REDIS_URL
    else "django.contrib.sessions.backends.db"
)

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["marquee.accounts.authentication.JWTCookieAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["marquee.common.renderers.FastJSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "marquee.common.renderers.ContentNegotiation",
    # DRF's parsers with the project's limits: strict UTF-8 JSON, bounded depth and size,
    # no NUL in any text (marquee/common/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "marquee.common.parsers.JSONParser",
        "marquee.common.parsers.FormParser",
        "marquee.common.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "marquee.common.pagination.StandardPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "marquee.common.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "marquee.common.errors.exception_handler",
    # Only for DRF's own throttles; Marquee's ask marquee.common.client_address.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_THROTTLE_CLASSES": [
        "marquee.common.throttling.AnonRateThrottle",
        "marquee.common.throttling.AccountRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("THROTTLE_ANON", default="600/min"),
        "user": env("THROTTLE_USER", default="1200/min"),
        "booking_burst": env("THROTTLE_BOOKING_BURST", default="30/min"),
        "login_ip": env("THROTTLE_LOGIN_IP", default="20/min"),
        "login_username": env("THROTTLE_LOGIN_USERNAME", default="30/hour"),
        "signup": env("THROTTLE_SIGNUP", default="20/hour"),
        "resend_tickets": env("THROTTLE_RESEND_TICKETS", default="5/hour"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Marquee API",
    "DESCRIPTION": "Cinema reservations: catalog, seat maps, holds, bookings and payments.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and the docs pages are public: no token is read, so a bad one cannot fail
    # them (the Swagger page met it first while rendering its template: a 500).
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several apps have a `status` field; name each choice set so they cannot collide.
    "ENUM_NAME_OVERRIDES": {
        "ShowtimeStatusEnum": "marquee.catalog.models.ShowtimeStatus",
        "SeatTierEnum": "marquee.catalog.models.SeatTier",
        "EmailDeliveryStatusEnum": "marquee.tickets.models.DeliveryStatus",
        "EmailKindEnum": "marquee.tickets.models.EmailKind",
        "RefundKindEnum": "marquee.payments.models.RefundKind",
        "RefundReasonEnum": "marquee.booking.models.RefundReason",
        "VoucherKindEnum": "marquee.booking.models.VoucherKind",
    },
    # Swagger UI would otherwise fetch a badge from validator.swagger.io: the docs stay offline.
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "validatorUrl": None},
    # The shared error responses every operation points at (marquee/common/openapi.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "marquee.common.openapi.add_error_responses",
    ],
}

# --- Domain rules ---------------------------------------------------------------------------
SHOWTIME_CLEANING_MINUTES = env.int("SHOWTIME_CLEANING_MINUTES", default=15)
POSTER_MAX_BYTES = env.int("POSTER_MAX_BYTES", default=2 * 1024 * 1024)
BOOKING_HOLD_MINUTES = env.int("BOOKING_HOLD_MINUTES", default=10)
BOOKING_MAX_SEATS = env.int("BOOKING_MAX_SEATS", default=10)
# The most seats one customer may hold (unpaid, unexpired) at once: at one showtime, and over
# all showtimes together. Unset: BOOKING_MAX_SEATS, and three times that. Staff are exempt.
BOOKING_HOLD_LIMIT_PER_SHOWTIME = env.int("BOOKING_HOLD_LIMIT_PER_SHOWTIME", default=None)
BOOKING_HOLD_LIMIT_TOTAL = env.int("BOOKING_HOLD_LIMIT_TOTAL", default=None)
BOOKING_CANCELLATION_CUTOFF_MINUTES = env.int("BOOKING_CANCELLATION_CUTOFF_MINUTES", default=120)
# The refund policy of a theater without its own steps (booking.RefundTier), for tickets given
# back out of a paid booking: "minutes before the show:percent" steps; later than the last, 0.
BOOKING_REFUND_POLICY = env("BOOKING_REFUND_POLICY", default="1440:100,120:50")
# Wheelchair spaces and companion seats are kept for wheelchair users (a companion seat is sold
# only with its wheelchair space) until this many minutes before the show, then sold to anyone;
# a theater's `accessible_release_minutes` replaces it for that theater's shows.
BOOKING_ACCESSIBLE_RELEASE_MINUTES = env.int("BOOKING_ACCESSIBLE_RELEASE_MINUTES", default=120)
# How long seats offered to the first in a waiting list stay held for them.
WAITLIST_OFFER_MINUTES = env.int("WAITLIST_OFFER_MINUTES", default=30)
WAITLIST_MAX_SEATS = env.int("WAITLIST_MAX_SEATS", default=10)
IDEMPOTENCY_KEY_HOURS = env.int("IDEMPOTENCY_KEY_HOURS", default=24)
# The currency of a showtime scheduled without one: an upper-case ISO 4217 code.
DEFAULT_CURRENCY = env("DEFAULT_CURRENCY", default="EUR")
if not is_currency(DEFAULT_CURRENCY):
    raise ImproperlyConfigured(
        f"DEFAULT_CURRENCY={DEFAULT_CURRENCY!r} is not an upper-case ISO 4217 currency code "
        "with at most three decimals, such as EUR, USD or JPY."
    )

# Trivial JSON views under /bench/ that `make bench` measures as the framework ceiling.
BENCH_ENDPOINTS = env.bool("BENCH_ENDPOINTS", default=False)

# --- Internationalisation, files ------------------------------------------------------------
# English and German; the site picks one from the language cookie (the header's switch), else
# the browser's Accept-Language. Dates and money are formatted with Babel (marquee/common/
# formats.py) in the theater's time zone and the showtime's currency. Catalogs: locale/.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Uploaded files (posters): on the filesystem under MEDIA_ROOT, served by the app in every
# profile (marquee/common/media.py), or in S3-compatible object storage (django-storages), which
# serves them itself. The S3 variables are django-storages' own names.
MEDIA_STORAGE = env("MEDIA_STORAGE", default="filesystem")
MEDIA_CACHE_CONTROL = "public, max-age=31536000, immutable"  # every upload gets a new name
if MEDIA_STORAGE == "filesystem":
    MEDIA_BACKEND = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
elif MEDIA_STORAGE == "s3":
    if not env("AWS_STORAGE_BUCKET_NAME", default=""):
        raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME.")
    s3_options = {
        "bucket_name": env("AWS_STORAGE_BUCKET_NAME"),
        # MinIO, Ceph, R2, ...: their URL; empty for Amazon S3
        "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=""),
        "region_name": env("AWS_S3_REGION_NAME", default=""),
        # Empty: boto3's own chain (its environment variables, an instance or task role).
        "access_key": env("AWS_ACCESS_KEY_ID", default=""),
        "secret_key": env("AWS_SECRET_ACCESS_KEY", default=""),
        "location": env("AWS_LOCATION", default=""),
        # "path" for servers without a DNS name per bucket (MinIO on one host)
        "addressing_style": env("AWS_S3_ADDRESSING_STYLE", default=""),
        # A CDN or public host for the bucket; its URLs are never signed.
        "custom_domain": env("AWS_S3_CUSTOM_DOMAIN", default=""),
        # Signed URLs work with a private bucket; set false for a public one (stable URLs).
        "querystring_auth": env.bool("AWS_QUERYSTRING_AUTH", default=True),
        "querystring_expire": env.int("AWS_QUERYSTRING_EXPIRE", default=3600),
        "file_overwrite": False,
        "object_parameters": {"CacheControl": MEDIA_CACHE_CONTROL},
    }
    MEDIA_BACKEND = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {name: value for name, value in s3_options.items() if value != ""},
    }
else:
    raise ImproperlyConfigured(f"MEDIA_STORAGE must be filesystem or s3, not {MEDIA_STORAGE!r}.")
STORAGES = {
    "default": MEDIA_BACKEND,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOW_CREDENTIALS = True
CORS_EXPOSE_HEADERS = ["X-Request-ID", "Retry-After"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

# --- Background tasks (Celery) --------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
# No broker: tasks run in-process right after the transaction commits (errors are logged, not
# raised into the request). With a broker they go to the worker.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_BROKER_URL = CELERY_BROKER_URL or "memory://"
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "marquee"
CELERY_TIMEZONE = "UTC"
# Beat keeps its schedule in this checkout's (or container's) state folder, never in a path
# every checkout on the host shares; its folder is created when beat starts.
STATE_DIR = Path(env("STATE_DIR", default=str(BASE_DIR / "var")))
CELERY_BEAT_SCHEDULER = "config.celery:Scheduler"
CELERY_BEAT_SCHEDULE_FILENAME = str(STATE_DIR / "celerybeat-schedule")
# Beat answers `celery inspect ping -d celerybeat@<host>` while its scheduler ticks (its health
# check; a worker answers as celery@<host>).
CELERY_BEAT_ENABLE_REMOTE_CONTROL = True
CELERY_BEAT_SCHEDULE = {
    "expire-holds": {"task": "marquee.booking.tasks.expire_holds", "schedule": 60.0},
    # Seats freed without an event (a hold that simply lapsed) go to the waiting lists.
    "waitlist-offers": {"task": "marquee.waitlist.tasks.offer_all", "schedule": 60.0},
    "retry-failed-refunds": {
        "task": "marquee.payments.tasks.retry_failed_refunds",
        "schedule": 300.0,
    },
    "showtime-reminders": {
        "task": "marquee.tickets.tasks.send_showtime_reminders",
        "schedule": 300.0,
    },
    # Every invariant of seats and money checked in SQL; a breach is logged at ERROR.
    "reconcile": {"task": "marquee.payments.tasks.reconcile", "schedule": 3600.0},
    # The email outbox: retries, and emails whose task never reached the broker.
    "send-pending-emails": {"task": "marquee.tickets.tasks.send_pending_emails", "schedule": 60.0},
    "prune-email-deliveries": {
        "task": "marquee.tickets.tasks.prune_email_deliveries",
        "schedule": 86400.0,
    },
    "prune-auth-records": {
        "task": "marquee.accounts.tasks.prune_auth_records",
        "schedule": crontab(hour=3, minute=30),
    },
    "prune-door-scans": {
        "task": "marquee.tickets.tasks.prune_door_scans",
        "schedule": crontab(hour=3, minute=45),
    },
}

# --- Payments -------------------------------------------------------------------------------
PAYMENT_PROVIDER = env("PAYMENT_PROVIDER", default="simulated")
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_WEBHOOK_TOLERANCE_SECONDS = env.int("STRIPE_WEBHOOK_TOLERANCE_SECONDS", default=300)
# Points the Stripe client at another server speaking Stripe's API (a local stripe-mock in
# development); empty is Stripe itself. Never with a live key: the key would go to that server.
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")
if STRIPE_API_BASE and STRIPE_SECRET_KEY.startswith(("sk_live_", "rk_live_")):
    raise ImproperlyConfigured("STRIPE_API_BASE must not be set with a live Stripe key.")
if PAYMENT_PROVIDER == "stripe" and not DEBUG and not (STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET):
    raise ImproperlyConfigured(
        "PAYMENT_PROVIDER=stripe needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET."
    )

# The site's Stripe checkout: the Payment Element needs Stripe.js, loaded from Stripe (it cannot
# be vendored); the URL is a setting so tests can serve a fake one (docs/operations.md).
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_JS_URL = env("STRIPE_JS_URL", default="https://js.stripe.com/v3/")

# --- The site (marquee/web) -----------------------------------------------------------------
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"
# A locked-out login on the site gets a page; the API answers its own 429 (accounts.services).
AXES_LOCKOUT_TEMPLATE = "web/accounts/locked.html"
# Seconds between the seat picker's seat-map polls when the live channel is absent or failing.
SEAT_PICKER_POLL_SECONDS = env.int("SEAT_PICKER_POLL_SECONDS", default=5)

# --- The live seat map (marquee/live) -------------------------------------------------------
# Seat changes a viewer can catch up on after a reconnect (per showtime); further behind, it
# fetches the whole map.
LIVE_REPLAY_SIZE = env.int("LIVE_REPLAY_SIZE", default=500)
# A comment on an idle stream this often, so proxies and browsers keep it open.
LIVE_HEARTBEAT_SECONDS = env.float("LIVE_HEARTBEAT_SECONDS", default=15.0)
# Open streams one process serves at most; more answer 503 `live_full` (the page then polls).
LIVE_MAX_VIEWERS = env.int("LIVE_MAX_VIEWERS", default=5000)
# Where the ASGI live server answers /live/ when this process is WSGI (gunicorn) and no proxy
# routes /live/ there: e.g. https://live.example.com. Unset: a WSGI process answers 421.
LIVE_URL = env("LIVE_URL", default="")
# True: the ASGI application sends the streams through Django's request path (the view in
# marquee/live/views.py) instead of the plain handler (marquee/live/asgi.py); for comparing the
# two (docs/benchmarks.md), not for production.
LIVE_THROUGH_DJANGO = env.bool("LIVE_THROUGH_DJANGO", default=False)


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}" if rest else url


# Content-Security-Policy (django-csp): no inline script or style anywhere on the site, in
# every profile, so a test run in a browser catches a violation. The API's JSON and its
# Swagger UI/ReDoc pages, and the Django admin, are left without it (they are not ours).
# Only the Stripe checkout page widens it, for Stripe's origins (marquee/web/views/bookings.py).
STRIPE_ORIGINS = {
    "script-src": [_origin(STRIPE_JS_URL)],
    "frame-src": [_origin(STRIPE_JS_URL), "https://hooks.stripe.com"],
    "connect-src": [_origin(STRIPE_JS_URL), "https://api.stripe.com"],
}
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/", "/admin/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'", *([_origin(LIVE_URL)] if LIVE_URL else [])],
        "frame-src": ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Tickets --------------------------------------------------------------------------------
TICKET_REMINDER_MINUTES = env.int("TICKET_REMINDER_MINUTES", default=120)
# An email that cannot be delivered is retried this long, then marked failed (logged as ERROR).
EMAIL_DELIVERY_RETRY_HOURS = env.int("EMAIL_DELIVERY_RETRY_HOURS", default=24)
# Sent, skipped and failed outbox rows are deleted after this many days.
EMAIL_DELIVERY_RETENTION_DAYS = env.int("EMAIL_DELIVERY_RETENTION_DAYS", default=90)
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Marquee <tickets@marquee.local>")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

LOG_FORMAT = env("LOG_FORMAT", default="text")  # "json" in production
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "marquee.common.logging.RequestContextFilter"}},
    "formatters": {
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(client_ip)s] "
            "%(message)s"
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(user_id)s "
            "%(client_ip)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_context"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
