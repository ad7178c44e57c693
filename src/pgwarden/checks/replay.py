"""The catalog a migration history leaves, replayed statement by statement.

Migrations are read in apply order and every statement updates a small catalog
(:class:`Replay`): tables (schema-qualified, with their columns' types), indexes,
enums, volatile functions, validated ``CHECK (col IS NOT NULL)`` constraints,
the session's ``lock_timeout`` / ``TimeZone`` / ``search_path``, and the
transaction each statement runs in. A statement is a lock hazard only on a table
that existed before the current file: a table created earlier in the same file
(``CREATE TABLE``, ``CREATE TABLE AS``, ``SELECT INTO``) is new, so indexing,
constraining or altering it locks nothing that matters, until an ``INSERT``,
``COPY`` or data-modifying CTE writes to it.

The rules read the statements as libpg_query's JSON (plain dicts); the helpers
here (:func:`relname`, :func:`names`, :func:`walk`) are the vocabulary for that.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pgwarden.checks.plpgsql import Routines
from pgwarden.checks.sqlfile import Statement, Tree

Rel = tuple[str, str]
"""(schema, name) of a table, index, enum or function."""

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


# --------------------------------------------------------------------------- JSON helpers


def sval(node: Any) -> str:
    """The text of a ``{"String": {"sval": ...}}`` node."""
    if isinstance(node, dict):
        inner = node.get("String")
        if inner is not None:
            return str(inner.get("sval", ""))
    return ""


def names(items: Any) -> list[str]:
    """``[{"String": {"sval": "a"}}, ...]`` -> ``["a", ...]``."""
    return [sval(i) for i in items or ()]


def last(items: Any) -> str:
    """The last part of a dotted name list (the bare name)."""
    got = names(items)
    return got[-1] if got else ""


def walk(node: Any) -> Iterator[tuple[str, Tree]]:
    """Every (node type, fields) under ``node``, itself included."""
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, list):
            stack.extend(cur)
        elif isinstance(cur, dict):
            for key, value in cur.items():
                if isinstance(value, dict):
                    if key[:1].isupper():
                        yield key, value
                    stack.append(value)
                elif isinstance(value, list):
                    stack.append(value)


def type_name(tn: Tree | None) -> tuple[str, tuple[int, ...], bool]:
    """(type name without ``pg_catalog``, integer modifiers, is array) of a TypeName."""
    if not tn:
        return "", (), False
    parts = names(tn.get("names"))
    if len(parts) > 1 and parts[0] == "pg_catalog":
        parts = parts[1:]
    mods: list[int] = []
    for m in tn.get("typmods") or ():
        ival = m.get("A_Const", {}).get("ival")
        if isinstance(ival, dict):
            mods.append(int(ival.get("ival", 0)))
        else:
            mods = []
            break
    return ".".join(parts), tuple(mods), bool(tn.get("arrayBounds"))


@dataclass
class Column:
    """What the replay knows of a column: its type and whether it is NOT NULL."""

    type: tuple[str, tuple[int, ...], bool]
    not_null: bool = False


@dataclass
class TableInfo:
    """What the replay knows of a table: its columns so far."""

    columns: dict[str, Column] = field(default_factory=dict)
    known: bool = True
    """False for a table seen only through ALTERs (its columns are partly unknown)."""


@dataclass
class Replay:
    """The catalog as the migrations so far leave it (enough for the rules)."""

    tables: dict[Rel, TableInfo] = field(default_factory=dict)
    indexes: dict[Rel, Rel] = field(default_factory=dict)
    enums: dict[Rel, tuple[str, ...]] = field(default_factory=dict)
    volatile_functions: set[Rel] = field(default_factory=set)
    not_null_checks: dict[tuple[Rel, str], tuple[Rel, str, bool]] = field(default_factory=dict)
    """(table, constraint) -> (table, column, validated) of ``CHECK (col IS NOT NULL)``."""
    routines: Routines = field(default_factory=Routines)
    """Functions and procedures with their bodies (checked where they are called)."""
    # per file
    file: str = ""
    layout: str = "plain"
    tx_mode: str = "none"
    new_tables: set[Rel] = field(default_factory=set)
    retired_enums: dict[Rel, tuple[str, ...]] = field(default_factory=dict)
    lock_timeout: bool = False
    lock_timeout_reported: bool = False
    timezone_utc: bool = False
    search_path: tuple[str, ...] = ("public",)
    in_block: bool = False
    carried_over: dict[tuple[Rel, str], str] = field(default_factory=dict)
    """(table, column) -> the column an UPDATE in this file copied its data into."""
    not_valid: dict[tuple[Rel, str], int] = field(default_factory=dict)
    """(table, constraint) added NOT VALID -> the transaction it was added in."""
    # transactions
    _tx_counter: int = 0
    _file_tx: int | None = None
    _block_tx: int | None = None
    _do_tx: int | None = None
    _step_tx: dict[int, int] = field(default_factory=dict)

    def start_file(self, file: str, tx_mode: str = "none", layout: str = "plain") -> None:
        """A new file begins: its name, how it runs (transaction mode) and its migration layout."""
        self.file = file
        self.layout = layout
        self.tx_mode = tx_mode
        self.new_tables = set()
        self.retired_enums = {}
        self.lock_timeout = False
        self.lock_timeout_reported = False
        self.timezone_utc = False
        self.search_path = ("public",)
        self.in_block = False
        self.carried_over = {}
        self.not_valid = {}
        self._file_tx = None
        self._block_tx = None
        self._do_tx = None
        self._step_tx = {}

    def _new_tx(self) -> int:
        self._tx_counter += 1
        return self._tx_counter

    def call_tx(self, stmt: Statement) -> int:
        """The transaction a function called by ``stmt`` runs in (its caller's; a
        statement run on its own is its own transaction)."""
        return stmt.tx if stmt.tx is not None else self._new_tx()

    def begin_statements(self, statements: list[Statement], markers: bool = False) -> None:
        """Decide the file-level transaction (``file``; ``implicit`` with several
        statements) from the file's statements (all of them, or for a large file the
        first two); ``markers``: the file has ``-- pgwarden:step`` markers."""
        top = [s for s in statements if s.origin is None]
        if self.tx_mode == "file" and self.layout == "flyway":
            # Flyway runs a migration of only non-transactional statements outside one
            work = [s for s in top if s.kind != "VariableSetStmt"]
            if work and all(non_transactional(s) for s in work):
                return
        if self.tx_mode == "file" or (self.tx_mode == "implicit" and len(top) > 1):
            self._file_tx = self._new_tx()
        if self.tx_mode == "auto":
            self.tx_mode = "steps" if markers else "none"

    def assign_tx(self, stmt: Statement) -> None:
        """Which transaction ``stmt`` runs in (None: on its own, autocommit)."""
        tx: int | None = None
        if self._file_tx is not None:
            tx = self._file_tx
        elif self._block_tx is not None:
            tx = self._block_tx
        elif self.tx_mode == "steps" and stmt.step >= 0 and stmt.step_atomic:
            tx = self._step_tx.get(stmt.step)
            if tx is None:
                tx = self._step_tx[stmt.step] = self._new_tx()
        if stmt.origin is None and stmt.kind == "DoStmt":
            # a DO block is one statement: its body runs in one transaction
            self._do_tx = tx if tx is not None else self._new_tx()
        elif tx is None and stmt.origin == "do":
            tx = self._do_tx if self._do_tx is not None else self._new_tx()
        stmt.tx = tx

    def transaction_kind(self, stmt: Statement) -> str:
        """How ``stmt`` came to be in a transaction (for messages)."""
        if stmt.origin == "do":
            return "a DO block"
        if stmt.origin == "call":
            return "a function or procedure body (it runs in its caller's transaction)"
        if self._block_tx is not None and stmt.tx == self._block_tx:
            return "a BEGIN ... COMMIT block"
        if self._file_tx is not None:
            return {
                "prisma": "a Prisma migration of several statements (run as one transaction)",
                "golang-migrate": "a golang-migrate file of several statements (one transaction)",
                "diesel": "a Diesel migration (run in a transaction)",
                "flyway": "a Flyway migration (run in a transaction)",
                "dbmate": "a dbmate migration (run in a transaction)",
            }.get(self.layout, "a file that runs as one transaction")
        return "an atomic=true step"

    # ----------------------------------------------------------------- names

    def qualify(self, rel: Tree | None) -> Rel | None:
        """(schema, name) of a RangeVar, resolving an unqualified name on search_path."""
        if not rel:
            return None
        name = rel.get("relname")
        if not name:
            return None
        schema = rel.get("schemaname")
        if schema:
            return (schema, name)
        return self.resolve(name, self.tables)

    def resolve(self, name: str, known: Any) -> Rel:
        """A bare name qualified by the search path: the first schema where ``known`` has it,
        else the first schema of the path."""
        path = self.search_path
        if len(path) == 1:
            return (path[0], name)
        for schema in path:
            if (schema, name) in known:
                return (schema, name)
        return (self.search_path[0] if self.search_path else "public", name)

    def qualify_names(self, parts: list[str], known: Any) -> Rel:
        """A possibly qualified name list (``[schema,] name``) as a relation."""
        if len(parts) >= 2:
            return (parts[-2], parts[-1])
        return self.resolve(parts[-1] if parts else "", known)

    def existing(self, table: Rel | None) -> bool:
        """True when ``table`` may hold rows: not created (and still empty) in this file."""
        return table is not None and table not in self.new_tables

    def column(self, table: Rel, name: str) -> Column | None:
        """What is known of a column of a table (None: unknown)."""
        info = self.tables.get(table)
        return info.columns.get(name) if info else None

    def proven_not_null(self, table: Rel, column: str) -> bool:
        """A valid CHECK (col IS NOT NULL) proves the column has no NULLs (SET NOT NULL is then
        instant)."""
        return any(
            t == table and c == column and valid for t, c, valid in self.not_null_checks.values()
        )

    def index_table(self, parts: list[str]) -> Rel | None:
        """The table an index belongs to (None: an index the replay has not seen)."""
        return self.indexes.get(self.qualify_names(parts, self.indexes))

    # ----------------------------------------------------------------- replay

    def apply(self, stmt: Statement) -> None:
        """Replay a statement's effect on the known schema (tables, columns, indexes, functions)."""
        handler = _APPLY.get(stmt.kind)
        if handler is not None and stmt.tree is not None:
            handler(self, stmt.tree, stmt)

    def _create(self, node: Tree, stmt: Statement) -> None:
        rel = self.qualify_new(node.get("relation"))
        if rel is None:
            return
        info = TableInfo()
        for elt in node.get("tableElts") or ():
            col = elt.get("ColumnDef")
            if col is None:
                continue
            nn = bool(col.get("is_not_null")) or any(
                c.get("Constraint", {}).get("contype") in ("CONSTR_NOTNULL", "CONSTR_PRIMARY")
                for c in col.get("constraints") or ()
            )
            info.columns[col.get("colname", "")] = Column(type_name(col.get("typeName")), nn)
        self.tables[rel] = info
        self.new_tables.add(rel)

    def qualify_new(self, rel: Tree | None) -> Rel | None:
        """A table being created: unqualified names go to the first search_path schema."""
        if not rel or not rel.get("relname"):
            return None
        schema = rel.get("schemaname") or (self.search_path[0] if self.search_path else "public")
        return (schema, rel["relname"])

    def _create_as(self, node: Tree, stmt: Statement) -> None:
        if node.get("objtype") not in (None, "OBJECT_TABLE"):
            return
        rel = self.qualify_new((node.get("into") or {}).get("rel"))
        if rel is not None:
            self.tables[rel] = TableInfo(known=False)
            self.new_tables.add(rel)

    def _select(self, node: Tree, stmt: Statement) -> None:
        into = node.get("intoClause")
        if into:  # SELECT ... INTO t: a new table
            rel = self.qualify_new(into.get("rel"))
            if rel is not None:
                self.tables[rel] = TableInfo(known=False)
                self.new_tables.add(rel)
        if "set_config" in stmt.text:
            for kind, sub in walk(node):
                if kind == "FuncCall" and _is_set_config(sub, "lock_timeout"):
                    self.lock_timeout = True
        self._writes(node)

    def _writes(self, node: Tree) -> None:
        """Tables a data-modifying CTE of the statement writes rows to."""
        with_clause = node.get("withClause")
        if not with_clause:
            return
        for kind, sub in walk(with_clause):
            if kind in ("InsertStmt", "MergeStmt"):
                rel = self.qualify(sub.get("relation"))
                if rel is not None:
                    self.new_tables.discard(rel)

    def _insert(self, node: Tree, stmt: Statement) -> None:
        rel = self.qualify(node.get("relation"))
        if rel is not None:
            self.new_tables.discard(rel)
        self._writes(node)

    def _copy(self, node: Tree, stmt: Statement) -> None:
        if node.get("is_from"):
            rel = self.qualify(node.get("relation"))
            if rel is not None:
                self.new_tables.discard(rel)

    def _update(self, node: Tree, stmt: Statement) -> None:
        table = self.qualify(node.get("relation"))
        if table is None:
            return
        for target in node.get("targetList") or ():
            res = target.get("ResTarget", {})
            for kind, ref in walk(res.get("val")):
                if kind == "ColumnRef":
                    source = last(ref.get("fields"))
                    if source and source != res.get("name"):
                        self.carried_over[(table, source)] = res.get("name", "")
        self._writes(node)

    def _index(self, node: Tree, stmt: Statement) -> None:
        table = self.qualify(node.get("relation"))
        name = node.get("idxname")
        if table is not None and name:
            self.indexes[(table[0], name)] = table

    def _drop(self, node: Tree, stmt: Statement) -> None:
        kind = node.get("removeType")
        for obj in node.get("objects") or ():
            parts = object_names(obj)
            if not parts:
                continue
            if kind == "OBJECT_TABLE":
                rel = self.qualify_names(parts, self.tables)
                self.tables.pop(rel, None)
                self.new_tables.discard(rel)
            elif kind == "OBJECT_INDEX":
                self.indexes.pop(self.qualify_names(parts, self.indexes), None)
            elif kind == "OBJECT_TYPE":
                rel = self.qualify_names(parts, self.enums)
                if rel in self.enums:
                    self.retired_enums[rel] = self.enums.pop(rel)
            elif kind in ("OBJECT_FUNCTION", "OBJECT_PROCEDURE", "OBJECT_ROUTINE"):
                self.volatile_functions.discard(self.qualify_names(parts, self.volatile_functions))
                rel = self.qualify_names(parts, self.routines.by_name)
                args = obj.get("ObjectWithArgs", {})
                nargs = None if args.get("args_unspecified") else len(args.get("objargs") or ())
                self.routines.drop(rel, nargs)

    def _rename(self, node: Tree, stmt: Statement) -> None:
        kind = node.get("renameType")
        new = node.get("newname", "")
        if kind == "OBJECT_TABLE":
            old = self.qualify(node.get("relation"))
            if old is None:
                return
            rel = (old[0], new)
            self.tables[rel] = self.tables.pop(old, TableInfo(known=False))
            if old in self.new_tables:
                self.new_tables.discard(old)
                self.new_tables.add(rel)
        elif kind == "OBJECT_COLUMN":
            table = self.qualify(node.get("relation"))
            info = self.tables.get(table) if table else None
            if info and node.get("subname") in info.columns:
                info.columns[new] = info.columns.pop(node["subname"])
        elif kind == "OBJECT_TYPE":
            old = self.qualify_names(object_names(node.get("object")), self.enums)
            if old in self.enums:
                values = self.enums.pop(old)
                self.enums[(old[0], new)] = values
                self.retired_enums.setdefault(old, values)
        elif kind in ("OBJECT_FUNCTION", "OBJECT_PROCEDURE", "OBJECT_ROUTINE"):
            obj = node.get("object")
            args = obj.get("ObjectWithArgs", {}) if isinstance(obj, dict) else {}
            nargs = None if args.get("args_unspecified") else len(args.get("objargs") or ())
            rel = self.qualify_names(object_names(obj), self.routines.by_name)
            self.routines.rename(rel, nargs, new)
        elif kind == "OBJECT_TABCONSTRAINT":
            table = self.qualify(node.get("relation"))
            if table and (table, node.get("subname", "")) in self.not_null_checks:
                self.not_null_checks[(table, new)] = self.not_null_checks.pop(
                    (table, node["subname"])
                )

    def _create_enum(self, node: Tree, stmt: Statement) -> None:
        rel = self.qualify_names(names(node.get("typeName")), self.enums)
        if len(names(node.get("typeName"))) < 2:
            rel = (self.search_path[0] if self.search_path else "public", rel[1])
        self.enums[rel] = tuple(sval(v) for v in node.get("vals") or ())

    def _alter_enum(self, node: Tree, stmt: Statement) -> None:
        value = node.get("newVal")
        if not value:
            return
        rel = self.qualify_names(names(node.get("typeName")), self.enums)
        values = list(self.enums.get(rel, ()))
        neighbor = node.get("newValNeighbor")
        if neighbor and neighbor in values:
            values.insert(values.index(neighbor) + (1 if node.get("newValIsAfter") else 0), value)
        else:
            values.append(value)
        self.enums[rel] = tuple(values)

    def _create_function(self, node: Tree, stmt: Statement) -> None:
        volatility = "volatile"
        for opt in node.get("options") or ():
            elem = opt.get("DefElem", {})
            if elem.get("defname") == "volatility":
                volatility = sval(elem.get("arg")) or volatility
        parts = names(node.get("funcname"))
        rel = (parts[-2], parts[-1]) if len(parts) > 1 else (self.search_path[0], parts[-1])
        if volatility == "volatile":
            self.volatile_functions.add(rel)
        else:
            self.volatile_functions.discard(rel)
        self.routines.define(rel, node, stmt.text, stmt.file, stmt.line)

    def _set(self, node: Tree, stmt: Statement) -> None:
        name = node.get("name")
        kind = node.get("kind")
        if name == "lock_timeout":
            self.lock_timeout = kind != "VAR_RESET"
        elif name == "timezone":
            args = node.get("args") or ()
            value = _const_text(args[0]) if args else None
            self.timezone_utc = value is not None and value.upper() in (
                "UTC",
                "GMT",
                "ETC/UTC",
                "Z",
                "0",
            )
        elif name == "search_path":
            path = [_const_text(a) for a in node.get("args") or ()]
            self.search_path = tuple(p for p in path if p and p != "$user") or ("public",)

    def _transaction(self, node: Tree, stmt: Statement) -> None:
        kind = node.get("kind")
        if kind in ("TRANS_STMT_BEGIN", "TRANS_STMT_START"):
            self.in_block = True
            if self._file_tx is None:
                self._block_tx = self._new_tx()
        elif kind in ("TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK"):
            self.in_block = False
            self._block_tx = None

    def _alter(self, node: Tree, stmt: Statement) -> None:
        if node.get("objtype") not in (None, "OBJECT_TABLE"):
            return
        table = self.qualify(node.get("relation"))
        if table is None:
            return
        info = self.tables.setdefault(table, TableInfo(known=False))
        for cmd in node.get("cmds") or ():
            c = cmd.get("AlterTableCmd", {})
            st = c.get("subtype")
            definition = c.get("def") or {}
            if st == "AT_AddConstraint":
                con = definition.get("Constraint", {})
                column = not_null_check_column(con)
                name = con.get("conname")
                if column is not None and name:
                    self.not_null_checks[(table, name)] = (
                        table,
                        column,
                        not con.get("skip_validation"),
                    )
                if con.get("skip_validation") and name:
                    self.not_valid[(table, name)] = stmt.tx if stmt.tx is not None else -1
            elif st == "AT_ValidateConstraint":
                key = (table, c.get("name", ""))
                if key in self.not_null_checks:
                    t, col, _ = self.not_null_checks[key]
                    self.not_null_checks[key] = (t, col, True)
            elif st == "AT_DropConstraint":
                self.not_null_checks.pop((table, c.get("name", "")), None)
            elif st == "AT_AddColumn":
                col = definition.get("ColumnDef", {})
                info.columns[col.get("colname", "")] = Column(type_name(col.get("typeName")))
            elif st == "AT_DropColumn":
                info.columns.pop(c.get("name", ""), None)
                for key, (_, column, _) in list(self.not_null_checks.items()):
                    if key[0] == table and column == c.get("name"):
                        del self.not_null_checks[key]
            elif st == "AT_AlterColumnType":
                col = definition.get("ColumnDef", {})
                existing = info.columns.get(c.get("name", ""))
                new_type = type_name(col.get("typeName"))
                if existing is not None:
                    existing.type = new_type
                elif info.known:
                    info.columns[c.get("name", "")] = Column(new_type)


def non_transactional(stmt: Statement) -> bool:
    """Postgres refuses to run the statement inside a transaction block."""
    node = stmt.tree or {}
    kind = stmt.kind
    if kind in ("IndexStmt", "DropStmt") and node.get("concurrent"):
        return True
    if kind == "ReindexStmt":
        if node.get("kind") in ("REINDEX_OBJECT_DATABASE", "REINDEX_OBJECT_SYSTEM"):
            return True
        return any(
            p.get("DefElem", {}).get("defname") == "concurrently" for p in node.get("params") or ()
        )
    if kind == "AlterTableStmt":
        return any(
            (c.get("AlterTableCmd", {}).get("def") or {}).get("PartitionCmd", {}).get("concurrent")
            for c in node.get("cmds") or ()
        )
    if kind == "VacuumStmt":
        return bool(node.get("is_vacuumcmd"))  # ANALYZE runs in a transaction, VACUUM not
    return kind in (
        "CreatedbStmt",
        "DropdbStmt",
        "AlterSystemStmt",
        "CreateTableSpaceStmt",
        "DropTableSpaceStmt",
    )


def object_names(obj: Any) -> list[str]:
    """The name parts of a DropStmt/RenameStmt object (a List, a TypeName, a String)."""
    if isinstance(obj, dict):
        if "List" in obj:
            return names(obj["List"].get("items"))
        if "TypeName" in obj:
            return names(obj["TypeName"].get("names"))
        if "String" in obj:
            return [sval(obj)]
        if "ObjectWithArgs" in obj:
            return names(obj["ObjectWithArgs"].get("objname"))
    return []


def _const_text(node: Any) -> str | None:
    const = node.get("A_Const", {}) if isinstance(node, dict) else {}
    if "sval" in const:
        return str(const["sval"].get("sval", ""))
    if "ival" in const:
        return str(const["ival"].get("ival", 0))
    return None


def _is_set_config(call: Tree, setting: str) -> bool:
    if last(call.get("funcname")) != "set_config":
        return False
    args: list[Any] = call.get("args") or []
    return bool(args) and _const_text(args[0]) == setting


def not_null_check_column(con: Tree) -> str | None:
    """``CHECK (col IS NOT NULL)``: the column it proves, which lets SET NOT NULL skip its scan."""
    if con.get("contype") != "CONSTR_CHECK":
        return None
    test = (con.get("raw_expr") or {}).get("NullTest")
    if not test or test.get("nulltesttype") != "IS_NOT_NULL":
        return None
    ref = (test.get("arg") or {}).get("ColumnRef")
    return last(ref.get("fields")) if ref else None


_APPLY = {
    "CreateStmt": Replay._create,
    "CreateTableAsStmt": Replay._create_as,
    "SelectStmt": Replay._select,
    "InsertStmt": Replay._insert,
    "CopyStmt": Replay._copy,
    "UpdateStmt": Replay._update,
    "DeleteStmt": lambda self, node, stmt: self._writes(node),
    "MergeStmt": Replay._insert,
    "IndexStmt": Replay._index,
    "DropStmt": Replay._drop,
    "RenameStmt": Replay._rename,
    "CreateEnumStmt": Replay._create_enum,
    "AlterEnumStmt": Replay._alter_enum,
    "CreateFunctionStmt": Replay._create_function,
    "VariableSetStmt": Replay._set,
    "TransactionStmt": Replay._transaction,
    "AlterTableStmt": Replay._alter,
}
