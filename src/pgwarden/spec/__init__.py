"""spec stage of the pgwarden pipeline."""
