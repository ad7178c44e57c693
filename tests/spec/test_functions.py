"""Functions and procedures in the spec: loading (arguments and return type in one
normal form, the body byte for byte), dumping back, rendering, and the bad specs."""

from __future__ import annotations

import pytest

from pgwarden.errors import SpecError
from pgwarden.render.sql import render_schema
from pgwarden.spec.dump import dump_schema
from pgwarden.spec.load import load_schema_text
from pgwarden.spec.routines import identity_arguments, split_search_path

SPEC = '''
[enums.Plan]
values = ["FREE", "PRO"]

[tables.User.columns]
id = { type = "uuid", primary_key = true }
email = { type = "text" }
plan = { type = "Plan", default = "FREE" }

[[tables.User.checks]]
name = "email_ok"
expression = "is_email(email)"

[functions.is_email]
language = "sql"
arguments = "value text"
returns = "boolean"
volatility = "immutable"
strict = true
parallel = "safe"
body = "SELECT $1 LIKE '%@%'"

[functions.user_count]
language = "sql"
returns = "bigint"
volatility = "stable"
security_definer = true
search_path = ["public", "pg_temp"]
set = { work_mem = "64MB" }
comment = "how many users"
body = """
SELECT count(*) FROM "User"
"""

[functions.bump]
language = "plpgsql"
arguments = "p \\"Plan\\", n integer DEFAULT 1"
returns = "SETOF text"
body = """
BEGIN
  RETURN NEXT p::text || n;  -- $function$ inside\tand a tab
END;
"""

[procedures.reset_plans]
language = "plpgsql"
arguments = "to_plan \\"Plan\\""
body = """
BEGIN
  UPDATE "User" SET plan = to_plan;
END
"""
'''


def test_load_normalizes_signatures_and_keeps_bodies() -> None:
    s = load_schema_text(SPEC)
    fns = {f.name: f for f in s.functions}
    assert list(fns) == ["bump", "is_email", "reset_plans", "user_count"]
    assert fns["bump"].arguments == 'p "Plan", n integer = 1'
    assert fns["bump"].returns == "SETOF text"
    assert fns["bump"].body == (
        "BEGIN\n  RETURN NEXT p::text || n;  -- $function$ inside\tand a tab\nEND;\n"
    )
    assert fns["reset_plans"].kind == "procedure" and fns["reset_plans"].returns is None
    assert fns["user_count"].search_path == ("public", "pg_temp")
    assert fns["user_count"].settings == (("work_mem", "64MB"),)
    spelled = SPEC.replace("n integer DEFAULT 1", "n   INT = 1")
    assert load_schema_text(spelled) == s


def test_dump_loads_back_equal() -> None:
    s = load_schema_text(SPEC)
    assert load_schema_text(dump_schema(s)) == s


def test_render_orders_functions_around_tables() -> None:
    ddl = render_schema(load_schema_text(SPEC))
    # a check calls is_email: it exists before the table; user_count reads "User": after
    assert ddl.index('CREATE FUNCTION "is_email"') < ddl.index('CREATE TABLE "User"')
    assert ddl.index('CREATE TABLE "User"') < ddl.index('CREATE FUNCTION "user_count"')
    # the body's own "$function$" makes the quoting pick another tag
    assert "AS $function1$BEGIN" in ddl
    assert 'SET search_path = "public", "pg_temp"' in ddl
    assert "COMMENT ON FUNCTION \"user_count\"() IS 'how many users'" in ddl


def test_identity_arguments_and_search_path() -> None:
    assert identity_arguments("a integer, INOUT b text = 'x'") == "a integer, INOUT b text"
    assert split_search_path('"My ""S""", public') == ('My "S"', "public")


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ('returns = "boolean"\n', "missing required key 'returns'"),
        ('language = "sql"\narguments = "value text"', "missing required key 'language'"),
        ('arguments = "value text"', "not a valid argument list"),
    ],
)
def test_bad_functions_are_clear_errors(patch: str, message: str) -> None:
    broken = {
        'returns = "boolean"\n': SPEC.replace('returns = "boolean"\n', "", 1),
        'language = "sql"\narguments = "value text"': SPEC.replace(
            'language = "sql"\narguments = "value text"', 'arguments = "value text"', 1
        ),
        'arguments = "value text"': SPEC.replace(
            'arguments = "value text"', 'arguments = "value text,"', 1
        ),
    }[patch]
    with pytest.raises(SpecError) as info:
        load_schema_text(broken)
    text = str(info.value)
    assert message in text
    assert "functions.is_email" in text
    assert ":" in text.splitlines()[0]  # file:line


def test_a_function_and_a_procedure_of_one_name_is_an_error() -> None:
    text = SPEC + '\n[procedures.is_email]\nlanguage = "sql"\nbody = "SELECT 1"\n'
    with pytest.raises(SpecError) as info:
        load_schema_text(text)
    assert "procedure 'is_email' has the name of function 'is_email'" in str(info.value)
