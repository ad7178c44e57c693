"""The rule registry: stable ids, one registration each, documented."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pgwarden.checks.registry import DuplicateRuleError, Finding, Rule, all_rules, check

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_registering_an_id_twice_is_an_error() -> None:
    registry: dict[str, Rule] = {}

    @check(id="demo-rule", family="schema", registry=registry)
    def first(schema: object) -> Iterator[Finding]:
        yield from ()

    assert registry["demo-rule"].fn is first
    with pytest.raises(DuplicateRuleError, match="demo-rule"):

        @check(id="demo-rule", family="schema", registry=registry)
        def second(schema: object) -> Iterator[Finding]:
            yield from ()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"id": "Not_Kebab", "family": "schema"},
        {"id": "ok-id", "family": "nope"},
        {"id": "ok-id", "family": "schema", "severity": "fatal"},
    ],
)
def test_bad_registrations_are_refused(kwargs: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        check(registry={}, **kwargs)  # type: ignore[arg-type]


def test_real_rules_are_registered_once_with_summaries() -> None:
    rules = all_rules()
    assert len(rules) >= 35
    assert all(r.summary for r in rules.values())


@pytest.mark.parametrize("rule_id", sorted(all_rules()))
def test_every_rule_has_a_doc_page(rule_id: str) -> None:
    page = DOCS / "rules" / f"{rule_id}.md"
    assert page.exists(), f"write docs/rules/{rule_id}.md"
    text = page.read_text()
    assert text.startswith(f"# {rule_id}\n")
    for section in ("## Problem", "## Bad", "## Good", "## Fix", "## Corresponds to"):
        assert section in text, f"{page} lacks {section}"


def test_lint_doc_maps_squawk_ids() -> None:
    from tests.checks.test_squawk_crosscheck import LOCK_HAZARDS, NOT_LOCK_HAZARDS

    text = (DOCS / "lint.md").read_text()
    for squawk_id in [*LOCK_HAZARDS, *NOT_LOCK_HAZARDS]:
        assert f"`{squawk_id}`" in text, f"docs/lint.md does not map squawk's {squawk_id}"


def test_json_report_is_what_json_dumps_with_indent_writes() -> None:
    import json

    from pgwarden.checks.registry import Location
    from pgwarden.checks.report import json_report

    findings = [
        Finding("a-rule", "error", Location("m/0001.sql", 3, 1), 'say "hi"\n\tnow', "fix ✓"),
        Finding("b-rule", "warning", Location("schema/a.toml", None, None, "T.c"), "é\\ \x01"),
        Finding("c-rule", "info", Location("x.py", 10**12, 0), "", None),
    ]
    data = [json_report.as_dict(f) for f in findings]
    assert json_report.render(findings) == json.dumps(data, indent=2) + "\n"
    assert json_report.render([]) == json.dumps([], indent=2) + "\n"
