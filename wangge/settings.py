"""Settings: every knob is an environment variable with a safe default (docs/deploy.md lists them)."""

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false)")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from exc


DEBUG = env_bool("WANGGE_DEBUG", False)
TESTING = env_bool("WANGGE_TESTING", "pytest" in sys.modules)

SECRET_KEY = os.environ.get("WANGGE_SECRET_KEY", "")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured("WANGGE_SECRET_KEY must be set when WANGGE_DEBUG is off")
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = [h for h in os.environ.get("WANGGE_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
# the address the site answers at, for links that leave it (an SMS, a WeChat message): absolute, tappable
SITE_URL = os.environ.get("WANGGE_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("WANGGE_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "django_htmx",
    "template_partials",
    "treebeard",
    "django_tasks",
    "django_tasks_db",
    "django_ratelimit",
    "django_filters",
    "axes",
    "captcha",
    "wangge.core",
    "wangge.audit",
    "wangge.grids",
    "wangge.accounts",
    "wangge.registry",
    "wangge.cases",
    "wangge.fieldwork",
    "wangge.mediation",
    "wangge.engagement",
    "wangge.command",
    "wangge.open311",
]

MIDDLEWARE = [
    "wangge.core.middleware.RequestGuardMiddleware",
    "wangge.core.replica.ReadYourWritesMiddleware",
    "wangge.core.middleware.PrivateResponseMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "wangge.core.middleware.ChineseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "wangge.audit.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "wangge.urls"
WSGI_APPLICATION = "wangge.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "wangge" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wangge.core.context.site",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

# Database: SQLite under var/ by default; WANGGE_DATABASE_URL (or DATABASE_URL) selects PostgreSQL.
VAR_DIR = Path(os.environ.get("WANGGE_VAR_DIR", BASE_DIR / "var"))
DATABASE_URL = os.environ.get("WANGGE_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
# SQLite, by default or by URL: every transaction takes the write lock when it begins (IMMEDIATE), so two
# writers queue for it (up to `timeout`) instead of one failing with "database is locked" when it upgrades
# a read to a write (two cashiers redeeming at once did, measured)
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    # a 64 MB page cache: bulk imports into indexed tables ran 20 % faster (measured)
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;",
}
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=0 if TESTING else env_int("WANGGE_DB_CONN_MAX_AGE", 60)
        )
    }
    # Solid-state storage: an index probe costs about what a sequential page does (PostgreSQL's default 4
    # is for spinning disks). At 4 the supervised list joined 10,000 memberships to 1,000,000 people by a
    # full scan (253 ms), at 1.1 by the primary key (72 ms), measured.
    if "postgresql" in DATABASES["default"]["ENGINE"]:
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
            f"-c random_page_cost={os.environ.get('WANGGE_PG_RANDOM_PAGE_COST', '1.1')}"
        )
    elif "sqlite3" in DATABASES["default"]["ENGINE"]:
        DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "wangge.sqlite3"),
            # kept open as on PostgreSQL: opening one (and its pragmas) cost more than a report's insert
            "CONN_MAX_AGE": 0 if TESTING else env_int("WANGGE_DB_CONN_MAX_AGE", 60),
            "OPTIONS": SQLITE_OPTIONS,
        }
    }
# A streaming replica for the reads that may be a moment old (wangge.core.replica): PostgreSQL only.
REPLICA_URL = os.environ.get("WANGGE_REPLICA_URL", "")
REPLICA_RETRY_SECONDS = env_int("WANGGE_REPLICA_RETRY_SECONDS", 10)  # a replica that failed: asked again
REPLICA_WAIT_SECONDS = env_int("WANGGE_REPLICA_WAIT_SECONDS", 3600)  # a writer's pin to the primary, at most
if REPLICA_URL and "postgresql" in DATABASES["default"]["ENGINE"]:
    DATABASES["replica"] = {
        **dj_database_url.parse(REPLICA_URL, conn_max_age=DATABASES["default"].get("CONN_MAX_AGE", 0)),
        "TEST": {"MIRROR": "default"},
    }
    DATABASES["replica"]["OPTIONS"] = {**DATABASES["default"].get("OPTIONS", {}), "connect_timeout": 2}
    DATABASE_ROUTERS = ["wangge.core.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# django-axes first: it refuses a locked-out (name, address) pair before any password is checked
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "wangge.accounts.backends.PhoneOrUsernameBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
if TESTING:
    # the test suite's hundreds of users: a fast hasher (the full PBKDF2 iterations were a third of some
    # test modules); never outside tests (WANGGE_TESTING=0 in the processes the tests start keeps PBKDF2)
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("WANGGE_PASSWORD_MIN_LENGTH", 8)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]
# Login throttling (django-axes): after LOGIN_MAX_FAILURES failures of one name from one address, that pair
# waits LOGIN_LOCK_MINUTES. By name and address together: a stranger elsewhere cannot lock the administrator
# out, and an unknown name is answered exactly as a known one. Session timeout: seconds of inactivity.
LOGIN_MAX_FAILURES = env_int("WANGGE_LOGIN_MAX_FAILURES", 5)
LOGIN_LOCK_MINUTES = env_int("WANGGE_LOGIN_LOCK_MINUTES", 15)
AXES_FAILURE_LIMIT = LOGIN_MAX_FAILURES
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCK_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "wangge.accounts.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "wangge.core.middleware.client_ip"
AXES_USERNAME_CALLABLE = "wangge.accounts.views.login_name"
AXES_VERBOSE = False
SESSION_COOKIE_AGE = env_int("WANGGE_SESSION_SECONDS", 8 * 3600)
SESSION_SAVE_EVERY_REQUEST = True
API_TOKEN_DAYS = env_int("WANGGE_API_TOKEN_DAYS", 90)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "wangge" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [
    ("vendor/leaflet", BASE_DIR / "node_modules" / "leaflet" / "dist"),
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
]
# Single files of a package's build (`core.staticfiles`): ECharts' dist folder is 49 MB, a page loads one file
VENDOR_FILES = {
    "vendor/echarts/echarts.min.js": BASE_DIR / "node_modules" / "echarts" / "dist" / "echarts.min.js",
}
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "wangge.core.staticfiles.VendorFilesFinder",
]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STATIC_MANIFEST = env_bool("WANGGE_STATIC_MANIFEST", not (DEBUG or TESTING))
# Production serves only what collectstatic gathered (no finders walking node_modules per request);
# development and tests find files where they lie.
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # production serves the collected files by their hashed names (collectstatic, docs/deploy.md): a new
    # release's files never meet a browser's cached old ones
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Photos and signatures in an S3-compatible object store (阿里云 OSS, 腾讯云 COS, MinIO in a private cloud)
# instead of MEDIA_ROOT: private objects, shown only through signed URLs good for WANGGE_S3_URL_SECONDS,
# handed out by the views that check who may see them (core.photos.served).


def object_store(environ) -> dict | None:
    """Django's storage settings for the S3-compatible store the environment names (None: no store)."""
    if not environ.get("WANGGE_S3_BUCKET"):
        return None
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": environ["WANGGE_S3_BUCKET"],
            "endpoint_url": environ.get("WANGGE_S3_ENDPOINT_URL") or None,  # none: AWS's own
            "access_key": environ.get("WANGGE_S3_ACCESS_KEY") or None,
            "secret_key": environ.get("WANGGE_S3_SECRET_KEY") or None,
            "region_name": environ.get("WANGGE_S3_REGION") or None,
            "addressing_style": environ.get("WANGGE_S3_ADDRESSING_STYLE") or None,
            "location": environ.get("WANGGE_S3_PREFIX", ""),
            "signature_version": "s3v4",
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": int(environ.get("WANGGE_S3_URL_SECONDS", 60)),
            "file_overwrite": False,
        },
    }


S3_BUCKET = os.environ.get("WANGGE_S3_BUCKET", "")
S3_ENDPOINT_URL = os.environ.get("WANGGE_S3_ENDPOINT_URL", "")
S3_IMAGES = [S3_ENDPOINT_URL] if S3_BUCKET and S3_ENDPOINT_URL else []  # the store's origin in img-src
if store := object_store(os.environ):
    STORAGES["default"] = store

# A task running this long is taken to belong to a dead worker and is run again (tasks are idempotent):
# longer than any task runs (a 100,000-row ledger commits in about a minute).
TASK_STALE_SECONDS = env_int("WANGGE_TASK_STALE_SECONDS", 900)
# Background tasks: the database queue, run by `wangge worker`; tests run tasks at once.
TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "WANGGE_TASKS_BACKEND",
            "django_tasks.backends.immediate.ImmediateBackend"
            if TESTING
            else "django_tasks_db.DatabaseBackend",
        )
    }
}

# Cases (事件): office hours for deadlines in working hours; the share of a stage's time left at which a
# case turns yellow; how long a department may return a misrouted case; duplicate and repeat windows.
OFFICE_HOURS = os.environ.get("WANGGE_OFFICE_HOURS", "08:30-12:00,14:00-17:30")
CASE_WARNING_SHARE = float(os.environ.get("WANGGE_CASE_WARNING_SHARE", "0.25"))
CASE_RETURN_LIMIT = os.environ.get("WANGGE_CASE_RETURN_LIMIT", "2d")
CASE_NEARBY_METRES = env_int("WANGGE_CASE_NEARBY_METRES", 200)
CASE_REPEAT_DAYS = env_int("WANGGE_CASE_REPEAT_DAYS", 30)
CASE_MAX_PHOTOS = 9
CASE_MAX_PHOTO_BYTES = env_int("WANGGE_CASE_MAX_PHOTO_BYTES", 8 * 1024 * 1024)
# The largest request taken at all (an upload with photos or a ledger); bodies without files are held to
# Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB). Larger ones get 413 before anything reads them.
MAX_REQUEST_BYTES = env_int("WANGGE_MAX_REQUEST_BYTES", 80 * 1024 * 1024)
# 12345's weighted score: response, resolution, satisfaction (percent weights)
HOTLINE_WEIGHTS = tuple(int(x) for x in os.environ.get("WANGGE_HOTLINE_WEIGHTS", "30,35,35").split(","))
# Notification channels beyond the in-site message centre: "log" records them (no provider reachable
# here); a deployment names its adapter class, e.g. "myorg.sms.AliyunSms".
SMS_ADAPTER = os.environ.get("WANGGE_SMS_ADAPTER", "wangge.core.outbox.RecordingAdapter")
WECHAT_ADAPTER = os.environ.get("WANGGE_WECHAT_ADAPTER", "wangge.core.outbox.RecordingAdapter")
# Tencent Cloud SMS (WANGGE_SMS_ADAPTER=wangge.core.messaging.TencentSms): the approved signature and a
# notification template with two parameters, {1} what happened and {2} the link
TENCENT_SMS = {
    "secret_id": os.environ.get("WANGGE_TENCENT_SECRET_ID", ""),
    "secret_key": os.environ.get("WANGGE_TENCENT_SECRET_KEY", ""),
    "region": os.environ.get("WANGGE_TENCENT_SMS_REGION", "ap-guangzhou"),
    "app_id": os.environ.get("WANGGE_TENCENT_SMS_APP_ID", ""),
    "sign": os.environ.get("WANGGE_TENCENT_SMS_SIGN", ""),
    "template_id": os.environ.get("WANGGE_TENCENT_SMS_TEMPLATE_ID", ""),
    "endpoint": os.environ.get("WANGGE_TENCENT_SMS_ENDPOINT", "sms.tencentcloudapi.com"),
    "scheme": os.environ.get("WANGGE_TENCENT_SMS_SCHEME", "https"),
}
SMS_PARAM_MAX = env_int("WANGGE_SMS_PARAM_MAX", 35)
# A WeChat Official Account (WANGGE_WECHAT_ADAPTER=wangge.core.messaging.WeChatTemplate): users bind their
# openid by signing in with WeChat (/accounts/wechat/); messages use one template with two fields
WECHAT = {
    "app_id": os.environ.get("WANGGE_WECHAT_APP_ID", ""),
    "app_secret": os.environ.get("WANGGE_WECHAT_APP_SECRET", ""),
    "template_id": os.environ.get("WANGGE_WECHAT_TEMPLATE_ID", ""),
    "template_fields": tuple(os.environ.get("WANGGE_WECHAT_TEMPLATE_FIELDS", "thing1,thing2").split(",")[:2]),
    "api_base": os.environ.get("WANGGE_WECHAT_API_BASE", "https://api.weixin.qq.com/"),
    "oauth_base": os.environ.get("WANGGE_WECHAT_OAUTH_BASE", "https://open.weixin.qq.com/connect/"),
}
# 12345 answers pushed to the hotline's system as they are given (each a JSON POST, retried through the
# outbox); empty: the hotline pulls them (GET /api/cases/hotline/answers) or takes the Excel
HOTLINE_ANSWER_URL = os.environ.get("WANGGE_HOTLINE_ANSWER_URL", "")
HOTLINE_ANSWER_TOKEN = os.environ.get("WANGGE_HOTLINE_ANSWER_TOKEN", "")
HOTLINE_ADAPTER = os.environ.get("WANGGE_HOTLINE_ADAPTER", "wangge.core.outbox.JsonPostAdapter")
# whom a notification to a unit (a grid, a department) reaches: accounts knows, the outbox asks
OUTBOX_UNIT_PEOPLE = "wangge.accounts.services.unit_people"
# and by which channels beyond the site each person wants a kind of message, at which address
OUTBOX_PERSONAL_CHANNELS = "wangge.accounts.services.personal_channels"
OPEN311_API_KEY = os.environ.get("WANGGE_OPEN311_API_KEY", "")

# An export of more rows than this runs in the background with a progress bar (a town's persons list);
# its file, which holds personal data, is kept this many hours for its owner to download
EXPORT_INLINE_ROWS = env_int("WANGGE_EXPORT_INLINE_ROWS", 20000)
EXPORT_KEEP_HOURS = env_int("WANGGE_EXPORT_KEEP_HOURS", 24)

# An uploaded ledger's file is kept (encrypted) until it is imported, or this many days if it never is.
IMPORT_KEEP_DAYS = env_int("WANGGE_IMPORT_KEEP_DAYS", 7)

# An optional picture CAPTCHA on the resident's report page (django-simple-captcha), for a site whose page is
# abused by scripts despite the rate limits. Off by default: a resident's report should be easy.
REPORT_CAPTCHA = env_bool("WANGGE_REPORT_CAPTCHA", False)
CAPTCHA_LENGTH = 4
CAPTCHA_CHALLENGE_FUNCT = "captcha.helpers.math_challenge"  # a sum reads the same in any language
CAPTCHA_TIMEOUT = 10  # minutes

# Anonymous doors (the report page, its nearby hint, Open311's POST, the login form) are rate-limited per
# address with django-ratelimit; past the limit: 429 with a Chinese message. Counts live in the
# "ratelimit" cache, which every process shares (below).
# Behind nginx, WANGGE_CLIENT_IP_HEADER names the header that carries the client's address.
# Shared by every process of every app server: the rate-limit counts and the WeChat access token (a new
# token ends the old one, so processes must not each fetch their own). The database's cache table by
# default (`wangge_cache`, made by a migration); Redis with WANGGE_REDIS_URL. Sessions and django-axes's
# login failures are in the database already. The test suite's processes each keep their own.
REDIS_URL = os.environ.get("WANGGE_REDIS_URL", "")
if REDIS_URL:
    SHARED_CACHE = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
elif TESTING:
    SHARED_CACHE = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "shared"}
else:
    SHARED_CACHE = {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "wangge_cache"}
CACHES = {"default": SHARED_CACHE, "ratelimit": {**SHARED_CACHE, "KEY_PREFIX": "rate"}}
# django-ratelimit knows neither Django's own Redis cache (atomic) nor forgives the database cache, whose
# increments two requests at the same moment can make one (a count a little low, never a limit skipped
# for long): both are what we want here
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
RATELIMIT_ENABLE = env_bool("WANGGE_RATELIMIT", True)
RATELIMIT_USE_CACHE = "ratelimit"
RATELIMIT_VIEW = "wangge.core.views.rate_limited"
CLIENT_IP_HEADER = os.environ.get("WANGGE_CLIENT_IP_HEADER", "")  # e.g. HTTP_X_REAL_IP, set by nginx
if CLIENT_IP_HEADER:
    RATELIMIT_IP_META_KEY = CLIENT_IP_HEADER
RATE_REPORT = os.environ.get("WANGGE_RATE_REPORT", "20/m")  # reports (and follows) sent from one address
RATE_NEARBY = os.environ.get("WANGGE_RATE_NEARBY", "60/m")  # "already reported?" look-ups
RATE_LOGIN = os.environ.get("WANGGE_RATE_LOGIN", "30/m")  # login attempts from one address, any user
RATE_OPEN311 = os.environ.get("WANGGE_RATE_OPEN311", "30/m")  # Open311 requests POSTed from one address
# Field work (走访): a visit point within this distance counts as "at the household"; how far back a
# visit may be entered (a phone that was offline for days); how many stops a round page lists.
FIELDWORK_NEAR_METRES = env_int("WANGGE_FIELDWORK_NEAR_METRES", 150)
FIELDWORK_BACKDATE_DAYS = env_int("WANGGE_FIELDWORK_BACKDATE_DAYS", 15)
FIELDWORK_MAX_PHOTOS = 9
FIELDWORK_ROUND_LIMIT = env_int("WANGGE_FIELDWORK_ROUND_LIMIT", 2000)
# Mediation: the day of the month by which each community files its dispute report, and how many days
# before it the reminders start.
MEDIATION_REPORT_DAY = env_int("WANGGE_MEDIATION_REPORT_DAY", 25)
MEDIATION_REMIND_DAYS = env_int("WANGGE_MEDIATION_REMIND_DAYS", 3)
MEDIATION_FOLLOW_UP_DAYS = env_int("WANGGE_MEDIATION_FOLLOW_UP_DAYS", 30)  # an agreement is visited again
# `make bench` only: mounts /bench/insert, the one-insert view the intake benchmark compares against
BENCH_VIEWS = env_bool("WANGGE_BENCH_VIEWS", False)

# Maps: no tile server by default (intranets have no internet); set a template such as
# 天地图 "https://t{s}.tianditu.gov.cn/vec_w/wmts?...&tk=KEY" or OSM "https://tile.openstreetmap.org/{z}/{x}/{y}.png".
MAP_TILE_URL = os.environ.get("WANGGE_MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = os.environ.get("WANGGE_MAP_TILE_ATTRIBUTION", "")
MAP_TILE_SUBDOMAINS = os.environ.get("WANGGE_MAP_TILE_SUBDOMAINS", "abc")

# Where the resident reporting page lives (the QR code on a public board points here).
PUBLIC_BASE_URL = os.environ.get("WANGGE_PUBLIC_BASE_URL", "http://127.0.0.1:8000")

# How often (seconds) a process re-checks whether grid boundaries changed elsewhere.
GRID_INDEX_CHECK_SECONDS = float(os.environ.get("WANGGE_GRID_INDEX_CHECK_SECONDS", "1.0"))

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        # https: map tiles; an object store inside the network may serve the photos' signed URLs over http
        "img-src": ["'self'", "data:", "blob:", "https:", *S3_IMAGES],
        "style-src": ["'self'", "'unsafe-inline'"],
        # our own files only: no inline script or handler can run, so a missed escape cannot (a page that
        # ever needs an inline script gives it nonce="{{ request.csp_nonce }}")
        "script-src": ["'self'", NONCE],
        "connect-src": ["'self'"],
    }
}

# Production defaults (WANGGE_DEBUG off): cookies only over HTTPS and HSTS, unless explicitly turned off
# (WANGGE_SECURE_COOKIES=0, WANGGE_HSTS_SECONDS=0) for a site that is not served over HTTPS yet.
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("WANGGE_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_HSTS_SECONDS = env_int("WANGGE_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("WANGGE_HSTS_SUBDOMAINS", False)
if os.environ.get("WANGGE_PROXY_HTTPS_HEADER"):  # nginx terminates TLS: e.g. HTTP_X_FORWARDED_PROTO
    SECURE_PROXY_SSL_HEADER = (os.environ["WANGGE_PROXY_HTTPS_HEADER"], "https")
SECURE_REFERRER_POLICY = "same-origin"
# The browser features a page may use: the report and visit pages locate the phone and take photos.
PERMISSIONS_POLICY = "geolocation=(self), camera=(self), microphone=(), payment=(), usb=()"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("WANGGE_LOG_LEVEL", "WARNING")},
}
