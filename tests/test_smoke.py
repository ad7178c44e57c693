from __future__ import annotations

import psycopg

from pgwarden.db import mask_dsn


def test_database_is_real(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("select current_database()").fetchone()
    assert row is not None and row[0].startswith("pgw_")


def test_mask_dsn_hides_password() -> None:
    assert mask_dsn("postgresql://bob:s3cret@host:5432/db") == "postgresql://bob:***@host:5432/db"
    assert "s3cret" not in mask_dsn("host=h password=s3cret dbname=x")
