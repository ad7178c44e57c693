"""Migration operations: immutable values, each knowing its reverse and its hazards.

An op describes one change to a schema in model terms; it never holds SQL (the
renderer, :mod:`pgwarden.render.sql`, turns ops into statements through a
registry, and :mod:`pgwarden.render.preflight` writes their data checks). Like
alembic's ops, the downgrade is *derived*: ``op.reverse()`` returns the ops
that undo it, and :meth:`~pgwarden.planner.Plan.reverse` reverses a whole plan.
Mirror-image pairs share their fields and their reverse (:mod:`.base`).

``online`` on an op means "this table exists before and after the op and may
hold rows": the renderer then uses the lock-friendly forms (CONCURRENTLY,
NOT VALID + VALIDATE, ``USING INDEX``). A table created in the same plan is
empty and gets the plain forms.
"""

from __future__ import annotations

from pgwarden.planner.ops.base import HAZARDS, Hazard, Op, Paired, Swapped, Toggled, qname
from pgwarden.planner.ops.constraints import (
    AddCheck,
    AddForeignKey,
    AddPrimaryKey,
    AddUnique,
    Constraint,
    CreateIndex,
    DropConstraint,
    DropIndex,
    DropPrimaryKey,
    RenameConstraint,
    RenameIndex,
    ValidateConstraint,
)
from pgwarden.planner.ops.decorations import (
    CommentTarget,
    CreateOnUpdateTrigger,
    CreatePolicy,
    DropOnUpdateTrigger,
    DropPolicy,
    RenamePolicy,
    SetComment,
    SetForceRowLevelSecurity,
    SetRowLevelSecurity,
)
from pgwarden.planner.ops.enums import (
    AddEnumValue,
    CreateEnum,
    DropEnum,
    EnumContext,
    EnumUsage,
    RecreateEnum,
    RenameEnum,
    RenameEnumValue,
    insert_value,
)
from pgwarden.planner.ops.extensions import (
    AddExclusion,
    AlterExtension,
    CreateExtension,
    DropExclusion,
    DropExtension,
)
from pgwarden.planner.ops.functions import CreateFunction, DropFunction, ReplaceFunction
from pgwarden.planner.ops.namespaces import CreateNamespace, DropNamespace
from pgwarden.planner.ops.sequences import (
    AlterSequence,
    CreateSequence,
    DropSequence,
    SetSequenceOwner,
)
from pgwarden.planner.ops.tables import (
    AddColumn,
    AlterColumnType,
    AlterGenerated,
    AlterIdentity,
    AlterIdentityOptions,
    Backfill,
    CreateTable,
    DropColumn,
    DropNotNull,
    DropTable,
    RenameColumn,
    RenameTable,
    SetDefault,
    SetNotNull,
    TypeChange,
    classify_type_change,
)
from pgwarden.planner.ops.triggers import CreateTrigger, DropTrigger
from pgwarden.planner.ops.views import CommentOnView, CreateView, DropView

__all__ = [
    "HAZARDS",
    "AddCheck",
    "AddColumn",
    "AddEnumValue",
    "AddExclusion",
    "AddForeignKey",
    "AddPrimaryKey",
    "AddUnique",
    "AlterColumnType",
    "AlterExtension",
    "AlterGenerated",
    "AlterIdentity",
    "AlterIdentityOptions",
    "AlterSequence",
    "Backfill",
    "CommentOnView",
    "CommentTarget",
    "Constraint",
    "CreateEnum",
    "CreateExtension",
    "CreateFunction",
    "CreateIndex",
    "CreateNamespace",
    "CreateOnUpdateTrigger",
    "CreatePolicy",
    "CreateSequence",
    "CreateTable",
    "CreateTrigger",
    "CreateView",
    "DropColumn",
    "DropConstraint",
    "DropEnum",
    "DropExclusion",
    "DropExtension",
    "DropFunction",
    "DropIndex",
    "DropNamespace",
    "DropNotNull",
    "DropOnUpdateTrigger",
    "DropPolicy",
    "DropPrimaryKey",
    "DropSequence",
    "DropTable",
    "DropTrigger",
    "DropView",
    "EnumContext",
    "EnumUsage",
    "Hazard",
    "Op",
    "Paired",
    "RecreateEnum",
    "RenameColumn",
    "RenameConstraint",
    "RenameEnum",
    "RenameEnumValue",
    "RenameIndex",
    "RenamePolicy",
    "RenameTable",
    "ReplaceFunction",
    "SetComment",
    "SetDefault",
    "SetForceRowLevelSecurity",
    "SetNotNull",
    "SetRowLevelSecurity",
    "SetSequenceOwner",
    "Swapped",
    "Toggled",
    "TypeChange",
    "ValidateConstraint",
    "classify_type_change",
    "insert_value",
    "qname",
]
