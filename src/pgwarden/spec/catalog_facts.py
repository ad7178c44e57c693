"""Facts of PostgreSQL's own catalog that offline validation needs.

Which ``pg_catalog`` functions are aggregates, window functions, set-returning
or not immutable, and which index methods have a default operator class for a
built-in type. Read from the catalogs of PostgreSQL 15 and 18 (the same there)
and kept honest by ``tests/spec/test_catalog_facts.py``, which checks every
entry against the connected server.
"""

from __future__ import annotations


def _names(words: str) -> frozenset[str]:
    return frozenset(words.split())


AGGREGATES = _names(
    """any_value array_agg avg bit_and bit_or bit_xor bool_and bool_or corr count covar_pop
    covar_samp every json_agg json_agg_strict json_object_agg json_object_agg_strict
    json_object_agg_unique json_object_agg_unique_strict jsonb_agg jsonb_agg_strict
    jsonb_object_agg jsonb_object_agg_strict jsonb_object_agg_unique
    jsonb_object_agg_unique_strict max min mode percentile_cont percentile_disc range_agg
    range_intersect_agg regr_avgx regr_avgy regr_count regr_intercept regr_r2 regr_slope
    regr_sxx regr_sxy regr_syy stddev stddev_pop stddev_samp string_agg sum var_pop var_samp
    variance xmlagg"""
)
"""Names whose every ``pg_catalog`` function is an aggregate."""

WINDOW_FUNCTIONS = _names("first_value lag last_value lead nth_value ntile row_number")
"""Names whose every ``pg_catalog`` function is a window function (needs OVER)."""

SET_RETURNING = _names(
    """generate_series generate_subscripts json_array_elements json_array_elements_text
    json_each json_each_text json_object_keys json_populate_recordset json_to_recordset
    jsonb_array_elements jsonb_array_elements_text jsonb_each jsonb_each_text
    jsonb_object_keys jsonb_path_query jsonb_populate_recordset jsonb_to_recordset
    regexp_matches regexp_split_to_table string_to_table unnest"""
)
"""Names whose every ``pg_catalog`` function returns a set."""

NOT_IMMUTABLE = _names(
    """random random_normal setseed now clock_timestamp statement_timestamp
    transaction_timestamp timeofday gen_random_uuid uuidv4 uuidv7 nextval currval lastval
    setval txid_current current_setting set_config current_database current_schema
    current_schemas current_user session_user concat concat_ws format to_json to_jsonb
    row_to_json array_to_json json_build_object jsonb_build_object json_build_array
    jsonb_build_array array_to_string to_date to_number to_regclass make_timestamptz version
    inet_client_addr pg_backend_pid array_shuffle array_sample obj_description col_description
    enum_range enum_first enum_last"""
)
"""Common names whose every ``pg_catalog`` function is stable or volatile: a
generated column or an index may not call them. (Not every such function: the
server judges the rest.)"""

VALUE_FUNCTIONS = _names(
    """current_date current_time current_timestamp localtime localtimestamp current_role
    current_user user session_user current_catalog current_schema system_user"""
)
"""SQL-standard value functions (no parentheses): every one is stable."""

_ALL = "btree hash gist gin brin spgist"
_SCALAR = "btree hash brin"
_ARRAY = "btree hash gin"

#: Index methods with a default operator class for a column of the type, as
#: ``CREATE INDEX ... USING method (column)`` accepts it with no extension.
_DEFAULT_METHODS: dict[str, str] = {
    **dict.fromkeys(
        _names(
            "char smallint integer bigint numeric real double_precision uuid date time timetz "
            "timestamp timestamptz interval bytea macaddr macaddr8 oid pg_lsn"
        ),
        _SCALAR,
    ),
    "text": "btree hash brin spgist",
    "varchar": "btree hash brin spgist",
    "inet": "btree hash brin spgist",
    "cidr": "btree hash brin spgist",
    "boolean": "btree hash",
    "enum": "btree hash",
    "json": "",
    "jsonb": "btree hash gin",
    "tsvector": "btree gist gin",
    "tsquery": "btree gist",
    **dict.fromkeys(
        _names("int4range int8range numrange tsrange tstzrange daterange"),
        "btree hash gist brin spgist",
    ),
    **dict.fromkeys(
        _names(
            "int4multirange int8multirange nummultirange tsmultirange tstzmultirange datemultirange"
        ),
        "btree hash gist",
    ),
    "point": "gist spgist",
    "box": "gist brin spgist",
    "polygon": "gist spgist",
    "circle": "gist",
    "line": "",
    "lseg": "",
    "path": "",
    "xml": "",
    "money": "btree",
    "bit": "btree brin",
    "varbit": "btree brin",
}


def default_methods(type_name: str, array: bool) -> frozenset[str] | None:
    """Methods with a default operator class for the type (``enum`` for any enum);
    None when the type is not one this table knows (the server judges)."""
    key = type_name.replace(" ", "_")
    if key not in _DEFAULT_METHODS:
        return None
    if array:
        # creating the index needs only the array's operator class; gin also wants
        # the element's btree class (the element comparison is looked up later)
        has_btree = "btree" in _DEFAULT_METHODS[key].split()
        return frozenset(_ARRAY.split() if has_btree else ("btree", "hash"))
    return frozenset(_DEFAULT_METHODS[key].split())


ALL_METHODS = frozenset(_ALL.split())

_BTREE_EXTENSION_TYPES = _names(
    """smallint integer bigint real double_precision numeric text varchar char bytea date time
    timetz timestamp timestamptz interval oid inet cidr uuid macaddr boolean enum"""
)


def extension_default_methods() -> dict[str, tuple[str, frozenset[str]]]:
    """Extensions that give a method default classes for built-in scalar types
    (from each extension's documentation): extension -> (method, types)."""
    return {
        "btree_gist": ("gist", _BTREE_EXTENSION_TYPES | {"bit", "varbit", "money", "macaddr8"}),
        "btree_gin": ("gin", _BTREE_EXTENSION_TYPES | {"bit", "varbit", "money", "macaddr8"}),
    }


INDEXED_TYPES = frozenset(_DEFAULT_METHODS)
"""The types :func:`default_methods` knows (``double_precision`` spelled with ``_``)."""
