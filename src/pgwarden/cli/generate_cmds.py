"""``pgwarden generate``: write (or check) the typed data-access package.

Settings come from ``[tool.pgwarden.generate]`` in the project's ``pyproject.toml``
(``output`` relative to the project root); ``--output`` and ``--package`` override
them::

    [tool.pgwarden.generate]
    output = "generated/basefly_db"
    package = "basefly_db"
    services = { K8sClusterConfig = "k8s_cluster" }   # optional service names
    pool = { min_size = 1, max_size = 10, timeout = 30 }  # create_pool's defaults
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pgwarden import textfile
from pgwarden.cli.context import Context, examples, pass_ctx, shared_options, shown_path
from pgwarden.cli.group import cli
from pgwarden.errors import PgwardenError

if TYPE_CHECKING:
    from pgwarden.generators.accessors import PoolView


@dataclass(frozen=True, slots=True)
class GenerateConfig:
    """``[tool.pgwarden.generate]``: where the accessor package goes and what it contains."""

    output: Path | None = None
    package: str | None = None
    services: dict[str, str] = field(default_factory=dict)
    pool: PoolView | None = None


_POOL_KEYS = ("min_size", "max_size", "timeout")


def _pool(pyproject: Path, raw: object) -> PoolView | None:
    """``pool = { min_size, max_size, timeout }``; missing keys keep their defaults."""
    from pgwarden.generators.accessors import PoolView

    where = f"{pyproject}: [tool.pgwarden.generate] pool"
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise PgwardenError(f"{where} must be a table\n  fix: pool = {{ max_size = 10 }}")
    unknown = sorted(set(raw) - set(_POOL_KEYS))
    if unknown:
        raise PgwardenError(
            f"{where}: unknown key(s) {', '.join(unknown)}\n  fix: use only {', '.join(_POOL_KEYS)}"
        )
    ints = all(
        isinstance(raw.get(k, 1), int) and not isinstance(raw.get(k), bool)
        for k in ("min_size", "max_size")
    )
    timeout = raw.get("timeout", 1.0)
    if ints and isinstance(timeout, int | float) and not isinstance(timeout, bool):
        given: dict[str, Any] = {k: float(v) if k == "timeout" else v for k, v in raw.items()}
        pool = PoolView(**given)
        if 0 <= pool.min_size <= pool.max_size and pool.max_size >= 1 and pool.timeout > 0:
            return pool
    raise PgwardenError(
        f"{where}: {raw!r} does not make a pool\n"
        "  fix: integers 0 <= min_size <= max_size (max_size >= 1) and timeout > 0 seconds"
    )


def read_config(pyproject: Path) -> GenerateConfig:
    """The ``[tool.pgwarden.generate]`` table, or defaults when there is none."""
    if not pyproject.is_file():
        return GenerateConfig()
    try:
        data: dict[str, Any] = tomllib.loads(textfile.read_text(pyproject))
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
    return GenerateConfig(
        Path(output) if output else None,
        package,
        dict(services),
        _pool(pyproject, table.get("pool")),
    )


@cli.command(
    epilog=examples(
        "pgwarden generate",
        "pgwarden generate --check",
        "pgwarden generate --output src/app/db --package app_db",
    ),
)
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
@shared_options("schema", "database_url", "state_dir", "env")
@pass_ctx
def generate(ctx: Context, check: bool, output: Path | None, package: str | None) -> None:
    """Generate typed Python accessors and services from the spec.

    The spec is proved on a server first (see `pgwarden validate`;
    PGWARDEN_OFFLINE=1 skips the proof)."""
    from pgwarden.generators.engine import render
    from pgwarden.spec.load import load_schema

    project = ctx.project
    config = read_config(project.pyproject) if project is not None else GenerateConfig()
    if config.output is not None and project is not None:
        config = dataclasses.replace(config, output=shown_path(project.root / config.output))
    output = output or config.output
    package = package or config.package or (output.name if output else None)
    if output is None or package is None:
        raise PgwardenError(
            "no output directory for the generated package\n"
            '  fix: pass --output DIR, or set output = "generated/<package>" under '
            "[tool.pgwarden.generate] in the project's pyproject.toml"
        )
    schema = load_schema(ctx.schema_dir)
    from pgwarden.cli.proof import prove_spec

    prove_spec(ctx, schema)
    generated = render(schema, package, services=config.services, pool=config.pool)
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
