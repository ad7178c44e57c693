"""Names derived from a relation stay one identifier when they hold a dot.

A column may be named ``with.dot``, so its index is ``T_with.dot_idx``, its
on-update trigger function ``T_with.dot_on_update`` and its serial sequence
``T_with.dot_seq``. Those names sit in the table's namespace; they were once
written as ``namespace.name`` text and split again at the first dot, which read
``T_with`` as a schema (``schema "T_with" does not exist``)."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from pgwarden.apply.canonical import canonicalize
from pgwarden.introspect import inspect_schema
from pgwarden.planner import PlanOptions, plan
from pgwarden.spec.load import load_schema_text
from pgwarden.spec.model import Schema
from tests.pg import reset_schema
from tests.planner.helpers import apply_plan, create

ALL = PlanOptions(allow_destructive=True)

PLAIN = """
[tables.T.columns]
id         = { type = "integer", primary_key = true }
"with.dot" = { type = "text" }
"""

INDEXED = (
    PLAIN
    + """
[[tables.T.indexes]]
columns = ["with.dot", "id"]
"""
)

RENAMED = """
[tables.U]
renamed_from = "T"
[tables.U.columns]
id         = { type = "integer", primary_key = true }
"with.dot" = { type = "text" }
[[tables.U.indexes]]
columns = ["with.dot", "id"]
"""

STAMPED = """
[tables.T.columns]
id         = { type = "integer", primary_key = true }
"with.dot" = { type = "timestamp(3)", default_sql = "CURRENT_TIMESTAMP", maintained = "on_update" }
"""

SERIAL = """
[tables.T.columns]
id         = { type = "integer", primary_key = true }
"with.dot" = { type = "integer", identity = "serial" }
"""

NAMESPACED = """
[schemas.billing]
[tables."billing.T".columns]
id         = { type = "integer", primary_key = true }
"with.dot" = { type = "text" }
"""

NAMESPACED_INDEXED = (
    NAMESPACED
    + """
[[tables."billing.T".indexes]]
columns = ["with.dot", "id"]
"""
)

NAMESPACED_RENAMED = """
[schemas.billing]
[tables."billing.U"]
renamed_from = "billing.T"
[tables."billing.U".columns]
id         = { type = "integer", primary_key = true }
"with.dot" = { type = "text" }
[[tables."billing.U".indexes]]
columns = ["with.dot", "id"]
"""

CASES = {
    "index": (PLAIN, INDEXED),
    "rename index": (INDEXED, RENAMED),
    "on-update trigger": (PLAIN, STAMPED),
    "serial sequence": (PLAIN, SERIAL),
    "index in a namespace": (NAMESPACED, NAMESPACED_INDEXED),
    "rename index in a namespace": (NAMESPACED_INDEXED, NAMESPACED_RENAMED),
}


def _matches(conn: psycopg.Connection[Any], spec: Schema) -> bool:
    got = inspect_schema(conn, also=[n.name for n in spec.schemas])
    return got == canonicalize(spec, conn) and not plan(got, canonicalize(spec, conn), ALL)


@pytest.mark.parametrize(("old", "new"), CASES.values(), ids=CASES.keys())
def test_a_dotted_derived_name_converges_and_reverses(
    database_url: str, old: str, new: str
) -> None:
    a, b = load_schema_text(old), load_schema_text(new)
    with psycopg.connect(database_url, autocommit=True) as conn:
        reset_schema(conn)
        create(conn, a)
        up = plan(a, b, ALL)
        apply_plan(conn, up, ALL)
        assert _matches(conn, b), up.describe()
        apply_plan(conn, up.reverse(), ALL)
        assert _matches(conn, a), up.reverse().describe()
