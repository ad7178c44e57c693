"""importers stage of the pgwarden pipeline."""
