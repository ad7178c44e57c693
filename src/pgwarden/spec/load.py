"""Load spec TOML (docs/spec.md) into the schema model.

Reading happens in two passes. The loader turns each TOML value into model
objects, expanding sugar (column ``primary_key``/``unique``/``references``,
``tenant``, ``soft_delete``) and filling conventional names; it reports shape
problems (unknown keys, wrong value types, unreadable types or expressions).
Then :func:`pgwarden.spec.validate.validate_schema` checks the assembled model
(references, types, names). Every problem from both passes is raised at once in
one :class:`~pgwarden.errors.SpecError`.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, TypeVar

from psycopg import sql

from pgwarden.errors import Problem, SpecError
from pgwarden.spec import names
from pgwarden.spec.exprs import ExprSyntaxError, LiteralError, column_refs, literal_sql, name_hint
from pgwarden.spec.exprs import normalize_expr as _normalize
from pgwarden.spec.locate import LineIndex
from pgwarden.spec.model import (
    FK_ACTIONS,
    INDEX_METHODS,
    POLICY_COMMANDS,
    Billing,
    CheckConstraint,
    Column,
    ColumnType,
    Enum,
    FkAction,
    ForeignKey,
    IdentityKind,
    Index,
    IndexElement,
    IndexMethod,
    Policy,
    PolicyCommand,
    PrimaryKey,
    Schema,
    Source,
    Suppression,
    Table,
    UniqueConstraint,
)
from pgwarden.spec.types import TypeSyntaxError, is_numeric, is_textual, parse_type

SpecPath = tuple[str, ...]
T = TypeVar("T")

TOP_KEYS = ("schema", "enums", "tables")
SCHEMA_KEYS = ("name", "acknowledge_loss")
ENUM_KEYS = ("values", "comment", "renamed_from")
ENUM_VALUE_KEYS = ("name", "renamed_from")
TABLE_KEYS = (
    "comment",
    "columns",
    "primary_key",
    "uniques",
    "foreign_keys",
    "checks",
    "indexes",
    "policies",
    "rls",
    "tenant",
    "soft_delete",
    "owner",
    "owner_table",
    "billing",
    "audit",
    "renamed_from",
    "ignore",
)
COLUMN_KEYS = (
    "type",
    "nullable",
    "default",
    "default_sql",
    "identity",
    "generated",
    "backfill",
    "primary_key",
    "unique",
    "references",
    "maintained",
    "comment",
    "secret",
    "renamed_from",
    "ignore",
)
COLUMN_UNIQUE_KEYS = ("name", "nulls_not_distinct", "all_rows")
REFERENCES_KEYS = (
    "table",
    "column",
    "on_delete",
    "on_update",
    "deferrable",
    "initially_deferred",
    "name",
)
PK_KEYS = ("columns", "name")
UNIQUE_KEYS = (
    "columns",
    "name",
    "nulls_not_distinct",
    "deferrable",
    "initially_deferred",
    "all_rows",
)
FK_KEYS = (
    "columns",
    "references",
    "on_delete",
    "on_update",
    "deferrable",
    "initially_deferred",
    "name",
)
FK_REF_KEYS = ("table", "columns")
CHECK_KEYS = ("name", "expression")
INDEX_KEYS = (
    "columns",
    "name",
    "unique",
    "method",
    "where",
    "include",
    "nulls_not_distinct",
    "all_rows",
)
INDEX_ELEMENT_KEYS = ("column", "expression", "order", "nulls", "opclass")
POLICY_KEYS = ("name", "command", "permissive", "roles", "using", "with_check")
RLS_KEYS = ("enabled", "force")
TENANT_KEYS = ("column", "setting")
BILLING_KEYS = ("active_when",)
IGNORE_KEYS = ("rule", "reason")

IDENTITY_KINDS: tuple[IdentityKind, ...] = ("always", "by default", "serial")
SECRET_KINDS = ("encrypted", "hashed")

# a string default that looks like a call or an SQL keyword: almost surely meant as SQL
_LOOKS_LIKE_SQL = re.compile(
    r"^\s*(?:[A-Za-z_][\w.]*\s*\(.*\)|current_timestamp|current_date|current_time|localtimestamp"
    r"|localtime|current_user)\s*$",
    re.IGNORECASE | re.DOTALL,
)
_TOML_LINE = re.compile(r"at line (\d+)")


def load_schema(path: Path | str) -> Schema:
    """Load a spec directory (every ``*.toml``, sorted by name) or one ``.toml`` file."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.toml"))
        if not files:
            raise SpecError(
                [
                    Problem(
                        str(path),
                        "",
                        "no *.toml spec files in this directory",
                        "create one (see docs/spec.md) or pass --schema DIR",
                    )
                ]
            )
    elif path.exists():
        files = [path]
    else:
        raise SpecError(
            [Problem(str(path), "", "no such file or directory", "pass --schema DIR or create it")]
        )
    texts: list[tuple[str, str]] = []
    problems: list[Problem] = []
    for file in files:
        try:
            texts.append((str(file), file.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(str(file), "", f"cannot read: {exc}", "save it as UTF-8 text"))
    if problems:
        raise SpecError(problems)
    return load_texts(texts)


def load_schema_text(text: str, filename: str = "<text>") -> Schema:
    """Load one spec given as text (tests, tools)."""
    return load_texts([(filename, text)])


def load_texts(files: Sequence[tuple[str, str]]) -> Schema:
    """Load several spec texts ``(filename, text)`` merged into one schema."""
    loader = _Loader()
    schema = loader.load(files)
    from pgwarden.spec.validate import validate_schema

    problems = list(loader.problems)
    # an object the loader already complained about was built from partial input:
    # cross-object checks on it would mostly echo the first problem
    shaky = [(p.file, p.path) for p in problems if p.path]
    for problem in validate_schema(schema):
        if not any(file == problem.file and _related(problem.path, path) for file, path in shaky):
            # the model knows the object's line; the text knows the key's
            index = loader.indexes.get(problem.file)
            line = index.line_of(problem.path) if index else None
            problems.append(replace(problem, line=line or problem.line))
    if problems:
        raise SpecError(_sorted(problems))
    return schema


def _related(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(dict.fromkeys(problems), key=lambda p: (p.file, p.line or 0))


def dotted(path: SpecPath) -> str:
    return ".".join(path)


@dataclass
class _File:
    name: str
    text: str
    index: LineIndex


@dataclass
class _TableDraft:
    """A table while it is being read: FK sugar is resolved once every PK is known."""

    file: _File
    path: SpecPath
    table: Table
    fk_specs: list[_FkSpec] = field(default_factory=list)


@dataclass
class _FkSpec:
    path: SpecPath
    name: str | None
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...] | None
    on_delete: FkAction
    on_update: FkAction
    on_delete_explicit: bool
    deferrable: bool
    initially_deferred: bool


class _Loader:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.enums: dict[str, Enum] = {}
        self.indexes: dict[str, LineIndex] = {}

    # ------------------------------------------------------------------ reporting

    def problem(self, f: _File, path: SpecPath, message: str, hint: str | None = None) -> None:
        self.problems.append(Problem(f.name, dotted(path), message, hint, f.index.line_of(path)))

    def source(self, f: _File, path: SpecPath) -> Source:
        return Source(f.name, dotted(path), f.index.line_of(path))

    # ------------------------------------------------------------------ typed getters

    def mapping(
        self, f: _File, value: object, path: SpecPath, allowed: Collection[str]
    ) -> dict[str, Any] | None:
        """``value`` as a TOML table with only ``allowed`` keys (unknown keys reported)."""
        if not isinstance(value, dict):
            self.problem(
                f, path, f"must be a table, got {_kind(value)}", "see docs/spec.md for its keys"
            )
            return None
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), list(allowed), n=1, cutoff=0.6)
                hint = (
                    f"did you mean {close[0]!r}?"
                    if close
                    else f"allowed keys: {', '.join(sorted(allowed))}"
                )
                self.problem(f, (*path, str(key)), f"unknown key {key!r}", hint)
        return value

    def string(
        self, f: _File, raw: dict[str, Any], key: str, path: SpecPath, required: bool = False
    ) -> str | None:
        value = raw.get(key)
        if value is None:
            if required:
                self.problem(f, path, f"missing required key {key!r}", f'add {key} = "..."')
            return None
        if not isinstance(value, str):
            self.problem(f, (*path, key), f"must be a string, got {_kind(value)}", "quote it")
            return None
        if not value or "\x00" in value:
            self.problem(
                f,
                (*path, key),
                "must be a non-empty string without NUL characters",
                f"remove {key} or give it a value",
            )
            return None
        return value

    def boolean(self, f: _File, raw: dict[str, Any], key: str, path: SpecPath) -> bool:
        value = raw.get(key, False)
        if not isinstance(value, bool):
            self.problem(
                f, (*path, key), f"must be true or false, got {_kind(value)}", f"{key} = true"
            )
            return False
        return value

    def strings(
        self, f: _File, raw: dict[str, Any], key: str, path: SpecPath, required: bool = False
    ) -> tuple[str, ...] | None:
        value = raw.get(key)
        if value is None:
            if required:
                self.problem(f, path, f"missing required key {key!r}", f'add {key} = ["..."]')
            return None
        if (
            not isinstance(value, list)
            or not all(isinstance(v, str) and v and "\x00" not in v for v in value)
            or (required and not value)
        ):
            self.problem(
                f,
                (*path, key),
                "must be a non-empty list of non-empty strings",
                f'{key} = ["a", "b"]',
            )
            return None
        return tuple(value)

    def choice(
        self,
        f: _File,
        raw: dict[str, Any],
        key: str,
        path: SpecPath,
        choices: Sequence[T],
        default: T,
    ) -> T:
        value = raw.get(key)
        if value is None:
            return default
        # "by_default" / "SET NULL" / "set  null" all mean the same option
        normalized = (
            " ".join(value.lower().replace("_", " ").split()) if isinstance(value, str) else value
        )
        for option in choices:
            if normalized == option or value == option:
                return option
        self.problem(
            f,
            (*path, key),
            f"{value!r} is not one of {', '.join(repr(c) for c in choices)}",
            _did_you_mean(str(value), [str(c) for c in choices])
            or f"use one of {', '.join(repr(c) for c in choices)}",
        )
        return default

    def expr(
        self, f: _File, raw: dict[str, Any], key: str, path: SpecPath, required: bool = False
    ) -> str | None:
        text = self.string(f, raw, key, path, required)
        if text is None:
            return None
        return self.normalize(f, (*path, key), text)

    def normalize(self, f: _File, path: SpecPath, text: str) -> str | None:
        try:
            return _normalize(text)
        except ExprSyntaxError as exc:
            self.problem(f, path, f"{text!r}: {exc}", 'write one SQL expression, e.g. "price > 0"')
            return None

    def suppressions(
        self, f: _File, raw: dict[str, Any], path: SpecPath
    ) -> tuple[Suppression, ...]:
        value = raw.get("ignore")
        if value is None:
            return ()
        if not isinstance(value, list):
            self.problem(
                f,
                (*path, "ignore"),
                "must be a list of { rule, reason }",
                'ignore = [{ rule = "...", reason = "why this is fine" }]',
            )
            return ()
        out: list[Suppression] = []
        for i, item in enumerate(value):
            ipath = (*path, f"ignore[{i}]")
            entry = self.mapping(f, item, ipath, IGNORE_KEYS)
            if entry is None:
                continue
            rule = self.string(f, entry, "rule", ipath, required=True)
            reason = self.string(f, entry, "reason", ipath, required=True)
            if rule and reason:
                out.append(Suppression(rule, reason))
        return tuple(out)

    def entries(
        self, f: _File, raw: dict[str, Any], key: str, path: SpecPath
    ) -> list[tuple[SpecPath, Any]]:
        """A list-of-tables key (``[[tables.X.indexes]]``) as (path, item) pairs."""
        value = raw.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(
                f,
                (*path, key),
                f"must be a list of tables, got {_kind(value)}",
                f"use [[...{key}]]",
            )
            return []
        return [((*path, f"{key}[{i}]"), item) for i, item in enumerate(value)]

    # ------------------------------------------------------------------ files

    def load(self, files: Sequence[tuple[str, str]]) -> Schema:
        enum_raw: dict[str, tuple[_File, Any]] = {}
        table_raw: dict[str, tuple[_File, Any]] = {}
        schema_name: tuple[_File, str] | None = None
        acknowledged: list[str] = []
        for name, text in files:
            f = _File(name, text, LineIndex(text))
            self.indexes[name] = f.index
            try:
                doc = tomllib.loads(text)
            except tomllib.TOMLDecodeError as exc:
                match = _TOML_LINE.search(str(exc))
                self.problems.append(
                    Problem(
                        name,
                        "",
                        f"TOML syntax error: {exc}",
                        "fix the TOML syntax (quote strings, [table] headers, key = value)",
                        int(match.group(1)) if match else None,
                    )
                )
                continue
            except (ValueError, RecursionError) as exc:
                self.problems.append(Problem(name, "", f"cannot read TOML: {exc}"))
                continue
            self.mapping(f, doc, (), TOP_KEYS)
            if "schema" in doc:
                block = self.mapping(f, doc["schema"], ("schema",), SCHEMA_KEYS)
                value = self.string(f, block, "name", ("schema",)) if block else None
                if block:
                    acks = self.strings(f, block, "acknowledge_loss", ("schema",))
                    acknowledged.extend(a for a in acks or () if a not in acknowledged)
                if value:
                    if schema_name and schema_name[1] != value:
                        self.problem(
                            f,
                            ("schema", "name"),
                            f"schema name {value!r} differs from {schema_name[1]!r} "
                            f"set in {schema_name[0].name}",
                            "set [schema] name in one file only",
                        )
                    else:
                        schema_name = (f, value)
            for key, store in (("enums", enum_raw), ("tables", table_raw)):
                if key not in doc:
                    continue
                group = doc[key]
                if not isinstance(group, dict):
                    self.problem(f, (key,), f"must be a table of {key}, got {_kind(group)}")
                    continue
                for obj_name, raw in group.items():
                    if obj_name in store:
                        first = store[obj_name][0]
                        self.problem(
                            f,
                            (key, obj_name),
                            f"{key[:-1]} {obj_name!r} is defined in both {first.name} and {f.name}",
                            "keep one definition",
                        )
                        continue
                    store[obj_name] = (f, raw)
        for enum_name, (f, raw) in enum_raw.items():
            enum = self.enum(f, enum_name, raw)
            if enum:
                self.enums[enum_name] = enum
        drafts = [
            d for table_name, (f, raw) in table_raw.items() if (d := self.table(f, table_name, raw))
        ]
        pks = {d.table.name: d.table.primary_key for d in drafts}
        tables = [self.resolve_fks(d, pks) for d in drafts]
        return Schema(
            tables=tuple(tables),
            enums=tuple(self.enums.values()),
            name=schema_name[1] if schema_name else "public",
            sources=tuple(name for name, _ in files),
            acknowledge_loss=tuple(acknowledged),
        ).normalized()

    # ------------------------------------------------------------------ enums

    def enum(self, f: _File, name: str, value: object) -> Enum | None:
        path = ("enums", name)
        raw = self.mapping(f, value, path, ENUM_KEYS)
        if raw is None:
            return None
        values_raw = raw.get("values")
        values: list[str] = []
        renames: list[tuple[str, str]] = []
        if not isinstance(values_raw, list) or not values_raw:
            self.problem(f, path, "needs a non-empty list `values`", 'values = ["FREE", "PRO"]')
        else:
            for i, item in enumerate(values_raw):
                vpath = (*path, f"values[{i}]")
                if isinstance(item, str):
                    label: str | None = item
                else:
                    entry = self.mapping(f, item, vpath, ENUM_VALUE_KEYS)
                    if entry is None:
                        continue
                    label = self.string(f, entry, "name", vpath, required=True)
                    old = self.string(f, entry, "renamed_from", vpath)
                    if label and old:
                        renames.append((old, label))
                if label is None:
                    continue
                if not label or "\x00" in label:
                    self.problem(f, vpath, "an enum value must be a non-empty string")
                elif label in values:
                    self.problem(f, vpath, f"value {label!r} is listed twice", "remove one")
                else:
                    values.append(label)
        return Enum(
            name=name,
            values=tuple(values),
            comment=self.string(f, raw, "comment", path),
            renamed_from=self.string(f, raw, "renamed_from", path),
            value_renames=tuple(renames),
            source=self.source(f, path),
        )

    # ------------------------------------------------------------------ tables

    def table(self, f: _File, name: str, value: object) -> _TableDraft | None:
        path = ("tables", name)
        raw = self.mapping(f, value, path, TABLE_KEYS)
        if raw is None:
            return None
        soft_delete = self.string(f, raw, "soft_delete", path)
        sd_where = _normalize(sql_ident(soft_delete) + " IS NULL") if soft_delete else None
        draft = _TableDraft(f, path, Table(name=name, columns=()))

        columns: list[Column] = []
        pk: PrimaryKey | None = None
        uniques: list[UniqueConstraint] = []
        indexes: list[Index] = []

        def add_unique(
            upath: SpecPath,
            explicit: str | None,
            cols: tuple[str, ...],
            nnd: bool,
            deferrable: bool,
            deferred: bool,
            all_rows: bool,
        ) -> None:
            uname = explicit or names.unique(name, cols)
            src = self.source(f, upath)
            if sd_where and not all_rows:
                if deferrable:
                    self.problem(
                        f,
                        upath,
                        "a deferrable unique rule cannot become a partial unique index "
                        f"(the table is soft-deleted by {soft_delete!r})",
                        "set all_rows = true to keep a full constraint, or drop deferrable",
                    )
                    return
                indexes.append(
                    Index(
                        name=uname,
                        elements=tuple(IndexElement(column=c) for c in cols),
                        unique=True,
                        where=sd_where,
                        nulls_not_distinct=nnd,
                        soft_delete_partial=True,
                        source=src,
                    )
                )
            else:
                uniques.append(UniqueConstraint(uname, cols, nnd, deferrable, deferred, source=src))

        cols_raw = raw.get("columns")
        if cols_raw is None:
            self.problem(
                f,
                path,
                "has no columns",
                f'add [tables.{name}.columns] with id = {{ type = "uuid" }}',
            )
        elif not isinstance(cols_raw, dict):
            self.problem(
                f, (*path, "columns"), f"must be a table of columns, got {_kind(cols_raw)}"
            )
        else:
            for col_name, col_value in cols_raw.items():
                cpath = (*path, "columns", col_name)
                col = self.column(f, cpath, col_name, col_value)
                if col is None:
                    continue
                column, craw = col
                columns.append(column)
                if self.boolean(f, craw, "primary_key", cpath):
                    if pk is not None:
                        self.problem(
                            f,
                            cpath,
                            f"a second primary key column (already {', '.join(pk.columns)})",
                            f"declare a composite key once: [tables.{name}] primary_key = "
                            f'["{pk.columns[0]}", "{col_name}"]',
                        )
                    else:
                        pk = PrimaryKey(
                            names.primary_key(name),
                            (col_name,),
                            source=self.source(f, (*cpath, "primary_key")),
                        )
                unique = craw.get("unique")
                if unique is not None:
                    upath: SpecPath = (*cpath, "unique")
                    if isinstance(unique, bool):
                        if unique:
                            add_unique(upath, None, (col_name,), False, False, False, False)
                    else:
                        u = self.mapping(f, unique, upath, COLUMN_UNIQUE_KEYS)
                        if u is not None:
                            add_unique(
                                upath,
                                self.string(f, u, "name", upath),
                                (col_name,),
                                self.boolean(f, u, "nulls_not_distinct", upath),
                                False,
                                False,
                                self.boolean(f, u, "all_rows", upath),
                            )
                ref = craw.get("references")
                if ref is not None:
                    rpath = (*cpath, "references")
                    r = self.mapping(f, ref, rpath, REFERENCES_KEYS)
                    if r is not None:
                        ref_table = self.string(f, r, "table", rpath, required=True)
                        ref_col = self.string(f, r, "column", rpath)
                        if ref_table:
                            draft.fk_specs.append(
                                self.fk_spec(
                                    f,
                                    r,
                                    rpath,
                                    (col_name,),
                                    ref_table,
                                    (ref_col,) if ref_col else None,
                                )
                            )

        if "primary_key" in raw:
            ppath: SpecPath = (*path, "primary_key")
            value_pk = raw["primary_key"]
            pk_cols: tuple[str, ...] | None = None
            pk_name: str | None = None
            if isinstance(value_pk, list):
                pk_cols = self.strings(f, raw, "primary_key", path, required=True)
            else:
                p = self.mapping(f, value_pk, ppath, PK_KEYS)
                if p is not None:
                    pk_cols = self.strings(f, p, "columns", ppath, required=True)
                    pk_name = self.string(f, p, "name", ppath)
            if pk is not None:
                self.problem(
                    f,
                    ppath,
                    f"primary key declared twice (also on column {pk.columns[0]!r})",
                    "keep either the column's primary_key = true or the table's primary_key",
                )
            elif pk_cols:
                pk = PrimaryKey(
                    pk_name or names.primary_key(name), pk_cols, source=self.source(f, ppath)
                )

        for upath, item in self.entries(f, raw, "uniques", path):
            u = self.mapping(f, item, upath, UNIQUE_KEYS)
            if u is None:
                continue
            ucols = self.strings(f, u, "columns", upath, required=True)
            deferrable = self.boolean(f, u, "deferrable", upath)
            deferred = self.boolean(f, u, "initially_deferred", upath)
            if ucols:
                add_unique(
                    upath,
                    self.string(f, u, "name", upath),
                    ucols,
                    self.boolean(f, u, "nulls_not_distinct", upath),
                    deferrable,
                    deferred,
                    self.boolean(f, u, "all_rows", upath),
                )

        for fpath, item in self.entries(f, raw, "foreign_keys", path):
            fk = self.mapping(f, item, fpath, FK_KEYS)
            if fk is None:
                continue
            fcols = self.strings(f, fk, "columns", fpath, required=True)
            ref = fk.get("references")
            if ref is None:
                self.problem(
                    f,
                    fpath,
                    "missing required key 'references'",
                    'references = { table = "User", columns = ["id"] }',
                )
                continue
            r = self.mapping(f, ref, (*fpath, "references"), FK_REF_KEYS)
            if r is None or fcols is None:
                continue
            ref_table = self.string(f, r, "table", (*fpath, "references"), required=True)
            ref_cols = self.strings(f, r, "columns", (*fpath, "references"))
            if ref_table:
                draft.fk_specs.append(self.fk_spec(f, fk, fpath, fcols, ref_table, ref_cols))

        checks = self.checks(f, raw, path, name)

        for ipath, item in self.entries(f, raw, "indexes", path):
            index = self.index(f, ipath, item, name, sd_where)
            if index is not None:
                indexes.append(index)

        policies: list[Policy] = []
        for ppath, item in self.entries(f, raw, "policies", path):
            policy = self.policy(f, ppath, item)
            if policy is not None:
                policies.append(policy)

        rls_enabled = False
        rls_forced = False
        if "rls" in raw:
            rls = self.mapping(f, raw["rls"], (*path, "rls"), RLS_KEYS)
            if rls is not None:
                rls_enabled = self.boolean(f, rls, "enabled", (*path, "rls"))
                rls_forced = self.boolean(f, rls, "force", (*path, "rls"))
        if "tenant" in raw:
            tpath = (*path, "tenant")
            tenant = self.mapping(f, raw["tenant"], tpath, TENANT_KEYS)
            if tenant is not None:
                tcol = self.string(f, tenant, "column", tpath, required=True)
                setting = self.string(f, tenant, "setting", tpath) or "app.user_id"
                if "rls" in raw and not rls_enabled:
                    self.problem(
                        f,
                        tpath,
                        "tenant needs row-level security, but rls.enabled is false",
                        "remove rls.enabled = false",
                    )
                rls_enabled = True
                tenant_col = next((c for c in columns if c.name == tcol), None)
                if tcol and tenant_col is None:
                    self.problem(
                        f,
                        (*tpath, "column"),
                        f"tenant column {tcol!r} is not a column of {name!r}",
                        _did_you_mean(tcol, [c.name for c in columns]) or "name an existing column",
                    )
                if tcol:
                    expr = tenant_expression(tcol, setting, tenant_col.type if tenant_col else None)
                    policies.append(
                        Policy(
                            name=names.tenant_policy(name),
                            using=expr,
                            with_check=expr,
                            source=self.source(f, tpath),
                        )
                    )

        billing: Billing | None = None
        if "billing" in raw:
            bpath = (*path, "billing")
            b = self.mapping(f, raw["billing"], bpath, BILLING_KEYS)
            if b is not None:
                billing = Billing(self.expr(f, b, "active_when", bpath))

        draft.table = Table(
            name=name,
            columns=tuple(columns),
            primary_key=pk,
            uniques=tuple(uniques),
            checks=tuple(checks),
            indexes=tuple(indexes),
            comment=self.string(f, raw, "comment", path),
            rls_enabled=rls_enabled,
            rls_forced=rls_forced,
            policies=tuple(policies),
            soft_delete=soft_delete,
            owner=self.string(f, raw, "owner", path),
            owner_table=self.boolean(f, raw, "owner_table", path),
            billing=billing,
            audit=self.boolean(f, raw, "audit", path),
            renamed_from=self.string(f, raw, "renamed_from", path),
            ignore=self.suppressions(f, raw, path),
            source=self.source(f, path),
        )
        return draft

    # ------------------------------------------------------------------ columns

    def column(
        self, f: _File, path: SpecPath, name: str, value: object
    ) -> tuple[Column, dict[str, Any]] | None:
        raw = self.mapping(f, value, path, COLUMN_KEYS)
        if raw is None:
            return None
        type_text = self.string(f, raw, "type", path, required=True)
        col_type: ColumnType | None = None
        if type_text is not None:
            try:
                col_type = parse_type(type_text)
            except TypeSyntaxError as exc:
                self.problem(f, (*path, "type"), str(exc), "see the type list in docs/spec.md")
        default: str | None = None
        if "default" in raw:
            default = self.default_literal(f, path, raw["default"], col_type)
            if "default_sql" in raw:
                self.problem(
                    f,
                    path,
                    "both default and default_sql are set",
                    "keep default for a literal value or default_sql for an SQL expression",
                )
        elif "default_sql" in raw:
            default = self.expr(f, raw, "default_sql", path)
        identity = self.choice(f, raw, "identity", path, IDENTITY_KINDS, None)
        maintained: Literal["on_update"] | None = self.choice(
            f, raw, "maintained", path, ("on_update",), None
        )
        column = Column(
            name=name,
            type=col_type or ColumnType("text"),
            nullable=self.boolean(f, raw, "nullable", path),
            default=default,
            identity=identity,
            generated=self.expr(f, raw, "generated", path),
            comment=self.string(f, raw, "comment", path),
            maintained=maintained,
            renamed_from=self.string(f, raw, "renamed_from", path),
            secret=self.choice(f, raw, "secret", path, SECRET_KINDS, None),
            ignore=self.suppressions(f, raw, path),
            backfill=self.expr(f, raw, "backfill", path),
            source=self.source(f, path),
        )
        return column, raw

    def default_literal(
        self, f: _File, path: SpecPath, value: object, col_type: ColumnType | None
    ) -> str | None:
        dpath = (*path, "default")
        if col_type is not None:
            wrong = _literal_mismatch(value, col_type, self.enums)
            if wrong:
                message, hint = wrong
                self.problem(f, dpath, message, hint)
                return None
        try:
            return literal_sql(value)
        except (LiteralError, ExprSyntaxError) as exc:
            self.problem(f, dpath, str(exc), "use default_sql for an SQL expression")
            return None

    # ------------------------------------------------------------------ constraints

    def fk_spec(
        self,
        f: _File,
        raw: dict[str, Any],
        path: SpecPath,
        columns: tuple[str, ...],
        ref_table: str,
        ref_columns: tuple[str, ...] | None,
    ) -> _FkSpec:
        deferrable = self.boolean(f, raw, "deferrable", path)
        return _FkSpec(
            path=path,
            name=self.string(f, raw, "name", path),
            columns=columns,
            ref_table=ref_table,
            ref_columns=ref_columns,
            on_delete=self.choice(f, raw, "on_delete", path, FK_ACTIONS, "no action"),
            on_update=self.choice(f, raw, "on_update", path, FK_ACTIONS, "no action"),
            on_delete_explicit="on_delete" in raw,
            deferrable=deferrable,
            initially_deferred=self.boolean(f, raw, "initially_deferred", path),
        )

    def resolve_fks(self, draft: _TableDraft, pks: dict[str, PrimaryKey | None]) -> Table:
        """Fill FK target columns (default: the referenced table's primary key)."""
        fks: list[ForeignKey] = []
        f = draft.file
        for spec in draft.fk_specs:
            ref_columns = spec.ref_columns
            if ref_columns is None:
                if spec.ref_table not in pks:
                    ref_columns = ()  # validation reports the unknown table
                else:
                    ref_pk = pks[spec.ref_table]
                    if ref_pk is None:
                        self.problem(
                            f,
                            spec.path,
                            f"table {spec.ref_table!r} has no primary key to reference",
                            "name the referenced column(s) explicitly",
                        )
                        continue
                    ref_columns = ref_pk.columns
            fks.append(
                ForeignKey(
                    name=spec.name or names.foreign_key(draft.table.name, spec.columns),
                    columns=spec.columns,
                    ref_table=spec.ref_table,
                    ref_columns=ref_columns,
                    on_delete=spec.on_delete,
                    on_update=spec.on_update,
                    deferrable=spec.deferrable,
                    initially_deferred=spec.initially_deferred,
                    on_delete_explicit=spec.on_delete_explicit,
                    source=self.source(f, spec.path),
                )
            )
        return replace(draft.table, foreign_keys=tuple(fks))

    def checks(
        self, f: _File, raw: dict[str, Any], path: SpecPath, table: str
    ) -> list[CheckConstraint]:
        read: list[tuple[SpecPath, str | None, str]] = []
        for cpath, item in self.entries(f, raw, "checks", path):
            c = self.mapping(f, item, cpath, CHECK_KEYS)
            if c is None:
                continue
            expression = self.expr(f, c, "expression", cpath, required=True)
            if expression is not None:
                read.append((cpath, self.string(f, c, "name", cpath), expression))
        # explicit names first; unnamed checks then take <Table>_<cols>_check, and
        # like Postgres a numbered variant when that is taken (..._check1)
        used = {n for _, n, _ in read if n}
        out: list[CheckConstraint] = []
        for cpath, explicit, expression in read:
            cname = explicit or auto_check_name(table, expression, used)
            used.add(cname)
            out.append(CheckConstraint(cname, expression, source=self.source(f, cpath)))
        return out

    def index(
        self, f: _File, path: SpecPath, item: object, table: str, sd_where: str | None
    ) -> Index | None:
        raw = self.mapping(f, item, path, INDEX_KEYS)
        if raw is None:
            return None
        value = raw.get("columns")
        if not isinstance(value, list) or not value:
            self.problem(
                f,
                path,
                "needs a non-empty list `columns`",
                'columns = ["userId"] or columns = [{ expression = "lower(email)" }]',
            )
            return None
        elements: list[IndexElement] = []
        for i, el in enumerate(value):
            epath = (*path, f"columns[{i}]")
            if isinstance(el, str) and el:
                elements.append(IndexElement(column=el))
                continue
            e = self.mapping(f, el, epath, INDEX_ELEMENT_KEYS)
            if e is None:
                continue
            column = self.string(f, e, "column", epath)
            expression = self.expr(f, e, "expression", epath)
            if (column is None) == (expression is None):
                if "expression" not in e or "column" in e:
                    self.problem(
                        f,
                        epath,
                        "give exactly one of `column` or `expression`",
                        'e.g. { column = "email" } or { expression = "lower(email)" }',
                    )
                continue
            descending = self.choice(f, e, "order", epath, ("asc", "desc"), "asc") == "desc"
            nulls = self.choice(f, e, "nulls", epath, ("first", "last"), None)
            nulls_first: bool | None = None if nulls is None else nulls == "first"
            if nulls_first == descending:  # the direction's default: store as unset
                nulls_first = None
            elements.append(
                IndexElement(
                    column=column,
                    expression=expression,
                    descending=descending,
                    nulls_first=nulls_first,
                    opclass=self.string(f, e, "opclass", epath),
                )
            )
        if len(elements) != len(value):
            return None
        unique = self.boolean(f, raw, "unique", path)
        where = self.expr(f, raw, "where", path)
        partial = False
        if unique and where is None and sd_where and not self.boolean(f, raw, "all_rows", path):
            where, partial = sd_where, True
        method: IndexMethod = self.choice(f, raw, "method", path, INDEX_METHODS, "btree")
        key_words = [e.column or name_hint(e.expression or "") for e in elements]
        return Index(
            name=self.string(f, raw, "name", path) or names.index(table, key_words),
            elements=tuple(elements),
            unique=unique,
            method=method,
            where=where,
            include=self.strings(f, raw, "include", path) or (),
            nulls_not_distinct=self.boolean(f, raw, "nulls_not_distinct", path),
            soft_delete_partial=partial,
            source=self.source(f, path),
        )

    def policy(self, f: _File, path: SpecPath, item: object) -> Policy | None:
        raw = self.mapping(f, item, path, POLICY_KEYS)
        if raw is None:
            return None
        name = self.string(f, raw, "name", path, required=True)
        command: PolicyCommand = self.choice(f, raw, "command", path, POLICY_COMMANDS, "all")
        permissive = raw.get("permissive", True)
        if not isinstance(permissive, bool):
            self.problem(f, (*path, "permissive"), "must be true or false")
            permissive = True
        if name is None:
            return None
        return Policy(
            name=name,
            command=command,
            permissive=permissive,
            roles=self.strings(f, raw, "roles", path) or ("public",),
            using=self.expr(f, raw, "using", path),
            with_check=self.expr(f, raw, "with_check", path),
            source=self.source(f, path),
        )


# ---------------------------------------------------------------------- helpers shared with dump


def sql_ident(name: str) -> str:
    """A double-quoted identifier as text (for building expression text, then parsed)."""
    return sql.Identifier(name).as_string(None)


def tenant_expression(column: str, setting: str, col_type: ColumnType | None) -> str:
    """The ``tenant`` policy predicate: the column equals the session setting.

    The setting is text; a non-text column compares with the setting cast to the
    column's type (``uuid`` tenants), so the policy is valid SQL either way.
    """
    from pgwarden.spec.types import type_sql

    setting_sql = sql.SQL("current_setting({}, true)").format(sql.Literal(setting))
    if col_type is not None and not is_textual(col_type) and col_type.is_builtin:
        setting_sql = sql.SQL("CAST({} AS {})").format(setting_sql, type_sql(col_type))
    text = sql.SQL("{} = {}").format(sql.Identifier(column), setting_sql).as_string(None)
    return _normalize(text)


def auto_check_name(table: str, expression: str, used: Collection[str]) -> str:
    cols = column_refs(expression)
    base = names.check(table, cols)
    if base not in used:
        return base
    n = 1
    while True:
        candidate = names.fit("_".join([table, *cols]), f"_check{n}")
        if candidate not in used:
            return candidate
        n += 1


def _literal_mismatch(
    value: object, col_type: ColumnType, enums: dict[str, Enum]
) -> tuple[str, str] | None:
    """Why a TOML default does not fit the column type, or None."""
    if isinstance(value, list):
        if not col_type.array:
            return (
                f"an array default on a non-array column of type {col_type.spec_text()}",
                f"make the type {col_type.spec_text()}[] or give a single value",
            )
        for item in value:
            wrong = _literal_mismatch(item, col_type.element, enums)
            if wrong:
                return wrong
        return None
    if col_type.array and not isinstance(value, str):
        return (
            f"a single value default on array column of type {col_type.spec_text()}",
            "write a list: default = [...] (or [] for empty)",
        )
    if col_type.array:
        return None
    if isinstance(value, bool):
        if col_type.name != "boolean":
            return (
                f"boolean default on a column of type {col_type.spec_text()}",
                "give a value of the column's type",
            )
        return None
    if isinstance(value, int | float):
        if not is_numeric(col_type):
            return (
                f"numeric default on a column of type {col_type.spec_text()}",
                "quote it as a string or change the column type",
            )
        if isinstance(value, float) and col_type.name in {"smallint", "integer", "bigint"}:
            return (
                f"fractional default {value} on an integer column",
                "give a whole number or make the column numeric",
            )
        return None
    if isinstance(value, str):
        enum = enums.get(col_type.name) if not col_type.is_builtin else None
        if enum is not None and enum.values and value not in enum.values:
            return (
                f"default {value!r} is not a value of enum {enum.name} ({', '.join(enum.values)})",
                _did_you_mean(value, list(enum.values)) or "use one of the enum's values",
            )
        if col_type.is_builtin and not is_textual(col_type) and _LOOKS_LIKE_SQL.match(value):
            return (
                f"default = {value!r} is the string {value!r}, not an SQL call, "
                f"on a {col_type.spec_text()} column",
                f'use default_sql = "{value}"',
            )
    return None


def _did_you_mean(value: str, options: list[str]) -> str | None:
    close = difflib.get_close_matches(value, options, n=1, cutoff=0.5)
    return f"did you mean {close[0]!r}?" if close else None


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__
