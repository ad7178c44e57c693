"""Every validation error names the file, the dotted path and the line, says what
is wrong and how to fix it; all problems come at once; nothing but SpecError escapes."""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgwarden.errors import Problem, SpecError
from pgwarden.spec.load import load_schema_text

FILE = "schema/app.toml"

BASE = """
[enums.Plan]
values = ["FREE", "PRO"]

[tables.User.columns]
id = { type = "uuid", primary_key = true, default_sql = "gen_random_uuid()" }
email = { type = "text", unique = true }
"""


def problems(text: str) -> list[Problem]:
    with pytest.raises(SpecError) as err:
        load_schema_text(text, FILE)
    assert err.value.problems
    for p in err.value.problems:
        assert p.file == FILE
        assert str(p).startswith(FILE)
    return err.value.problems


def one(text: str, path: str, *words: str, line: int | None = None) -> Problem:
    found = problems(text)
    matching = [p for p in found if p.path == path]
    assert matching, f"no problem at {path}: {[str(p) for p in found]}"
    problem = matching[0]
    message = str(problem).lower()
    for word in words:
        assert word.lower() in message, (word, str(problem))
    if line is not None:
        assert problem.line == line, str(problem)
    assert problem.hint, str(problem)
    return problem


def by_path(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in problems(text):
        out[p.path] = out.get(p.path, "") + str(p) + "\n"
    return out


def line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_unknown_key_did_you_mean() -> None:
    text = BASE + '\n[tables.Post.columns]\nid = { type = "uuid", nulable = true }\n'
    p = one(text, "tables.Post.columns.id.nulable", "unknown key", "did you mean 'nullable'")
    assert p.line == line_of(text, "nulable")
    text = BASE + '\n[tables.Post]\ncoment = "x"\n[tables.Post.columns]\nid = { type = "uuid" }\n'
    one(text, "tables.Post.coment", "did you mean 'comment'", line=line_of(text, "coment"))
    one("[tabels.X]\n", "tabels", "did you mean 'tables'", line=1)


def test_unresolved_fk_table_and_columns() -> None:
    text = BASE + (
        "\n[tables.Customer.columns]\n"
        'authUserId = { type = "uuid", references = { table = "Usr", on_delete = "restrict" } }\n'
    )
    one(
        text,
        "tables.Customer.columns.authUserId.references",
        "table 'Usr'",
        "did you mean 'User'",
        line=line_of(text, "authUserId"),
    )
    text = BASE + (
        '\n[tables.Customer.columns]\nuid = { type = "uuid" }\n'
        '[[tables.Customer.foreign_keys]]\ncolumns = ["uid"]\n'
        'references = { table = "User", columns = ["idd"] }\n'
    )
    one(text, "tables.Customer.foreign_keys[0]", "column 'idd'", line=line_of(text, "[[tables"))


def test_unresolved_columns_in_keys_and_indexes() -> None:
    text = BASE + (
        '\n[tables.Post]\nprimary_key = ["idx"]\nsoft_delete = "deleted"\nowner = "usr"\n'
        '[tables.Post.columns]\nid = { type = "uuid" }\n'
        '[[tables.Post.uniques]]\ncolumns = ["tittle"]\nall_rows = true\n'
        '[[tables.Post.indexes]]\ncolumns = ["nope"]\ninclude = ["gone"]\n'
    )
    found = by_path(text)
    assert "'idx'" in found["tables.Post.primary_key"]
    assert "'tittle'" in found["tables.Post.uniques[0]"]
    assert "'nope'" in found["tables.Post.indexes[0]"]
    assert "'deleted'" in found["tables.Post.soft_delete"]
    assert "'usr'" in found["tables.Post.owner"]


def test_expressions_name_existing_columns() -> None:
    text = BASE + (
        "\n[tables.Post]\nbilling = { active_when = 'paid_until > now()' }\n"
        '[tables.Post.columns]\na = { type = "integer" }\n'
        'g = { type = "integer", generated = "b + 1" }\n'
        'h = { type = "integer", generated = "g + 1" }\n'
        '[[tables.Post.checks]]\nexpression = "c > 0"\n'
        '[[tables.Post.indexes]]\ncolumns = [{ expression = "lower(d)" }]\nwhere = "e"\n'
    )
    found = by_path(text)
    assert "'b'" in found["tables.Post.columns.g.generated"]
    assert "generated column 'g'" in found["tables.Post.columns.h.generated"]
    assert "'c'" in found["tables.Post.checks[0].expression"]
    assert "'d'" in found["tables.Post.indexes[0]"] and "'e'" in found["tables.Post.indexes[0]"]
    assert "'paid_until'" in found["tables.Post.billing"]


def test_unknown_enum_type_and_enum_default() -> None:
    text = BASE + '\n[tables.Post.columns]\nplan = { type = "Plann" }\n'
    one(text, "tables.Post.columns.plan.type", "unknown type", "did you mean 'Plan'")
    text = BASE + '\n[tables.Post.columns]\nplan = { type = "Plan", default = "FRE" }\n'
    one(
        text,
        "tables.Post.columns.plan.default",
        "'FRE' is not a value of enum Plan",
        "did you mean 'FREE'",
        line=line_of(text, 'default = "FRE"'),
    )
    text = BASE + '\n[tables.Post.columns]\nplan = { type = "Plan", default_sql = "\'X\'" }\n'
    one(text, "tables.Post.columns.plan.default", "not a value of enum")


def test_fk_type_mismatch_and_non_unique_target() -> None:
    text = (
        BASE + '\n[tables.Post.columns]\nuid = { type = "text", references = { table = "User" } }\n'
    )
    one(text, "tables.Post.columns.uid.references", "type mismatch", "uuid")
    # varchar against a text key is binary-compatible: accepted
    ok = BASE + (
        '\n[tables.Post.columns]\nmail = { type = "varchar(200)", '
        'references = { table = "User", column = "email" } }\n'
    )
    assert load_schema_text(ok).table("Post") is not None
    text = BASE + (
        '\n[tables.N.columns]\nid = { type = "bigint", primary_key = true }\n'
        '[tables.M.columns]\nn = { type = "integer", references = { table = "N" } }\n'
    )
    one(text, "tables.M.columns.n.references", "M.n is integer but N.id is bigint")
    text = BASE + (
        "\n[tables.Post.columns]\n"
        'mail = { type = "text", references = { table = "User", column = "email" } }\n'
        'name = { type = "text", references = { table = "Post", column = "mail" } }\n'
    )
    one(text, "tables.Post.columns.name.references", "not a primary key or unique")
    soft = (
        '[tables.A]\nsoft_delete = "gone"\n[tables.A.columns]\n'
        'id = { type = "bigint", primary_key = true }\ncode = { type = "text", unique = true }\n'
        'gone = { type = "timestamptz", nullable = true }\n'
        "[tables.B.columns]\n"
        'code = { type = "text", references = { table = "A", column = "code" } }\n'
    )
    one(soft, "tables.B.columns.code.references", "not a primary key", "all_rows")


def test_duplicate_names() -> None:
    text = BASE + (
        '\n[tables.Post.columns]\na = { type = "text" }\n'
        '[[tables.Post.uniques]]\ncolumns = ["a"]\nname = "dup"\n'
        '[[tables.Post.checks]]\nexpression = "a <> \'\'"\nname = "dup"\n'
    )
    one(text, "tables.Post.checks[0]", "'dup' is used twice")
    text = BASE + (
        '\n[tables.Post.columns]\na = { type = "text" }\n'
        '[[tables.Post.indexes]]\ncolumns = ["a"]\nname = "User"\n'
    )
    one(text, "tables.Post.indexes[0]", "'User' is already used")
    text = BASE + (
        '\n[tables.Post.columns]\na = { type = "text" }\n'
        '[[tables.Post.indexes]]\ncolumns = ["a"]\nname = "User_email_key"\n'
    )
    one(text, "tables.Post.indexes[0]", "already used")


def test_unique_repeating_the_primary_key() -> None:
    text = BASE + (
        '\n[tables.Post.columns]\nid = { type = "uuid", primary_key = true, unique = true }\n'
        'a = { type = "text" }\n'
        '[[tables.Post.uniques]]\ncolumns = ["a"]\nname = "again"\n'
        '[[tables.Post.uniques]]\ncolumns = ["a"]\n'
    )
    one(text, "tables.Post.columns.id.unique", "repeats the primary key")
    one(text, "tables.Post.uniques[1]", "repeats unique constraint 'again'")


def test_duplicate_table_across_files() -> None:
    from pgwarden.spec.load import load_texts

    with pytest.raises(SpecError) as err:
        load_texts([("a.toml", BASE), ("b.toml", "\n\n" + BASE)])
    messages = [str(p) for p in err.value.problems]
    assert any("a.toml" in m and "b.toml" in m and "tables.User" in m for m in messages)
    assert any("enums.Plan" in m for m in messages)


def test_long_explicit_names() -> None:
    long = "x" * 64
    text = (
        BASE + f'\n[tables.Post.columns]\na = {{ type = "text", unique = {{ name = "{long}" }} }}\n'
    )
    one(text, "tables.Post.columns.a.unique", "64 bytes", "63")
    text = BASE + f'\n[tables.{long}.columns]\na = {{ type = "text" }}\n'
    one(text, f"tables.{long}", "64 bytes")


def test_bad_types_and_modifiers() -> None:
    text = (
        BASE
        + '\n[tables.Post.columns]\na = { type = "varchar(1,2)" }\nb = { type = "numeric(2,5)" }\n'
    )
    found = by_path(text)
    assert "varchar" in found["tables.Post.columns.a.type"]
    assert "scale" in found["tables.Post.columns.b.type"]
    text = BASE + '\n[tables.Post.columns]\na = { type = "timestamp with zone" }\n'
    one(text, "tables.Post.columns.a.type", "type")


def test_identity_and_default_conflicts() -> None:
    text = BASE + '\n[tables.Post.columns]\na = { type = "text", identity = "always" }\n'
    one(text, "tables.Post.columns.a.identity", "identity on a text column")
    text = (
        BASE
        + '\n[tables.Post.columns]\na = { type = "integer", identity = "always", default = 1 }\n'
    )
    one(text, "tables.Post.columns.a", "both identity and a default")
    text = (
        BASE
        + '\n[tables.Post.columns]\na = { type = "integer", generated = "1 + 1", default = 1 }\n'
    )
    one(text, "tables.Post.columns.a", "generated column cannot have a default")
    text = (
        BASE + '\n[tables.Post.columns]\na = { type = "integer", default = 1, default_sql = "2" }\n'
    )
    one(text, "tables.Post.columns.a", "both default and default_sql")


def test_enum_named_like_builtin() -> None:
    one('[enums.Text]\nvalues = ["a"]\n', "enums.Text", "built-in type", line=1)


def test_now_as_literal_default() -> None:
    text = BASE + '\n[tables.Post.columns]\nat = { type = "timestamptz", default = "now()" }\n'
    p = one(text, "tables.Post.columns.at.default", "not an SQL call")
    assert p.hint is not None and 'default_sql = "now()"' in p.hint


def test_bad_expressions_and_values() -> None:
    text = BASE + (
        '\n[tables.Post.columns]\na = { type = "integer", default = true }\n'
        '[[tables.Post.checks]]\nexpression = "a >"\n'
        '[[tables.Post.indexes]]\ncolumns = ["a"]\nmethod = "btre"\n'
    )
    found = by_path(text)
    assert "boolean default" in found["tables.Post.columns.a.default"]
    assert "not a valid SQL expression" in found["tables.Post.checks[0].expression"]
    assert "did you mean 'btree'" in found["tables.Post.indexes[0].method"]


def test_all_problems_at_once_sorted_by_line() -> None:
    text = BASE + (
        '\n[tables.Post.columns]\na = { type = "text", nulable = true }\n'
        'b = { type = "Nope" }\n'
        'c = { type = "text", references = { table = "Ghost" } }\n'
    )
    found = problems(text)
    assert len(found) >= 3
    lines = [p.line or 0 for p in found]
    assert lines == sorted(lines)


def test_toml_syntax_error_has_line() -> None:
    text = BASE + "\n[tables.Post.columns]\na = { type = text }\n"
    found = problems(text)
    assert len(found) == 1
    assert found[0].line == line_of(text, "type = text")
    assert "TOML syntax error" in found[0].message


def test_nested_problems_name_index_entries() -> None:
    text = BASE + (
        '\n[tables.Post.columns]\na = { type = "text" }\n'
        '[[tables.Post.indexes]]\ncolumns = ["a"]\n'
        '[[tables.Post.indexes]]\ncolumns = [{ column = "a", order = "down" }]\n'
    )
    one(text, "tables.Post.indexes[1].columns[0].order", "'down'", line=line_of(text, "down"))


# ---------------------------------------------------------------------- fuzzing

_SAMPLE = """
[enums.Plan]
values = ["FREE", "PRO"]

[tables.User]
comment = "users"
soft_delete = "gone"
tenant = { column = "id" }
[tables.User.columns]
id = { type = "uuid", primary_key = true, default_sql = "gen_random_uuid()" }
email = { type = "varchar(20)", unique = true, nullable = true }
plan = { type = "Plan", default = "FREE" }
gone = { type = "timestamptz", nullable = true }
[[tables.User.indexes]]
columns = ["email", { expression = "lower(email)", order = "desc" }]
where = "email IS NOT NULL"
[[tables.User.checks]]
expression = "email <> ''"
[tables.Post.columns]
uid = { type = "uuid", references = { table = "User", on_delete = "cascade" } }
"""


def _load_only_spec_errors(text: str) -> None:
    try:
        load_schema_text(text, FILE)
    except SpecError as err:
        assert err.problems
        for p in err.problems:
            assert str(p)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_toml_raises_only_spec_errors(data: st.DataObject) -> None:
    text = _SAMPLE
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(text)))
        op = data.draw(st.sampled_from(["delete", "insert", "replace"]))
        chunk = data.draw(
            st.text(string.printable + "ü\"'[]{}=,.", min_size=1, max_size=6)
            | st.sampled_from(['"', "]", "[[", "=", "\n", "true", "-1", "{}", "[]", "1.5e400"])
        )
        if op == "delete":
            text = text[:pos] + text[pos + len(chunk) :]
        elif op == "insert":
            text = text[:pos] + chunk + text[pos:]
        else:
            text = text[:pos] + chunk + text[pos + len(chunk) :]
    _load_only_spec_errors(text)


_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | st.text(max_size=10)
    | st.sampled_from(["text", "uuid", "Plan", "integer[]", "cascade", "id", "User", "now()"])
)
_KEYS = [
    "tables",
    "enums",
    "columns",
    "type",
    "values",
    "references",
    "table",
    "column",
    "primary_key",
    "unique",
    "indexes",
    "uniques",
    "checks",
    "expression",
    "default",
    "default_sql",
    "identity",
    "soft_delete",
    "tenant",
    "policies",
    "name",
    "where",
    "on_delete",
    "nullable",
    "generated",
    "rls",
    "billing",
    "ignore",
    "include",
    "User",
    "id",
]
_values = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(_KEYS) | st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(["tables", "enums", "schema", "x"]), _values, max_size=3))
def test_random_structures_raise_only_spec_errors(doc: dict[str, object]) -> None:
    from pgwarden.spec.dump import _value

    lines = []
    for key, value in doc.items():
        if value is None:
            continue
        try:
            lines.append(f"{key} = {_value(_without_none(value))}")  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            return
    _load_only_spec_errors("\n".join(lines))


def _without_none(value: object) -> object:
    if isinstance(value, dict):
        return {str(k): _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value if v is not None]
    if isinstance(value, float) and value != value:
        return 0.5
    return value


def test_problems_in_one_file_do_not_hide_another_files() -> None:
    from pgwarden.spec.load import load_texts

    first = BASE + '\n[tables.Post]\nowner = "usr"\n[tables.Post.columns]\nid = { type = "uuid" }\n'
    second = '[tables.Post.columns]\nid = { type = "uuid" }\n'
    with pytest.raises(SpecError) as err:
        load_texts([("a.toml", first), ("b.toml", second)])
    found = {(p.file, p.path, p.line) for p in err.value.problems}
    assert ("a.toml", "tables.Post.owner", line_of(first, 'owner = "usr"')) in found
    assert ("b.toml", "tables.Post", 1) in found
