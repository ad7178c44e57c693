"""What well-known extensions provide: types, index methods, operator classes.

Offline validation cannot ask a server which extension defines ``vector``, so
the common ones are listed here (facts from each extension's documentation).
A spec that uses one of these names without declaring its extension gets an
error naming the extension to add; a name no listed extension provides is left
to the server when the spec declares an extension this table does not know.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Provides:
    """What a known extension defines: types, index methods, operator classes."""

    types: frozenset[str] = frozenset()
    methods: frozenset[str] = frozenset()
    opclasses: frozenset[tuple[str, str]] = frozenset()
    """(index method, operator class) pairs: btree_gin's ``int4_ops`` is for gin only."""


def _p(types: str = "", methods: str = "", opclasses: str = "") -> Provides:
    """``opclasses``: ``method:name`` words."""
    pairs = frozenset((m, n) for m, _, n in (word.partition(":") for word in opclasses.split()))
    return Provides(frozenset(types.split()), frozenset(methods.split()), pairs)


def _ops(method: str, names: str, pattern: str = "{}") -> str:
    return " ".join(f"{method}:{pattern.format(n)}" for n in names.split())


_VECTOR_OPS = " ".join(
    f"{method}:{t}_{m}_ops"
    for method in ("hnsw", "ivfflat")
    for t in ("vector", "halfvec", "sparsevec")
    for m in ("l2", "ip", "cosine", "l1")
)
_SCALARS = (
    "int2 int4 int8 float4 float8 numeric text bpchar bytea date time timetz "
    "timestamp timestamptz interval oid inet cidr uuid macaddr bool enum"
)

KNOWN_EXTENSIONS: dict[str, Provides] = {
    "vector": _p(
        "vector halfvec sparsevec",
        "hnsw ivfflat",
        f"{_VECTOR_OPS} hnsw:bit_hamming_ops hnsw:bit_jaccard_ops ivfflat:bit_hamming_ops",
    ),
    "pg_trgm": _p(opclasses="gin:gin_trgm_ops gist:gist_trgm_ops"),
    "citext": _p("citext"),
    "hstore": _p("hstore", opclasses="gist:gist_hstore_ops gin:gin_hstore_ops"),
    "ltree": _p("ltree lquery ltxtquery", opclasses="gist:gist_ltree_ops gist:gist__ltree_ops"),
    "cube": _p("cube", opclasses="gist:gist_cube_ops"),
    "isn": _p("ean13 isbn isbn13 ismn ismn13 issn issn13 upc"),
    "btree_gist": _p(opclasses=_ops("gist", f"{_SCALARS} bit vbit", "gist_{}_ops")),
    "btree_gin": _p(opclasses=_ops("gin", f"{_SCALARS} varchar", "{}_ops")),
    "intarray": _p(opclasses="gist:gist__int_ops gist:gist__intbig_ops gin:gin__int_ops"),
    "bloom": _p(methods="bloom"),
    "postgis": _p("geometry geography box2d box3d"),
    "pgcrypto": _p(),
    "uuid-ossp": _p(),
    "unaccent": _p(),
    "fuzzystrmatch": _p(),
    "pg_stat_statements": _p(),
    "tablefunc": _p(),
}


def provider_of_type(name: str) -> str | None:
    """The listed extension that defines type ``name`` (bare name), if any."""
    return next((e for e, p in KNOWN_EXTENSIONS.items() if name in p.types), None)


def provider_of_method(name: str) -> str | None:
    """The listed extension defining index method ``name`` (None: built in or unknown)."""
    return next((e for e, p in KNOWN_EXTENSIONS.items() if name in p.methods), None)


def provider_of_opclass(method: str, name: str) -> str | None:
    """The listed extension defining operator class ``name`` for ``method``."""
    return next((e for e, p in KNOWN_EXTENSIONS.items() if (method, name) in p.opclasses), None)
