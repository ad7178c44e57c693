"""``pgwarden fleet apply|status|verify|drift``: one spec, many databases (or tenant schemas)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import click

from pgwarden.apply.fleet.config import FleetConfig, load_fleet_config
from pgwarden.apply.fleet.rollout import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_PARALLEL,
    Outcome,
    Plan,
    TargetResult,
    roll_out,
)
from pgwarden.apply.fleet.survey import fleet_drift, fleet_status, fleet_verify
from pgwarden.apply.fleet.targets import (
    Target,
    TargetError,
    from_file,
    from_list,
    from_query,
    resolve_entry,
    tenant_schemas,
)
from pgwarden.cli import Context, cli
from pgwarden.cli.context import DATABASE, examples, shared_options
from pgwarden.cli.fleet_board import Board
from pgwarden.db import mask_dsn

F = TypeVar("F", bound=Callable[..., Any])


@cli.group(
    epilog=examples(
        "pgwarden fleet status --targets fleet.txt",
        "pgwarden fleet apply --schemas 'tenant_%' --canary 2",
        "pgwarden fleet drift --targets fleet.txt --json",
    )
)
@shared_options(*DATABASE, "schema")
def fleet() -> None:
    """One spec governing many databases: roll migrations out in waves, report, compare.

    Targets come from --targets FILE (one URL or env:VAR per line, # comments),
    --schemas PATTERN (schema-per-tenant on --database-url), or
    [tool.pgwarden.fleet] in pyproject.toml (targets = [...], query = "SELECT url
    FROM tenants" on a control database, or schemas = "tenant_%").

    Every target keeps its own history and advisory lock, so a rerun continues where
    a stopped or crashed rollout left each target. A target already at the latest
    migration costs one query.
    """


def _selection(func: F) -> F:
    options = [
        click.option(
            "--targets",
            "targets_file",
            type=click.Path(path_type=Path, dir_okay=False),
            default=None,
            help="File with one URL or env:VAR per line (# comments).",
        ),
        click.option(
            "--schemas",
            "schemas",
            default=None,
            metavar="PATTERN",
            help="Schema-per-tenant: every schema of --database-url LIKE PATTERN (tenant_%).",
        ),
        click.option(
            "--parallel",
            type=click.IntRange(min=1),
            default=None,
            help=f"Targets in flight at once, one connection each [default: {DEFAULT_PARALLEL}].",
        ),
        click.option(
            "--connect-timeout",
            type=click.IntRange(min=1),
            default=None,
            help=f"Seconds to wait for a target to answer [default: {DEFAULT_CONNECT_TIMEOUT}].",
        ),
        click.option("--json", "as_json", is_flag=True, help="Print a JSON report on stdout."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _migrations_dir(func: F) -> F:
    return click.option(
        "--dir",
        "migrations_dir",
        type=click.Path(path_type=Path),
        default=Path("migrations"),
        show_default=True,
        help="The migrations directory.",
    )(func)


def _config() -> FleetConfig | None:
    from pgwarden.checks.config import find_pyproject

    return load_fleet_config(find_pyproject(Path.cwd()))


def _entry_url(value: str | None, obj: Context, where: str) -> tuple[str, str]:
    """(url, label) of a config's control/database entry, default --database-url."""
    if value is None:
        url = obj.url()
        return url, mask_dsn(url)
    target = resolve_entry(value, where)
    return target.url, target.label


def resolve_targets(
    obj: Context, targets_file: Path | None, schemas: str | None, config: FleetConfig | None
) -> list[Target]:
    """The targets of a fleet command: ``--targets FILE``, ``--schemas PATTERN``, or the
    ``[tool.pgwarden.fleet]`` configuration (a usage error when none or two are given)."""
    if targets_file is not None and schemas is not None:
        raise click.UsageError("give --targets or --schemas, not both")
    if targets_file is not None:
        found = from_file(targets_file)
    elif schemas is not None:
        url = obj.url()
        return tenant_schemas(url, schemas)
    elif config is not None and config.targets is not None:
        found = from_list(config.targets, f"{config.file}: [tool.pgwarden.fleet] targets")
    elif config is not None and config.query is not None:
        where = f"{config.file}: [tool.pgwarden.fleet] query"
        url, _label = _entry_url(config.control, obj, f"{config.file}: control")
        found = from_query(url, config.query, where)
    elif config is not None and config.schemas is not None:
        url, label = _entry_url(config.database, obj, f"{config.file}: database")
        return tenant_schemas(url, config.schemas, label)
    else:
        raise TargetError(
            "no targets\n  fix: pass --targets FILE or --schemas PATTERN, or set "
            "[tool.pgwarden.fleet] targets / query / schemas in pyproject.toml"
        )
    # a database target governs the namespace --pg-schema names, as `migrate` does
    return [replace(t, schema=obj.pg_schema) for t in found]


def _setting(given: int | None, configured: int | None, default: int) -> int:
    return given if given is not None else configured if configured is not None else default


def _emit_json(payload: dict[str, Any]) -> None:
    click.echo(json.dumps(payload, indent=2, sort_keys=False))


def _finish(outcome: Outcome[Any]) -> None:
    if outcome.interrupted:
        click.echo("interrupted: rerun the same command to continue", err=True)
        sys.exit(130)


def _versions(before: int | None, after: int | None) -> str:
    def show(v: int | None) -> str:
        return "-" if v is None else f"{v:04d}"

    return show(before) if before == after else f"{show(before)} -> {show(after)}"


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


# --------------------------------------------------------------------------- apply


@fleet.command(
    "apply",
    epilog=examples(
        "pgwarden fleet apply --targets fleet.txt --canary 2 --parallel 16",
        "pgwarden fleet apply --schemas 'tenant_%' --max-failures 5",
        "pgwarden fleet apply --json > rollout.json",
    ),
)
@shared_options(*DATABASE, "schema")
@_selection
@_migrations_dir
@click.option(
    "--canary",
    type=click.IntRange(min=0),
    default=None,
    help="Apply to the first N targets first; any failure there stops before the waves.",
)
@click.option(
    "--max-failures",
    type=click.IntRange(min=0),
    default=None,
    help="Stop starting targets after F failures (0: never stop) [default: 1].",
)
@click.option("--to", "to", type=int, default=None, help="Stop after migration number N.")
@click.pass_context
def apply_cmd(
    ctx: click.Context,
    targets_file: Path | None,
    schemas: str | None,
    parallel: int | None,
    connect_timeout: int | None,
    as_json: bool,
    migrations_dir: Path,
    canary: int | None,
    max_failures: int | None,
    to: int | None,
) -> None:
    """Apply pending migrations to every target: canary first, then a bounded pool.

    Exit 1 when any target failed or was left unstarted; rerun to continue.
    """
    from pgwarden.apply import files

    obj: Context = ctx.find_object(Context)  # type: ignore[assignment]
    config = _config()
    migrations = files.load_migrations(migrations_dir)
    if to is not None and to not in {m.version for m in migrations}:
        raise click.UsageError(f"--to {to}: no migration numbered {to:04d} in {migrations_dir}")
    targets = resolve_targets(obj, targets_file, schemas, config)
    failures = _setting(max_failures, config.max_failures if config else None, 1)
    plan = Plan(
        canary=_setting(canary, config.canary if config else None, 0),
        parallel=_setting(parallel, config.parallel if config else None, DEFAULT_PARALLEL),
        max_failures=failures or None,
    )
    timeout = _setting(
        connect_timeout, config.connect_timeout if config else None, DEFAULT_CONNECT_TIMEOUT
    )
    board = Board("fleet apply", targets)
    with board:
        outcome = roll_out(
            targets,
            migrations,
            plan,
            to=to,
            connect_timeout=timeout,
            on_start=board.started,
            on_done=lambda i, r: board.finished(i, r.status, _row_detail(r)),
        )
    counts = _count(r.status for r in outcome.results)
    if as_json:
        _emit_json(
            {
                "command": "fleet apply",
                "targets": [r.as_json() for r in outcome.results],
                "summary": {**counts, "total": len(targets)},
                "stopped": outcome.stopped,
                "seconds": round(outcome.seconds, 3),
            }
        )
    else:
        _print_apply(outcome.results)
        line = ", ".join(f"{counts[k]} {k}" for k in ("applied", "current", "failed", "skipped"))
        click.echo(f"fleet apply: {line} of {len(targets)} target(s) in {outcome.seconds:.1f} s")
        if outcome.stopped:
            click.echo(f"  {outcome.stopped}; rerun to continue")
    _finish(outcome)
    if counts["failed"] or counts["skipped"]:
        sys.exit(1)


def _count(
    statuses: Any, keys: Sequence[str] = ("applied", "current", "failed", "skipped")
) -> dict[str, int]:
    counts = dict.fromkeys(keys, 0)
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return counts


def _row_detail(r: TargetResult) -> str:
    if r.failed and r.error:
        return r.error.splitlines()[0]
    return _versions(r.version_before, r.version_after)


def _print_apply(results: Sequence[TargetResult]) -> None:
    for r in results:
        if r.status == "applied":
            click.echo(
                f"applied  {r.target.label}  {_versions(r.version_before, r.version_after)}"
                f"  ({', '.join(r.applied)}) in {r.duration_ms} ms"
            )
            for note in r.notes:
                click.echo(f"    {note}")
        elif r.status == "failed":
            click.echo(
                f"FAILED   {r.target.label}  at {_versions(r.version_after, r.version_after)}"
            )
            click.echo(_indent(r.error or "unknown error"))


# --------------------------------------------------------------------------- status


@fleet.command(
    "status",
    epilog=examples(
        "pgwarden fleet status --targets fleet.txt",
        "pgwarden fleet status --schemas 'tenant_%' --json",
    ),
)
@shared_options(*DATABASE, "schema")
@_selection
@_migrations_dir
@click.pass_context
def status_cmd(
    ctx: click.Context,
    targets_file: Path | None,
    schemas: str | None,
    parallel: int | None,
    connect_timeout: int | None,
    as_json: bool,
    migrations_dir: Path,
) -> None:
    """Each target's migration version and what is pending (one query per target).

    Exit 1 when a target is unreachable or its history does not match the directory.
    """
    from pgwarden.apply import files

    obj: Context = ctx.find_object(Context)  # type: ignore[assignment]
    config = _config()
    migrations = files.load_migrations(migrations_dir)
    targets = resolve_targets(obj, targets_file, schemas, config)
    board = Board("fleet status", targets)
    with board:
        outcome = fleet_status(
            targets,
            migrations,
            parallel=_setting(parallel, config.parallel if config else None, DEFAULT_PARALLEL),
            connect_timeout=_setting(
                connect_timeout,
                config.connect_timeout if config else None,
                DEFAULT_CONNECT_TIMEOUT,
            ),
            on_done=lambda i, r: board.finished(i, r.state, r.error or ""),
        )
    keys = ("current", "pending", "half-applied", "changed", "unreachable", "skipped")
    counts = _count((r.state for r in outcome.results), keys)
    latest = migrations[-1].name if migrations else None
    if as_json:
        _emit_json(
            {
                "command": "fleet status",
                "latest": latest,
                "targets": [r.as_json() for r in outcome.results],
                "summary": {**counts, "total": len(targets)},
                "seconds": round(outcome.seconds, 3),
            }
        )
    else:
        for r in outcome.results:
            if r.state == "current":
                continue
            detail = f"  pending: {', '.join(r.pending)}" if r.pending else ""
            version = "-" if r.version is None else f"{r.version:04d}"
            click.echo(f"{r.state:<12} {r.target.label}  at {version}{detail}")
            if r.error:
                click.echo(_indent(r.error))
        shown = ", ".join(f"{v} {k}" for k, v in counts.items() if v)
        click.echo(
            f"fleet status: {shown or 'no targets'} of {len(targets)} target(s)"
            f" (latest {latest or 'none'}) in {outcome.seconds:.1f} s"
        )
    _finish(outcome)
    if counts["changed"] or counts["unreachable"]:
        sys.exit(1)


# --------------------------------------------------------------------------- verify


@fleet.command(
    "verify",
    epilog=examples(
        "pgwarden fleet verify --targets fleet.txt",
        "pgwarden fleet verify --schema schema --schemas 'tenant_%' --json",
    ),
)
@shared_options(*DATABASE, "schema")
@_selection
@click.pass_context
def verify_cmd(
    ctx: click.Context,
    targets_file: Path | None,
    schemas: str | None,
    parallel: int | None,
    connect_timeout: int | None,
    as_json: bool,
) -> None:
    """Compare every target with the --schema spec; exit 1 when any differs or fails."""
    from pgwarden.spec.load import load_schema

    obj: Context = ctx.find_object(Context)  # type: ignore[assignment]
    config = _config()
    spec = load_schema(obj.schema_dir)
    targets = resolve_targets(obj, targets_file, schemas, config)
    board = Board("fleet verify", targets)
    with board:
        outcome = fleet_verify(
            targets,
            spec,
            parallel=_setting(parallel, config.parallel if config else None, DEFAULT_PARALLEL),
            connect_timeout=_setting(
                connect_timeout,
                config.connect_timeout if config else None,
                DEFAULT_CONNECT_TIMEOUT,
            ),
            on_done=lambda i, r: board.finished(i, r.state, r.error or ""),
        )
    counts = _count((r.state for r in outcome.results), ("ok", "drift", "failed", "skipped"))
    if as_json:
        _emit_json(
            {
                "command": "fleet verify",
                "targets": [r.as_json() for r in outcome.results],
                "summary": {**counts, "total": len(targets)},
                "seconds": round(outcome.seconds, 3),
            }
        )
    else:
        for r in outcome.results:
            if r.state == "ok":
                continue
            click.echo(f"{r.state:<7} {r.target.label}")
            for line in r.differences:
                click.echo(f"    {line}")
            if r.error:
                click.echo(_indent(r.error))
        shown = ", ".join(f"{v} {k}" for k, v in counts.items() if v)
        click.echo(f"fleet verify: {shown} of {len(targets)} target(s) in {outcome.seconds:.1f} s")
    _finish(outcome)
    if counts["ok"] != len(targets):
        sys.exit(1)


# --------------------------------------------------------------------------- drift


@fleet.command(
    "drift",
    epilog=examples(
        "pgwarden fleet drift --targets fleet.txt",
        "pgwarden fleet drift --schemas 'tenant_%' --json",
    ),
)
@shared_options(*DATABASE, "schema")
@_selection
@click.pass_context
def drift_cmd(
    ctx: click.Context,
    targets_file: Path | None,
    schemas: str | None,
    parallel: int | None,
    connect_timeout: int | None,
    as_json: bool,
) -> None:
    """Group targets by the fingerprint of their inspected schema; show how each group
    differs from the --schema spec (one inspection per target, bounded parallelism).

    Exit 1 when any group differs from the spec or a target cannot be inspected.
    """
    from pgwarden.spec.load import load_schema

    obj: Context = ctx.find_object(Context)  # type: ignore[assignment]
    config = _config()
    spec = load_schema(obj.schema_dir)
    targets = resolve_targets(obj, targets_file, schemas, config)
    board = Board("fleet drift", targets)
    with board:
        report = fleet_drift(
            targets,
            spec,
            parallel=_setting(parallel, config.parallel if config else None, DEFAULT_PARALLEL),
            connect_timeout=_setting(
                connect_timeout,
                config.connect_timeout if config else None,
                DEFAULT_CONNECT_TIMEOUT,
            ),
            on_done=lambda i, r: board.finished(
                i, "failed" if r.fingerprint is None else "inspected", r.error or ""
            ),
        )
    if as_json:
        _emit_json({"command": "fleet drift", **report.as_json()})
    else:
        for group in report.groups:
            verdict = "matches the spec" if group.matches_spec else "DIFFERS from the spec"
            names = ", ".join(t.label for t in group.targets[:5])
            more = f" (+{len(group.targets) - 5} more)" if len(group.targets) > 5 else ""
            versions = "/".join(str(v // 10000) for v in group.server_versions)
            click.echo(
                f"{group.fingerprint}  {len(group.targets)} target(s), PostgreSQL {versions}:"
                f" {verdict}\n    {names}{more}"
            )
            for line in group.differences:
                click.echo(f"    - {line}")
        for item in report.failed:
            click.echo(f"FAILED  {item.target.label}")
            click.echo(_indent(item.error or "unknown error"))
        click.echo(
            f"fleet drift: {len(report.groups)} fingerprint(s) over {len(targets)} target(s),"
            f" {len(report.failed)} failed, in {report.seconds:.1f} s"
        )
    if report.interrupted:
        click.echo("interrupted: the report covers the targets inspected so far", err=True)
        sys.exit(130)
    if not report.clean:
        sys.exit(1)
