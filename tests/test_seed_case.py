"""The seed case (Laos and China, May 2013) end to end: the expected analysis of legal-reference §4,
derived by the rules from the case file's facts."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path

import pytest
import yaml

from nonrefoulement import evaluate, load_case
from nonrefoulement.case import Case
from nonrefoulement.findings import Node, Report

SEED = Path(__file__).resolve().parent.parent / "cases" / "laos-china-2013.yaml"
OBLIGATIONS = ("rc33", "cat3", "iccpr7", "crc", "echr3", "echr_p4_4", "customary")


@cache
def seed_case() -> Case:
    return load_case(SEED)


@cache
def seed_report() -> Report:
    return evaluate(seed_case())


def rule_ids(node: Node | None) -> set[str]:
    assert node is not None
    return {n.id for n in node.walk()}


def variant(**changes: dict[str, object]) -> Case:
    """The seed case with some facts changed (by id)."""
    data = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    for item in data["facts"]:
        if item["id"] in changes:
            item.update(changes[item["id"]])
    return Case.model_validate(data)


# --- Lao PDR ------------------------------------------------------------------------------------------


def test_laos_breached_cat3_under_every_account() -> None:
    finding = seed_report().finding("LAO", "cat3", "nine")
    assert (finding.status, finding.status_all, finding.certainty) == ("breach", "breach", "all_accounts")
    assert "no_individual_assessment" in finding.procedural.grounds
    assert finding.procedural.certainty == "all_accounts"


def test_laos_refugee_convention_not_engaged_because_not_a_party() -> None:
    finding = seed_report().finding("LAO", "rc33", "nine")
    assert finding.status_all == "not_engaged"
    assert "not_bound" in finding.reasons


def test_laos_iccpr_crc_and_customary_breaches() -> None:
    report = seed_report()
    for obligation in ("iccpr7", "crc", "customary"):
        assert report.finding("LAO", obligation, "nine").status_all == "breach", obligation
    assert report.finding("LAO", "customary", "nine").contested_law == ["customary"]
    assert report.finding("LAO", "crc", "nine").procedural.grounds == ["no_best_interests_determination"]


def test_laos_defences_are_each_answered() -> None:
    defences = {d.defence for d in seed_report().finding("LAO", "cat3", "nine").defences}
    assert {"illegal_entry", "internal_law", "trafficking_by_escorts", "consent_of_origin_state"} <= defences


@pytest.mark.parametrize(
    ("account", "route_rule"),
    [("deported-to-china", "refoulement.indirect"), ("handed-to-dprk-embassy", "refoulement.direct")],
)
def test_laos_breach_is_explained_differently_under_each_account(account: str, route_rule: str) -> None:
    report = evaluate(seed_case(), accounts={"laos-act": account})
    finding = report.finding("LAO", "cat3", "nine")
    assert finding.status == "breach"
    assert route_rule in rule_ids(finding.explanation)
    assert f"laos-act={account}" in finding.explanation.accounts  # type: ignore[union-attr]


# --- China ----------------------------------------------------------------------------------------------


def test_china_breached_cat3_and_rc33_under_every_account() -> None:
    report = seed_report()
    for obligation in ("cat3", "rc33", "crc", "customary"):
        finding = report.finding("CHN", obligation, "nine")
        assert (finding.status, finding.certainty) == ("breach", "all_accounts"), obligation
    assert report.finding("CHN", "rc33", "nine").contested_law == ["several_nationalities"]


def test_china_is_not_bound_by_the_iccpr_it_only_signed() -> None:
    finding = seed_report().finding("CHN", "iccpr7", "nine")
    assert finding.status_all == "not_engaged"
    assert finding.reasons == ["not_bound"]


def test_no_account_clears_china_children_cannot_consent() -> None:
    report = evaluate(seed_case(), accounts={"departure-from-china": "own-documents"})
    finding = report.finding("CHN", "cat3", "nine")
    assert finding.status == "breach"
    ids = rule_ids(finding.explanation)
    assert "removal.departure_without_genuine_consent" in ids
    assert "consent.vitiated_child_without_guardian" in ids


def test_only_adults_freely_leaving_on_their_own_documents_would_clear_china() -> None:
    data = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    data["persons"][0]["members"] = [{"count": 9, "age": {"min": 18, "max": 23}}]
    adults = Case.model_validate(data)
    finding = evaluate(adults).finding("CHN", "cat3", "nine")
    assert (finding.status, finding.status_all, finding.certainty) == (
        "breach",
        "not_engaged",
        "some_accounts",
    )
    # Leaving "on their own documents" from the custody of DPRK agents (Laos's own account) is no free choice.
    cleared = evaluate(
        adults, accounts={"departure-from-china": "own-documents", "laos-act": "deported-to-china"}
    )
    assert cleared.finding("CHN", "cat3", "nine").status == "not_engaged"
    in_dprk_custody = evaluate(
        adults, accounts={"departure-from-china": "own-documents", "laos-act": "handed-to-dprk-embassy"}
    ).finding("CHN", "cat3", "nine")
    assert in_dprk_custody.status == "breach"
    assert "consent.vitiated_custody_of_feared_state" in rule_ids(in_dprk_custody.explanation)


def test_china_exit_approval_unknown_makes_its_breach_uncertain() -> None:
    case = variant(**{"china-approves-exit": {"unknown": True}})
    finding = evaluate(case).finding("CHN", "cat3", "nine")
    assert (finding.status, finding.status_all, finding.certainty) == (
        "breach",
        "not_engaged",
        "some_accounts",
    )
    assert finding.unknowns == ["china-approves-exit"]


def test_assessment_unknown_makes_only_the_procedural_finding_uncertain() -> None:
    case = variant(**{"laos-no-assessment": {"unknown": True}})
    finding = evaluate(case).finding("LAO", "cat3", "nine")
    assert finding.certainty == "all_accounts"
    assert (finding.procedural.status, finding.procedural.status_all) == ("breach", "none")
    assert finding.procedural.certainty == "some_accounts"


# --- DPRK and the Republic of Korea ------------------------------------------------------------------------


@pytest.mark.parametrize("obligation", OBLIGATIONS)
def test_dprk_taking_back_its_nationals_engages_nothing(obligation: str) -> None:
    finding = seed_report().finding("PRK", obligation, "nine")
    assert finding.status == "not_engaged"
    assert "state_of_origin" in finding.reasons


@pytest.mark.parametrize("obligation", OBLIGATIONS)
def test_republic_of_korea_never_had_jurisdiction(obligation: str) -> None:
    finding = seed_report().finding("KOR", obligation, "nine")
    assert finding.status == "not_engaged"
    assert "never_within_jurisdiction" in finding.reasons
    assert "diplomatic_contact_only" in finding.reasons


def test_every_finding_is_explained_with_a_rule_and_a_source() -> None:
    for finding in seed_report().findings:
        assert finding.explanation is not None
        nodes = finding.explanation.walk()
        assert any(n.kind in ("rule", "defence") and n.citation for n in nodes), finding
        if finding.status != "not_engaged":
            assert any(n.sources for n in nodes), finding


def test_one_finding_per_state_obligation_and_person() -> None:
    keys = [(f.state, f.obligation, f.person) for f in seed_report().findings]
    assert len(keys) == len(set(keys)) == 4 * len(OBLIGATIONS) * 2
