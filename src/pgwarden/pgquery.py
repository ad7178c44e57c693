"""Postgres's own parser (libpg_query) for lint, without pglast's Python start-up.

pglast links libpg_query into its extension module and exports its C functions.
Importing ``pglast.parser`` runs the ``pglast`` package first, which builds the
AST classes and enums (~70 ms of CPU, a third of a one-file ``pgwarden lint``),
although lint reads only the parser's JSON output and the scanner's tokens. So
this module loads the same shared object with ctypes (the dynamic loader does not
run Python's module initialisation) and calls ``pg_query_parse``,
``pg_query_parse_plpgsql`` and ``pg_query_scan_tokens`` directly. The results are
pglast's: ``tests/checks/test_pgquery.py`` compares both bindings on generated
SQL. When the library cannot be loaded that way the pglast functions are used.
"""

from __future__ import annotations

import ctypes
import importlib.machinery
import importlib.util
import os
import re
from collections.abc import Callable
from typing import NamedTuple


class ParseError(Exception):
    """The parser's message, and the character index of the error (None: unknown)."""


class Token(NamedTuple):
    """One lexical token: character offsets (``end`` inclusive), name and keyword kind."""

    start: int
    end: int
    name: str
    kind: str


class _Error(ctypes.Structure):
    _fields_ = [
        ("message", ctypes.c_char_p),
        ("funcname", ctypes.c_char_p),
        ("filename", ctypes.c_char_p),
        ("lineno", ctypes.c_int),
        ("cursorpos", ctypes.c_int),
        ("context", ctypes.c_char_p),
    ]


class _ParseResult(ctypes.Structure):
    _fields_ = [
        ("parse_tree", ctypes.c_void_p),
        ("stderr_buffer", ctypes.c_void_p),
        ("error", ctypes.POINTER(_Error)),
    ]


class _PlpgsqlResult(ctypes.Structure):
    _fields_ = [("plpgsql_funcs", ctypes.c_void_p), ("error", ctypes.POINTER(_Error))]


class _ScanToken(ctypes.Structure):
    _fields_ = [
        ("start", ctypes.c_int),
        ("end", ctypes.c_int),
        ("token", ctypes.c_int),
        ("keyword_kind", ctypes.c_int),
    ]


class _ScanResult(ctypes.Structure):
    _fields_ = [
        ("tokens", ctypes.POINTER(_ScanToken)),
        ("n_tokens", ctypes.c_int),
        ("error", ctypes.POINTER(_Error)),
    ]


def _library() -> ctypes.CDLL | None:
    spec = importlib.util.find_spec("pglast")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = os.path.join(folder, "parser" + suffix)
            if os.path.exists(path):
                try:
                    lib = ctypes.CDLL(path)
                    lib.pg_query_parse.restype = _ParseResult
                    lib.pg_query_parse.argtypes = [ctypes.c_char_p]
                    lib.pg_query_free_parse_result.argtypes = [_ParseResult]
                    lib.pg_query_parse_plpgsql.restype = _PlpgsqlResult
                    lib.pg_query_parse_plpgsql.argtypes = [ctypes.c_char_p]
                    lib.pg_query_free_plpgsql_parse_result.argtypes = [_PlpgsqlResult]
                    lib.pg_query_scan_tokens.restype = _ScanResult
                    lib.pg_query_scan_tokens.argtypes = [ctypes.c_char_p]
                    lib.pg_query_free_scan_tokens_result.argtypes = [_ScanResult]
                    lib.pg_query_token_name.restype = ctypes.c_char_p
                    lib.pg_query_token_name.argtypes = [ctypes.c_int]
                    lib.pg_query_keyword_kind_name.restype = ctypes.c_char_p
                    lib.pg_query_keyword_kind_name.argtypes = [ctypes.c_int]
                except (OSError, AttributeError):
                    return None
                return lib
    return None


_LIB = None if os.environ.get("PGWARDEN_PGLAST_PARSER") else _library()


def _raise(query: str, error: _Error) -> None:
    message = (error.message or b"").decode("utf-8", errors="replace")
    index = error.cursorpos - 1  # 1-based character index, as pglast reports it
    raise ParseError(message, index if 0 <= index < len(query) else None)


def _parse_sql_json(query: str) -> bytes:
    assert _LIB is not None
    result = _LIB.pg_query_parse(query.encode("utf-8"))
    try:
        if result.error:
            _raise(query, result.error.contents)
        return ctypes.string_at(result.parse_tree)
    finally:
        _LIB.pg_query_free_parse_result(result)


def _parse_plpgsql_json(query: str) -> bytes:
    assert _LIB is not None
    result = _LIB.pg_query_parse_plpgsql(query.encode("utf-8"))
    try:
        if result.error:
            _raise(query, result.error.contents)
        return ctypes.string_at(result.plpgsql_funcs)
    finally:
        _LIB.pg_query_free_plpgsql_parse_result(result)


_NAMES: dict[int, str] = {}
_KINDS: dict[int, str] = {}


def _char_index(query: str) -> Callable[[int], int]:
    """Byte offset in the UTF-8 text -> character index."""
    if query.isascii():
        return int
    index: list[int] = []
    for n, ch in enumerate(query):
        index.extend([n] * len(ch.encode("utf-8")))
    index.append(len(query))
    return index.__getitem__


def _scan(query: str) -> list[Token]:
    assert _LIB is not None
    lib = _LIB
    result = lib.pg_query_scan_tokens(query.encode("utf-8"))
    try:
        if result.error:
            _raise(query, result.error.contents)
        at = _char_index(query)
        out = []
        for i in range(result.n_tokens):
            tok = result.tokens[i]
            name = _NAMES.get(tok.token)
            if name is None:
                raw = lib.pg_query_token_name(tok.token)
                name = _NAMES[tok.token] = raw.decode("ascii") if raw else "UNKNOWN"
            kind = _KINDS.get(tok.keyword_kind)
            if kind is None:
                raw = lib.pg_query_keyword_kind_name(tok.keyword_kind)
                kind = _KINDS[tok.keyword_kind] = raw.decode("ascii") if raw else ""
            out.append(Token(at(tok.start), at(tok.end - 1), name, kind))
        return out
    finally:
        lib.pg_query_free_scan_tokens_result(result)


def _pglast_parse_sql_json(query: str) -> bytes:
    from pglast import parser

    try:
        return parser.parse_sql_json(query).encode("utf-8")
    except parser.ParseError as exc:
        raise ParseError(*exc.args) from None


def _pglast_parse_plpgsql_json(query: str) -> bytes:
    from pglast import parser

    try:
        return parser.parse_plpgsql_json(query).encode("utf-8")
    except parser.ParseError as exc:
        raise ParseError(*exc.args) from None


def _pglast_scan(query: str) -> list[Token]:
    from pglast import parser

    try:
        return [Token(t.start, t.end, t.name, t.kind) for t in parser.scan(query)]
    except parser.ParseError as exc:
        raise ParseError(*exc.args) from None


#: The JSON parse tree of every statement of ``query`` (UTF-8 bytes; positions in bytes).
parse_sql_json: Callable[[str], bytes] = _parse_sql_json if _LIB else _pglast_parse_sql_json
#: The JSON tree of a PL/pgSQL function definition (``CREATE FUNCTION ... LANGUAGE plpgsql``).
parse_plpgsql_json: Callable[[str], bytes] = (
    _parse_plpgsql_json if _LIB else _pglast_parse_plpgsql_json
)
#: The tokens of ``query`` (comments included), as pglast's ``scan`` gives them.
scan: Callable[[str], list[Token]] = _scan if _LIB else _pglast_scan
#: Which binding is in use ("ctypes" or "pglast").
BINDING = "ctypes" if _LIB else "pglast"

_SIMPLE = re.compile(r"[a-z_][a-z0-9_]*$").match
#: Keyword kinds that cannot stand as a bare column or table name.
_QUOTED_KINDS = frozenset({"RESERVED_KEYWORD", "TYPE_FUNC_NAME_KEYWORD"})
_BARE: dict[str, str] = {}


def bare_ident(name: str) -> str:
    """``name`` as pglast's printer writes it (``maybe_double_quote_name``): bare when it
    is a simple lower-case word that is neither a reserved nor a type/function-name
    keyword, double-quoted otherwise. The keyword kind comes from the scanner (the same
    kwlist pglast's sets are extracted from), so a fix text in lint does not load the
    pglast package; ``tests/checks/test_pgquery.py`` compares the two on every keyword."""
    got = _BARE.get(name)
    if got is None:
        bare = _SIMPLE(name) is not None
        if bare:
            tokens = scan(name)
            bare = len(tokens) == 1 and tokens[0].kind not in _QUOTED_KINDS
        quoted = name.replace('"', '""')
        got = _BARE[name] = name if bare else f'"{quoted}"'
    return got
