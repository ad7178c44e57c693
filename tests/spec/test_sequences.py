"""Sequences and identity numbers in the spec: loading (Postgres's own defaults
load as defaults), dumping back, rendering, and the bad specs."""

from __future__ import annotations

import pytest

from pgwarden.errors import SpecError
from pgwarden.render.sql import render_schema
from pgwarden.spec.dump import dump_schema
from pgwarden.spec.load import load_schema_text
from pgwarden.spec.model import SequenceOptions

SPEC = """
[tables.Invoice.columns]
id = { type = "bigint", primary_key = true, identity = { kind = "always", start = 1000, \
increment = 10, cache = 5 } }
number = { type = "integer", default_sql = "nextval('invoice_number')" }
legacy = { type = "smallint", identity = { kind = "by default", min_value = -5, \
max_value = 500, cycle = true } }

[sequences.invoice_number]
type = "integer"
start = 100
increment = 2
max_value = 1000000
cache = 20
cycle = true
owned_by = "Invoice.number"
comment = "invoice numbers"

[sequences.countdown]
increment = -1
min_value = -9223372036854775808
max_value = -1
"""


def test_load_and_dump() -> None:
    s = load_schema_text(SPEC)
    seqs = {q.name: q for q in s.sequences}
    n = seqs["invoice_number"]
    assert n.type == "integer"
    assert n.options == SequenceOptions(100, 2, None, 1000000, 20, True)
    assert n.owned_by == "Invoice.number"
    # Postgres's own choices are defaults
    assert seqs["countdown"].options == SequenceOptions(increment=-1)
    invoice = s.tables[0]
    assert invoice.column("id").identity_options == SequenceOptions(1000, 10, None, None, 5)  # type: ignore[union-attr]
    assert load_schema_text(dump_schema(s)) == s


def test_render() -> None:
    ddl = render_schema(load_schema_text(SPEC))
    assert (
        'CREATE SEQUENCE "invoice_number" AS integer INCREMENT BY 2 MAXVALUE 1000000 '
        "START WITH 100 CACHE 20 CYCLE"
    ) in ddl
    assert (
        '"id" bigint GENERATED ALWAYS AS IDENTITY (INCREMENT BY 10 START WITH 1000 CACHE 5)'
    ) in ddl
    assert 'ALTER SEQUENCE "invoice_number" OWNED BY "Invoice"."number"' in ddl
    assert ddl.index("CREATE SEQUENCE") < ddl.index("CREATE TABLE") < ddl.index("OWNED BY")


def _error(text: str) -> str:
    with pytest.raises(SpecError) as info:
        load_schema_text(text)
    return str(info.value)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('owned_by = "Invoice.number"', 'owned_by = "Invoice.numbr"', "has no column 'numbr'"),
        ('owned_by = "Invoice.number"', 'owned_by = "Invoce.number"', "no table 'Invoce'"),
        ("increment = 2", "increment = 0", "increment cannot be 0"),
        ("max_value = 1000000", "max_value = 10000000000", "out of range for integer"),
        ("start = 100\n", "start = 2000000\n", "start 2000000 is outside"),
        (
            'legacy = { type = "smallint"',
            'legacy = { type = "text"',
            "an identity column is smallint, integer or bigint, not text",
        ),
    ],
)
def test_bad_sequences(old: str, new: str, message: str) -> None:
    assert old in SPEC
    text = _error(SPEC.replace(old, new, 1))
    assert message in text
    assert ":" in text.splitlines()[1]


def test_a_sequence_name_is_a_relation_name() -> None:
    text = SPEC + "\n[sequences.Invoice]\n"
    assert "sequence name 'Invoice' is already used" in _error(text)
