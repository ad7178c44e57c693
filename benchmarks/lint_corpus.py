"""A generated, real-shaped migration history (written here, copied from no project).

It has the shape of the Prisma, Diesel and hand-written histories pgwarden was
measured on: tables created with quoted identifiers and many columns, unique and
plain indexes, foreign keys added by ALTER TABLE, enums grown with ADD VALUE and
swapped Prisma-style, columns added, renamed and dropped, seed INSERTs, backfill
UPDATEs, views, PL/pgSQL functions and triggers, DO blocks, comments and grants.
Deterministic for a seed. Used by ``benchmarks/lint.py`` (throughput) and by
``tests/checks/test_corpus.py`` (the same findings in every layout).
"""

from __future__ import annotations

import random

_TYPES = [
    "TEXT",
    "TEXT NOT NULL",
    "INTEGER",
    "INTEGER NOT NULL DEFAULT 0",
    "BIGINT",
    "BOOLEAN NOT NULL DEFAULT false",
    "TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP",
    "TIMESTAMP(3)",
    "DOUBLE PRECISION",
    "JSONB",
    "VARCHAR(255)",
    "DECIMAL(65,30)",
    "UUID",
]
_WORDS = [
    "account", "invoice", "project", "member", "order", "product", "comment", "session",
    "token", "team", "workspace", "payment", "address", "event", "report", "task", "note",
    "file", "tag", "plan",
]  # fmt: skip


def _ident(words: list[str]) -> str:
    return "".join(w.capitalize() for w in words)


class _History:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.tables: list[tuple[str, list[str]]] = []
        self.enums: dict[str, list[str]] = {}
        self.n = 0

    def name(self) -> str:
        self.n += 1
        return f"{_ident(self.rng.sample(_WORDS, 2))}{self.n}"

    def create_table(self) -> list[str]:
        table = self.name()
        cols = ["id"] + [f"{w}{i}" for i, w in enumerate(self.rng.sample(_WORDS, 6))]
        lines = ['    "id" TEXT NOT NULL']
        for col in cols[1:]:
            lines.append(f'    "{col}" {self.rng.choice(_TYPES)}')
        if self.enums and self.rng.random() < 0.4:
            enum = self.rng.choice(sorted(self.enums))
            cols.append("kind")
            lines.append(f'    "kind" "{enum}" NOT NULL DEFAULT \'{self.enums[enum][0]}\'')
        lines.append(f'    CONSTRAINT "{table}_pkey" PRIMARY KEY ("id")')
        self.tables.append((table, cols))
        out = [f'CREATE TABLE "{table}" (\n' + ",\n".join(lines) + "\n)"]
        out.append(f'CREATE UNIQUE INDEX "{table}_{cols[1]}_key" ON "{table}"("{cols[1]}")')
        if len(self.tables) > 1:
            other, _ = self.rng.choice(self.tables[:-1])
            out.append(
                f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_{cols[2]}_fkey" FOREIGN KEY '
                f'("{cols[2]}") REFERENCES "{other}"("id") ON DELETE CASCADE ON UPDATE CASCADE'
            )
        return out

    def table(self) -> tuple[str, list[str]]:
        return self.rng.choice(self.tables)

    def step(self) -> list[str]:
        """One migration's statements."""
        if not self.tables or self.rng.random() < 0.25:
            return self.create_table()
        table, cols = self.table()
        col = self.rng.choice(cols[1:])
        choice = self.rng.randrange(17)
        if choice == 0:
            return [f'CREATE INDEX "{table}_{col}_idx" ON "{table}"("{col}")']
        if choice == 1:
            new = f"extra{self.n}"
            self.n += 1
            cols.append(new)
            return [f'ALTER TABLE "{table}" ADD COLUMN "{new}" {self.rng.choice(_TYPES)}']
        if choice == 2:
            cols.remove(col)
            return [f'ALTER TABLE "{table}" DROP COLUMN "{col}"']
        if choice == 3:
            return [f'ALTER TABLE "{table}" ALTER COLUMN "{col}" SET NOT NULL']
        if choice == 4:
            return [f'ALTER TABLE "{table}" ALTER COLUMN "{col}" TYPE TEXT']
        if choice == 5:
            name = f"Kind{self.n}"
            self.n += 1
            self.enums[name] = ["A", "B", "C"]
            return [f"CREATE TYPE \"{name}\" AS ENUM ('A', 'B', 'C')"]
        if choice == 6 and self.enums:
            name = self.rng.choice(sorted(self.enums))
            value = f"V{self.n}"
            self.n += 1
            self.enums[name].append(value)
            return [f"ALTER TYPE \"{name}\" ADD VALUE '{value}'"]
        if choice == 7:
            values = ", ".join(
                f"('{self.rng.randrange(10**6)}', 'x{i}')" for i in range(self.rng.randrange(1, 8))
            )
            return [f'INSERT INTO "{table}" ("id", "{col}") VALUES {values}']
        if choice == 8:
            return [
                f'UPDATE "{table}" SET "{col}" = NULL WHERE "id" IN '
                f'(SELECT "id" FROM "{table}" LIMIT 100)'
            ]
        if choice == 9:
            return [f'CREATE OR REPLACE VIEW "{table}_view" AS SELECT "id", "{col}" FROM "{table}"']
        if choice == 10:
            fn = f"touch_{self.n}"
            self.n += 1
            return [
                f'CREATE OR REPLACE FUNCTION "{fn}"() RETURNS trigger LANGUAGE plpgsql AS $$\n'
                f'BEGIN\n  NEW."{col}" = NEW."{col}";\n  RETURN NEW;\nEND;\n$$',
                f'CREATE TRIGGER "{fn}_trg" BEFORE UPDATE ON "{table}" '
                f'FOR EACH ROW EXECUTE FUNCTION "{fn}"()',
            ]
        if choice == 11:
            return [
                "DO $$\nBEGIN\n"
                f"  IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = '{table}_x') THEN\n"
                f'    CREATE INDEX "{table}_x" ON "{table}"("{col}");\n'
                "  END IF;\nEND\n$$"
            ]
        if choice == 12:
            return [f"COMMENT ON TABLE \"{table}\" IS 'table {self.n}'"]
        if choice == 13:
            new = f"{col}_renamed"
            cols[cols.index(col)] = new
            return [f'ALTER TABLE "{table}" RENAME COLUMN "{col}" TO "{new}"']
        if choice == 14:
            return [
                f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_{col}_chk" '
                f'CHECK ("{col}" IS NOT NULL) NOT VALID',
            ]
        if choice == 15:
            return [f'GRANT SELECT ON "{table}" TO PUBLIC']
        return [f'DROP INDEX IF EXISTS "{table}_{col}_idx"']


def history(files: int, seed: int = 7) -> list[tuple[str, str]]:
    """``files`` migrations ``(name, sql)``, each a few statements, in apply order."""
    h = _History(seed)
    out = []
    for i in range(files):
        stmts = h.step()
        while h.rng.random() < 0.3:
            stmts += h.step()
        out.append((f"m{i:04d}", ";\n".join(stmts) + ";"))
    return out


def statements(migrations: list[tuple[str, str]]) -> int:
    """How many statements Postgres's parser counts."""
    from pglast.parser import split

    return sum(len(split(sql)) for _, sql in migrations)
