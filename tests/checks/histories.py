"""Write one logical migration history in any tool's layout (fixtures made here, in tmp dirs).

Every layout puts a one-line header comment first (dbmate's ``-- migrate:up``), so a
statement is on the same line of its file whatever the layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

LAYOUTS = ("pgwarden", "prisma", "diesel", "golang-migrate", "flyway", "dbmate", "sqitch", "plain")


def write(root: Path, layout: str, migrations: Sequence[tuple[str, str]]) -> list[Path]:
    """Lay ``(name, sql)`` migrations out as ``layout`` under ``root``; the up files in
    apply order."""
    root.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    plan = ["%syntax-version=1.0.0", "%project=fixture", ""]
    for i, (name, sql) in enumerate(migrations, start=1):
        body = f"-- {name}\n{sql}\n"
        if layout == "pgwarden":
            path = root / f"{i:04d}_{name}" / "up.sql"
            path.parent.mkdir()
            (path.parent / "down.sql").write_text("DROP TABLE everything;\n")
        elif layout == "prisma":
            (root / "migration_lock.toml").write_text('provider = "postgresql"\n')
            path = root / f"{20240101000000 + i}_{name}" / "migration.sql"
            path.parent.mkdir()
        elif layout == "diesel":
            path = root / f"2024-01-01-{i:06d}_{name}" / "up.sql"
            path.parent.mkdir()
            (path.parent / "down.sql").write_text("DROP TABLE everything;\n")
        elif layout == "golang-migrate":
            path = root / f"{i}_{name}.up.sql"  # unpadded: 10 sorts after 9
            (root / f"{i}_{name}.down.sql").write_text("DROP TABLE everything;\n")
        elif layout == "flyway":
            path = root / f"V{i}__{name}.sql"
        elif layout == "dbmate":
            path = root / f"{20240101000000 + i}_{name}.sql"
            body = f"-- migrate:up\n{sql}\n\n-- migrate:down\nDROP TABLE everything;\n"
        elif layout == "sqitch":
            # plan order, not file name order: prefix names so sorting would scramble them
            change = f"{chr(ord('z') - i % 26)}{i}_{name}"
            path = root / "deploy" / f"{change}.sql"
            path.parent.mkdir(exist_ok=True)
            (root / "revert").mkdir(exist_ok=True)
            (root / "revert" / f"{change}.sql").write_text("DROP TABLE everything;\n")
            plan.append(f"{change} 2024-01-01T00:00:00Z Dev <dev@example.com> # {name}")
        elif layout == "plain":
            path = root / f"{i:03d}_{name}.sql"
        else:
            raise ValueError(layout)
        path.write_text(body)
        files.append(path)
    if layout == "sqitch":
        (root / "sqitch.plan").write_text("\n".join(plan) + "\n")
    return files
