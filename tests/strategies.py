"""Hypothesis strategies: random VALID schema models.

``schemas()`` draws a :class:`~pgwarden.spec.model.Schema` that the loader
could have produced (normalized, expressions in ``normalize_expr`` form, names
following ``spec.names``) and that PostgreSQL 15+ accepts as DDL: every index
method is paired with a type it supports, every FK column copies its target's
type, every default fits its column. ``validate_schema`` is the final filter.

``schema_pairs()`` draws ``(a, b)`` where ``b`` is ``a`` after a few
independent edits (add/drop table, column, index, check, FK; change nullability,
default, comment; append an enum value): the planner's convergence input.

Used by: introspect (spec -> SQL -> Postgres -> inspect == spec), planner
(plan(a, b) applied to a converges on b), spec (load(dump(s)) == s).
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import strategies as st

from pgwarden.spec import names, sqltext
from pgwarden.spec.exprs import literal_sql, normalize_expr
from pgwarden.spec.load import IDENTITY_KINDS
from pgwarden.spec.model import (
    DEFAULT_SEQUENCE,
    FK_ACTIONS,
    PARALLEL_MODES,
    CheckConstraint,
    Column,
    ColumnType,
    CompositeAttribute,
    CompositeType,
    Domain,
    Enum,
    ForeignKey,
    Function,
    IdentityKind,
    Index,
    IndexElement,
    Policy,
    PrimaryKey,
    Schema,
    Sequence,
    SequenceOptions,
    Table,
    Trigger,
    TriggerEvent,
    UniqueConstraint,
)
from pgwarden.spec.sequences import canonical, problem
from pgwarden.spec.validate import RESERVED_TYPE_NAMES, validate_schema

# ---------------------------------------------------------------------- names

_NAME_POOL = [
    "User",
    "order items",
    'say "hi"',
    "Ünïcödé",
    "café",
    "naïve Table",
    "Δelta",
    "数据",
    "MixedCase",
    "snake_case",
    "with.dot",
    "a",
    "Zz",
    "emoji😀",
    "a'quote",
]
_NAME_ALPHABET = st.sampled_from(list("abcXYZ_ \"'éß日0129"))


# built once: constructing strategies inside draws dominates the run time
_RAW_NAMES = st.one_of(
    st.sampled_from(_NAME_POOL),
    st.text(_NAME_ALPHABET, min_size=1, max_size=12).filter(lambda s: s.strip() == s),
)


SYSTEM_COLUMNS = frozenset({"tableoid", "xmin", "cmin", "xmax", "cmax", "ctid", "oid"})


def _ok_name(name: str) -> bool:
    return bool(name) and name.strip() == name and len(name.encode()) <= 40


@st.composite
def _distinct_names(
    draw: st.DrawFn, count: int, avoid: frozenset[str] = frozenset(), *, top_level: bool = False
) -> list[str]:
    """``top_level``: names of tables and types, where a dot would read as
    ``namespace.name`` (docs/spec.md); column and constraint names may hold one."""
    out: list[str] = []
    while len(out) < count:
        name = draw(_RAW_NAMES)
        if not _ok_name(name) or name in out or name in avoid or (top_level and "." in name):
            name = f"n{len(out)}_{draw(st.integers(0, 10**6))}"
            if name in out or name in avoid:
                continue
        out.append(name)
    return out


# ---------------------------------------------------------------------- types

_SCALARS: list[ColumnType] = [
    ColumnType("text"),
    ColumnType("varchar"),
    ColumnType("smallint"),
    ColumnType("integer"),
    ColumnType("bigint"),
    ColumnType("numeric"),
    ColumnType("real"),
    ColumnType("double precision"),
    ColumnType("boolean"),
    ColumnType("uuid"),
    ColumnType("date"),
    ColumnType("time"),
    ColumnType("timetz"),
    ColumnType("timestamp"),
    ColumnType("timestamptz"),
    ColumnType("interval"),
    ColumnType("json"),
    ColumnType("jsonb"),
    ColumnType("bytea"),
    ColumnType("inet"),
    ColumnType("cidr"),
]


_BUILTIN_TYPES = st.one_of(
    st.sampled_from(_SCALARS),
    st.builds(lambda n: ColumnType("varchar", (n,)), st.integers(1, 300)),
    st.builds(lambda n: ColumnType("char", (n,)), st.integers(1, 20)),
    st.integers(2, 20).flatmap(
        lambda p: st.integers(0, p - 1).map(lambda s: ColumnType("numeric", (p, s)))
    ),
    st.builds(lambda p: ColumnType("numeric", (p,)), st.integers(1, 30)),
    st.builds(
        lambda name, p: ColumnType(name, (p,)),
        st.sampled_from(["time", "timetz", "timestamp", "timestamptz", "interval"]),
        st.integers(0, 6),
    ),
)


@st.composite
def column_types(draw: st.DrawFn, enums: list[Enum]) -> ColumnType:
    """Every spec type: built-ins (with modifiers), enums, and arrays of them."""
    if enums and draw(st.integers(0, 5)) == 0:
        base = ColumnType(enums[draw(st.integers(0, len(enums) - 1))].name)
    else:
        base = draw(_BUILTIN_TYPES)
    if draw(st.integers(0, 5)) == 0:
        return replace(base, array=True)
    return base


_INTEGERS = {"smallint", "integer", "bigint"}
# btree (and so PK/unique/FK) needs an equality operator: json has none
_KEYABLE_EXCLUDED = {"json"}
_HASHABLE = {"text", "varchar", "integer", "bigint", "smallint", "uuid", "date", "timestamp"}
_HASHABLE |= {"timestamptz", "boolean", "numeric", "bytea"}
_BRIN = {"timestamp", "timestamptz", "date", "integer", "bigint", "numeric"}
_GIN_ARRAYS = {"text", "integer", "bigint", "smallint", "uuid"}


def keyable(t: ColumnType) -> bool:
    return t.name not in _KEYABLE_EXCLUDED


# ---------------------------------------------------------------------- defaults

_COMMENT_CHARS = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
#: comments: Postgres drops an empty comment (COMMENT ... IS '' removes it)
_COMMENTS = st.text(_COMMENT_CHARS, min_size=1, max_size=12)
_TEXTISH = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=8)


def _max_len(t: ColumnType) -> int:
    return t.modifiers[0] if t.name in {"varchar", "char"} and t.modifiers else 8


@st.composite
def _literal_value(draw: st.DrawFn, t: ColumnType, enums: dict[str, Enum]) -> object | None:
    """A TOML default value for a scalar type (None: no literal form drawn)."""
    name = t.name
    if name in enums:
        return draw(st.sampled_from(enums[name].values))
    if name in {"text", "varchar", "char"}:
        return draw(_TEXTISH.filter(lambda s: len(s) <= _max_len(t)))
    if name == "smallint":
        return draw(st.integers(-32768, 32767))
    if name in {"integer", "bigint"}:
        return draw(st.integers(-(2**31), 2**31 - 1))
    if name == "numeric":
        return draw(st.integers(0, 9))
    if name in {"real", "double precision"}:
        return draw(st.sampled_from([0.5, 1.5, -2.25, 100.0]))
    if name == "boolean":
        return draw(st.booleans())
    fixed = {
        "uuid": "00000000-0000-0000-0000-000000000001",
        "date": "2024-01-31",
        "time": "12:34:56",
        "timetz": "12:34:56+02",
        "timestamp": "2024-01-31 12:00:00",
        "timestamptz": "2024-01-31 12:00:00+00",
        "interval": "1 day",
        "json": '{"a": 1}',
        "jsonb": '{"a": [1, 2]}',
        "bytea": "\\x00ff",
        "inet": "10.1.2.3",
        "cidr": "10.0.0.0/8",
    }
    return fixed.get(name)


_EXPR_DEFAULTS: dict[str, list[str]] = {
    "smallint": ["1 + 2", "(2 * 3)"],
    "integer": ["1 + 2", "(2 * 3) - 1"],
    "bigint": ["1 + 2", "10 * 10"],
    "numeric": ["1.5 * 2"],
    "double precision": ["2.0 / 4"],
    "uuid": ["gen_random_uuid()"],
    "timestamp": ["now()", "CURRENT_TIMESTAMP", "LOCALTIMESTAMP"],
    "timestamptz": ["now()", "CURRENT_TIMESTAMP", "statement_timestamp()"],
    "date": ["CURRENT_DATE"],
    "text": ["'a' || 'b'", "md5('x')"],
    "jsonb": ["'{}'::jsonb"],
    "boolean": ["CAST('t' AS boolean)"],
}


@st.composite
def _default(draw: st.DrawFn, t: ColumnType, enums: dict[str, Enum]) -> str | None:
    kind = draw(st.sampled_from(["none", "none", "literal", "expression"]))
    if kind == "none":
        return None
    if t.array:
        if t.name in enums or t.name in {"text", "varchar", "integer", "bigint", "boolean"}:
            items = draw(st.lists(_literal_value(t.element, enums), max_size=3))
            if t.name == "varchar" and t.modifiers:
                items = [i for i in items if isinstance(i, str) and len(i) <= t.modifiers[0]]
            return literal_sql(items)
        return literal_sql([])
    if kind == "expression" and t.name in _EXPR_DEFAULTS and not t.modifiers:
        return normalize_expr(draw(st.sampled_from(_EXPR_DEFAULTS[t.name])))
    value = draw(_literal_value(t, enums))
    return None if value is None else literal_sql(value)


# ---------------------------------------------------------------------- tables


@st.composite
def _columns(draw: st.DrawFn, enums: list[Enum], table: str) -> list[Column]:
    by_name = {e.name: e for e in enums}
    count = draw(st.integers(1, 6))
    col_names = draw(_distinct_names(count, avoid=SYSTEM_COLUMNS))
    cols: list[Column] = []
    for name in col_names:
        t = draw(column_types(enums))
        col = Column(name=name, type=t, nullable=draw(st.booleans()))
        roll = draw(st.integers(0, 9))
        if roll == 0 and t.name in _INTEGERS and not t.array:
            identity: IdentityKind = draw(st.sampled_from(IDENTITY_KINDS))
            col = replace(col, identity=identity, nullable=False)
            if identity != "serial" and draw(st.booleans()):
                col = replace(col, identity_options=draw(_sequence_numbers(t.name)))
        elif roll == 1 and t.name in {"timestamp", "timestamptz", "date"} and not t.array:
            col = replace(
                col,
                maintained="on_update",
                default=normalize_expr("CURRENT_TIMESTAMP" if t.name != "date" else "CURRENT_DATE"),
            )
        else:
            col = replace(col, default=draw(_default(t, by_name)))
        if draw(st.integers(0, 4)) == 0:
            col = replace(col, comment=draw(_COMMENTS))
        cols.append(col)
    # a generated column over an earlier plain column
    sources = [
        c
        for c in cols
        if c.generated is None
        and c.identity is None
        and not c.type.array
        and c.type.name in (_INTEGERS | {"text"})
    ]
    if sources and draw(st.integers(0, 3)) == 0:
        src = draw(st.sampled_from(sources))
        gen_names = draw(_distinct_names(1, avoid=frozenset(c.name for c in cols) | SYSTEM_COLUMNS))
        if src.type.name == "text":
            gtype, expr = ColumnType("text"), f"lower({sqltext.ident(src.name)})"
        else:
            gtype, expr = ColumnType("bigint"), f"{sqltext.ident(src.name)} * 2"
        cols.append(
            Column(
                name=gen_names[0],
                type=gtype,
                nullable=draw(st.booleans()),
                generated=normalize_expr(expr),
            )
        )
    return cols


@st.composite
def _sequence_numbers(draw: st.DrawFn, type_name: str) -> SequenceOptions:
    """Numbers Postgres accepts for a sequence of ``type_name``, in canonical form."""
    options = SequenceOptions(
        start=draw(st.none() | st.integers(-50, 5000)),
        increment=draw(st.sampled_from([1, 1, 2, 7, -1, -3])),
        min_value=draw(st.none() | st.integers(-100, 10)),
        max_value=draw(st.none() | st.integers(10_000, 30_000)),
        cache=draw(st.sampled_from([1, 1, 5, 20])),
        cycle=draw(st.booleans()),
    )
    if problem(type_name, options) is not None:
        return DEFAULT_SEQUENCE
    return canonical(type_name, options)


def _plain(cols: list[Column]) -> list[Column]:
    """Columns usable as keys: comparable, not generated."""
    return [c for c in cols if keyable(c.type) and c.generated is None]


@st.composite
def _table_body(draw: st.DrawFn, name: str, enums: list[Enum]) -> Table:
    cols = draw(_columns(enums, name))
    plain = _plain(cols)
    pk: PrimaryKey | None = None
    if plain and draw(st.integers(0, 4)) > 0:
        pk_cols = draw(st.lists(st.sampled_from(plain), min_size=1, max_size=3, unique=True))
        pk_names = {c.name for c in pk_cols}
        cols = [replace(c, nullable=False) if c.name in pk_names else c for c in cols]
        pk = PrimaryKey(names.primary_key(name), tuple(c.name for c in pk_cols))
        plain = _plain(cols)
    uniques: dict[str, UniqueConstraint] = {}
    keys: set[tuple[object, ...]] = {(pk.columns, False, False, False)} if pk else set()
    for _ in range(draw(st.integers(0, 2)) if plain else 0):
        ucols = tuple(
            c.name
            for c in draw(st.lists(st.sampled_from(plain), min_size=1, max_size=3, unique=True))
        )
        deferrable = draw(st.integers(0, 4)) == 0
        u = UniqueConstraint(
            names.unique(name, ucols),
            ucols,
            nulls_not_distinct=draw(st.booleans()),
            deferrable=deferrable,
            initially_deferred=deferrable and draw(st.booleans()),
        )
        # Postgres merges a UNIQUE identical to the PK or another UNIQUE (validated)
        key = (u.columns, u.nulls_not_distinct, u.deferrable, u.initially_deferred)
        if u.name not in uniques and key not in keys:
            uniques[u.name] = u
            keys.add(key)
    table = Table(
        name=name,
        columns=tuple(cols),
        primary_key=pk,
        uniques=tuple(uniques.values()),
        comment=draw(st.none() | _COMMENTS),
    )
    table = replace(table, indexes=tuple(draw(_indexes(table))))
    table = replace(table, checks=tuple(draw(_checks(table))))
    return table


@st.composite
def _index_one(draw: st.DrawFn, table: Table) -> Index | None:
    cols = list(table.columns)
    method = draw(st.sampled_from(["btree", "btree", "btree", "hash", "gin", "brin", "spgist"]))
    include: tuple[str, ...] = ()
    unique = False
    nnd = False
    if method == "btree":
        plain = [c for c in cols if keyable(c.type)]
        if not plain:
            return None
        elements: list[IndexElement] = []
        for c in draw(st.lists(st.sampled_from(plain), min_size=1, max_size=3, unique=True)):
            descending = draw(st.booleans())
            nulls = draw(st.sampled_from([None, None, not descending]))
            if c.type.name == "text" and not c.type.array and draw(st.integers(0, 3)) == 0:
                elements.append(
                    IndexElement(
                        expression=normalize_expr(f"lower({sqltext.ident(c.name)})"),
                        descending=descending,
                        nulls_first=nulls,
                    )
                )
            else:
                opclass = (
                    "text_pattern_ops"
                    if c.type == ColumnType("text") and draw(st.integers(0, 5)) == 0
                    else None
                )
                elements.append(
                    IndexElement(
                        column=c.name, descending=descending, nulls_first=nulls, opclass=opclass
                    )
                )
        unique = draw(st.booleans())
        nnd = unique and draw(st.booleans())
        keyed = {e.column for e in elements}
        rest = [c.name for c in cols if c.name not in keyed]
        if rest and draw(st.integers(0, 3)) == 0:
            include = tuple(
                draw(st.lists(st.sampled_from(rest), min_size=1, max_size=2, unique=True))
            )
    else:

        def fits(c: Column) -> bool:
            t = c.type
            if method == "hash":
                return not t.array and t.name in _HASHABLE
            if method == "gin":
                return (t.name == "jsonb" and not t.array) or (t.array and t.name in _GIN_ARRAYS)
            if method == "brin":
                return not t.array and t.name in _BRIN
            return not t.array and t.name == "text"  # spgist text_ops

        fitting = [c for c in cols if fits(c)]
        if not fitting:
            return None
        elements = [IndexElement(column=draw(st.sampled_from(fitting)).name)]
    where = None
    if draw(st.integers(0, 3)) == 0:
        target = draw(st.sampled_from(cols))
        where = normalize_expr(f"{sqltext.ident(target.name)} IS NOT NULL")
    words = [e.column or "lower" for e in elements]
    return Index(
        name=names.index(table.name, words),
        elements=tuple(elements),
        unique=unique,
        method=method,  # type: ignore[arg-type]
        where=where,
        include=include,
        nulls_not_distinct=nnd,
    )


@st.composite
def _indexes(draw: st.DrawFn, table: Table) -> list[Index]:
    out: dict[str, Index] = {}
    for _ in range(draw(st.integers(0, 3))):
        index = draw(_index_one(table))
        if index is not None:
            out.setdefault(index.name, index)
    return list(out.values())


@st.composite
def _checks(draw: st.DrawFn, table: Table) -> list[CheckConstraint]:
    out: dict[str, CheckConstraint] = {}
    for _ in range(draw(st.integers(0, 2))):
        c = draw(st.sampled_from(table.columns))
        ident = sqltext.ident(c.name)
        if c.type.name in _INTEGERS and not c.type.array:
            expr = f"{ident} > -1000"
        elif c.type.name == "text" and not c.type.array:
            expr = f"length({ident}) < 1000"
        else:
            expr = f"{ident} IS NOT NULL OR true"
        expression = normalize_expr(expr)
        name = names.check(table.name, [c.name])
        out.setdefault(name, CheckConstraint(name, expression))
    return list(out.values())


def _key_targets(table: Table) -> list[tuple[str, ...]]:
    """Column lists an FK may reference: the PK and non-deferrable unique constraints."""
    out = [table.primary_key.columns] if table.primary_key else []
    out += [u.columns for u in table.uniques if not u.deferrable]
    # the FK validation query cannot compare some array types (anyarray = anyarray)
    return [cols for cols in out if not any(_col(table, c).type.array for c in cols)]


def _col(table: Table, name: str) -> Column:
    col = table.column(name)
    assert col is not None
    return col


@st.composite
def _with_foreign_keys(draw: st.DrawFn, tables: list[Table]) -> list[Table]:
    """Add FKs (with their own columns copying the target types): self, cyclic, composite."""
    by_name = {t.name: t for t in tables}
    for source_name in list(by_name):
        for _ in range(draw(st.integers(0, 2))):
            candidates = [t for t in by_name.values() if _key_targets(t)]
            if not candidates:
                break
            target = draw(st.sampled_from(candidates))
            ref_cols = draw(st.sampled_from(_key_targets(target)))
            source = by_name[source_name]
            on_delete = draw(st.sampled_from(FK_ACTIONS))
            on_update = draw(st.sampled_from(FK_ACTIONS))
            nullable = "set null" in (on_delete, on_update) or draw(st.booleans())
            taken = frozenset(source.column_names) | SYSTEM_COLUMNS
            new_names = draw(_distinct_names(len(ref_cols), avoid=taken))
            target_cols = {c.name: c for c in target.columns}
            new_cols = [
                Column(name=n, type=target_cols[r].type, nullable=nullable)
                for n, r in zip(new_names, ref_cols, strict=True)
            ]
            deferrable = draw(st.integers(0, 3)) == 0
            fk = ForeignKey(
                name=names.foreign_key(source_name, new_names),
                columns=tuple(new_names),
                ref_table=target.name,
                ref_columns=ref_cols,
                on_delete=on_delete,
                on_update=on_update,
                deferrable=deferrable,
                initially_deferred=deferrable and draw(st.booleans()),
            )
            if fk.name in set(source.constraint_names()):
                continue
            by_name[source_name] = replace(
                source,
                columns=source.columns + tuple(new_cols),
                foreign_keys=(*source.foreign_keys, fk),
            )
    return list(by_name.values())


@st.composite
def _policies(draw: st.DrawFn, table: Table) -> Table:
    if draw(st.integers(0, 3)) > 0:
        return table
    policies: list[Policy] = []
    pnames = draw(_distinct_names(draw(st.integers(0, 2))))
    for pname in pnames:
        command = draw(st.sampled_from(["all", "select", "insert", "update", "delete"]))
        col = draw(st.sampled_from(table.columns))
        predicate = draw(
            st.sampled_from(
                ["true", f"{sqltext.ident(col.name)} IS NOT NULL", "current_user IS NOT NULL"]
            )
        )
        expr = normalize_expr(predicate)
        using = None if command == "insert" else expr
        with_check = (
            expr if command in {"insert", "update", "all"} and draw(st.booleans()) else None
        )
        if command == "insert":
            with_check = expr
        policies.append(
            Policy(
                name=pname,
                command=command,  # type: ignore[arg-type]
                permissive=draw(st.booleans()),
                using=using,
                with_check=with_check,
            )
        )
    return replace(
        table,
        rls_enabled=True,
        rls_forced=draw(st.booleans()),
        policies=tuple(policies),
    )


@st.composite
def _enums(draw: st.DrawFn) -> list[Enum]:
    count = draw(st.integers(0, 3))
    enum_names = [
        n
        for n in draw(_distinct_names(count, top_level=True))
        if n.lower() not in RESERVED_TYPE_NAMES
    ]
    out = []
    for name in enum_names:
        values = draw(
            st.lists(
                _TEXTISH.filter(lambda s: 0 < len(s.encode()) <= 63),
                min_size=1,
                max_size=5,
                unique=True,
            )
        )
        out.append(Enum(name, tuple(values), comment=draw(st.none() | _COMMENTS)))
    return out


# domains: a base type, and a check and default that hold for it
_DOMAIN_BASES: dict[str, tuple[ColumnType, str, str]] = {
    "text": (ColumnType("text"), "VALUE <> ''", "'x'"),
    "integer": (ColumnType("integer"), "VALUE > 0", "1"),
    "varchar": (ColumnType("varchar", (20,)), "length(VALUE) > 0", "'y'"),
    "numeric": (ColumnType("numeric", (10, 2)), "VALUE >= 0", "0"),
    "boolean": (ColumnType("boolean"), "VALUE IS NOT NULL", "TRUE"),
}


@st.composite
def _domain(draw: st.DrawFn, name: str) -> Domain:
    base, check, default = _DOMAIN_BASES[draw(st.sampled_from(sorted(_DOMAIN_BASES)))]
    return Domain(
        name,
        base,
        default=normalize_expr(default) if draw(st.booleans()) else None,
        checks=(CheckConstraint(names.fit(name, "_check"), normalize_expr(check)),)
        if draw(st.booleans())
        else (),
        comment=draw(st.none() | _COMMENTS),
    )


@st.composite
def _attribute(draw: st.DrawFn, name: str, domains: list[Domain]) -> CompositeAttribute:
    options = [b for b, _, _ in _DOMAIN_BASES.values()] + [ColumnType(d.name) for d in domains]
    return CompositeAttribute(name, draw(st.sampled_from(options)))


@st.composite
def _user_types(draw: st.DrawFn, taken: frozenset[str]) -> tuple[list[Domain], list[CompositeType]]:
    """0-3 domains and composite types (a composite's attributes: base types and
    the domains drawn before it)."""
    type_names = [
        n
        for n in draw(_distinct_names(draw(st.integers(0, 3)), avoid=taken, top_level=True))
        if n.lower() not in RESERVED_TYPE_NAMES
    ]
    domains: list[Domain] = []
    composites: list[CompositeType] = []
    for name in type_names:
        if draw(st.booleans()):
            domains.append(draw(_domain(name)))
            continue
        attr_names = draw(_distinct_names(draw(st.integers(1, 3))))
        attrs = tuple(draw(_attribute(a, domains)) for a in attr_names)
        composites.append(CompositeType(name, attrs, comment=draw(st.none() | _COMMENTS)))
    return domains, composites


_CHECK_BODIES = ("BEGIN\n  RETURN $1 IS NOT NULL;\nEND\n", "BEGIN RETURN true; END")
_TRIGGER_BODY = "BEGIN\n  RETURN NEW; -- $function$ 'quoted'\nEND\n"


def _own_names(tables: list[Table]) -> frozenset[str]:
    """Names pgwarden gives its own trigger functions and serial sequences here."""
    out = set()
    for t in tables:
        for c in t.columns:
            out.add(names.on_update_trigger(t.name, c.name))
            out.add(names.fit(f"{t.name}_{c.name}", "_seq"))
    return frozenset(out)


@st.composite
def _routines(draw: st.DrawFn, tables: list[Table]) -> tuple[list[Function], list[Table]]:
    """Sometimes: a check function some tables' checks call, and a trigger
    function with triggers on some tables (timing, events, UPDATE OF, WHEN,
    FOR EACH, transition tables, arguments)."""
    if draw(st.integers(0, 2)) != 0:
        return [], tables
    avoid = _own_names(tables) | {t.name for t in tables}
    check_name, trigger_name = draw(_distinct_names(2, avoid=avoid, top_level=True))
    check_fn = Function(
        name=check_name,
        language="plpgsql",
        body=draw(st.sampled_from(_CHECK_BODIES)),
        arguments="anyelement",
        returns="boolean",
        volatility="immutable",
        strict=draw(st.booleans()),
        parallel=draw(st.sampled_from(PARALLEL_MODES)),
        comment=draw(st.none() | _COMMENTS),
    )
    trigger_fn = Function(
        name=trigger_name,
        language="plpgsql",
        body=_TRIGGER_BODY,
        returns="trigger",
        security_definer=draw(st.booleans()),
        search_path=draw(st.sampled_from([None, ("pg_catalog", "pg_temp")])),
        settings=draw(st.sampled_from([(), (("work_mem", "64MB"),)])),
    )
    out = []
    for t in tables:
        roll = draw(st.integers(0, 3))
        if roll == 1 and t.columns:
            c = draw(st.sampled_from(t.columns))
            name = names.check(t.name, [c.name, "ok"])
            if name not in {x.name for x in t.checks}:
                expr = normalize_expr(f"{sqltext.ident(check_name)}({sqltext.ident(c.name)})")
                t = replace(t, checks=(*t.checks, CheckConstraint(name, expr)))
        elif roll == 2:
            t = replace(t, triggers=tuple(draw(_triggers(t, trigger_name))))
        out.append(t)
    return [check_fn, trigger_fn], out


@st.composite
def _triggers(draw: st.DrawFn, t: Table, function: str) -> list[Trigger]:
    count = draw(st.integers(1, 2))
    avoid = frozenset(names.on_update_trigger(t.name, c.name) for c in t.columns)
    out = []
    for name in draw(_distinct_names(count, avoid=avoid)):
        for_each = draw(st.sampled_from(["row", "statement"]))
        timing = draw(st.sampled_from(["before", "after"]))
        pool: list[TriggerEvent] = ["insert", "update", "delete"]
        if for_each == "statement":
            pool.append("truncate")
        chosen = set(draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True)))
        events = tuple(e for e in ("insert", "update", "delete", "truncate") if e in chosen)
        comparable = [c for c in t.columns if keyable(c.type)]
        columns: tuple[str, ...] = ()
        if "update" in events and comparable and draw(st.booleans()):
            picked = draw(
                st.lists(st.sampled_from(comparable), min_size=1, max_size=2, unique=True)
            )
            columns = tuple(c.name for c in picked)
        when = None
        if for_each == "row" and events == ("update",) and comparable and draw(st.booleans()):
            col = sqltext.ident(draw(st.sampled_from(comparable)).name)
            when = normalize_expr(f"OLD.{col} IS DISTINCT FROM NEW.{col}")
        old_table = new_table = None
        if timing == "after" and len(events) == 1 and not columns and events[0] != "truncate":
            if events[0] in ("update", "delete") and draw(st.booleans()):
                old_table = "old rows"
            if events[0] in ("insert", "update") and draw(st.booleans()):
                new_table = "new_rows"
        args = draw(st.lists(st.sampled_from(["a", "it's", "x y", "数据"]), max_size=2))
        out.append(
            Trigger(
                name=name,
                function=function,
                timing="before" if timing == "before" else "after",
                events=events,
                for_each="row" if for_each == "row" else "statement",
                columns=columns,
                when=when,
                old_table=old_table,
                new_table=new_table,
                arguments=tuple(args),
                comment=draw(st.none() | _COMMENTS),
            )
        )
    return out


@st.composite
def _sequences(draw: st.DrawFn, tables: list[Table]) -> list[Sequence]:
    """0..2 sequences with random numbers, some owned by a column."""
    count = draw(st.integers(0, 2))
    taken = {t.name for t in tables} | _own_names(tables)
    for t in tables:
        taken |= {i.name for i in t.indexes} | set(t.constraint_names())
    out = []
    for name in draw(_distinct_names(count, avoid=frozenset(taken), top_level=True)):
        type_name = draw(st.sampled_from(["smallint", "integer", "bigint"]))
        owned_by = None
        if draw(st.booleans()):
            t = draw(st.sampled_from(tables))
            owned_by = f"{t.name}.{draw(st.sampled_from(t.columns)).name}"
        out.append(
            Sequence(
                name=name,
                type=type_name,
                options=draw(_sequence_numbers(type_name)),
                owned_by=owned_by,
                comment=draw(st.none() | _COMMENTS),
            )
        )
    return out


@st.composite
def _with_user_type_columns(draw: st.DrawFn, tables: list[Table], types: list[str]) -> list[Table]:
    """Some tables get one nullable column of a domain or composite type (after
    their keys and indexes were drawn, so nothing indexes it)."""
    if not types:
        return tables
    out = []
    for t in tables:
        if draw(st.integers(0, 2)) == 0:
            taken = frozenset(t.column_names) | SYSTEM_COLUMNS
            name = draw(_distinct_names(1, avoid=taken))[0]
            ctype = ColumnType(draw(st.sampled_from(types)))
            t = replace(t, columns=(*t.columns, Column(name, ctype, nullable=True)))
        out.append(t)
    return out


@st.composite
def schemas(draw: st.DrawFn, max_tables: int = 8, user_types: bool = False) -> Schema:
    """A random valid, normalized schema (1..max_tables tables); ``user_types``:
    with domains and composite types, some of them used by columns."""
    enums = draw(_enums())
    domains, composites = (
        draw(_user_types(frozenset(e.name for e in enums))) if user_types else ([], [])
    )
    types = [*(d.name for d in domains), *(c.name for c in composites)]
    count = draw(st.integers(1, max_tables))
    table_names = draw(
        _distinct_names(count, avoid=frozenset([*(e.name for e in enums), *types]), top_level=True)
    )
    tables = [draw(_table_body(n, enums)) for n in table_names]
    tables = draw(_with_foreign_keys(tables))
    tables = [draw(_policies(t)) for t in tables]
    tables = draw(_with_user_type_columns(tables, types))
    functions, tables = draw(_routines(tables))
    sequences = draw(_sequences(tables))
    schema = Schema(
        tables=tuple(tables),
        enums=tuple(enums),
        domains=tuple(domains),
        composite_types=tuple(composites),
        functions=tuple(functions),
        sequences=tuple(sequences),
    ).normalized()
    problems = validate_schema(schema)
    if problems or _call_reads_as_cast(schema):  # rare name collisions: draw another
        from hypothesis import reject

        reject()
    return schema


def _call_reads_as_cast(schema: Schema) -> bool:
    """A function named like a type of its schema (a table's row type, an enum...):
    Postgres reads the call ``"T"(col)`` in a check as a cast to that type."""
    types = {t.name for t in schema.tables} | {e.name for e in schema.enums}
    types |= {d.name for d in schema.domains} | {c.name for c in schema.composite_types}
    return any(f.name in types for f in schema.functions)


# ---------------------------------------------------------------------- pairs


@st.composite
def _edit(draw: st.DrawFn, schema: Schema) -> Schema:
    """One small edit of ``schema`` that keeps it valid (checked by the caller)."""
    tables = list(schema.tables)
    kind = draw(
        st.sampled_from(
            [
                "add_table",
                "drop_table",
                "add_column",
                "drop_column",
                "nullability",
                "default",
                "comment",
                "add_index",
                "drop_index",
                "drop_check",
                "drop_fk",
                "enum_value",
                "domain",
                "attribute",
                "function_body",
                "drop_trigger",
                "sequence_numbers",
            ]
        )
    )
    if kind == "domain" and schema.domains:
        domains = list(schema.domains)
        i = draw(st.integers(0, len(domains) - 1))
        d = domains[i]
        _, check, default = _DOMAIN_BASES[d.type.name]
        if draw(st.booleans()):
            d = replace(d, default=None if d.default else normalize_expr(default))
        else:
            name = names.fit(d.name, "_check")
            d = replace(
                d, checks=() if d.checks else (CheckConstraint(name, normalize_expr(check)),)
            )
        domains[i] = d
        return replace(schema, domains=tuple(domains))
    if kind == "attribute" and schema.composite_types:
        composites = list(schema.composite_types)
        i = draw(st.integers(0, len(composites) - 1))
        c = composites[i]
        if len(c.attributes) > 1 and draw(st.booleans()):
            c = replace(c, attributes=c.attributes[:-1])  # the last: the down restores it in place
        else:
            taken = frozenset(a.name for a in c.attributes)
            name = draw(_distinct_names(1, avoid=taken))[0]
            c = replace(c, attributes=(*c.attributes, draw(_attribute(name, list(schema.domains)))))
        composites[i] = c
        return replace(schema, composite_types=tuple(composites))
    if kind == "add_table":
        taken = frozenset(t.name for t in tables) | frozenset(e.name for e in schema.enums)
        taken |= frozenset(d.name for d in schema.domains)
        taken |= frozenset(c.name for c in schema.composite_types)
        name = draw(_distinct_names(1, avoid=taken, top_level=True))[0]
        tables.append(draw(_table_body(name, list(schema.enums))))
        return replace(schema, tables=tuple(tables))
    if kind == "enum_value" and schema.enums:
        enums = list(schema.enums)
        i = draw(st.integers(0, len(enums) - 1))
        label = draw(_TEXTISH.filter(lambda s: 0 < len(s.encode()) <= 63))
        if label not in enums[i].values:
            enums[i] = replace(enums[i], values=(*enums[i].values, label))
        return replace(schema, enums=tuple(enums))
    if kind == "function_body" and schema.functions:
        fns = list(schema.functions)
        j = draw(st.integers(0, len(fns) - 1))
        if fns[j].returns == "boolean":
            other = next(b for b in _CHECK_BODIES if b != fns[j].body)
            fns[j] = replace(fns[j], body=other)
        else:
            fns[j] = replace(fns[j], body=fns[j].body + "-- changed\n")
        return replace(schema, functions=tuple(fns))
    if kind == "sequence_numbers" and schema.sequences:
        seqs = list(schema.sequences)
        j = draw(st.integers(0, len(seqs) - 1))
        seqs[j] = replace(seqs[j], options=draw(_sequence_numbers(seqs[j].type)))
        return replace(schema, sequences=tuple(seqs))
    i = draw(st.integers(0, len(tables) - 1))
    t = tables[i]
    if kind == "drop_trigger" and t.triggers:
        tables[i] = replace(t, triggers=t.triggers[1:])
        return replace(schema, tables=tuple(tables))
    if kind == "drop_table":
        if len(tables) > 1 and not any(
            fk.ref_table == t.name for o in tables if o is not t for fk in o.foreign_keys
        ):
            del tables[i]
    elif kind == "add_column":
        taken = frozenset(t.column_names) | SYSTEM_COLUMNS
        name = draw(_distinct_names(1, avoid=taken))[0]
        ctype = draw(column_types(list(schema.enums)))
        col = Column(
            name,
            ctype,
            nullable=True,
            default=draw(_default(ctype, {e.name: e for e in schema.enums})),
        )
        tables[i] = replace(t, columns=(*t.columns, col))
    elif kind == "drop_column":
        used = _used_columns(schema, t)
        free = [c for c in t.columns if c.name not in used]
        if free and len(t.columns) > 1:
            gone = draw(st.sampled_from(free)).name
            tables[i] = replace(t, columns=tuple(c for c in t.columns if c.name != gone))
    elif kind == "nullability":
        keys = set(t.primary_key.columns) if t.primary_key else set()
        cols = [c for c in t.columns if c.name not in keys and c.identity is None]
        if cols:
            c = draw(st.sampled_from(cols))
            tables[i] = _replace_column(t, replace(c, nullable=not c.nullable))
    elif kind == "default":
        cols = [c for c in t.columns if c.identity is None and c.generated is None]
        if cols:
            c = draw(st.sampled_from(cols))
            new = draw(_default(c.type, {e.name: e for e in schema.enums}))
            tables[i] = _replace_column(t, replace(c, default=new))
    elif kind == "comment":
        tables[i] = replace(t, comment=draw(st.none() | _COMMENTS))
    elif kind == "add_index":
        index = draw(_index_one(t))
        if index is not None and index.name not in {x.name for x in t.indexes}:
            tables[i] = replace(t, indexes=(*t.indexes, index))
    elif kind == "drop_index" and t.indexes:
        tables[i] = replace(t, indexes=t.indexes[1:])
    elif kind == "drop_check" and t.checks:
        tables[i] = replace(t, checks=t.checks[1:])
    elif kind == "drop_fk" and t.foreign_keys:
        tables[i] = replace(t, foreign_keys=t.foreign_keys[1:])
    return replace(schema, tables=tuple(tables))


def _replace_column(t: Table, col: Column) -> Table:
    return replace(t, columns=tuple(col if c.name == col.name else c for c in t.columns))


def _used_columns(schema: Schema, t: Table) -> set[str]:
    """Columns some constraint, index, generated column or policy of ``t`` names."""
    used: set[str] = set()
    if t.primary_key:
        used |= set(t.primary_key.columns)
    for u in t.uniques:
        used |= set(u.columns)
    for fk in t.foreign_keys:
        used |= set(fk.columns)
    for other in schema.tables:
        for fk in other.foreign_keys:
            if fk.ref_table == t.name:
                used |= set(fk.ref_columns)
    texts = [c.generated for c in t.columns] + [c.expression for c in t.checks]
    texts += [p.using for p in t.policies] + [p.with_check for p in t.policies]
    for g in t.triggers:
        used |= set(g.columns)
        texts.append(g.when)
    for q in schema.sequences:
        if q.owned_by and q.owned_by.rpartition(".")[0] == t.name:
            used.add(q.owned_by.rpartition(".")[2])
    for i in t.indexes:
        used |= {e.column for e in i.elements if e.column} | set(i.include)
        texts += [i.where, *(e.expression for e in i.elements)]
    from pgwarden.spec.exprs import column_refs

    for text in texts:
        if text:
            used |= set(column_refs(text))
    return used


@st.composite
def schema_pairs(
    draw: st.DrawFn, max_tables: int = 5, max_edits: int = 3, user_types: bool = False
) -> tuple[Schema, Schema]:
    """``(a, b)``: a random schema and the same after 1..max_edits valid edits."""
    a = draw(schemas(max_tables=max_tables, user_types=user_types))
    b = a
    for _ in range(draw(st.integers(1, max_edits))):
        candidate = draw(_edit(b)).normalized()
        if not validate_schema(candidate) and not _call_reads_as_cast(candidate):
            b = candidate
    return a, b
