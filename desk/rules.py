"""Who sees and acts on the background jobs (issue 17; desk/jobs_views.py). django-rules,
found by rules' autodiscovery. The jobs app sits below accounts and cannot name the roles, so
its permissions are declared here, above both."""

from __future__ import annotations

import rules

from accounts.rules import is_office, is_recommender, is_supervisor, is_sysadmin

# The Office sees whether its mail left (replies, notices, codes) and retries or cancels; the
# system administrator runs the workers and sees the same list. Neither sees a job's payload.
rules.add_perm("jobs.view_job", is_office | is_sysadmin)
rules.add_perm("jobs.manage_job", is_office | is_sysadmin)

# The application list's export made in the background (desk/exports.py "applications"): the
# roles whose list can reach its threshold (an applicant's own list never does). What it holds
# is what the list shows the requester (intake.selectors.applications_for); the role is
# checked again when made and downloaded.
rules.add_perm("desk.export_applications", is_office | is_supervisor | is_recommender)
