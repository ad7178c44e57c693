"""``pgwarden lint``: schema, migration and data-access checks.

Exit 0 when no finding at error severity remains (after suppressions, severity
overrides and the baseline), 1 when one does, 2 on bad input or usage.
"""

from __future__ import annotations

from pathlib import Path

import click

from pgwarden.cli.context import Context, examples, pass_ctx, shared_options
from pgwarden.cli.group import cli
from pgwarden.cli.project import ProjectError

#: The reporters of pgwarden.checks.report (kept literal: importing the rules to
#: list them would cost every command; tests/cli checks the two agree).
FORMAT_NAMES = ("gcc", "gitlab", "json", "sarif", "text")


def _project_path(ctx: Context, attr: str) -> Path | None:
    """The spec / migrations directory when there is one (outside a project: None)."""
    try:
        path: Path = getattr(ctx, attr)
    except ProjectError:
        return None
    return path


@cli.command(
    epilog=examples(
        "pgwarden lint",
        "pgwarden lint migrations/0004_orders/up.sql --format gcc",
        "pgwarden lint --format sarif > pgwarden.sarif",
    ),
)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMAT_NAMES),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option("--select", multiple=True, help="Run only these rules/families (repeatable).")
@click.option("--ignore", multiple=True, help="Skip these rules/families (repeatable).")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="pyproject.toml with [tool.pgwarden.lint] (default: the project's, else the nearest).",
)
@click.option(
    "--baseline",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Report only findings not in this baseline file.",
)
@click.option(
    "--write-baseline",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Record the current findings as the baseline and exit 0.",
)
@click.option("--list-rules", is_flag=True, help="List the rules and exit.")
@shared_options("schema", "dir")
@pass_ctx
def lint(
    ctx: Context,
    paths: tuple[Path, ...],
    fmt: str,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    config_path: Path | None,
    baseline: Path | None,
    write_baseline: Path | None,
    list_rules: bool,
) -> None:
    """Lint the spec, migrations and Python data access (default: the project's paths)."""
    from pgwarden.checks.baseline import write_baseline as save_baseline
    from pgwarden.checks.config import find_pyproject, load_config
    from pgwarden.checks.engine import Finisher, iter_lint, lint_paths
    from pgwarden.checks.registry import all_rules
    from pgwarden.checks.report import render
    from pgwarden.checks.report import text as text_report
    from pgwarden.errors import PgwardenError

    if list_rules:
        for r in sorted(all_rules().values(), key=lambda r: (r.family, r.id)):
            opt = "" if r.default_enabled else " (opt-in)"
            click.echo(f"{r.id:36} {r.family:9} {r.severity:7} {r.summary}{opt}")
        return
    if config_path is not None and not config_path.is_file():
        raise PgwardenError(f"{config_path}: no such config file\n  fix: pass a pyproject.toml")
    project = ctx.project
    pyproject = project.pyproject if project is not None else find_pyproject(Path.cwd())
    config = load_config(config_path or pyproject)
    known = set(all_rules()) | {"schema", "migration", "access", "query", "meta", "ALL"}
    for name in (*select, *ignore):
        if name not in known:
            raise PgwardenError(f"unknown rule {name!r}\n  fix: see `pgwarden lint --list-rules`")
    config = config.merged(select=select or None, ignore=(*config.ignore, *ignore) or None)
    if not paths:
        defaults = [
            config.schema or _project_path(ctx, "schema_dir"),
            config.migrations or _project_path(ctx, "migrations_dir"),
        ]
        paths = tuple(p for p in (*defaults, *config.source) if p is not None and p.exists())
        if not paths:
            raise PgwardenError(
                "nothing to lint: no spec or migrations found (no project here, or its "
                "schema/ and migrations/ do not exist) and no paths given\n"
                "  fix: pass PATHS, run inside a project (`pgwarden init`), or set "
                "[tool.pgwarden.lint] paths"
            )
    if write_baseline is not None:
        result = lint_paths(paths, config)
        save_baseline(write_baseline, result.findings)
        click.echo(f"wrote {len(result.findings)} finding(s) to {write_baseline}", err=True)
        return
    fin = Finisher(config, baseline or config.baseline)
    total = errors = 0
    if fmt in ("text", "gcc"):
        # streamed: each SQL file's findings as soon as it is linted
        source = text_report.file_lines()
        for part in iter_lint(paths, config, fin):
            if part:
                out = text_report.render(part, source) if fmt == "text" else render(part, fmt)
                click.echo(out, nl=False)
            total += len(part)
            errors += sum(1 for f in part if f.severity == "error")
    else:
        findings = [f for part in iter_lint(paths, config, fin) for f in part]
        findings.sort(key=lambda f: (f.location.file, f.location.line or 0, f.location.col or 0))
        total = len(findings)
        errors = sum(1 for f in findings if f.severity == "error")
        click.echo(render(findings, fmt), nl=False)
    if fmt == "text":
        extra = []
        if fin.suppressed:
            extra.append(f"{fin.suppressed} suppressed")
        if fin.baselined:
            extra.append(f"{fin.baselined} in baseline")
        tail = f" ({', '.join(extra)})" if extra else ""
        click.echo(f"{total} finding(s), {errors} at error severity{tail}", err=True)
    if errors:
        raise click.exceptions.Exit(1)
