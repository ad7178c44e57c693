"""The schema blueprint document (``pgwarden docs``): the spec, its lint findings and
the query analysis laid out for people; above both checks and generators."""
