"""Comparing two reports: the findings whose status, certainty or procedural finding differ, and the
explanation steps that appear in one and not the other. Used for what-if runs (the same case, changed
facts or accounts) and for ``nonref diff`` (two versions of a case)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from .findings import Finding, Node, Report

Key = tuple[str, str, str]


class FindingChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: str
    obligation: str
    person: str
    before: str = Field(description="status / status_all / certainty / procedural, or 'absent'")
    after: str
    steps_removed: list[str] = Field(default_factory=list, description="explanation steps only in the first")
    steps_added: list[str] = Field(default_factory=list, description="explanation steps only in the second")


class ReportDiff(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first: str
    second: str
    changes: list[FindingChange]


def summary(finding: Finding | None) -> str:
    if finding is None:
        return "absent"
    procedural: str = finding.procedural.status
    if finding.procedural.certainty == "some_accounts":
        procedural += " (some accounts)"
    return f"{finding.status} / {finding.status_all} / {finding.certainty} / procedural {procedural}"


def steps(node: Node | None) -> set[str]:
    """The explanation's steps as comparable lines: rule applied, fact relied on, condition checked."""
    if node is None:
        return set()
    return {f"{n.kind} {n.id}: {n.text}" for n in node.walk() if n.kind != "doctrine"}


def compare_reports(first: Report, second: Report) -> ReportDiff:
    before = {(f.state, f.obligation, f.person): f for f in first.findings}
    after = {(f.state, f.obligation, f.person): f for f in second.findings}
    changes: list[FindingChange] = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        removed = sorted(steps(a.explanation if a else None) - steps(b.explanation if b else None))
        added = sorted(steps(b.explanation if b else None) - steps(a.explanation if a else None))
        if summary(a) != summary(b) or removed or added:
            state, obligation, person = key
            changes.append(
                FindingChange(
                    state=state,
                    obligation=obligation,
                    person=person,
                    before=summary(a),
                    after=summary(b),
                    steps_removed=removed,
                    steps_added=added,
                )
            )
    return ReportDiff(first=first.case.id, second=second.case.id, changes=changes)


def render_diff(diff: ReportDiff, *, with_steps: bool = True) -> str:
    if not diff.changes:
        return f"No finding differs between {diff.first} and {diff.second}.\n"
    lines = [f"Findings that differ ({diff.first} → {diff.second}):"]
    for change in diff.changes:
        status_changed = change.before != change.after
        head = f"  {change.state} {change.obligation} {change.person}: "
        head += f"{change.before}  →  {change.after}" if status_changed else "same status, reasoning differs"
        lines.append(head)
        if with_steps:
            lines += [f"      - {step}" for step in change.steps_removed]
            lines += [f"      + {step}" for step in change.steps_added]
    return "\n".join(lines) + "\n"
