"""Secret columns: AES-256-GCM envelopes with a key id, key providers, argon2 hashes.

A column marked ``secret = "encrypted"`` holds an envelope, never the plaintext:
``pgw1:<key id>:<base64url(nonce | ciphertext | tag)>`` in a text column,
``b"pgw1:<key id>:" + nonce + ciphertext | tag`` in a bytea column. The key id says
which key sealed the value, so keys rotate: the provider's current key seals, every
key it still knows opens. The associated data is ``"<table>.<column>"``, so an envelope
copied into another column does not open. ``secret = "hashed"`` columns hold an argon2id
hash (argon2-cffi's defaults) checked with :func:`verify_secret`.

This module is self-contained (standard library, ``cryptography``, ``argon2-cffi``):
``pgwarden generate`` copies it verbatim into a package with secret columns as
``_crypto.py`` (its errors then derive from the package's ``DataAccessError``), and
``pgwarden migrate encrypt`` uses it to seal existing rows, so both write one format.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from collections.abc import Mapping
from typing import Protocol, overload

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_Base = Exception  # pgwarden: base of the errors below

PREFIX = "pgw1:"
PREFIX_BYTES = PREFIX.encode()
DEFAULT_VARIABLE = "PGWARDEN_ENCRYPTION_KEYS"
_KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_NONCE = 12
_HASHER = PasswordHasher()


class CryptoError(_Base):
    """A secret column could not be sealed, opened or hashed."""


class KeyConfigError(CryptoError):
    """The key provider is missing or malformed (never shows key material)."""


class DecryptionError(CryptoError):
    """A stored value does not open: unknown key id, wrong key, tampered or not sealed."""

    def __init__(self, column: str, key_id: str | None, reason: str) -> None:
        self.column = column
        self.key_id = key_id
        key = f" (key {key_id!r})" if key_id else ""
        super().__init__(f"{column}{key}: {reason}")


class KeyProvider(Protocol):
    """Where the keys come from: the application passes one in (a secrets manager, a
    KMS-unwrapped key ring, ...). Keys are 32 bytes (AES-256)."""

    def current(self) -> tuple[str, bytes]:
        """The key id and key that seal new values."""
        ...

    def key(self, key_id: str) -> bytes:
        """The key with this id; ``KeyError`` when the provider does not know it."""
        ...


class StaticKeyProvider:
    """Keys held in memory: ``{key id: 32-byte key}``; ``current`` names the sealing key."""

    def __init__(self, keys: Mapping[str, bytes], current: str) -> None:
        for key_id, key in keys.items():
            _check_key(key_id, key, "StaticKeyProvider")
        if current not in keys:
            raise KeyConfigError(f"StaticKeyProvider: current key {current!r} is not in keys")
        self._keys = dict(keys)
        self._current = current

    def current(self) -> tuple[str, bytes]:
        return self._current, self._keys[self._current]

    def key(self, key_id: str) -> bytes:
        return self._keys[key_id]


class EnvKeyProvider:
    """Keys from an environment variable: ``id:base64key[,id:base64key...]``.

    The first key seals, every listed key opens: to rotate, put the new key first and
    keep the old ones until ``pgwarden migrate encrypt --rotate`` has resealed every row.
    Read on first use; ``base64.urlsafe_b64encode(os.urandom(32))`` makes a key.
    """

    def __init__(
        self, variable: str = DEFAULT_VARIABLE, environ: Mapping[str, str] | None = None
    ) -> None:
        self.variable = variable
        self._environ = environ
        self._keys: dict[str, bytes] | None = None
        self._current = ""

    def _load(self) -> dict[str, bytes]:
        if self._keys is not None:
            return self._keys
        environ = os.environ if self._environ is None else self._environ
        raw = environ.get(self.variable, "").strip()
        fix = (
            f"  fix: set {self.variable}=<id>:<base64 of 32 random bytes>, e.g. "
            f"{self.variable}=k1:$(python -c 'import base64,os; "
            "print(base64.urlsafe_b64encode(os.urandom(32)).decode())')"
        )
        if not raw:
            raise KeyConfigError(f"{self.variable} is not set: no encryption key\n{fix}")
        keys: dict[str, bytes] = {}
        for i, item in enumerate(raw.split(",")):
            key_id, sep, text = item.strip().partition(":")
            if not sep:
                raise KeyConfigError(f"{self.variable}: entry {i + 1} is not <id>:<key>\n{fix}")
            try:
                std = text.strip().replace("-", "+").replace("_", "/")
                key = base64.b64decode(_padded(std), validate=True)  # either alphabet
            except (binascii.Error, ValueError):
                raise KeyConfigError(
                    f"{self.variable}: key {key_id!r} is not base64\n{fix}"
                ) from None
            _check_key(key_id, key, self.variable)
            if key_id in keys:
                raise KeyConfigError(f"{self.variable}: key id {key_id!r} appears twice")
            keys[key_id] = key
            if i == 0:
                self._current = key_id
        self._keys = keys
        return keys

    def current(self) -> tuple[str, bytes]:
        keys = self._load()
        return self._current, keys[self._current]

    def key(self, key_id: str) -> bytes:
        return self._load()[key_id]


def _padded(text: str) -> str:
    return text + "=" * (-len(text) % 4)


def _check_key(key_id: str, key: bytes, where: str) -> None:
    if not _KEY_ID.fullmatch(key_id):
        raise KeyConfigError(
            f"{where}: key id {key_id!r} must be 1-64 of A-Z a-z 0-9 _ . - (it is stored "
            "with every value)"
        )
    if len(key) != 32:
        raise KeyConfigError(f"{where}: key {key_id!r} is {len(key)} bytes, AES-256 needs 32")


class Sealer:
    """Seals and opens the values of secret columns with a provider's keys."""

    def __init__(self, keys: KeyProvider) -> None:
        self.keys = keys
        self._ciphers: dict[str, AESGCM] = {}

    def _cipher(self, key_id: str, key: bytes) -> AESGCM:
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            cipher = self._ciphers[key_id] = AESGCM(key)
        return cipher

    @overload
    def seal(self, column: str, value: str) -> str: ...
    @overload
    def seal(self, column: str, value: bytes) -> bytes: ...

    def seal(self, column: str, value: str | bytes) -> str | bytes:
        """The envelope of ``value`` for ``column`` ("Table.column"), under the current key."""
        key_id, key = self.keys.current()
        _check_key(key_id, key, "key provider")
        nonce = secrets.token_bytes(_NONCE)
        data = value.encode() if isinstance(value, str) else bytes(value)
        sealed = nonce + self._cipher(key_id, key).encrypt(nonce, data, column.encode())
        if isinstance(value, str):
            body = base64.urlsafe_b64encode(sealed).rstrip(b"=").decode()
            return f"{PREFIX}{key_id}:{body}"
        return PREFIX_BYTES + key_id.encode() + b":" + sealed

    @overload
    def open(self, column: str, value: str) -> str: ...
    @overload
    def open(self, column: str, value: bytes) -> bytes: ...

    def open(self, column: str, value: str | bytes) -> str | bytes:
        """The plaintext of an envelope read from ``column``; ``DecryptionError`` if it
        does not open (unknown key id, wrong key, changed bytes, not an envelope)."""
        text = isinstance(value, str)
        raw = value.encode() if isinstance(value, str) else bytes(value)
        if not raw.startswith(PREFIX_BYTES):
            raise DecryptionError(
                column,
                None,
                "the stored value is not a pgwarden envelope (a row written before the "
                "column was encrypted? run `pgwarden migrate encrypt`)",
            )
        key_part, sep, body = raw[len(PREFIX_BYTES) :].partition(b":")
        key_id = key_part.decode(errors="replace")
        if not sep:
            raise DecryptionError(column, None, "the envelope is truncated")
        try:
            key = self.keys.key(key_id)
        except KeyError:
            raise DecryptionError(
                column, key_id, "the key provider does not know this key id"
            ) from None
        if text:
            try:
                body = base64.urlsafe_b64decode(_padded(body.decode()))
            except (binascii.Error, ValueError, UnicodeDecodeError):
                raise DecryptionError(column, key_id, "the envelope is not base64") from None
        if len(body) < _NONCE + 16:
            raise DecryptionError(column, key_id, "the envelope is truncated")
        try:
            plain = self._cipher(key_id, key).decrypt(body[:_NONCE], body[_NONCE:], column.encode())
        except InvalidTag:
            raise DecryptionError(
                column, key_id, "authentication failed: wrong key, or the value was changed"
            ) from None
        if text:
            try:
                return plain.decode()
            except UnicodeDecodeError:
                raise DecryptionError(column, key_id, "the plaintext is not UTF-8") from None
        return plain


def key_id_of(value: str | bytes) -> str | None:
    """The key id an envelope was sealed with (None: not an envelope)."""
    raw = value.encode() if isinstance(value, str) else bytes(value)
    if not raw.startswith(PREFIX_BYTES):
        return None
    key_part, sep, _ = raw[len(PREFIX_BYTES) :].partition(b":")
    return key_part.decode(errors="replace") if sep else None


def hash_secret(value: str) -> str:
    """An argon2id hash of ``value`` (salted: the same value hashes differently)."""
    return _HASHER.hash(value)


def verify_secret(stored: str, candidate: str) -> bool:
    """Whether ``candidate`` matches the stored hash (False for a malformed hash too)."""
    try:
        return _HASHER.verify(stored, candidate)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether a stored hash was made with weaker parameters than today's defaults."""
    try:
        return _HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True
