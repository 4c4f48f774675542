"""Background jobs (issue 17): each piece of work done outside the request, with its state."""
