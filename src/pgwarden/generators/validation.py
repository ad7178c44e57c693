"""Application-boundary validation: the spec's rules translated into Python at
generation time, so the generated ``insert``/``insert_many``/``update`` reject
bad values before any SQL runs, all problems of one call at once.

Column rules are data (one ``_Col`` per writable column): NOT NULL, enum
membership, varchar/char length, numeric precision and scale, integer ranges.
CHECK constraints are compiled from the pglast AST into Python expressions over
the row as Postgres would store it (varchar trailing spaces cut, numeric rounded
to its scale, char compared without trailing blanks), in SQL's three-valued
logic: a check fails only when it is *false*, never when it is NULL.

A check is translated only when Python can decide it exactly like Postgres:
comparisons, BETWEEN, IN, IS [NOT] NULL, IS [NOT] DISTINCT FROM, length() /
char_length(), AND/OR/NOT, over columns and constants of the types below.
Anything else (functions, arithmetic, text ordering -- which depends on the
collation --, floats, citext, arrays, generated columns) is skipped with the
reason in a comment and stays enforced by Postgres, whose errors the generated
code maps to the same typed family (see ``db_error`` in the template).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pglast import ast
from pglast.enums import A_Expr_Kind

from pgwarden.generators.layout import SetCall, call, py_str
from pgwarden.spec.exprs import ExprSyntaxError, column_refs, parse_expr
from pgwarden.spec.model import Column, Schema, Table
from pgwarden.spec.values import INT_RANGES, numeric_limit

#: comparison family of a column type (None: not translatable in a check)
_FAMILY: dict[str, str] = {
    "smallint": "num",
    "integer": "num",
    "bigint": "num",
    "numeric": "num",
    "text": "str",
    "varchar": "str",
    "char": "str",
    "boolean": "bool",
    "date": "date",
    "timestamp": "ts",
    "timestamptz": "tstz",
    "uuid": "uuid",
}
_ORDERED = frozenset({"num", "bool", "date", "ts", "tstz"})
_OPS = {"=": "_eq", "<>": "_ne", "<": "_lt", "<=": "_le", ">": "_gt", ">=": "_ge"}
_TEXT_TYPES = frozenset({"text", "varchar", "character varying"})
_NUM_TYPES = {
    "int2": "int",
    "smallint": "int",
    "int4": "int",
    "int": "int",
    "integer": "int",
    "int8": "int",
    "bigint": "int",
    "numeric": "dec",
    "decimal": "dec",
}


class Untranslatable(Exception):
    """The expression uses something Python cannot decide exactly like Postgres."""


@dataclass(frozen=True)
class ColumnRule:
    """The ``_Col(...)`` validation of one column: its keyword arguments."""

    attr: str
    args: tuple[str | SetCall, ...]  # keyword arguments of ``_Col(...)``


@dataclass(frozen=True)
class CheckRule:
    """A check constraint translated into Python (or the reason it was skipped)."""

    name: str
    expression: str
    columns: tuple[str, ...]  # database names
    keys: tuple[str, ...]  # Python attribute names
    body: tuple[str, ...] | None  # statements over ``s`` ending in ``return``; None: skipped
    reason: str | None  # why it was skipped

    @property
    def code(self) -> tuple[str, ...] | None:
        """The Python statements of the check, None when it was skipped."""
        return self.body


@dataclass(frozen=True)
class TableRules:
    """The validation of one table: column rules, checks, unique keys."""

    columns: tuple[ColumnRule, ...]
    checks: tuple[CheckRule, ...]
    constraints: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def translated(self) -> tuple[CheckRule, ...]:
        """The checks translated into Python."""
        return tuple(c for c in self.checks if c.code is not None)

    @property
    def skipped(self) -> tuple[CheckRule, ...]:
        """The checks left to the database (each with its reason in the generated module)."""
        return tuple(c for c in self.checks if c.code is None)


# --------------------------------------------------------------------------- column rules


def _kind(col: Column, enums: Mapping[str, tuple[str, ...]]) -> str:
    name = col.type.name
    if name in INT_RANGES:
        return "int"
    if name in ("varchar", "char", "numeric", "text"):
        return name
    if name in enums:
        return "enum"
    return "other"


def _literal(node: Any) -> tuple[Any, str]:
    """A constant: (Python value, family) -- family "lit" for an untyped string."""
    if isinstance(node, ast.A_Const):
        if node.isnull:
            return None, "null"
        val = node.val
        if isinstance(val, ast.Integer):
            return int(val.ival or 0), "num"
        if isinstance(val, ast.Float):
            return Decimal(str(val.fval)), "num"
        if isinstance(val, ast.Boolean):
            return bool(val.boolval), "bool"
        if isinstance(val, ast.String):
            return str(val.sval), "lit"
    raise Untranslatable("not a constant")


def _type_name(node: Any) -> str:
    names = [n.sval for n in node.typeName.names if isinstance(n, ast.String)]
    if node.typeName.arrayBounds or not names:
        raise Untranslatable("array cast")
    return str(names[-1])


def _default_value(col: Column, enums: Mapping[str, tuple[str, ...]]) -> tuple[bool, Any]:
    """(known, value) of the column default when it is a plain literal."""
    if col.identity is not None or col.generated is not None:
        return False, None
    if col.default is None:
        return True, None
    try:
        node = parse_expr(col.default)
        if isinstance(node, ast.TypeCast):
            node = node.arg
        value, fam = _literal(node)
    except (Untranslatable, ExprSyntaxError):
        return False, None
    kind = _kind(col, enums)
    if col.type.array:
        return False, None
    if value is None:
        return True, None
    if fam == "num" and kind == "int":
        # the assignment cast rounds a fractional default (ties away from zero): -2.25 -> -2
        return True, int(Decimal(value).to_integral_value(ROUND_HALF_UP))
    if fam == "num" and kind == "numeric":
        return True, value
    if fam == "lit" and kind in ("text", "varchar", "char", "enum"):
        return True, value
    if fam == "bool" and col.type.name == "boolean":
        return True, value
    return False, None


def _value_literal(value: Any) -> str:
    if value is None or isinstance(value, bool | int):
        return repr(value)
    if isinstance(value, Decimal):
        return f"_D({py_str(str(value))})"
    return py_str(str(value))


def column_rule(col: Column, attr: str, enums: Mapping[str, tuple[str, ...]]) -> ColumnRule:
    """The column's type, nullability, length and enum values as a validation rule."""
    kind = _kind(col, enums)
    known, default = _default_value(col, enums)
    required = not col.nullable and known and default is None
    args: list[str | SetCall] = [
        f"name={py_str(col.name)}",
        f"kind={py_str(kind)}",
        f"nullable={col.nullable}",
        f"required={required}",
    ]
    if known and default is not None:
        args.append(f"default={_value_literal(default)}")
    elif not known:
        args.append("default=_SERVER")
    if col.type.array:
        args.append("array=True")
    mods = col.type.modifiers
    if kind == "varchar" and mods:
        args.append(f"length={mods[0]}")
    elif kind == "char":
        args.append(f"length={mods[0] if mods else 1}")  # bare character is character(1)
    elif kind == "int":
        low, high = INT_RANGES[col.type.name]
        args.append(f"low={low}")
        args.append(f"high={high}")
    elif kind == "numeric" and mods:
        precision, scale = mods[0], mods[1] if len(mods) > 1 else 0
        args.append(f"precision={precision}")
        args.append(f"scale={scale}")
        args.append(f"limit=_D({py_str(str(numeric_limit(precision, scale)))})")
    elif kind == "enum":
        args.append(SetCall("values=frozenset", tuple(py_str(v) for v in enums[col.type.name])))
    if col.maintained == "on_update":
        args.append("maintained=True")
    return ColumnRule(attr, tuple(args))


# --------------------------------------------------------------------------- checks


class _Translator:
    def __init__(self, table: Table, attrs: dict[str, str], enums: Mapping[str, tuple[str, ...]]):
        self.table = table
        self.attrs = attrs
        self.enums = enums
        self.lines: list[str] = []

    def emit(self, fn: str, args: list[str]) -> str:
        """One statement ``_N = fn(args)`` (laid out like ruff would); returns ``_N``."""
        name = f"_{len(self.lines)}"
        self.lines.append(call(8, f"{name} = {fn}", args))
        return name

    # operands: (python code, family); a literal's family is "lit"/"num"/"bool"/"null"
    def operand(self, node: Any) -> tuple[str, str, bool]:
        """(code, family, is_constant)."""
        if isinstance(node, ast.ColumnRef):
            return self.column(node)
        if isinstance(node, ast.A_Const):
            value, fam = _literal(node)
            return _value_literal(value), fam, True
        if isinstance(node, ast.TypeCast):
            return self.cast(node)
        if isinstance(node, ast.FuncCall):
            names = [str(n.sval) for n in node.funcname or () if isinstance(n, ast.String)]
            fname = names[-1].lower() if names else ""
            if fname in ("length", "char_length", "character_length") and node.args:
                if len(node.args) != 1 or node.agg_star or node.over is not None:
                    raise Untranslatable(f"{fname}() with these arguments")
                code, fam, const = self.operand(node.args[0])
                if fam not in ("str", "bpchar") or const:
                    raise Untranslatable(f"{fname}() of a non-text value")
                return self.emit("_len", [code]), "num", False
            raise Untranslatable(f"function {fname}()")
        raise Untranslatable(f"{type(node).__name__} operand")

    def column(self, node: Any, *, any_type: bool = False) -> tuple[str, str, bool]:
        """A column of the row; ``any_type`` for IS [NOT] NULL, which needs no comparison."""
        last = node.fields[-1] if node.fields else None
        if not isinstance(last, ast.String) or len(node.fields) != 1:
            raise Untranslatable("qualified column reference")
        col = self.table.column(str(last.sval))
        if col is None or col.name not in self.attrs:
            raise Untranslatable(f"column {last.sval!r} is not writable")
        if any_type:
            return f"s[{py_str(self.attrs[col.name])}]", "any", False
        if col.secret is not None:
            raise Untranslatable(f"secret column {col.name!r} is stored sealed or hashed")
        if col.type.array:
            raise Untranslatable(f"array column {col.name!r}")
        if col.type.name in self.enums:
            fam = f"enum:{col.type.name}"
        elif col.type.name == "char":
            fam = "bpchar"
        elif col.type.name in ("timestamp", "timestamptz") and col.type.modifiers:
            raise Untranslatable(f"{col.type.spec_text()} rounds fractional seconds")
        else:
            found = _FAMILY.get(col.type.name)
            if found is None:
                raise Untranslatable(f"type {col.type.spec_text()} of column {col.name!r}")
            fam = found
        return f"s[{py_str(self.attrs[col.name])}]", fam, False

    def cast(self, node: Any) -> tuple[str, str, bool]:
        target = _type_name(node)
        code, fam, const = self.operand(node.arg)
        low = target.lower()
        if low in _TEXT_TYPES:
            if fam in ("str", "bpchar", "lit") or fam.startswith("enum:"):
                return code, ("lit" if const else "str"), const
        elif low in _NUM_TYPES:
            if fam == "num" and const:
                value = Decimal(eval_literal(code))
                if _NUM_TYPES[low] == "int":
                    if value != value.to_integral_value():
                        raise Untranslatable("a fractional constant cast to an integer")
                    return repr(int(value)), "num", True
                return _value_literal(value), "num", True
            if fam == "num" and _NUM_TYPES[low] == "dec":
                return code, "num", False  # widening to numeric is exact
        elif low == "date":
            if const and fam == "lit":
                return _date_code(code), "date", True
            if fam == "date":
                return code, fam, const
        elif low in ("bool", "boolean"):
            if fam == "bool":
                return code, fam, const
        elif target in self.enums:
            if const and fam == "lit":
                if eval_literal(code) not in self.enums[target]:
                    raise Untranslatable("a value outside the enum")
                return code, f"enum:{target}", True
            if fam == f"enum:{target}":
                return code, fam, const
        raise Untranslatable(f"cast to {target}")

    def compare(self, op: str, left: Any, right: Any) -> str:
        return self.emit(_OPS[op], self.pair(op, left, right))

    def pair(self, op: str, left: Any, right: Any) -> list[str]:
        """Both operands of a comparison Python decides like Postgres, or Untranslatable."""
        if op not in _OPS:
            raise Untranslatable(f"operator {op}")
        lcode, lfam, lconst = self.operand(left)
        rcode, rfam, rconst = self.operand(right)
        if lconst and rconst:
            raise Untranslatable("a comparison of two constants")
        # char(n) values are stored without trailing blanks (see _element), and
        # bpchar comparisons ignore them: an untyped literal loses them too
        if lfam == "bpchar" and rfam == "lit":
            rcode = py_str(str(eval_literal(rcode)).rstrip(" "))
        if rfam == "bpchar" and lfam == "lit":
            lcode = py_str(str(eval_literal(lcode)).rstrip(" "))
        lfam = "str" if lfam == "bpchar" else lfam
        rfam = "str" if rfam == "bpchar" else rfam
        # an ISO date literal means the same date under every DateStyle
        if lfam == "lit" and rfam == "date":
            lcode, lfam = _date_code(lcode), "date"
        if rfam == "lit" and lfam == "date":
            rcode, rfam = _date_code(rcode), "date"
        fam = self.unify(lfam, lcode, rfam, rcode)
        if op not in ("=", "<>") and fam not in _ORDERED and fam != "null":
            raise Untranslatable(f"ordering of {fam} values (collation or declaration order)")
        return [lcode, rcode]

    def unify(self, lf: str, lcode: str, rf: str, rcode: str) -> str:
        if "null" in (lf, rf):
            return "null"
        if lf == rf and lf != "lit":
            return lf
        # an untyped string literal takes the other side's type
        for lit_fam, lit_code, other in ((lf, lcode, rf), (rf, rcode, lf)):
            if lit_fam != "lit":
                continue
            if other == "str":
                return "str"
            if other.startswith("enum:"):
                if eval_literal(lit_code) not in self.enums[other[5:]]:
                    raise Untranslatable("a value outside the enum")
                return other
        raise Untranslatable(f"a comparison of {lf} with {rf}")

    def predicate(self, node: Any) -> str:
        if isinstance(node, ast.BoolExpr):
            return self._bool(node, [self.predicate(a) for a in node.args or ()])
        if isinstance(node, ast.A_Expr):
            return self.a_expr(node)
        if isinstance(node, ast.NullTest):
            if isinstance(node.arg, ast.ColumnRef):
                code = self.column(node.arg, any_type=True)[0]
            else:
                code = self.operand(node.arg)[0]
            if getattr(node, "argisrow", False):
                raise Untranslatable("row IS NULL")
            is_null = int(node.nulltesttype or 0) == 0
            return self.emit("_is_null" if is_null else "_is_not_null", [code])
        if isinstance(node, ast.ColumnRef):
            code, fam, _const = self.column(node)
            if fam != "bool":
                raise Untranslatable("a non-boolean column as a condition")
            return self.emit("_truth", [code])
        if isinstance(node, ast.A_Const):
            value, fam = _literal(node)
            if fam not in ("bool", "null"):
                raise Untranslatable("a non-boolean constant as a condition")
            return self.emit("_truth", [repr(value)])
        raise Untranslatable(f"{type(node).__name__}")

    def _bool(self, node: Any, args: list[str]) -> str:
        kind = int(node.boolop)
        return self.emit(("_and", "_or", "_not")[kind], args)

    def a_expr(self, node: Any) -> str:
        names = [str(n.sval) for n in node.name or () if isinstance(n, ast.String)]
        op = names[-1] if names else ""
        kind = int(node.kind)
        if kind == int(A_Expr_Kind.AEXPR_OP):
            if node.lexpr is None:
                raise Untranslatable(f"prefix operator {op}")
            return self.compare(op, node.lexpr, node.rexpr)
        if kind == int(A_Expr_Kind.AEXPR_IN):
            items = [self.compare(op, node.lexpr, item) for item in node.rexpr]
            return self.emit("_or" if op == "=" else "_and", items)
        if kind in (int(A_Expr_Kind.AEXPR_BETWEEN), int(A_Expr_Kind.AEXPR_NOT_BETWEEN)):
            low, high = node.rexpr
            if kind == int(A_Expr_Kind.AEXPR_BETWEEN):
                ge = self.compare(">=", node.lexpr, low)
                return self.emit("_and", [ge, self.compare("<=", node.lexpr, high)])
            lt = self.compare("<", node.lexpr, low)
            return self.emit("_or", [lt, self.compare(">", node.lexpr, high)])
        if kind in (int(A_Expr_Kind.AEXPR_DISTINCT), int(A_Expr_Kind.AEXPR_NOT_DISTINCT)):
            fn = "_distinct" if kind == int(A_Expr_Kind.AEXPR_DISTINCT) else "_not_distinct"
            return self.emit(fn, self.pair("=", node.lexpr, node.rexpr))
        raise Untranslatable(f"operator kind {node.kind}")


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date_code(literal: str) -> str:
    text = str(eval_literal(literal))
    if not _ISO_DATE.fullmatch(text):
        raise Untranslatable("a date constant not written YYYY-MM-DD")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise Untranslatable("an invalid date constant") from None
    return f"_date({day.year}, {day.month}, {day.day})"


def eval_literal(code: str) -> Any:
    """The value of a literal this module printed (``_D("2.5")``, ``'x'``, ``5``)."""
    if code.startswith("_D("):
        return Decimal(eval_literal(code[3:-1]))
    import ast as pyast

    return pyast.literal_eval(code)


def check_rule(
    table: Table,
    name: str,
    expression: str,
    attrs: dict[str, str],
    enums: Mapping[str, tuple[str, ...]],
) -> CheckRule:
    """A check constraint translated into Python over the row's attributes, or skipped with the
    reason when its expression has no faithful translation."""
    try:
        refs = tuple(column_refs(expression))
    except ExprSyntaxError:
        refs = ()
    keys = tuple(attrs.get(r, "") for r in refs)
    try:
        if not refs:
            raise Untranslatable("references no column")
        tr = _Translator(table, attrs, enums)
        result = tr.predicate(parse_expr(expression))
        code = (*tr.lines, f"        return {result}")
    except Untranslatable as exc:
        return CheckRule(name, expression, refs, keys, None, str(exc))
    except ExprSyntaxError as exc:
        return CheckRule(name, expression, refs, keys, None, str(exc))
    return CheckRule(name, expression, refs, keys, code, None)


def table_rules(schema: Schema, table: Table, attrs: dict[str, str]) -> TableRules:
    """Rules for the writable columns (``attrs``: database name -> Python key)."""
    enums = {e.name: e.values for e in schema.enums}
    columns = tuple(
        column_rule(col, attrs[col.name], enums) for col in table.columns if col.name in attrs
    )
    checks = tuple(check_rule(table, c.name, c.expression, attrs, enums) for c in table.checks)
    return TableRules(columns, checks, tuple(constraint_columns(table)))


def constraint_columns(table: Table) -> list[tuple[str, tuple[str, ...]]]:
    """Every constraint (and unique index) Postgres can name in an error, with its columns."""
    out: list[tuple[str, tuple[str, ...]]] = []
    if table.primary_key:
        out.append((table.primary_key.name, table.primary_key.columns))
    out += [(u.name, u.columns) for u in table.uniques]
    out += [(f.name, f.columns) for f in table.foreign_keys]
    for c in table.checks:
        try:
            out.append((c.name, tuple(column_refs(c.expression))))
        except ExprSyntaxError:
            out.append((c.name, ()))
    for idx in table.indexes:
        if not idx.unique:
            continue
        cols: list[str] = []
        for e in idx.elements:
            found = [e.column] if e.column else _refs(e.expression or "")
            cols += [c for c in found if c not in cols]
        out.append((idx.name, tuple(cols)))
    return sorted(out)


def _refs(text: str) -> list[str]:
    try:
        return column_refs(text)
    except ExprSyntaxError:
        return []


def rules_for(schema: Schema, table: Table, writable: Sequence[Any]) -> TableRules:
    """Template entry point (``writable``: the table's writable ``ColumnView``s)."""
    return table_rules(schema, table, {c.name: c.attr for c in writable})
