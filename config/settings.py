"""Settings for the Quality Award system: one file, driven by environment variables.

Defaults give a safe local run (SQLite under var/, DEBUG off unless asked); production sets
DATABASE_URL, ALLOWED_HOSTS and SECRET_KEY (README, "Production").
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


# The secrets _kept_secret generated into var/ because the environment did not give them: a
# production deployment gives every one (`check --deploy` warns otherwise, audit/checks.py).
SECRETS_FROM_VAR: list[str] = []


def _kept_secret(name: str, filename: str, make: Callable[[], str]) -> str:
    """A secret from the environment variable `name`, else generated once into var/ and kept."""
    if key := os.environ.get(name):
        return key
    SECRETS_FROM_VAR.append(name)
    path = VAR_DIR / filename
    if not path.exists():
        # O_EXCL: two processes starting together must not write two different keys.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(make())
    return path.read_text().strip()


def _secret_key() -> str:
    """SECRET_KEY from the environment, else generated once into var/ and kept."""
    return _kept_secret("SECRET_KEY", "secret_key", lambda: secrets.token_urlsafe(50))


# The audit chain is hashed with SM3 (GB/T 32905); without it the system must not start.
if "sm3" not in hashlib.algorithms_available:
    raise ImproperlyConfigured(
        "hashlib 缺少 SM3 算法（需要 OpenSSL 3），审计链无法计算，系统拒绝启动。"
    )

SECRET_KEY = _secret_key()
# Checkpoints of the audit chain (docs/decisions/0014-audit-anchors-and-state.md): HMAC-SM3 with
# this key (from the environment, else generated once into var/; never in the database, so the
# database alone cannot forge a checkpoint), appended to a file in this directory (on separate
# storage in production) and mailed to the supervisors; at least daily after an audit write
# while AUDIT_ANCHOR_AUTO is on.
AUDIT_ANCHOR_KEY = _kept_secret(
    "AUDIT_ANCHOR_KEY", "audit_anchor_key", lambda: secrets.token_hex(32)
)
AUDIT_ANCHOR_AUTO = env_bool("AUDIT_ANCHOR_AUTO", True)
# Personal data encrypted at rest with SM4-GCM (lib/crypto.py; issue 15 part 5): a ring
# "kid:<32 hex>,kid:<32 hex>" whose FIRST key encrypts and every key decrypts (rotate: put a new
# key first, run `manage.py rotate_keys`, then drop the old one). The blind index (HMAC-SM3 for
# uniqueness and lookups) has its own key, 64 hex; changing it needs `rotate_keys` to recompute
# every index. Both from the environment, else generated once into var/; never in the database.
PII_KEYS = _kept_secret("PII_KEYS", "pii_keys", lambda: f"k1:{secrets.token_hex(16)}")
BLIND_INDEX_KEY = _kept_secret("BLIND_INDEX_KEY", "blind_index_key", lambda: secrets.token_hex(32))

DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
# A refused form (missing or stale CSRF token) gets a page in Chinese with a way back (issue 16).
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"
# The reverse proxies whose X-Forwarded-For names the client in audit events (audit/context.py);
# empty: the peer address is the client.
AUDIT_TRUSTED_PROXIES = [p for p in os.environ.get("AUDIT_TRUSTED_PROXIES", "").split(",") if p]
# The public address, for links in emails and the certificates' QR codes (`make run` derives it
# from its HOST and PORT).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# API bearer tokens last a working day; a client asks for a new one after.
API_TOKEN_HOURS = int(os.environ.get("API_TOKEN_HOURS", "8"))

INSTALLED_APPS = [
    "config.apps.SysadminAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rules.apps.AutodiscoverRulesConfig",
    "axes",
    "csp",
    # Two factors (issue 15 part 1, accounts.two_factor): TOTP devices and recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "audit",
    "jobs",
    "accounts",
    "programs",
    "intake",
    "experts",
    "review",
    "decision",
    "supervision",
    "manual",
    "desk",
]

MIDDLEWARE = [
    # First: the request id of every log line and of the response (X-Request-ID; the error
    # pages' 参考编号), and Prometheus' request counts and latencies (config/observability.py).
    "config.observability.RequestIdMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Cache-Control: no-store for signed-in callers, Permissions-Policy for all (static too).
    "accounts.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # No NUL character in a path, query string or form field (PostgreSQL cannot hold one).
    "lib.params.RefuseNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): the session's second factor (django-otp).
    "django_otp.middleware.OTPMiddleware",
    # The award program the request acts in (decision 0030), after authentication.
    "programs.middleware.CurrentProgramMiddleware",
    "audit.middleware.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Idle and absolute session limits (after sessions, authentication and messages).
    "accounts.middleware.SessionLifetimeMiddleware",
    # Staff present their second factor before any other page or API call (enrol first).
    "accounts.two_factor.TwoFactorGate",
    # An administrator-set password is changed before any other page or API call.
    "accounts.password_gate.PasswordChangeGate",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires.
    "axes.middleware.AxesMiddleware",
    # Responses by status and latency by view (the view is known here).
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

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
                "desk.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue instead of failing
    # half-way with "database is locked"; WAL lets readers proceed meanwhile.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _anchor_dir() -> Path:
    """AUDIT_ANCHOR_DIR, else a directory under var/ of this database's own: checkpoints of
    one chain must never be checked against another (a demo database in /tmp beside the one of
    `make run` would read as a rewritten chain)."""
    if where := os.environ.get("AUDIT_ANCHOR_DIR"):
        return Path(where)
    db = DATABASES["default"]
    identity = f"{db['ENGINE']}|{db.get('HOST', '')}|{db.get('PORT', '')}|{db['NAME']}"
    name = Path(str(db["NAME"])).name.replace(".", "-")
    return VAR_DIR / "audit-anchors" / f"{name}-{hashlib.sha256(identity.encode()).hexdigest()[:8]}"


AUDIT_ANCHOR_DIR = _anchor_dir()

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "accounts.backends.PasswordBackend",
]
# One home per rule (accounts/passwords.py): length and classes (等保 wording), never the
# username, the zxcvbn estimate with the person's and the program's words (it replaces Django's
# similarity and common-password validators), no reuse of the last PASSWORD_HISTORY.
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "accounts.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "accounts.passwords.CharacterClassValidator"},
    {"NAME": "accounts.passwords.NoUsernameValidator"},
    {"NAME": "accounts.passwords.StrengthValidator"},
    {"NAME": "accounts.passwords.HistoryValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:dashboard"
LOGOUT_REDIRECT_URL = "programs:home"

# Session limits (等保三级, issue 15 part 4; accounts.middleware.SessionLifetimeMiddleware): a
# session ends after this long without a request, and this long after sign-in however busy;
# shorter for the three administrators.
SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
SESSION_IDLE_MINUTES_ADMIN = int(os.environ.get("SESSION_IDLE_MINUTES_ADMIN", "15"))
SESSION_ABSOLUTE_HOURS = int(os.environ.get("SESSION_ABSOLUTE_HOURS", "8"))
SESSION_ABSOLUTE_HOURS_ADMIN = int(os.environ.get("SESSION_ABSOLUTE_HOURS_ADMIN", "2"))
# The stored session outlives the idle limit by an hour, so a visitor coming back after it is
# told why they were signed out (the middleware enforces the limit); it restarts whenever the
# session is written, which the middleware does at least once a minute of activity (not on every
# request: a page view writes nothing, issue 17).
SESSION_COOKIE_AGE = (SESSION_IDLE_MINUTES + 60) * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES")
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES")

# Two factors (issue 15 part 1, accounts.two_factor): TOTP for every staff role, optional for
# applicants. A wrong code locks the device for 1, 2, 4… seconds (doubling per failure); the
# issuer is the name authenticator apps show. Role grants, approvals, revocations and exports of
# personal data ask for a fresh code when the last one is older than REAUTH_MINUTES.
OTP_TOTP_ISSUER = "如皋市市长质量奖"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
REAUTH_MINUTES = int(os.environ.get("REAUTH_MINUTES", "5"))
# The demo's fixed TOTP secrets (programs.demo) load only with DEBUG or DEMO on; no production
# setting sets either, and `check --deploy` fails on a database holding them.
DEMO = env_bool("DEMO", DEBUG)

# Lockout after 5 failures for 30 minutes, keyed by the account: the Office sits behind one
# government proxy, so an IP-keyed lockout would lock out every clerk at once.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_VERBOSE = False
# W006 warns that the lockout ignores the IP address: that is the intent (see above).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every start when it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"  # outside the web root: files are served only by checked views
STORAGES = {
    # Uploads SM4-encrypted at rest (lib/crypto.py; issue 15 part 5), decrypted when read.
    "default": {"BACKEND": "config.storage.EncryptedFileSystemStorage"},
    "staticfiles": {
        "BACKEND": "config.storage.StaticStorage",
    },
}

# Content-Security-Policy: every asset from this origin, no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# HTTPS (docs/deployment.md): off by default so `make run` on http://127.0.0.1:8000 works; the
# production environment turns each on and `manage.py check --deploy` (run by `make test` with
# that environment) fails on any left off. SECURE_PROXY_SSL_HEADER names the header the reverse
# proxy sets, "HTTP_X_FORWARDED_PROTO,https"; set it only behind a proxy that always sets it.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
# The health check answers over plain HTTP too (a local monitor, the load balancer).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
if _proxy_header := os.environ.get("SECURE_PROXY_SSL_HEADER", ""):
    _header, _, _value = _proxy_header.partition(",")
    SECURE_PROXY_SSL_HEADER = (_header.strip(), _value.strip() or "https")

# Uploads (lib/files.py). A .docx/.xlsx is refused as a decompression bomb when its ZIP
# directory declares more entries, more uncompressed bytes in all, or one large part compressed
# more than these: a real 300-page report stays far below each (counts from the directory only,
# nothing is inflated to decide).
UPLOAD_ZIP_MAX_ENTRIES = int(os.environ.get("UPLOAD_ZIP_MAX_ENTRIES", "2000"))
UPLOAD_ZIP_MAX_TOTAL_BYTES = int(os.environ.get("UPLOAD_ZIP_MAX_TOTAL_MB", "200")) * 1024 * 1024
UPLOAD_ZIP_MAX_RATIO = int(os.environ.get("UPLOAD_ZIP_MAX_RATIO", "100"))
# Upload limits that hold before the body is read (lib/uploads.py, issue 16), then Django's own.
FILE_UPLOAD_HANDLERS = [
    "lib.uploads.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# The virus scanner (lib/scan.py): clamd by its unix socket (/run/clamav/clamd.ctl) or
# "host:port". Unset: uploads are not scanned (`check --deploy` warns). Set but unreachable:
# uploads are refused.
CLAMD_SOCKET = os.environ.get("CLAMD_SOCKET", "")
CLAMD_ADDRESS = os.environ.get("CLAMD_ADDRESS", "")
CLAMD_TIMEOUT = float(os.environ.get("CLAMD_TIMEOUT", "10"))

# Backups (audit/backup.py, `manage.py backup` / `restore` / `archive_audit`): encrypted with
# SM4-GCM under this key (32 hex digits). Production gives it from the environment and keeps it
# away from the backups (a backup is useless without it, and harmless to whoever holds only it).
BACKUP_KEY = _kept_secret("BACKUP_KEY", "backup_key", lambda: secrets.token_hex(16))
# The certificates' digital signature (电子证照, lib/signing.py; docs/decisions/0018): the issuing
# office's private key and its certificate (PEM files; the certificate file may carry the chain
# after it), and the key's passphrase if it has one. Unset in the demo and development (DEMO or
# DEBUG): a self-signed certificate is generated once into var/; unset in production:
# certificates are refused rather than issued unsigned, and `check --deploy` warns (deploy.W004).
CERTIFICATE_SIGNING_KEY = os.environ.get("CERTIFICATE_SIGNING_KEY", "")
CERTIFICATE_SIGNING_CERT = os.environ.get("CERTIFICATE_SIGNING_CERT", "")
CERTIFICATE_SIGNING_PASSPHRASE = os.environ.get("CERTIFICATE_SIGNING_PASSPHRASE", "")
# The office's 电子印章 (programs: uploaded on the seal page), a PNG of at most this size.
SEAL_MAX_BYTES = int(os.environ.get("SEAL_MAX_KB", "1024")) * 1024
# Audit events are kept at least six months (网络安全法 第二十一条); `archive_audit` refuses a
# date less than this many months ago, and a setting below 6 is raised to 6.
AUDIT_RETENTION_MONTHS = max(6, int(os.environ.get("AUDIT_RETENTION_MONTHS", "6")))

# Unset (development, `make run`): each e-mail is written as a file under var/mail/ instead of
# being printed among the server's log lines; production sets the SMTP backend
# (docs/deployment.md).
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = Path(os.environ.get("EMAIL_FILE_PATH", VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "质量奖办公室 <noreply@localhost>")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")

# Text messages (one-time codes to a verified phone): lib/sms.py names the backends and the
# adapter contract of a real provider (阿里云/腾讯云 短信). The console backend prints them.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "lib.sms.ConsoleBackend")

# Shared state (issue 17): Redis holds the cache, the sessions and the throttle counters, so any
# number of app servers behave as one (docs/deployment.md). REDIS_URL set to empty: per-process
# LocMemCache and sessions in the database instead (a development machine without Redis; limits
# and the objection form's double-submit claim then hold per process only, not for production).
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "qa")


def _cache(alias: str) -> dict[str, object]:
    if not REDIS_URL:
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": alias}
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": f"{_KEY_PREFIX}:{alias}",
        # A Redis that does not answer fails the request (and /readyz) in 2 s, not a TCP timeout.
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }


CACHES = {
    "default": _cache("default"),
    # Fixed-window counters of lib/throttle.py.
    "throttle": _cache("throttle"),
    # Sessions: never evicted for room by cached values of their own alias.
    "sessions": _cache("sessions"),
}
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cache" if REDIS_URL else "django.contrib.sessions.backends.db"
)
SESSION_CACHE_ALIAS = "sessions"

# Background work (issue 17; jobs/, config/celery.py): Celery with Redis as the broker. Unset
# (`make run`, tests): every task runs at once in the process that queued it (eager), so the
# demo needs nothing but SQLite; production sets it (docs/deployment.md) and runs workers and
# beat. Results are not kept by Celery: each job's state lives in its jobs.Job row.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # a worker that dies mid-task leaves the message to another
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_DEFAULT_QUEUE = "default"
# The beat (`celery -A config beat`, one process per deployment) replaces cron; times in
# CELERY_TIMEZONE. Why each period: docs/decisions/0020-background-jobs.md.
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Lost messages and dead workers' jobs queued again (jobs.services.requeue_due).
    "jobs-requeue-due": {"task": "jobs.requeue_due", "schedule": 60.0},
    # A17.1: experts 3 working days before a stage's last day; each card once per deadline.
    "review-remind-experts": {
        "task": "review.remind_experts",
        "schedule": crontab(minute=0, hour=8),
    },
    # A23.1: winners on the first working day of each quarter (the task picks the day).
    "supervision-remind-winners": {
        "task": "supervision.remind_winners",
        "schedule": crontab(minute=0, hour=9, day_of_month="1-10", month_of_year="1,4,7,10"),
    },
    # The audit chain's daily checkpoint, also on a day without audited writes.
    "audit-anchor-if-due": {"task": "audit.anchor_if_due", "schedule": crontab(minute=5)},
    # 个人信息保护法第四十七条: personal data past its retention period, erased monthly.
    "desk-purge-personal-data": {
        "task": "desk.purge_personal_data",
        "schedule": crontab(minute=30, hour=3, day_of_month=1),
    },
    # Finished jobs past JOB_KEEP_DAYS deleted, export files past JOB_RESULT_DAYS (jobs.prune).
    "jobs-prune": {"task": "jobs.prune", "schedule": crontab(minute=10, hour=4)},
}
# The jobs' retention (jobs.services.prune; docs/decisions/0027): done and cancelled jobs are
# deleted with their files after JOB_KEEP_DAYS (failed ones stay until retried or cancelled;
# a certificate's newest kept PDF stays); an export's file expires after JOB_RESULT_DAYS.
JOB_KEEP_DAYS = int(os.environ.get("JOB_KEEP_DAYS", "30"))
JOB_RESULT_DAYS = int(os.environ.get("JOB_RESULT_DAYS", "7"))

# The password lifecycle (issue 15 part 2; accounts/codes.py, accounts/reset.py,
# accounts/passwords.py, accounts/password_gate.py).
ONE_TIME_CODE_MINUTES = int(os.environ.get("ONE_TIME_CODE_MINUTES", "15"))
PASSWORD_EXPIRY_DAYS = int(os.environ.get("PASSWORD_EXPIRY_DAYS", "90"))  # staff only
PASSWORD_HISTORY = int(os.environ.get("PASSWORD_HISTORY", "5"))  # the current one included
PASSWORD_MIN_SCORE = int(os.environ.get("PASSWORD_MIN_SCORE", "3"))  # zxcvbn, 0..4
# Failed sign-ins (page and API), reset requests and code checks from one client address: a
# government office behind one proxy shares an address, so the limit is well above one
# person's mistakes. Per account, django-axes locks after AXES_FAILURE_LIMIT.
LOGIN_IP_FAILURE_LIMIT = int(os.environ.get("LOGIN_IP_FAILURE_LIMIT", "30"))
LOGIN_IP_WINDOW_MINUTES = int(os.environ.get("LOGIN_IP_WINDOW_MINUTES", "15"))
# Password-reset requests per account (per hour).
PASSWORD_RESET_LIMIT = int(os.environ.get("PASSWORD_RESET_LIMIT", "3"))

# Logs (config/observability.py; docs/deployment.md "Logs, metrics and health"): plain text
# for `make run`; LOG_FORMAT=json in production, one JSON object per line, each with the
# request id (X-Request-ID, the error pages' 参考编号), the user and role when known, the
# method and path (in a Celery task: the task and job id). LOG_REQUESTS writes one line per
# request with its status and duration (on with JSON, off for `make run`: runserver prints its
# own).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()
LOG_REQUESTS = env_bool("LOG_REQUESTS", LOG_FORMAT == "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "config.observability.RequestContext"}},
    "formatters": {
        "json": {"()": "config.observability.json_formatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["context"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # fontTools tells each glyph subset of every certificate PDF at INFO: not for the server log.
    "loggers": {
        "axes": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # Eager jobs (no broker: `make run`, the demo seed) would print a "Task … succeeded" line
        # per job in the request's own log; a worker's log keeps them.
        **({"celery.app.trace": {"level": "WARNING"}} if CELERY_TASK_ALWAYS_EAGER else {}),
    },
}

# Prometheus (config/observability.py, /metrics): answered only to these networks (CIDRs,
# comma-separated; the monitoring network in production), 404 to anyone else. The client is
# the peer, or X-Forwarded-For's when the peer is one of AUDIT_TRUSTED_PROXIES. With gunicorn's
# several workers, PROMETHEUS_MULTIPROC_DIR (deploy/gunicorn.conf.py) sums them all.
METRICS_ALLOWED_NETWORKS = [
    n.strip()
    for n in os.environ.get("METRICS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128").split(",")
    if n.strip()
]
# Each Celery worker writes a heartbeat into Redis this often; /readyz counts a worker live
# while its last one is less than three times this old.
WORKER_HEARTBEAT_SECONDS = int(os.environ.get("WORKER_HEARTBEAT_SECONDS", "15"))

NINJA_PAGINATION_PER_PAGE = 20
