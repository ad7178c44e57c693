"""Declarative partitioning in the spec: partition_by and partitions load into
Postgres's spelling, bad bounds are clear errors (file:line, path, fix), and
dump -> load gives the same model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pgwarden.spec.dump import dump_schema
from pgwarden.spec.load import load_schema_text
from tests.spec.test_validate import FILE, line_of, one

SPEC = """
[tables.Account.columns]
id = { type = "bigint", identity = "always", primary_key = true }

[tables.Event]
partition_by = "range (at)"
primary_key = ["id", "at"]

[tables.Event.columns]
id = { type = "bigint", identity = "always" }
at = { type = "timestamptz" }
accountId = { type = "bigint", references = { table = "Account", on_delete = "cascade" } }
kind = { type = "text" }

[[tables.Event.indexes]]
columns = ["accountId"]

[[tables.Event.partitions]]
name = "Event_2024"
from = "2024-01-01"
to = "2025-01-01"

[[tables.Event.partitions]]
name = "Event_old"
from = "MINVALUE"
to = "2024-01-01"
comment = "before 2024"

[[tables.Event.partitions]]
name = "Event_other"
default = true

[tables.Region]
partition_by = "LIST (code)"

[tables.Region.columns]
code = { type = "text" }

[[tables.Region.partitions]]
name = "Region_eu"
in = ["de", "fr"]

[tables.Bucket]
partition_by = "HASH (id)"

[tables.Bucket.columns]
id = { type = "bigint" }

[[tables.Bucket.partitions]]
name = "Bucket_0"
modulus = 2
remainder = 0

[[tables.Bucket.partitions]]
name = "Bucket_1"
modulus = 2
remainder = 1
"""


def test_partitions_load_in_postgres_spelling() -> None:
    s = load_schema_text(SPEC, FILE)
    event = s.table("Event")
    assert event is not None and event.partition_by == "RANGE (at)"
    assert event.partition_strategy == "range"
    bounds = {p.name: p.bound for p in event.partitions}
    assert bounds == {
        "Event_2024": "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
        "Event_old": "FOR VALUES FROM (MINVALUE) TO ('2024-01-01')",
        "Event_other": "DEFAULT",
    }
    region = s.table("Region")
    assert region is not None and region.partitions[0].bound == "FOR VALUES IN ('de', 'fr')"
    bucket = s.table("Bucket")
    assert bucket is not None
    assert bucket.partitions[1].bound == "FOR VALUES WITH (modulus 2, remainder 1)"


def test_dump_load_gives_the_same_model() -> None:
    s = load_schema_text(SPEC, FILE)
    text = dump_schema(s)
    assert 'from = "2024-01-01"' in text and "default = true" in text
    assert load_schema_text(text, FILE) == s
    odd = SPEC.replace(
        'name = "Region_eu"\nin = ["de", "fr"]',
        'name = "Region_eu"\nbound = "FOR VALUES IN (\'de\', NULL)"',
    )
    s2 = load_schema_text(odd, FILE)
    assert load_schema_text(dump_schema(s2), FILE) == s2


def test_overlapping_partitions_are_an_error() -> None:
    text = SPEC.replace('to = "2024-01-01"\ncomment', 'to = "2024-02-01"\ncomment')
    p = one(text, "tables.Event.partitions[1]", "overlaps 'Event_2024'", "disjoint")
    assert p.line == line_of(text, 'name = "Event_old"') - 1
    text = SPEC.replace(
        'in = ["de", "fr"]',
        'in = ["de", "fr"]\n\n[[tables.Region.partitions]]\nname = "Region_x"\nin = ["fr"]',
    )
    one(text, "tables.Region.partitions[1]", "overlaps 'Region_eu'")
    text = SPEC.replace("modulus = 2\nremainder = 1", "modulus = 4\nremainder = 2")
    one(text, "tables.Bucket.partitions[1]", "overlaps 'Bucket_0'")
    text = SPEC.replace(
        'name = "Event_other"',
        'name = "Event_more"\ndefault = true\n\n[[tables.Event.partitions]]\nname = "Event_other"',
    )
    one(text, "tables.Event.partitions[3]", "second default partition")


NUMBERED = """
[tables.Ledger]
partition_by = "RANGE (n)"

[tables.Ledger.columns]
n = { type = "bigint" }

[[tables.Ledger.partitions]]
name = "Ledger_low"
bound = "FOR VALUES FROM ('-1000') TO ('5')"

[[tables.Ledger.partitions]]
name = "Ledger_high"
bound = "FOR VALUES FROM ('5') TO ('20000')"
"""


def test_quoted_number_bounds_compare_as_numbers() -> None:
    # found by the round-trip property (partitions drawn): Postgres prints a bigint
    # or numeric bound quoted, and the dump of an inspected database failed to load
    # with "from is not below to" ('5' < '20000' compared as text)
    s = load_schema_text(NUMBERED, FILE)
    assert load_schema_text(dump_schema(s), FILE) == s
    one(
        NUMBERED.replace("('-1000') TO ('5')", "('-1000') TO ('100')"),
        "tables.Ledger.partitions[0]",
        "overlaps 'Ledger_high'",
    )
    # a text key still compares as text: '5' sorts after '20000'
    text = NUMBERED.replace('type = "bigint"', 'type = "text"')
    one(text, "tables.Ledger.partitions[1]", "'Ledger_high': from is not below to")


def test_bounds_that_do_not_fit() -> None:
    one(
        SPEC.replace('in = ["de", "fr"]', "modulus = 2\nremainder = 0"),
        "tables.Region.partitions[0]",
        "hash bound",
        "in = [...]",
    )
    one(
        SPEC.replace('to = "2025-01-01"', 'to = "2023-01-01"'),
        "tables.Event.partitions[0]",
        "not below",
    )
    one(
        SPEC.replace('from = "2024-01-01"', 'from = ["2024-01-01", 1]'),
        "tables.Event.partitions[0]",
        "per end",
    )
    one(
        SPEC.replace('partition_by = "range (at)"', 'partition_by = "range (when)"'),
        "tables.Event.partition_by",
        "when",
    )
    one(
        SPEC.replace('partition_by = "range (at)"', 'partition_by = "tree (at)"'),
        "tables.Event.partition_by",
        "RANGE (column)",
    )
    one(
        SPEC.replace('partition_by = "HASH (id)"\n', ""),
        "tables.Bucket.partitions[0]",
        "no partition_by",
    )
    one(
        SPEC.replace("modulus = 2\nremainder = 1", "modulus = 2\nremainder = 2"),
        "tables.Bucket.partitions[1]",
        "remainder < modulus",
    )
    one(
        SPEC.replace('name = "Region_eu"', 'name = "Account"'),
        "tables.Region.partitions[0]",
        "already used",
    )


def test_validate_cli_exits_2_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "app.toml").write_text(
        SPEC.replace('to = "2024-01-01"\ncomment', 'to = "2024-06-01"\ncomment')
    )
    done = subprocess.run(
        [sys.executable, "-m", "pgwarden", "validate", "--schema", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 2 and "Traceback" not in out
    assert "app.toml:" in out and "overlaps" in out and "fix:" in out


def test_the_blueprint_shows_partitions_views_and_types() -> None:
    from pgwarden.docs.blueprint import render_blueprint
    from tests.spec.test_types import SPEC as TYPES
    from tests.spec.test_views import SPEC as VIEWS

    text = render_blueprint(load_schema_text(VIEWS, FILE))
    assert "## Views and Materialized Views" in text
    assert "### PlanCount (materialized view)" in text and "concurrently" in text
    text = render_blueprint(load_schema_text(SPEC, FILE))
    assert "- **Partitioned**: by `RANGE (at)`" in text
    assert "- **Partition**: `Event_other`: `DEFAULT`" in text
    text = render_blueprint(load_schema_text(TYPES, FILE))
    assert "## Domains and Composite Types" in text and "- `Email`: domain over `text`" in text
