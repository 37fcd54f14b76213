"""Explanations analysts cite: golden wording, templates for every conclusion, decisive facts checked against
brute force, what-if, diff and scenarios."""

from __future__ import annotations

import itertools
import os
from functools import cache
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from nonrefoulement import evaluate, load_case
from nonrefoulement.case import Case
from nonrefoulement.cli import main
from nonrefoulement.compare import compare_reports
from nonrefoulement.decisive import decisive_facts
from nonrefoulement.findings import Report
from nonrefoulement.render import render_explanation, render_report
from nonrefoulement.rules import load_rulebase
from nonrefoulement.scenarios import summarize

from .builders import add, drop, validated, variant

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "cases" / "laos-china-2013.yaml"
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"


@cache
def seed_report() -> Report:
    return evaluate(load_case(SEED))


def assert_snapshot(name: str, text: str) -> None:
    """Compare with tests/snapshots/NAME; UPDATE_SNAPSHOTS=1 rewrites it (review the diff, then commit)."""
    path = SNAPSHOTS / name
    if UPDATE or not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"snapshot {name} was missing and has been written: review and commit it")
    assert text == path.read_text(encoding="utf-8"), f"explanation wording changed: see {path}"


# --- golden wording -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "obligation", "person"),
    [("LAO", "cat3", "nine"), ("CHN", "cat3", "nine"), ("CHN", "iccpr7", "nine"), ("KOR", "cat3", "nine")],
)
def test_seed_explanation_text_is_stable(state: str, obligation: str, person: str) -> None:
    finding = seed_report().finding(state, obligation, person)
    assert finding.explanation is not None
    text = render_explanation(finding.explanation, "text", width=110)
    assert_snapshot(f"seed-{state}-{obligation}-{person}.txt", text)


def test_seed_report_markdown_is_stable() -> None:
    report = seed_report()
    focus = report.model_copy(
        update={
            "findings": [
                f
                for f in report.findings
                if f.state == "LAO" and f.person == "nine" and f.obligation in ("rc33", "cat3")
            ]
        }
    )
    assert_snapshot("seed-LAO-nine.md", render_report(focus, "markdown"))


def test_markdown_footnotes_resolve_to_sources() -> None:
    text = render_report(seed_report(), "markdown")
    cited = {line.split("]")[0][2:] for line in text.splitlines() if line.startswith("[^")}
    assert cited, "the Markdown lists its sources as footnotes"
    for source in cited:
        assert f"[^{source}]" in text.split("## Sources")[0]


# --- every conclusion reads as a sentence and every finding is explained --------------------------------


def test_every_conclusion_has_a_sentence_template() -> None:
    rulebase = load_rulebase()
    heads = {info.head.removesuffix("/fact") for info in rulebase.catalogue.values()}
    heads -= {"obligation/2"}  # declarations, named by their citation
    missing = sorted(h for h in heads if h not in rulebase.templates)
    assert not missing, f"predicates without a %! pred template: {missing}"


@pytest.mark.parametrize("path", sorted((ROOT / "cases").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_finding_of_every_case_is_explained(path: Path) -> None:
    for finding in evaluate(load_case(path)).findings:
        assert finding.explanation is not None
        nodes = finding.explanation.walk()
        assert any(n.kind in ("rule", "defence") and n.citation for n in nodes), finding.state
        if finding.status != "not_engaged":
            assert any(n.sources for n in nodes if n.kind == "fact"), (finding.state, finding.obligation)


def test_defences_appear_in_the_tree_with_the_rule_answering_them() -> None:
    explanation = seed_report().finding("CHN", "cat3", "nine").explanation
    assert explanation is not None
    defences = {n.id for n in explanation.walk() if n.kind == "defence"}
    assert {"defence.economic_migrants", "defence.valid_travel_documents"} <= defences


def test_negative_conditions_are_shown_as_checked() -> None:
    explanation = seed_report().finding("CHN", "rc33", "nine").explanation
    assert explanation is not None
    absent = [n for n in explanation.walk() if n.kind == "absent"]
    assert any("Art. 33(2)" in (n.citation or "") for n in absent), "33(2) was checked and found not to apply"


# --- decisive facts -------------------------------------------------------------------------------------


def _brute_force_decisive(
    case: Case, key: tuple[str, str, str], status: str, max_size: int
) -> list[list[str]]:
    """Every minimal set of up to max_size facts whose withdrawal brings the finding below status."""
    rank = ["not_engaged", "engaged", "prospective_breach", "breach"].index(status)
    ids = [f.id for f in case.facts]
    found: list[set[str]] = []
    for size in range(1, max_size + 1):
        for subset in itertools.combinations(ids, size):
            if any(prior <= set(subset) for prior in found):
                continue
            finding = evaluate(case, retract=subset, explain=False).finding(*key)
            if ["not_engaged", "engaged", "prospective_breach", "breach"].index(finding.status) < rank:
                found.append(set(subset))
    return sorted(sorted(s) for s in found)


def test_decisive_facts_match_brute_force_on_a_small_case() -> None:
    small = validated(
        variant(
            *(
                drop(f"defence-{d}")
                for d in (
                    "internal_law",
                    "bilateral_agreement",
                    "economic_migrants",
                    "valid_travel_documents",
                    "trafficking_by_escorts",
                    "consent_of_origin_state",
                    "no_request_for_return",
                    "illegal_entry",
                )
            ),
            add(
                id="pattern",
                kind="risk",
                destination="IRN",
                harms=["torture"],
                basis="general_pattern",
                description="widespread torture",
            ),
        )
    )
    key = ("ITA", "cat3", "p")
    assert evaluate(small, explain=False).finding(*key).status == "breach"
    by_solver = sorted(sorted(s) for s in decisive_facts(small, key, "breach", limit=50, max_size=2))
    assert by_solver == _brute_force_decisive(small, key, "breach", max_size=2)
    assert ["removal"] in by_solver and ["risk"] in by_solver


def test_decisive_facts_of_the_seed_name_the_chain_through_china() -> None:
    case = load_case(SEED)
    scenario = ["dates=may-27-28", "departure-from-china=dprk-escort", "laos-act=deported-to-china"]
    sets = decisive_facts(case, ("LAO", "cat3", "nine"), "breach", scenario)
    assert ["china-returns-north-koreans"] in sets  # the known practice that makes onward removal foreseeable
    assert ["laos-deports-to-china"] in sets


# --- what-if, diff, scenarios ---------------------------------------------------------------------------


def test_what_if_retracting_the_risk_changes_the_breach() -> None:
    case = load_case(SEED)
    after = evaluate(case, retract=["risk-returnees", "risk-missionary-contact"], explain=False)
    diff = compare_reports(evaluate(case, explain=False), after)
    changed = {(c.state, c.obligation) for c in diff.changes}
    assert ("LAO", "cat3") in changed and ("CHN", "cat3") in changed
    assert after.finding("LAO", "cat3", "nine").status == "engaged"


def test_assuming_an_unknown_fact_settles_the_finding() -> None:
    data = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    for item in data["facts"]:
        if item["id"] == "china-approves-exit":
            item["unknown"] = True
    case = Case.model_validate(data)
    open_finding = evaluate(case, explain=False).finding("CHN", "cat3", "nine")
    assert open_finding.certainty == "some_accounts"
    assert open_finding.holds_if == [["china-approves-exit"]]
    assert open_finding.fails_if == [["not china-approves-exit"]]
    settled = evaluate(case, assume=["china-approves-exit"], explain=False).finding("CHN", "cat3", "nine")
    assert settled.certainty == "all_accounts" and settled.status == "breach"
    summary = summarize(case)
    assert summary.scenarios == 16
    assert any("china-approves-exit" in group for group in summary.groups)


def test_nonref_diff_shows_changed_findings(tmp_path: Path) -> None:
    data = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    data["facts"] = [f for f in data["facts"] if f["id"] != "china-returns-north-koreans"]
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(main, ["diff", str(SEED), str(changed)])
    assert result.exit_code == 0, result.output
    # Without China's known practice, Laos's deportation into China no longer foreseeably led to the DPRK:
    # the breach now holds only on Laos's own account (a direct handover to DPRK agents).
    assert "LAO cat3 nine: breach / breach / all_accounts" in result.output
    assert "→  breach / engaged / some_accounts" in result.output


def test_nonref_scenarios_and_explain_decisive_from_the_cli() -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["scenarios", str(SEED), "--list", "2"])
    assert result.exit_code == 0, result.output
    assert "8 scenario(s)" in result.output and "1. " in result.output
    result = runner.invoke(
        main,
        ["explain", str(SEED), "--state", "LAO", "--obligation", "cat3", "--person", "nine", "--decisive"],
    )
    assert result.exit_code == 0, result.output
    assert "Decisive facts" in result.output
