"""What an expert may see (A26.1): only applications assigned to them, never one they are
conflicted with, and nothing of a cycle before signing its code of conduct."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from intake.models import Application

from .models import Acknowledgement, Assignment, Conflict, NoConflictConfirmation


def assigned_applications(user: Any) -> QuerySet[Application]:
    expert = getattr(user, "expert", None)
    if expert is None:
        return Application.objects.none()
    return (
        Application.objects.filter(
            Exists(
                Assignment.objects.filter(
                    group__application=OuterRef("pk"), expert=expert, removed_at__isnull=True
                )
            ),
            Exists(Acknowledgement.objects.filter(cycle=OuterRef("cycle"), expert=expert)),
        )
        .exclude(Exists(Conflict.objects.filter(application=OuterRef("pk"), expert=expert)))
        .select_related("cycle", "organization", "individual")
    )


def openable_applications(user: Any) -> QuerySet[Application]:
    """Assigned and confirmed free of conflict: the expert may read the materials."""
    expert = getattr(user, "expert", None)
    if expert is None:
        return Application.objects.none()
    return assigned_applications(user).filter(
        Exists(NoConflictConfirmation.objects.filter(application=OuterRef("pk"), expert=expert))
    )


def todos(user: Any) -> list[tuple[str, int, str]]:
    """What waits for an expert: assignments whose no-conflict confirmation is still due."""
    if getattr(user, "expert", None) is None:
        return []
    due = assigned_applications(user).count() - openable_applications(user).count()
    return [("待确认无利害关系的评审任务", due, "/experts/mine/")]
