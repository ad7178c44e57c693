"""Typed reading of TOML values, reporting every problem instead of raising.

A :class:`SpecReader` belongs to one spec file: it knows the file's line index,
so each problem it records carries ``file:line`` and the dotted spec path. The
getters return ``None`` (or a safe default) for a bad value after recording the
problem, so a section reader can go on and find the next one.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pgwarden.errors import Problem
from pgwarden.spec.exprs import ExprSyntaxError
from pgwarden.spec.exprs import normalize_expr as _normalize
from pgwarden.spec.locate import LineIndex
from pgwarden.spec.model import Source, Suppression

SpecPath = tuple[str, ...]
T = TypeVar("T")

IGNORE_KEYS = ("rule", "reason")


def dotted(path: SpecPath) -> str:
    """A spec path as dotted text (``tables.User.columns.email``)."""
    return ".".join(path)


@dataclass
class SpecFile:
    """One spec file: its name, text and where each dotted path is written."""

    name: str
    text: str
    index: LineIndex


class SpecReader:
    """Reads values of one file; problems go to the shared ``problems`` list."""

    def __init__(self, file: SpecFile, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems

    # ------------------------------------------------------------------ reporting

    def problem(self, path: SpecPath, message: str, hint: str | None = None) -> None:
        """Record a problem at ``path`` (its file and line found through the line index)."""
        f = self.file
        self.problems.append(Problem(f.name, dotted(path), message, hint, f.index.line_of(path)))

    def source(self, path: SpecPath) -> Source:
        """Where the object at ``path`` is declared (kept on the model for later messages)."""
        return Source(self.file.name, dotted(path), self.file.index.line_of(path))

    # ------------------------------------------------------------------ typed getters

    def mapping(
        self, value: object, path: SpecPath, allowed: Collection[str]
    ) -> dict[str, Any] | None:
        """``value`` as a TOML table with only ``allowed`` keys (unknown keys reported)."""
        if not isinstance(value, dict):
            self.problem(
                path, f"must be a table, got {kind(value)}", "see docs/spec.md for its keys"
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
                self.problem((*path, str(key)), f"unknown key {key!r}", hint)
        return value

    def string(
        self, raw: dict[str, Any], key: str, path: SpecPath, *, required: bool = False
    ) -> str | None:
        """``raw[key]`` as a string (None when absent; a wrong type, or absent when
        ``required``, is a problem)."""
        value = raw.get(key)
        if value is None:
            if required:
                self.problem(path, f"missing required key {key!r}", f'add {key} = "..."')
            return None
        if not isinstance(value, str):
            self.problem((*path, key), f"must be a string, got {kind(value)}", "quote it")
            return None
        if not value or "\x00" in value:
            self.problem(
                (*path, key),
                "must be a non-empty string without NUL characters",
                f"remove {key} or give it a value",
            )
            return None
        return value

    def boolean(
        self, raw: dict[str, Any], key: str, path: SpecPath, *, default: bool = False
    ) -> bool:
        """``raw[key]`` as a boolean (``default`` when absent; another type is a problem)."""
        value = raw.get(key, default)
        if not isinstance(value, bool):
            self.problem((*path, key), f"must be true or false, got {kind(value)}", f"{key} = true")
            return default
        return value

    def strings(
        self, raw: dict[str, Any], key: str, path: SpecPath, *, required: bool = False
    ) -> tuple[str, ...] | None:
        """``raw[key]`` as a list of strings (None when absent; anything else is a problem)."""
        value = raw.get(key)
        if value is None:
            if required:
                self.problem(path, f"missing required key {key!r}", f'add {key} = ["..."]')
            return None
        if (
            not isinstance(value, list)
            or not all(isinstance(v, str) and v and "\x00" not in v for v in value)
            or (required and not value)
        ):
            self.problem(
                (*path, key),
                "must be a non-empty list of non-empty strings without NUL characters",
                f'{key} = ["a", "b"]',
            )
            return None
        return tuple(value)

    def integer(self, raw: dict[str, Any], key: str, path: SpecPath) -> int | None:
        """``raw[key]`` as an integer (None when absent; a boolean or another type is a problem)."""
        value = raw.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem((*path, key), f"must be a whole number, got {kind(value)}", f"{key} = 1")
            return None
        if not -(2**63) <= value < 2**63:
            self.problem((*path, key), f"{value} does not fit in a bigint", "use a smaller number")
            return None
        return value

    def choice(
        self,
        raw: dict[str, Any],
        key: str,
        path: SpecPath,
        *,
        choices: Sequence[T],
        default: T,
    ) -> T:
        """``raw[key]`` as one of ``choices``, case, spaces and underscores ignored
        (``"by_default"`` is ``"by default"``); an unknown value is a problem with the closest
        choice."""
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
            (*path, key),
            f"{value!r} is not one of {', '.join(repr(c) for c in choices)}",
            did_you_mean(str(value), [str(c) for c in choices])
            or f"use one of {', '.join(repr(c) for c in choices)}",
        )
        return default

    def expr(
        self, raw: dict[str, Any], key: str, path: SpecPath, *, required: bool = False
    ) -> str | None:
        """``raw[key]`` as an SQL expression in its normal form (a syntax error is a problem)."""
        text = self.string(raw, key, path, required=required)
        if text is None:
            return None
        return self.normalize((*path, key), text)

    def normalize(self, path: SpecPath, text: str) -> str | None:
        """``text`` in pglast's normal form, or None after recording why it does not parse."""
        try:
            return _normalize(text)
        except ExprSyntaxError as exc:
            self.problem(path, f"{text!r}: {exc}", 'write one SQL expression, e.g. "price > 0"')
            return None

    def suppressions(self, raw: dict[str, Any], path: SpecPath) -> tuple[Suppression, ...]:
        """``ignore = [{ rule, reason }]`` of an object: lint suppressions, each with its reason."""
        value = raw.get("ignore")
        if value is None:
            return ()
        if not isinstance(value, list):
            self.problem(
                (*path, "ignore"),
                "must be a list of { rule, reason }",
                'ignore = [{ rule = "...", reason = "why this is fine" }]',
            )
            return ()
        out: list[Suppression] = []
        for i, item in enumerate(value):
            ipath = (*path, f"ignore[{i}]")
            entry = self.mapping(item, ipath, IGNORE_KEYS)
            if entry is None:
                continue
            rule = self.string(entry, "rule", ipath, required=True)
            reason = self.string(entry, "reason", ipath, required=True)
            if rule and reason:
                out.append(Suppression(rule, reason))
        return tuple(out)

    def entries(self, raw: dict[str, Any], key: str, path: SpecPath) -> list[tuple[SpecPath, Any]]:
        """A list-of-tables key (``[[tables.X.indexes]]``) as (path, item) pairs."""
        value = raw.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(
                (*path, key),
                f"must be a list of tables, got {kind(value)}",
                f"use [[...{key}]]",
            )
            return []
        return [((*path, f"{key}[{i}]"), item) for i, item in enumerate(value)]


def did_you_mean(value: str, options: list[str]) -> str | None:
    """A hint naming the closest option, when one is close enough."""
    close = difflib.get_close_matches(value, options, n=1, cutoff=0.5)
    return f"did you mean {close[0]!r}?" if close else None


def kind(value: object) -> str:
    """What a TOML value is, for messages ("a string", "a table", ...)."""
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
