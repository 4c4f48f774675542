"""Pages of 申报推荐 and 资格审查: thin views over `intake.services` and `intake.selectors`.

Applications are loaded only through `selectors.get_application_for_user` (404 for what the
user must not know exists); every change is a POST to one URL per action that calls one service
and redirects with a message. What a person may do on an application is the workflow table's
answer (`intake.workflow.allowed_actions`), never re-derived here.

- `lists`: the list, its Excel export, starting an application;
- `page`: the application's page (办件进度, the report, versions, the actions);
- `form`: the applicant's form, autosave, attachments, submit and withdraw;
- `decisions`: the unit's recommendation and the Office's decisions;
- `standing`: the Office's record of awards held and bans.
"""

from __future__ import annotations

from .decisions import correct, decide, lapse, recommend, return_application
from .form import (
    attachment_add,
    attachment_download,
    attachment_remove,
    edit,
    save,
    submit,
    withdraw,
)
from .lists import application_list, export_xlsx, form_docx, start
from .page import detail
from .standing import standing, standing_add

__all__ = [
    "application_list",
    "attachment_add",
    "attachment_download",
    "attachment_remove",
    "correct",
    "decide",
    "detail",
    "edit",
    "export_xlsx",
    "form_docx",
    "lapse",
    "recommend",
    "return_application",
    "save",
    "standing",
    "standing_add",
    "start",
    "submit",
    "withdraw",
]
