"""Secret columns of the generated package on a real server: ``secret = "encrypted"``
values are AES-256-GCM envelopes in the table and plaintext through the accessors; a
wrong or unknown key raises the typed error; keys rotate; ``secret = "hashed"``
values are argon2 hashes checked with ``verify_*``; ``pgwarden migrate encrypt`` seals
rows written before the column was encrypted."""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
import pytest

from pgwarden.apply.encrypt import EncryptStep, SealTarget, targets
from pgwarden.crypto import (
    EnvKeyProvider,
    KeyConfigError,
    Sealer,
    StaticKeyProvider,
)
from pgwarden.errors import PgwardenError
from pgwarden.generators.accessors import GenerateError
from pgwarden.generators.engine import render
from pgwarden.spec.load import load_schema_text
from tests.generate.helpers import build_package, create

SPEC = """
[tables.Login]
audit = true

[tables.Login.columns]
id       = { type = "integer", identity = "by default", primary_key = true }
email    = { type = "text", unique = true }
token    = { type = "text", nullable = true, secret = "encrypted" }
blob     = { type = "bytea", nullable = true, secret = "encrypted" }
password = { type = "text", secret = "hashed" }
pin      = { type = "text", nullable = true, secret = "hashed" }
"""

K1, K2 = os.urandom(32), os.urandom(32)


def _keys(*pairs: tuple[str, bytes]) -> StaticKeyProvider:
    return StaticKeyProvider(dict(pairs), pairs[0][0])


@pytest.fixture(scope="module")
def pkg(tmp_path_factory: pytest.TempPathFactory) -> tuple[ModuleType, ModuleType, ModuleType]:
    import importlib

    schema = load_schema_text(SPEC, "secrets.toml")
    name, sync, aio = build_package(schema, tmp_path_factory.mktemp("secrets"))
    return importlib.import_module(name), sync, aio


@pytest.fixture
def url(database_url: str) -> str:
    create(database_url, load_schema_text(SPEC, "secrets.toml"))
    return database_url


@pytest.fixture
def conn(url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(url, autocommit=True) as c:
        yield c


def _raw(conn: psycopg.Connection[Any], column: str) -> Any:
    row = conn.execute(f'SELECT "{column}" FROM "Login"').fetchone()
    assert row is not None
    return row[0]


def test_ciphertext_in_the_table_plaintext_through_the_accessor(pkg: Any, conn: Any) -> None:
    _, sync, _ = pkg
    d = sync.Database(conn, keys=_keys(("k1", K1)))
    made = d.login.insert(
        {"email": "a@x.io", "token": "s3cr3t-token", "blob": b"\x00raw", "password": "hunter2"}
    )
    assert made.token == "s3cr3t-token" and made.blob == b"\x00raw"  # RETURNING is opened
    stored = _raw(conn, "token")
    assert stored.startswith("pgw1:k1:") and "s3cr3t" not in stored
    assert bytes(_raw(conn, "blob")).startswith(b"pgw1:k1:")
    assert b"\x00raw" not in bytes(_raw(conn, "blob"))
    assert d.login.get(made.id) == made
    assert d.login.get_by_email("a@x.io") == made and d.login.page() == [made]
    updated = d.login.update(made.id, {"token": "rotated-token"})
    assert updated is not None and updated.token == "rotated-token"
    assert _raw(conn, "token") != stored and _raw(conn, "token").startswith("pgw1:k1:")
    many = d.login.insert_many(
        [
            {"email": "b@x.io", "token": "t-b", "password": "p"},
            {"email": "c@x.io", "token": None, "password": "p"},
        ]
    )
    assert [m.token for m in many] == ["t-b", None]
    assert conn.execute(
        """SELECT count(*) FROM "Login" WHERE token LIKE 't-%' OR password = 'p'"""
    ).fetchone() == (0,)


def test_same_plaintext_seals_differently(pkg: Any, conn: Any) -> None:
    _, sync, _ = pkg
    d = sync.Database(conn, keys=_keys(("k1", K1)))
    for email in ("1@x.io", "2@x.io"):
        d.login.insert({"email": email, "token": "same", "password": "p"})
    a, b = (r[0] for r in conn.execute('SELECT token FROM "Login"').fetchall())
    assert a != b  # a fresh nonce per value


def test_wrong_key_and_unknown_key_raise_the_typed_error(pkg: Any, conn: Any) -> None:
    mod, sync, _ = pkg
    made = sync.Database(conn, keys=_keys(("k1", K1))).login.insert(
        {"email": "w@x.io", "token": "PLAINTEXT-VALUE", "password": "p"}
    )
    wrong = sync.Database(conn, keys=_keys(("k1", K2)))  # same id, other key
    with pytest.raises(mod.DecryptionError) as err:
        wrong.login.get(made.id)
    assert isinstance(err.value, mod.DataAccessError)
    assert err.value.column == "Login.token" and err.value.key_id == "k1"
    assert "wrong key" in str(err.value) and "PLAINTEXT" not in str(err.value)
    unknown = sync.Database(conn, keys=_keys(("k9", K1)))
    with pytest.raises(mod.DecryptionError, match="does not know this key id"):
        unknown.login.get(made.id)
    conn.execute("""UPDATE "Login" SET token = 'pgw1:k1:' || 'AAAA' || substr(token, 13)""")
    with pytest.raises(mod.DecryptionError):
        sync.Database(conn, keys=_keys(("k1", K1))).login.get(made.id)  # tampered bytes


def test_an_envelope_moved_to_another_column_does_not_open(pkg: Any, conn: Any) -> None:
    mod, sync, _ = pkg
    d = sync.Database(conn, keys=_keys(("k1", K1)))
    made = d.login.insert({"email": "m@x.io", "token": "t", "password": "p"})
    sealer = Sealer(_keys(("k1", K1)))
    conn.execute('UPDATE "Login" SET token = %s', (sealer.seal("Login.token", "moved"),))
    assert d.login.get(made.id).token == "moved"  # an envelope made for this column opens
    conn.execute('UPDATE "Login" SET token = %s', (sealer.seal("Other.token", "moved"),))
    with pytest.raises(mod.DecryptionError, match="authentication failed"):
        d.login.get(made.id)  # "Table.column" is the associated data


def test_key_rotation(pkg: Any, conn: Any, url: str) -> None:
    _, sync, _ = pkg
    old = sync.Database(conn, keys=_keys(("k1", K1)))
    first = old.login.insert({"email": "r@x.io", "token": "old-token", "password": "p"})
    both = sync.Database(conn, keys=_keys(("k2", K2), ("k1", K1)))  # k2 seals, k1 still opens
    assert both.login.get(first.id).token == "old-token"
    second = both.login.insert({"email": "s@x.io", "token": "new-token", "password": "p"})
    tokens = dict(conn.execute('SELECT email, token FROM "Login"').fetchall())
    assert tokens["r@x.io"].startswith("pgw1:k1:") and tokens["s@x.io"].startswith("pgw1:k2:")
    step = EncryptStep(
        SealTarget("public", "Login", "token", False),
        Sealer(_keys(("k2", K2), ("k1", K1))),
        batch_size=1,
        rotate=True,
    )
    assert step.pending(conn) == 1
    assert step.run(conn) == 1 and step.pending(conn) == 0
    only_new = sync.Database(conn, keys=_keys(("k2", K2)))  # k1 can be retired now
    assert only_new.login.get(first.id).token == "old-token"
    assert only_new.login.get(second.id).token == "new-token"


def test_hashed_columns(pkg: Any, conn: Any) -> None:
    _, sync, _ = pkg
    d = sync.Database(conn, keys=_keys(("k1", K1)))
    made = d.login.insert({"email": "h@x.io", "password": "correct horse", "pin": None})
    assert made.password.startswith("$argon2id$") and "correct" not in made.password
    assert _raw(conn, "password") == made.password
    assert d.login.verify_password(made.id, "correct horse") is True
    assert d.login.verify_password(made.id, "wrong") is False
    assert d.login.verify_password(made.id + 1, "correct horse") is False  # no such row
    assert d.login.verify_pin(made.id, "") is False  # NULL hash: nothing matches
    d.login.update(made.id, {"pin": "1234"})
    assert d.login.verify_pin(made.id, "1234") and not d.login.verify_pin(made.id, "4321")


def test_audit_log_never_holds_secrets(pkg: Any, conn: Any) -> None:
    _, sync, _ = pkg
    d = sync.Database(conn, keys=_keys(("k1", K1)))
    made = d.login.insert({"email": "au@x.io", "token": "tok-123", "password": "pw-123"})
    d.login.update(made.id, {"token": "tok-456"})
    text = str(conn.execute("SELECT json_agg(l) FROM pgwarden_audit l").fetchone())
    assert "au@x.io" in text
    assert "tok-" not in text and "pw-123" not in text
    assert "pgw1:" not in text and "$argon2" not in text  # not even the sealed forms


def test_env_key_provider(pkg: Any, conn: Any) -> None:
    mod, sync, _ = pkg
    b64 = base64.urlsafe_b64encode(K1).decode()
    env = {"APP_KEYS": f"main:{b64}"}
    d = sync.Database(conn, keys=mod.EnvKeyProvider("APP_KEYS", env))
    made = d.login.insert({"email": "e@x.io", "token": "env", "password": "p"})
    assert _raw(conn, "token").startswith("pgw1:main:")
    assert sync.Database(conn, keys=_keys(("main", K1))).login.get(made.id).token == "env"
    std = base64.b64encode(K1).decode().rstrip("=")  # standard alphabet, no padding: fine
    assert EnvKeyProvider("K", {"K": f"a:{std}"}).current() == ("a", K1)
    for bad, message in [
        ({}, "K is not set"),
        ({"K": "nocolon"}, "not <id>:<key>"),
        ({"K": "a:!!!"}, "is not base64"),
        ({"K": f"a:{base64.b64encode(b'short').decode()}"}, "is 5 bytes, AES-256 needs 32"),
        ({"K": f"a b:{b64}"}, "key id 'a b' must be"),
        ({"K": f"a:{b64},a:{b64}"}, "appears twice"),
    ]:
        with pytest.raises(KeyConfigError, match=message) as err:
            EnvKeyProvider("K", bad).current()
        assert b64 not in str(err.value)  # key material never in a message


def test_default_provider_reads_the_environment(
    pkg: Any, conn: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    mod, sync, _ = pkg
    monkeypatch.delenv("PGWARDEN_ENCRYPTION_KEYS", raising=False)
    d = sync.Database(conn)  # no keys given: PGWARDEN_ENCRYPTION_KEYS, read on first use
    with pytest.raises(mod.KeyConfigError, match="PGWARDEN_ENCRYPTION_KEYS is not set"):
        d.login.insert({"email": "n@x.io", "token": "t", "password": "p"})
    assert d.login.count() == 0  # nothing was written
    monkeypatch.setenv("PGWARDEN_ENCRYPTION_KEYS", f"k1:{base64.urlsafe_b64encode(K1).decode()}")
    assert sync.Database(conn).login.insert({"email": "n@x.io", "token": "t", "password": "p"})


def test_async(pkg: Any, url: str) -> None:
    _, _, aio = pkg

    async def main() -> None:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as c:
            d = aio.AsyncDatabase(c, keys=_keys(("k1", K1)))
            made = await d.login.insert({"email": "as@x.io", "token": "t", "password": "pw"})
            assert (await d.login.get(made.id)).token == "t"
            assert await d.login.verify_password(made.id, "pw")
            assert not await d.login.verify_password(made.id, "nope")

    asyncio.run(main())


def test_migrate_encrypt_seals_existing_rows_in_batches(url: str, conn: Any, pkg: Any) -> None:
    _, sync, _ = pkg
    conn.execute(
        """INSERT INTO "Login" (email, token, blob, password)
           SELECT 'u' || g || '@x.io', 'plain-' || g, convert_to('b' || g, 'UTF8'), 'x'
           FROM generate_series(1, 25) g"""
    )
    conn.execute("""UPDATE "Login" SET token = NULL WHERE email = 'u1@x.io'""")
    sealer = Sealer(_keys(("k1", K1)))
    schema = load_schema_text(SPEC, "secrets.toml")
    chosen = targets(schema)
    assert [t.context for t in chosen] == ["Login.token", "Login.blob"]
    seen: list[tuple[int, int | None]] = []
    steps = [EncryptStep(t, sealer, batch_size=10) for t in chosen]
    assert [s.pending(conn) for s in steps] == [24, 25]
    assert steps[0].run(conn, lambda done, total: seen.append((done, total))) == 24
    assert seen == [(10, 24), (20, 24), (24, 24)]
    assert steps[1].run(conn) == 25
    assert [s.pending(conn) for s in steps] == [0, 0] and steps[0].run(conn) == 0  # idempotent
    d = sync.Database(conn, keys=_keys(("k1", K1)))
    rows = {r.email: r for r in d.login.page(limit=100)}
    assert rows["u7@x.io"].token == "plain-7" and rows["u7@x.io"].blob == b"b7"
    assert rows["u1@x.io"].token is None
    with pytest.raises(PgwardenError, match="not an encrypted column"):
        targets(schema, ["Login.email"])


def test_migrate_encrypt_cli(url: str, conn: Any, tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "s.toml").write_text(SPEC)
    (tmp_path / "pyproject.toml").write_text("[tool.pgwarden]\n")
    conn.execute("""INSERT INTO "Login" (email, token, password) VALUES ('c@x.io', 'cli', 'x')""")
    env = {**os.environ, "DATABASE_URL": url}
    env.pop("PGWARDEN_ENCRYPTION_KEYS", None)

    def pgwarden(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pgwarden", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )

    missing = pgwarden("migrate", "encrypt")
    assert missing.returncode == 2 and "PGWARDEN_ENCRYPTION_KEYS is not set" in missing.stderr
    assert "Traceback" not in missing.stderr
    dry = pgwarden("migrate", "encrypt", "--dry-run")
    assert dry.returncode == 0 and "Login.token: 1 row(s) to seal" in dry.stdout
    env["PGWARDEN_ENCRYPTION_KEYS"] = f"k1:{base64.urlsafe_b64encode(K1).decode()}"
    done = pgwarden("migrate", "encrypt", "--column", "Login.token", "--batch-size", "5")
    assert done.returncode == 0, done.stderr
    assert "Login.token: 1 row(s) sealed" in done.stdout
    assert base64.urlsafe_b64encode(K1).decode() not in done.stdout + done.stderr
    assert _raw(conn, "token").startswith("pgw1:k1:")
    bad = pgwarden("migrate", "encrypt", "--column", "Login.nope")
    assert bad.returncode == 2 and "not an encrypted column" in bad.stderr


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ('x = { type = "integer", secret = "encrypted" }', "text or bytea"),
        ('x = { type = "text[]", secret = "encrypted" }', "text or bytea"),
        ('x = { type = "bytea", secret = "hashed" }', 'secret = "hashed" needs a text column'),
        ('x = { type = "text", secret = "encrypted", default = "a" }', "cannot have a default"),
    ],
)
def test_secret_column_shapes_are_checked(column: str, message: str) -> None:
    spec = f'[tables.T.columns]\nid = {{ type = "integer", primary_key = true }}\n{column}\n'
    with pytest.raises(GenerateError, match=message) as err:
        render(load_schema_text(spec, "t.toml"), "x")
    assert "t.toml:3" in str(err.value)


def test_no_lookups_on_secret_columns() -> None:
    spec = SPEC.replace(
        'token    = { type = "text", nullable = true, secret = "encrypted" }',
        'token    = { type = "text", nullable = true, secret = "encrypted", unique = true }',
    )
    sync = render(load_schema_text(spec, "s.toml"), "x").files["sync.py"]
    assert "get_by_email" in sync and "get_by_token" not in sync and "find_by_token" not in sync
