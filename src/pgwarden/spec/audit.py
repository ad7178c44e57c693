"""Audit logging: what ``audit = true`` on a table means in the database.

An audited table gets an AFTER INSERT/UPDATE/DELETE row trigger that appends
one row per change to the namespace's shared, append-only log table
(:data:`LOG_TABLE`). The log is pgwarden's own object, like a migration history
table: it is not part of the model (introspection hides it, the planner
creates it with the first audited table), so specs, dumps and generated
accessors stay about the application's tables. See docs/audit.md.

The per-table trigger passes what it needs as trigger arguments, so one
shared function serves every table and the arguments are database state the
planner can compare:

* ``key:<column>``  -- a primary-key column, copied into ``row_key``;
* ``redact:<column>`` -- a column whose value is never copied (only its name,
  in ``changed``): columns marked ``secret`` and columns whose
  ``plaintext-secret`` lint finding the spec acknowledged, on the column or on
  the whole table (the spec then says in so many words that the column holds a
  credential).
"""

from __future__ import annotations

from pgwarden.spec import names
from pgwarden.spec.model import Schema, Table

#: The shared audit log table (one per namespace).
LOG_TABLE = "pgwarden_audit"
#: The trigger function every audited table's trigger calls.
ROW_FUNCTION = "pgwarden_audit_row"
#: Function and trigger that make the log append-only.
GUARD_FUNCTION = "pgwarden_audit_append_only"
GUARD_TRIGGER = "pgwarden_audit_append_only"
#: Index serving "the history of one row" lookups.
LOG_INDEX = "pgwarden_audit_table_name_row_key_idx"

#: Objects pgwarden creates in the namespace for the log: a spec may not use these names.
RESERVED_NAMES = frozenset({LOG_TABLE, ROW_FUNCTION, GUARD_FUNCTION})
#: Relation names (tables, indexes, constraints) the log takes in the namespace.
RESERVED_RELATIONS = frozenset({LOG_TABLE, LOG_INDEX, f"{LOG_TABLE}_pkey"})

KEY_PREFIX = "key:"
REDACT_PREFIX = "redact:"

#: The lint rule whose acknowledgement marks a column as holding a plain-text credential.
REDACTED_RULE = "plaintext-secret"


def trigger_name(table: str) -> str:
    """Name of the audit trigger on ``table``."""
    return names.audit_trigger(table)


def redacted_columns(table: Table) -> tuple[str, ...]:
    """Columns whose values never reach the log, in column order.

    A ``plaintext-secret`` acknowledgement on the whole table covers the columns
    the rule would flag (their names look like credentials), so those are redacted too.
    """
    table_wide = any(s.rule == REDACTED_RULE for s in table.ignore)
    return tuple(
        c.name
        for c in table.columns
        if c.secret is not None
        or any(s.rule == REDACTED_RULE for s in c.ignore)
        or (table_wide and names.secret_like(c.name))
    )


def trigger_args(table: Table) -> tuple[str, ...]:
    """The audit trigger's arguments for ``table`` (deterministic: key order, column order)."""
    keys = table.primary_key.columns if table.primary_key else ()
    return (
        *(KEY_PREFIX + k for k in keys),
        *(REDACT_PREFIX + c for c in redacted_columns(table)),
    )


def has_log(schema: Schema) -> bool:
    """Whether the namespace needs the audit log (some table is audited)."""
    return any(t.audit for t in schema.tables)


__all__ = [
    "GUARD_FUNCTION",
    "GUARD_TRIGGER",
    "KEY_PREFIX",
    "LOG_INDEX",
    "LOG_TABLE",
    "REDACTED_RULE",
    "REDACT_PREFIX",
    "RESERVED_NAMES",
    "RESERVED_RELATIONS",
    "ROW_FUNCTION",
    "has_log",
    "redacted_columns",
    "trigger_args",
    "trigger_name",
]
