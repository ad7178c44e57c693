"""Passwords never reach output or files: random malformed URLs (and good ones) carrying
a known password go through every command that connects, in every placement; the
password must not appear on stdout, stderr or in any file pgwarden wrote."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pgwarden.apply.shadow import SHADOW_ENV
from pgwarden.db import mask_dsn, mask_secrets, parse_url
from pgwarden.errors import DatabaseError
from tests.cli.helpers import run_main

# only loopback addresses that refuse at once: no name is ever resolved
HOSTS = ["127.0.0.1:1", "localhost:1", "[::1]:1", "127.0.0.1"]
TOKENS = st.text(
    "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", min_size=10, max_size=14
)
JUNK = st.text("?&#/:=%' \"[]", max_size=4)


@st.composite
def leaky_urls(draw: st.DrawFn, server: str) -> tuple[str, str]:
    """(connection string, the secret that must never show)."""
    token = "Pw" + draw(TOKENS)
    host = draw(st.sampled_from(HOSTS))
    form = draw(st.integers(0, 10))
    junk = draw(JUNK)
    if form == 0:  # an unescaped @ in the password
        return f"postgresql://app:p@{token}@{host}/db", token
    if form == 1:  # a scheme that is not Postgres
        scheme = draw(st.sampled_from(["mysql", "http", "postgresql+psycopg", "jdbc:postgresql"]))
        return f"{scheme}://app:{token}@{host}/db", token
    if form == 2:  # a malformed IPv6 host
        return f"postgres://app:{token}@[::1/db{junk}", token
    if form == 3:  # the password as a query parameter, with more after it
        return f"postgresql://{host}/db?user=app&password={token}&sslmode=disable{junk}", token
    if form == 4:  # key=value
        quoted = draw(st.booleans())
        value = f"'{token} x'" if quoted else token
        return f"host=127.0.0.1 port=1 password={value} dbname=db{junk}", token
    if form == 5:  # percent-encoded in the URL: the decoded password must not show either
        encoded = "".join(f"%{ord(c):02X}" for c in token)
        return f"postgresql://app:{encoded}@{host}/db", token
    if form == 6:  # a bad port, a bad parameter
        return f"postgresql://app:{token}@127.0.0.1:port/db?nonsense=1", token
    if form == 7:  # plain garbage around a password
        return f"{junk}app:{token}@{junk}", token
    if form == 8:  # a good URL with a password: the command works and prints
        return psycopg.conninfo.make_conninfo(server, password=token), token
    if form == 9:  # the password in the user info of a refused URL
        return f"postgresql://app:{quote(token)}@{host}/db", token
    return f"postgresql://app:{token}{junk}@{host}/db{junk}", token


COMMANDS = [
    ["inspect"],
    ["roundtrip"],
    ["migrate", "apply"],
    ["migrate", "status"],
    ["migrate", "down"],
    ["migrate", "verify"],
    ["migrate", "baseline"],
    ["db", "url"],
]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, pg_server: str) -> Path:
    root = tmp_path_factory.mktemp("secrets")
    assert run_main("init", cwd=root).code == 0
    assert run_main("migrate", "new", "initial", cwd=root, env={SHADOW_ENV: pg_server}).code == 0
    return root


def _written(root: Path) -> str:
    return "\n".join(
        p.read_text(errors="replace")
        for p in root.rglob("*")
        if p.is_file() and p.stat().st_size < 2_000_000
    )


@pytest.mark.slow
def test_no_command_prints_or_writes_the_password(project: Path, pg_server: str) -> None:
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + '\n[tool.pgwarden.env.leaky]\nurl = "env:LEAKY_URL"\n'
    )

    @settings(max_examples=60, deadline=None)
    @given(
        case=leaky_urls(pg_server),
        command=st.sampled_from(COMMANDS),
        placement=st.sampled_from(["before", "after", "env", "DATABASE_URL", "init"]),
    )
    def check(case: tuple[str, str], command: list[str], placement: str) -> None:
        url, token = case
        env: dict[str, str] = {}
        if placement == "before":
            args = ["--database-url", url, *command]
        elif placement == "after":
            args = [*command, "-u", url]
        elif placement == "env":
            args, env = [*command, "--env", "leaky"], {"LEAKY_URL": url}
        elif placement == "DATABASE_URL":
            args, env = command, {"DATABASE_URL": url}
        else:
            target = project / "fresh"
            args = ["init", str(target), "--from-database", url, "--name", "live"]
        done = run_main(*args, cwd=project, env=env)
        for variant in {token, quote(token)}:
            assert variant not in done.output, (args, done.output)
        assert "Traceback" not in done.output
        assert done.code in (0, 1, 2), (args, done.output)
        assert token not in _written(project)
        if placement == "init":
            import shutil

            shutil.rmtree(project / "fresh", ignore_errors=True)

    check()


@pytest.mark.parametrize(
    ("dsn", "message"),
    [
        ("postgresql://u:p@ssS3cret@127.0.0.1/db", "unescaped '@'"),
        ("mysql://u:S3cretPw@127.0.0.1/db", "not a PostgreSQL URL (scheme 'mysql')"),
        ("postgres://u:S3cretPw@[::1/db", "not a valid connection string"),
        ("host=h garbage S3cretPw", "not a valid connection string"),
    ],
)
def test_malformed_urls_are_clear_errors_that_hide_the_password(dsn: str, message: str) -> None:
    with pytest.raises(DatabaseError) as info:
        parse_url(dsn)
    text = str(info.value)
    assert message in text and "fix:" in text
    assert "S3cret" not in text and "ssS3cret" not in text


@pytest.mark.parametrize(
    ("dsn", "masked"),
    [
        ("postgresql://u:p@ssS3cret@host/db", "postgresql://u:***@host/db"),
        ("mysql://u:S3cret@h/db", "mysql://u:***@h/db"),
        ("postgres://u:S3cret@[::1/db", "postgres://u:***@[::1/db"),
        (
            "postgresql://h/db?user=a&password=S3cret&sslmode=require&application_name=x",
            "postgresql://h/db?user=a&password=***&sslmode=require&application_name=x",
        ),
        (
            "postgresql://h:5432/db?user=a@b&password=S3cret",
            "postgresql://h:5432/db?user=a@b&password=***",
        ),
        ("host=h password='S3 cret' dbname=d", "host=h password=*** dbname=d"),
        ("postgresql://u@h/db", "postgresql://u@h/db"),
    ],
)
def test_mask_keeps_everything_but_the_password(dsn: str, masked: str) -> None:
    assert mask_dsn(dsn) == masked
    assert "S3" not in mask_secrets(f"failed for {dsn} today")
