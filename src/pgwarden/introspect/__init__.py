"""introspect stage of the pgwarden pipeline."""
