"""What an operator sees of the running system (issue 17 part 4; docs/deployment.md
"Logs, metrics and health"): a request id on every log line and response, JSON logs, the
Prometheus metrics, the readiness check, and the Celery workers' side of each.

**The request id.** Every request gets one number, made here when the request comes in (or
taken from ``X-Request-ID`` when the peer is one of AUDIT_TRUSTED_PROXIES and the value is a
plain token): it is the ``request_id`` of every log record written while the request is served,
the ``X-Request-ID`` of the response, the 参考编号 of an error page (config/errors.py) and, for a
refusal, the ``error_reference`` of its audit event. One number for the person who reads it out,
the log line and the audit trail. It reads like the reference numbers before it:
``2612051030-7KQ3-XZ4M`` (local time to the minute, then eight Crockford characters: 40 random
bits, so ids of the same minute do not collide at any load this system sees).

**Logs.** ``LOG_FORMAT=json`` (production) writes one JSON object per line (python-json-logger)
with ``request_id``, ``user_id``, ``role``, ``method`` and ``path`` added by `RequestContext`;
at the end of each request `RequestIdMiddleware` writes one line (logger ``qa.request``) with
the status and the duration. In a Celery task the records carry ``task_id``, ``task`` and
``job_id`` instead (and the ``request_id`` of the request that queued it).

**Metrics.** django-prometheus' middleware counts requests, latencies by view and responses by
status; with gunicorn's several processes, prometheus_client's multiprocess mode
(PROMETHEUS_MULTIPROC_DIR, deploy/gunicorn.conf.py) sums every worker's. The project's own
figures are read when Prometheus scrapes (`ProjectCollector`): the Celery queue depth (LLEN of
the broker's queue keys), jobs by state (jobs.Job), tasks succeeded and failed (counted in Redis
by the workers' signal handlers below, so every worker on every host adds to one count) and the
live workers. ``/metrics`` answers only METRICS_ALLOWED_NETWORKS; anyone else gets a 404.
Per request, the SQL statements and the time spent in them, by view (`QueryMeter`, through
``connection.execute_wrapper``: histograms in the same multiprocess files); per Celery task, its
duration by task and outcome (a histogram kept in Redis by the workers, like the counts).

**The audit trail.** Every audit event carries the request id (audit.context reads the
request's; a task hands over the id of the request that queued it, `_task_prerun`, and a job
the one it keeps, jobs.services.run), so an error page, the log lines and the trail join on one
number (docs/decisions/0028).

**Readiness.** ``/readyz`` checks the database, each cache alias, the broker, a live worker (a
heartbeat each worker writes into Redis every WORKER_HEARTBEAT_SECONDS) and the migrations;
``/healthz`` stays the liveness check (process up, database answers).
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar, Token
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

log = logging.getLogger("qa.request")
task_log = logging.getLogger("qa.tasks")

REQUEST_ID_HEADER = "X-Request-ID"
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U to misread
# What a trusted proxy may hand us as the id: a plain token (nginx's $request_id is 32 hex),
# never anything a log line or a header could be confused by.
_PROXY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,63}")

# What the log records of the work being done carry (a request, or a Celery task).
_context: ContextVar[dict[str, Any] | None] = ContextVar("qa_log_context", default=None)
CONTEXT_FIELDS = ("request_id", "user_id", "role", "method", "path", "task_id", "task", "job_id")


def new_request_id() -> str:
    """``YYMMDDHHMM-XXXX-XXXX``: the minute, local time, and 40 random bits."""
    stamp = timezone.localtime().strftime("%y%m%d%H%M")
    tail = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"{stamp}-{tail[:4]}-{tail[4:]}"


def _from_trusted_proxy(request: HttpRequest) -> str:
    """The proxy's X-Request-ID, when the peer is one of the deployment's own proxies."""
    incoming = str(request.META.get("HTTP_X_REQUEST_ID") or "")
    if not incoming or not _PROXY_ID.fullmatch(incoming):
        return ""
    peer = str(request.META.get("REMOTE_ADDR") or "")
    return incoming if peer in set(getattr(settings, "AUDIT_TRUSTED_PROXIES", ())) else ""


def request_id(request: HttpRequest | None) -> str:
    """The request's id, made once (the middleware makes it first; a request that reached a
    view without the middleware, e.g. in a unit test, gets one here)."""
    if request is None:
        return new_request_id()
    made = getattr(request, "request_id", "")
    if not made:
        made = _from_trusted_proxy(request) or new_request_id()
        request.request_id = made  # type: ignore[attr-defined]
    return str(made)


def current_request_id() -> str:
    ctx = _context.get()
    return str(ctx.get("request_id", "")) if ctx else ""


def _who(request: HttpRequest) -> tuple[str, str]:
    """(user id, roles) when the request has already read its user: never a query of its own
    (the pages' query counts are tested)."""
    user = getattr(request, "user", None)
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is None or type(wrapped).__name__ == "object":  # the lazy user, never read
        return "", ""
    if not getattr(wrapped, "is_authenticated", False):
        return "", ""
    cached = getattr(wrapped, "_qa_roles", None)  # (scopes, programs): accounts.selectors
    roles = cached[0] if cached else {}
    return str(wrapped.pk), ",".join(sorted(str(r) for r in roles))


# --- The database in the metrics (issue 17 part 4) -------------------------------------------

# Statements per request: a page's query count is constant in its rows (tests assert them); a
# view climbing buckets is an N+1 that slipped through. Seconds: the time inside the database
# driver (execute and fetch of the statement itself; rows read later from a server-side cursor
# are not in it).
DB_QUERY_BUCKETS = (1, 2, 5, 10, 20, 30, 50, 100, 200, 500, 1000, float("inf"))
DB_SECONDS_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, float("inf")
)  # fmt: skip
UNRESOLVED_VIEW = "<unresolved>"  # no URL matched (a 404, WhiteNoise's static files)

_db_metrics: tuple[Any, Any] | None = None


def db_metrics() -> tuple[Any, Any]:
    """The two histograms, made once per process (in multiprocess mode their values live in
    PROMETHEUS_MULTIPROC_DIR, which gunicorn's configuration sets before the app is loaded)."""
    global _db_metrics
    if _db_metrics is None:
        from prometheus_client import Histogram

        _db_metrics = (
            Histogram(
                "qa_request_db_queries",
                "SQL statements per request, by view",
                ["view"],
                buckets=DB_QUERY_BUCKETS,
            ),
            Histogram(
                "qa_request_db_seconds",
                "Time spent in SQL statements per request, by view",
                ["view"],
                buckets=DB_SECONDS_BUCKETS,
            ),
        )
    return _db_metrics


class QueryMeter:
    """``connection.execute_wrapper`` for one request: counts the statements and adds up their
    time (two perf_counter calls and two additions a statement)."""

    __slots__ = ("count", "seconds")

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1


def view_label(request: HttpRequest) -> str:
    """The resolved view's name (``intake:detail``), never the raw path: one series per view,
    whatever the ids in the URL."""
    match = getattr(request, "resolver_match", None)
    return (getattr(match, "view_name", "") or UNRESOLVED_VIEW) if match else UNRESOLVED_VIEW


def observe_queries(request: HttpRequest, meter: QueryMeter) -> None:
    try:
        queries, seconds = db_metrics()
        view = view_label(request)
        queries.labels(view).observe(meter.count)
        seconds.labels(view).observe(meter.seconds)
    except Exception:  # a metric must never break the request it measures
        log.debug("指标：SQL 统计未记录", exc_info=True)


class RequestIdMiddleware:
    """First in MIDDLEWARE: the request id, the log context, the response's X-Request-ID,
    the request's SQL statements in the metrics (`QueryMeter`; METRICS_DB) and the request's
    own log line (``qa.request``: status and duration; LOG_REQUESTS)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = request_id(request)
        ctx: dict[str, Any] = {
            "request_id": rid,
            "method": request.method,
            "path": request.path[:500],
        }
        # Kept after this middleware returns: Django's own "Not Found"/"Internal Server Error"
        # lines (logger django.request) are written after the middleware chain; the context
        # is cleared when the response is closed (request_finished, `_clear`).
        _context.set(ctx)
        started = time.perf_counter()
        if getattr(settings, "METRICS_DB", True):
            meter = QueryMeter()
            with connection.execute_wrapper(meter):
                response = self.get_response(request)
            observe_queries(request, meter)
        else:
            response = self.get_response(request)
        response[REQUEST_ID_HEADER] = rid
        user_id, role = _who(request)
        ctx.update(user_id=user_id, role=role)
        if getattr(settings, "LOG_REQUESTS", False):
            log.info(
                "%s %s %s",
                request.method,
                request.path[:500],
                response.status_code,
                extra={
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "view": getattr(getattr(request, "resolver_match", None), "view_name", "")
                    or "",
                },
            )
        return response


def _clear(**_: Any) -> None:
    _context.set(None)


class RequestContext(logging.Filter):
    """Adds the request's (or the task's) fields to every record a handler writes; fields a
    caller passed in `extra` win."""

    def filter(self, record: logging.LogRecord) -> bool:
        ctx = _context.get() or {}
        if not hasattr(record, "request_id"):
            record.request_id = ctx.get("request_id", "")  # the text format names it
        for name in CONTEXT_FIELDS:
            if ctx.get(name) and not hasattr(record, name):
                setattr(record, name, ctx[name])
        return True


def json_formatter() -> logging.Formatter:
    """One JSON object per line: time, level, logger, message, then every extra field (the
    context above when known, the request line's status and duration)."""
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter(
        "%(levelname)s %(name)s %(message)s",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",  # ISO 8601 in UTC, with its offset
        json_ensure_ascii=False,
    )


# --- Celery: the task's log context, the counts, the heartbeat -----------------------------

# Per running task: its log context's token, the audit hand-over's token, its start time.
_task_tokens: dict[str, tuple[Token[dict[str, Any] | None], Any, float]] = {}


def _job_id(task: Any, args: Iterable[Any] | None, kwargs: dict[str, Any] | None) -> str:
    if kwargs and kwargs.get("job_id") is not None:
        return str(kwargs["job_id"])
    args = list(args or ())
    if args and str(getattr(task, "name", "")).endswith("run_job"):
        return str(args[0])
    return ""


def _task_prerun(
    sender: Any = None,
    task_id: str = "",
    task: Any = None,
    args: Any = None,
    kwargs: Any = None,
    **_: Any,
) -> None:
    queued_by = getattr(getattr(task, "request", None), "qa_request_id", "") or (
        current_request_id()  # an eager task runs inside the request that queued it
    )
    token = _context.set(
        {
            "request_id": queued_by or "",
            "task_id": task_id or "",
            "task": str(getattr(task, "name", "")),
            "job_id": _job_id(task, args, kwargs),
        }
    )
    # The audit events the task records carry the queuing request's id (a job's own, kept on
    # its row, wins inside jobs.services.run: a job re-sent by the beat has no header).
    from audit import context as audit_context

    if task_id:  # (Celery always gives one; without it nothing would end the hand-over)
        handed = audit_context.begin_working_for(queued_by or "")
        _task_tokens[task_id] = (token, handed, time.perf_counter())


_OUTCOMES = {"SUCCESS": "succeeded", "FAILURE": "failed", "RETRY": "retried"}


def _task_postrun(
    sender: Any = None, task_id: str = "", task: Any = None, state: str = "", **_: Any
) -> None:
    taken = _task_tokens.pop(task_id or "", None)
    if taken is None:
        return
    token, handed, started = taken
    from audit import context as audit_context

    audit_context.end_working_for(handed)
    try:
        _context.reset(token)
    except ValueError:  # reset from another context (a pool thread): just clear it
        _context.set(None)
    outcome = _OUTCOMES.get(str(state or ""), str(state or "unknown").lower())
    _time_task(task or sender, outcome, time.perf_counter() - started)


def _before_publish(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """The request that queued a task travels with it: the worker's lines carry its id."""
    rid = current_request_id()
    if rid and headers is not None:
        headers.setdefault("qa_request_id", rid)


def _redis_client(alias: str = "default") -> Any:
    """The raw redis-py client of a cache alias, or None when it is not Redis."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    cache = caches[alias]
    if not isinstance(cache, RedisCache):
        return None
    return cache._cache.get_client(write=True)  # type: ignore[attr-defined]


def _key(name: str) -> str:
    from django.core.cache import caches

    return caches["default"].make_key(name)


TASKS_KEY = "metrics:celery-tasks"
TASK_SECONDS_KEY = "metrics:celery-task-seconds"
# A mail is sent in well under a second; a certificate about 0.85 s; an export or the annual
# archive minutes (the hard limit is 25 min, jobs.tasks.TIME_LIMIT).
TASK_SECONDS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1500.0)
WORKERS_KEY = "celery:workers"


def _count_task(task: Any, state: str) -> None:
    """Tasks by outcome, in Redis: one count for every worker of every host. Never fails the
    task."""
    try:
        client = _redis_client()
        if client is not None:
            client.hincrby(_key(TASKS_KEY), f"{getattr(task, 'name', '?')}|{state}", 1)
    except Exception:  # a metric must never break the work it counts
        task_log.debug("任务计数未写入 Redis", exc_info=True)


def _time_task(task: Any, outcome: str, seconds: float) -> None:
    """The task's duration into a histogram kept in Redis (cumulative buckets, sum and count
    per task and outcome: one pipelined round trip), read by `ProjectCollector` like the
    counts. Never fails the task."""
    try:
        client = _redis_client()
        if client is None:
            return
        key = _key(TASK_SECONDS_KEY)
        series = f"{getattr(task, 'name', '?')}|{outcome}"
        pipe = client.pipeline(transaction=False)
        for bound in TASK_SECONDS_BUCKETS:
            if seconds <= bound:
                pipe.hincrby(key, f"{series}|{bound:g}", 1)
        pipe.hincrby(key, f"{series}|count", 1)
        pipe.hincrbyfloat(key, f"{series}|sum", seconds)
        pipe.execute()
    except Exception:  # a metric must never break the work it measures
        task_log.debug("任务耗时未写入 Redis", exc_info=True)


def task_seconds_families() -> Iterator[Any]:
    """The tasks' duration histogram from Redis (prometheus' text: _bucket, _sum, _count)."""
    from prometheus_client.core import HistogramMetricFamily

    client = _redis_client()
    if client is None:
        return
    fields: dict[str, dict[str, float]] = {}
    for field, value in client.hgetall(_key(TASK_SECONDS_KEY)).items():
        series, _, part = field.decode().rpartition("|")
        fields.setdefault(series, {})[part] = float(value)
    family = HistogramMetricFamily(
        "qa_celery_task_seconds",
        "Task duration, by task and outcome (succeeded, failed, retried)",
        labels=["task", "state"],
    )
    for series, parts in sorted(fields.items()):
        name, _, state = series.rpartition("|")
        count = parts.get("count", 0.0)
        buckets = [(f"{b:g}", parts.get(f"{b:g}", 0.0)) for b in TASK_SECONDS_BUCKETS]
        buckets.append(("+Inf", count))
        family.add_metric([name, state], buckets, parts.get("sum", 0.0))
    yield family


def _task_success(sender: Any = None, **_: Any) -> None:
    _count_task(sender, "succeeded")


def _task_failure(sender: Any = None, **_: Any) -> None:
    _count_task(sender, "failed")


def _task_retry(sender: Any = None, **_: Any) -> None:
    _count_task(sender, "retried")


def beat_heartbeat(hostname: str) -> None:
    """This worker is alive now: its score in the workers' sorted set is the time."""
    client = _redis_client()
    if client is None:
        return
    key = _key(WORKERS_KEY)
    now = time.time()
    client.zadd(key, {hostname: now})
    client.zremrangebyscore(key, "-inf", now - 10 * heartbeat_max_age())
    client.expire(key, int(10 * heartbeat_max_age()))


def heartbeat_max_age() -> float:
    """A worker whose last heartbeat is older than this is not counted as live."""
    return 3 * float(getattr(settings, "WORKER_HEARTBEAT_SECONDS", 15))


_heartbeat_stop = threading.Event()


def _worker_ready(sender: Any = None, **_: Any) -> None:
    """A thread of the worker's main process writes the heartbeat every
    WORKER_HEARTBEAT_SECONDS until the worker shuts down."""
    hostname = str(getattr(sender, "hostname", "") or socket.gethostname())
    every = float(getattr(settings, "WORKER_HEARTBEAT_SECONDS", 15))
    _heartbeat_stop.clear()

    def run() -> None:
        while not _heartbeat_stop.is_set():
            try:
                beat_heartbeat(hostname)
            except Exception:
                task_log.warning("工作进程心跳未写入 Redis", exc_info=True)
            _heartbeat_stop.wait(every)

    threading.Thread(target=run, name="qa-heartbeat", daemon=True).start()


def _worker_shutdown(sender: Any = None, **_: Any) -> None:
    _heartbeat_stop.set()
    try:
        client = _redis_client()
        hostname = str(getattr(sender, "hostname", "") or socket.gethostname())
        if client is not None:
            client.zrem(_key(WORKERS_KEY), hostname)
    except Exception:
        task_log.debug("工作进程心跳未删除", exc_info=True)


def connect_celery_signals() -> None:
    from celery import signals

    signals.task_prerun.connect(_task_prerun, weak=False, dispatch_uid="qa-task-prerun")
    signals.task_postrun.connect(_task_postrun, weak=False, dispatch_uid="qa-task-postrun")
    signals.before_task_publish.connect(_before_publish, weak=False, dispatch_uid="qa-publish")
    signals.task_success.connect(_task_success, weak=False, dispatch_uid="qa-task-success")
    signals.task_failure.connect(_task_failure, weak=False, dispatch_uid="qa-task-failure")
    signals.task_retry.connect(_task_retry, weak=False, dispatch_uid="qa-task-retry")
    signals.worker_ready.connect(_worker_ready, weak=False, dispatch_uid="qa-worker-ready")
    signals.worker_shutdown.connect(_worker_shutdown, weak=False, dispatch_uid="qa-worker-down")
    if getattr(settings, "LOG_FORMAT", "") == "json":
        # A receiver of setup_logging tells Celery to leave logging alone: the worker's and
        # beat's lines go through Django's LOGGING (JSON, with the task's fields) like the
        # app servers'.
        signals.setup_logging.connect(_keep_logging, weak=False, dispatch_uid="qa-logging")


def _keep_logging(**_: Any) -> None:
    """Celery's own logging setup, replaced by nothing: LOGGING is already configured."""


def connect_signals() -> None:
    """Called once from config's AppConfig.ready (web processes and workers alike)."""
    from django.core.signals import request_finished

    request_finished.connect(_clear, weak=False, dispatch_uid="qa-log-context-clear")
    connect_celery_signals()


# --- Readiness -------------------------------------------------------------------------------

_migrations_applied = False  # once true in a process, it stays true until the next deploy


def _tasks_eager() -> bool:
    return bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False)) or not getattr(
        settings, "CELERY_BROKER_URL", ""
    )


def _failure(exc: BaseException) -> str:
    # The class only: the body is public, a message could name hosts or credentials.
    return f"fail: {type(exc).__name__}"


def check_database() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def check_cache(alias: str) -> str:
    from django.core.cache import caches

    cache = caches[alias]
    key = f"readyz:{secrets.token_hex(4)}"
    cache.set(key, "1", timeout=10)
    found = cache.get(key)
    cache.delete(key)
    if found != "1":
        raise RuntimeError("written value not read back")
    return "ok"


def _broker_client() -> Any:
    import redis

    url = str(settings.CELERY_BROKER_URL)
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)


def check_broker() -> str:
    if _tasks_eager():
        return "eager"
    url = str(settings.CELERY_BROKER_URL)
    if url.startswith(("redis://", "rediss://", "unix://")):
        _broker_client().ping()
        return "ok"
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "ok"


def live_workers() -> int:
    client = _redis_client()
    if client is None:
        return 0
    return int(client.zcount(_key(WORKERS_KEY), time.time() - heartbeat_max_age(), "+inf"))


def check_worker() -> str:
    if _tasks_eager():
        return "eager"
    count = live_workers()
    if count < 1:
        raise RuntimeError("no worker heartbeat")
    return f"ok ({count})"


def check_migrations() -> str:
    global _migrations_applied
    if _migrations_applied:
        return "ok"
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise RuntimeError("unapplied migrations")
    _migrations_applied = True
    return "ok"


def readiness() -> tuple[bool, dict[str, str]]:
    checks: list[tuple[str, Callable[[], str]]] = [("database", check_database)]
    for alias in settings.CACHES:
        checks.append((f"cache:{alias}", functools.partial(check_cache, alias)))
    checks += [
        ("broker", check_broker),
        ("worker", check_worker),
        ("migrations", check_migrations),
    ]
    results: dict[str, str] = {}
    ready = True
    for name, check in checks:
        try:
            results[name] = check()
        except Exception as exc:
            ready = False
            results[name] = _failure(exc)
            log.warning("就绪检查失败：%s（%s）", name, type(exc).__name__)
    return ready, results


def readyz(request: HttpRequest) -> HttpResponse:
    """200 with each check when the database, every cache alias, the broker, a worker and the
    migrations are ready; 503 naming the failed ones otherwise (for the orchestrator and the
    monitor; nginx itself does not ask)."""
    ready, checks = readiness()
    response = JsonResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status=200 if ready else 503,
    )
    response["Cache-Control"] = "no-store"
    return response


# --- Metrics ---------------------------------------------------------------------------------


def _networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    raw = getattr(settings, "METRICS_ALLOWED_NETWORKS", ["127.0.0.1/32", "::1/128"])
    return [ipaddress.ip_network(str(n).strip(), strict=False) for n in raw if str(n).strip()]


def metrics_allowed(request: HttpRequest) -> bool:
    from audit.context import client_ip

    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in network for network in _networks())


def _broker_queues() -> list[str]:
    names = [str(getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery"))]
    for route in (getattr(settings, "CELERY_TASK_ROUTES", None) or {}).values():
        if isinstance(route, dict) and route.get("queue"):
            names.append(str(route["queue"]))
    for queue in getattr(settings, "CELERY_TASK_QUEUES", None) or ():
        names.append(str(getattr(queue, "name", queue)))
    return sorted(set(names))


class ProjectCollector:
    """The project's figures, read when Prometheus scrapes (each one fails alone)."""

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        if not _tasks_eager():
            try:
                depth = GaugeMetricFamily(
                    "qa_celery_queue_length",
                    "Messages waiting in the broker's queue (LLEN)",
                    labels=["queue"],
                )
                client = _broker_client()
                for name in _broker_queues():
                    # kombu's Redis transport keeps priorities 3/6/9 in sibling lists.
                    keys = [name] + [f"{name}\x06\x16{p}" for p in (3, 6, 9)]
                    depth.add_metric([name], float(sum(client.llen(k) for k in keys)))
                yield depth
                unacked = GaugeMetricFamily(
                    "qa_celery_unacked", "Messages taken by a worker and not yet acknowledged"
                )
                unacked.add_metric([], float(client.hlen("unacked")))
                yield unacked
            except Exception:
                log.warning("指标：无法读取任务队列长度", exc_info=True)
        try:
            workers = GaugeMetricFamily(
                "qa_celery_workers_live", "Workers whose heartbeat is recent"
            )
            workers.add_metric([], float(live_workers()))
            yield workers
        except Exception:
            log.warning("指标：无法读取工作进程心跳", exc_info=True)
        try:
            client = _redis_client()
            if client is not None:
                tasks = CounterMetricFamily(
                    "qa_celery_tasks",
                    "Tasks finished, by task and outcome (succeeded, failed, retried)",
                    labels=["task", "state"],
                )
                for field, value in client.hgetall(_key(TASKS_KEY)).items():
                    name, _, state = field.decode().rpartition("|")
                    tasks.add_metric([name, state], float(value))
                yield tasks
        except Exception:
            log.warning("指标：无法读取任务计数", exc_info=True)
        try:
            yield from task_seconds_families()
        except Exception:
            log.warning("指标：无法读取任务耗时", exc_info=True)
        yield from self._jobs()

    def _jobs(self) -> Iterator[Any]:
        """jobs.Job by state, when the model exists (read lazily: the jobs app's model)."""
        from django.apps import apps
        from django.db.models import Count
        from prometheus_client.core import GaugeMetricFamily

        try:
            job = apps.get_model("jobs", "Job")
        except LookupError:
            return
        try:
            gauge = GaugeMetricFamily("qa_jobs", "Background jobs by state", labels=["state"])
            field = job._meta.get_field("state")
            counts = dict(job.objects.values_list("state").annotate(n=Count("pk")).order_by())
            for value in [v for v, _ in getattr(field, "choices", None) or []] or counts:
                gauge.add_metric([str(value)], float(counts.get(value, 0)))
            yield gauge
        except Exception:
            log.warning("指标：无法读取后台任务状态", exc_info=True)


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus' text format: django-prometheus' request metrics (every gunicorn worker's,
    in multiprocess mode) and the project's figures. Only METRICS_ALLOWED_NETWORKS; others
    are told nothing exists here."""
    if not metrics_allowed(request):
        raise Http404
    import os

    import prometheus_client
    from prometheus_client import CollectorRegistry, generate_latest, multiprocess

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        body = generate_latest(registry)
    else:
        body = generate_latest(prometheus_client.REGISTRY)
    own = CollectorRegistry()
    own.register(ProjectCollector())  # type: ignore[arg-type]
    body += generate_latest(own)
    response = HttpResponse(body, content_type=prometheus_client.CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
