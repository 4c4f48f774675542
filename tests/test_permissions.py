"""Every URL of the URLconf has a row in the permission matrix, and each row holds.

A new page without a row fails `test_every_url_pattern_has_a_row`: nothing escapes review.
Rows give the expected status of a GET per persona; `default` covers the personas not named.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Organization, RecommendingUnit, RoleAssignment, User
from intake.models import Application
from programs.models import Announcement, Cycle
from programs.services import publish_call
from tests.conftest import client_for
from tests.intake.conftest import CST, complete_form

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

PERSONAS = [
    "anon",
    "outsider",
    "applicant",
    "individual",
    "recommender",
    "office",
    "expert",
    "supervisor",
    "committee",
    "sysadmin",
    "secadmin",
    "auditadmin",
    "province",
]
SIGNED_IN = {p: 200 for p in PERSONAS if p != "anon"}
OFFICE_PAGE = {"anon": 302, "office": 200, "default": 403}
OFFICE_POST = {"anon": 302, "office": 405, "default": 403}
# Application pages: the applicant's own, its town's reviewers, the Office and supervisors see a
# submitted application; everyone else is told it does not exist.
READERS = {"applicant": 200, "recommender": 200, "office": 200, "supervisor": 200}
APPLICATION_PAGE = {"anon": 302, **READERS, "default": 404}
# Changes are POST-only for everyone signed in; who may act is the service's question.
SIGNED_IN_POST = {"anon": 302, "default": 405}
RESULTS = {"anon": 302, "office": 200, "supervisor": 200, "committee": 200, "default": 403}
SUPERVISION = {"anon": 302, "office": 200, "supervisor": 200, "default": 403}

# url name -> expected GET status per persona
MATRIX: dict[str, dict[str, int]] = {
    "programs:home": {"default": 200},
    "programs:switch": {"default": 405},
    "programs:announcement": {"default": 200},
    "programs:cycle_list": OFFICE_PAGE,
    "programs:cycle_create": OFFICE_POST,
    "programs:cycle_detail": OFFICE_PAGE,
    "programs:cycle_set_dates": OFFICE_POST,
    "programs:cycle_publish": OFFICE_POST,
    "programs:calendar": OFFICE_PAGE,
    "programs:calendar_enter": OFFICE_POST,
    "programs:seal": OFFICE_PAGE,
    "programs:seal_upload": OFFICE_POST,
    "programs:seal_remove": OFFICE_POST,
    "programs:seal_specimen": OFFICE_PAGE,
    # 办法与参数 (issue 18 part 2): the Office reads the Measures and loads a revised pack.
    "programs:measures": OFFICE_PAGE,
    "programs:measures_policy": OFFICE_PAGE,
    "programs:measures_pack": OFFICE_PAGE,
    "programs:measures_preview": OFFICE_POST,
    "programs:measures_confirm": OFFICE_POST,
    "accounts:login": {"anon": 200, "default": 302},
    "accounts:logout": {"default": 405},
    "accounts:dashboard": {"anon": 302, "default": 200},
    # 年度归档 (desk/archive_views.py): the Office's; no archive with id 1 (404).
    "accounts:archives": OFFICE_PAGE,
    "accounts:archive_make": OFFICE_POST,
    "accounts:archive_download": {"anon": 302, "office": 404, "default": 403},
    # Exports made in the background (desk/export_views.py; issue 17): each signed-in user's
    # own; an export's page for those who may export it; job 1 is nobody's here (404 to all,
    # the Office included).
    "accounts:my_jobs": {"anon": 302, "default": 200},
    "accounts:export_new": {"anon": 302, "supervisor": 200, "auditadmin": 200, "default": 403},
    "accounts:my_job": {"anon": 302, "default": 404},
    "accounts:my_job_file": {"anon": 302, "default": 404},
    # 后台任务 (desk/jobs_views.py; issue 17): the Office and the system administrator.
    "jobs:list": {"anon": 302, "office": 200, "sysadmin": 200, "default": 403},
    # 各地奖项概况 (desk/province.py, issue 18): the provincial administrator's alone.
    "province:overview": {"anon": 302, "province": 200, "default": 403},
    "province:export": {"anon": 302, "province": 200, "default": 403},
    "jobs:retry": {"anon": 302, "office": 405, "sysadmin": 405, "default": 403},
    "jobs:cancel": {"anon": 302, "office": 405, "sysadmin": 405, "default": 403},
    "accounts:roles": {"anon": 302, "secadmin": 200, "default": 403},
    "accounts:role_grant": {"anon": 302, "secadmin": 405, "default": 403},
    "accounts:role_revoke": {"anon": 302, "secadmin": 405, "default": 403},
    "accounts:unlock": {"anon": 302, "secadmin": 405, "default": 403},
    "accounts:tokens": {"anon": 302, "secadmin": 200, "default": 403},
    "accounts:token_revoke": SIGNED_IN_POST,
    "accounts:units": OFFICE_PAGE,
    "accounts:organization": {"anon": 302, "applicant": 200, "default": 404},
    "accounts:add_contact": {"anon": 302, "default": 405},
    "accounts:unit_add": OFFICE_POST,
    "accounts:unit_change": OFFICE_POST,
    "accounts:register_organization": {"anon": 200, "default": 302},
    "accounts:register_individual": {"anon": 200, "default": 302},
    # No registration waiting in the session: the page says so (200); signed in: sent on.
    "accounts:register_verify": {"anon": 200, "default": 302},
    "accounts:inbox": {"anon": 302, "default": 200},
    "accounts:inbox_read": SIGNED_IN_POST,
    "accounts:password_change": {"anon": 302, "default": 200},
    # 忘记密码 is open to everyone; 账号安全 to the signed-in; the reset an administrator starts
    # is the system administrator's alone.
    "accounts:password_reset": {"default": 200},
    "accounts:password_reset_confirm": {"default": 200},
    "accounts:security": {"anon": 302, "default": 200},
    "accounts:security_send": SIGNED_IN_POST,
    "accounts:security_confirm": SIGNED_IN_POST,
    "accounts:admin_reset": {"anon": 302, "sysadmin": 200, "default": 403},
    # Two factors: staff are enrolled and verified (the enrol and verify pages send them on);
    # applicants and individuals may enrol; the confirm page asks only those who hold a device.
    "accounts:otp_settings": {"anon": 302, "default": 200},
    "accounts:otp_enrol": {
        "anon": 302,
        "outsider": 200,
        "applicant": 200,
        "individual": 200,
        "default": 302,
    },
    "accounts:otp_verify": {"default": 302},
    "accounts:otp_reauth": {
        "anon": 302,
        "outsider": 302,
        "applicant": 302,
        "individual": 302,
        "default": 200,
    },
    "accounts:otp_recovery": {"default": 302},
    "accounts:otp_recovery_new": SIGNED_IN_POST,
    "accounts:otp_reset": {"anon": 302, "secadmin": 405, "default": 403},
    "accounts:verify_in_person": {"anon": 302, "secadmin": 405, "default": 403},
    "audit:trail": {"anon": 302, "supervisor": 200, "auditadmin": 200, "default": 403},
    "audit:anchor": {"anon": 302, "auditadmin": 405, "default": 403},
    "intake:list": {"anon": 302, "default": 200},
    "intake:start": SIGNED_IN_POST,
    "intake:detail": APPLICATION_PAGE,
    "intake:form_docx": APPLICATION_PAGE,
    "intake:standing": OFFICE_PAGE,
    "intake:standing_add": OFFICE_POST,
    # Everyone signed in exports what they may see (nothing, for a role without applications).
    "intake:export": {"anon": 302, "default": 200},
    "intake:attachment_download": APPLICATION_PAGE,
    # The submitted form is frozen: its applicant is sent to the application's page; readers
    # who may not edit get 403.
    "intake:edit": {
        "anon": 302,
        "applicant": 302,
        "recommender": 403,
        "office": 403,
        "supervisor": 403,
        "default": 404,
    },
    "intake:save": SIGNED_IN_POST,
    "intake:submit": SIGNED_IN_POST,
    "intake:withdraw": SIGNED_IN_POST,
    "intake:attachment_add": SIGNED_IN_POST,
    "intake:attachment_remove": SIGNED_IN_POST,
    "intake:recommend": SIGNED_IN_POST,
    "intake:return": SIGNED_IN_POST,
    "intake:decide": SIGNED_IN_POST,
    "intake:lapse": SIGNED_IN_POST,
    "intake:correct": SIGNED_IN_POST,
    "experts:pool": OFFICE_PAGE,
    "experts:add": OFFICE_PAGE,
    "experts:edit": OFFICE_PAGE,
    "experts:sanction": OFFICE_POST,
    "experts:open_group": OFFICE_POST,
    "experts:import": OFFICE_PAGE,
    "experts:import_template": OFFICE_PAGE,
    "experts:groups": OFFICE_PAGE,
    "experts:propose": OFFICE_POST,
    "experts:code": OFFICE_POST,
    "experts:lock": OFFICE_POST,
    "experts:assign": OFFICE_POST,
    "experts:leader": OFFICE_POST,
    # The workspace exists for users with an Expert profile (none of the personas has one).
    "experts:mine": {"anon": 302, "default": 404},
    "experts:acknowledge": SIGNED_IN_POST,
    "experts:confirm": SIGNED_IN_POST,
    "experts:declare": SIGNED_IN_POST,
    "experts:read": {"anon": 302, "default": 404},
    "experts:attachment": {"anon": 302, "default": 404},
    "experts:recusal": {"anon": 302, "applicant": 200, "default": 404},
    "experts:export_groups": OFFICE_PAGE,
    # The review: experts, leaders and supervisors reach only what they are assigned (404).
    "review:card": {"anon": 302, "default": 404},
    "review:card_submit": SIGNED_IN_POST,
    "review:consensus": {"anon": 302, "default": 404},
    "review:reopen": SIGNED_IN_POST,
    "review:site": {"anon": 302, "default": 404},
    "review:site_record": SIGNED_IN_POST,
    "review:site_report": SIGNED_IN_POST,
    "review:feedback": {"anon": 302, "applicant": 200, "default": 404},
    "review:feedback_report": {"anon": 302, "default": 404},
    # The Office runs it, supervisors read it, the committee sees the results (ranking).
    "review:board": {
        "anon": 302,
        "office": 200,
        "supervisor": 200,
        "committee": 302,  # to the ranking
        "default": 403,
    },
    "review:phase": OFFICE_POST,
    "review:rubric": {"anon": 302, "office": 200, "supervisor": 200, "default": 403},
    "review:schedule": OFFICE_POST,
    "review:evaluate": OFFICE_POST,
    "review:ranking": RESULTS,
    "review:ranking_xlsx": RESULTS,
    "review:report": {
        "anon": 302,
        "office": 302,
        "supervisor": 302,
        "committee": 302,
        "default": 403,
    },
    "review:record": {"anon": 302, "office": 200, "supervisor": 200, "default": 403},
    # The decision stage: the Office acts, supervisors and the committee read.
    "decision:board": RESULTS,
    "decision:proposal": RESULTS,
    "decision:approval": OFFICE_POST,
    "decision:approval_attachment": {  # readers: 404 (no such file); others: 403
        "anon": 302,
        "office": 404,
        "supervisor": 404,
        "committee": 404,
        "default": 403,
    },
    "decision:notice": {"anon": 302, "office": 302, "default": 403},  # GET: back to the board
    "decision:close": OFFICE_POST,
    "decision:announce": OFFICE_POST,
    "decision:objection": {"anon": 302, "office": 404, "supervisor": 404, "default": 403},
    "decision:evidence": {"anon": 302, "office": 404, "supervisor": 404, "default": 403},
    "decision:ledger": RESULTS,
    "decision:ledger_xlsx": RESULTS,
    "decision:bonus": OFFICE_POST,
    "decision:certificate_pdf": {"anon": 302, "default": 404},
    # Supervision: the Office acts, supervisors read; the winner's own page; the public list.
    "supervision:cases": SUPERVISION,
    "supervision:case_new": OFFICE_PAGE,
    "supervision:case": {"anon": 302, "office": 404, "supervisor": 404, "default": 403},
    "supervision:case_report": OFFICE_POST,
    "supervision:case_decide": OFFICE_POST,
    "supervision:sanctions": SUPERVISION,
    "supervision:my_award": {"anon": 302, "default": 404},
    "supervision:credit_list": {"default": 200},
    "supervision:overview": SUPERVISION,
    "supervision:cycle": SUPERVISION,
    "supervision:expert": SUPERVISION,
    "supervision:notes": SUPERVISION,
    "supervision:audit_export": {"anon": 302, "supervisor": 200, "auditadmin": 200, "default": 403},
    # The public: no login (this world publishes no notice, so its pages are 404).
    "decision:notices": {"default": 200},
    "decision:public_notice": {"default": 404},
    "decision:object_to": {"default": 404},
    "decision:receipt": {"default": 404},
    "decision:winners": {"default": 200},
    "decision:verify": {"default": 200},
    "decision:verified": {"default": 404},
    # Each program's public site under its slug (programs/site.py): as the unprefixed pages.
    "site:home": {"default": 200},
    "site:announcement": {"default": 200},
    "site:notices": {"default": 200},
    "site:public_notice": {"default": 404},
    "site:object_to": {"default": 404},
    "site:receipt": {"default": 404},
    "site:winners": {"default": 200},
    "site:verify": {"default": 200},
    "site:verified": {"default": 404},
    "site:register_organization": {"anon": 200, "default": 302},
    "site:register_individual": {"anon": 200, "default": 302},
    "healthz": {"default": 200},
    # Readiness: public like healthz (the body names checks, never hosts).
    "readyz": {"default": 200},
    # The test client is 127.0.0.1, inside METRICS_ALLOWED_NETWORKS' default; any other
    # network gets 404 (tests/test_deployment.py).
    "metrics": {"default": 200},
    "privacy": {"default": 200},  # 个人信息保护声明: public
    # The manual: public, no confidential data (tests/manual serves a real figure).
    "manual:index": {"default": 200},
    "manual:chapter": {"default": 200},
    "manual:figure": {"default": 404},  # no figure of this name
}
# Whole namespaces checked through a representative URL (the rest share its gate).
NAMESPACES: dict[str, tuple[str, dict[str, int]]] = {
    # The admin redirects everyone but the system administrator to its own login.
    "admin": ("admin:index", {"sysadmin": 200, "default": 302}),
    # The API's own gates are tested endpoint by endpoint in tests/test_api.py.
    "api": ("api:openapi-json", {"default": 200}),
}


def _names(patterns: list[Any], prefix: str = "") -> set[str]:
    names: set[str] = set()
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
            names |= _names(p.url_patterns, ns)
        elif isinstance(p, URLPattern):
            names.add(f"{prefix}{p.name}" if p.name else f"{prefix}<unnamed {p.pattern}>")
    return names


def test_every_url_pattern_has_a_row() -> None:
    missing = sorted(
        n
        for n in _names(get_resolver().url_patterns)
        if n not in MATRIX and n.split(":")[0] not in NAMESPACES
    )
    assert missing == [], f"URL patterns without a permission-matrix row: {missing}"


def _url(name: str, cycle: Cycle, announcement: Announcement, application: Application) -> str:
    if name.startswith("site:"):  # a public page under the program's slug: its twin, prefixed
        short = name.removeprefix("site:")
        twin = f"programs:{short}" if short in {"home", "announcement"} else f"decision:{short}"
        twin = f"accounts:{short}" if short.startswith("register_") else twin
        return f"/{cycle.program.slug}{_url(twin, cycle, announcement, application)}"
    if name == "intake:attachment_download":
        attachment = application.attachments.get()
        return reverse(name, args=[attachment.public_id])
    if name == "intake:attachment_remove":
        return reverse(name, args=[application.public_id, application.attachments.get().public_id])
    if name == "intake:correct":
        return reverse(name, args=[application.public_id, 1])
    if name == "intake:standing_add":
        return reverse(name, args=["ban"])
    if name.startswith("intake:") and name not in {
        "intake:list",
        "intake:start",
        "intake:export",
        "intake:standing",
    }:
        return reverse(name, args=[application.public_id])
    if name in {"experts:edit", "experts:sanction"}:
        return reverse(name, args=[_an_expert().public_id])
    if name in {"experts:propose", "experts:code"}:
        return reverse(name, args=[cycle.pk])
    if name in {"experts:lock", "experts:assign", "experts:leader"}:
        return reverse(name, args=[1])
    if name in {
        "experts:confirm",
        "experts:declare",
        "experts:read",
        "experts:open_group",
        "experts:recusal",
    }:
        return reverse(name, args=[application.public_id])
    if name in {"review:card", "review:card_submit", "review:consensus"}:
        return reverse(name, args=[application.public_id, "material_review"])
    if name == "review:reopen":
        return reverse(name, args=["00000000-0000-4000-8000-000000000000"])
    if name in {
        "review:site",
        "review:site_record",
        "review:site_report",
        "review:feedback",
        "review:feedback_report",
        "review:record",
    }:
        return reverse(name, args=[application.public_id])
    if name in {
        "review:phase",
        "review:evaluate",
        "review:ranking",
        "review:ranking_xlsx",
        "review:report",
    }:
        return reverse(name, args=[cycle.pk])
    if name == "review:rubric":
        return reverse(name, args=[cycle.pk, "organization"])
    if name == "review:schedule":
        return reverse(name, args=[1])
    if name in {
        "decision:proposal",
        "decision:approval",
        "decision:notice",
        "decision:close",
        "decision:announce",
    }:
        return reverse(name, args=[cycle.pk])
    if name in {"decision:public_notice", "decision:object_to"}:
        return reverse(name, args=[cycle.year])
    if name in {"decision:objection", "decision:receipt"}:
        return reverse(name, args=["YY2026NOSUCH0000"])
    if name == "decision:evidence":
        return reverse(name, args=["YY2026NOSUCH0000", 1])
    if name in {"decision:bonus", "decision:approval_attachment"}:
        return reverse(name, args=[1])
    if name in {"decision:certificate_pdf", "decision:verified"}:
        return reverse(name, args=["RG2026-0000-0000-0000-0000"])
    if name in {"supervision:case", "supervision:case_report", "supervision:case_decide"}:
        return reverse(name, args=["00000000-0000-4000-8000-000000000000"])
    if name == "supervision:cycle":
        return reverse(name, args=[cycle.pk])
    if name == "supervision:expert":
        return reverse(name, args=[_an_expert().public_id])
    if name == "experts:attachment":
        return reverse(name, args=[application.public_id, application.attachments.get().public_id])
    if name == "accounts:unit_change":
        return reverse(name, args=[RecommendingUnit.objects.first().pk])  # type: ignore[union-attr]
    if name == "accounts:admin_reset":
        return reverse(name, args=[User.objects.get(username="p_office").pk])
    if name == "accounts:role_revoke":
        return reverse(name, args=[RoleAssignment.objects.first().pk])  # type: ignore[union-attr]
    if name == "accounts:archive_make":
        return reverse(name, args=[cycle.pk])
    if name == "accounts:archive_download":
        return reverse(name, args=[1])
    if name == "accounts:export_new":
        return reverse(name, args=["audit"])
    if name in {"accounts:my_job", "accounts:my_job_file"}:
        return reverse(name, args=[1])
    if name in {"jobs:retry", "jobs:cancel"}:
        return reverse(name, args=[1])
    if name in {"accounts:token_revoke", "accounts:otp_reset", "accounts:verify_in_person"}:
        return reverse(name, args=[1])
    if name == "manual:chapter":
        return reverse(name, args=["applicant"])
    if name == "manual:figure":
        return reverse(name, args=["99-no-such-figure"])
    if name in {"programs:measures_policy", "programs:measures_pack"}:
        return reverse(name, args=[cycle.policy_id])
    if name == "programs:announcement":
        return reverse(name, args=[announcement.public_id])
    if name.startswith("programs:cycle_") and name not in {
        "programs:cycle_list",
        "programs:cycle_create",
    }:
        return reverse(name, args=[cycle.pk])
    return reverse(name)


def _an_expert() -> Any:
    from experts.models import Expert
    from experts.selectors import expert_by_id_number

    number = "320682197501010017"
    return expert_by_id_number(number) or Expert.objects.create(
        id_number=number, name="赵强", category="industry", practice_years=12
    )


def _submitted(cycle: Cycle, applicant: User) -> Application:
    """The applicant persona's organization's application, submitted with one attachment."""
    from intake import services

    application = services.start_application(
        actor=applicant, cycle=cycle, organization=Organization.objects.get()
    )
    services.save_draft(actor=applicant, application=application, data=complete_form())
    services.add_attachment(
        actor=applicant, application=application, section="general", name="a.pdf", data=PDF
    )
    services.submit_application(actor=applicant, application=application)
    return application


@pytest.mark.req("A3.1", "A6.2", "A7.1")
def test_permission_matrix(
    personas: dict[str, User | None], cycle: Cycle, office: User, time_machine: Any
) -> None:
    time_machine.move_to(dt.datetime(2026, 3, 10, 10, tzinfo=CST))  # inside the 2026 window
    announcement = publish_call(actor=office, cycle=cycle)
    applicant = personas["applicant"]
    assert applicant is not None
    application = _submitted(cycle, applicant)
    rows = dict(MATRIX) | {ns: row for ns, (_, row) in NAMESPACES.items()}
    urls = {name: _url(name, cycle, announcement, application) for name in MATRIX}
    urls |= {ns: reverse(rep) for ns, (rep, _) in NAMESPACES.items()}
    failures = []
    for persona in PERSONAS:
        client = client_for(personas[persona])
        for name, url in urls.items():
            expected = rows[name].get(persona, rows[name].get("default"))
            status = client.get(url).status_code
            if status != expected:
                failures.append(f"{persona} GET {url} ({name}): {status}, expected {expected}")
    assert failures == []
