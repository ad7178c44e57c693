"""Ordering helpers: rename dependency sort and the reduce step."""

from __future__ import annotations

from collections.abc import Sequence

from pgwarden.planner.ops import Op
from pgwarden.spec import names


def sort_renames(pairs: Sequence[tuple[str, str]], taken: set[str]) -> list[tuple[str, str]]:
    """Order renames so no rename lands on a name still in use.

    ``a -> b`` must wait until ``b`` has been renamed away; a cycle (a swap) is
    broken by moving one member to a temporary name first. ``taken`` are the
    names in use before any rename. Deterministic: ties go in input order.
    """
    pending = [p for p in pairs if p[0] != p[1]]
    in_use = set(taken)
    done: list[tuple[str, str]] = []
    while pending:
        for i, (old, new) in enumerate(pending):
            if new not in in_use:
                done.append((old, new))
                in_use.discard(old)
                in_use.add(new)
                del pending[i]
                break
        else:
            # every remaining target is occupied: a cycle; park the first source
            old, new = pending[0]
            temp = names.fit(old, "__pgwarden_tmp")
            done.append((old, temp))
            in_use.discard(old)
            in_use.add(temp)
            pending[0] = (temp, new)
    return done


def reduce(ops: Sequence[Op]) -> tuple[Op, ...]:
    """Cancel adjacent op / inverse pairs until nothing changes.

    Reversing a plan can produce such pairs (the temporary check of an online
    SET NOT NULL is added back and dropped again); the output stays minimal.
    """
    result = list(ops)
    changed = True
    while changed:
        changed = False
        for i in range(len(result) - 1):
            if result[i].reverse() == (result[i + 1],):
                del result[i : i + 2]
                changed = True
                break
    return tuple(result)
