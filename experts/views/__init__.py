"""Pages of the expert pool, review groups and the expert's workspace: thin views over
`experts.services` (one POST URL per action, redirect with a message) and `experts.selectors`
(every read, and what an expert may see: anything else is a 404).

- `pool`: the Office's pool (list, add, edit, sanctions, import);
- `groups`: the Office's groups board (propose or draw, lock, assign, leader, code of
  conduct, conflicts as detected, the draws, the Excel export);
- `workspace`: the expert's own page (sign, confirm or declare, read the materials);
- `applicant`: the applicant's recusal requests.
"""

from __future__ import annotations

from .applicant import recusal
from .groups import (
    assign,
    code,
    export_groups,
    groups,
    leader,
    lock,
    open_group,
    propose,
)
from .pool import add, edit, import_experts, import_template, pool, sanction
from .workspace import acknowledge, attachment, confirm, declare, mine, read

__all__ = [
    "acknowledge",
    "add",
    "assign",
    "attachment",
    "code",
    "confirm",
    "declare",
    "edit",
    "export_groups",
    "groups",
    "import_experts",
    "import_template",
    "leader",
    "lock",
    "mine",
    "open_group",
    "pool",
    "propose",
    "read",
    "recusal",
    "sanction",
]
