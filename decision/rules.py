"""Who runs and reads the decision stage (django-rules predicates, STYLE.md 4). The public
notice, objections, the winners and certificate verification are open to anyone."""

from __future__ import annotations

import rules

from accounts.rules import is_committee, is_office, is_supervisor

# The Office drafts the list and records the committee's and the government's decisions, runs
# the notice and its objections, announces, issues certificates and keeps the bonus ledger.
rules.add_perm("decision.manage", is_office)
# Everything of it, read-only (A27.1, A19.1).
rules.add_perm("decision.view", is_office | is_supervisor | is_committee)
# Anyone objects to the notice under their real name (A20.2): the public pages ask the workflow
# table (`decision.workflow.PROPOSAL`, action `object`) whether the notice is running.
rules.add_perm("decision.object", rules.always_allow)
