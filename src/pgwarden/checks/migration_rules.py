"""Rules on migration SQL: each reads one parsed statement and the replayed catalog.

Catalog-aware replay: migrations are read in order and every statement updates a
small catalog (:class:`Replay`): which tables, indexes, enums and volatile
functions exist. A statement is a lock hazard only on a table that existed
before the current file: a table created earlier in the same file is empty
(until something inserts into it), so indexing, constraining or altering it
locks nothing that matters and is exempt.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pglast import enums as pg

from pgwarden.checks.registry import Finding, Location, check, rule
from pgwarden.checks.sqlfile import Statement

# Volatile built-in functions that make an added column's default rewrite the table.
# (now()/CURRENT_TIMESTAMP are stable: Postgres evaluates them once, no rewrite.)
VOLATILE_BUILTINS = frozenset(
    {
        "random",
        "random_normal",
        "gen_random_uuid",
        "uuidv4",
        "uuidv7",
        "uuid_generate_v1",
        "uuid_generate_v1mc",
        "uuid_generate_v4",
        "gen_random_bytes",
        "clock_timestamp",
        "timeofday",
        "nextval",
        "txid_current",
        "pg_current_xact_id",
        "setseed",
    }
)
SERIAL_TYPES = frozenset({"serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"})


@dataclass
class Replay:
    """The catalog as the migrations so far leave it (enough for the rules)."""

    tables: set[str] = field(default_factory=set)
    indexes: dict[str, str] = field(default_factory=dict)
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    volatile_functions: set[str] = field(default_factory=set)
    # per file
    file: str = ""
    new_tables: set[str] = field(default_factory=set)
    retired_enums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    lock_timeout: bool = False
    lock_timeout_reported: bool = False
    in_block: bool = False
    not_null_checks: dict[str, tuple[str, str]] = field(default_factory=dict)
    proven_not_null: set[tuple[str, str]] = field(default_factory=set)
    carried_over: dict[tuple[str, str], str] = field(default_factory=dict)
    """(table, column) -> the column an UPDATE in this file copied its data into."""

    def start_file(self, file: str) -> None:
        self.file = file
        self.new_tables = set()
        self.retired_enums = {}
        self.lock_timeout = False
        self.lock_timeout_reported = False
        self.in_block = False
        self.not_null_checks = {}
        self.proven_not_null = set()
        self.carried_over = {}

    def existing(self, table: str | None) -> bool:
        """True when ``table`` may hold rows: not created (and still empty) in this file."""
        return table is not None and table not in self.new_tables

    def in_transaction(self, stmt: Statement) -> bool:
        return self.in_block or stmt.step_atomic is True

    # ----------------------------------------------------------------- replay

    def apply(self, stmt: Statement) -> None:
        node = stmt.node
        kind = stmt.kind
        if kind == "CreateStmt":
            name = node.relation.relname
            self.tables.add(name)
            self.new_tables.add(name)
        elif kind == "IndexStmt":
            if node.idxname:
                self.indexes[node.idxname] = node.relation.relname
        elif kind in ("InsertStmt", "CopyStmt"):
            if node.relation is not None:
                self.new_tables.discard(node.relation.relname)
        elif kind == "UpdateStmt":
            table = node.relation.relname
            for target in node.targetList or ():
                for ref in _walk(target.val):
                    if type(ref).__name__ == "ColumnRef" and ref.fields:
                        source = getattr(ref.fields[-1], "sval", None)
                        if source and source != target.name:
                            self.carried_over[(table, source)] = target.name
        elif kind == "DropStmt":
            self._apply_drop(node)
        elif kind == "RenameStmt":
            self._apply_rename(node)
        elif kind == "CreateEnumStmt":
            name = _last(node.typeName)
            self.enums[name] = tuple(v.sval for v in node.vals or ())
        elif kind == "AlterEnumStmt" and node.newVal:
            name = _last(node.typeName)
            values = list(self.enums.get(name, ()))
            if node.newValNeighbor and node.newValNeighbor in values:
                at = values.index(node.newValNeighbor) + (1 if node.newValIsAfter else 0)
                values.insert(at, node.newVal)
            else:
                values.append(node.newVal)
            self.enums[name] = tuple(values)
        elif kind == "CreateFunctionStmt":
            volatility = "volatile"
            for opt in node.options or ():
                if opt.defname == "volatility":
                    volatility = opt.arg.sval
            name = _last(node.funcname)
            if volatility == "volatile":
                self.volatile_functions.add(name)
            else:
                self.volatile_functions.discard(name)
        elif kind == "VariableSetStmt":
            if node.name == "lock_timeout":
                self.lock_timeout = True
        elif kind == "SelectStmt":
            if any(_is_set_config_lock_timeout(c) for c in _walk(node)):
                self.lock_timeout = True
        elif kind == "TransactionStmt":
            k = node.kind
            if k in (
                pg.TransactionStmtKind.TRANS_STMT_BEGIN,
                pg.TransactionStmtKind.TRANS_STMT_START,
            ):
                self.in_block = True
            elif k in (
                pg.TransactionStmtKind.TRANS_STMT_COMMIT,
                pg.TransactionStmtKind.TRANS_STMT_ROLLBACK,
            ):
                self.in_block = False
        elif kind == "AlterTableStmt":
            self._apply_alter(node)

    def _apply_drop(self, node: Any) -> None:
        kind = node.removeType
        for obj in node.objects or ():
            name = _object_name(obj)
            if kind == pg.ObjectType.OBJECT_TABLE:
                self.tables.discard(name)
                self.new_tables.discard(name)
            elif kind == pg.ObjectType.OBJECT_INDEX:
                self.indexes.pop(name, None)
            elif kind == pg.ObjectType.OBJECT_TYPE and name in self.enums:
                self.retired_enums[name] = self.enums.pop(name)

    def _apply_rename(self, node: Any) -> None:
        if node.renameType == pg.ObjectType.OBJECT_TABLE and node.relation is not None:
            old = node.relation.relname
            self.tables.discard(old)
            self.tables.add(node.newname)
            if old in self.new_tables:
                self.new_tables.discard(old)
                self.new_tables.add(node.newname)
        elif node.renameType == pg.ObjectType.OBJECT_TYPE:
            old = _object_name(node.object)
            if old in self.enums:
                values = self.enums.pop(old)
                self.enums[node.newname] = values
                self.retired_enums[old] = values

    def _apply_alter(self, node: Any) -> None:
        table = node.relation.relname
        for cmd in node.cmds or ():
            st = cmd.subtype
            if st == pg.AlterTableType.AT_AddConstraint:
                con = cmd.def_
                column = _not_null_check_column(con)
                if column is not None and con.conname:
                    if con.skip_validation:
                        self.not_null_checks[con.conname] = (table, column)
                    else:
                        self.proven_not_null.add((table, column))
            elif st == pg.AlterTableType.AT_ValidateConstraint and cmd.name in self.not_null_checks:
                self.proven_not_null.add(self.not_null_checks[cmd.name])


def _last(names: Any) -> str:
    return str(names[-1].sval) if names else ""


def _object_name(obj: Any) -> str:
    if isinstance(obj, tuple):
        return str(obj[-1].sval)
    if hasattr(obj, "names"):  # TypeName
        return _last(obj.names)
    return str(getattr(obj, "sval", obj))


def _walk(node: Any) -> Iterator[Any]:
    """Every pglast node under ``node`` (itself included)."""
    from pglast.ast import Node

    if isinstance(node, tuple):
        for item in node:
            yield from _walk(item)
        return
    if not isinstance(node, Node):
        return
    yield node
    for name in node:
        yield from _walk(getattr(node, name))


def _is_set_config_lock_timeout(node: Any) -> bool:
    if type(node).__name__ != "FuncCall" or _last(node.funcname) != "set_config":
        return False
    first = (node.args or (None,))[0]
    val = getattr(first, "val", None)
    return getattr(val, "sval", None) == "lock_timeout"


def _not_null_check_column(con: Any) -> str | None:
    """``CHECK (col IS NOT NULL)``: the column it proves, which lets SET NOT NULL skip its scan."""
    if con is None or con.contype != pg.ConstrType.CONSTR_CHECK:
        return None
    expr = con.raw_expr
    if type(expr).__name__ != "NullTest" or expr.nulltesttype != pg.NullTestType.IS_NOT_NULL:
        return None
    fields = getattr(expr.arg, "fields", None)
    return _last(fields) if fields else None


def loc(stmt: Statement) -> Location:
    return Location(stmt.file, stmt.line, stmt.col)


def _alter_cmds(stmt: Statement, state: Replay) -> Iterator[tuple[str, Any]]:
    """(table, cmd) of an ALTER TABLE on an existing table."""
    if stmt.kind != "AlterTableStmt" or stmt.node.relation is None:
        return
    table = stmt.node.relation.relname
    if not state.existing(table):
        return
    for cmd in stmt.node.cmds or ():
        yield table, cmd


def _constraints(cmd: Any) -> tuple[Any, ...]:
    return tuple(getattr(cmd.def_, "constraints", None) or ())


# --------------------------------------------------------------------------- index locks


@check(id="create-index-non-concurrently", family="migration")
def create_index_non_concurrently(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """CREATE INDEX without CONCURRENTLY on an existing table blocks every write."""
    if stmt.kind != "IndexStmt" or stmt.node.concurrent:
        return
    table = stmt.node.relation.relname
    if not state.existing(table):
        return
    yield rule("create-index-non-concurrently").finding(
        loc(stmt),
        f"CREATE INDEX on existing table {table} without CONCURRENTLY holds a SHARE lock: "
        "inserts, updates and deletes wait until the index is built",
        "use CREATE INDEX CONCURRENTLY in a non-atomic step (-- pgwarden:step atomic=false)",
    )


@check(id="drop-index-non-concurrently", family="migration")
def drop_index_non_concurrently(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table."""
    if stmt.kind != "DropStmt" or stmt.node.removeType != pg.ObjectType.OBJECT_INDEX:
        return
    if stmt.node.concurrent:
        return
    names = [_object_name(o) for o in stmt.node.objects or ()]
    # Exempt only when every index is known to sit on a table created in this file.
    if names and all(n in state.indexes and not state.existing(state.indexes[n]) for n in names):
        return
    yield rule("drop-index-non-concurrently").finding(
        loc(stmt),
        f"DROP INDEX {', '.join(names)} without CONCURRENTLY takes an ACCESS EXCLUSIVE lock "
        "on the table: reads and writes wait",
        "use DROP INDEX CONCURRENTLY in a non-atomic step",
    )


@check(id="concurrently-in-transaction", family="migration")
def concurrently_in_transaction(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """CREATE/DROP INDEX CONCURRENTLY inside a transaction block fails."""
    node = stmt.node
    concurrent = (stmt.kind in ("IndexStmt", "DropStmt") and bool(node.concurrent)) or (
        stmt.kind == "ReindexStmt"
        and any(getattr(p, "defname", "") == "concurrently" for p in node.params or ())
    )
    if not concurrent or not state.in_transaction(stmt):
        return
    where = "a BEGIN ... COMMIT block" if state.in_block else "an atomic=true step"
    yield rule("concurrently-in-transaction").finding(
        loc(stmt),
        f"a CONCURRENTLY statement inside {where}: Postgres refuses to run it in a transaction",
        "move it to its own step marked -- pgwarden:step atomic=false (outside BEGIN/COMMIT)",
    )


# --------------------------------------------------------------------------- constraints


@check(id="constraint-without-not-valid", family="migration")
def constraint_without_not_valid(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """FOREIGN KEY or CHECK added to an existing table without NOT VALID."""
    r = rule("constraint-without-not-valid")
    for table, cmd in _alter_cmds(stmt, state):
        cons: tuple[Any, ...] = ()
        if cmd.subtype == pg.AlterTableType.AT_AddConstraint:
            cons = (cmd.def_,)
        elif cmd.subtype == pg.AlterTableType.AT_AddColumn:
            cons = _constraints(cmd)
        for con in cons:
            if con.contype not in (pg.ConstrType.CONSTR_FOREIGN, pg.ConstrType.CONSTR_CHECK):
                continue
            if con.skip_validation:
                continue
            if (
                cmd.subtype == pg.AlterTableType.AT_AddColumn
                and con.contype == pg.ConstrType.CONSTR_CHECK
            ):
                continue  # a new column's CHECK only sees its default (one value)
            what = "FOREIGN KEY" if con.contype == pg.ConstrType.CONSTR_FOREIGN else "CHECK"
            lock = (
                "SHARE ROW EXCLUSIVE locks on both tables"
                if what == "FOREIGN KEY"
                else "an ACCESS EXCLUSIVE lock"
            )
            yield r.finding(
                loc(stmt),
                f"{what} {con.conname or ''} added to existing table {table} is validated "
                f"at once: every row is scanned under {lock}".replace("  ", " "),
                "add it NOT VALID, then ALTER TABLE ... VALIDATE CONSTRAINT in a later step "
                "(validation takes a weaker lock)",
            )


@check(id="unique-constraint-under-lock", family="migration")
def unique_constraint_under_lock(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """UNIQUE / PRIMARY KEY added to an existing table builds its index under lock."""
    for table, cmd in _alter_cmds(stmt, state):
        if cmd.subtype == pg.AlterTableType.AT_AddConstraint:
            cons: tuple[Any, ...] = (cmd.def_,)
        elif cmd.subtype == pg.AlterTableType.AT_AddColumn:
            cons = _constraints(cmd)  # ADD COLUMN ... PRIMARY KEY / UNIQUE
        else:
            continue
        for con in cons:
            if con.contype not in (pg.ConstrType.CONSTR_UNIQUE, pg.ConstrType.CONSTR_PRIMARY):
                continue
            if con.indexname:
                continue  # USING INDEX: the index was built concurrently before
            yield _unique_finding(stmt, table, con)


def _unique_finding(stmt: Statement, table: str, con: Any) -> Finding:
    what = "UNIQUE" if con.contype == pg.ConstrType.CONSTR_UNIQUE else "PRIMARY KEY"
    return rule("unique-constraint-under-lock").finding(
        loc(stmt),
        f"{what} on existing table {table} builds its index under an ACCESS EXCLUSIVE lock",
        "CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT ... "
        f"{what} USING INDEX <name>",
    )


# --------------------------------------------------------------------------- columns


@check(id="set-not-null", family="migration")
def set_not_null(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """SET NOT NULL on an existing column scans the table under ACCESS EXCLUSIVE."""
    for table, cmd in _alter_cmds(stmt, state):
        if cmd.subtype != pg.AlterTableType.AT_SetNotNull:
            continue
        if (table, cmd.name) in state.proven_not_null:
            continue
        yield rule("set-not-null").finding(
            loc(stmt),
            f"SET NOT NULL on {table}.{cmd.name} scans every row under an ACCESS EXCLUSIVE lock",
            f'first ADD CONSTRAINT ... CHECK ("{cmd.name}" IS NOT NULL) NOT VALID, VALIDATE it '
            "in a later step, then SET NOT NULL (no scan) and drop the check",
        )


def _column_default(cmd: Any) -> Any:
    for con in _constraints(cmd):
        if con.contype == pg.ConstrType.CONSTR_DEFAULT:
            return con.raw_expr
    return None


def _has(cmd: Any, *types: Any) -> bool:
    return any(con.contype in types for con in _constraints(cmd)) or (
        bool(getattr(cmd.def_, "is_not_null", False)) and pg.ConstrType.CONSTR_NOTNULL in types
    )


@check(id="add-column-not-null-without-default", family="migration")
def add_column_not_null_without_default(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """A NOT NULL column without a default added to an existing table."""
    for table, cmd in _alter_cmds(stmt, state):
        if cmd.subtype != pg.AlterTableType.AT_AddColumn:
            continue
        if not _has(cmd, pg.ConstrType.CONSTR_NOTNULL, pg.ConstrType.CONSTR_PRIMARY):
            continue
        if _has(
            cmd,
            pg.ConstrType.CONSTR_DEFAULT,
            pg.ConstrType.CONSTR_IDENTITY,
            pg.ConstrType.CONSTR_GENERATED,
        ):
            continue
        if _last(cmd.def_.typeName.names) in SERIAL_TYPES:
            continue
        yield rule("add-column-not-null-without-default").finding(
            loc(stmt),
            f"NOT NULL column {table}.{cmd.def_.colname} without a default: the ALTER fails "
            "on any table that has rows",
            "add it nullable (or with a constant default), backfill, then SET NOT NULL "
            "through a validated CHECK",
        )


def _volatile_calls(expr: Any, state: Replay) -> list[str]:
    found = []
    for node in _walk(expr):
        if type(node).__name__ == "FuncCall":
            name = _last(node.funcname)
            if name in VOLATILE_BUILTINS or name in state.volatile_functions:
                found.append(name)
    return found


@check(id="volatile-default", family="migration")
def volatile_default(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """A column added with a volatile default (or serial/identity/stored) rewrites the table."""
    r = rule("volatile-default")
    for table, cmd in _alter_cmds(stmt, state):
        if cmd.subtype != pg.AlterTableType.AT_AddColumn:
            continue
        col = cmd.def_.colname
        why = None
        default = _column_default(cmd)
        calls = _volatile_calls(default, state) if default is not None else []
        if calls:
            why = f"its default calls volatile {calls[0]}()"
        elif _last(cmd.def_.typeName.names) in SERIAL_TYPES:
            why = "serial fills every row from a sequence"
        elif _has(cmd, pg.ConstrType.CONSTR_IDENTITY):
            why = "an identity column fills every row"
        elif _has(cmd, pg.ConstrType.CONSTR_GENERATED):
            why = "a stored generated column computes every row"
        if why is None:
            continue
        yield r.finding(
            loc(stmt),
            f"adding {table}.{col}: {why}, so Postgres rewrites the whole table under an "
            "ACCESS EXCLUSIVE lock",
            "add the column without the default, set the default afterwards (new rows only), "
            "and backfill existing rows in batches",
        )


@check(id="column-type-change", family="migration")
def column_type_change(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """ALTER COLUMN ... TYPE on an existing table (usually a rewrite under lock)."""
    for table, cmd in _alter_cmds(stmt, state):
        if cmd.subtype != pg.AlterTableType.AT_AlterColumnType:
            continue
        yield rule("column-type-change").finding(
            loc(stmt),
            f"changing the type of {table}.{cmd.name} holds an ACCESS EXCLUSIVE lock and, "
            "unless the cast is binary-coercible, rewrites the table and its indexes",
            "add a new column, backfill in batches, switch readers, then drop the old column",
        )


# --------------------------------------------------------------------------- destructive


@check(id="drop-column", family="migration")
def drop_column(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """DROP COLUMN on an existing table: data loss and broken running code."""
    r = rule("drop-column")
    for table, cmd in _alter_cmds(stmt, state):
        if cmd.subtype != pg.AlterTableType.AT_DropColumn:
            continue
        into = state.carried_over.get((table, cmd.name))
        if into is not None:
            # The contract step of expand/contract: the data lives on in `into`.
            yield r.finding(
                loc(stmt),
                f"dropping {table}.{cmd.name} after this migration copied its data into "
                f"{into}: no data is lost, but code still reading {cmd.name} fails",
                f"deploy the code that reads {into} before applying this migration",
                severity="warning",
            )
            continue
        yield r.finding(
            loc(stmt),
            f"dropping {table}.{cmd.name} loses its data, and application code still "
            "reading it fails",
            "stop reading/writing the column in a release first; drop it in a later "
            "migration with an ignore comment stating why",
        )


@check(id="drop-table", family="migration")
def drop_table(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """DROP TABLE of a table that existed before this migration."""
    if stmt.kind != "DropStmt" or stmt.node.removeType != pg.ObjectType.OBJECT_TABLE:
        return
    names = [_object_name(o) for o in stmt.node.objects or ()]
    existing = [n for n in names if state.existing(n)]
    if existing:
        yield rule("drop-table").finding(
            loc(stmt),
            f"dropping table {', '.join(existing)} loses its data and breaks running code",
            "stop using the table in a release first; then drop it with an ignore comment",
        )


@check(id="drop-schema", family="migration")
def drop_schema(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """DROP SCHEMA (every object in it goes, with CASCADE)."""
    if stmt.kind == "DropStmt" and stmt.node.removeType == pg.ObjectType.OBJECT_SCHEMA:
        names = ", ".join(_object_name(o) for o in stmt.node.objects or ())
        yield rule("drop-schema").finding(
            loc(stmt),
            f"dropping schema {names} removes every object in it",
            "drop the objects deliberately, one migration at a time",
        )


@check(id="drop-database", family="migration")
def drop_database(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """DROP DATABASE in a migration."""
    if stmt.kind == "DropdbStmt":
        yield rule("drop-database").finding(
            loc(stmt),
            f"a migration drops database {stmt.node.dbname}",
            "never drop a database from a migration",
        )


@check(id="rename-column", family="migration")
def rename_column(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """RENAME COLUMN on an existing table breaks code using the old name."""
    node = stmt.node
    if stmt.kind != "RenameStmt" or node.renameType != pg.ObjectType.OBJECT_COLUMN:
        return
    if not state.existing(node.relation.relname if node.relation else None):
        return
    yield rule("rename-column").finding(
        loc(stmt),
        f"renaming {node.relation.relname}.{node.subname} to {node.newname} breaks every "
        "running client that uses the old name",
        "add the new column, dual-write, backfill, switch readers, then drop the old one",
    )


@check(id="rename-table", family="migration")
def rename_table(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """RENAME of an existing table breaks code using the old name."""
    node = stmt.node
    if stmt.kind != "RenameStmt" or node.renameType != pg.ObjectType.OBJECT_TABLE:
        return
    if not state.existing(node.relation.relname if node.relation else None):
        return
    yield rule("rename-table").finding(
        loc(stmt),
        f"renaming table {node.relation.relname} to {node.newname} breaks every running "
        "client that uses the old name",
        "create the new name as a view over the old table (or the reverse) during the switch",
    )


@check(id="enum-value-removed", family="migration")
def enum_value_removed(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """An enum recreated without some of its values, or with them reordered."""
    if stmt.kind != "CreateEnumStmt":
        return
    name = _last(stmt.node.typeName)
    old = state.retired_enums.get(name)
    if old is None:
        return
    new = tuple(v.sval for v in stmt.node.vals or ())
    removed = [v for v in old if v not in new]
    kept_new_order = [v for v in new if v in old]
    kept_old_order = [v for v in old if v in new]
    if removed:
        what = f"drops value(s) {', '.join(removed)}"
    elif kept_new_order != kept_old_order:
        what = "reorders its values (comparisons and ORDER BY change meaning)"
    else:
        return
    yield rule("enum-value-removed").finding(
        loc(stmt),
        f"enum {name} is recreated and {what}: rows holding them fail the conversion",
        "add values with ALTER TYPE ... ADD VALUE; migrate rows off a value before retiring it",
    )


@check(id="reindex-non-concurrently", family="migration")
def reindex_non_concurrently(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """REINDEX without CONCURRENTLY blocks writes (and reads that use the index)."""
    node = stmt.node
    if stmt.kind != "ReindexStmt":
        return
    if any(getattr(p, "defname", "") == "concurrently" for p in node.params or ()):
        return
    target = node.relation.relname if node.relation is not None else node.name
    if node.kind == pg.ReindexObjectType.REINDEX_OBJECT_INDEX:
        table = state.indexes.get(target, target)
    elif node.kind == pg.ReindexObjectType.REINDEX_OBJECT_TABLE:
        table = target
    else:
        table = None  # schema / database / system: many tables at once
    if table is not None and not state.existing(table):
        return
    yield rule("reindex-non-concurrently").finding(
        loc(stmt),
        f"REINDEX of {target} without CONCURRENTLY holds a SHARE lock on the table "
        "(writes wait) and an ACCESS EXCLUSIVE lock on each index it rebuilds",
        "use REINDEX ... CONCURRENTLY in a non-atomic step",
    )


# LockStmt.mode: 5 SHARE and stronger conflict with writes (8 ACCESS EXCLUSIVE with reads).
_LOCK_MODES = {
    5: "SHARE",
    6: "SHARE ROW EXCLUSIVE",
    7: "EXCLUSIVE",
    8: "ACCESS EXCLUSIVE",
}


@check(id="lock-table", family="migration")
def lock_table(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """An explicit LOCK TABLE that blocks writes, held until the transaction ends."""
    if stmt.kind != "LockStmt" or stmt.node.mode not in _LOCK_MODES:
        return
    tables = [r.relname for r in stmt.node.relations or () if state.existing(r.relname)]
    if not tables:
        return
    mode = _LOCK_MODES[stmt.node.mode]
    yield rule("lock-table").finding(
        loc(stmt),
        f"LOCK TABLE {', '.join(tables)} takes a {mode} lock until the transaction ends: "
        f"{'reads and writes' if stmt.node.mode == 8 else 'writes'} wait",
        "take no explicit lock in a migration; if one is truly needed, keep the transaction "
        "short, set lock_timeout, and suppress with the reason",
    )


@check(id="unbatched-backfill", family="migration", severity="warning")
def unbatched_backfill(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """UPDATE/DELETE of every row of an existing table in one statement."""
    if stmt.kind not in ("UpdateStmt", "DeleteStmt") or stmt.node.whereClause is not None:
        return
    table = stmt.node.relation.relname
    if not state.existing(table):
        return
    verb = "UPDATE" if stmt.kind == "UpdateStmt" else "DELETE"
    yield rule("unbatched-backfill").finding(
        loc(stmt),
        f"{verb} of every row of {table} in one statement: it locks each row until the "
        "transaction ends, writes the whole table to WAL at once, and leaves a table of dead rows",
        "fine for small tables; for large ones backfill in batches "
        "(WHERE id BETWEEN ...) in non-atomic steps, or outside the migration",
    )


@check(id="vacuum-full-or-cluster", family="migration")
def vacuum_full_or_cluster(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """VACUUM FULL / CLUSTER rewrite a table under an ACCESS EXCLUSIVE lock."""
    node = stmt.node
    if stmt.kind == "VacuumStmt":
        if not any(getattr(o, "defname", "") == "full" for o in node.options or ()):
            return
        what = "VACUUM FULL"
    elif stmt.kind == "ClusterStmt":
        what = "CLUSTER"
    else:
        return
    yield rule("vacuum-full-or-cluster").finding(
        loc(stmt),
        f"{what} rewrites the table under an ACCESS EXCLUSIVE lock: reads and writes wait",
        "run it in a maintenance window outside migrations, or use pg_repack / pg_squeeze",
    )


# --------------------------------------------------------------------------- lock timeout


def lock_target(stmt: Statement, state: Replay) -> str | None:
    """The existing table a statement takes a heavy lock on, if any."""
    node = stmt.node
    kind = stmt.kind
    if (
        kind in ("AlterTableStmt", "ClusterStmt", "IndexStmt", "RenameStmt")
        and node.relation is not None
    ):
        name = node.relation.relname
    elif kind == "DropStmt" and node.removeType in (
        pg.ObjectType.OBJECT_TABLE,
        pg.ObjectType.OBJECT_INDEX,
    ):
        objs = [_object_name(o) for o in node.objects or ()]
        if node.removeType == pg.ObjectType.OBJECT_INDEX:
            objs = [state.indexes.get(o, o) for o in objs]
        name = next((o for o in objs if state.existing(o)), None)
    elif kind == "VacuumStmt" and any(
        getattr(o, "defname", "") == "full" for o in node.options or ()
    ):
        rels = node.rels or ()
        name = rels[0].relation.relname if rels else "(all tables)"
    elif kind in ("TruncateStmt", "LockStmt"):
        name = next((r.relname for r in node.relations if state.existing(r.relname)), None)
    elif kind == "ReindexStmt":
        target = node.relation.relname if node.relation is not None else None
        name = state.indexes.get(target, target) if target is not None else None
    elif kind == "CreateTrigStmt":
        name = node.relation.relname
    elif kind == "CreateStmt":
        # A new table's REFERENCES lock the referenced (existing) table.
        refs = [
            c.pktable.relname
            for c in _walk(node)
            if type(c).__name__ == "Constraint" and c.contype == pg.ConstrType.CONSTR_FOREIGN
        ]
        name = next((r for r in refs if state.existing(r)), None)
    else:
        return None
    return name if state.existing(name) else None


@check(id="missing-lock-timeout", family="migration")
def missing_lock_timeout(stmt: Statement, state: Replay) -> Iterator[Finding]:
    """A lock-taking statement runs before any ``SET lock_timeout`` in the file."""
    if state.lock_timeout or state.lock_timeout_reported:
        return
    table = lock_target(stmt, state)
    if table is None:
        return
    state.lock_timeout_reported = True  # once per file: one SET fixes all
    yield rule("missing-lock-timeout").finding(
        loc(stmt),
        f"this statement locks {table} with no lock_timeout set: while it waits behind a "
        "long transaction, every other query on the table queues behind it",
        "start the migration with SET lock_timeout = '5s' (and retry on timeout)",
    )
