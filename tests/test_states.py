"""Every state of every workflow object has one label (its TextChoices) and one tone
(lib/states.py), rendered by `{% state_badge %}` in colours readable at WCAG AA."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from types import ModuleType

import pytest
from django.apps import apps
from django.db import models
from django.template import Context, Template
from django.urls import reverse

from accounts.models import Organization, RecommendingUnit, User
from decision.models import Objection, Proposal
from experts.models import Expert
from intake.eligibility import Finding
from intake.models import (
    Application,
    EligibilityResult,
    QualificationDecision,
    Recommendation,
    State,
)
from jobs.models import Job
from lib import states
from programs.models import Cycle
from programs.templatetags.states import enum_of
from review.models import ReviewPhase, Scorecard
from supervision.models import Case
from tests.conftest import client_for

ROOT = Path(__file__).resolve().parents[1]
CSS = ROOT / "static" / "app" / "app.css"
TEMPLATES = ROOT / "templates"

# (model, field, enum): every workflow enum shown as a state, named explicitly.
WORKFLOW: list[tuple[type[models.Model], str, type[models.TextChoices]]] = [
    (Application, "state", State),
    (EligibilityResult, "outcome", EligibilityResult.Outcome),
    (Recommendation, "outcome", Recommendation.Outcome),
    (QualificationDecision, "outcome", QualificationDecision.Outcome),
    (Cycle, "status", Cycle.Status),
    (Expert, "status", Expert.Status),
    (Scorecard, "state", Scorecard.State),
    (ReviewPhase, "state", ReviewPhase.State),
    (Proposal, "state", Proposal.State),
    (Objection, "outcome", Objection.Outcome),
    (Case, "state", Case.State),
    (Case, "outcome", Case.Outcome),
    (Job, "state", Job.State),
]
CASES = [
    pytest.param(model, field, member, id=f"{model._meta.label}.{field}={member.value}")
    for model, field, enum in WORKFLOW
    for member in enum
]
BADGE = re.compile(r'<span class="badge state-(?P<tone>[a-z]+)">(?P<label>[^<]*)</span>')


def render(source: str, **context: object) -> str:
    return Template("{% load states %}" + source).render(Context(context))


# --- every value has a tone and renders its label ---------------------------------------------


@pytest.mark.parametrize(("model", "field", "member"), CASES)
def test_state_badge_renders_every_value_with_label_and_tone(
    model: type[models.Model], field: str, member: models.TextChoices
) -> None:
    obj = model(**{field: member.value})  # unsaved: the tag reads the value and the model only
    html = render("{% state_badge obj field %}", obj=obj, field=field)
    match = BADGE.fullmatch(html)
    assert match, html
    assert match["label"] == member.label
    assert match["tone"] in states.TONES
    assert match["tone"] == states.STATE_TONES[states.enum_name(type(member))][member.value]


def _our_models_modules() -> list[ModuleType]:
    """The models modules of this project's apps (not Django's or a package's)."""
    return [
        config.models_module
        for config in apps.get_app_configs()
        if config.models_module is not None
        and Path(config.path).is_relative_to(ROOT)
        and ".venv" not in Path(config.path).parts
    ]


def _workflow_enums() -> list[type[models.TextChoices]]:
    """Every TextChoices named State, Status or Outcome in our apps' models modules, at module
    level (intake.State) or inside a model (Case.Outcome)."""
    found: list[type[models.TextChoices]] = []
    for module in _our_models_modules():
        holders = [module, *(m for m in vars(module).values() if inspect.isclass(m))]
        for holder in holders:
            for name in ("State", "Status", "Outcome"):
                enum = vars(holder).get(name)
                if not (inspect.isclass(enum) and issubclass(enum, models.TextChoices)):
                    continue
                # Defined here, not imported from an earlier app's models.
                if enum.__module__ == module.__name__ and enum not in found:
                    found.append(enum)
    return found


def _fields_holding(enum: type[models.TextChoices]) -> list[tuple[type[models.Model], str]]:
    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.Field)
        and field.choices
        and list(field.choices) == list(enum.choices)
    ]


def test_state_tones_cover_every_state_status_and_outcome_enum_of_the_models() -> None:
    """A new State/Status/Outcome enum, or a new value of one, fails here until it has a tone;
    and every field declared with one (StateChange.to_state too) finds its enum's tones."""
    enums = _workflow_enums()
    assert {e for _, _, e in WORKFLOW} <= set(enums), "the discovery missed a named enum"
    for enum in enums:
        name = states.enum_name(enum)
        missing = set(enum.values) - set(states.STATE_TONES.get(name, {}))
        assert not missing, f"{name}: no tone in lib/states.py for {sorted(missing)}"
        fields = _fields_holding(enum)
        assert fields, f"{name}: no model field holds it"
        for model, field in fields:
            assert enum_of(model, field) == name, f"{model._meta.label}.{field}"
    assert {states.enum_name(e) for _, _, e in WORKFLOW} == set(states.STATE_TONES), (
        "WORKFLOW above and lib/states.py name different enums"
    )


def test_state_tones_name_only_real_enums_values_and_tones() -> None:
    enums = {states.enum_name(e): e for e in _workflow_enums()}
    for name, tones in states.STATE_TONES.items():
        assert name in enums, f"{name}: no such State/Status/Outcome enum"
        stale = set(tones) - set(enums[name].values)
        assert not stale, f"{name}: stale values {sorted(stale)}"
        assert set(tones.values()) <= set(states.TONES)


def test_state_badge_unknown_value_falls_back_to_a_readable_tone() -> None:
    html = render("{% state_badge obj %}", obj=Application(state="no_such_state"))
    assert html == f'<span class="badge state-{states.FALLBACK}">no_such_state</span>'


def test_state_badge_empty_value_renders_nothing() -> None:
    assert render('{% state_badge obj "outcome" %}', obj=Case(outcome="")) == ""


def test_state_badge_extra_classes_and_a_finding_that_is_not_a_model() -> None:
    html = render('{% state_badge obj extra="fs-6" %}', obj=Application(state=State.IN_NOTICE))
    assert html == '<span class="badge state-special fs-6">公示中</span>'
    finding = Finding(rule="x", article="A12.1", outcome="confirm", message="")
    html = render('{% state_badge f "outcome" model="intake.EligibilityResult" %}', f=finding)
    assert html == '<span class="badge state-attention">需办公室核实</span>'


def test_templates_have_no_hand_made_state_badges() -> None:
    """A state shown as a badge goes through {% state_badge %}: no per-state classes, no
    `<span class="badge ...">{{ x.get_state_display }}</span>`."""
    hand_made = re.compile(r'class="badge[^"]*">\{\{ [\w.]+\.get_(state|status|outcome)_display')
    offenders = [
        f"{path.relative_to(ROOT)}: {line.strip()[:80]}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if "qa-state-" in line or hand_made.search(line)
    ]
    assert offenders == []


# --- the colours are readable ------------------------------------------------------------------


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2.x relative luminance of #rrggbb."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    light, dark = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def tone_rules() -> dict[str, dict[str, str]]:
    """`.state-<tone> { color: #...; background-color: #...; }` of app.css, by tone."""
    rules: dict[str, dict[str, str]] = {}
    for tone, body in re.findall(r"\.state-([a-z]+)\s*\{([^}]*)\}", CSS.read_text()):
        assert tone not in rules, f".state-{tone} is defined twice"
        rules[tone] = dict(re.findall(r"(?:^|;)\s*(color|background-color)\s*:\s*([^;]+)", body))
    return rules


def test_contrast_ratio_matches_the_wcag_reference_values() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("tone", states.TONES)
def test_css_tone_has_one_rule_with_contrast_of_at_least_4_5(tone: str) -> None:
    rule = tone_rules()[tone]
    colour, background = rule["color"].strip(), rule["background-color"].strip()
    assert re.fullmatch(r"#[0-9a-f]{6}", colour), colour
    assert re.fullmatch(r"#[0-9a-f]{6}", background), background
    assert contrast_ratio(colour, background) >= 4.5


def test_css_defines_no_tone_that_lib_states_does_not_know() -> None:
    assert set(tone_rules()) == set(states.TONES)


# --- a list page -------------------------------------------------------------------------------


def test_office_list_shows_late_states_with_a_tone(cycle: Cycle, office: User) -> None:
    unit = RecommendingUnit.objects.get(name="如城街道")
    shown = [s for s in State if s != State.DRAFT]  # the Office never sees drafts
    for n, state in enumerate(shown):
        org = Organization.objects.create(
            uscc=f"91320682MA1STA{n:03d}X", name=f"如皋状态示例{n}号公司", recommending_unit=unit
        )
        Application.objects.create(
            cycle=cycle,
            kind="organization",
            organization=org,
            recommending_unit=unit,
            state=state,
            created_by=office,
        )
    html = client_for(office).get(reverse("intake:list")).content.decode()
    badges = {m["label"]: m["tone"] for m in BADGE.finditer(html)}
    assert badges[State.IN_NOTICE.label] == "special"
    assert badges[State.AWARDED.label] == "success"
    assert badges[State.REVOKED.label] == "danger"
    assert set(badges) == {s.label for s in shown}
    assert 'class="badge"' not in html
