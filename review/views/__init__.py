"""Pages of the review for experts, group leaders, supervisors and applicants: the scorecard
(A17.1), the leader's consensus, the site visit (A17.1, A27.1) and the two-way feedback (A28.1).
Thin views over `review.services`; what each person may see is `review.selectors` (a 404 for
anything else); what a person may do now is the workflow tables' answer (`review.workflow`).
The Office's pages are `review/office/`.

- `cards`: the expert's scorecard; `consensus`: the leader's consensus and returns;
- `site`: the site visit's record and the supervisor's report; `feedback`: A28.1 both ways and
  the applicant's feedback report.
"""

from __future__ import annotations

from .cards import card, card_submit
from .consensus import consensus, reopen
from .feedback import feedback, feedback_report
from .site import site, site_record, site_report

__all__ = [
    "card",
    "card_submit",
    "consensus",
    "feedback",
    "feedback_report",
    "reopen",
    "site",
    "site_record",
    "site_report",
]
