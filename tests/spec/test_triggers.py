"""User triggers in the spec: loading (events in one order, WHEN normalized),
dumping back, rendering, and the bad specs (a missing function is a clear error)."""

from __future__ import annotations

import pytest

from pgwarden.errors import SpecError
from pgwarden.render.sql import render_schema
from pgwarden.spec.dump import dump_schema
from pgwarden.spec.load import load_schema_text

SPEC = '''
[tables.Account.columns]
id = { type = "bigint", identity = "always", primary_key = true }
balance = { type = "numeric(12,2)" }
status = { type = "text" }

[[tables.Account.triggers]]
name = "account_guard"
function = "guard_balance"
timing = "before"
events = ["update", "insert"]
columns = ["balance"]
when = "NEW.balance < 0"
arguments = ["strict", "it's"]
comment = "no negative balances"

[[tables.Account.triggers]]
name = "account_status"
function = "guard_balance"
timing = "after"
events = ["update"]
when = "OLD.status IS DISTINCT FROM NEW.status"

[[tables.Account.triggers]]
name = "account_changes"
function = "count_changes"
timing = "after"
events = ["update"]
for_each = "statement"
referencing = { old_table = "old_rows", new_table = "new_rows" }

[[tables.Account.triggers]]
name = "account_truncate"
function = "count_changes"
timing = "before"
events = ["truncate"]
for_each = "statement"

[functions.guard_balance]
language = "plpgsql"
returns = "trigger"
body = """
BEGIN
  IF TG_OP <> 'DELETE' AND NEW.balance < 0 AND TG_ARGV[0] = 'strict' THEN
    RAISE EXCEPTION 'negative balance';
  END IF;
  RETURN NEW;
END
"""

[functions.count_changes]
language = "plpgsql"
returns = "trigger"
body = """
BEGIN
  RETURN NULL;
END
"""
'''


def test_load_and_dump() -> None:
    s = load_schema_text(SPEC)
    account = s.tables[0]
    triggers = {g.name: g for g in account.triggers}
    assert list(triggers) == [
        "account_changes",
        "account_guard",
        "account_status",
        "account_truncate",
    ]
    guard = triggers["account_guard"]
    assert guard.events == ("insert", "update")
    assert guard.columns == ("balance",)
    assert guard.for_each == "row"
    assert guard.when == "new.balance < 0"
    assert triggers["account_changes"].new_table == "new_rows"
    assert load_schema_text(dump_schema(s)) == s


def test_render() -> None:
    ddl = render_schema(load_schema_text(SPEC))
    assert (
        'CREATE TRIGGER "account_guard" BEFORE INSERT OR UPDATE OF "balance" ON "Account" '
        "FOR EACH ROW WHEN (new.balance < 0) EXECUTE FUNCTION \"guard_balance\"('strict', 'it''s')"
    ) in ddl
    assert (
        'CREATE TRIGGER "account_changes" AFTER UPDATE ON "Account" REFERENCING OLD TABLE AS '
        '"old_rows" NEW TABLE AS "new_rows" FOR EACH STATEMENT'
    ) in ddl
    # triggers after the functions and the table
    assert ddl.index('CREATE FUNCTION "guard_balance"') < ddl.index("CREATE TRIGGER")
    assert ddl.index('CREATE TABLE "Account"') < ddl.index("CREATE TRIGGER")


def _error(text: str) -> str:
    with pytest.raises(SpecError) as info:
        load_schema_text(text)
    return str(info.value)


def test_a_trigger_naming_a_missing_function() -> None:
    text = _error(SPEC.replace('function = "count_changes"', 'function = "count_change"', 1))
    assert "<text>:26: tables.Account.triggers[2].function: " in text
    assert (
        "trigger 'account_changes' on 'Account' calls function 'count_change', which the "
        "spec does not define" in text
    )
    assert "did you mean 'count_changes'?" in text


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('columns = ["balance"]', 'columns = ["balanse"]', "names column 'balanse'"),
        ('events = ["truncate"]', 'events = ["truncate", "upsert"]', "must be a non-empty list"),
        ('timing = "before"', 'timing = "around"', "is not one of"),
        (
            'timing = "after"\nevents = ["update"]\nfor_each',
            'timing = "before"\nevents = ["update"]\nfor_each',
            "transition tables (referencing) need an AFTER trigger",
        ),
    ],
)
def test_bad_triggers(old: str, new: str, message: str) -> None:
    assert old in SPEC
    assert message in _error(SPEC.replace(old, new, 1))


def test_a_trigger_function_must_return_trigger() -> None:
    text = SPEC.replace(
        'returns = "trigger"\nbody = """\nBEGIN\n  RETURN NULL',
        ('returns = "integer"\nbody = """\nBEGIN\n  RETURN NULL'),
    )
    assert "which does not return trigger" in _error(text)


def test_a_trigger_function_takes_no_arguments() -> None:
    text = SPEC.replace(
        'returns = "trigger"\nbody = """\nBEGIN\n  RETURN NULL',
        'arguments = "n integer"\nreturns = "trigger"\nbody = """\nBEGIN\n  RETURN NULL',
    )
    assert "which declares arguments (a trigger function takes none)" in _error(text)


def test_row_transition_tables_on_a_partitioned_table() -> None:
    # found by the round-trip property (partitions drawn): the spec validated and
    # CREATE TRIGGER failed ("ROW triggers with transition tables are not supported
    # on partitioned tables")
    text = SPEC.replace(
        "[tables.Account.columns]",
        '[tables.Account]\npartition_by = "HASH (id)"\n\n[tables.Account.columns]',
    )
    load_schema_text(text)  # a statement trigger with transition tables: fine
    row = text.replace(
        'events = ["update"]\nfor_each = "statement"\nreferencing',
        'events = ["update"]\nfor_each = "row"\nreferencing',
    )
    message = _error(row)
    assert "transition tables on partitioned table 'Account'" in message
    assert 'for_each = "statement"' in message
