"""render stage of the pgwarden pipeline."""
