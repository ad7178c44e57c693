"""Domains and composite types in the spec: loading, Postgres's check names,
validation errors (file:line, path, fix) and dump -> load giving the same model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pgwarden.spec.dump import dump_schema
from pgwarden.spec.load import load_schema_text
from pgwarden.spec.model import CheckConstraint, ColumnType, CompositeAttribute
from tests.spec.test_validate import FILE, line_of, one, problems

SPEC = """
[extensions]
citext = {}

[enums.Plan]
values = ["FREE", "PRO"]

[domains.Email]
type = "text"
not_null = true
comment = "an address"
checks = [{ expression = "VALUE ~ '@'" }, { expression = "length(VALUE) < 320" }]

[domains.Positive]
type = "integer"
default = 1
checks = [{ name = "positive", expression = "VALUE > 0" }]

[domains.Handle]
type = "text"

[domains.Plans]
type = "Plan[]"
default_sql = "'{}'"

[composite_types.Address]
comment = "a postal address"

[composite_types.Address.attributes]
street = "text"
zip = { type = "varchar(10)", collation = "C" }
owner = "Email"
nick = "citext"

[composite_types.Parcel]
attributes = { to = "Address", weight = "Positive", plans = "Plans" }

[tables.Customer.columns]
id = { type = "bigint", identity = "always", primary_key = true }
email = { type = "Email" }
handle = { type = "Handle", nullable = true }
home = { type = "Address", nullable = true }
parcels = { type = "Parcel[]", nullable = true }
"""


def test_domains_and_composites_load() -> None:
    s = load_schema_text(SPEC, FILE)
    email, _, plans, positive = s.domains
    assert email.name == "Email" and email.type == ColumnType("text") and email.not_null
    # Postgres's own names for unnamed domain checks: <domain>_check, <domain>_check1
    assert [c.name for c in email.checks] == ["Email_check", "Email_check1"]
    assert positive.default == "1" and positive.checks == (
        CheckConstraint("positive", "value > 0"),
    )
    assert plans.type == ColumnType("Plan", array=True) and plans.default == "'{}'"
    address, parcel = s.composite_types
    assert address.attributes == (
        CompositeAttribute("street", ColumnType("text")),
        CompositeAttribute("zip", ColumnType("varchar", (10,)), "C"),
        CompositeAttribute("owner", ColumnType("Email")),
        CompositeAttribute("nick", ColumnType("citext")),
    )
    assert [a.name for a in parcel.attributes] == ["to", "weight", "plans"]
    customer = s.table("Customer")
    assert customer is not None and customer.column("home") is not None


def test_dump_load_gives_the_same_model() -> None:
    s = load_schema_text(SPEC, FILE)
    text = dump_schema(s)
    assert load_schema_text(text, FILE) == s
    assert dump_schema(load_schema_text(text, FILE)) == text


def test_a_type_nothing_defines_names_the_fix() -> None:
    text = SPEC.replace('owner = "Email"', 'owner = "Emial"')
    p = one(text, "composite_types.Address.attributes.owner", "unknown type", "Email")
    assert p.line == line_of(text, 'owner = "Emial"')
    text = SPEC + '\n[domains.Embedding]\ntype = "vector(3)"\n'
    one(text, "domains.Embedding.type", "extension 'vector'", "vector = {} under [extensions]")


def test_domain_check_reads_value_only() -> None:
    text = SPEC.replace("VALUE > 0", "price > 0")
    one(text, "domains.Positive.checks[0]", "can only read value", "VALUE > 0")


def test_a_type_built_from_itself_and_name_clashes() -> None:
    text = SPEC.replace('weight = "Positive"', 'weight = "Parcel"')
    one(text, "composite_types.Parcel", "built from itself")
    text = SPEC + '\n[domains.Customer]\ntype = "text"\n'
    one(text, "domains.Customer", "name of a table", "rename")
    text = SPEC + '\n[domains.Plan]\ntype = "text"\n'
    one(text, "domains.Plan", "name of an enum")
    text = SPEC.replace("[composite_types.Parcel]", "[composite_types.Email]").replace(
        '"Parcel[]"', '"Email"'
    )
    one(text, "composite_types.Email", "another type")


def test_a_relation_named_like_a_type() -> None:
    """Every table, view, materialized view, sequence and composite type has a row
    type of its name: a type of that name in the same schema cannot exist."""
    text = SPEC + '\n[sequences.Email]\ntype = "bigint"\n'
    p = one(text, "sequences.Email", "has the name of a domain", "against the types", "rename")
    assert p.line == line_of(text, "[sequences.Email]")
    assert f"first at {FILE}:{line_of(SPEC, '[domains.Email]')}" in str(p)
    one(SPEC + "\n[enums.Customer]\nvalues = ['A']\n", "enums.Customer", "name of a table")
    text = SPEC + "\n[views.Plan]\ndefinition = 'SELECT 1 AS one'\n"
    one(text, "views.Plan", "view 'Plan' has the name of an enum", "row type")
    text = SPEC + "\n[materialized_views.Address]\ndefinition = 'SELECT 1 AS one'\n"
    one(
        text,
        "materialized_views.Address",
        "materialized view 'Address' has the name of a composite type",
    )
    text = SPEC + '\n[sequences.Parcel]\ntype = "bigint"\n'
    one(text, "sequences.Parcel", "sequence 'Parcel' has the name of a composite type")
    # a composite type is a relation too: a table of its name is refused once, as a type
    found = [
        str(p) for p in problems(SPEC + '\n[tables.Address.columns]\nid = { type = "integer" }\n')
    ]
    assert len([f for f in found if "'Address'" in f]) == 1, found
    assert "table 'Address' has the name of a composite type" in "".join(found)
    # an index is a relation without a row type: only the relation namespace counts
    text = SPEC + '\n[[tables.Customer.indexes]]\nname = "Plan"\ncolumns = ["email"]\n'
    assert load_schema_text(text, FILE).table("Customer") is not None
    # the same name in another Postgres schema is no clash
    text = SPEC + '\n[schemas.billing]\n\n[sequences."billing.Email"]\ntype = "bigint"\n'
    assert [q.name for q in load_schema_text(text, FILE).sequences] == ["billing.Email"]


def test_shape_errors() -> None:
    one(
        SPEC + '\n[domains.Bad]\ntype = "text"\nnullable = true\n',
        "domains.Bad.nullable",
        "not_null",
    )
    one(
        SPEC + "\n[composite_types.Empty]\ncomment = 'x'\n",
        "composite_types.Empty.attributes",
        "non-empty table",
    )


def test_validate_cli_exits_2_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "app.toml").write_text(SPEC.replace('owner = "Email"', 'owner = "Emial"'))
    done = subprocess.run(
        [sys.executable, "-m", "pgwarden", "validate", "--schema", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "app.toml:" in done.stdout + done.stderr and "unknown type" in done.stdout + done.stderr
