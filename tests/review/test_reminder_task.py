"""The scoring reminders as the Celery beat runs them (issue 17: `review.remind_experts`,
daily, replacing cron): the same reminders as `manage.py remind_experts`, once per card."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail

from accounts.models import Notification
from review import services
from review.tasks import remind_experts
from tests.intake.conftest import CST
from tests.review.conftest import World


@pytest.mark.req("A17.1")
def test_the_beat_task_reminds_the_experts_once(world: World, time_machine: Any) -> None:
    services.open_phase(actor=world.office, cycle=world.cycle, stage="material_review")
    Notification.objects.all().delete()
    mail.outbox.clear()
    time_machine.move_to(dt.datetime(2026, 7, 8, 8, tzinfo=CST), tick=False)
    assert remind_experts.apply().get() == 3
    assert remind_experts.apply().get() == 0
    assert {n.user for n in Notification.objects.all()} == set(world.users)
