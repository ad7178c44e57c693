"""generators stage of the pgwarden pipeline."""
