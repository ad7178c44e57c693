"""Rules on migration SQL: each reads one statement (libpg_query's JSON) and the replayed catalog.

Every rule names the statement kinds it reads (``kinds=``): the engine runs on a
statement only the rules of its kind, so a history of thousands of ``INSERT``s
costs a dictionary lookup each. A rule reports at most one finding per statement
(the offending sub-commands are named together, located at the first of them),
with a fix written for the tool that runs the file (see ``fixes``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pgwarden.checks import fixes
from pgwarden.checks.casts import rewrite_reason
from pgwarden.checks.registry import Finding, Location, check, rule
from pgwarden.checks.replay import (
    SERIAL_TYPES,
    VOLATILE_BUILTINS,
    Rel,
    Replay,
    names,
    object_names,
    sval,
    type_name,
    walk,
)
from pgwarden.checks.sqlfile import Statement, Tree
from pgwarden.pgquery import bare_ident
from pgwarden.spec import names as spec_names
from pgwarden.spec.names import not_null_check

# --------------------------------------------------------------------------- helpers


def _q(name: str) -> str:
    """``name`` quoted only where Postgres needs it (pglast's printer's rule, without
    loading pglast: see ``pgquery.bare_ident``)."""
    return bare_ident(name)


def loc(stmt: Statement) -> Location:
    """Where the statement starts."""
    return Location(stmt.file, stmt.line, stmt.col)


def cmd_loc(stmt: Statement, index: int) -> Location:
    """Where sub-command ``index`` of an ALTER TABLE starts."""
    subs = fixes.subcommands(stmt)
    if index >= len(subs):
        return loc(stmt)
    start = subs[index][0]
    before = stmt.text[:start]
    nl = before.count("\n")
    if nl == 0:
        return Location(stmt.file, stmt.line, stmt.col + start)
    return Location(stmt.file, stmt.line + nl, start - before.rfind("\n"))


def show(rel: Rel | None) -> str:
    """A relation as findings name it (bare in public, and for VACUUM FULL's "all tables")."""
    if rel is None:
        return "?"
    return rel[1] if rel[0] in ("public", "") else f"{rel[0]}.{rel[1]}"


def _alter_cmds(stmt: Statement, state: Replay) -> list[tuple[Rel, int, Tree]]:
    """(table, index, cmd) of an ALTER TABLE on an existing table (once per statement:
    seven rules read them)."""
    memo = stmt.memo
    if memo is None:
        memo = stmt.memo = {}
    got: list[tuple[Rel, int, Tree]] | None = memo.get("alter")
    if got is not None:
        return got
    got = []
    node = stmt.tree
    if node is not None and node.get("objtype") in (None, "OBJECT_TABLE"):
        table = state.qualify(node.get("relation"))
        if table is not None and state.existing(table):
            got = [
                (table, n, cmd.get("AlterTableCmd", {}))
                for n, cmd in enumerate(node.get("cmds") or ())
            ]
    memo["alter"] = got
    return got


def _constraints(cmd: Tree) -> list[Tree]:
    col = (cmd.get("def") or {}).get("ColumnDef", {})
    return [c.get("Constraint", {}) for c in col.get("constraints") or ()]


def _added_constraints(cmd: Tree) -> list[Tree]:
    if cmd.get("subtype") == "AT_AddConstraint":
        return [(cmd.get("def") or {}).get("Constraint", {})]
    if cmd.get("subtype") == "AT_AddColumn":
        return _constraints(cmd)
    return []


def _column(cmd: Tree) -> Tree:
    col: Tree = (cmd.get("def") or {}).get("ColumnDef", {})
    return col


def _table_sql(rel: Rel) -> str:
    return _q(rel[1]) if rel[0] == "public" else f"{_q(rel[0])}.{_q(rel[1])}"


def _join(items: list[str]) -> str:
    return ", ".join(dict.fromkeys(items))


# --------------------------------------------------------------------------- index locks


@check(id="create-index-non-concurrently", family="migration", kinds=("IndexStmt",))
def create_index_non_concurrently(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """CREATE INDEX without CONCURRENTLY on an existing table blocks every write."""
    node = stmt.tree or {}
    if node.get("concurrent"):
        return
    table = state.qualify(node.get("relation"))
    if not state.existing(table):
        return
    rewritten = fixes.insert_after(fixes.statement_sql(stmt), "INDEX", "CONCURRENTLY")
    yield rule("create-index-non-concurrently").finding(
        loc(stmt),
        f"CREATE INDEX on existing table {show(table)} without CONCURRENTLY holds a SHARE lock: "
        "inserts, updates and deletes wait until the index is built",
        fixes.fix(
            f"build it with CONCURRENTLY, {fixes.outside(state.layout)}",
            fixes.block(state.layout, [rewritten or "CREATE INDEX CONCURRENTLY ..."], False),
        ),
    )


@check(id="drop-index-non-concurrently", family="migration", kinds=("DropStmt",))
def drop_index_non_concurrently(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table."""
    node = stmt.tree or {}
    if node.get("removeType") != "OBJECT_INDEX" or node.get("concurrent"):
        return
    parts = [object_names(o) for o in node.get("objects") or ()]
    tables = [state.index_table(p) for p in parts]
    # Exempt only when every index is known to sit on a table created in this file.
    if parts and all(t is not None and not state.existing(t) for t in tables):
        return
    shown = ", ".join(".".join(p) for p in parts)
    rewritten = fixes.insert_after(fixes.statement_sql(stmt), "INDEX", "CONCURRENTLY")
    yield rule("drop-index-non-concurrently").finding(
        loc(stmt),
        f"DROP INDEX {shown} without CONCURRENTLY takes an ACCESS EXCLUSIVE lock "
        "on the table: reads and writes wait",
        fixes.fix(
            f"drop it with CONCURRENTLY (one index per statement), {fixes.outside(state.layout)}",
            fixes.block(state.layout, [rewritten or "DROP INDEX CONCURRENTLY ..."], False),
        ),
    )


def _concurrent(stmt: Statement) -> bool:
    node = stmt.tree or {}
    if stmt.kind in ("IndexStmt", "DropStmt"):
        return bool(node.get("concurrent"))
    if stmt.kind == "ReindexStmt":
        return any(
            p.get("DefElem", {}).get("defname") == "concurrently" for p in node.get("params") or ()
        )
    if stmt.kind == "AlterTableStmt":  # DETACH PARTITION ... CONCURRENTLY
        return any(
            (c.get("AlterTableCmd", {}).get("def") or {}).get("PartitionCmd", {}).get("concurrent")
            for c in node.get("cmds") or ()
        )
    return False


@check(
    id="concurrently-in-transaction",
    family="migration",
    kinds=("IndexStmt", "DropStmt", "ReindexStmt", "AlterTableStmt"),
)
def concurrently_in_transaction(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """A CONCURRENTLY statement in a file, step or block that runs as one transaction fails."""
    if stmt.tx is None or not _concurrent(stmt):
        return
    where = state.transaction_kind(stmt)
    yield rule("concurrently-in-transaction").finding(
        loc(stmt),
        f"a CONCURRENTLY statement inside {where}: Postgres refuses to run it in a "
        "transaction (SQLSTATE 25001)",
        fixes.fix(
            f"run it {fixes.outside(state.layout)}",
            fixes.block(state.layout, [fixes.statement_sql(stmt)], False),
        ),
    )


# --------------------------------------------------------------------------- constraints


def _constraint_name(table: Rel, con: Tree, column: str = "") -> str:
    if con.get("conname"):
        return str(con["conname"])
    cols = names(con.get("fk_attrs")) or names(con.get("keys")) or ([column] if column else [])
    if con.get("contype") == "CONSTR_FOREIGN":
        return spec_names.foreign_key(table[1], cols)  # Postgres's: every key column
    if not cols and con.get("contype") == "CONSTR_CHECK":
        # Postgres names a table's CHECK after its column when it reads exactly one
        refs = {
            names(ref.get("fields"))[-1]
            for kind, ref in walk(con.get("raw_expr"))
            if kind == "ColumnRef" and names(ref.get("fields"))
        }
        cols = sorted(refs) if len(refs) == 1 else []
    return spec_names.check(table[1], cols[:1])


@check(
    id="constraint-without-not-valid",
    family="migration",
    kinds=("AlterTableStmt",),
    subtypes=("AT_AddConstraint", "AT_AddColumn"),
)
def constraint_without_not_valid(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """FOREIGN KEY or CHECK added to an existing table without NOT VALID."""
    found: list[tuple[int, Rel, Tree]] = []
    for table, n, cmd in _alter_cmds(stmt, state):
        for con in _added_constraints(cmd):
            if con.get("contype") not in ("CONSTR_FOREIGN", "CONSTR_CHECK"):
                continue
            if con.get("skip_validation"):
                continue
            if cmd.get("subtype") == "AT_AddColumn" and con.get("contype") == "CONSTR_CHECK":
                continue  # a new column's CHECK only sees its default (one value)
            found.append((n, table, con))
    if not found:
        return
    n, table, con = found[0]
    kinds = {c.get("contype") for _, _, c in found}
    what = " and ".join(
        w for k, w in (("CONSTR_FOREIGN", "FOREIGN KEY"), ("CONSTR_CHECK", "CHECK")) if k in kinds
    )
    lock = (
        "SHARE ROW EXCLUSIVE locks on both tables"
        if kinds == {"CONSTR_FOREIGN"}
        else "an ACCESS EXCLUSIVE lock"
    )
    shown = _join([str(c.get("conname") or "") for _, _, c in found if c.get("conname")])
    subs = fixes.subcommands(stmt)
    prefix = fixes.alter_prefix(stmt)
    adds, validates = [], []
    for i, t, c in found:
        is_column = cmd_is_column(stmt, i)
        column = str(_column(cmd_at(stmt, i)).get("colname") or "") if is_column else ""
        name = _constraint_name(t, c, column)
        text = stmt.text[subs[i][0] : subs[i][1]].strip() if i < len(subs) else ""
        if is_column:
            split = _split_references(text, column)
            if split is None:
                adds.append(f"{prefix} {text}")
                continue
            add_column, references = split
            adds.append(f"{prefix} {add_column}")
            adds.append(
                f"{prefix} ADD CONSTRAINT {_q(name)} FOREIGN KEY "
                f"({_q(column)}) {references} NOT VALID"
            )
            validates.append(f"{prefix} VALIDATE CONSTRAINT {_q(name)}")
            continue
        if text and not c.get("conname"):
            text = text.replace("ADD ", f"ADD CONSTRAINT {_q(name)} ", 1)
        adds.append(f"{prefix} {text} NOT VALID")
        validates.append(f"{prefix} VALIDATE CONSTRAINT {_q(name)}")
    yield rule("constraint-without-not-valid").finding(
        cmd_loc(stmt, n),
        f"{what} {shown + ' ' if shown else ''}added to existing table {show(table)} is "
        f"validated at once: every row is scanned under {lock}",
        fixes.fix(
            "add it NOT VALID, then VALIDATE CONSTRAINT "
            + fixes.later(state.layout)
            + " (validation takes a weaker lock)",
            fixes.block(state.layout, adds, True),
            fixes.block(state.layout, validates, False),
        ),
    )


_NAME = r'(?:"(?:[^"]|"")+"|[\w$]+)'
_REFERENCES = re.compile(
    rf"(?:\bCONSTRAINT\s+{_NAME}\s+)?\bREFERENCES\s+{_NAME}(?:\s*\.\s*{_NAME})?"
    r"(?:\s*\([^)]*\))?(?:\s+MATCH\s+\w+)?"
    r"(?:\s+ON\s+(?:DELETE|UPDATE)\s+(?:NO\s+ACTION|RESTRICT|CASCADE"
    r"|SET\s+(?:NULL|DEFAULT)(?:\s*\([^)]*\))?))*"
    r"(?:\s+(?:NOT\s+)?DEFERRABLE)?(?:\s+INITIALLY\s+(?:DEFERRED|IMMEDIATE))?",
    re.IGNORECASE,
)


def _split_references(text: str, column: str) -> tuple[str, str] | None:
    """``ADD COLUMN c t REFERENCES p (k) ...`` -> (``ADD COLUMN c t ...``, ``REFERENCES p
    (k)``): the column first, its foreign key added NOT VALID after (None: not found)."""
    found = list(_REFERENCES.finditer(text))
    if len(found) != 1 or not column:
        return None
    m = found[0]
    references = m.group()
    start = references.upper().find("REFERENCES")
    rest = " ".join((text[: m.start()] + text[m.end() :]).split())
    return rest, references[start:]


def cmd_at(stmt: Statement, index: int) -> Tree:
    """The ``index``-th sub-command of an ALTER TABLE."""
    cmds = (stmt.tree or {}).get("cmds") or ()
    return dict(cmds[index].get("AlterTableCmd") or {}) if index < len(cmds) else {}


def cmd_is_column(stmt: Statement, index: int) -> bool:
    """Sub-command ``index`` of the ALTER TABLE is an ADD COLUMN."""
    cmds = (stmt.tree or {}).get("cmds") or ()
    return (
        index < len(cmds) and cmds[index].get("AlterTableCmd", {}).get("subtype") == "AT_AddColumn"
    )


@check(
    id="unique-constraint-under-lock",
    family="migration",
    kinds=("AlterTableStmt",),
    subtypes=("AT_AddConstraint", "AT_AddColumn"),
)
def unique_constraint_under_lock(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """UNIQUE / PRIMARY KEY added to an existing table builds its index under lock."""
    for table, n, cmd in _alter_cmds(stmt, state):
        for con in _added_constraints(cmd):
            if con.get("contype") not in ("CONSTR_UNIQUE", "CONSTR_PRIMARY"):
                continue
            if con.get("indexname"):
                continue  # USING INDEX: the index was built concurrently before
            yield _unique_finding(stmt, state, table, n, cmd, con)
            return


def _unique_finding(
    stmt: Statement, state: Replay, table: Rel, n: int, cmd: Tree, con: Tree
) -> Finding:
    primary = con.get("contype") == "CONSTR_PRIMARY"
    what = "PRIMARY KEY" if primary else "UNIQUE"
    cols = names(con.get("keys")) or [_column(cmd).get("colname", "")]
    name = con.get("conname") or f"{table[1]}_{'pkey' if primary else '_'.join(cols) + '_key'}"
    prefix = fixes.alter_prefix(stmt)
    index_sql = (
        f"CREATE UNIQUE INDEX CONCURRENTLY {_q(name)} ON {_table_sql(table)} "
        f"({', '.join(_q(c) for c in cols)})"
    )
    attach = f"{prefix} ADD CONSTRAINT {_q(name)} {what} USING INDEX {_q(name)}"
    return rule("unique-constraint-under-lock").finding(
        cmd_loc(stmt, n),
        f"{what} on existing table {show(table)} builds its index under an ACCESS EXCLUSIVE lock",
        fixes.fix(
            f"build the unique index CONCURRENTLY first ({fixes.outside(state.layout)}), "
            "then attach it",
            fixes.block(state.layout, [index_sql], False),
            fixes.block(state.layout, [attach], True),
        ),
    )


# --------------------------------------------------------------------------- columns


@check(
    id="set-not-null",
    family="migration",
    kinds=("AlterTableStmt",),
    subtypes=("AT_SetNotNull",),
)
def set_not_null(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """SET NOT NULL on an existing column scans the table under ACCESS EXCLUSIVE."""
    found = [
        (n, table, cmd.get("name", ""))
        for table, n, cmd in _alter_cmds(stmt, state)
        if cmd.get("subtype") == "AT_SetNotNull"
        and not state.proven_not_null(table, cmd.get("name", ""))
    ]
    if not found:
        return
    n, table, _ = found[0]
    cols = [c for _, _, c in found]
    prefix = fixes.alter_prefix(stmt)
    steps = []
    for col in cols:
        check_name = _q(not_null_check(table[1], col))
        steps.append(
            (
                f"{prefix} ADD CONSTRAINT {check_name} CHECK ({_q(col)} IS NOT NULL) NOT VALID",
                f"{prefix} VALIDATE CONSTRAINT {check_name}",
                f"{prefix} ALTER COLUMN {_q(col)} SET NOT NULL",
                f"{prefix} DROP CONSTRAINT {check_name}",
            )
        )
    yield rule("set-not-null").finding(
        cmd_loc(stmt, n),
        f"SET NOT NULL on {show(table)}.{', '.join(cols)} scans every row under an "
        "ACCESS EXCLUSIVE lock",
        fixes.fix(
            "prove it with a CHECK added NOT VALID, VALIDATE it "
            + fixes.later(state.layout)
            + ", then SET NOT NULL (no scan) and drop the check",
            fixes.block(state.layout, [s[0] for s in steps], True),
            fixes.block(state.layout, [s[1] for s in steps], True),
            fixes.block(state.layout, [x for s in steps for x in s[2:]], True),
        ),
    )


def _column_default(cmd: Tree) -> Tree | None:
    for con in _constraints(cmd):
        if con.get("contype") == "CONSTR_DEFAULT":
            expr: Tree | None = con.get("raw_expr")
            return expr
    return None


def _has(cmd: Tree, *types: str) -> bool:
    return any(con.get("contype") in types for con in _constraints(cmd)) or (
        bool(_column(cmd).get("is_not_null")) and "CONSTR_NOTNULL" in types
    )


@check(
    id="add-column-not-null-without-default",
    family="migration",
    kinds=("AlterTableStmt",),
    subtypes=("AT_AddColumn",),
)
def add_column_not_null_without_default(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """A NOT NULL column without a default added to an existing table."""
    found = []
    for table, n, cmd in _alter_cmds(stmt, state):
        if cmd.get("subtype") != "AT_AddColumn":
            continue
        if not _has(cmd, "CONSTR_NOTNULL", "CONSTR_PRIMARY"):
            continue
        if _has(cmd, "CONSTR_DEFAULT", "CONSTR_IDENTITY", "CONSTR_GENERATED"):
            continue
        if type_name(_column(cmd).get("typeName"))[0] in SERIAL_TYPES:
            continue
        found.append((n, table, _column(cmd).get("colname", "")))
    if not found:
        return
    n, table, _ = found[0]
    cols = [c for _, _, c in found]
    yield rule("add-column-not-null-without-default").finding(
        cmd_loc(stmt, n),
        f"NOT NULL column {show(table)}.{', '.join(cols)} without a default: the ALTER fails "
        "on any table that has rows",
        fixes.fix(
            "give it a constant default (no rewrite since Postgres 11), or add it nullable, "
            "backfill, then SET NOT NULL through a validated CHECK",
            fixes.block(
                state.layout,
                [
                    f"{fixes.alter_prefix(stmt)} ADD COLUMN {_q(c)} ... NOT NULL DEFAULT <value>"
                    for c in cols
                ],
                True,
            ),
        ),
    )


def _volatile_calls(expr: Tree | None, state: Replay) -> list[str]:
    found = []
    for kind, node in walk(expr):
        if kind == "FuncCall":
            parts = names(node.get("funcname"))
            name = parts[-1] if parts else ""
            rel = state.qualify_names(parts, state.volatile_functions) if parts else ("", "")
            if name in VOLATILE_BUILTINS or rel in state.volatile_functions:
                found.append(name)
    return found


@check(
    id="volatile-default",
    family="migration",
    kinds=("AlterTableStmt",),
    subtypes=("AT_AddColumn",),
)
def volatile_default(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """A column added with a volatile default (or serial/identity/stored) rewrites the table."""
    found = []
    for table, n, cmd in _alter_cmds(stmt, state):
        if cmd.get("subtype") != "AT_AddColumn":
            continue
        col = _column(cmd).get("colname", "")
        why = None
        calls = _volatile_calls(_column_default(cmd), state)
        if calls:
            why = f"its default calls volatile {calls[0]}()"
        elif type_name(_column(cmd).get("typeName"))[0] in SERIAL_TYPES:
            why = "serial fills every row from a sequence"
        elif _has(cmd, "CONSTR_IDENTITY"):
            why = "an identity column fills every row"
        elif _has(cmd, "CONSTR_GENERATED"):
            why = "a stored generated column computes every row"
        if why is not None:
            found.append((n, table, col, why))
    if not found:
        return
    n, table, _, _ = found[0]
    what = "; ".join(f"adding {show(t)}.{c}: {w}" for _, t, c, w in found)
    yield rule("volatile-default").finding(
        cmd_loc(stmt, n),
        f"{what}, so Postgres rewrites the whole table under an ACCESS EXCLUSIVE lock",
        fixes.fix(
            "add the column without the default, set the default afterwards (new rows only), "
            "and backfill existing rows in batches",
            fixes.block(
                state.layout,
                [f"{fixes.alter_prefix(stmt)} ADD COLUMN {_q(c)} <type>" for _, _, c, _ in found]
                + [
                    f"{fixes.alter_prefix(stmt)} ALTER COLUMN {_q(c)} SET DEFAULT <expression>"
                    for _, _, c, _ in found
                ],
                True,
            ),
        ),
    )


@check(
    id="column-type-change",
    family="migration",
    kinds=("AlterTableStmt",),
    subtypes=("AT_AlterColumnType",),
)
def column_type_change(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """ALTER COLUMN ... TYPE on an existing table that rewrites it (not binary-coercible)."""
    found = []
    for table, n, cmd in _alter_cmds(stmt, state):
        if cmd.get("subtype") != "AT_AlterColumnType":
            continue
        col = cmd.get("name", "")
        current = state.column(table, col)
        new = _column(cmd)
        why = rewrite_reason(
            current.type if current else None,
            type_name(new.get("typeName")),
            using=new.get("raw_default") is not None,
            utc=state.timezone_utc,
        )
        if why is not None:
            found.append((n, table, col, why))
    if not found:
        return
    n, table, _, _ = found[0]
    what = "; ".join(f"{show(t)}.{c} ({w})" for _, t, c, w in found)
    unknown = all(w.startswith("its current type is unknown") for *_, w in found)
    yield rule("column-type-change").finding(
        cmd_loc(stmt, n),
        f"changing the type of {', '.join(f'{show(t)}.{c}' for _, t, c, _ in found)} holds "
        "an ACCESS EXCLUSIVE lock and, unless the cast is binary-coercible, rewrites the table "
        "and its indexes: the current type is unknown here (the column was not created in the "
        "linted history)"
        if unknown
        else f"changing the type of {what} rewrites the table and its indexes under an "
        "ACCESS EXCLUSIVE lock",
        "add a new column, backfill it in batches, switch readers, then drop the old column",
    )


# --------------------------------------------------------------------------- destructive


@check(
    id="drop-column",
    family="migration",
    kinds=("AlterTableStmt",),
    subtypes=("AT_DropColumn",),
)
def drop_column(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """DROP COLUMN on an existing table: data loss and broken running code."""
    lost: list[tuple[int, Rel, str, str | None]] = []
    carried: list[tuple[int, Rel, str, str | None]] = []
    for table, n, cmd in _alter_cmds(stmt, state):
        if cmd.get("subtype") != "AT_DropColumn":
            continue
        col = cmd.get("name", "")
        into = state.carried_over.get((table, col))
        (carried if into is not None else lost).append((n, table, col, into))
    r = rule("drop-column")
    if lost:
        n, table, _, _ = lost[0]
        yield r.finding(
            cmd_loc(stmt, n),
            f"dropping {show(table)}.{', '.join(c for _, _, c, _ in lost)} loses its data, and "
            "application code still reading it fails",
            "stop reading/writing the column in a release first; drop it in a later "
            "migration with an ignore comment stating why",
        )
    elif carried:
        # The contract step of expand/contract: the data lives on in `into`.
        n, table, col, into = carried[0]
        yield r.finding(
            cmd_loc(stmt, n),
            f"dropping {show(table)}.{col} after this migration copied its data into "
            f"{into}: no data is lost, but code still reading {col} fails",
            f"deploy the code that reads {into} before applying this migration",
            severity="warning",
        )


@check(id="drop-table", family="migration", kinds=("DropStmt",))
def drop_table(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """DROP TABLE of a table that existed before this migration."""
    node = stmt.tree or {}
    if node.get("removeType") != "OBJECT_TABLE":
        return
    rels = [state.qualify_names(object_names(o), state.tables) for o in node.get("objects") or ()]
    existing = [r for r in rels if state.existing(r)]
    if existing:
        yield rule("drop-table").finding(
            loc(stmt),
            f"dropping table {', '.join(show(r) for r in existing)} loses its data and breaks "
            "running code",
            "stop using the table in a release first; then drop it with an ignore comment",
        )


@check(id="drop-schema", family="migration", kinds=("DropStmt",))
def drop_schema(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """DROP SCHEMA (every object in it goes, with CASCADE)."""
    node = stmt.tree or {}
    if node.get("removeType") == "OBJECT_SCHEMA":
        shown = ", ".join(".".join(object_names(o)) for o in node.get("objects") or ())
        yield rule("drop-schema").finding(
            loc(stmt),
            f"dropping schema {shown} removes every object in it",
            "drop the objects deliberately, one migration at a time",
        )


@check(id="drop-database", family="migration", kinds=("DropdbStmt",))
def drop_database(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """DROP DATABASE in a migration."""
    yield rule("drop-database").finding(
        loc(stmt),
        f"a migration drops database {(stmt.tree or {}).get('dbname', '')}",
        "never drop a database from a migration",
    )


@check(id="rename-column", family="migration", kinds=("RenameStmt",))
def rename_column(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """RENAME COLUMN on an existing table breaks code using the old name."""
    node = stmt.tree or {}
    if node.get("renameType") != "OBJECT_COLUMN":
        return
    table = state.qualify(node.get("relation"))
    if not state.existing(table):
        return
    yield rule("rename-column").finding(
        loc(stmt),
        f"renaming {show(table)}.{node.get('subname')} to {node.get('newname')} breaks every "
        "running client that uses the old name",
        "add the new column, dual-write, backfill, switch readers, then drop the old one",
    )


@check(id="rename-table", family="migration", kinds=("RenameStmt",))
def rename_table(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """RENAME of an existing table breaks code using the old name."""
    node = stmt.tree or {}
    if node.get("renameType") != "OBJECT_TABLE":
        return
    table = state.qualify(node.get("relation"))
    if table is None or not state.existing(table):
        return
    yield rule("rename-table").finding(
        loc(stmt),
        f"renaming table {show(table)} to {node.get('newname')} breaks every running "
        "client that uses the old name",
        fixes.fix(
            "rename it, and keep the old name as a view over it while old code runs",
            fixes.block(
                state.layout,
                [
                    fixes.statement_sql(stmt),
                    f"CREATE VIEW {_table_sql(table)} AS SELECT * FROM "
                    f"{_table_sql((table[0], str(node.get('newname'))))}",
                ],
                True,
            ),
        ),
    )


def _enum_change(old: tuple[str, ...], new: tuple[str, ...]) -> str | None:
    removed = [v for v in old if v not in new]
    if removed:
        return f"drops value(s) {', '.join(removed)}"
    if [v for v in new if v in old] != [v for v in old if v in new]:
        return "reorders its values (comparisons and ORDER BY change meaning)"
    return None


@check(id="enum-value-removed", family="migration", kinds=("CreateEnumStmt", "RenameStmt"))
def enum_value_removed(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """An enum recreated or swapped for one without some of its values, or reordered."""
    node = stmt.tree or {}
    if stmt.kind == "CreateEnumStmt":
        parts = names(node.get("typeName"))
        rel = state.qualify_names(parts, state.retired_enums)
        old = state.retired_enums.get(rel)
        new = tuple(sval(v) for v in node.get("vals") or ())
        how = "is recreated"
    else:
        if node.get("renameType") != "OBJECT_TYPE":
            return
        src = state.qualify_names(object_names(node.get("object")), state.enums)
        if src not in state.enums:
            return
        rel = (src[0], str(node.get("newname", "")))
        old = state.retired_enums.get(rel)
        new = state.enums[src]
        how = f"is swapped for {src[1]} (ALTER TYPE ... RENAME)"
    if old is None:
        return
    what = _enum_change(old, new)
    if what is None:
        return
    yield rule("enum-value-removed").finding(
        loc(stmt),
        f"enum {show(rel)} {how} and {what}: rows holding them fail the conversion",
        "add values with ALTER TYPE ... ADD VALUE; migrate rows off a value before retiring it",
    )


@check(id="reindex-non-concurrently", family="migration", kinds=("ReindexStmt",))
def reindex_non_concurrently(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """REINDEX without CONCURRENTLY blocks writes (and reads that use the index)."""
    node = stmt.tree or {}
    if _concurrent(stmt):
        return
    rel = node.get("relation")
    target = (rel or {}).get("relname") or node.get("name") or ""
    kind = node.get("kind")
    table: Rel | None
    if kind == "REINDEX_OBJECT_INDEX":
        parts = [p for p in ((rel or {}).get("schemaname"), target) if p]
        table = state.index_table(parts) or state.qualify(rel)
    elif kind == "REINDEX_OBJECT_TABLE":
        table = state.qualify(rel)
    else:
        table = None  # schema / database / system: many tables at once
    if table is not None and not state.existing(table):
        return
    keyword = {"REINDEX_OBJECT_INDEX": "INDEX", "REINDEX_OBJECT_TABLE": "TABLE"}.get(str(kind))
    rewritten = (
        fixes.insert_after(fixes.statement_sql(stmt), keyword, "CONCURRENTLY") if keyword else None
    )
    yield rule("reindex-non-concurrently").finding(
        loc(stmt),
        f"REINDEX of {target} without CONCURRENTLY holds a SHARE lock on the table "
        "(writes wait) and an ACCESS EXCLUSIVE lock on each index it rebuilds",
        fixes.fix(
            f"use REINDEX ... CONCURRENTLY, {fixes.outside(state.layout)}",
            fixes.block(state.layout, [rewritten], False) if rewritten else "",
        ),
    )


# LockStmt.mode: 5 SHARE and stronger conflict with writes (8 ACCESS EXCLUSIVE with reads).
_LOCK_MODES = {
    5: "SHARE",
    6: "SHARE ROW EXCLUSIVE",
    7: "EXCLUSIVE",
    8: "ACCESS EXCLUSIVE",
}


@check(id="lock-table", family="migration", kinds=("LockStmt",))
def lock_table(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """An explicit LOCK TABLE that blocks writes, held until the transaction ends."""
    node = stmt.tree or {}
    mode = node.get("mode")
    if mode not in _LOCK_MODES:
        return
    tables = [state.qualify(r.get("RangeVar")) for r in node.get("relations") or ()]
    shown = [show(t) for t in tables if state.existing(t)]
    if not shown:
        return
    yield rule("lock-table").finding(
        loc(stmt),
        f"LOCK TABLE {', '.join(shown)} takes a {_LOCK_MODES[mode]} lock until the transaction "
        f"ends: {'reads and writes' if mode == 8 else 'writes'} wait",
        "take no explicit lock in a migration; if one is truly needed, keep the transaction "
        "short, set lock_timeout, and suppress with the reason",
    )


@check(
    id="unbatched-backfill",
    family="migration",
    severity="warning",
    kinds=("UpdateStmt", "DeleteStmt"),
)
def unbatched_backfill(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """UPDATE/DELETE of every row of an existing table in one statement."""
    node = stmt.tree or {}
    if node.get("whereClause") is not None:
        return
    if stmt.step_batched and stmt.kind == "UpdateStmt":
        return  # the runner runs it in keyset batches, each its own short transaction
    table = state.qualify(node.get("relation"))
    if not state.existing(table):
        return
    verb = "UPDATE" if stmt.kind == "UpdateStmt" else "DELETE"
    yield rule("unbatched-backfill").finding(
        loc(stmt),
        f"{verb} of every row of {show(table)} in one statement: it locks each row until the "
        "transaction ends, writes the whole table to WAL at once, and leaves a table of dead rows",
        "fine for small tables; for large ones backfill in batches "
        f"(WHERE id BETWEEN ...), each {fixes.later(state.layout)}, or outside the migration",
    )


@check(id="vacuum-full-or-cluster", family="migration", kinds=("VacuumStmt", "ClusterStmt"))
def vacuum_full_or_cluster(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """VACUUM FULL / CLUSTER rewrite a table under an ACCESS EXCLUSIVE lock."""
    node = stmt.tree or {}
    if stmt.kind == "VacuumStmt":
        if not _vacuum_full(node):
            return
        what = "VACUUM FULL"
    else:
        what = "CLUSTER"
    yield rule("vacuum-full-or-cluster").finding(
        loc(stmt),
        f"{what} rewrites the table under an ACCESS EXCLUSIVE lock: reads and writes wait",
        "run it in a maintenance window outside migrations, or use pg_repack / pg_squeeze",
    )


def _vacuum_full(node: Tree) -> bool:
    return any(o.get("DefElem", {}).get("defname") == "full" for o in node.get("options") or ())


@check(
    id="not-valid-validated-in-transaction",
    family="migration",
    kinds=("AlterTableStmt",),
    subtypes=("AT_ValidateConstraint",),
)
def not_valid_validated_in_transaction(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """A constraint added NOT VALID is validated in the same transaction: the lock is held."""
    node = stmt.tree or {}
    table = state.qualify(node.get("relation"))
    if table is None or stmt.tx is None:
        return
    for n, cmd in enumerate(node.get("cmds") or ()):
        c = cmd.get("AlterTableCmd", {})
        if c.get("subtype") != "AT_ValidateConstraint":
            continue
        if state.not_valid.get((table, c.get("name", ""))) != stmt.tx:
            continue
        yield rule("not-valid-validated-in-transaction").finding(
            cmd_loc(stmt, n),
            f"constraint {c.get('name')} on {show(table)} is validated in the transaction that "
            "added it NOT VALID: the strong lock of the ADD is held while every row is "
            "scanned, as if NOT VALID were not there",
            fixes.fix(
                f"validate it {fixes.later(state.layout)}",
                fixes.block(state.layout, [fixes.statement_sql(stmt)], False),
            ),
        )
        return


# --------------------------------------------------------------------------- lock timeout


def lock_target(stmt: Statement, state: Replay) -> Rel | None:
    """The existing table a statement takes a heavy lock on, if any."""
    node = stmt.tree or {}
    kind = stmt.kind
    name: Rel | None = None
    if kind in ("AlterTableStmt", "ClusterStmt", "IndexStmt", "RenameStmt", "CreateTrigStmt"):
        name = state.qualify(node.get("relation"))
    elif kind == "DropStmt" and node.get("removeType") in ("OBJECT_TABLE", "OBJECT_INDEX"):
        objs = [object_names(o) for o in node.get("objects") or ()]
        if node.get("removeType") == "OBJECT_INDEX":
            rels = [state.index_table(o) for o in objs]
        else:
            rels = [state.qualify_names(o, state.tables) for o in objs]
        name = next((r for r in rels if r is not None and state.existing(r)), None)
    elif kind == "VacuumStmt" and _vacuum_full(node):
        vrels: list[Tree] = node.get("rels") or []
        vrel = vrels[0].get("VacuumRelation", {}).get("relation") if vrels else None
        name = state.qualify(vrel) if vrel else ("", "(all tables)")
    elif kind in ("TruncateStmt", "LockStmt"):
        rels = [state.qualify(r.get("RangeVar")) for r in node.get("relations") or ()]
        name = next((r for r in rels if state.existing(r)), None)
    elif kind == "ReindexStmt":
        rel = node.get("relation")
        if rel is not None:
            parts = [p for p in (rel.get("schemaname"), rel.get("relname")) if p]
            name = state.index_table(parts) or state.qualify(rel)
    elif kind == "CreateStmt":
        # A new table's REFERENCES lock the referenced (existing) table.
        refs = [state.qualify(c.get("pktable")) for c in _table_constraints(node)]
        name = next((r for r in refs if state.existing(r)), None)
    return name if state.existing(name) else None


def _table_constraints(node: Tree) -> Iterator[Tree]:
    """The FOREIGN KEY constraints of a CREATE TABLE (table-level and on columns)."""
    for elt in node.get("tableElts") or ():
        con = elt.get("Constraint")
        cons = [con] if con else []
        col = elt.get("ColumnDef")
        if col:
            cons = [c.get("Constraint", {}) for c in col.get("constraints") or ()]
        for c in cons:
            if c.get("contype") == "CONSTR_FOREIGN":
                yield c


_LOCKING = (
    "AlterTableStmt",
    "ClusterStmt",
    "IndexStmt",
    "RenameStmt",
    "CreateTrigStmt",
    "DropStmt",
    "VacuumStmt",
    "TruncateStmt",
    "LockStmt",
    "ReindexStmt",
    "CreateStmt",
)


@check(id="missing-lock-timeout", family="migration", kinds=_LOCKING)
def missing_lock_timeout(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """A lock-taking statement runs before any ``SET lock_timeout`` in the file."""
    if state.lock_timeout or state.lock_timeout_reported:
        return
    table = lock_target(stmt, state)
    if table is None:
        return
    state.lock_timeout_reported = True  # once per file: one SET fixes all
    where = "at the top of each step" if state.layout == "pgwarden" else "at the top of the file"
    yield rule("missing-lock-timeout").finding(
        loc(stmt),
        f"this statement locks {show(table)} with no lock_timeout set: while it waits behind a "
        "long transaction, every other query on the table queues behind it",
        fixes.fix(f"set one {where} (and retry on timeout)", "SET lock_timeout = '5s';"),
    )
