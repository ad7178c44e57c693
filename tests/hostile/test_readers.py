"""Every reader decodes strictly (issue 20 item 1): invalid UTF-8 and NUL bytes are
errors naming file, line and byte offset -- never a traceback, never a silent
truncation -- and readable bytes give exactly what the text API gives."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pgwarden import textfile
from pgwarden.apply import files
from pgwarden.checks.config import load_config
from pgwarden.checks.engine import finish, lint_paths, lint_python, lint_sql
from pgwarden.errors import PgwardenError
from pgwarden.importers.prisma import import_prisma, import_prisma_text
from pgwarden.spec.load import load_schema, load_schema_text


def test_nul_is_refused_with_line_column_and_byte_offset(tmp_path: Path) -> None:
    path = tmp_path / "up.sql"
    path.write_bytes(b"SELECT 1;\nSELECT 2;\x00DROP TABLE x;\n")
    with pytest.raises(textfile.UnreadableFile) as err:
        textfile.read_text(path)
    assert str(err.value).startswith(f"{path}:2: NUL byte (0x00) at column 10 (byte offset 19)")
    assert "fix: remove the NUL byte" in str(err.value)
    assert err.value.exit_code == 2 and err.value.byte_offset == 19


def test_invalid_utf8_names_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "a.sql"
    path.write_bytes("-- café\nSELECT 'x\xff';\n".encode("latin-1"))
    with pytest.raises(textfile.UnreadableFile) as err:
        textfile.read_text(path)
    assert str(err.value).startswith(f"{path}:1: invalid UTF-8 (byte 0xe9) at column 7")
    assert "(byte offset 6)" in str(err.value)


def test_utf16_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_bytes("[tables]\n".encode("utf-16"))
    with pytest.raises(textfile.UnreadableFile, match="UTF-16"):
        textfile.read_text(path)
    path.write_bytes("[tables]\n".encode("utf-16-le"))  # no byte-order mark
    with pytest.raises(textfile.UnreadableFile, match="looks UTF-16 encoded"):
        textfile.read_text(path)


def test_bom_and_line_ends(tmp_path: Path) -> None:
    path = tmp_path / "a.sql"
    path.write_bytes(b"\xef\xbb\xbfSELECT 1;\r\nSELECT 2;\rSELECT 3;\n")
    assert textfile.read_text(path) == "SELECT 1;\nSELECT 2;\nSELECT 3;\n"
    assert textfile.line_col(b"a\r\nb\rc\nd", 7) == (4, 1)


def test_missing_file_is_a_clean_error(tmp_path: Path) -> None:
    with pytest.raises(textfile.UnreadableFile, match="cannot read: No such file"):
        textfile.read_text(tmp_path / "nope.sql")


def test_a_migration_with_nul_can_neither_be_hashed_nor_loaded(tmp_path: Path) -> None:
    d = tmp_path / "migrations"
    (d / "0001_x").mkdir(parents=True)
    (d / "0001_x" / "up.sql").write_text("SELECT 1;\n")
    files.write_sum(d)
    (d / "0001_x" / "up.sql").write_bytes(b"SELECT 1;\x00DROP TABLE x;\n")
    for action in (lambda: files.write_sum(d), lambda: files.load_migrations(d)):
        with pytest.raises(textfile.UnreadableFile, match=r"up\.sql:1: NUL byte"):
            action()
    # even with the sum rewritten by hand to match the bytes, loading refuses
    digest = __import__("hashlib").sha256((d / "0001_x" / "up.sql").read_bytes()).hexdigest()
    (d / files.SUM_FILE).write_text(f"{digest}  0001_x/up.sql\n")
    with pytest.raises(textfile.UnreadableFile, match="NUL byte"):
        files.load_migrations(d)


# ---------------------------------------------------------------------- the property

_FRAGMENTS = [
    b"[tables.T.columns]\n",
    b'id = { type = "integer", primary_key = true }\n',
    b'name = { type = "text", default = "x" }\n',
    b"SELECT 1;\n",
    b"INSERT INTO t VALUES ('a;b');\n",
    b"-- pgwarden: ignore[drop-table] reason\nDROP TABLE x;\n",
    b"model User {\n  id Int @id\n  email String @unique\n}\n",
    b"def f(db):\n    return db.user.get(1)\n",
    b"'unterminated\n",
    b"$$ dollar\n",
    "é€😀".encode(),
]
_HOSTILE = [
    b"\x00",
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\xef\xbb\xbf",
    b"\r\n",
    b"\r",
    b"\xfe\xff",
]
_HUGE_LINE = b"SELECT '" + b"a" * 100_000 + b"';\n"

hostile_bytes = st.one_of(
    st.binary(max_size=200),
    st.lists(st.one_of(st.sampled_from(_FRAGMENTS), st.sampled_from(_HOSTILE)), max_size=12).map(
        b"".join
    ),
    st.lists(st.sampled_from([*_FRAGMENTS, _HUGE_LINE]), min_size=1, max_size=3).map(b"".join),
)


def _outcome(fn: Callable[[], object]) -> tuple[str, object]:
    """("ok", result) or ("error", message); anything but a PgwardenError fails the test."""
    try:
        return "ok", fn()
    except PgwardenError as exc:
        return "error", str(exc)


def _decoded(data: bytes) -> str | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\x00" in text:
        return None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _lint(paths: list[Path]) -> tuple[str, object]:
    return _outcome(lambda: [str(f) for f in lint_paths(paths).findings])


def _readers(d: Path, data: bytes) -> dict[str, tuple[tuple[str, object], Callable[[str], object]]]:
    """reader name -> (its outcome on the file, the text API on decoded text)."""
    out: dict[str, tuple[tuple[str, object], Callable[[str], object]]] = {}
    spec = d / "app.toml"
    spec.write_bytes(data)
    out["spec"] = (_outcome(lambda: load_schema(spec)), lambda t: load_schema_text(t, str(spec)))
    sql = d / "x.sql"
    sql.write_bytes(data)
    out["lint sql"] = (
        _lint([sql]),
        lambda t: [str(f) for f in finish(lint_sql([(str(sql), t)])).findings],
    )
    py = d / "x.py"
    py.write_bytes(data)
    out["lint python"] = (
        _lint([py]),
        lambda t: [str(f) for f in finish(lint_python([(str(py), t)])).findings],
    )
    prisma = d / "schema.prisma"
    prisma.write_bytes(data)
    out["prisma"] = (
        _outcome(lambda: import_prisma(prisma)),
        lambda t: import_prisma_text(t, str(prisma)),
    )
    pyproject = d / "pyproject.toml"
    pyproject.write_bytes(data)
    out["lint config"] = (_outcome(lambda: load_config(pyproject)), lambda t: None)
    mig = d / "migrations"
    (mig / "0001_x").mkdir(parents=True)
    (mig / "0001_x" / "up.sql").write_bytes(data)
    out["migrate hash"] = (_outcome(lambda: files.write_sum(mig)), lambda t: None)
    out["migrations"] = (
        _outcome(lambda: files.load_migrations(mig, check_sum=False)[0].up),
        # a script keeps its \r as psql -f does (textfile.read_script): its twin is the
        # decoded text with the line ends as they are, not the normalised one
        lambda t: files.parse_script(
            data.decode("utf-8").removeprefix("\ufeff"), str(mig / "0001_x" / "up.sql")
        ),
    )
    return out


@settings(max_examples=150)
@given(data=hostile_bytes)
def test_every_reader_gives_a_clean_error_or_the_right_result(data: bytes) -> None:
    text = _decoded(data)
    # in an empty directory: Python lint alone would otherwise read ./schema
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        for name, (outcome, from_text) in _readers(Path(tmp), data).items():
            kind, value = outcome
            if text is None:
                # not readable text: an error that says where, for every reader
                assert kind == "error", (name, value)
                assert "byte offset" in str(value) or "UTF-16" in str(value), (name, value)
                assert tmp in str(value), (name, value)
                continue
            if name in ("lint config", "migrate hash"):
                continue  # their result has no text-API twin; reading must not raise
            expected = _outcome(lambda f=from_text, t=text: f(t))  # type: ignore[misc]
            assert outcome == expected, name
