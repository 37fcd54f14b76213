"""Small case files for rule tests, written as a baseline and the changes a test makes to it.

The baseline is a plain direct-refoulement case: Italy, bound by every instrument the engine knows,
holds a group of Iranian nationals (two of them unaccompanied children) who entered unlawfully and asked
for asylum, does not examine their claims, and deports them to Iran, where a report dated before the
removal shows that returnees like them are systematically tortured for their political opinion.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from clingo import Symbol

from nonrefoulement.case import Case
from nonrefoulement.engine import Scenarios, resolve_settings
from nonrefoulement.load import check_consistency
from nonrefoulement.rules import load_rulebase
from nonrefoulement.treaties import treaty_data

CaseDict = dict[str, Any]
Change = Callable[[CaseDict], None]

DEFENCES = (
    "illegal_entry",
    "internal_law",
    "bilateral_agreement",
    "economic_migrants",
    "valid_travel_documents",
    "trafficking_by_escorts",
    "consent_of_origin_state",
    "no_request_for_return",
)


def baseline() -> CaseDict:
    return {
        "id": "baseline",
        "title": "Italy deports a group of Iranian asylum seekers to Iran",
        "as_of": "2016-01-01",
        "sources": [
            {"id": "report-2014", "title": "Returnees in Iran", "publisher": "NGO", "date": "2014-01-01"},
            {"id": "report-late", "title": "After the fact", "publisher": "UN", "date": "2015-12-01"},
        ],
        "states": ["ITA", "IRN"],
        "persons": [
            {
                "id": "p",
                "name": "the group",
                "kind": "group",
                "nationality": "IRN",
                "members": [
                    {"count": 2, "age": {"min": 15, "max": 17}, "unaccompanied": True},
                    {"count": 3, "age": {"min": 20, "max": 30}},
                ],
            }
        ],
        "facts": [
            {
                "id": "entry",
                "kind": "presence",
                "person": "p",
                "territory": "ITA",
                "date": "2015-01-01",
                "entry": "unlawful",
                "sources": ["report-late"],
            },
            {
                "id": "held",
                "kind": "custody",
                "person": "p",
                "by": "ITA",
                "territory": "ITA",
                "date": "2015-05-01",
                "until": "2015-06-01",
                "sources": ["report-late"],
            },
            {
                "id": "removal",
                "kind": "removal",
                "person": "p",
                "by": "ITA",
                "origin": "ITA",
                "to": "IRN",
                "manner": "deportation",
                "date": "2015-06-01",
                "sources": ["report-late"],
            },
            {
                "id": "risk",
                "kind": "risk",
                "destination": "IRN",
                "persons": ["p"],
                "harms": ["torture", "cruel_inhuman_degrading", "death", "persecution"],
                "grounds": ["political_opinion"],
                "basis": "group",
                "description": "returnees are systematically tortured",
                "sources": ["report-2014"],
            },
            {
                "id": "no-assessment",
                "kind": "assessment",
                "state": "ITA",
                "person": "p",
                "made": False,
                "sources": ["report-late"],
            },
            {
                "id": "claim",
                "kind": "protection_claim",
                "person": "p",
                "state": "ITA",
                "date": "2015-01-02",
                "sources": ["report-late"],
            },
            *[
                {
                    "id": f"defence-{d}",
                    "kind": "defence",
                    "state": "ITA",
                    "person": "p",
                    "defence": d,
                    "sources": ["report-late"],
                }
                for d in DEFENCES
            ],
        ],
    }


# --- changes ------------------------------------------------------------------------------------------


def fact(case: CaseDict, fact_id: str) -> dict[str, Any]:
    return next(f for f in case["facts"] if f["id"] == fact_id)


def drop(fact_id: str) -> Change:
    def change(case: CaseDict) -> None:
        case["facts"] = [f for f in case["facts"] if f["id"] != fact_id]

    return change


def edit(fact_id: str, **fields: Any) -> Change:
    def change(case: CaseDict) -> None:
        fact(case, fact_id).update(fields)

    return change


def add(**new_fact: Any) -> Change:
    def change(case: CaseDict) -> None:
        new_fact.setdefault("sources", ["report-2014"])
        case["facts"].append(dict(new_fact))

    return change


def person(**fields: Any) -> Change:
    def change(case: CaseDict) -> None:
        case["persons"][0].update(fields)

    return change


def adults_only(case: CaseDict) -> None:
    case["persons"][0]["members"] = [{"count": 5, "age": {"min": 20, "max": 30}}]


def individual(case: CaseDict) -> None:
    case["persons"][0].update(kind="individual", members=[{"count": 1, "age": {"min": 30, "max": 30}}])


def states(*codes: str) -> Change:
    def change(case: CaseDict) -> None:
        case["states"] = list(codes)

    return change


def replace_state(old: str, new: str) -> Change:
    """Put another state in the acting state's place everywhere (to test treaty participation)."""

    def change(case: CaseDict) -> None:
        case["states"] = [new if s == old else s for s in case["states"]]
        for item in case["facts"]:
            for field in ("state", "by", "territory", "origin", "to", "destination"):
                if item.get(field) == old:
                    item[field] = new

    return change


def setting(name: str, value: str) -> Change:
    def change(case: CaseDict) -> None:
        case.setdefault("_settings", {})[name] = value

    return change


def variant(*changes: Change) -> CaseDict:
    case = copy.deepcopy(baseline())
    for change in changes:
        change(case)
    return case


# --- evaluation -----------------------------------------------------------------------------------------


def validated(case: CaseDict) -> Case:
    data = {k: v for k, v in case.items() if not k.startswith("_")}
    model = Case.model_validate(data)
    problems = check_consistency(model)
    assert not problems, [p.message for p in problems]
    return model


def scenario_atoms(case: CaseDict) -> list[Symbol]:
    """Every atom of the single scenario of a case without contested points."""
    rulebase = load_rulebase()
    scenarios = Scenarios(
        validated(case), rulebase, treaty_data(), resolve_settings(rulebase, case.get("_settings"))
    )
    atoms = scenarios.witness()
    assert atoms is not None, "the case has no scenario"
    return atoms


def fired(case: CaseDict) -> set[str]:
    """The ids of the annotated rules that derived something in the case."""
    return {a.arguments[0].string for a in scenario_atoms(case) if a.name == "_why"}
