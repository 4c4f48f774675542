"""The Celery application (issue 17; docs/deployment.md "Background work").

Workers: `celery -A config worker`; the schedule: `celery -A config beat`. Settings are read from
Django's under the CELERY_ namespace (config/settings.py); without CELERY_BROKER_URL every task
runs eagerly in the process that queued it (`make run`, tests). Tasks live in each app's
tasks.py and are found by autodiscovery.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("quality_award")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _eager_without_a_broker(sender: Celery, **kwargs: object) -> None:
    """Eager tasks still pass through a producer to check their arguments serialize: without a
    broker that is kombu's in-memory transport, not a connection to an unnamed host (which
    logs "No hostname was supplied" on every task)."""
    if sender.conf.task_always_eager and not sender.conf.broker_url:
        sender.conf.broker_url = "memory://localhost/"
