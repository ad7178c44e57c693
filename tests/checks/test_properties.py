"""Properties across the pipeline: what pgwarden renders, pgwarden's linter reads cleanly."""

from __future__ import annotations

from hypothesis import given, settings

from pgwarden.checks.config import LintConfig
from pgwarden.checks.engine import lint_schema, lint_sql
from pgwarden.render.sql import render_schema
from pgwarden.spec.model import Schema
from tests.strategies import schemas


@settings(max_examples=20)
@given(schemas())
def test_rendered_schema_parses_and_is_exempt_as_new_tables(schema: Schema) -> None:
    ddl = render_schema(schema)
    found = lint_sql([("0001_init/up.sql", ddl)], LintConfig(select=("ALL",))).findings
    # Every statement parses with Postgres's parser, and creating everything from
    # empty takes no lock on a table that holds rows: no migration finding at all.
    assert found == [], [(f.rule, f.location.line, f.message) for f in found]


@settings(max_examples=20)
@given(schemas())
def test_schema_rules_never_crash_and_locate_their_objects(schema: Schema) -> None:
    for f in lint_schema(schema, LintConfig(select=("ALL",))).findings:
        obj = f.location.object
        assert obj is not None
        assert obj == schema.name or any(
            obj == t.name or obj.startswith(t.name + ".") for t in schema.tables
        )
        assert f.message and f.fix
