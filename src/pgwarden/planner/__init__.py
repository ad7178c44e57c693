"""planner stage of the pgwarden pipeline."""
