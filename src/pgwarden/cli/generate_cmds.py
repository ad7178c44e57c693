"""``pgwarden generate``: write (or check) the typed data-access package.

Settings come from ``[tool.pgwarden.generate]`` in ``pyproject.toml`` (the
current directory); ``--output`` and ``--package`` override them::

    [tool.pgwarden.generate]
    output = "generated/basefly_db"
    package = "basefly_db"
    services = { K8sClusterConfig = "k8s_cluster" }   # optional service names
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from pgwarden.cli import Context, cli, pass_ctx
from pgwarden.errors import PgwardenError


@dataclass(frozen=True, slots=True)
class GenerateConfig:
    output: Path | None = None
    package: str | None = None
    services: dict[str, str] = field(default_factory=dict)


def read_config(pyproject: Path) -> GenerateConfig:
    """The ``[tool.pgwarden.generate]`` table, or defaults when there is none."""
    if not pyproject.is_file():
        return GenerateConfig()
    try:
        data: dict[str, Any] = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PgwardenError(f"{pyproject}: {exc}\n  fix: correct the TOML syntax") from None
    table = data.get("tool", {}).get("pgwarden", {}).get("generate", {})
    if not isinstance(table, dict):
        raise PgwardenError(
            f"{pyproject}: [tool.pgwarden.generate] must be a table\n"
            '  fix: write output = "generated/<package>" and package = "<package>" under it'
        )
    services = table.get("services", {})
    output = table.get("output")
    package = table.get("package")
    bad = [
        key
        for key, ok in (
            ("output", output is None or isinstance(output, str)),
            ("package", package is None or isinstance(package, str)),
            (
                "services",
                isinstance(services, dict) and all(isinstance(v, str) for v in services.values()),
            ),
        )
        if not ok
    ]
    if bad:
        raise PgwardenError(
            f"{pyproject}: [tool.pgwarden.generate] {', '.join(bad)} has the wrong type\n"
            "  fix: output and package are strings; services maps table name to a name"
        )
    return GenerateConfig(Path(output) if output else None, package, dict(services))


@cli.command()
@click.option("--check", is_flag=True, help="Exit 1 if the committed package is stale.")
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="Directory of the generated package ([tool.pgwarden.generate] output).",
)
@click.option(
    "--package", default=None, help="Python package name ([tool.pgwarden.generate] package)."
)
@pass_ctx
def generate(ctx: Context, check: bool, output: Path | None, package: str | None) -> None:
    """Generate typed Python accessors and services from the spec."""
    from pgwarden.generators.engine import render
    from pgwarden.spec.load import load_schema

    config = read_config(Path("pyproject.toml"))
    output = output or config.output
    package = package or config.package or (output.name if output else None)
    if output is None or package is None:
        raise PgwardenError(
            "no output directory for the generated package\n"
            '  fix: pass --output DIR, or set output = "generated/<package>" under '
            "[tool.pgwarden.generate] in pyproject.toml"
        )
    schema = load_schema(ctx.schema_dir)
    generated = render(schema, package, services=config.services)
    if check:
        stale = generated.stale(output)
        if stale:
            for item in stale:
                click.echo(f"stale: {output / item}", err=True)
            click.echo("fix: run `pgwarden generate` and commit the result", err=True)
            raise click.exceptions.Exit(1)
        click.echo(f"{output}: up to date ({len(generated.files)} files)")
        return
    changed = generated.write(output)
    for rel in changed:
        click.echo(f"wrote {output / rel}")
    if not changed:
        click.echo(f"{output}: up to date ({len(generated.files)} files)")
