"""Each official result carried in its audit event (issue 14, part 5): the list's entries, the
approvals, the awards, certificates and bonus ledger, the role grants. After the services wrote
them the state matches the chain; a change made in SQL behind them is named, row and value."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.audited import ROLE_GRANT
from accounts.models import Role, User
from accounts.services import revoke_role
from audit.integrity import RULES, verify_state
from decision import services
from decision.audited import APPROVAL, BONUS, CERTIFICATE, ENTRY
from decision.models import BonusEntry, Certificate
from intake.audited import AWARD
from intake.models import AwardRecord
from review.audited import CONSENSUS, EVALUATION, SCORECARD
from supervision.services import revoke_award
from tests.audit.tamper import tamper
from tests.decision import conftest as decision
from tests.decision.conftest import ANNOUNCE_DAY, Decided

# The decided cycle of tests/decision (its evaluations are written directly, so the review's
# results are left out of these checks), with the fixtures it stands on.
in_window, open_cycle, decided = decision.in_window, decision.open_cycle, decision.decided
AWARDED = [ENTRY, APPROVAL, CERTIFICATE, BONUS, AWARD]

pytestmark = pytest.mark.req("A3.1", "A27.1")


SHILI_PACK = Path(settings.BASE_DIR) / "data" / "programs" / "shili-demo.yaml"


def _raw(sql: str, params: list[Any]) -> None:
    """Tamper with the tables behind the app's back, as an attacker with database access would."""
    tamper(sql, params)


def _problems(names: list[str]) -> list[str]:
    return [str(m) for m in verify_state(names).mismatches]


def test_every_official_result_has_its_rule() -> None:
    assert set(RULES) >= {
        SCORECARD,
        CONSENSUS,
        EVALUATION,
        ENTRY,
        APPROVAL,
        ROLE_GRANT,
        AWARD,
        CERTIFICATE,
        BONUS,
    }


@pytest.mark.django_db
def test_the_award_results_changed_in_sql_are_each_named(
    decided: Decided, time_machine: Any
) -> None:
    awards = decision.announced(decided, time_machine)
    first = awards[0]
    services.record_bonus(
        actor=decided.office,
        award=first,
        kind=BonusEntry.Kind.PAYMENT,
        amount=10_000,
        on=ANNOUNCE_DAY.date(),
        voucher="记账凭证2026-12-001",
    )
    report = verify_state(AWARDED)
    assert report.ok, [str(m) for m in report.mismatches]
    assert report.checked == 4 + 2 + 4 + 4 + len(BonusEntry.objects.all())
    certificate = Certificate.objects.get(award=first)
    payment = BonusEntry.objects.get(kind=BonusEntry.Kind.PAYMENT)
    o0 = decided.organizations[0]
    _raw("UPDATE decision_entry SET level = %s WHERE application_id = %s", ["nomination", o0.pk])
    _raw("UPDATE decision_approval SET reference = %s WHERE body = %s", ["伪造文号", "government"])
    _raw("UPDATE intake_awardrecord SET level = %s WHERE id = %s", ["nomination", first.pk])
    _raw("UPDATE decision_certificate SET number = %s WHERE id = %s", ["RG0000", certificate.pk])
    _raw("UPDATE decision_bonusentry SET amount = %s WHERE id = %s", [99_999, payment.pk])
    problems = _problems(AWARDED)
    assert len(problems) == 5, problems
    assert (
        f"拟奖名单条目 申报 #{o0.pk}（{o0.applicant_name}）："
        "level 现为 nomination，审计记录为 award" in problems
    )
    assert any(
        p.startswith("审定与批准 #")
        and "reference 现为 伪造文号，审计记录为 皋政复〔2026〕88号" in p
        for p in problems
    )
    assert any(
        p.startswith(f"获奖记录 #{first.pk}（") and "level 现为 nomination" in p for p in problems
    )
    assert f"荣誉证书 RG0000：number 现为 RG0000，审计记录为 {certificate.number}" in problems
    assert any(
        p.startswith(f"奖金台账条目 #{payment.pk}（") and "amount 现为 99999，审计记录为 10000" in p
        for p in problems
    )


@pytest.mark.django_db
def test_a_revocation_is_carried_and_an_undone_one_named(
    decided: Decided, time_machine: Any
) -> None:
    awards = decision.announced(decided, time_machine)
    award = awards[0]
    with transaction.atomic():
        revoke_award(
            actor=decided.office,
            award=award,
            on=ANNOUNCE_DAY.date(),
            reason="弄虚作假",
            article="A29.1",
        )
    assert verify_state(AWARDED).ok
    # Undoing the revocation behind the services, and an entry withdrawn in SQL.
    _raw("UPDATE intake_awardrecord SET revoked_on = NULL WHERE id = %s", [award.pk])
    _raw("UPDATE decision_certificate SET revoked_reason = '' WHERE award_id = %s", [award.pk])
    _raw(
        "UPDATE decision_entry SET withdrawn_at = %s WHERE application_id = %s",
        [timezone.now(), decided.individuals[0].pk],
    )
    problems = _problems(AWARDED)
    assert any("revoked_on 现为 （空），审计记录为 2026-12-10" in p for p in problems), problems
    assert any(
        p.startswith("荣誉证书 ") and "revoked 现为 False，审计记录为 True" in p for p in problems
    )
    assert any("withdrawn 现为 True，审计记录为 False" in p for p in problems)
    assert AwardRecord.objects.get(pk=award.pk).revoked_on is None


@pytest.mark.django_db
def test_a_role_granted_in_sql_or_kept_after_revocation_is_named(
    personas: dict[str, User],
) -> None:
    assert verify_state([ROLE_GRANT]).ok
    outsider, secadmin = personas["outsider"], personas["secadmin"]
    held_program = personas["office"].role_assignments.get().program_id
    _raw(
        "INSERT INTO accounts_roleassignment (user_id, role, program_id, granted_at)"
        " VALUES (%s, %s, %s, %s)",
        [outsider.pk, Role.OFFICE.value, held_program, timezone.now()],
    )
    supervisor = personas["supervisor"]
    held = supervisor.role_assignments.get()
    revoke_role(actor=secadmin, assignment=held, reason="调离")
    _raw(
        "INSERT INTO accounts_roleassignment (id, user_id, role, program_id, granted_at)"
        " VALUES (%s, %s, %s, %s, %s)",
        [
            held.pk,
            supervisor.pk,
            Role.SUPERVISOR.value,
            held.program_id,
            timezone.now() - dt.timedelta(days=1),
        ],
    )
    problems = _problems([ROLE_GRANT])
    assert len(problems) == 2, problems
    assert any(p.endswith("（outsider：委员会办公室）：没有审计记录") for p in problems), problems
    assert (
        f"角色授予 #{held.pk}（p_supervisor：评审监督员）：审计记录显示已撤销或退回，数据中仍然有效"
        in problems
    )


@pytest.mark.django_db
def test_a_role_moved_to_another_program_in_sql_is_named(personas: dict[str, User]) -> None:
    """Decision 0030: the program a role is held in is part of the grant the chain carries; a
    clerk moved in SQL into another award's Office is named."""
    from programs import packs
    from programs.models import AwardProgram
    from programs.services import load_program

    pack, sha256 = packs.read(SHILI_PACK)
    load_program(pack=pack, source="shili-demo.yaml", sha256=sha256)
    other = AwardProgram.objects.get(slug=pack.slug)
    assert verify_state([ROLE_GRANT]).ok
    held = personas["office"].role_assignments.get()
    _raw("UPDATE accounts_roleassignment SET program_id = %s WHERE id = %s", [other.pk, held.pk])
    problems = _problems([ROLE_GRANT])
    assert len(problems) == 1, problems
    assert f"#{held.pk}（p_office：委员会办公室）" in problems[0]
