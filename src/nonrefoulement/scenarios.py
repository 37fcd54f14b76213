"""What a case's contested points and unknown facts leave open: how many scenarios there are, which findings
differ between them, grouped by the choices that decide them — from the solver's brave and cautious
consequences, never by enumerating scenarios (listing a few, capped, only on request)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

import clingo
from pydantic import BaseModel, ConfigDict

from .case import Case
from .engine import Scenarios, evaluate, resolve_settings
from .findings import Report
from .rules import load_rulebase
from .treaties import treaty_data


class OpenFinding(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: str
    obligation: str
    person: str
    part: str  # "substantive" or "procedural"
    may: str
    must: str
    holds_if: list[list[str]]
    fails_if: list[list[str]]


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    choices: list[str]


class ScenarioSummary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case: str
    points: int
    unknown_facts: int
    scenarios: int
    open_findings: list[OpenFinding]
    groups: dict[str, list[str]]  # deciding choices -> findings
    listed: list[Scenario]


def summarize(
    case: Case,
    report: Report | None = None,
    *,
    settings: Mapping[str, str] | None = None,
    list_scenarios: int = 0,
) -> ScenarioSummary:
    report = report or evaluate(case, settings=settings, explain=False)
    count = 1
    for point in case.contested_points:
        count *= len(point.accounts)
    unknown = [f.id for f in case.facts if f.unknown]
    count *= 2 ** len(unknown)
    open_findings: list[OpenFinding] = []
    groups: dict[str, list[str]] = defaultdict(list)
    for f in report.findings:
        label = f"{f.state} {f.obligation} {f.person}"
        if f.certainty == "some_accounts":
            open_findings.append(
                OpenFinding(
                    state=f.state,
                    obligation=f.obligation,
                    person=f.person,
                    part="substantive",
                    may=f.status,
                    must=f.status_all,
                    holds_if=f.holds_if,
                    fails_if=f.fails_if,
                )
            )
            decided_by = " or ".join(" and ".join(s) for s in f.holds_if) or "a combination of choices"
            groups[f"{f.status} if {decided_by}"].append(label)
        if f.procedural.certainty == "some_accounts":
            open_findings.append(
                OpenFinding(
                    state=f.state,
                    obligation=f.obligation,
                    person=f.person,
                    part="procedural",
                    may=f.procedural.status,
                    must=f.procedural.status_all,
                    holds_if=[],
                    fails_if=[],
                )
            )
            groups["procedural failure in some scenarios"].append(label)
    listed = _list(case, settings, list_scenarios) if list_scenarios > 0 else []
    return ScenarioSummary(
        case=case.id,
        points=len(case.contested_points),
        unknown_facts=len(unknown),
        scenarios=count,
        open_findings=open_findings,
        groups=dict(groups),
        listed=listed,
    )


def _list(case: Case, settings: Mapping[str, str] | None, cap: int) -> list[Scenario]:
    """At most ``cap`` scenarios, each as its choices (enumerated by the solver, stopping at the cap)."""
    rulebase = load_rulebase()
    scenarios = Scenarios(case, rulebase, treaty_data(), resolve_settings(rulebase, settings))
    control = scenarios.control
    solve = control.configuration.solve
    assert isinstance(solve, clingo.Configuration)
    solve.enum_mode = "auto"
    solve.models = str(cap)
    unknown = {f.id for f in case.facts if f.unknown}
    out: list[Scenario] = []
    handle = control.solve(yield_=True)
    assert isinstance(handle, clingo.SolveHandle)
    with handle:
        for model in handle:
            shown = model.symbols(shown=True)
            chosen = sorted(
                f"{s.arguments[0].string}={s.arguments[1].string}" for s in shown if s.name == "chosen"
            )
            holding = {s.arguments[0].string for s in shown if s.name == "holds"}
            facts = [fid if fid in holding else f"not {fid}" for fid in sorted(unknown)]
            out.append(Scenario(choices=chosen + facts))
    return out


def render_summary(summary: ScenarioSummary) -> str:
    lines = [
        f"{summary.case}: {summary.scenarios:,} scenario(s) from {summary.points} contested point(s) and "
        f"{summary.unknown_facts} unknown fact(s).",
    ]
    if not summary.open_findings:
        lines.append("Every finding is the same in every scenario.")
    else:
        lines.append(f"{len(summary.open_findings)} finding(s) differ between scenarios:")
        for decided_by, findings in sorted(summary.groups.items()):
            lines.append(f"  {decided_by}:")
            lines += [f"    - {label}" for label in findings]
    if summary.listed:
        lines.append(f"First {len(summary.listed)} scenario(s):")
        lines += [
            f"  {i + 1}. {', '.join(s.choices) or '(no choices)'}" for i, s in enumerate(summary.listed)
        ]
    return "\n".join(lines) + "\n"
