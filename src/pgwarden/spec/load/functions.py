"""``[functions.Name]`` and ``[procedures.Name]``.

The body is kept exactly as written (Postgres stores it so); the argument list
and return type are parsed by Postgres's parser and kept in their printed form
(``spec.routines``), so spelling differences do not make two specs unequal.
"""

from __future__ import annotations

from typing import Any

from pgwarden.spec.exprs import ExprSyntaxError
from pgwarden.spec.load.reader import SpecPath, SpecReader, kind
from pgwarden.spec.model import PARALLEL_MODES, VOLATILITIES, Function
from pgwarden.spec.routines import normalize_arguments, normalize_returns

_COMMON_KEYS = (
    "language",
    "arguments",
    "body",
    "security_definer",
    "search_path",
    "set",
    "comment",
)
FUNCTION_KEYS = (*_COMMON_KEYS, "returns", "volatility", "strict", "parallel", "leakproof")
PROCEDURE_KEYS = _COMMON_KEYS


def read_function(r: SpecReader, section: str, name: str, value: object) -> Function | None:
    """One function (``section`` "functions") or procedure ("procedures")."""
    procedure = section == "procedures"
    path: SpecPath = (section, name)
    raw = r.mapping(value, path, PROCEDURE_KEYS if procedure else FUNCTION_KEYS)
    if raw is None:
        return None
    language = r.string(raw, "language", path, required=True)
    body = r.string(raw, "body", path, required=True)
    arguments = _arguments(r, raw, path)
    returns: str | None = None
    if not procedure:
        text = r.string(raw, "returns", path, required=True)
        if text is not None and arguments is not None:
            try:
                returns = normalize_returns(arguments, text)
            except ExprSyntaxError as exc:
                r.problem((*path, "returns"), str(exc), 'returns = "integer" (or "SETOF text")')
        if returns is None:
            return None
    search_path = r.strings(raw, "search_path", path)
    settings = _settings(r, raw, path)
    if language is None or body is None or arguments is None or settings is None:
        return None
    return Function(
        name=name,
        language=language.lower(),
        body=body,
        kind="procedure" if procedure else "function",
        arguments=arguments,
        returns=returns,
        volatility=r.choice(raw, "volatility", path, choices=VOLATILITIES, default="volatile"),
        strict=r.boolean(raw, "strict", path),
        security_definer=r.boolean(raw, "security_definer", path),
        parallel=r.choice(raw, "parallel", path, choices=PARALLEL_MODES, default="unsafe"),
        leakproof=r.boolean(raw, "leakproof", path),
        search_path=search_path,
        settings=settings,
        comment=r.string(raw, "comment", path),
        source=r.source(path),
    )


def _arguments(r: SpecReader, raw: dict[str, Any], path: SpecPath) -> str | None:
    value = raw.get("arguments", "")
    if not isinstance(value, str):
        r.problem((*path, "arguments"), f"must be a string, got {kind(value)}", "quote it")
        return None
    try:
        return normalize_arguments(value)
    except ExprSyntaxError as exc:
        r.problem((*path, "arguments"), str(exc), "arguments = \"a integer, b text DEFAULT 'x'\"")
        return None


def _settings(
    r: SpecReader, raw: dict[str, Any], path: SpecPath
) -> tuple[tuple[str, str], ...] | None:
    value = raw.get("set")
    if value is None:
        return ()
    ok = isinstance(value, dict) and all(
        isinstance(k, str) and k and isinstance(v, str) and v for k, v in value.items()
    )
    if not isinstance(value, dict) or not ok:
        r.problem(
            (*path, "set"),
            "must be a table of setting names to string values",
            'set = { work_mem = "64MB" }',
        )
        return None
    if "search_path" in value:
        r.problem(
            (*path, "set", "search_path"), "search_path has its own key", 'search_path = ["public"]'
        )
        return None
    return tuple(sorted((k.lower(), v) for k, v in value.items()))
