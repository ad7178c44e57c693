"""``pgwarden migrate new|apply|status|down|verify|baseline|resolve|hash|encrypt``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pgwarden.cli.context import DATABASE, Context, examples, pass_ctx, shared_options
from pgwarden.cli.group import cli, set_interrupt_note

if TYPE_CHECKING:
    from pgwarden.apply.progress import Progress
    from pgwarden.apply.runner import Runner

_RUN = (*DATABASE, "dir", "quiet")


def _runner(
    obj: Context,
    verb: str | None,
    *,
    as_json: bool = False,
    batch_size: int | None = None,
    batch_time: int | None = None,
) -> Runner:
    """The runner for ``obj``'s database; its notes go to stderr under --json, and a
    terminal gets progress (cli/progress.py) unless --quiet."""
    from pgwarden.apply import files
    from pgwarden.apply.progress import Progress
    from pgwarden.apply.runner import Runner
    from pgwarden.cli.progress import TerminalProgress, wanted

    migrations = files.load_migrations(obj.migrations_dir)
    url = obj.url()
    progress = TerminalProgress(url) if verb and wanted(obj.quiet) else Progress()
    if verb is not None:  # `status` changes nothing: the default note holds
        set_interrupt_note(lambda: _interrupted(progress, url))

    def echo(message: str) -> None:
        click.echo(message, err=as_json)

    from pgwarden.apply.backfill import BATCH_SIZE, BATCH_TIME

    return Runner(
        url,
        migrations,
        echo=echo,
        schema=obj.pg_schema,
        progress=progress,
        batch_size=batch_size or BATCH_SIZE,
        batch_time=BATCH_TIME if batch_time is None else batch_time / 1000,
    )


def _batch(f: Any) -> Any:
    """``--batch-size`` and ``--batch-time``: how a batched backfill step sizes its batches."""
    f = click.option(
        "--batch-time",
        type=click.IntRange(min=0),
        default=None,
        metavar="MS",
        help="Target milliseconds per batch of a backfill: each batch is sized from the "
        "last one's time (default 50; 0: every batch takes --batch-size rows).",
    )(f)
    return click.option(
        "--batch-size",
        type=click.IntRange(min=1),
        default=None,
        help="The most rows per transaction of a batched backfill step (default 10,000).",
    )(f)


def _closing(runner: Runner) -> Any:
    """Stop the runner's progress display when the command ends, however it ends."""
    from contextlib import nullcontext

    from pgwarden.cli.progress import TerminalProgress

    progress = runner.progress
    if isinstance(progress, TerminalProgress):
        from contextlib import closing

        return closing(progress)
    return nullcontext()


def _json(payload: object) -> None:
    import json

    click.echo(json.dumps(payload, indent=2, default=str))


_SQL = click.option(
    "--sql",
    "as_sql",
    is_flag=True,
    help="Print the SQL that would run (transactions, preflights, steps outside a "
    "transaction) and run nothing; reads the database's history only.",
)
_JSON = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON document on stdout (for CI)."
)


def _interrupted(progress: Progress, url: str) -> str:
    """The state a Ctrl-C left the database in (read back from the history), and the
    command that continues."""
    where = progress.where
    if where is None:
        return "no migration was in progress: every one reported above is complete"
    step = f"{where.migration} stopped in step {where.step + 1}/{where.steps}"
    resume = "`pgwarden migrate apply`" if where.direction == "up" else "`pgwarden migrate down`"
    try:
        from pgwarden.apply import history
        from pgwarden.db import connect

        with connect(url, connect_timeout=5) as conn:
            rows = {r.name: r for r in history.read(conn).values()}
            row = rows.get(where.migration)
            direction: history.Direction = "up" if where.direction == "up" else "down"
            done = len(history.steps_done(conn, row.version, direction)) if row else 0
    except Exception:  # the server may be what was cut off
        return f"{step}; its state could not be read: `pgwarden migrate status` shows it"
    if row is None or row.status not in ("running", "reverting"):
        undone = "none of it is applied" if where.direction == "up" else "it is still applied"
        state = f"{step}, and its transaction rolled back: {undone}"
    else:
        state = (
            f"{step}: {done} of its {where.steps} steps are committed and recorded, the "
            "step under way rolled back"
        )
    if not where.atomic:
        state += (
            " (an interrupted CREATE INDEX CONCURRENTLY leaves an INVALID index, which the "
            "next run drops and rebuilds)"
        )
    tail = ""
    if row is not None and row.status in ("running", "reverting"):
        tail = (
            f" (or, after a hand repair, `pgwarden migrate resolve --applied {row.version}` / "
            f"`--rolled-back {row.version}`)"
        )
    return f"{state}; {resume} continues from there{tail}"


@cli.group(
    epilog=examples(
        "pgwarden migrate new add_orders",
        "pgwarden migrate apply -u postgresql://app@db.internal/app",
        "pgwarden migrate status --env staging",
    ),
)
@shared_options()
def migrate() -> None:
    """Versioned migrations generated from the spec, and the runner that applies them.

    The directory (--dir, default [tool.pgwarden] migrations) holds NNNN_name/
    {up,down}.sql + snapshot.toml and pgwarden.sum.
    """


_SHADOW = click.option(
    "--shadow-database-url",
    "shadow_url",
    metavar="URL",
    default=None,
    help="Server for the scratch database of the shadow check (default: "
    "$PGWARDEN_SHADOW_DATABASE_URL, then the embedded server). A fresh database is made "
    "on it and dropped afterwards.",
)


def _shadow_server(obj: Context, given: str | None) -> str:
    """The server the shadow check makes its scratch database on. Never the
    --database-url one: that may be production."""
    import os

    from pgwarden.apply.shadow import SHADOW_ENV
    from pgwarden.db import embedded_start, parse_url

    url = given or os.environ.get(SHADOW_ENV) or None
    if url is not None:
        parse_url(url)
        return url
    if obj._given("state_dir") is None:
        obj.require_project(
            "embedded server for the shadow check", "--shadow-database-url URL (or --no-check)"
        )
    return embedded_start(obj.state_dir)


def _shadow_namespace(obj: Context) -> str | None:
    schema = obj.pg_schema
    return None if schema == "public" else schema


@migrate.command(
    "new",
    epilog=examples(
        "pgwarden migrate new add_orders",
        "pgwarden migrate new drop_legacy --allow-destructive",
        "pgwarden migrate new init --shadow-database-url postgresql://postgres@localhost:5432/postgres",
    ),
)
@click.argument("name")
@click.option(
    "--allow-destructive",
    is_flag=True,
    help="Consent to drops and narrowing changes (data loss) in this migration.",
)
@click.option(
    "--no-check",
    is_flag=True,
    help="Write the migration without the shadow check (needs no database).",
)
@_SHADOW
@shared_options("schema", "dir", "pg_schema", "state_dir")
@pass_ctx
def new_cmd(
    obj: Context, name: str, allow_destructive: bool, no_check: bool, shadow_url: str | None
) -> None:
    """Plan from the latest snapshot to the --schema spec and write migration NNNN_NAME.

    Before writing, the shadow check proves it on a scratch database: the history
    is replayed, then the new migration goes up (and must equal the spec), down
    (and must equal the previous snapshot) and up again. A failed step is refused
    with the step and Postgres's error (exit 1), and nothing is written. Prints
    "no changes" and writes nothing when the spec equals the latest snapshot. The
    spec itself is proved on a server first (see `pgwarden validate`; --no-check or
    PGWARDEN_OFFLINE=1 skips that too).
    """
    _new(obj, name, allow_destructive=allow_destructive, no_check=no_check, shadow_url=shadow_url)


def _new(
    obj: Context, name: str, *, allow_destructive: bool, no_check: bool, shadow_url: str | None
) -> Path | None:
    """``migrate new``: plan, prove (unless ``no_check``), write; None: no changes."""
    from pgwarden.apply.generate import NoChanges, draft_migration
    from pgwarden.cli.proof import prove_spec
    from pgwarden.spec.load import load_schema

    directory = obj.migrations_dir
    target = load_schema(obj.schema_dir)
    prove_spec(obj, target, skip=no_check)
    draft = draft_migration(directory, name, target, allow_destructive=allow_destructive)
    for note in draft.notes:
        click.echo(f"note: {note}")
    if isinstance(draft, NoChanges):
        click.echo("no changes")
        return None
    if not no_check:
        from pgwarden.apply.shadow import ShadowError, prove

        server = _shadow_server(obj, shadow_url)
        history = draft.history
        try:
            prove(
                server,
                (*history, draft.migration()),
                first=len(history),
                namespace=_shadow_namespace(obj),
            )
        except ShadowError as exc:
            raise exc.with_fix(
                f"nothing was written. The planner made a migration that does not hold up: "
                f"please report it with the spec change; meanwhile write {draft.path.name} by "
                "hand, or pass --no-check to write this one for review"
            ) from None
    path = draft.write(click.echo)
    click.echo(f"wrote {path}" + ("" if no_check else " (shadow check passed: up, down, up)"))
    return path


@migrate.command(
    "dev",
    epilog=examples(
        "pgwarden migrate dev add_orders",
        "pgwarden migrate dev drop_legacy --allow-destructive",
        "pgwarden migrate dev add_index -u postgresql://app@localhost/app_dev",
    ),
)
@click.argument("name")
@click.option(
    "--allow-destructive",
    is_flag=True,
    help="Consent to drops and narrowing changes (data loss) in this migration.",
)
@click.option("--no-check", is_flag=True, help="Skip the shadow check.")
@_SHADOW
@shared_options("schema", *_RUN)
@pass_ctx
def dev_cmd(
    obj: Context, name: str, allow_destructive: bool, no_check: bool, shadow_url: str | None
) -> None:
    """`migrate new NAME` then `migrate apply` to the development database, in one step.

    The database is --database-url / --env / DATABASE_URL, else the embedded server.
    When the spec needs no migration, only the pending ones are applied.
    """
    _new(obj, name, allow_destructive=allow_destructive, no_check=no_check, shadow_url=shadow_url)
    runner = _runner(obj, "apply")
    with _closing(runner):
        done = runner.apply()
    if not done:
        click.echo("nothing to apply")


@migrate.command(
    "check",
    epilog=examples(
        "pgwarden migrate check",
        "pgwarden migrate check --shadow-database-url postgresql://postgres@localhost:5432/postgres",
        "PGWARDEN_SHADOW_DATABASE_URL=postgresql://ci@pg/postgres pgwarden migrate check",
    ),
)
@_SHADOW
@click.option(
    "--from",
    "start",
    type=int,
    default=None,
    metavar="N",
    help="Only put migrations N onwards through the cycle (the earlier ones are replayed).",
)
@shared_options("schema", "dir", "pg_schema", "state_dir", "quiet")
@pass_ctx
def check_cmd(obj: Context, shadow_url: str | None, start: int | None) -> None:
    """Prove every migration of the history on a scratch database (CI).

    In one fresh database on the shadow server, each migration in order goes up
    (and must equal its snapshot), down (and must equal the previous snapshot) and
    up again. Then the spec must need no further migration. Exit 1 naming the
    migration, the step and Postgres's error; the scratch database is dropped
    however the check ends.
    """
    from pgwarden.apply import files
    from pgwarden.apply.generate import latest_snapshot, render_migration
    from pgwarden.apply.shadow import ShadowError, prove
    from pgwarden.errors import PgwardenError, RefusedError
    from pgwarden.spec.load import load_schema

    directory = obj.migrations_dir
    migrations = files.load_migrations(directory)
    if not migrations:
        raise PgwardenError(
            f"no migrations in {directory}\n  fix: `pgwarden migrate new NAME` writes the first"
        )
    first = 0
    if start is not None:
        first = next((i for i, m in enumerate(migrations) if m.version >= start), len(migrations))
    try:
        prove(
            _shadow_server(obj, shadow_url),
            migrations,
            first=first,
            namespace=_shadow_namespace(obj),
            echo=None if obj.quiet else click.echo,
        )
    except ShadowError as exc:
        raise exc.with_fix(
            "a migration applied nowhere yet can be regenerated (delete it, `pgwarden migrate "
            "new`) or corrected by hand (then `pgwarden migrate hash`); an applied one is "
            "fixed by a new migration"
        ) from None
    target = load_schema(obj.schema_dir)
    pending = render_migration(
        latest_snapshot(migrations, target.name), target, allow_destructive=True
    )
    if pending is not None:
        raise RefusedError(
            f"{obj.schema_dir} has changes no migration holds (the latest is "
            f"{migrations[-1].name})\n  fix: `pgwarden migrate new NAME`"
        )
    click.echo(
        f"{len(migrations)} migration(s) hold up on a shadow database; the spec needs no other"
    )


@migrate.command(
    "apply",
    epilog=examples(
        "pgwarden migrate apply --batch-time 20 --batch-size 5000",
        "pgwarden migrate apply --dry-run -u postgresql://app@db.internal/app",
        "pgwarden migrate apply --sql --to 3 --env staging > review.sql",
    ),
)
@click.option("--to", "to", type=int, default=None, help="Stop after migration number N.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="List the pending steps and run the next migration's preflight; change nothing.",
)
@_SQL
@_batch
@_JSON
@shared_options(*_RUN)
@pass_ctx
def apply_cmd(
    obj: Context,
    to: int | None,
    dry_run: bool,
    as_sql: bool,
    batch_size: int | None,
    batch_time: int | None,
    as_json: bool,
) -> None:
    """Apply pending migrations in order (resumes a half-applied one first).

    On a terminal, a step that runs for more than a second shows step k/n and its
    elapsed time, and a CREATE INDEX CONCURRENTLY its phase and blocks (--quiet:
    nothing). --sql prints the SQL this would run, with its transactions, and runs
    nothing. A backfill runs after the DDL committed, in batches each its own
    transaction (resumable), sized so a batch takes about --batch-time ms (at most
    --batch-size rows), with rows done, rate and ETA.
    """
    if as_sql:
        from pgwarden.apply.review import loops, pending_up, render

        review = _runner(obj, None, batch_size=batch_size, batch_time=batch_time)
        pending = pending_up(review, to)
        click.echo(render(pending, loops(review, pending)), nl=False)
        return
    runner = _runner(obj, "apply", as_json=as_json, batch_size=batch_size, batch_time=batch_time)
    with _closing(runner):
        done = runner.dry_run(to) if dry_run else runner.apply(to)
    if as_json:
        key = "pending" if dry_run else "applied"
        _json({key: [{"version": m.version, "name": m.name} for m in done], "dry_run": dry_run})
    elif not done:
        click.echo("nothing to apply")


@migrate.command(
    "down",
    epilog=examples(
        "pgwarden migrate down",
        "pgwarden migrate down --to 2",
        "pgwarden migrate down --sql --to 2 --env staging",
    ),
)
@click.option("--to", "to", type=int, default=None, help="Revert every migration above N.")
@_SQL
@_batch
@shared_options(*_RUN)
@pass_ctx
def down_cmd(
    obj: Context, to: int | None, as_sql: bool, batch_size: int | None, batch_time: int | None
) -> None:
    """Revert the latest migration (or every one above --to N) with its down.sql.

    --sql prints the SQL this would run, with its transactions, and runs nothing.
    """
    if as_sql:
        from pgwarden.apply.review import loops, pending_down, render

        review = _runner(obj, None, batch_size=batch_size, batch_time=batch_time)
        pending = pending_down(review, to)
        click.echo(render(pending, loops(review, pending)), nl=False)
        return
    runner = _runner(obj, "down", batch_size=batch_size, batch_time=batch_time)
    with _closing(runner):
        done = runner.down(to)
    if not done:
        click.echo("nothing to revert")


@migrate.command(
    "status",
    epilog=examples(
        "pgwarden migrate status",
        "pgwarden migrate status --env production",
        "pgwarden migrate status -u postgresql://app@db.internal/app --dir db/migrations",
    ),
)
@_JSON
@shared_options(*_RUN)
@pass_ctx
def status_cmd(obj: Context, as_json: bool) -> None:
    """Each migration and whether this database has it (exit 1 on tamper or a gap)."""
    import dataclasses

    from pgwarden.errors import RefusedError

    states = _runner(obj, None, as_json=as_json).status()
    if as_json:
        _json({"migrations": [dataclasses.asdict(s) for s in states]})
    elif not states:
        click.echo(f"no migrations in {obj.migrations_dir}")
    for state in [] if as_json else states:
        click.echo(state.line())
    if any(s.state in ("changed", "missing") for s in states):
        raise RefusedError("the history does not match the migrations directory (see above)")


@migrate.command(
    "verify",
    epilog=examples(
        "pgwarden migrate verify",
        "pgwarden migrate verify --env staging",
        "pgwarden migrate verify -u postgresql://app@db.internal/app --pg-schema app",
    ),
)
@_JSON
@shared_options(*DATABASE, "schema")
@pass_ctx
def verify_cmd(obj: Context, as_json: bool) -> None:
    """Compare the live database with the spec; exit 1 with the difference on drift."""
    from dataclasses import replace

    from pgwarden.apply.runner import database_state
    from pgwarden.db import connect
    from pgwarden.errors import RefusedError
    from pgwarden.spec.load import load_schema

    schema_dir = obj.schema_dir
    spec = load_schema(schema_dir)
    pg_schema = obj.pg_schema
    if spec.name != pg_schema and pg_schema != "public":
        spec = replace(spec, name=pg_schema)
    with connect(obj.url()) as conn:
        drift, unmanaged = database_state(conn, spec)
    if as_json:
        _json(
            {
                "spec": str(schema_dir),
                "drift": bool(drift),
                "differences": drift,
                "unmanaged": unmanaged,
            }
        )
        if drift:
            raise click.exceptions.Exit(1)
        return
    if unmanaged:
        # not drift: listed so nothing is ignored silently; [schema] ignore acknowledges them
        click.echo(
            f"not governed by {schema_dir} ({len(unmanaged)}; acknowledge with "
            "[schema] ignore = [...]):\n  " + "\n  ".join(unmanaged),
            err=True,
        )
    if drift:
        raise RefusedError(
            f"the database has drifted from {schema_dir} ({len(drift)} difference"
            f"{'s' if len(drift) != 1 else ''}):\n  "
            + "\n  ".join(drift)
            + "\n  fix: write a migration for the spec change (`pgwarden migrate new`), or "
            "undo the manual change in the database"
        )
    click.echo(f"no drift: the database matches {schema_dir}")


@migrate.command(
    "baseline",
    epilog=examples(
        "pgwarden migrate baseline",
        "pgwarden migrate baseline --to 1 -u postgresql://app@db.internal/app",
    ),
)
@click.option(
    "--to", "to", type=int, default=None, help="The migration the database is at (default latest)."
)
@shared_options(*_RUN)
@pass_ctx
def baseline_cmd(obj: Context, to: int | None) -> None:
    """Mark an existing database (e.g. made by `prisma db push`) as at migration N."""
    runner = _runner(obj, "baseline")
    with _closing(runner):
        runner.baseline(to)


@migrate.command(
    "resolve",
    epilog=examples(
        "pgwarden migrate resolve --applied 3",
        "pgwarden migrate resolve --rolled-back 3 --env production",
        "PGWARDEN_ACTOR=alice pgwarden migrate resolve --applied 3 -u postgresql://app@db/app",
    ),
)
@click.option(
    "--applied",
    "applied",
    type=int,
    default=None,
    metavar="N",
    help="The database now matches migration N's snapshot: record N as applied.",
)
@click.option(
    "--rolled-back",
    "rolled_back",
    type=int,
    default=None,
    metavar="N",
    help="The database now matches the snapshot before N: forget N (apply runs it again).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Only for a migration without the snapshot.toml to check against: skip the check.",
)
@shared_options(*_RUN)
@pass_ctx
def resolve_cmd(obj: Context, applied: int | None, rolled_back: int | None, force: bool) -> None:
    """Mark a half-applied or half-reverted migration done after a hand repair.

    When `apply` or `down` stopped in the middle of a migration and rerunning it
    keeps failing, repair the database by hand (psql), then say where it is. The
    database must match that migration's snapshot (--applied) or the previous one
    (--rolled-back): otherwise the difference is printed and nothing is recorded.
    Who resolved what and when is kept in pgwarden.migration_resolutions
    (current_user, and $PGWARDEN_ACTOR or the OS user).
    """
    from pgwarden.errors import PgwardenError

    if (applied is None) == (rolled_back is None):
        raise PgwardenError(
            "give exactly one of --applied N or --rolled-back N\n"
            "  fix: e.g. `pgwarden migrate resolve --applied 3`"
        )
    runner = _runner(obj, "resolve")
    with _closing(runner):
        if applied is not None:
            runner.resolve(applied, "applied", force=force)
        else:
            assert rolled_back is not None
            runner.resolve(rolled_back, "rolled_back", force=force)


@migrate.command(
    "hash",
    epilog=examples("pgwarden migrate hash", "pgwarden migrate hash --dir db/migrations"),
)
@shared_options("dir")
@pass_ctx
def hash_cmd(obj: Context) -> None:
    """Rewrite pgwarden.sum after a reviewed hand edit of a migration applied nowhere yet."""
    from pgwarden.apply import files

    directory = obj.migrations_dir
    files.load_migrations(directory, check_sum=False)  # still refuses merges and bad files
    click.echo(f"wrote {files.write_sum(directory)}")


@migrate.command(
    "encrypt",
    epilog=examples(
        "pgwarden migrate encrypt --dry-run --env staging",
        "pgwarden migrate encrypt --column Account.access_token --batch-size 500",
        "PGWARDEN_ENCRYPTION_KEYS=k2:...,k1:... pgwarden migrate encrypt --rotate",
    ),
)
@click.option(
    "--column",
    "columns",
    multiple=True,
    metavar="TABLE.COLUMN",
    help='Only this encrypted column (repeatable); default: every secret = "encrypted" column.',
)
@click.option(
    "--batch-size", type=int, default=1000, show_default=True, help="Rows per transaction."
)
@click.option("--rotate", is_flag=True, help="Also reseal values sealed by an older key.")
@click.option(
    "--keys-env",
    default="PGWARDEN_ENCRYPTION_KEYS",
    show_default=True,
    help="Environment variable with the keys: id:base64key[,id:base64key...] (first seals).",
)
@click.option("--dry-run", is_flag=True, help="Only count the rows still to seal.")
@shared_options(*DATABASE, "schema")
@pass_ctx
def encrypt_cmd(
    obj: Context,
    columns: tuple[str, ...],
    batch_size: int,
    rotate: bool,
    keys_env: str,
    dry_run: bool,
) -> None:
    """Seal the stored values of secret = "encrypted" columns, in batches.

    The data step for columns that became encrypted (or, with --rotate, whose key
    changed): each batch is read FOR UPDATE, sealed with AES-256-GCM under the first
    key of --keys-env and written back in one transaction, so the command can be
    interrupted and run again. Run it after deploying the code that reads envelopes.
    """
    from pgwarden.apply.encrypt import EncryptStep, targets
    from pgwarden.crypto import CryptoError, EnvKeyProvider, Sealer
    from pgwarden.db import connect
    from pgwarden.errors import PgwardenError
    from pgwarden.spec.load import load_schema

    spec = load_schema(obj.schema_dir)
    chosen = targets(spec, columns)
    if not chosen:
        click.echo(f'no column of {obj.schema_dir} is marked secret = "encrypted"')
        return
    sealer = Sealer(EnvKeyProvider(keys_env))
    try:
        if not dry_run:
            sealer.keys.current()  # a missing or malformed key fails before any row
        with connect(obj.url()) as conn:
            for target in chosen:
                step = EncryptStep(target, sealer, batch_size=batch_size, rotate=rotate)
                if dry_run:
                    click.echo(f"{target.context}: {step.pending(conn)} row(s) to seal")
                    continue
                context = target.context

                def report(done: int, total: int | None, context: str = context) -> None:
                    click.echo(f"{context}: {done}/{total} sealed", err=True)

                sealed = step.run(conn, report)
                click.echo(f"{context}: {sealed} row(s) sealed")
    except CryptoError as exc:
        raise PgwardenError(str(exc)) from None
