"""The Prisma schema language: tokenizer, syntax tree and recursive-descent parser.

Only syntax lives here; what a model *means* for PostgreSQL is decided by
:mod:`pgwarden.importers.prisma`. Every node carries its line and column, so a
later problem ("relation to a missing model") can point at ``schema.prisma:12:3``.

Grammar (the subset Prisma accepts for relational databases)::

    document   := (block | NEWLINE)*
    block      := DOC* KEYWORD IDENT '{' member* '}'      # model, enum, view, type
                | DOC* KEYWORD IDENT '{' assignment* '}'   # datasource, generator
    member     := DOC* (field | enum_value | block_attr) DOC? NEWLINE
    field      := IDENT field_type field_attr*
    field_type := (IDENT | call) ('?' | '[' ']')?         # Unsupported("circle") is a call
    field_attr := '@' dotted args?
    block_attr := '@@' dotted args?
    args       := '(' (arg (',' arg)*)? ','? ')'
    arg        := (IDENT ':')? expr
    expr       := STRING | NUMBER | IDENT | call | '[' (expr (',' expr)*)? ','? ']'
    call       := dotted args
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from pgwarden.errors import PgwardenError, Problem

TokenKind = Literal["ident", "string", "number", "punct", "doc", "comment", "newline", "eof"]


class PrismaError(PgwardenError):
    """A Prisma schema that cannot be imported; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        count = len(problems)
        header = f"{count} problem{'s' if count != 1 else ''} in the Prisma schema"
        super().__init__(header + ":\n" + "\n".join(str(p) for p in problems))


@dataclass(frozen=True, slots=True)
class Token:
    """One token of a Prisma schema, with its line."""

    kind: TokenKind
    text: str
    line: int
    col: int


_TOKEN = re.compile(
    r"""
    (?P<doc>///[^\n]*)
  | (?P<comment>//[^\n]*)
  | (?P<newline>\r?\n)
  | (?P<space>[ \t\r\f]+)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>@@|[@{}()\[\],:=?.])
    """,
    re.VERBOSE,
)

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "'": "'"}


def tokenize(text: str, filename: str) -> list[Token]:
    """Split source into tokens.

    ``//`` comments are kept as ``comment`` tokens so the parser can record them
    (a commented-out ``@@unique`` is worth a warning); ``///`` doc comments
    become ``doc`` tokens that attach to the next declaration.
    """
    tokens: list[Token] = []
    pos, line, line_start = 0, 1, 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        col = pos - line_start + 1
        if match is None:
            bad = text[pos]
            if bad == '"':
                raise PrismaError(
                    [
                        Problem(
                            filename,
                            "",
                            f"column {col}: unterminated string",
                            'close the string with " on the same line',
                            line,
                        )
                    ]
                )
            raise PrismaError(
                [Problem(filename, "", f"column {col}: unexpected character {bad!r}", None, line)]
            )
        kind = match.lastgroup
        value = match.group()
        if kind == "doc":
            tokens.append(Token("doc", value[3:].strip(), line, col))
        elif kind == "comment":
            tokens.append(Token("comment", value[2:].strip(), line, col))
        elif kind == "newline":
            tokens.append(Token("newline", "\n", line, col))
            line += 1
            line_start = match.end()
        elif kind in ("ident", "number", "punct"):
            tokens.append(Token(kind, value, line, col))  # type: ignore[arg-type]
        elif kind == "string":
            body = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), value[1:-1])
            tokens.append(Token("string", body, line, col))
        pos = match.end()
    tokens.append(Token("eof", "", line, pos - line_start + 1))
    return tokens


# --------------------------------------------------------------------------- syntax tree


@dataclass(frozen=True, slots=True)
class Str:
    """A string literal."""

    value: str
    line: int


@dataclass(frozen=True, slots=True)
class Num:
    """A number literal, kept as written."""

    text: str
    line: int


@dataclass(frozen=True, slots=True)
class Name:
    """A bare identifier: an enum value, ``true``, ``Cascade``, ``Desc``, a field name."""

    name: str
    line: int


@dataclass(frozen=True, slots=True)
class Call:
    """``now()``, ``dbgenerated("...")``, ``env("URL")``, or ``field(sort: Desc)`` in a list."""

    name: str
    args: tuple[Arg, ...]
    line: int


@dataclass(frozen=True, slots=True)
class Array:
    """A list literal ``[a, b]``."""

    items: tuple[Expr, ...]
    line: int


Expr = Str | Num | Name | Call | Array


@dataclass(frozen=True, slots=True)
class Arg:
    """One argument of an attribute or call: positional (``name`` None) or ``name: value``."""

    name: str | None
    value: Expr
    line: int


@dataclass(frozen=True, slots=True)
class Attribute:
    """``@unique`` / ``@db.VarChar(20)`` (field) or ``@@index([a])`` (block)."""

    name: str
    args: tuple[Arg, ...]
    line: int
    col: int
    block: bool

    @property
    def spelling(self) -> str:
        """The attribute as written in the schema (``@id``, ``@@index``), for messages."""
        return ("@@" if self.block else "@") + self.name

    def positional(self) -> list[Expr]:
        """The positional arguments, in order."""
        return [a.value for a in self.args if a.name is None]

    def first(self, key: str) -> Expr | None:
        """The first positional argument, or the argument named ``key``."""
        pos = self.positional()
        return pos[0] if pos else self.named(key)

    def named(self, key: str) -> Expr | None:
        """The value of the argument named ``key`` (None when not given)."""
        for arg in self.args:
            if arg.name == key:
                return arg.value
        return None


@dataclass(frozen=True, slots=True)
class FieldType:
    """A field's type: the name, ``?`` (optional), ``[]`` (list), or ``Unsupported("...")``."""

    name: str
    optional: bool = False
    list: bool = False
    unsupported: str | None = None
    """The database type text of ``Unsupported("...")``."""


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a model (or a value of an enum): name, type, attributes, doc comment."""

    name: str
    type: FieldType
    attributes: tuple[Attribute, ...]
    doc: str | None
    line: int

    def attribute(self, name: str) -> Attribute | None:
        """The field's attribute called ``name`` (None when it has none)."""
        for attr in self.attributes:
            if attr.name == name:
                return attr
        return None


@dataclass(frozen=True, slots=True)
class Assignment:
    """A ``key = value`` line of a datasource or generator block."""

    key: str
    value: Expr
    line: int


@dataclass(frozen=True, slots=True)
class Block:
    """A top-level block. ``kind``: model, enum, view, type, datasource, generator."""

    kind: str
    name: str
    line: int
    doc: str | None
    fields: tuple[Field, ...] = ()
    """Model fields; for an enum, its values (type ``FieldType("")``)."""
    attributes: tuple[Attribute, ...] = ()
    assignments: tuple[Assignment, ...] = ()

    def attribute(self, name: str) -> Attribute | None:
        """The block's ``@@name`` attribute (None when it has none)."""
        for attr in self.attributes:
            if attr.name == name:
                return attr
        return None

    def assignment(self, key: str) -> Expr | None:
        """The value of the block's ``key = value`` line (None when absent)."""
        for a in self.assignments:
            if a.key == key:
                return a.value
        return None


@dataclass(frozen=True, slots=True)
class Comment:
    """A ``//`` comment (the importer looks for commented-out attributes in them)."""

    text: str
    line: int


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed Prisma schema: its blocks in order and its plain comments."""

    filename: str
    blocks: tuple[Block, ...] = field(default=())
    comments: tuple[Comment, ...] = ()
    """Every ``//`` comment, in order (they carry no meaning, but may hide intent)."""


BLOCK_KINDS = ("model", "enum", "view", "type", "datasource", "generator")


# --------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, tokens: list[Token], filename: str) -> None:
        self.comments = tuple(Comment(t.text, t.line) for t in tokens if t.kind == "comment")
        tokens = [t for t in tokens if t.kind != "comment"]
        self.tokens = tokens
        self.pos = 0
        self.filename = filename

    # -- primitives
    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> Token:
        tok = self.tokens[self.pos]
        if tok.kind != "eof":
            self.pos += 1
        return tok

    def error(self, message: str, tok: Token | None = None, hint: str | None = None) -> PrismaError:
        tok = tok or self.tok
        return PrismaError(
            [Problem(self.filename, "", f"column {tok.col}: {message}", hint, tok.line)]
        )

    def at(self, kind: TokenKind, text: str | None = None) -> bool:
        return self.tok.kind == kind and (text is None or self.tok.text == text)

    def expect(self, kind: TokenKind, text: str | None = None, what: str | None = None) -> Token:
        if not self.at(kind, text):
            wanted = what or (repr(text) if text else kind)
            raise self.error(f"expected {wanted}, found {_describe(self.tok)}")
        return self.advance()

    def skip_newlines(self) -> None:
        while self.at("newline"):
            self.advance()

    def take_docs(self) -> str | None:
        """Consecutive ``///`` lines (blank lines between them end the run)."""
        lines: list[str] = []
        while True:
            if self.at("doc"):
                lines.append(self.advance().text)
                if self.at("newline"):
                    self.advance()
            elif self.at("newline"):
                self.advance()
                lines.clear()  # a blank line detaches earlier doc comments
            else:
                break
        return "\n".join(lines) if lines else None

    def end_of_member(self) -> str | None:
        """A member ends at a newline or ``}``; a trailing ``///`` documents it."""
        trailing = None
        if self.at("doc"):
            trailing = self.advance().text
        if self.at("newline"):
            self.advance()
        elif not self.at("punct", "}"):
            raise self.error(f"expected the end of the line, found {_describe(self.tok)}")
        return trailing

    # -- grammar
    def document(self) -> Document:
        blocks: list[Block] = []
        while True:
            doc = self.take_docs()
            if self.at("eof"):
                break
            blocks.append(self.block(doc))
        return Document(self.filename, tuple(blocks), self.comments)

    def block(self, doc: str | None) -> Block:
        kw = self.tok
        if kw.kind != "ident" or kw.text not in BLOCK_KINDS:
            raise self.error(
                f"expected a block (model, enum, datasource, generator), found {_describe(kw)}",
                hint="every top-level declaration starts with model, enum, datasource or generator",
            )
        self.advance()
        name = self.expect("ident", what="a block name")
        self.expect("punct", "{")
        if kw.text in ("datasource", "generator"):
            return self.config_body(kw, name.text, doc)
        if kw.text == "enum":
            return self.enum_body(kw, name.text, doc)
        return self.model_body(kw, name.text, doc)

    def config_body(self, kw: Token, name: str, doc: str | None) -> Block:
        assignments: list[Assignment] = []
        while True:
            self.take_docs()
            if self.at("punct", "}"):
                self.advance()
                break
            key = self.expect("ident", what="a setting name")
            self.expect("punct", "=")
            assignments.append(Assignment(key.text, self.expr(), key.line))
            self.end_of_member()
        return Block(kw.text, name, kw.line, doc, assignments=tuple(assignments))

    def enum_body(self, kw: Token, name: str, doc: str | None) -> Block:
        values: list[Field] = []
        attrs: list[Attribute] = []
        while True:
            member_doc = self.take_docs()
            if self.at("punct", "}"):
                self.advance()
                break
            if self.at("punct", "@@"):
                attrs.append(self.attribute())
                self.end_of_member()
                continue
            value = self.expect("ident", what="an enum value")
            value_attrs: list[Attribute] = []
            while self.at("punct", "@"):
                value_attrs.append(self.attribute())
            trailing = self.end_of_member()
            values.append(
                Field(
                    value.text,
                    FieldType(""),
                    tuple(value_attrs),
                    member_doc or trailing,
                    value.line,
                )
            )
        return Block(kw.text, name, kw.line, doc, tuple(values), tuple(attrs))

    def model_body(self, kw: Token, name: str, doc: str | None) -> Block:
        fields: list[Field] = []
        attrs: list[Attribute] = []
        while True:
            member_doc = self.take_docs()
            if self.at("punct", "}"):
                self.advance()
                break
            if self.at("punct", "@@"):
                attrs.append(self.attribute())
                self.end_of_member()
                continue
            if self.at("punct", "@"):
                raise self.error(
                    "a field attribute (@) outside a field",
                    hint="model-level attributes start with @@, e.g. @@index([a])",
                )
            fname = self.expect("ident", what="a field name")
            ftype = self.field_type()
            fattrs: list[Attribute] = []
            while self.at("punct", "@"):
                fattrs.append(self.attribute())
            trailing = self.end_of_member()
            fields.append(
                Field(fname.text, ftype, tuple(fattrs), member_doc or trailing, fname.line)
            )
        return Block(kw.text, name, kw.line, doc, tuple(fields), tuple(attrs))

    def field_type(self) -> FieldType:
        tname = self.expect("ident", what="a field type")
        unsupported = None
        if tname.text == "Unsupported" and self.at("punct", "("):
            args = self.args()
            if len(args) != 1 or not isinstance(args[0].value, Str):
                raise self.error('Unsupported takes one string: Unsupported("circle")', tname)
            unsupported = args[0].value.value
        if self.at("punct", "?"):
            self.advance()
            return FieldType(tname.text, optional=True, unsupported=unsupported)
        if self.at("punct", "["):
            self.advance()
            self.expect("punct", "]")
            if self.at("punct", "?"):
                raise self.error("a list cannot be optional (Type[]?)", hint="write Type[]")
            return FieldType(tname.text, list=True, unsupported=unsupported)
        return FieldType(tname.text, unsupported=unsupported)

    def dotted(self) -> Token:
        first = self.expect("ident", what="a name")
        parts = [first.text]
        while self.at("punct", "."):
            self.advance()
            parts.append(self.expect("ident", what="a name after '.'").text)
        return Token("ident", ".".join(parts), first.line, first.col)

    def attribute(self) -> Attribute:
        at = self.advance()  # '@' or '@@'
        name = self.dotted()
        args = self.args() if self.at("punct", "(") else ()
        return Attribute(name.text, args, at.line, at.col, at.text == "@@")

    def args(self) -> tuple[Arg, ...]:
        self.expect("punct", "(")
        out: list[Arg] = []
        while True:
            self.skip_newlines()
            if self.at("punct", ")"):
                self.advance()
                return tuple(out)
            start = self.tok
            name = None
            if (
                self.tok.kind == "ident"
                and self.tokens[self.pos + 1].kind == "punct"
                and self.tokens[self.pos + 1].text == ":"
            ):
                name = self.advance().text
                self.advance()
            out.append(Arg(name, self.expr(), start.line))
            self.skip_newlines()
            if self.at("punct", ","):
                self.advance()
            elif not self.at("punct", ")"):
                raise self.error(f"expected ',' or ')', found {_describe(self.tok)}")

    def expr(self) -> Expr:
        self.skip_newlines()
        tok = self.tok
        if tok.kind == "string":
            self.advance()
            return Str(tok.text, tok.line)
        if tok.kind == "number":
            self.advance()
            return Num(tok.text, tok.line)
        if tok.kind == "ident":
            name = self.dotted()
            if self.at("punct", "("):
                return Call(name.text, self.args(), tok.line)
            return Name(name.text, tok.line)
        if self.at("punct", "["):
            self.advance()
            items: list[Expr] = []
            while True:
                self.skip_newlines()
                if self.at("punct", "]"):
                    self.advance()
                    return Array(tuple(items), tok.line)
                items.append(self.expr())
                self.skip_newlines()
                if self.at("punct", ","):
                    self.advance()
                elif not self.at("punct", "]"):
                    raise self.error(f"expected ',' or ']', found {_describe(self.tok)}")
        raise self.error(f"expected a value, found {_describe(tok)}")


def _describe(tok: Token) -> str:
    if tok.kind == "eof":
        return "the end of the file"
    if tok.kind == "newline":
        return "the end of the line"
    if tok.kind == "string":
        return f'string "{tok.text}"'
    if tok.kind == "doc":
        return "a /// comment"
    return repr(tok.text)


def parse(text: str, filename: str = "schema.prisma") -> Document:
    """Parse Prisma schema source into a :class:`Document` (raises :class:`PrismaError`)."""
    return _Parser(tokenize(text, filename), filename).document()
