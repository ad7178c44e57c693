"""Derived names stay within Postgres's 63-byte identifiers, exactly at the boundary: a
name that fits is kept letter for letter, one byte more is shortened with a hash (never
truncated by the server), multi-byte characters are never split."""

from __future__ import annotations

import hashlib

import psycopg
from hypothesis import given
from hypothesis import strategies as st
from psycopg import sql

from pgwarden.spec import names

LIMIT = names.MAX_IDENTIFIER_BYTES


def test_the_limit_is_postgres_namedatalen_minus_one() -> None:
    assert LIMIT == 63


def test_a_name_of_63_bytes_is_kept_and_64_bytes_is_hashed() -> None:
    for suffix in ("", "_pkey", "_a_b_idx"):
        fits = "t" * (LIMIT - len(suffix))
        assert names.fit(fits, suffix) == fits + suffix
        assert len((fits + suffix).encode()) == LIMIT
        over = fits + "x"
        got = names.fit(over, suffix)
        assert len(got.encode()) == LIMIT  # ASCII: the hashed form uses every byte
        digest = hashlib.sha256((over + suffix).encode()).hexdigest()[:8]
        assert got == f"{over[: LIMIT - len(suffix) - 9]}_{digest}{suffix}"


def test_multibyte_names_are_measured_in_bytes() -> None:
    # 31 two-byte characters and one byte: 63 bytes (kept); one more byte: hashed
    fits = "é" * 31 + "a"
    assert len(fits.encode()) == LIMIT
    assert names.fit(fits) == fits
    got = names.fit(fits + "b")
    assert len(got.encode()) <= LIMIT
    assert got.encode().decode() == got  # no half character
    assert names.too_long(fits + "b") and not names.too_long(fits)


@given(
    st.text(
        st.characters(min_codepoint=33, max_codepoint=0x10FFFF, exclude_categories=["Cs"]),
        min_size=1,
        max_size=70,
    ),
    st.sampled_from(["", "_pkey", "_key", "_idx", "_fkey", "_check", "_not_null_pgwarden"]),
)
def test_fit_never_exceeds_63_bytes_and_keeps_what_fits(name: str, suffix: str) -> None:
    got = names.fit(name, suffix)
    assert len(got.encode()) <= LIMIT
    assert got.endswith(suffix)
    if len((name + suffix).encode()) <= LIMIT:
        assert got == name + suffix
    else:
        assert got != name + suffix
        assert names.fit(name, suffix) == got  # deterministic


def test_the_server_keeps_hashed_names_as_they_are(database_url: str) -> None:
    long_table = "a" * 60
    index = names.index(long_table, ["column_with_a_long_name"])
    assert len(index.encode()) == LIMIT
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE TABLE {} (column_with_a_long_name int)").format(
                sql.Identifier(long_table)
            )
        )
        conn.execute(
            sql.SQL("CREATE INDEX {} ON {} (column_with_a_long_name)").format(
                sql.Identifier(index), sql.Identifier(long_table)
            )
        )
        row = conn.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s", (long_table,)
        ).fetchone()
    assert row is not None and row[0] == index  # not truncated: the same name comes back
