"""The deployment as a topology (issue 17 parts 2 and 4): deploy/ (nginx, gunicorn, systemd,
compose) checked by the tools that will read them, every environment variable documented, JSON
logs with the request id, /metrics restricted, /readyz naming each check, the deploy checks."""

from __future__ import annotations

import getpass
import io
import ipaddress
import json
import logging
import re
import runpy
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.core.checks import run_checks
from django.test import Client
from django.urls import reverse

from config import observability
from tests.conftest import client_for

ROOT = Path(settings.BASE_DIR)
DEPLOY = ROOT / "deploy"
DOC = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
CLOSED_PORT = "redis://127.0.0.1:1/0"  # nothing listens on port 1


# --- deploy/: nginx ----------------------------------------------------------------------------


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "award.rugao.gov.cn")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    chain, private = directory / "fullchain.pem", directory / "privkey.pem"
    chain.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return chain, private


def _render_nginx(tmp: Path, *, upstream: int = 8000, https: int = 443, http: int = 80) -> Path:
    """deploy/nginx.conf as an operator installs it, with the test's certificate, paths and
    (unprivileged) ports, inside a minimal main configuration run as this user."""
    chain, private = _certificate(tmp)
    static = tmp / "static"
    static.mkdir()
    (static / "app.css").write_text("body{}")
    logs = tmp / "logs"
    logs.mkdir()
    site = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    for old, new in {
        "/etc/ssl/quality-award/fullchain.pem": str(chain),
        "/etc/ssl/quality-award/privkey.pem": str(private),
        "/var/lib/quality-award/static/": f"{static}/",
        "/var/log/nginx/": f"{logs}/",
        "server 127.0.0.1:8000": f"server 127.0.0.1:{upstream}",
        "listen 443 ssl": f"listen 127.0.0.1:{https} ssl",
        "listen 80;": f"listen 127.0.0.1:{http};",
        "return 301 https://$host$request_uri;": (f"return 301 https://$host:{https}$request_uri;"),
    }.items():
        assert old in site, old
        site = site.replace(old, new)
    site = "\n".join(line for line in site.splitlines() if "listen [::]" not in line)
    (tmp / "site.conf").write_text(site)
    temp = tmp / "temp"
    temp.mkdir()
    main = tmp / "nginx.conf"
    main.write_text(
        f"""
user {getpass.getuser()};
pid {tmp}/nginx.pid;
error_log stderr;
daemon off;
events {{ worker_connections 64; }}
http {{
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {tmp}/site.conf;
}}
"""
    )
    return main


NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
needs_nginx = pytest.mark.skipif(NGINX is None, reason="nginx-light (make system-deps)")


@needs_nginx
def test_the_nginx_configuration_is_accepted_by_nginx(tmp_path: Path) -> None:
    main = _render_nginx(tmp_path)
    done = subprocess.run(  # noqa: S603 - fixed arguments, our own files
        [str(NGINX), "-t", "-p", str(tmp_path), "-e", "stderr", "-c", str(main)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


class _Echo(BaseHTTPRequestHandler):
    """The app server's stand-in: answers with the headers nginx sent it."""

    def do_GET(self) -> None:
        body = json.dumps({k.lower(): v for k, v in self.headers.items()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Request-ID", "2612051030-TEST-0001")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def running_nginx(tmp_path: Path) -> Iterator[tuple[int, int, Path]]:
    """nginx with deploy/nginx.conf on this helper's ports, in front of the echo server."""
    upstream = HTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    https, http = 8444, 8084
    main = _render_nginx(tmp_path, upstream=upstream.server_address[1], https=https, http=http)
    process = subprocess.Popen(  # noqa: S603 - fixed arguments, our own files
        [str(NGINX), "-p", str(tmp_path), "-e", "stderr", "-c", str(main)],
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", https), timeout=0.1).close()
                break
            except OSError:
                if process.poll() is not None:
                    raise AssertionError(process.stderr.read() if process.stderr else b"") from None
                time.sleep(0.05)
        yield https, http, tmp_path
    finally:
        process.terminate()
        process.wait(timeout=10)
        upstream.shutdown()


@needs_nginx
def test_nginx_proxies_with_the_headers_the_application_trusts(
    running_nginx: tuple[int, int, Path],
) -> None:
    import http.client
    import ssl

    https_port, http_port, tmp = running_nginx
    context = ssl.create_default_context(cafile=str(tmp / "fullchain.pem"))
    connection = http.client.HTTPSConnection("127.0.0.1", https_port, context=context, timeout=10)
    # A client's own X-Request-ID and X-Forwarded-Proto are not passed on as it sent them.
    connection.request(
        "GET",
        "/accounts/login/",
        headers={"X-Request-ID": "forged-by-the-client", "X-Forwarded-Proto": "gopher"},
    )
    response = connection.getresponse()
    seen = json.loads(response.read())
    assert response.status == 200
    assert "x-request-id" not in seen
    assert seen["x-forwarded-proto"] == "https"
    assert seen["x-forwarded-for"].split(",")[-1].strip() == "127.0.0.1"
    # The access log line is JSON and carries the application's request id.
    connection.request("GET", "/metrics")
    refused = connection.getresponse()
    refused.read()
    assert refused.status == 404  # never through the public entrance
    connection.request("GET", "/static/app.css")
    static = connection.getresponse()
    assert static.read() == b"body{}"
    assert "immutable" in static.getheader("Cache-Control", "")
    connection.close()
    plain = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
    plain.request("GET", "/healthz")
    redirect = plain.getresponse()
    assert redirect.status == 301
    assert redirect.getheader("Location", "").startswith("https://")
    lines = [
        json.loads(line)
        for line in (tmp / "logs" / "quality-award.access.log").read_text().splitlines()
    ]
    assert lines[0]["request_id"] == "2612051030-TEST-0001"
    assert lines[0]["uri"] == "/accounts/login/"


# --- deploy/: gunicorn, systemd, compose -------------------------------------------------------


def test_gunicorn_replaces_its_workers_and_sizes_them_by_cores_and_memory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "prom"))
    monkeypatch.delenv("GUNICORN_WORKERS", raising=False)
    conf = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    # Item 7 of the December measurements: memory grows and stays until a worker restarts.
    assert conf["max_requests"] >= 100
    assert 0 < conf["max_requests_jitter"] < conf["max_requests"]
    assert conf["timeout"] >= 30
    assert "x-request-id" in conf["access_log_format"]
    assert conf["bind"] == ["127.0.0.1:8000"]
    formula = conf["default_workers"]
    assert formula(2, 16_000) == 5  # 2 x cores + 1
    assert formula(16, 4_000) == 13  # memory: 300 MB each
    assert formula(1, 256) == 2
    conf["on_starting"](None)
    assert (tmp_path / "prom").is_dir()


def test_gunicorn_logs_json_when_asked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from django.utils.module_loading import import_string

    monkeypatch.setenv("LOG_FORMAT", "json")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    conf = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    spec = dict(conf["logconfig_dict"]["formatters"]["json"])
    formatter = import_string(spec.pop("()"))(**spec)
    record = logging.LogRecord("gunicorn.access", logging.INFO, "", 0, "GET / 200", (), None)
    assert json.loads(formatter.format(record))["message"] == "GET / 200"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
@pytest.mark.parametrize("unit", sorted(p.name for p in (DEPLOY / "systemd").glob("*.service")))
def test_the_systemd_units_parse(unit: str) -> None:
    done = subprocess.run(  # noqa: S603 - fixed arguments, our own files
        ["systemd-analyze", "verify", "--man=no", str(DEPLOY / "systemd" / unit)],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=60,
    )
    # The only complaint allowed: the virtualenv is not installed under /srv on this machine.
    problems = [
        line
        for line in done.stderr.splitlines()
        if line.strip() and "is not executable" not in line and "/srv/quality-award" not in line
    ]
    assert problems == []


def test_the_units_run_the_processes_of_the_topology() -> None:
    units = {p.name: p.read_text() for p in (DEPLOY / "systemd").glob("*.service")}
    assert "gunicorn -c deploy/gunicorn.conf.py config.wsgi" in units["quality-award-web.service"]
    assert "celery -A config worker -Q default" in units["quality-award-worker.service"]
    assert "celery -A config beat" in units["quality-award-beat.service"]
    for text in units.values():
        assert "EnvironmentFile=/etc/quality-award.env" in text
        assert "User=quality-award" in text


def test_the_compose_file_names_every_process_of_the_topology() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"nginx", "web", "worker", "beat", "postgres", "redis"}
    assert "celery -A config worker -Q default" in services["worker"]["command"]
    assert "celery -A config beat" in services["beat"]["command"]
    assert "gunicorn -c deploy/gunicorn.conf.py" in services["web"]["command"]
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["LOG_FORMAT"] == "json"
        assert env["CELERY_BROKER_URL"].startswith("redis://")
        assert env["REDIS_URL"].startswith("redis://")
    assert (DEPLOY / services["web"]["build"]["dockerfile"].removeprefix("deploy/")).is_file()


def _settings_variables() -> set[str]:
    source = (ROOT / "config" / "settings.py").read_text(encoding="utf-8")
    names = set(
        re.findall(
            r"(?:os\.environ\.get|os\.environ\[|os\.getenv|env_bool|_kept_secret)\(\s*\"([A-Z0-9_]+)\"",
            source,
        )
    )
    names |= set(re.findall(r"os\.environ\[\"([A-Z0-9_]+)\"\]", source))
    if "dj_database_url.config(" in source:
        names.add("DATABASE_URL")
    return names


def test_every_environment_variable_of_the_settings_is_documented() -> None:
    names = _settings_variables()
    assert {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "LOG_FORMAT"} <= names
    missing = sorted(n for n in names if f"`{n}`" not in DOC)
    assert missing == [], f"docs/deployment.md names no {missing}"


# --- Logs: JSON with the request id ------------------------------------------------------------


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The production handler (LOG_FORMAT=json) on the root logger, into a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(observability.RequestContext())
    handler.setFormatter(observability.json_formatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


@pytest.mark.django_db
def test_json_log_lines_carry_the_request_id_of_the_response(
    json_log: io.StringIO, settings: Any
) -> None:
    settings.LOG_REQUESTS = True
    response = Client().get("/no-such-page/")
    rid = response["X-Request-ID"]
    assert re.fullmatch(r"\d{10}-[0-9A-Z]{4}-[0-9A-Z]{4}", rid)
    assert response["X-Reference"] == rid  # the error page's 参考编号 is the request id
    lines = _lines(json_log)
    assert {line["logger"] for line in lines} >= {"config.errors", "qa.request"}
    # Every line of the request, Django's own "Not Found" after the middleware included.
    assert all(line["request_id"] == rid for line in lines), lines
    (request_line,) = [line for line in lines if line["logger"] == "qa.request"]
    assert request_line["status"] == 404
    assert request_line["method"] == "GET"
    assert request_line["path"] == "/no-such-page/"
    assert request_line["duration_ms"] >= 0
    assert {"time", "level", "message"} <= set(request_line)


def test_json_log_lines_name_the_signed_in_user(
    json_log: io.StringIO, settings: Any, make_user: Any
) -> None:
    settings.LOG_REQUESTS = True
    from accounts.models import Role

    office = make_user(Role.OFFICE)
    response = client_for(office).get(reverse("accounts:dashboard"))
    (line,) = [x for x in _lines(json_log) if x["logger"] == "qa.request"]
    assert line["request_id"] == response["X-Request-ID"]
    assert line["user_id"] == str(office.pk)
    assert "office" in line["role"]
    assert line["view"] == "accounts:dashboard"


@pytest.mark.django_db
def test_the_request_id_comes_from_a_trusted_proxy_only(settings: Any) -> None:
    settings.AUDIT_TRUSTED_PROXIES = ["10.0.0.5"]
    sent = "0123456789abcdef0123456789abcdef"
    proxied = Client(REMOTE_ADDR="10.0.0.5").get("/healthz", HTTP_X_REQUEST_ID=sent)
    assert proxied["X-Request-ID"] == sent
    direct = Client(REMOTE_ADDR="203.0.113.9").get("/healthz", HTTP_X_REQUEST_ID=sent)
    assert direct["X-Request-ID"] != sent
    odd = Client(REMOTE_ADDR="10.0.0.5").get("/healthz", HTTP_X_REQUEST_ID="a b\r\nc")
    assert re.fullmatch(r"\d{10}-[0-9A-Z]{4}-[0-9A-Z]{4}", odd["X-Request-ID"])


@pytest.mark.django_db
def test_request_lines_are_off_for_make_run(json_log: io.StringIO, settings: Any) -> None:
    settings.LOG_REQUESTS = False
    Client().get("/healthz")
    assert [x for x in _lines(json_log) if x["logger"] == "qa.request"] == []


def test_a_task_logs_its_task_and_job_and_is_counted(
    json_log: io.StringIO, db: None, settings: Any
) -> None:
    from config.celery import app

    @app.task(name="tests.deployment.note")
    def note(job_id: int) -> None:
        logging.getLogger("tests.deployment").info("任务执行")

    note.delay(job_id=42)  # eager in tests, as in `make run`
    (line,) = [x for x in _lines(json_log) if x["logger"] == "tests.deployment"]
    assert line["task"] == "tests.deployment.note"
    assert line["job_id"] == "42"
    assert line["task_id"]
    counted = observability._redis_client().hgetall(observability._key(observability.TASKS_KEY))
    assert counted[b"tests.deployment.note|succeeded"] == b"1"
    # jobs.run_job takes the job's id as its one positional argument.
    run_job = type("Task", (), {"name": "jobs.run_job"})()
    assert observability._job_id(run_job, (7,), {}) == "7"
    assert observability._job_id(note, (7,), {}) == ""


# --- /metrics ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_metrics_answer_the_monitoring_network_only(settings: Any) -> None:
    Client().get("/healthz")
    body = Client().get("/metrics").content.decode()
    assert "django_http_requests_total_by_view_transport_method_total" in body
    assert "django_http_responses_total_by_status_total" in body
    assert "django_http_requests_latency_seconds_by_view_method_bucket" in body
    assert "qa_celery_workers_live" in body
    assert Client(REMOTE_ADDR="198.51.100.7").get("/metrics").status_code == 404
    settings.METRICS_ALLOWED_NETWORKS = ["198.51.100.0/24"]
    assert Client(REMOTE_ADDR="198.51.100.7").get("/metrics").status_code == 200
    assert Client().get("/metrics").status_code == 404
    # Through the trusted proxy, the client is X-Forwarded-For's, not the proxy.
    settings.AUDIT_TRUSTED_PROXIES = ["127.0.0.1"]
    outside = Client().get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.1")
    assert outside.status_code == 404
    inside = Client().get("/metrics", HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert inside.status_code == 200


@pytest.mark.django_db
def test_metrics_show_the_queue_depth_and_the_tasks(settings: Any) -> None:
    import redis

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    queue = f"{observability._key('queue')}"  # this test worker's own name
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    try:
        client.rpush(queue, b"m1", b"m2", b"m3")
        observability._redis_client().hincrby(
            observability._key(observability.TASKS_KEY), "jobs.tasks.run_job|failed", 2
        )
        body = Client().get("/metrics").content.decode()
    finally:
        client.delete(queue)
        client.close()
    assert f'qa_celery_queue_length{{queue="{queue}"}} 3.0' in body
    assert 'qa_celery_tasks_total{state="failed",task="jobs.tasks.run_job"} 2.0' in body


# --- /readyz -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_readyz_names_each_check_and_passes_with_eager_tasks() -> None:
    response = Client().get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {
        "database",
        *(f"cache:{alias}" for alias in settings.CACHES),
        "broker",
        "worker",
        "migrations",
    }
    assert body["checks"]["broker"] == "eager"
    assert body["checks"]["worker"] == "eager"


@pytest.mark.django_db
def test_readyz_fails_when_redis_is_unreachable(settings: Any) -> None:
    settings.CACHES = settings.CACHES | {
        "throttle": settings.CACHES["throttle"] | {"LOCATION": CLOSED_PORT}
    }
    response = Client().get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["cache:throttle"].startswith("fail")
    assert checks["cache:default"] == "ok"
    assert "127.0.0.1" not in response.content.decode()  # no host in the public body


@pytest.mark.django_db
def test_readyz_wants_a_broker_and_a_live_worker(settings: Any) -> None:
    settings.CELERY_BROKER_URL = CLOSED_PORT
    settings.CELERY_TASK_ALWAYS_EAGER = False
    checks = Client().get("/readyz").json()["checks"]
    assert checks["broker"].startswith("fail")
    assert checks["worker"].startswith("fail")
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    observability.beat_heartbeat("worker@test-host")
    response = Client().get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"]["worker"] == "ok (1)"
    # A heartbeat older than three intervals is a dead worker.
    client = observability._redis_client()
    client.zadd(observability._key(observability.WORKERS_KEY), {"worker@test-host": 1.0})
    assert Client().get("/readyz").status_code == 503


@pytest.mark.django_db
def test_readyz_and_metrics_answer_over_plain_http_like_healthz(settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = True
    for url in ("/healthz", "/readyz", "/metrics"):
        assert Client().get(url).status_code == 200, url
    assert Client().get("/privacy/").status_code == 301


# --- The deploy checks -------------------------------------------------------------------------


def _deploy_ids() -> set[str]:
    return {m.id for m in run_checks(include_deployment_checks=True) if m.id}


@pytest.mark.django_db
def test_the_deploy_checks_ask_for_the_topology(settings: Any) -> None:
    settings.REDIS_URL = ""
    settings.CELERY_BROKER_URL = ""
    settings.LOG_FORMAT = "text"
    settings.METRICS_ALLOWED_NETWORKS = ["0.0.0.0/0"]
    ids = _deploy_ids()
    assert {"deploy.W005", "deploy.W006", "deploy.W007", "deploy.W008"} <= ids
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/1"
    settings.LOG_FORMAT = "json"
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.9.0/24", "::1/128"]
    assert not {"deploy.W005", "deploy.W006", "deploy.W007", "deploy.W008"} & _deploy_ids()
    settings.METRICS_ALLOWED_NETWORKS = ["::/0"]
    assert "deploy.W008" in _deploy_ids()
