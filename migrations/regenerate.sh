#!/bin/sh
# Regenerate Basefly's migration history with pgwarden itself.
# Run from the repository root: sh migrations/regenerate.sh [DIR]
# PGWARDEN overrides the command (the tests use "python -m pgwarden").
# --no-check: byte-for-byte regeneration needs no server; the history is proven by
# `pgwarden migrate check` (tests/migrations/test_shadow.py runs it on this history).
set -eu
dir=${1:-migrations}
pgwarden=${PGWARDEN:-pgwarden}
mkdir -p "$dir"
rm -rf "$dir"/0*_* "$dir/pgwarden.sum"
# 0001: saasfly as `prisma db push` left it (no FKs on authUserId, the delete flag)
$pgwarden --schema tests/fixtures/saasfly_before/saasfly.toml migrate --dir "$dir" new saasfly --no-check
# 0002: the blueprint state (drops the delete flag after the backfill)
$pgwarden --schema tests/fixtures/basefly_blueprint migrate --dir "$dir" new blueprint --allow-destructive --no-check
# 0003: audit logging on User, Account and Customer
$pgwarden --schema tests/fixtures/basefly_audit migrate --dir "$dir" new audit --no-check
# 0004: indexes on Account.userId and Session.userId
$pgwarden --schema tests/fixtures/basefly_fk_indexes migrate --dir "$dir" new fk_indexes --no-check
# 0005: User.deletedAt and the tombstone guards (a tombstoned user gains no new rows)
$pgwarden --schema tests/fixtures/basefly_tombstone migrate --dir "$dir" new tombstone --no-check
# 0006: the guards of soft-delete tables also refuse a restore under a tombstone
$pgwarden --schema schema migrate --dir "$dir" new tombstone_restore --no-check
# schema/ as it is now must need no further migration ("no changes"; a DDL change
# without a migration would appear here as 0006). Its changes since 0004 are intent
# only: Account's tokens secret = "encrypted" (the data step is `pgwarden migrate
# encrypt`) and the dashboard's replica-safe reads.
$pgwarden --schema schema migrate --dir "$dir" new current --no-check
