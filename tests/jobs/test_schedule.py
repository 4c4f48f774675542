"""The beat's schedule (issue 17; config/settings.py CELERY_BEAT_SCHEDULE, replacing cron):
every entry names a registered task, and the audit and retention tasks do their work."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.db import transaction

from audit import anchors
from audit.services import record
from audit.tasks import anchor_if_due
from config.celery import app
from desk.tasks import purge_personal_data


def test_every_scheduled_task_is_registered() -> None:
    app.loader.import_default_modules()
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert names == {
        "jobs.requeue_due",
        "review.remind_experts",
        "supervision.remind_winners",
        "audit.anchor_if_due",
        "desk.purge_personal_data",
        "jobs.prune",
    }
    assert names <= set(app.tasks)


@pytest.mark.django_db
def test_the_daily_checkpoint_is_written_by_the_beat_when_due(settings: Any) -> None:
    assert anchor_if_due.apply().get() == ""  # AUDIT_ANCHOR_AUTO off (tests): nothing
    settings.AUDIT_ANCHOR_AUTO = True
    anchors._known.clear()
    with transaction.atomic():
        record(actor=None, role="system", action="audit.anchor.write", after={"test": 1})
    assert anchor_if_due.apply().get() != ""
    assert len(anchors.read().checkpoints) == 1
    assert anchor_if_due.apply().get() == ""  # one a day
    assert len(anchors.read().checkpoints) == 1


@pytest.mark.django_db
def test_the_retention_task_purges_nothing_before_its_time(program: Any) -> None:
    assert purge_personal_data.apply().get() == 0
