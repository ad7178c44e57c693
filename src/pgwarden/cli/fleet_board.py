"""The live table of a fleet command: counts, then the targets in flight and the failures.

Drawn on stderr, only when stderr is a terminal (CI logs and ``--json`` pipes get
nothing from it). Rows are shown for what needs eyes (running, failed); the done
ones are a count, so a thousand targets fit any screen.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from types import TracebackType

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from pgwarden.apply.fleet.targets import Target

_STYLE = {
    "running": "cyan",
    "failed": "bold red",
    "FAILED": "bold red",
    "skipped": "yellow",
    "unreachable": "bold red",
    "changed": "bold red",
    "drift": "bold red",
    "half-applied": "yellow",
    "pending": "dim",
}


class Board:
    """The live table of a fleet rollout: one row per target, its state and detail."""

    def __init__(self, title: str, targets: Sequence[Target], console: Console | None = None):
        self.title = title
        self.labels = [t.label for t in targets]
        self.states = ["pending"] * len(targets)
        self.details = [""] * len(targets)
        self.console = console or Console(stderr=True)
        self.enabled = self.console.is_terminal and bool(targets)
        self._live: Live | None = None

    def __enter__(self) -> Board:
        if self.enabled:
            self._live = Live(
                get_renderable=self._render,
                console=self.console,
                refresh_per_second=8,
                transient=True,
            )
            self._live.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def started(self, index: int) -> None:
        """Target ``index`` is running."""
        self.states[index] = "running"

    def finished(self, index: int, state: str, detail: str) -> None:
        """Target ``index`` ended in ``state`` (ok, failed, skipped...) with a one-line detail."""
        self.states[index] = state
        self.details[index] = detail

    def _render(self) -> Group:
        counts = Counter(self.states)
        summary = Text(f"{self.title}: ", style="bold")
        summary.append("  ".join(f"{state} {n}" for state, n in sorted(counts.items())))
        table = Table(show_header=True, header_style="bold", expand=False, box=None)
        table.add_column("target", overflow="fold")
        table.add_column("state")
        table.add_column("detail", overflow="ellipsis", max_width=80)
        room = max(3, self.console.size.height - 6)
        shown = [i for i, s in enumerate(self.states) if s in ("running", "failed") or s in _STYLE]
        shown = [i for i in shown if self.states[i] != "pending"][:room]
        for i in shown:
            state = self.states[i]
            table.add_row(self.labels[i], Text(state, style=_STYLE.get(state, "")), self.details[i])
        return Group(summary, table)
