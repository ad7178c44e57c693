"""A tiny data-access layer for the recorder's ``skip=`` test (call sites past it)."""

from __future__ import annotations

from typing import Any


def item_name(conn: Any, item_id: int) -> Any:
    return conn.execute("SELECT name FROM item WHERE id = %s", (item_id,)).fetchone()
