"""`{% state_badge application %}`: a state as a coloured badge, the label from the model's
`TextChoices` and the tone from `lib.states`.

`{% state_badge case "outcome" %}` names another field; `extra` adds classes ("fs-6"). An
object that is not a model (an eligibility finding before it is saved) names the model whose
field holds the enum: `{% state_badge finding "outcome" model="intake.EligibilityResult" %}`.
An empty value renders nothing.
"""

from __future__ import annotations

import functools
import inspect
import sys
from typing import Any

from django import template
from django.apps import apps
from django.db import models
from django.utils.html import format_html
from django.utils.safestring import SafeString

from lib import states

register = template.Library()


@functools.cache
def enum_of(model: type[models.Model], field_name: str) -> str:
    """The name (lib.states.enum_name) of the TextChoices a field was declared with, found by
    its choices among the classes of the model's module and the classes nested in them: Django
    keeps only the (value, label) pairs, not the enum. "" when none matches."""
    field = model._meta.get_field(field_name)
    assert isinstance(field, models.Field)  # a concrete column, not a relation
    choices = list(field.choices or [])
    module_classes = [c for c in vars(sys.modules[model.__module__]).values() if inspect.isclass(c)]
    for holder in module_classes:
        for enum in (holder, *vars(holder).values()):
            is_enum = inspect.isclass(enum) and issubclass(enum, models.TextChoices)
            if is_enum and list(enum.choices) == choices:
                return states.enum_name(enum)
    return ""


@register.simple_tag
def state_badge(obj: Any, field: str = "state", model: str = "", extra: str = "") -> SafeString:
    value = getattr(obj, field)
    if not value:
        return SafeString("")
    model_class: type[models.Model] = (
        type(obj) if isinstance(obj, models.Model) else apps.get_model(model)
    )
    enum_field = model_class._meta.get_field(field)
    assert isinstance(enum_field, models.Field)
    label = dict(enum_field.flatchoices).get(value, value)
    tone = states.tone(enum_of(model_class, field), str(value))
    classes = f"badge state-{tone} {extra}".strip()
    return format_html('<span class="{}">{}</span>', classes, label)
