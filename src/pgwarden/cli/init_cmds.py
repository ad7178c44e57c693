"""``pgwarden init``: start a project -- a spec, ``[tool.pgwarden]``, ``.gitignore``.

Writes ``schema/<name>.toml`` (a commented starter, or the schema of an existing
database / Prisma file), adds ``[tool.pgwarden]`` to ``pyproject.toml`` (created,
or extended with tomlkit so every existing byte and comment stays), and ignores
``.pgwarden/``. Refuses to overwrite anything: a second run changes nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from pgwarden.cli.context import Context, examples, pass_ctx, shared_options
from pgwarden.cli.group import cli
from pgwarden.cli.project import PYPROJECT, read_pyproject
from pgwarden.errors import PgwardenError, RefusedError

STARTER = """\
# pgwarden spec: every *.toml file in this directory merges into one schema.
# The format is described in pgwarden's docs/spec.md.
# After a change: `pgwarden validate`, `pgwarden migrate new <what_changed>`,
# `pgwarden migrate apply` (no database needed: pgwarden starts one under .pgwarden/).

[enums.Role]
values = ["MEMBER", "ADMIN"]

[tables.Account]
comment = "A person who signs in"

[tables.Account.columns]
id        = { type = "bigint", identity = "always", primary_key = true }
email     = { type = "text", unique = true }
role      = { type = "Role", default = "MEMBER" }
createdAt = { type = "timestamptz", default_sql = "now()" }

[tables.Note]
comment = "What an account writes"
owner = "accountId"                  # generated services scope every call by the owner

[tables.Note.columns]
id        = { type = "bigint", identity = "always", primary_key = true }
accountId = { type = "bigint", references = { table = "Account", on_delete = "cascade" } }
body      = { type = "text" }
updatedAt = { type = "timestamptz", default_sql = "now()", maintained = "on_update" }

[[tables.Note.indexes]]
columns = ["accountId"]              # every foreign key wants an index (lint checks)
"""

GITIGNORE_LINES = (".pgwarden/",)


def package_name(directory: Path) -> str:
    """A Python package name for the generated accessors of the project in ``directory``."""
    base = re.sub(r"[^0-9a-zA-Z]+", "_", directory.resolve().name).strip("_").lower() or "app"
    if base[0].isdigit():
        base = f"app_{base}"
    return f"{base}_db"


def _tool_table(package: str) -> str:
    return f"""\
[tool.pgwarden]
schema = "schema"                   # the spec directory (paths are relative to this file)
migrations = "migrations"
pg_schema = "public"                # the Postgres namespace pgwarden governs

[tool.pgwarden.generate]
output = "generated/{package}"      # `pgwarden generate` writes typed accessors here
package = "{package}"

[tool.pgwarden.env.dev]
url = "env:DATABASE_URL"            # `--env dev`: names a variable, never a stored password
"""


def _extend_pyproject(path: Path, package: str) -> str:
    """``path``'s text with ``[tool.pgwarden]`` added; the rest kept byte for byte.

    The table goes at the end, so no existing line moves; only when TOML forbids that
    (``tool`` is an inline table) does tomlkit place it inside, keeping the comments.
    """
    import tomllib

    if not path.exists():
        return _tool_table(package)
    data = read_pyproject(path)  # a clear error for broken TOML, before anything else
    if "pgwarden" in data.get("tool", {}):
        raise RefusedError(
            f"{path} already has [tool.pgwarden]: this is a pgwarden project\n"
            "  fix: nothing to do; edit [tool.pgwarden] by hand to change it"
        )
    text = path.read_text(encoding="utf-8")
    glue = "" if not text or text.endswith("\n\n") else "\n" if text.endswith("\n") else "\n\n"
    appended = text + glue + _tool_table(package)
    try:
        tomllib.loads(appended)
        return appended
    except tomllib.TOMLDecodeError:
        import tomlkit

        doc = tomlkit.parse(text)
        table = tomlkit.inline_table()  # an inline table holds only inline tables
        table.update(tomllib.loads(_tool_table(package))["tool"]["pgwarden"])
        doc["tool"]["pgwarden"] = table
        result: str = tomlkit.dumps(doc)
        return result


def _ignore_text(path: Path) -> str | None:
    """The new ``.gitignore`` text, or None when it already ignores what we need."""
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    lines = {line.strip() for line in current.splitlines()}
    missing = [entry for entry in GITIGNORE_LINES if entry not in lines and entry[:-1] not in lines]
    if not missing:
        return None
    sep = "" if not current or current.endswith("\n") else "\n"
    return current + sep + "# pgwarden's embedded PostgreSQL server\n" + "\n".join(missing) + "\n"


def _spec_from_database(url: str, pg_schema: str) -> str:
    from pgwarden.db import connect, mask_dsn
    from pgwarden.errors import DatabaseError
    from pgwarden.introspect import inspect_schema
    from pgwarden.spec.dump import dump_schema

    with connect(url) as conn:
        row = conn.execute(
            "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = %s", (pg_schema,)
        ).fetchone()
        if row is None:
            raise DatabaseError(
                f"schema {pg_schema!r} does not exist in {mask_dsn(url)}\n"
                "  fix: pass the namespace to read with --pg-schema"
            )
        return dump_schema(inspect_schema(conn, pg_schema), readable=True)


def _spec_from_prisma(path: Path) -> str:
    from pgwarden.importers.prisma import import_prisma
    from pgwarden.spec.dump import dump_schema

    result = import_prisma(path)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    return dump_schema(result.schema)


@cli.command(
    epilog=examples(
        "pgwarden init",
        'pgwarden init --from-database "$DATABASE_URL" --name app',
        "pgwarden init --from-prisma prisma/schema.prisma",
    ),
)
@click.argument(
    "directory", type=click.Path(file_okay=False, path_type=Path), default=Path(), required=False
)
@click.option(
    "--from-database",
    "from_database",
    metavar="URL",
    default=None,
    help="Start from this live database's schema (read like `pgwarden inspect`).",
)
@click.option(
    "--from-prisma",
    "from_prisma",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Start from a Prisma schema (converted like `pgwarden import prisma`).",
)
@click.option(
    "--name",
    default=None,
    help="The spec file's name: schema/NAME.toml (default: app, or the Prisma file's stem).",
)
@shared_options("pg_schema")
@pass_ctx
def init(
    ctx: Context,
    directory: Path,
    from_database: str | None,
    from_prisma: Path | None,
    name: str | None,
) -> None:
    """Start a pgwarden project in DIRECTORY (default: here).

    Writes schema/NAME.toml (a commented starter spec, or the schema of
    --from-database / --from-prisma), adds [tool.pgwarden] to pyproject.toml
    (creating it, or extending it without touching what is there), and adds
    .pgwarden/ to .gitignore. Refuses to overwrite an existing spec or
    [tool.pgwarden]; nothing is written unless everything can be.
    """
    if from_database and from_prisma:
        raise PgwardenError(
            "--from-database and --from-prisma both given\n  fix: start from one of them"
        )
    if from_prisma is not None and not from_prisma.is_file():
        raise PgwardenError(f"{from_prisma}: no such file\n  fix: pass your schema.prisma")
    spec_name = name or (from_prisma.stem if from_prisma else "app")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", spec_name):
        raise PgwardenError(f"--name {spec_name!r}: not a file name\n  fix: --name app")
    directory.mkdir(parents=True, exist_ok=True)
    schema_dir = directory / "schema"
    existing = sorted(schema_dir.glob("*.toml")) if schema_dir.is_dir() else []
    if existing:
        raise RefusedError(
            f"{schema_dir} already holds a spec ({existing[0].name}); init overwrites nothing\n"
            "  fix: this directory is set up; use `pgwarden validate`, or init elsewhere"
        )
    pyproject = directory / PYPROJECT
    package = package_name(directory)
    new_pyproject = _extend_pyproject(pyproject, package)  # refuses before any write
    if from_database is not None:
        spec = _spec_from_database(from_database, ctx.pg_schema)
    elif from_prisma is not None:
        spec = _spec_from_prisma(from_prisma)
    else:
        spec = STARTER
    gitignore = directory / ".gitignore"
    new_ignore = _ignore_text(gitignore)
    had = {path: path.exists() for path in (pyproject, gitignore)}

    schema_dir.mkdir(exist_ok=True)
    spec_path = schema_dir / f"{spec_name}.toml"
    spec_path.write_text(spec, encoding="utf-8")
    click.echo(f"wrote {spec_path}")
    pyproject.write_text(new_pyproject, encoding="utf-8")
    click.echo(
        f"{'extended' if had[pyproject] else 'wrote'} {pyproject} "
        f"([tool.pgwarden]; generate output generated/{package})"
    )
    if new_ignore is not None:
        gitignore.write_text(new_ignore, encoding="utf-8")
        click.echo(f"{'extended' if had[gitignore] else 'wrote'} {gitignore}")
    if from_database:
        then = "`pgwarden migrate baseline` (that database already has the schema)"
    else:
        then = "`pgwarden migrate apply`"
    click.echo(f"next: `pgwarden validate`, `pgwarden migrate new initial`, then {then}")
