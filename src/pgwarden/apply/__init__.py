"""apply stage of the pgwarden pipeline."""
