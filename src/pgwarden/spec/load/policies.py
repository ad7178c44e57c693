"""Row-level security: ``rls`` flags, ``[[policies]]`` and the ``tenant`` sugar."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import sql

from pgwarden.spec import names
from pgwarden.spec.exprs import normalize_expr
from pgwarden.spec.load.reader import SpecPath, SpecReader, did_you_mean
from pgwarden.spec.model import POLICY_COMMANDS, Column, ColumnType, Policy, PolicyCommand
from pgwarden.spec.types import is_textual

POLICY_KEYS = ("name", "command", "permissive", "roles", "using", "with_check")
RLS_KEYS = ("enabled", "force")
TENANT_KEYS = ("column", "setting")


@dataclass(frozen=True, slots=True)
class Security:
    """A table's row-level-security state as read from its spec."""

    enabled: bool = False
    forced: bool = False
    policies: tuple[Policy, ...] = ()


def read_security(
    r: SpecReader, raw: dict[str, Any], path: SpecPath, *, table: str, columns: Sequence[Column]
) -> Security:
    """Row-level security of a table: ``rls``, ``force_rls`` and its policies."""
    policies: list[Policy] = []
    for ppath, item in r.entries(raw, "policies", path):
        policy = _policy(r, ppath, item)
        if policy is not None:
            policies.append(policy)
    enabled = False
    forced = False
    if "rls" in raw:
        rls = r.mapping(raw["rls"], (*path, "rls"), RLS_KEYS)
        if rls is not None:
            enabled = r.boolean(rls, "enabled", (*path, "rls"))
            forced = r.boolean(rls, "force", (*path, "rls"))
    if "tenant" in raw:
        tenant = _tenant(
            r, raw, path, table=table, columns=columns, rls_off="rls" in raw and not enabled
        )
        if tenant is not None:
            enabled = True
            policies.append(tenant)
    return Security(enabled, forced, tuple(policies))


def _policy(r: SpecReader, path: SpecPath, item: object) -> Policy | None:
    raw = r.mapping(item, path, POLICY_KEYS)
    if raw is None:
        return None
    name = r.string(raw, "name", path, required=True)
    command: PolicyCommand = r.choice(raw, "command", path, choices=POLICY_COMMANDS, default="all")
    permissive = raw.get("permissive", True)
    if not isinstance(permissive, bool):
        r.problem((*path, "permissive"), "must be true or false")
        permissive = True
    if name is None:
        return None
    return Policy(
        name=name,
        command=command,
        permissive=permissive,
        roles=r.strings(raw, "roles", path) or ("public",),
        using=r.expr(raw, "using", path),
        with_check=r.expr(raw, "with_check", path),
        source=r.source(path),
    )


def _tenant(
    r: SpecReader,
    raw: dict[str, Any],
    path: SpecPath,
    *,
    table: str,
    columns: Sequence[Column],
    rls_off: bool,
) -> Policy | None:
    """``tenant = { column, setting }``: RLS on, and one policy comparing the column
    with the session setting (the table's ``<Table>_tenant`` policy)."""
    tpath = (*path, "tenant")
    tenant = r.mapping(raw["tenant"], tpath, TENANT_KEYS)
    if tenant is None:
        return None
    column = r.string(tenant, "column", tpath, required=True)
    setting = r.string(tenant, "setting", tpath) or "app.user_id"
    if rls_off:
        r.problem(
            tpath,
            "tenant needs row-level security, but rls.enabled is false",
            "remove rls.enabled = false",
        )
    found = next((c for c in columns if c.name == column), None)
    if column and found is None:
        r.problem(
            (*tpath, "column"),
            f"tenant column {column!r} is not a column of {table!r}",
            did_you_mean(column, [c.name for c in columns]) or "name an existing column",
        )
    if found is not None and found.type.name == "json":
        r.problem(
            (*tpath, "column"),
            f"tenant column {column!r} is json, which has no equality operator",
            "make the column jsonb (or text) to use it as a tenant key",
        )
    if not column:
        return None
    expr = tenant_expression(column, setting, found.type if found else None)
    return Policy(
        name=names.tenant_policy(table),
        using=expr,
        with_check=expr,
        source=r.source(tpath),
    )


def tenant_expression(column: str, setting: str, col_type: ColumnType | None) -> str:
    """The ``tenant`` policy predicate: the column equals the session setting.

    The setting is text. A text column compares with it as it is; any other column
    -- uuid, integers, enums, arrays -- with the setting cast to the column's type,
    so the policy is valid SQL for every column type. The cast drops modifiers:
    ``varchar(3)`` or ``numeric(5,2)`` would cut or round the setting and let it
    match another tenant's key.
    """
    from pgwarden.spec.types import type_sql

    setting_sql = sql.SQL("current_setting({}, true)").format(sql.Literal(setting))
    if col_type is not None and (col_type.array or not is_textual(col_type)):
        target = type_sql(ColumnType(col_type.name, (), col_type.array))
        if col_type.array and col_type.name == "char":
            target = sql.SQL("bpchar[]")  # a bare "character" would be character(1)
        setting_sql = sql.SQL("CAST({} AS {})").format(setting_sql, target)
    text = sql.SQL("{} = {}").format(sql.Identifier(column), setting_sql).as_string(None)
    return normalize_expr(text)
