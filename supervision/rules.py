"""Who acts on and reads cases and sanctions (django-rules predicates, STYLE.md 4)."""

from __future__ import annotations

import rules

from accounts.rules import is_office, is_supervisor

# The Office opens and investigates cases and records the committee's decisions (A23.2, A29.1).
rules.add_perm("supervision.manage", is_office)
# Discipline supervisors read everything of it (A27.1).
rules.add_perm("supervision.view", is_office | is_supervisor)
