"""The Prisma importer on model objects: every construct, every error with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgwarden.importers.prisma import ImportResult, PrismaError, import_prisma, import_prisma_text
from pgwarden.importers.prisma_ast import Call, Name, Str, parse
from pgwarden.spec.model import Column, ColumnType, ForeignKey, Index, IndexElement, Schema, Table

HERE = Path(__file__).parent
CONSTRUCTS = HERE / "fixtures" / "constructs.prisma"
SAASFLY = HERE.parent / "fixtures" / "saasfly_before" / "schema.prisma"

DATASOURCE = 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n'


def table(schema: Schema, name: str) -> Table:
    found = schema.table(name)
    assert found is not None, f"no table {name}: {[t.name for t in schema.tables]}"
    return found


def column(schema: Schema, tname: str, cname: str) -> Column:
    found = table(schema, tname).column(cname)
    assert found is not None, f"no column {tname}.{cname}"
    return found


def index(t: Table, name: str) -> Index:
    for i in t.indexes:
        if i.name == name:
            return i
    raise AssertionError(f"no index {name}: {[i.name for i in t.indexes]}")


def fk(t: Table, name: str) -> ForeignKey:
    for f in t.foreign_keys:
        if f.name == name:
            return f
    raise AssertionError(f"no foreign key {name}: {[f.name for f in t.foreign_keys]}")


@pytest.fixture(scope="module")
def constructs() -> ImportResult:
    return import_prisma(CONSTRUCTS)


# --------------------------------------------------------------------------- parser


def test_parser_positions_attributes_and_arguments() -> None:
    doc = parse(
        "/// a model\nmodel A {\n  id Int @id @default(autoincrement()) /// the key\n"
        '  @@index([id(sort: Desc)], map: "x", type: Hash)\n}\n',
        "a.prisma",
    )
    (block,) = doc.blocks
    assert (block.kind, block.name, block.line, block.doc) == ("model", "A", 2, "a model")
    (field,) = block.fields
    assert (field.name, field.line, field.doc) == ("id", 3, "the key")
    default = field.attribute("default")
    assert default is not None and isinstance(default.positional()[0], Call)
    (idx,) = block.attributes
    assert idx.block and idx.line == 4
    assert idx.named("map") == Str("x", 4)
    assert idx.named("type") == Name("Hash", 4)


def test_parser_keeps_plain_comments_for_warnings() -> None:
    doc = parse("// hello\nmodel A {\n  id Int @id\n  // @@unique([id])\n}\n")
    assert [(c.line, c.text) for c in doc.comments] == [(1, "hello"), (4, "@@unique([id])")]


@pytest.mark.parametrize(
    ("source", "line", "message"),
    [
        ("model A {\n  id Int @id\n", 3, "expected a field name, found the end of the file"),
        ("model A {\n  id Int @id(\n}\n", 3, "expected a value"),
        ("model A {\n  id Int @id @@map\n}\n", 2, "expected the end of the line"),
        ("modle A {\n}\n", 1, "expected a block"),
        ('model A {\n  id String @default("x\n}\n', 2, "unterminated string"),
        ("model A {\n  id Int[]?\n}\n", 2, "a list cannot be optional"),
        ("model A {\n  id Int # x\n}\n", 2, "unexpected character '#'"),
    ],
)
def test_syntax_errors_name_file_and_line(source: str, line: int, message: str) -> None:
    with pytest.raises(PrismaError) as err:
        import_prisma_text(source, "bad.prisma")
    (problem,) = err.value.problems
    assert (problem.file, problem.line) == ("bad.prisma", line)
    assert message in problem.message
    assert f"bad.prisma:{line}:" in str(err.value)


# --------------------------------------------------------------------------- semantic errors


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("model A {\n  id Int @id @primary\n}\n", 6, "unknown attribute @primary"),
        ("model A {\n  id Int @id\n  @@weird([id])\n}\n", 7, "unknown attribute @@weird"),
        (
            "model A {\n  id Int @id\n  bId Int\n"
            "  b Bee @relation(fields: [bId], references: [id])\n}\n",
            8,
            "relation to a missing model 'Bee'",
        ),
        ("model A {\n  id String @id @db.Varchar(3)\n}\n", 6, "unknown native type @db.Varchar"),
        ("model A {\n  id Int @id @db.Text\n}\n", 6, "@db.Text does not apply to Int"),
        (
            'model A {\n  id Int @id\n  c Unsupported("geometry(Point, 4326)")\n}\n',
            7,
            'Unsupported("geometry(Point, 4326)")',
        ),
        ("model A {\n  id Int @id\n  m String @db.Money\n}\n", 7, "does not apply to String"),
        (
            'datasource db {\n  provider = "postgresql"\n  url = env("U")\n  schemas = ["a"]\n}\n'
            'model A {\n  id Int @id\n  @@schema("b")\n}\n',
            12,
            "not in the datasource's schemas",
        ),
        ("model A {\n  id String @id @default(autoincrement())\n}\n", 6, "autoincrement()"),
        ("model A {\n  id Int @id\n  @@index([nope])\n}\n", 7, "not a field of the model"),
        ("model A {\n  id Int @id\n  bs B[]\n}\nmodel B {\n  id Int @id\n}\n", 7, "no opposite"),
        ("enum E {\n  X\n}\nmodel A {\n  id Int @id\n  e E @default(Y)\n}\n", 10, "not a value"),
        (
            "model A {\n  id Int @id\n  bId Int\n"
            "  b B @relation(fields: [bId], references: [id], onDelete: Explode)\n}\n"
            "model B {\n  id Int @id\n  as A[]\n}\n",
            8,
            "unknown referential action",
        ),
        ("model A {\n  id Int @id\n}\nmodel A {\n  id Int @id\n}\n", 8, "declared twice"),
        ('model A {\n  id Int @id @map(nam: "x")\n}\n', 6, "@map: unknown argument nam:"),
        (
            "model A {\n  id Int @id\n  bId Int\n"
            "  b B @relation(fields: [bId], references: [id], onDelet: Cascade)\n}\n"
            "model B {\n  id Int @id\n  as A[]\n}\n",
            8,
            "@relation: unknown argument onDelet:",
        ),
        ("model A {\n  id Int @id\n  @@index([id], kind: Hash)\n}\n", 7, "unknown argument kind:"),
    ],
)
def test_semantic_errors_name_file_and_line(body: str, line: int, message: str) -> None:
    with pytest.raises(PrismaError) as err:
        import_prisma_text(DATASOURCE + body, "s.prisma")
    found = [p for p in err.value.problems if message in p.message]
    assert found, err.value
    assert found[0].line == line and found[0].file == "s.prisma"
    assert f"s.prisma:{line}:" in str(err.value)


def test_all_problems_are_reported_at_once() -> None:
    body = "model A {\n  id Int @id @nope\n  b Missing\n}\n"
    with pytest.raises(PrismaError) as err:
        import_prisma_text(DATASOURCE + body, "s.prisma")
    assert [p.line for p in err.value.problems] == [6, 7]


def test_non_postgres_provider_is_an_error() -> None:
    with pytest.raises(PrismaError, match="pgwarden governs PostgreSQL only"):
        import_prisma_text('datasource db {\n  provider = "mysql"\n  url = "x"\n}\n')


def test_mysql_fulltext_index_is_an_error() -> None:
    with pytest.raises(PrismaError, match="@@fulltext"):
        import_prisma_text(
            DATASOURCE + "model A {\n  id Int @id\n  t String\n  @@fulltext([t])\n}\n"
        )


# --------------------------------------------------------------------------- constructs


def test_scalar_and_native_types(constructs: ImportResult) -> None:
    s = constructs.schema
    expected = {
        "id": ColumnType("integer"),
        "email": ColumnType("varchar", (320,)),
        "display_name": ColumnType("text"),
        "role": ColumnType("role"),
        "score": ColumnType("double precision"),
        "balance": ColumnType("numeric", (12, 2)),
        "big": ColumnType("bigint"),
        "tiny": ColumnType("smallint"),
        "active": ColumnType("boolean"),
        "tags": ColumnType("text", array=True),
        "settings": ColumnType("jsonb"),
        "avatar": ColumnType("bytea"),
        "token": ColumnType("uuid"),
        "born": ColumnType("date"),
        "seenAt": ColumnType("timestamptz", (6,)),
        "createdAt": ColumnType("timestamp", (3,)),
    }
    assert {c: column(s, "users", c).type for c in expected} == expected
    assert column(s, "Membership", "since").type == ColumnType("timestamp", (0,))
    assert column(s, "Post", "title").type == ColumnType("text")


def test_nullability(constructs: ImportResult) -> None:
    s = constructs.schema
    assert column(s, "users", "display_name").nullable
    assert not column(s, "users", "email").nullable
    assert column(s, "users", "tags").nullable  # Prisma creates scalar lists without NOT NULL


def test_defaults(constructs: ImportResult) -> None:
    s = constructs.schema
    defaults = {c.name: c.default for c in table(s, "users").columns}
    assert defaults["role"] == "'member'"  # the mapped enum value
    assert defaults["score"] == "1.5"
    assert defaults["balance"] == "0"
    assert defaults["active"] == "true"
    assert defaults["tags"] == "ARRAY[]::text[]"
    assert defaults["settings"] == "'{}'"
    assert defaults["apiKey"] == "gen_random_uuid()"
    assert defaults["createdAt"] == "CURRENT_TIMESTAMP"
    assert defaults["token"] is None  # uuid() is computed by Prisma Client
    assert column(s, "users", "id").identity == "serial"
    assert column(s, "Audit", "id").identity == "serial"
    assert column(s, "Audit", "id").type == ColumnType("bigint")


def test_client_side_default_is_warned_with_line(constructs: ImportResult) -> None:
    text = CONSTRUCTS.read_text().splitlines()
    (warning,) = [w for w in constructs.warnings if "uuid()" in w.message]
    assert warning.line is not None and "token" in text[warning.line - 1]


def test_updated_at_is_trigger_maintained(constructs: ImportResult) -> None:
    updated = column(constructs.schema, "users", "updatedAt")
    assert updated.maintained == "on_update" and updated.default is None


def test_doc_comments_become_comments(constructs: ImportResult) -> None:
    s = constructs.schema
    assert table(s, "users").comment == "A person who signs in"
    assert column(s, "users", "email").comment == "login e-mail, unique"
    role = s.enum("role")
    assert role is not None
    assert role.values == ("admin", "member")
    assert role.comment == "Roles a member can have\nadmin: full access"


def test_keys_uniques_and_indexes_follow_prisma_names(constructs: ImportResult) -> None:
    s = constructs.schema
    users = table(s, "users")
    assert users.primary_key is not None and users.primary_key.name == "users_pkey"
    email = index(users, "users_email_key")
    assert email.unique and email.column_names == ("email",)
    post = table(s, "Post")
    assert index(post, "post_author_slug").column_names == ("author_id", "slug")
    title = index(post, "Post_title_author_id_idx")
    assert title.elements == (
        IndexElement(column="title", descending=True),
        IndexElement(column="author_id"),
    )
    gin = index(post, "Post_body_idx")
    assert gin.method == "gin" and gin.elements[0].opclass == "jsonb_path_ops"
    membership = table(s, "Membership")
    assert membership.primary_key is not None
    assert membership.primary_key.columns == ("userId", "groupId")
    assert membership.primary_key.name == "Membership_pkey"
    assert index(membership, "membership_group").column_names == ("groupId",)


def test_relations_use_prisma_default_actions(constructs: ImportResult) -> None:
    post = table(constructs.schema, "Post")
    author = fk(post, "Post_author_id_fkey")
    assert (author.columns, author.ref_table, author.ref_columns) == (
        ("author_id",),
        "users",
        ("id",),
    )
    assert (author.on_delete, author.on_update, author.on_delete_explicit) == (
        "cascade",
        "cascade",
        True,
    )
    editor = fk(post, "Post_editorId_fkey")  # optional relation: SetNull / Cascade
    assert (editor.on_delete, editor.on_update, editor.on_delete_explicit) == (
        "set null",
        "cascade",
        False,
    )


def test_required_relation_defaults_to_restrict() -> None:
    body = (
        "model A {\n  id Int @id\n  bId Int\n  b B @relation(fields: [bId], references: [id])\n}\n"
        "model B {\n  id Int @id\n  as A[]\n}\n"
    )
    result = import_prisma_text(DATASOURCE + body)
    (a_fk,) = table(result.schema, "A").foreign_keys
    assert (a_fk.name, a_fk.on_delete, a_fk.on_update) == ("A_bId_fkey", "restrict", "cascade")


def test_implicit_many_to_many_join_tables(constructs: ImportResult) -> None:
    s = constructs.schema
    join = table(s, "_PostToTag")
    assert [(c.name, c.type, c.nullable) for c in join.columns] == [
        ("A", ColumnType("integer"), False),
        ("B", ColumnType("uuid"), False),
    ]
    assert index(join, "_PostToTag_AB_unique").unique
    assert index(join, "_PostToTag_AB_unique").column_names == ("A", "B")
    assert index(join, "_PostToTag_B_index").column_names == ("B",)
    a, b = fk(join, "_PostToTag_A_fkey"), fk(join, "_PostToTag_B_fkey")
    assert (a.ref_table, a.on_delete, a.on_update) == ("Post", "cascade", "cascade")
    assert (b.ref_table, b.ref_columns) == ("Tag", ("id",))
    group = table(s, "_GroupToUser")
    assert fk(group, "_GroupToUser_B_fkey").ref_table == "users"  # the mapped table
    assert join.primary_key is None


def test_implicit_many_to_many_primary_key_style() -> None:
    result = import_prisma(CONSTRUCTS, m2m="primary-key")
    join = table(result.schema, "_PostToTag")
    assert join.primary_key is not None and join.primary_key.name == "_PostToTag_AB_pkey"
    assert [i.name for i in join.indexes] == ["_PostToTag_B_index"]


def test_ignored_field_and_model_are_kept_and_reported(constructs: ImportResult) -> None:
    s = constructs.schema
    assert column(s, "users", "legacy").nullable
    assert table(s, "Audit").columns
    messages = [w.message for w in constructs.warnings]
    assert any(m.startswith("@ignore") for m in messages)
    assert any(m.startswith("@@ignore") for m in messages)


def test_relation_mode_prisma_imports_no_foreign_keys_and_says_so() -> None:
    body = (
        "model A {\n  id Int @id\n  bId Int\n  b B @relation(fields: [bId], references: [id])\n}\n"
        "model B {\n  id Int @id\n  as A[]\n}\n"
    )
    source = DATASOURCE.replace("}\n", '  relationMode = "prisma"\n}\n')
    result = import_prisma_text(source + body, "rm.prisma")
    assert table(result.schema, "A").foreign_keys == ()
    lines = {w.line: w.message for w in result.warnings}
    assert "the database has no foreign keys" in lines[4]
    assert "no foreign key A_bId_fkey" in lines[9]


# --------------------------------------------------------------------------- saasfly


def test_saasfly_before_imports_prisma_db_push_shape() -> None:
    result = import_prisma(SAASFLY)
    s = result.schema
    assert [t.name for t in s.tables] == [
        "Account",
        "Customer",
        "K8sClusterConfig",
        "Session",
        "User",
        "VerificationToken",
    ]
    assert [e.name for e in s.enums] == ["Status", "SubscriptionPlan"]
    assert all(t.foreign_keys == () for t in s.tables)  # relationMode = "prisma"
    k8s = table(s, "K8sClusterConfig")
    assert column(s, "K8sClusterConfig", "delete") == Column(
        "delete", ColumnType("boolean"), default="false"
    )
    assert column(s, "K8sClusterConfig", "plan").default == "'FREE'"
    assert [i.name for i in k8s.indexes] == ["K8sClusterConfig_authUserId_idx"]  # no unique
    assert table(s, "VerificationToken").primary_key is None
    warned = {w.line: w.message for w in result.warnings}
    source = SAASFLY.read_text().splitlines()
    commented = [ln for ln, m in warned.items() if "commented-out" in m]
    assert len(commented) == 1 and "@@unique([plan, authUserId])" in source[commented[0] - 1]
    fkeys = sorted(m.split()[6] for m in warned.values() if "_fkey in the database" in m)
    assert fkeys == ["Account_userId_fkey", "Session_userId_fkey"]
