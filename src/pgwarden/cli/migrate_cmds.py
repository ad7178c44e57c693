"""``pgwarden migrate new|apply|status|down|verify|baseline|hash``."""

from __future__ import annotations

from pathlib import Path

import click

from pgwarden.apply import files
from pgwarden.apply.runner import Runner, database_drift
from pgwarden.cli import Context, cli, pass_ctx
from pgwarden.db import connect
from pgwarden.errors import RefusedError


def _dir(ctx: click.Context) -> Path:
    return Path(ctx.meta["pgwarden.migrations_dir"])


def _runner(obj: Context, directory: Path) -> Runner:
    migrations = files.load_migrations(directory)
    return Runner(obj.url(), migrations, echo=click.echo, schema=obj.pg_schema)


@cli.group()
@click.option(
    "--dir",
    "migrations_dir",
    type=click.Path(path_type=Path),
    default=Path("migrations"),
    show_default=True,
    help="The migrations directory (NNNN_name/{up,down}.sql + snapshot.toml, pgwarden.sum).",
)
@click.pass_context
def migrate(ctx: click.Context, migrations_dir: Path) -> None:
    """Versioned migrations generated from the spec, and the runner that applies them."""
    ctx.meta["pgwarden.migrations_dir"] = migrations_dir


@migrate.command("new")
@click.argument("name")
@click.option(
    "--allow-destructive",
    is_flag=True,
    help="Consent to drops and narrowing changes (data loss) in this migration.",
)
@click.pass_context
def new_cmd(ctx: click.Context, name: str, allow_destructive: bool) -> None:
    """Plan from the latest snapshot to the --schema spec and write migration NNNN_NAME.

    Needs no database. Prints "no changes" and writes nothing when the spec equals
    the latest snapshot.
    """
    from pgwarden.apply.generate import write_migration
    from pgwarden.spec.load import load_schema

    obj: Context = ctx.find_object(Context)  # type: ignore[assignment]
    target = load_schema(obj.schema_dir)
    path = write_migration(
        _dir(ctx), name, target, allow_destructive=allow_destructive, echo=click.echo
    )
    if path is None:
        click.echo("no changes")
    else:
        click.echo(f"wrote {path}")


@migrate.command("apply")
@click.option("--to", "to", type=int, default=None, help="Stop after migration number N.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="List the pending steps and run the next migration's preflight; change nothing.",
)
@click.pass_context
def apply_cmd(ctx: click.Context, to: int | None, dry_run: bool) -> None:
    """Apply pending migrations in order (resumes a half-applied one first)."""
    obj: Context = ctx.find_object(Context)  # type: ignore[assignment]
    runner = _runner(obj, _dir(ctx))
    done = runner.dry_run(to) if dry_run else runner.apply(to)
    if not done:
        click.echo("nothing to apply")


@migrate.command("down")
@click.option("--to", "to", type=int, default=None, help="Revert every migration above N.")
@click.pass_context
def down_cmd(ctx: click.Context, to: int | None) -> None:
    """Revert the latest migration (or every one above --to N) with its down.sql."""
    obj: Context = ctx.find_object(Context)  # type: ignore[assignment]
    done = _runner(obj, _dir(ctx)).down(to)
    if not done:
        click.echo("nothing to revert")


@migrate.command("status")
@click.pass_context
def status_cmd(ctx: click.Context) -> None:
    """Each migration and whether this database has it (exit 1 on tamper or a gap)."""
    obj: Context = ctx.find_object(Context)  # type: ignore[assignment]
    states = _runner(obj, _dir(ctx)).status()
    if not states:
        click.echo("no migrations")
    for state in states:
        click.echo(state.line())
    if any(s.state in ("changed", "missing") for s in states):
        raise RefusedError("the history does not match the migrations directory (see above)")


@migrate.command("verify")
@pass_ctx
def verify_cmd(obj: Context) -> None:
    """Compare the live database with the spec; exit 1 with the difference on drift."""
    from pgwarden.spec.load import load_schema

    spec = load_schema(obj.schema_dir)
    if spec.name != obj.pg_schema and obj.pg_schema != "public":
        from dataclasses import replace

        spec = replace(spec, name=obj.pg_schema)
    with connect(obj.url()) as conn:
        drift = database_drift(conn, spec)
    if drift:
        raise RefusedError(
            f"the database has drifted from {obj.schema_dir} ({len(drift)} difference"
            f"{'s' if len(drift) != 1 else ''}):\n  "
            + "\n  ".join(drift)
            + "\n  fix: write a migration for the spec change (`pgwarden migrate new`), or "
            "undo the manual change in the database"
        )
    click.echo(f"no drift: the database matches {obj.schema_dir}")


@migrate.command("baseline")
@click.option(
    "--to", "to", type=int, default=None, help="The migration the database is at (default latest)."
)
@click.pass_context
def baseline_cmd(ctx: click.Context, to: int | None) -> None:
    """Mark an existing database (e.g. made by `prisma db push`) as at migration N."""
    obj: Context = ctx.find_object(Context)  # type: ignore[assignment]
    _runner(obj, _dir(ctx)).baseline(to)


@migrate.command("hash")
@click.pass_context
def hash_cmd(ctx: click.Context) -> None:
    """Rewrite pgwarden.sum after a reviewed hand edit of a migration applied nowhere yet."""
    directory = _dir(ctx)
    files.load_migrations(directory, check_sum=False)  # still refuses merges and bad files
    click.echo(f"wrote {files.write_sum(directory)}")
