"""The live table: drawn only on a terminal; counts every state, lists what needs eyes."""

from __future__ import annotations

import io

from rich.console import Console

from pgwarden.apply.fleet.targets import Target
from pgwarden.cli.fleet_board import Board

TARGETS = [Target(label=f"db{i}", url=f"postgresql://h/db{i}") for i in range(5)]


def test_silent_when_not_a_terminal() -> None:
    out = io.StringIO()
    with Board("fleet apply", TARGETS, Console(file=out, force_terminal=False)) as board:
        board.started(0)
        board.finished(0, "applied", "0001 -> 0003")
    assert out.getvalue() == ""


def test_counts_running_and_failures_on_a_terminal() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120, height=30)
    board = Board("fleet apply", TARGETS, console)
    board.started(0)
    board.started(1)
    board.finished(0, "applied", "0001 -> 0003")
    board.finished(1, "failed", "cannot connect to postgresql://h/db1")
    board.started(2)
    console.print(board._render())
    text = out.getvalue()
    assert "applied 1" in text and "failed 1" in text and "running 1" in text
    assert "pending 2" in text
    assert "db1" in text and "cannot connect" in text  # a failure is listed
    assert "db2" in text  # so is what is in flight
    assert "db0" not in text  # a done target is only counted
