"""gunicorn on each app server (docs/deployment.md "Topology"; issue 17).

    gunicorn -c deploy/gunicorn.conf.py config.wsgi

Every figure can be changed from the environment (deploy/systemd/quality-award-web.service
reads /etc/quality-award.env); the defaults are the production ones.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any


def _memory_mb() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 4096


def default_workers(cores: int, memory_mb: int) -> int:
    """2 x cores + 1 (gunicorn's rule for sync workers: one runs while another waits on the
    database), but no more than the memory holds: a worker is about 110 MB and grows to about
    210 MB after the largest pages (notes/performance-2026-12.md item 7), so 300 MB each,
    leaving the rest to PostgreSQL, Redis and the Celery workers when they share the host."""
    return max(2, min(2 * cores + 1, memory_mb // 300))


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
workers = int(os.environ.get("GUNICORN_WORKERS", "0")) or default_workers(
    os.cpu_count() or 1, _memory_mb()
)
worker_class = "sync"
# The slowest request answered in the request is a large export or the ranking page on a
# loaded machine; beyond this the worker is killed and restarted (the request gets a 502 from
# nginx, whose proxy_read_timeout is longer).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5  # behind nginx's keepalive upstream
# A worker's memory grows with the largest response it built and is never given back
# (item 7 of the December measurements: 113 MB to 210 MB after the ranking page): each worker
# is replaced after this many requests, at a random point of the jitter so they do not all
# restart at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "100"))
# The heartbeat file in memory, not on a disk that may stall.
_SHM = "/dev/shm"  # noqa: S108 - gunicorn's documented choice, a file per worker it owns
worker_tmp_dir = _SHM if Path(_SHM).is_dir() else None
# Only nginx talks to gunicorn: X-Forwarded-* are believed from it alone.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
proxy_allow_ips = forwarded_allow_ips

# Access log: one line per request with the application's request id; empty
# GUNICORN_ACCESS_LOG turns it off (the application's own JSON line, LOG_REQUESTS, and nginx's
# carry the same).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
if os.environ.get("LOG_FORMAT", "").strip().lower() == "json":
    _json = {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": "%(levelname)s %(name)s %(message)s",
        "rename_fields": {"levelname": "level", "name": "logger"},
        "timestamp": "time",
        "json_ensure_ascii": False,
    }
    logconfig_dict: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": _json},
        "handlers": {
            "error_console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            },
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            },
        },
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
        },
    }

# Prometheus: every worker writes its counts into this directory (prometheus_client's
# multiprocess mode) and /metrics sums them, so a scrape sees the whole server, not the one
# worker that answered. Set before any worker imports prometheus_client; emptied when the
# server starts (the files of a previous run would be counted again).
# systemd's RuntimeDirectory (/run/quality-award) when started by the unit, else a new private
# directory.
if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
    _runtime = os.environ.get("RUNTIME_DIRECTORY", "").split(":")[0]
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = (
        f"{_runtime}/prometheus" if _runtime else tempfile.mkdtemp(prefix="qa-prometheus-")
    )


def on_starting(server: Any) -> None:
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    """A worker replaced (max_requests) or dead: its live gauges go; its counters stay."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
