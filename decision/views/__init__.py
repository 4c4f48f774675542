"""The Office's pages of 审定, 公示 and 批准 (the public's are `decision/public.py`).

Thin views (STYLE.md): they parse, call `decision.services` and render; every read comes from
`decision.selectors`. The Office acts (`decision.manage`); supervisors and committee members
read (`decision.view`), and their POSTs are 403. An objector's identity and evidence are for the
Office and the supervisors only.

- `board`: the year's board (the list's steps from the draft to the announcement), the draft
  from the ranking, approvals and their documents, the notice, the announcement;
- `objections`: one objection, its evidence, the Office's conclusion and reply;
- `awards`: the certificates' PDF and the bonus ledger (page, entries, Excel).
"""

from __future__ import annotations

from .awards import bonus, certificate_pdf, ledger, ledger_xlsx
from .board import announce, approval, approval_attachment, board, close, notice, proposal
from .objections import evidence, objection

__all__ = [
    "announce",
    "approval",
    "approval_attachment",
    "board",
    "bonus",
    "certificate_pdf",
    "close",
    "evidence",
    "ledger",
    "ledger_xlsx",
    "notice",
    "objection",
    "proposal",
]
