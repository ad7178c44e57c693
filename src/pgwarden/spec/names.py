"""Deterministic object names, following Prisma's conventions.

A database made by Prisma keeps its names when it adopts pgwarden:
``Table_pkey``, ``Table_a_b_key``, ``Table_a_b_idx``, ``Table_a_fkey``. Postgres
truncates identifiers at 63 bytes (NAMEDATALEN - 1) silently, which can make two
names collide; we shorten instead with a hash of the full name, so the result is
stable and two different long names never map to one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

MAX_IDENTIFIER_BYTES = 63
_HASH_CHARS = 8


def fit(name: str, suffix: str = "") -> str:
    """``name + suffix`` if it fits in 63 bytes, else a hashed, suffix-preserving short form."""
    full = name + suffix
    if len(full.encode()) <= MAX_IDENTIFIER_BYTES:
        return full
    digest = hashlib.sha256(full.encode()).hexdigest()[:_HASH_CHARS]
    room = MAX_IDENTIFIER_BYTES - len(suffix.encode()) - len(digest) - 1
    prefix = name.encode()[:room].decode(errors="ignore")  # never split a UTF-8 sequence
    return f"{prefix}_{digest}{suffix}"


# Names derived from a table use its name inside its namespace: the constraints
# and indexes of billing.Invoice are Invoice_pkey, Invoice_customer_idx, ...


def _joined(table: str, columns: Iterable[str], suffix: str) -> str:
    return fit("_".join([local_name(table), *columns]), f"_{suffix}")


def primary_key(table: str) -> str:
    """``<table>_pkey``."""
    return fit(local_name(table), "_pkey")


def unique(table: str, columns: Iterable[str]) -> str:
    """``<table>_<columns>_key``, Postgres's and Prisma's name for a unique constraint."""
    return _joined(table, columns, "key")


def index(table: str, columns: Iterable[str]) -> str:
    """``<table>_<columns>_idx``."""
    return _joined(table, columns, "idx")


def foreign_key(table: str, columns: Iterable[str]) -> str:
    """``<table>_<columns>_fkey``: every key column, as Postgres names an unnamed one."""
    return _joined(table, columns, "fkey")


def check(table: str, columns: Iterable[str]) -> str:
    """``<table>_<columns>_check``."""
    return _joined(table, columns, "check")


def exclusion(table: str, columns: Iterable[str]) -> str:
    """Postgres's name for an EXCLUDE constraint: ``<table>_<keys>_excl``."""
    return _joined(table, columns, "excl")


def on_update_trigger(table: str, column: str) -> str:
    """Name of the trigger (and its function) that maintains ``column`` on UPDATE."""
    return _joined(table, [column], "on_update")


def tombstone_guard(table: str, column: str) -> str:
    """Name of the trigger (and its function) refusing rows of ``table`` whose
    ``column`` references a tombstoned owner."""
    return _joined(table, [column], "tombstone")


def postgres_not_null(table: str, column: str) -> str:
    """The name PostgreSQL 18 gives a column's NOT NULL constraint: its
    ``makeObjectName(table, column, "not_null")``, which truncates the longer of the two
    names until the whole fits in 63 bytes (never splitting a UTF-8 character)."""
    one, two, label = local_name(table).encode(), column.encode(), b"not_null"
    room = MAX_IDENTIFIER_BYTES - (len(two) and 1) - len(label) - 1
    n1, n2 = len(one), len(two)
    while n1 + n2 > room:
        if n1 > n2:
            n1 -= 1
        else:
            n2 -= 1
    head = one[:n1].decode(errors="ignore")
    tail = two[:n2].decode(errors="ignore")
    return f"{head}_{tail}_not_null"


def not_null_check(table: str, column: str) -> str:
    """The temporary ``CHECK (col IS NOT NULL) NOT VALID`` of an online SET NOT NULL.

    Not ``<table>_<col>_not_null``: PostgreSQL 18 gives that name to the NOT NULL
    constraint itself, which would then become ``..._not_null1``."""
    return _joined(table, [column], "not_null_pgwarden")


def numbered_check(table: str, columns: Iterable[str], n: int) -> str:
    """``<table>_<cols>_check<n>``: Postgres's name for the n-th further CHECK over the
    same columns."""
    return _joined(table, columns, f"check{n}")


def domain_check(domain: str, n: int = 0) -> str:
    """Postgres's name for the n-th unnamed CHECK of a domain: ``<domain>_check``,
    then ``<domain>_check1``, ... (the domain's own name, without its namespace)."""
    return fit(local_name(domain), f"_check{n or ''}")


def audit_trigger(table: str) -> str:
    """Name of the audit trigger on ``table``."""
    return fit(table, "_audit")


def serial_sequence(table: str, column: str) -> str:
    """Postgres's name for the sequence of a serial column: ``<table>_<column>_seq``."""
    return fit(f"{table}_{column}", "_seq")


def parked(name: str) -> str:
    """A temporary name that frees ``name`` while a cycle of renames runs."""
    return fit(name, "__pgwarden_tmp")


def set_aside(name: str) -> str:
    """The name an enum type takes while its replacement is created under ``name``."""
    return fit(name, "__pgwarden_old")


def tenant_policy(table: str) -> str:
    """``<table>_tenant``: the row-level security policy of a tenant-scoped table."""
    return fit(local_name(table), "_tenant")


def too_long(name: str) -> bool:
    """Whether Postgres would truncate ``name`` (more than 63 bytes)."""
    return len(name.encode()) > MAX_IDENTIFIER_BYTES


def split_name(name: str) -> tuple[str, ...]:
    """A spec name as identifier parts: ``billing.Invoice`` -> ``("billing", "Invoice")``.

    Objects outside the default namespace are named ``namespace.name`` in a spec;
    the first dot separates the two (namespaces never contain one; validation
    refuses a default-namespace name with a dot unless its prefix is declared).
    """
    namespace, dot, local = name.partition(".")
    return (namespace, local) if dot and namespace and local else (name,)


def local_name(name: str) -> str:
    """The name inside its namespace: ``billing.Invoice`` -> ``Invoice``."""
    return split_name(name)[-1]


def beside(relation: str, name: str) -> tuple[str, ...]:
    """``name`` (an index, partition, sequence... name) in the namespace of ``relation``,
    as identifier parts: ``beside("billing.Invoice", "Invoice_pkey")`` ->
    ``("billing", "Invoice_pkey")``.

    Parts, never ``namespace.name`` text: a derived name may hold a dot (column
    ``with.dot`` gives index ``T_with.dot_idx``), and splitting such text again
    would read ``T_with`` as a namespace."""
    namespace = namespace_of(relation)
    return (namespace, name) if namespace else (name,)


def namespace_of(name: str) -> str | None:
    """The namespace of a qualified name, None for the default namespace."""
    parts = split_name(name)
    return parts[0] if len(parts) == 2 else None


def words(name: str) -> list[str]:
    """``authUserId`` -> ``[auth, user, id]``; ``refresh_token`` -> ``[refresh, token]``."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return [w.lower() for w in re.split(r"[\s_\-]+", spaced) if w]


_SECRET_LAST = {"token", "password", "passwd", "secret", "passphrase"}
_SECRET_PAIRS = {("api", "key"), ("private", "key"), ("secret", "key"), ("signing", "key")}


def secret_like(name: str) -> bool:
    """Whether a column name reads as a credential (``apiKey``, ``refresh_token``): the
    ``plaintext-secret`` rule flags such columns and the audit log redacts them."""
    parts = words(name)
    if not parts:
        return False
    if parts[-1] in _SECRET_LAST:
        return True
    return len(parts) >= 2 and (parts[-2], parts[-1]) in _SECRET_PAIRS
