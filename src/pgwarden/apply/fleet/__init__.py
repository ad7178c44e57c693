"""Fleet: one migration directory and one spec governing many databases or tenant schemas."""
