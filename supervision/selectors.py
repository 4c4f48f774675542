"""Reads of the supervision app for other pages: the Office's workbench."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from .models import Case


def todos(user: Any) -> list[tuple[str, int, str]]:
    """What waits for the Office after the award (for the workbench): cases not yet
    investigated, a winner's written report among them (A23.1, A23.2)."""
    if not getattr(user, "is_authenticated", False) or not user.has_perm("supervision.manage"):
        return []
    waiting = Case.objects.filter(state=Case.State.OPEN).count()
    return [("待核查的违规案件", waiting, reverse("supervision:cases") + "?state=open")]
