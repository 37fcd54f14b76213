"""Renderers: a report or an explanation tree → text (terminal), Markdown or JSON. Renderers never
reason: every word of substance comes from the findings and the explanation nodes."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..findings import Finding, Node, Report
from ..states import state_name

if TYPE_CHECKING:
    from rich.text import Text

FORMATS = ("text", "json", "markdown")

OBLIGATION_LABELS = {
    "rc33": "Refugee Convention Art 33",
    "cat3": "CAT Art 3",
    "iccpr7": "ICCPR Arts 6-7",
    "crc": "CRC Arts 6, 22, 37",
    "echr3": "ECHR Art 3",
    "echr_p4_4": "ECHR Protocol 4 Art 4",
    "customary": "Customary law",
}
STATUS_WORDS = {
    "not_engaged": "not engaged",
    "engaged": "engaged, no breach indicated",
    "prospective_breach": "would breach if carried out",
    "breach": "breach indicated",
}
STATUS_STYLE = {
    "not_engaged": "dim",
    "engaged": "yellow",
    "prospective_breach": "magenta",
    "breach": "bold red",
}


def obligation_label(obligation: str) -> str:
    return OBLIGATION_LABELS.get(obligation, obligation)


def status_words(finding: Finding) -> str:
    """The may/must status in words: 'breach indicated (every account)' or '... (some accounts; ...)'."""
    words = STATUS_WORDS[finding.status]
    if finding.certainty == "all_accounts":
        return words
    return f"{words} under some accounts; under every account: {STATUS_WORDS[finding.status_all]}"


def render_report(report: Report, fmt: str = "text", *, color: bool = False, width: int = 120) -> str:
    if fmt == "json":
        return report.to_json() + "\n"
    if fmt == "markdown":
        return _markdown_report(report)
    if fmt == "text":
        return _text_report(report, color=color, width=width)
    raise ValueError(f"unknown format {fmt!r}")


def render_explanation(node: Node, fmt: str = "text", *, color: bool = False, width: int = 120) -> str:
    if fmt == "json":
        return node.model_dump_json(indent=2) + "\n"
    if fmt == "markdown":
        return "\n".join(_markdown_tree(node, 0)) + "\n"
    if fmt == "text":
        return _text_tree(node, color=color, width=width)
    raise ValueError(f"unknown format {fmt!r}")


# --- text ---------------------------------------------------------------------------------------------


def _console(color: bool, width: int) -> tuple[object, io.StringIO]:
    from rich.console import Console

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=color,
        no_color=not color,
        width=width,
        highlight=False,
        emoji=False,
        soft_wrap=False,
    )
    return console, buffer


def _text_report(report: Report, *, color: bool, width: int) -> str:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    console, buffer = _console(color, width)
    title = f"{report.case.title} ({report.case.id}), facts as of {report.case.as_of}"
    if report.case.hypothetical:
        title += " — HYPOTHETICAL"
    table = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, title_justify="left", pad_edge=False)
    table.add_column("Obligation", no_wrap=True, min_width=24)
    table.add_column("Status", min_width=18)
    for column in ("Certainty", "Procedural duty", "Acts, or why not engaged"):
        table.add_column(column, overflow="fold")
    group: tuple[str, str] | None = None
    for finding in report.findings:
        if (finding.state, finding.person) != group:
            if group is not None:
                table.add_section()
            group = (finding.state, finding.person)
            table.add_row(Text(f"{state_name(finding.state)} — {finding.person}", style="bold"))
        status = Text(STATUS_WORDS[finding.status], style=STATUS_STYLE[finding.status])
        if finding.certainty == "some_accounts":
            status.append(f"\n(every account: {STATUS_WORDS[finding.status_all]})")
        certainty = (
            "every account" if finding.certainty == "all_accounts" else "some: " + ", ".join(finding.accounts)
        )
        if finding.unknowns:
            certainty += "\nrests on unknown: " + ", ".join(finding.unknowns)
        procedural = (
            "—"
            if finding.procedural.status == "none"
            else (
                "failed: "
                + "; ".join(g.replace("_", " ") for g in finding.procedural.grounds)
                + ("" if finding.procedural.certainty == "all_accounts" else " (some accounts)")
            )
        )
        detail = (
            ", ".join(finding.acts)
            if finding.acts
            else "; ".join(r.replace("_", " ") for r in finding.reasons)
        )
        if finding.contested_law:
            detail += f"\ncontested law: {', '.join(finding.contested_law)}"
        table.add_row("  " + obligation_label(finding.obligation), status, certainty, procedural, detail)
    console.print(table)  # type: ignore[attr-defined]
    console.print(_footer(report))  # type: ignore[attr-defined]
    return buffer.getvalue()


def _footer(report: Report) -> str:
    lines = [f"Doctrine settings: {', '.join(f'{k}={v}' for k, v in sorted(report.settings.items()))}"]
    if report.contested_points:
        lines.append(
            "Contested points: "
            + "; ".join(f"{p.id} ({' | '.join(p.accounts)})" for p in report.contested_points)
        )
    if report.fixed_accounts:
        lines.append("Accounts fixed: " + ", ".join(report.fixed_accounts))
    if report.retracted:
        lines.append("Facts withdrawn: " + ", ".join(report.retracted))
    lines.append(
        "Status is what holds in at least one scenario; certainty says whether it holds in every one."
    )
    return "\n".join(lines)


def _text_tree(node: Node, *, color: bool, width: int) -> str:
    from rich.tree import Tree

    console, buffer = _console(color, width)
    tree = Tree(_label(node))
    _grow(tree, node.children)
    console.print(tree)  # type: ignore[attr-defined]
    return buffer.getvalue()


def _grow(tree: object, children: Iterable[Node]) -> None:
    for child in children:
        branch = tree.add(_label(child))  # type: ignore[attr-defined]
        _grow(branch, child.children)


def _label(node: Node) -> Text:
    from rich.text import Text

    styles = {
        "rule": "bold",
        "fact": "",
        "absent": "italic",
        "doctrine": "cyan",
        "defence": "yellow",
        "setting": "magenta",
    }
    text = Text(node.text, style=styles.get(node.kind, ""))
    if node.kind == "rule" or node.kind == "defence":
        text.append(f"  [{node.id}]", style="dim")
    if node.citation:
        text.append(f"\n  {node.citation}", style="dim")
    if node.quote and node.kind in ("rule", "defence"):
        text.append(f'\n  "{node.quote}"', style="dim italic")
    if node.kind == "fact":
        extra = [", ".join(node.dates)] if node.dates else []
        if node.sources:
            extra.append("sources: " + ", ".join(node.sources))
        if extra:
            text.append(f"  ({'; '.join(extra)})", style="dim")
        if node.accounts:
            text.append(f"\n  account: {', '.join(node.accounts)}", style="magenta")
    if node.kind == "doctrine" and node.sources:
        text.append(f"\n  source: {'; '.join(node.sources)}", style="dim")
    if node.accounts and node.kind == "rule" and not node.children:
        text.append(f"\n  scenario: {', '.join(node.accounts)}", style="magenta")
    return text


# --- Markdown -----------------------------------------------------------------------------------------


def _markdown_report(report: Report) -> str:
    lines = [f"# {report.case.title}", ""]
    if report.case.hypothetical:
        lines += ["> **Hypothetical** — a counterfactual variant, not a record of events.", ""]
    lines += [
        f"Case `{report.case.id}`, facts as of {report.case.as_of}. {_footer(report)}".replace("\n", "  \n"),
        "",
        "| State | Person | Obligation | Status | Certainty | Procedural |",
        "|---|---|---|---|---|---|",
    ]
    for f in report.findings:
        certainty = (
            "every account" if f.certainty == "all_accounts" else "some accounts: " + ", ".join(f.accounts)
        )
        procedural = "—" if f.procedural.status == "none" else ", ".join(f.procedural.grounds)
        lines.append(
            f"| {state_name(f.state)} | {f.person} | {obligation_label(f.obligation)} | "
            f"{status_words(f)} | {certainty} | {procedural} |"
        )
    cited: list[str] = []
    for f in report.findings:
        if f.explanation is None or f.status == "not_engaged":
            continue
        lines += [
            "",
            f"## {state_name(f.state)} — {obligation_label(f.obligation)} — {f.person}",
            "",
            f"**{status_words(f)}.** {f.citation}.",
            "",
        ]
        lines += _markdown_tree(f.explanation, 0, cited)
    if cited:
        sources = {s.id: s for s in report.sources}
        lines += ["", "## Sources", ""]
        for source_id in cited:
            s = sources.get(source_id)
            if s is not None:
                link = f" <{s.url}>" if s.url else ""
                lines.append(f"[^{source_id}]: {s.publisher}, “{s.title}”, {s.date}.{link}")
    return "\n".join(lines) + "\n"


def _markdown_tree(node: Node, depth: int, cited: list[str] | None = None) -> list[str]:
    indent = "  " * depth
    text = node.text
    if node.kind in ("rule", "defence"):
        text = f"**{text}** — {node.citation}" + (f": “{node.quote}”" if node.quote else "") + f" `{node.id}`"
    elif node.kind == "absent":
        text = f"*{text}*" + (f" ({node.citation})" if node.citation else "")
    elif node.kind == "fact":
        notes = []
        if node.dates:
            notes.append(", ".join(node.dates))
        if node.accounts:
            notes.append("account " + ", ".join(node.accounts))
        if notes:
            text += f" ({'; '.join(notes)})"
        if node.quote:
            text += f" — “{node.quote}”"
        for source in node.sources:
            text += f"[^{source}]"
            if cited is not None and source not in cited:
                cited.append(source)
    elif node.kind == "doctrine":
        text += f" ({'; '.join(node.sources)})" if node.sources else ""
    lines = [f"{indent}- {text}"]
    for child in node.children:
        lines += _markdown_tree(child, depth + 1, cited)
    return lines
