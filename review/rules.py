"""Who may run, oversee and read the review (django-rules predicates, STYLE.md 4). Experts and
group leaders act on their own assignments, checked in `review.services` and
`review.selectors` against `experts.selectors` (assigned, signed, confirmed, not conflicted)."""

from __future__ import annotations

import rules

from accounts.rules import is_committee, is_office, is_supervisor

# The Office runs the review: rubrics, phases, site-visit schedules, the evaluation (A6.2).
rules.add_perm("review.manage", is_office)
# Every score, consensus, site record and feedback, read-only (A27.1, A28.1).
rules.add_perm("review.oversee", is_office | is_supervisor)
# The ranking, the report and the rater analytics (A18.1, A19.1): the committee decides on them.
rules.add_perm("review.view_results", is_office | is_supervisor | is_committee)
