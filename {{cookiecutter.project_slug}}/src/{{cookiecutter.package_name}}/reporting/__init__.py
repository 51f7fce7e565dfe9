"""What the project reports: the pull-request report (ci), costs, model cards."""
