"""The one error a service raises when a person's action is refused.

Views show `message`; the API renders `{"code", "message", "article", "fields"}` (DESIGN.md,
"API conventions"). When a rule of the Measures refused the action, `article` names the
requirement (e.g. "A12.1") and the message quotes it.
"""

from __future__ import annotations

from typing import Any

from lib.articles import article_of, cite_all


class ServiceError(Exception):
    """A refused action: bad input (400), wrong state or a lost race (409), forbidden (403)."""

    status = 400

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        article: str | None = None,
        fields: dict[str, list[str]] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.article = article
        self.fields = fields or {}
        if status is not None:
            self.status = status

    @property
    def display(self) -> str:
        """The message as a page shows it: with the article it cites, when not already named,
        as the Measures number it (第十二条第（五）项, not the requirement ID A12.5). A message
        that names the article itself (第八条第三项：…) is more precise than the ID: kept as is."""
        message = cite_all(self.message)
        if self.article and self.article not in self.message:
            article = cite_all(self.article)
            if article_of(article) not in message:
                return f"{message}（《办法》{article}）"
        return message

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "article": self.article,
            "fields": self.fields,
        }


class StateConflict(ServiceError):
    """The object is not in the state the action needs (or someone else was faster)."""

    status = 409

    def __init__(self, message: str, **kwargs: Any) -> None:
        kwargs.setdefault("code", "state_conflict")
        super().__init__(message, **kwargs)


class PermissionDenied(ServiceError):
    """A known object, an action this person may not take."""

    status = 403

    def __init__(self, message: str = "您没有执行此操作的权限。", **kwargs: Any) -> None:
        kwargs.setdefault("code", "forbidden")
        super().__init__(message, **kwargs)
