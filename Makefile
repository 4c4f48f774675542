# Two commands: `make run` serves the system, `make test` checks it (README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in e-mails and the certificates' QR codes lead here (a deployment sets its public https address).
SITE_URL ?= http://$(HOST):$(PORT)
WORKERS ?= 2
UV_VERSION := 0.13.8

.PHONY: run test deploy-check audit-deps lint typecheck lint-imports traceability system-deps setup migrate clean

# The virtualenv, with uv pinned; uv then installs exactly the lock (uv.lock).
$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: uv.lock pyproject.toml | $(BIN)/uv
	$(BIN)/uv sync --locked --quiet
	touch $@

setup: $(VENV)/.synced

migrate: setup
	$(BIN)/python manage.py migrate --noinput -v0

run: migrate
	$(BIN)/python manage.py collectstatic --noinput -v0
	DEMO=1 SITE_URL=$(SITE_URL) $(BIN)/python manage.py seed_demo --if-empty  # prints the demo logins and TOTP secrets
	@echo "如皋市市长质量奖评审管理系统：http://$(HOST):$(PORT)/"
	exec env SITE_URL=$(SITE_URL) $(BIN)/gunicorn config.wsgi --bind $(HOST):$(PORT) --workers $(WORKERS) \
		--max-requests 1000 --max-requests-jitter 100 \
		--access-logfile - --forwarded-allow-ips 127.0.0.1

# Browser tests need Debian's chromium (with its translations: file inputs read 选择文件 as on
# users' machines), pages and documents need CJK fonts, and the document tests render every Word,
# Excel and PDF file to images as a clerk would print them (LibreOffice headless, pdftoppm); the
# deployment's nginx configuration is checked with `nginx -t` and the topology benchmark runs
# behind it.
system-deps:
	@missing=""; \
	for pkg in chromium chromium-l10n fonts-noto-cjk libreoffice-writer-nogui libreoffice-calc-nogui poppler-utils nginx-light; do \
		dpkg-query -W -f='$${Status}' $$pkg 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
		else \
			echo "Missing Debian packages:$$missing (run: sudo apt-get install$$missing)"; exit 1; \
		fi; \
	fi

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy .

# The import direction of docs/architecture.md ([tool.importlinter] in pyproject.toml).
lint-imports: setup
	$(BIN)/lint-imports --no-cache

test: setup system-deps lint typecheck lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run -v0
	$(BIN)/pytest -n auto --dist worksteal --durations=30  # pytest-xdist: one worker per core, each with its own test database; an idle worker takes tests queued for a busy one (the whole-year scenario alone is ~200 s); the 30 slowest tests listed
	$(MAKE) --no-print-directory deploy-check
	$(MAKE) --no-print-directory audit-deps

# `check --deploy` under the production environment of docs/deployment.md ("Production
# settings"): any warning fails. Throwaway keys and certificate-signing pair, a scratch var/ (nothing generated into ours);
# the clamd socket need not exist (the check reads the settings only).
deploy-check: setup
	@key() { $(BIN)/python -c "import secrets; print(secrets.token_$$1)"; }; \
	scratch=$$(mktemp -d); trap 'rm -rf "$$scratch"' EXIT; \
	$(BIN)/python scripts/throwaway_signing_cert.py "$$scratch/signing.pem"; \
	env VAR_DIR="$$scratch" DEBUG=0 DEMO=0 \
		CERTIFICATE_SIGNING_KEY="$$scratch/signing.pem" CERTIFICATE_SIGNING_CERT="$$scratch/signing.pem" \
		SECRET_KEY="$$(key 'urlsafe(50)')" AUDIT_ANCHOR_KEY="$$(key 'hex(32)')" \
		PII_KEYS="k1:$$(key 'hex(16)')" BLIND_INDEX_KEY="$$(key 'hex(32)')" \
		BACKUP_KEY="$$(key 'hex(16)')" \
		ALLOWED_HOSTS=award.example.gov.cn CSRF_TRUSTED_ORIGINS=https://award.example.gov.cn \
		SITE_URL=https://award.example.gov.cn SECURE_COOKIES=1 SECURE_SSL_REDIRECT=1 \
		SECURE_HSTS_SECONDS=31536000 SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https \
		AUDIT_TRUSTED_PROXIES=127.0.0.1 CLAMD_SOCKET=/run/clamav/clamd.ctl \
		REDIS_URL=redis://127.0.0.1:6379/0 CELERY_BROKER_URL=redis://127.0.0.1:6379/1 \
		LOG_FORMAT=json METRICS_ALLOWED_NETWORKS=10.0.9.0/24 \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

# pip-audit over the locked requirements (scripts/audit_deps.py): fails on a known
# vulnerability; says "依赖漏洞库不可达，未完成依赖审计" and passes where the vulnerability service
# cannot be reached (about 8 s here). AUDIT_SERVICE=osv asks OSV instead of PyPI.
audit-deps: setup
	@$(BIN)/python scripts/audit_deps.py

traceability: setup
	@$(BIN)/python scripts/traceability.py

clean:
	rm -rf $(VENV) var/static .pytest_cache .mypy_cache .ruff_cache
