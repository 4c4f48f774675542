"""An individual's years of quality work (个人奖申报条件): the registration page, which serves
every program, quotes no number; the application checks and quotes its own Measures' number
(`Policy.min_individual_work_years`, Rugao's 5) (issue 18)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Individual
from intake import services
from programs.models import Cycle, Policy
from tests.conftest import client_for
from tests.intake.conftest import complete_form


def test_the_registration_page_quotes_no_programs_number(program: object) -> None:
    html = Client().get(reverse("accounts:register_individual")).content.decode()
    assert "须达到所申报奖项《办法》规定的年限，申报时逐条核对" in html
    assert "须满5年" not in html


@pytest.mark.req("A14.1", "I18.1")
@pytest.mark.parametrize(("needed", "passes"), [(5, True), (13, False)])
def test_the_application_quotes_and_checks_the_policys_work_years(
    open_cycle: Cycle, person: Individual, policy: Policy, needed: int, passes: bool
) -> None:
    Policy.objects.filter(pk=policy.pk).update(min_individual_work_years=needed)
    application = services.start_application(actor=person.user, cycle=open_cycle, individual=person)
    services.save_draft(
        actor=person.user, application=application, data=complete_form("individual")
    )
    url = reverse("intake:edit", args=[application.public_id])
    html = client_for(person.user).get(url).content.decode()
    assert f"在本市从事质量工作{needed}年以上" in html  # person.quality_work_years is 12
    assert (f"不满{needed}年" in html) is not passes
