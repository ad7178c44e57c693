"""Fixtures of the generated-package tests: a database holding Basefly's schema with
its package generated (a module that tests another spec defines its own ``url``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from tests.generate.helpers import basefly_package, basefly_schema, create


@pytest.fixture
def url(database_url: str) -> str:
    """A fresh database with Basefly's schema; the Basefly package importable."""
    create(database_url, basefly_schema())
    basefly_package()
    return database_url


@pytest.fixture
def d(url: str) -> Iterator[Any]:
    """The generated Basefly ``Database`` on an autocommit connection to ``url``."""
    from basefly_db import Database

    with psycopg.connect(url, autocommit=True) as conn:
        yield Database(conn)
