"""Properties of may/must over scenarios, on generated cases: brave consequences include the cautious ones
(what must hold may hold), and fixing every contested point reproduces the single scenario it names."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nonrefoulement import evaluate
from nonrefoulement.findings import STATUSES

from .builders import baseline, validated

# Facts of the baseline that a generated case may put in dispute (everything but the person's entry).
DISPUTABLE = ("held", "removal", "risk", "no-assessment", "claim")


@st.composite
def contested_cases(draw: st.DrawFn, *, unknowns: bool = True) -> dict[str, Any]:
    """The baseline with some facts moved into accounts of up to three points, and some marked unknown."""
    case = copy.deepcopy(baseline())
    point_count = draw(st.integers(min_value=0, max_value=3))
    points = [
        {
            "id": f"point-{i}",
            "question": f"question {i}",
            "accounts": [
                {"id": f"a{j}", "label": f"account {j}", "sources": ["report-late"]}
                for j in range(draw(st.integers(min_value=2, max_value=3)))
            ],
        }
        for i in range(point_count)
    ]
    case["contested_points"] = points
    for fact in case["facts"]:
        if fact["id"] not in DISPUTABLE:
            continue
        how = draw(st.sampled_from(["plain", "account", "unknown"] if unknowns else ["plain", "account"]))
        if how == "account" and points:
            point = draw(st.sampled_from(points))
            account = draw(st.sampled_from(point["accounts"]))
            fact["account"] = f"{point['id']}={account['id']}"
        elif how == "unknown":
            fact["unknown"] = True
    return case


def rank(status: str) -> int:
    return STATUSES.index(status)  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contested_cases())
def test_what_must_hold_may_hold(case: dict[str, Any]) -> None:
    report = evaluate(validated(case), explain=False)
    for finding in report.findings:
        assert rank(finding.status) >= rank(finding.status_all)
        assert (finding.certainty == "all_accounts") == (finding.status == finding.status_all)
        if finding.procedural.status_all == "breach":
            assert finding.procedural.status == "breach"
        for choices in finding.holds_if:
            assert choices, "a deciding set is never empty"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contested_cases(unknowns=False), st.data())
def test_fixing_every_point_reproduces_a_single_scenario(case: dict[str, Any], data: st.DataObject) -> None:
    chosen = {
        p["id"]: data.draw(st.sampled_from([a["id"] for a in p["accounts"]]))
        for p in case["contested_points"]
    }
    fixed = evaluate(validated(case), accounts=chosen, explain=False)
    # The same scenario written out: the chosen accounts' facts as plain facts, the others removed.
    single = copy.deepcopy(case)
    single["contested_points"] = []
    kept = []
    for fact in single["facts"]:
        account = fact.pop("account", None)
        if account is None or account.split("=") == [account.split("=")[0], chosen[account.split("=")[0]]]:
            kept.append(fact)
    single["facts"] = kept
    plain = evaluate(validated(single), explain=False)
    for a, b in zip(fixed.findings, plain.findings, strict=True):
        assert (a.state, a.obligation, a.person) == (b.state, b.obligation, b.person)
        assert a.certainty == "all_accounts"
        assert (a.status, a.procedural.status) == (b.status, b.procedural.status)
