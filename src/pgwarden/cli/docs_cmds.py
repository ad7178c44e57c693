"""``pgwarden docs``: generate the Data Blueprint (docs/blueprint.md) from the spec."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pgwarden import textfile
from pgwarden.cli.context import Context, examples, pass_ctx, shared_options, shown_path
from pgwarden.cli.group import cli
from pgwarden.errors import PgwardenError

if TYPE_CHECKING:
    from pgwarden.checks.queries import QueryAnalysis
    from pgwarden.spec.model import Schema


@cli.command(
    "docs",
    epilog=examples(
        "pgwarden docs",
        "pgwarden docs --check",
        'pgwarden docs -o docs/data.md --title "Orders data" --source src/app',
    ),
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Where the blueprint is written (or compared, with --check); default "
    "docs/blueprint.md in the project.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 when the file differs from what the spec generates.",
)
@click.option("--title", default="Data Blueprint", show_default=True, help="Document title.")
@click.option(
    "--source",
    "sources",
    multiple=True,
    type=click.Path(path_type=Path, exists=True),
    help="Python file or directory whose queries the query-pattern table analyses "
    "(repeatable; default: [tool.pgwarden.docs] source of the spec's pyproject.toml).",
)
@shared_options("schema", "database_url", "state_dir", "env")
@pass_ctx
def docs_cmd(
    ctx: Context, output: Path | None, check: bool, title: str, sources: tuple[Path, ...]
) -> None:
    """Generate the Data Blueprint from the spec: models, relations and delete rules,
    enums, indexes, the application's query patterns, an ER diagram, and an
    integrity checklist computed by lint. The spec is proved on a server first
    (see `pgwarden validate`; PGWARDEN_OFFLINE=1 skips the proof)."""
    from pgwarden.docs.blueprint import render_blueprint
    from pgwarden.spec.load import load_schema

    if output is None:
        root = ctx.project.root if ctx.project is not None else Path.cwd()
        output = shown_path(root / "docs" / "blueprint.md")
    schema = load_schema(ctx.schema_dir)
    from pgwarden.cli.proof import prove_spec

    prove_spec(ctx, schema)
    pyproject = _pyproject(ctx.schema_dir)
    base = pyproject.parent if pyproject else Path.cwd()
    paths = list(sources) or _configured_sources(pyproject)
    if paths:
        analysis, shown = _analyse(schema, paths, base, pyproject)
        text = render_blueprint(schema, title=title, queries=analysis, query_sources=shown)
    else:
        text = render_blueprint(schema, title=title)
    if check:
        # a damaged file (not UTF-8) is stale like any other, never a traceback
        current = output.read_bytes().decode("utf-8", "replace") if output.exists() else ""
        if current == text:
            click.echo(f"{output} is up to date")
            return
        import difflib

        diff = difflib.unified_diff(
            current.splitlines(keepends=True),
            text.splitlines(keepends=True),
            f"{output} (committed)",
            f"{output} (generated)",
            n=1,
        )
        click.echo("".join(list(diff)[:60]), err=True)
        click.echo(f"{output} is stale: run `pgwarden docs` and commit the result", err=True)
        raise click.exceptions.Exit(1)
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.exists() and output.read_bytes() == text.encode():
        click.echo(f"{output} is up to date")
        return
    output.write_text(text, encoding="utf-8")
    click.echo(f"wrote {output}")


def _pyproject(schema_dir: Path) -> Path | None:
    """The pyproject.toml of the spec's project (upwards from the spec): a spec outside
    any project gets no configured sources, whatever the working directory."""
    from pgwarden.checks.config import find_pyproject

    start = schema_dir.resolve()
    return find_pyproject(start if start.is_dir() else start.parent)


def _configured_sources(pyproject: Path | None) -> list[Path]:
    """``[tool.pgwarden.docs] source = ["src/app", ...]``, relative to the pyproject."""
    if pyproject is None:
        return []
    try:
        data = tomllib.loads(textfile.read_text(pyproject))
    except tomllib.TOMLDecodeError as exc:
        raise PgwardenError(f"{pyproject}: cannot read: {exc}\n  fix: correct the TOML") from None
    raw = data.get("tool", {}).get("pgwarden", {}).get("docs", {}).get("source", [])
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise PgwardenError(
            f"{pyproject}: [tool.pgwarden.docs] source must be a list of paths\n"
            '  fix: source = ["src/app"]'
        )
    return [pyproject.parent / x for x in raw]


def _analyse(
    schema: Schema, paths: list[Path], base: Path, pyproject: Path | None
) -> tuple[QueryAnalysis, list[str]]:
    from pgwarden.checks.queries import analyse, generate_services

    files: list[tuple[str, str]] = []
    shown: list[str] = []
    for path in paths:
        if not path.exists():
            raise PgwardenError(f"{path}: no such file or directory\n  fix: pass an existing path")
        found = [path] if path.is_file() else sorted(path.rglob("*.py"))
        shown.append(_relative(path, base))
        for f in found:
            if "__pycache__" in f.parts:
                continue
            text = textfile.read_text(f)
            files.append((_relative(f, base), text))
    return analyse(files, schema, generate_services(pyproject), root=base), shown


def _relative(path: Path, base: Path) -> str:
    # the same text wherever the repository lives: the blueprint is compared byte for byte
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
