"""Pages after the award and for integrity (A13.4, A23.1, A23.2, A24.1, A29.1): the Office's
violation cases and fraud sanctions (supervisors read them), the winner's own page with its duty
to report, and the public credit list. Thin views over `supervision.services`, which check who
may act and when, write the audit event and refuse with a `ServiceError`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts import two_factor
from accounts.models import Role, RoleAssignment, User
from intake import standing
from intake.eligibility import reference_date
from intake.models import Application, AwardRecord, State
from lib.access import actor, perm_required, refused_on_form
from lib.articles import chinese_number
from lib.errors import ServiceError, StateConflict
from programs.models import Policy
from programs.selectors import tenant_cycles, today

from . import forms, selectors, services, workflow
from .models import Case, Sanction

MANAGE = "supervision.manage"
VIEW = "supervision.view"
PAGE_SIZE = 50


def _on_form(request: HttpRequest, form: Form, exc: ServiceError) -> bool:
    """A refusal of the input goes on the form; a refusal of the state (the case moved on, as
    another person or a double click made it) is a message above the page as it now is."""
    if exc.status == 403 or exc.fields:
        refused_on_form(form, exc)
        return True
    messages.error(request, exc.message)
    return False


def _holder(award: AwardRecord) -> str:
    """The award's holder as recorded when it was decided (a later rename shows as 现名称)."""
    renamed = f"（现名称：{award.renamed_to}）" if award.renamed_to else ""
    return award.holder_name + renamed


def _policy_today() -> Policy | None:
    """The Measures in force today, whose numbers the pages' headers quote (None: none held)."""
    try:
        return standing.policy_in_force(today())
    except StateConflict:
        return None


def _award_label(award: AwardRecord) -> str:
    return f"{_holder(award)} · {award.year}年度{award.get_level_display()}"


# --- the Office's cases (A23.1, A23.2) ----------------------------------------------------------


@perm_required(VIEW)
def cases(request: HttpRequest) -> HttpResponse:
    """Every violation case, newest first, filtered by state."""
    state = request.GET.get("state", "")
    rows = selectors.program_cases().select_related("award__organization", "award__individual")
    if state in Case.State.values:
        rows = rows.filter(state=state)
    else:
        state = ""
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    # The winner's duty to report on each row, as of today (A23.1; one query for the page).
    duties = selectors.report_duties(page.object_list)
    return render(
        request,
        "supervision/cases.html",
        {
            "page": page,
            "rows": [(c, duties[c.pk]) for c in page.object_list],
            "policy": (policy := _policy_today()),
            # A23.1 as the Measures write it: 获奖后三年内, 30日内.
            "duty_years": chinese_number(policy.report_duty_years) if policy else "",
            "state": state,
            "states": Case.State.choices,
            "can_manage": request.user.has_perm(MANAGE),
        },
    )


def _open_awards() -> list[tuple[int, str]]:
    awards = (
        AwardRecord.objects.filter(standing.program_awards_q(), revoked_on__isnull=True)
        .select_related("organization", "individual")
        .order_by("-announced_on", "-year", "-pk")
    )
    return [(a.pk, _award_label(a)) for a in awards]


@perm_required(MANAGE)
def case_new(request: HttpRequest) -> HttpResponse:
    """The Office opens a case from a spot check, a complaint or the news (A23.2)."""
    awards = _open_awards()
    form = forms.CaseForm(request.POST or None, awards=awards)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        award = get_object_or_404(
            AwardRecord.objects.filter(standing.program_awards_q()), pk=data["award"]
        )
        try:
            case = services.open_case(
                actor=actor(request),
                award=award,
                source=data["source"],
                what_happened=data["what_happened"],
                confirmed_on=data["confirmed_on"],
                evidence=data["evidence"],
            )
        except ServiceError as exc:
            refused_on_form(form, exc)
        else:
            messages.success(request, f"已登记{_holder(award)}的违规案件。")
            return redirect("supervision:case", case_id=case.public_id)
    return render(
        request,
        "supervision/case_new.html",
        {"form": form, "has_awards": bool(awards), "policy": _policy_today()},
    )


def _case(case_id: Any) -> Case:
    return get_object_or_404(
        selectors.program_cases().select_related(
            "award__organization", "award__individual", "award__certificate", "opened_by"
        ),
        public_id=case_id,
    )


def _case_page(
    request: HttpRequest,
    case: Case,
    *,
    findings: forms.FindingsForm | None = None,
    decide: forms.DecideForm | None = None,
    status: int = 200,
) -> HttpResponse:
    award = case.award
    certificate = getattr(award, "certificate", None)
    # What this person may do with the case now, and why not: asked of the workflow table.
    actions = workflow.allowed_actions(case, request.user)
    # The outcomes the decision service would refuse (revocation of a revoked title), and why.
    withheld = services.outcome_refusals(case)
    return render(
        request,
        "supervision/case.html",
        {
            "case": case,
            "award": award,
            "certificate": certificate,
            "actions": actions,
            "refusals": workflow.refusals(actions),
            "can_manage": request.user.has_perm(MANAGE),
            "findings_form": findings or forms.FindingsForm(),
            "decide_form": decide
            or forms.DecideForm(initial={"decided_on": today()}, withheld=withheld),
            "withheld": [(Case.Outcome(o).label, why) for o, why in withheld.items()],
            "duty": selectors.report_duty(case),
            "deadline_days": standing.policy_for(award).report_deadline_days,
        },
        status=status,
    )


@perm_required(VIEW)
def case(request: HttpRequest, case_id: Any) -> HttpResponse:
    """The case file: the award, the report or entry, the deadline, findings and decision."""
    return _case_page(request, _case(case_id))


@perm_required(MANAGE)
@require_POST
def case_report(request: HttpRequest, case_id: Any) -> HttpResponse:
    """The Office's findings, reported to the committee (A23.2)."""
    found = _case(case_id)
    form = forms.FindingsForm(request.POST)
    if form.is_valid():
        try:
            services.report_to_committee(
                actor=actor(request), case=found, findings=form.cleaned_data["findings"]
            )
        except ServiceError as exc:
            if not _on_form(request, form, exc):
                return redirect("supervision:case", case_id=found.public_id)
        else:
            messages.success(request, "核查情况已报委员会。")
            return redirect("supervision:case", case_id=found.public_id)
    return _case_page(request, found, findings=form, status=400)


@perm_required(MANAGE)
@require_POST
def case_decide(request: HttpRequest, case_id: Any) -> HttpResponse:
    """The committee's decision as the Office records it; revocation revokes the title (after
    a fresh second factor: accounts.two_factor)."""
    found = _case(case_id)
    if request.POST.get("outcome") == Case.Outcome.REVOCATION and (
        stale := two_factor.reauth_redirect(request)
    ):
        return stale
    form = forms.DecideForm(request.POST, withheld=services.outcome_refusals(found))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.decide_case(
                actor=actor(request),
                case=found,
                outcome=data["outcome"],
                decided_on=data["decided_on"],
                decision_ref=data["decision_ref"],
            )
        except ServiceError as exc:
            if not _on_form(request, form, exc):
                return redirect("supervision:case", case_id=found.public_id)
        else:
            done = Case.Outcome(data["outcome"]).label
            if data["outcome"] == Case.Outcome.REVOCATION:
                done += "：证书已撤销、已发奖金登记追回、撤销公告已发布"
            messages.success(request, f"已记录委员会决定（{done}）。")
            return redirect("supervision:case", case_id=found.public_id)
    return _case_page(request, found, decide=form, status=400)


# --- fraud sanctions (A29.1, A13.4) -------------------------------------------------------------


def _applications() -> list[tuple[int, str]]:
    rows = (
        Application.objects.filter(cycle__in=tenant_cycles())
        .exclude(state=State.DRAFT)
        .select_related("organization", "individual", "cycle")
        .order_by("-cycle__year", "pk")
    )
    return [
        (a.pk, f"{a.organization or a.individual} · {a.cycle.year}年度 · {a.get_state_display()}")
        for a in rows
    ]


@perm_required(VIEW)
def sanctions(request: HttpRequest) -> HttpResponse:
    """The sanctions for fraud recorded, and the Office's form to record the committee's."""
    can_manage = request.user.has_perm(MANAGE)
    form = None
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        form = forms.SanctionForm(request.POST, applications=_applications())
        if form.is_valid():
            data = form.cleaned_data
            application = get_object_or_404(
                Application.objects.filter(cycle__in=tenant_cycles()), pk=data["application"]
            )
            try:
                made = services.sanction_fraud(
                    actor=actor(request),
                    application=application,
                    kinds=data["kinds"],
                    reason=data["reason"],
                    decided_on=data["decided_on"],
                    decision_ref=data["decision_ref"],
                )
            except ServiceError as exc:
                refused_on_form(form, exc)
            else:
                kinds = "、".join(s.get_kind_display() for s in made)
                messages.success(request, f"已记录对{application}的处理：{kinds}。")
                return redirect("supervision:sanctions")
    elif can_manage:
        form = forms.SanctionForm(initial={"decided_on": today()}, applications=_applications())
    rows = Sanction.objects.filter(application__cycle__in=tenant_cycles()).select_related(
        "application__organization", "application__individual", "application__cycle", "ban"
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "supervision/sanctions.html",
        {"page": page, "form": form, "can_manage": can_manage, "policy": _policy_today()},
        status=400 if form is not None and form.errors else 200,
    )


# --- the winner's own page (A23.1, A24.1) -------------------------------------------------------


def _again_year(award: AwardRecord, policy: Policy) -> int:
    """A24.1: the first cycle year in which the winner may apply again (`standing.reapply_year`).
    A later cycle's application date is taken to fall on the same day of the year as the award's
    own cycle's; without one, 1 January."""
    month_day = (1, 1)
    if award.application is not None:
        try:
            start = reference_date(award.application.cycle)
            month_day = (start.month, start.day)
        except ValueError:
            pass
    return standing.reapply_year(award, policy, month_day)


def _again_note(award: AwardRecord) -> str:
    """What winning again would be worth (`standing.bonus_due`): after the 市长质量奖 nothing and
    no quota place (A24.1); after a 提名奖, a first 市长质量奖 pays its bonus (A21.1)."""
    if standing.is_rewinner("organization", [award.level]):
        return "再次获奖不占名额、不发奖金（《办法》第二十四条）"
    return "获市长质量奖的按首次获奖颁发奖金，再次获提名奖的不再颁发奖金（《办法》第二十一条）"


def _my_awards(request: HttpRequest) -> list[AwardRecord]:
    user: User = actor(request)
    organizations = RoleAssignment.objects.filter(
        user=user, role=Role.APPLICANT, organization__isnull=False
    ).values("organization")
    awards = (
        AwardRecord.objects.filter(Q(individual__user=user) | Q(organization__in=organizations))
        .select_related("organization", "individual", "certificate", "application__cycle__policy")
        .order_by("-year", "-pk")
    )
    return [a for a in awards if services.holds(user, a)]


@login_required
def my_award(request: HttpRequest) -> HttpResponse:
    """The winner's awards, its duty to report within 30 days of confirmation (A23.1), its
    reports so far, and when it may apply again (A24.1). Anybody else: 404."""
    awards = _my_awards(request)
    if not awards:
        raise Http404
    posted_for = None
    posted_form = None
    if request.method == "POST":
        try:
            posted_for = int(request.POST.get("award", ""))
        except ValueError:
            posted_for = None
        target = next((a for a in awards if a.pk == posted_for), None)
        if target is None:
            raise Http404
        posted_form = forms.ReportForm(request.POST)
        if posted_form.is_valid():
            data = posted_form.cleaned_data
            try:
                made = services.report_violation(
                    actor=actor(request),
                    award=target,
                    what_happened=data["what_happened"],
                    confirmed_on=data["confirmed_on"],
                    evidence=data["evidence"],
                )
            except ServiceError as exc:
                refused_on_form(posted_form, exc)
            else:
                if made.late:
                    messages.warning(
                        request,
                        f"报告已提交，但已超过报告期限（{made.report_due_on:%Y年%-m月%-d日}），"
                        "记为逾期报告（《办法》第二十三条）。",
                    )
                else:
                    messages.success(
                        request,
                        f"报告已按期提交（期限{made.report_due_on:%Y年%-m月%-d日}）。",
                    )
                return redirect("supervision:my_award")
    reports = Case.objects.filter(award__in=awards, source=Case.Source.WINNER).order_by(
        "-reported_on", "-opened_at"
    )
    by_award: dict[int, list[Case]] = {}
    for r in reports:
        by_award.setdefault(r.award_id, []).append(r)
    day = today()
    rows = []
    for award in awards:
        policy: Policy = standing.policy_for(award)
        ends = standing.duty_ends(award.announced_on, policy)
        rows.append(
            {
                "award": award,
                "certificate": getattr(award, "certificate", None),
                "duty_ends": ends,
                "on_duty": award.revoked_on is None and award.announced_on <= day <= ends,
                "deadline_days": policy.report_deadline_days,
                "reports": by_award.get(award.pk, []),
                "duty_years": policy.report_duty_years,
                "again": _again_year(award, policy),
                "again_note": _again_note(award),
                "form": posted_form
                if award.pk == posted_for and posted_form is not None
                else forms.ReportForm(),
            }
        )
    return render(
        request,
        "supervision/my_award.html",
        {"rows": rows},
        status=400 if posted_form is not None else 200,
    )


# --- the public credit list (A29.1) -------------------------------------------------------------


def credit_list(request: HttpRequest) -> HttpResponse:
    """The public list of credit-management entries: names and decisions, nothing personal."""
    rows = [
        {
            "name": str(s.application.organization or s.application.individual),
            "year": s.application.cycle.year,
            "reason": s.reason,
            "decided_on": s.decided_on,
            "decision_ref": s.decision_ref,
            "public_until": s.public_until,
        }
        for s in services.credit_list()
    ]
    return render(request, "supervision/credit_list.html", {"rows": rows})
