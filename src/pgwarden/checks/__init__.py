"""checks stage of the pgwarden pipeline."""
