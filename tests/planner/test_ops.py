"""The shared op bases: a mirror-image op reversed twice is itself, and pairs share fields."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from pgwarden.planner import ops as o
from pgwarden.planner.ops.base import pair
from pgwarden.spec.model import (
    CheckConstraint,
    Column,
    ColumnType,
    Enum,
    ForeignKey,
    Index,
    IndexElement,
    Policy,
    PrimaryKey,
    Table,
)

TEXT = ColumnType("text")
INT = ColumnType("integer")
MIRRORED: list[o.Op] = [
    o.CreateEnum(Enum("E", ("a",))),
    o.CreateTable(Table("T", (Column("id", INT),))),
    o.AddColumn("T", Column("c", TEXT, default="'x'"), True, ("id",), True),
    o.SetNotNull("T", "c", True, ("id",), True),
    o.DropNotNull("T", "c", False, (), False),
    o.AddPrimaryKey("T", PrimaryKey("T_pkey", ("id",)), True, True),
    o.CreateIndex("T", Index("T_c_idx", (IndexElement(column="c"),)), True, False),
    o.CreateOnUpdateTrigger("T", "c", "T_c_on_update"),
    o.CreatePolicy("T", Policy("p", using="true")),
    o.RenameEnum("E", "F"),
    o.RenameEnumValue("E", "a", "b"),
    o.RenameTable("T", "U"),
    o.RenameColumn("T", "c", "d"),
    o.RenameConstraint("T", "x", "y"),
    o.RenameIndex("T", "x", "y"),
    o.RenamePolicy("T", "p", "q"),
    o.SetDefault("T", "c", None, "'x'"),
    o.AlterGenerated("T", "c", "1", "2"),
    o.AlterIdentity("T", "id", INT, None, "always", True),
    o.AlterColumnType("T", "c", TEXT, INT, "1", "'1'", False, ("id",), True),
    o.SetComment("column", ("T", "c"), None, "hello"),
    o.SetRowLevelSecurity("T", True),
    o.SetForceRowLevelSecurity("T", False),
    o.RecreateEnum("E", ("a", "b"), ("b",), o.EnumContext(), "c", True),
]


@pytest.mark.parametrize("op", MIRRORED, ids=lambda op: type(op).__name__)
def test_a_mirrored_op_reversed_twice_is_itself(op: o.Op) -> None:
    (back,) = op.reverse()
    assert back != op
    (again,) = back.reverse()
    assert again == op


def test_pairs_keep_every_field_and_swaps_exchange_both_pairs() -> None:
    add = o.AddPrimaryKey("T", PrimaryKey("T_pkey", ("id",)), True, True)
    assert add.reverse() == (o.DropPrimaryKey("T", PrimaryKey("T_pkey", ("id",)), True, True),)
    alter = o.AlterColumnType("T", "c", TEXT, INT, "new", "old", False, ("id",), True)
    (back,) = alter.reverse()
    assert isinstance(back, o.AlterColumnType)
    assert (back.old, back.new, back.default, back.old_default) == (INT, TEXT, "old", "new")
    assert (back.row_key, back.check_data) == (("id",), True)


def test_ops_that_restore_more_than_their_mirror() -> None:
    # a dropped table comes back with its comments and RLS flags
    t = Table("T", (Column("id", INT, comment="key"),), comment="t", rls_enabled=True)
    assert o.DropTable(t).reverse() == (
        o.CreateTable(t),
        o.SetComment("table", ("T",), None, "t"),
        o.SetComment("column", ("T", "id"), None, "key"),
        o.SetRowLevelSecurity("T", True),
    )
    # an online dropped check comes back NOT VALID and is validated
    check = CheckConstraint("T_c_check", "c > 0")
    assert o.DropConstraint("T", check, True, ("id",)).reverse() == (
        o.AddCheck("T", check, True, ("id",)),
        o.ValidateConstraint("T", "T_c_check"),
    )
    fk = ForeignKey("T_p_fkey", ("p",), "P", ("id",))
    assert o.AddForeignKey("T", fk).reverse() == (o.DropConstraint("T", fk),)


def test_pair_refuses_classes_that_do_not_share_fields() -> None:
    @dataclass(frozen=True, slots=True)
    class A(o.Paired):
        x: int

    @dataclass(frozen=True, slots=True)
    class B(o.Paired):
        y: int

    with pytest.raises(TypeError, match="do not share their fields"):
        pair(A, B)


def test_the_down_of_a_dropped_not_null_column_adds_it_nullable_then_checks_rows() -> None:
    # the values are gone: ADD COLUMN c text NOT NULL would fail on the first row, so
    # the column comes back nullable (committed alone, so the user can fill it when the
    # NOT NULL's preflight stops the down) and the NOT NULL follows
    drop = o.DropColumn("T", Column("c", TEXT), True, ("id",), True)
    assert drop.reverse() == (
        o.AddColumn("T", Column("c", TEXT, nullable=True), True, ("id",), False, True),
        o.SetNotNull("T", "c", True, ("id",), True),
    )
    assert not drop.reverse()[0].atomic
    with_default = o.DropColumn("T", Column("c", TEXT, default="'x'"), True, ("id",), True)
    assert with_default.reverse() == (with_default.mirror(),)
