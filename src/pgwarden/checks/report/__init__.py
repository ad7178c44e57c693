"""Render lint findings: ``text``, ``json``, ``sarif`` (code scanning), ``gcc`` (editors),
``gitlab`` (GitLab Code Quality)."""

from __future__ import annotations

from collections.abc import Callable

from pgwarden.checks.registry import Finding
from pgwarden.checks.report import gcc, gitlab, json_report, sarif, text

FORMATS: dict[str, Callable[[list[Finding]], str]] = {
    "text": text.render,
    "json": json_report.render,
    "sarif": sarif.render,
    "gcc": gcc.render,
    "gitlab": gitlab.render,
}


def render(findings: list[Finding], fmt: str) -> str:
    """The findings in format ``fmt`` (a key of :data:`FORMATS`)."""
    return FORMATS[fmt](findings)


__all__ = ["FORMATS", "render"]
