"""nonrefoulement — a legal-framework reasoning engine for non-refoulement obligations.

The public API::

    from nonrefoulement import load_case, evaluate
    case = load_case("cases/laos-china-2013.yaml")
    report = evaluate(case)
    for finding in report.findings:
        print(finding.state, finding.obligation, finding.status, finding.certainty)
    print(report.finding("LAO", "cat3", "nine").explanation.render("text"))

Imports are lazy so that ``nonref --help`` starts fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Case",
    "CaseError",
    "Finding",
    "Node",
    "NonrefError",
    "Report",
    "UsageError",
    "evaluate",
    "load_case",
    "parse_case",
    "render_html",
]

if TYPE_CHECKING:
    from .case import Case
    from .engine import evaluate
    from .errors import CaseError, NonrefError, UsageError
    from .findings import Finding, Node, Report
    from .load import load_case, parse_case
    from .render.html import render_html

_WHERE = {
    "Case": "case",
    "evaluate": "engine",
    "CaseError": "errors",
    "NonrefError": "errors",
    "UsageError": "errors",
    "Finding": "findings",
    "Node": "findings",
    "Report": "findings",
    "load_case": "load",
    "parse_case": "load",
    "render_html": "render.html",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(name)
