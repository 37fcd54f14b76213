"""The case library (cases/*.yaml) end to end: each real incident and each counterfactual variant of the
seed, with the findings expected from its facts. Where the engine's finding differs from what the
authoritative body concluded, the test asserts what the engine derives and cases/README.md records the
disagreement."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import yaml

from nonrefoulement import evaluate, load_case
from nonrefoulement.case import Case
from nonrefoulement.findings import Finding, Node, Report

CASES = Path(__file__).resolve().parent.parent / "cases"


@cache
def case(name: str) -> Case:
    return load_case(CASES / f"{name}.yaml")


@cache
def report(name: str) -> Report:
    return evaluate(case(name))


def finding(name: str, state: str, obligation: str, person: str) -> Finding:
    return report(name).finding(state, obligation, person)


def variant(name: str, **changes: dict[str, object]) -> Case:
    """A case file with some facts changed (by id)."""
    data = yaml.safe_load((CASES / f"{name}.yaml").read_text(encoding="utf-8"))
    for item in data["facts"]:
        if item["id"] in changes:
            item.update(changes[item["id"]])
    return Case.model_validate(data)


def rule_ids(node: Node | None) -> set[str]:
    assert node is not None
    return {n.id for n in node.walk()}


def test_every_case_file_loads_and_evaluates() -> None:
    files = sorted(CASES.glob("*.yaml"))
    for file in files:
        loaded = load_case(file)
        assert evaluate(loaded).findings, file.name


# --- Soering v United Kingdom (1989) ---------------------------------------------------------------------


def test_soering_extradition_decided_would_breach_echr3() -> None:
    result = finding("soering-1989", "GBR", "echr3", "soering")
    assert (result.status, result.status_all, result.certainty) == (
        "prospective_breach",
        "prospective_breach",
        "all_accounts",
    )
    assert "echr3.prospective_breach" in rule_ids(result.explanation)


def test_soering_assurance_from_the_prosecutor_dispels_nothing() -> None:
    ids = rule_ids(finding("soering-1989", "GBR", "echr3", "soering").explanation)
    assert "risk.dispelled_by_assurances" not in ids


def test_soering_death_sentence_itself_is_a_claimed_lawful_sanction_the_phenomenon_is_not() -> None:
    retracted = evaluate(case("soering-1989"), retract=["risk-death-row-phenomenon"])
    assert retracted.finding("GBR", "echr3", "soering").status == "engaged"


def test_soering_cat_did_not_yet_bind_the_united_kingdom() -> None:
    # CAT entered into force for the UK on 7 January 1989, after the decision of 3 August 1988.
    result = finding("soering-1989", "GBR", "cat3", "soering")
    assert result.status_all == "not_engaged"
    assert result.reasons == ["not_bound"]


def test_soering_not_a_refugee_nor_a_child_and_the_requesting_state_is_not_engaged() -> None:
    assert finding("soering-1989", "GBR", "rc33", "soering").reasons == ["not_a_refugee_or_asylum_seeker"]
    assert "not_a_child" in finding("soering-1989", "GBR", "crc", "soering").reasons
    assert finding("soering-1989", "GBR", "customary", "soering").status == "engaged"
    usa = finding("soering-1989", "USA", "echr3", "soering")
    assert {"diplomatic_contact_only", "never_within_jurisdiction"} <= set(usa.reasons)


# --- Chahal v United Kingdom (1996) ----------------------------------------------------------------------


def test_chahal_national_security_cannot_outweigh_the_absolute_prohibitions() -> None:
    for obligation in ("echr3", "cat3", "iccpr7", "customary"):
        result = finding("chahal-1996", "GBR", obligation, "chahal")
        assert (result.status, result.certainty) == ("prospective_breach", "all_accounts"), obligation


def test_chahal_danger_to_security_defeats_only_article_33() -> None:
    result = finding("chahal-1996", "GBR", "rc33", "chahal")
    assert (result.status, result.status_all) == ("engaged", "engaged")
    without = evaluate(case("chahal-1996"), retract=["chahal-danger-to-security"])
    assert without.finding("GBR", "rc33", "chahal").status == "prospective_breach"
    assert without.finding("GBR", "echr3", "chahal").status == "prospective_breach"


def test_chahal_indian_assurances_without_monitoring_do_not_dispel_the_risk() -> None:
    result = finding("chahal-1996", "GBR", "echr3", "chahal")
    assert "risk.dispelled_by_assurances" not in rule_ids(result.explanation)
    assert "risk.systematically_exposed_group" in rule_ids(result.explanation)


def test_chahal_india_as_state_of_origin_engages_nothing() -> None:
    result = finding("chahal-1996", "IND", "echr3", "chahal")
    assert result.status == "not_engaged"
    assert "state_of_origin" in result.reasons


# --- Saadi v Italy (2008) --------------------------------------------------------------------------------


def test_saadi_deportation_to_tunisia_would_breach_the_absolute_prohibitions() -> None:
    for obligation in ("echr3", "cat3", "iccpr7", "customary"):
        result = finding("saadi-2008", "ITA", obligation, "saadi")
        assert (result.status, result.certainty) == ("prospective_breach", "all_accounts"), obligation
    rc33 = finding("saadi-2008", "ITA", "rc33", "saadi")
    assert rc33.status == "engaged"  # Art 33(2): the security ground defeats Art 33 alone


def test_saadi_even_monitored_assurances_fail_against_a_general_pattern_of_torture() -> None:
    monitored = variant("saadi-2008", **{"tunisia-notes-verbales": {"monitoring": "independent"}})
    assert evaluate(monitored).finding("ITA", "echr3", "saadi").status == "prospective_breach"


def test_saadi_monitored_assurances_without_a_pattern_would_dispel_the_risk() -> None:
    monitored = variant("saadi-2008", **{"tunisia-notes-verbales": {"monitoring": "independent"}})
    result = evaluate(monitored, retract=["tunisia-pattern"]).finding("ITA", "echr3", "saadi")
    assert result.status == "engaged"


# --- Cambodia: 20 Uyghurs returned to China (2009) ----------------------------------------------------------


@pytest.mark.parametrize("obligation", ["rc33", "cat3", "iccpr7", "crc", "customary"])
def test_cambodia_breached_every_obligation_binding_it(obligation: str) -> None:
    result = finding("cambodia-uyghurs-2009", "KHM", obligation, "uyghurs")
    assert (result.status, result.status_all, result.certainty) == ("breach", "breach", "all_accounts")


def test_cambodia_collective_removal_without_examination_and_no_best_interests_determination() -> None:
    cat3 = finding("cambodia-uyghurs-2009", "KHM", "cat3", "uyghurs")
    expected = {"collective_removal_without_examination", "no_individual_assessment"}
    assert set(cat3.procedural.grounds) == expected
    crc = finding("cambodia-uyghurs-2009", "KHM", "crc", "uyghurs")
    assert crc.procedural.grounds == ["no_best_interests_determination"]


def test_cambodia_asylum_seekers_protected_before_any_status_determination() -> None:
    ids = rule_ids(finding("cambodia-uyghurs-2009", "KHM", "rc33", "uyghurs").explanation)
    assert "rc33.engaged_asylum_seeker" in ids or "rc33.engaged_refugee" in ids
    defences = {d.defence for d in finding("cambodia-uyghurs-2009", "KHM", "rc33", "uyghurs").defences}
    assert defences == {"illegal_entry", "internal_law"}


def test_cambodia_not_bound_by_the_echr_and_china_engages_nothing_as_state_of_origin() -> None:
    assert finding("cambodia-uyghurs-2009", "KHM", "echr3", "uyghurs").reasons == ["not_bound"]
    china = finding("cambodia-uyghurs-2009", "CHN", "cat3", "uyghurs")
    assert china.status == "not_engaged"
    assert "state_of_origin" in china.reasons


# --- Counterfactual: the seed's acts before CAT bound Lao PDR -----------------------------------------------


def test_before_cat_entered_into_force_laos_is_not_bound_by_it() -> None:
    assert case("laos-china-2012-before-cat").hypothetical
    result = finding("laos-china-2012-before-cat", "LAO", "cat3", "nine")
    assert (result.status, result.status_all) == ("not_engaged", "not_engaged")
    assert result.reasons == ["not_bound"]
    assert result.procedural.grounds == []


def test_before_cat_laos_still_breaches_the_iccpr_crc_and_custom_and_china_is_unchanged() -> None:
    for obligation in ("iccpr7", "crc", "customary"):
        result = finding("laos-china-2012-before-cat", "LAO", obligation, "nine")
        assert (result.status, result.certainty) == ("breach", "all_accounts"), obligation
    for obligation in ("cat3", "rc33", "crc", "customary"):
        result = finding("laos-china-2012-before-cat", "CHN", obligation, "nine")
        assert (result.status, result.certainty) == ("breach", "all_accounts"), obligation


# --- Counterfactual: the nine in the ROK embassy under its agents' control ----------------------------------


@pytest.mark.parametrize("obligation", ["cat3", "iccpr7", "crc", "customary", "rc33"])
def test_rok_embassy_control_brings_jurisdiction_and_the_handover_breaches(obligation: str) -> None:
    assert case("laos-china-2013-rok-embassy").hypothetical
    result = finding("laos-china-2013-rok-embassy", "KOR", obligation, "nine")
    assert (result.status, result.certainty) == ("breach", "all_accounts")


def test_rok_handover_is_chain_refoulement_through_a_state_without_a_procedure() -> None:
    ids = rule_ids(finding("laos-china-2013-rok-embassy", "KOR", "cat3", "nine").explanation)
    assert "jurisdiction.diplomatic_premises_under_control" in ids
    assert "refoulement.indirect_no_effective_procedure" in ids


def test_rok_embassy_presence_without_control_engages_nothing() -> None:
    change = {"nine-shelter-in-rok-embassy": {"controlled": False}}
    uncontrolled = variant("laos-china-2013-rok-embassy", **change)
    result = evaluate(uncontrolled).finding("KOR", "cat3", "nine")
    assert result.status == "not_engaged"
    assert "not_within_jurisdiction" in result.reasons


def test_rok_embassy_variant_leaves_laos_in_breach() -> None:
    result = finding("laos-china-2013-rok-embassy", "LAO", "cat3", "nine")
    assert (result.status, result.certainty) == ("breach", "all_accounts")


# --- Counterfactual: the nine sent to the Republic of Korea -------------------------------------------------


@pytest.mark.parametrize("obligation", ["cat3", "iccpr7", "crc", "customary"])
def test_removal_to_the_rok_engages_but_does_not_breach(obligation: str) -> None:
    assert case("laos-2013-to-rok").hypothetical
    result = finding("laos-2013-to-rok", "LAO", obligation, "nine")
    assert (result.status, result.status_all, result.certainty) == ("engaged", "engaged", "all_accounts")
    assert result.procedural.grounds == []


def test_removal_to_the_rok_the_receiving_state_and_the_state_of_origin_engage_nothing() -> None:
    rok = finding("laos-2013-to-rok", "KOR", "cat3", "nine")
    assert {"diplomatic_contact_only", "never_within_jurisdiction"} <= set(rok.reasons)
    assert "state_of_origin" in finding("laos-2013-to-rok", "PRK", "cat3", "nine").reasons
    assert finding("laos-2013-to-rok", "LAO", "rc33", "nine").reasons == ["not_bound"]


def test_removal_to_safety_without_a_claim_owes_no_examination_of_risk_but_still_a_best_interests_one() -> (
    None
):
    data = yaml.safe_load((CASES / "laos-2013-to-rok.yaml").read_text(encoding="utf-8"))
    data["facts"].append(
        {"id": "laos-no-assessment", "kind": "assessment", "state": "LAO", "person": "nine", "made": False}
        | {"sources": ["unhcr-2013-05-30"]}
    )
    case = Case.model_validate(data)
    result = evaluate(case).finding("LAO", "cat3", "nine")
    assert result.status == "engaged"
    assert result.procedural.grounds == []  # CAT GC4 para 13: the examination is "in regard to personal risk"
    assert evaluate(case).finding("LAO", "crc", "nine").procedural.grounds == [
        "no_best_interests_determination"
    ]


# --- China: North Koreans detained in February 2012 ---------------------------------------------------------


@pytest.mark.parametrize("obligation", ["rc33", "cat3", "customary"])
def test_china_2012_breach_holds_on_the_account_that_the_group_was_returned(obligation: str) -> None:
    result = finding("china-north-koreans-2012", "CHN", obligation, "group")
    assert (result.status, result.status_all, result.certainty) == ("breach", "not_engaged", "some_accounts")
    assert result.accounts == ["returned=repatriated"]


def test_china_2012_without_a_confirmed_return_nothing_is_engaged() -> None:
    report = evaluate(case("china-north-koreans-2012"), accounts={"returned": "not-confirmed"})
    result = report.finding("CHN", "cat3", "group")
    assert result.status == "not_engaged"
    assert "no_removal" in result.reasons


def test_china_2012_same_legal_setting_as_the_seed() -> None:
    assert finding("china-north-koreans-2012", "CHN", "iccpr7", "group").reasons == ["not_bound"]
    rc33 = finding("china-north-koreans-2012", "CHN", "rc33", "group")
    assert rc33.contested_law == ["several_nationalities"]
    cat3 = finding("china-north-koreans-2012", "CHN", "cat3", "group")
    assert "collective_removal_without_examination" in cat3.procedural.grounds


# --- Pakistan: deportations of Afghans from November 2023 ---------------------------------------------------


def test_pakistan_not_bound_by_the_refugee_convention() -> None:
    result = finding("pakistan-afghans-2023", "PAK", "rc33", "at-risk-afghans")
    assert (result.status_all, result.reasons) == ("not_engaged", ["not_bound"])


@pytest.mark.parametrize("obligation", ["cat3", "iccpr7", "crc", "customary"])
def test_pakistan_breached_cat_iccpr_crc_and_custom(obligation: str) -> None:
    result = finding("pakistan-afghans-2023", "PAK", obligation, "at-risk-afghans")
    assert (result.status, result.certainty) == ("breach", "all_accounts")


def test_pakistan_mass_deportation_without_individual_determination() -> None:
    cat3 = finding("pakistan-afghans-2023", "PAK", "cat3", "at-risk-afghans")
    expected = {"collective_removal_without_examination", "no_individual_assessment"}
    assert set(cat3.procedural.grounds) == expected


def test_pakistan_leaving_under_threat_of_arrest_is_a_removal_not_a_free_choice() -> None:
    report = evaluate(case("pakistan-afghans-2023"), retract=["pakistan-deports-afghans"])
    result = report.finding("PAK", "cat3", "at-risk-afghans")
    assert result.status == "engaged"  # the risk evidence read is dated after the pre-deadline departures
    assert "consent.vitiated_only_alternative_enforceable_removal" in rule_ids(result.explanation)


# --- The Tampa (2001) ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("obligation", ["rc33", "cat3", "iccpr7", "crc", "customary"])
def test_tampa_transfer_to_nauru_engaged_australia_without_a_substantive_breach(obligation: str) -> None:
    result = finding("tampa-2001", "AUS", obligation, "rescued")
    assert (result.status, result.status_all, result.certainty) == ("engaged", "engaged", "all_accounts")


def test_tampa_jurisdiction_by_control_aboard_the_vessel() -> None:
    ids = rule_ids(finding("tampa-2001", "AUS", "cat3", "rescued").explanation)
    assert "jurisdiction.custody" in ids


def test_tampa_transfer_without_prior_examination_is_flagged_procedurally() -> None:
    cat3 = finding("tampa-2001", "AUS", "cat3", "rescued")
    assert "collective_removal_without_examination" in cat3.procedural.grounds


def test_tampa_nauru_not_a_refugee_convention_party_in_2001() -> None:
    result = finding("tampa-2001", "NRU", "rc33", "rescued")
    assert result.status == "not_engaged"
    assert {"not_bound", "no_removal"} <= set(result.reasons)


# --- Hirsi Jamaa v Italy (push-back of 6 May 2009) ----------------------------------------------------------


@pytest.mark.parametrize("person", ["eritreans", "somalis"])
@pytest.mark.parametrize("obligation", ["echr3", "echr_p4_4", "cat3", "iccpr7", "customary"])
def test_hirsi_push_back_to_libya_breaches(obligation: str, person: str) -> None:
    result = finding("hirsi-jamaa-2009", "ITA", obligation, person)
    assert (result.status, result.certainty) == ("breach", "all_accounts")


def test_hirsi_jurisdiction_by_control_aboard_italian_ships_on_the_high_seas() -> None:
    ids = rule_ids(finding("hirsi-jamaa-2009", "ITA", "echr3", "somalis").explanation)
    assert "jurisdiction.custody" in ids
    assert "jurisdiction.territory" not in ids


def test_hirsi_chain_risk_of_return_to_eritrea_through_libya() -> None:
    without_libya_risk = evaluate(case("hirsi-jamaa-2009"), retract=["risk-migrants-in-libya"])
    result = without_libya_risk.finding("ITA", "echr3", "eritreans")
    assert result.status == "breach"
    chain = {"refoulement.indirect", "refoulement.indirect_no_effective_procedure"}
    assert chain & rule_ids(result.explanation)


def test_hirsi_refugee_convention_at_sea_is_contested_law() -> None:
    result = finding("hirsi-jamaa-2009", "ITA", "rc33", "eritreans")
    assert result.status == "breach"
    assert "rc33_extraterritorial" in result.contested_law
    sale = evaluate(case("hirsi-jamaa-2009"), settings={"rc33_extraterritorial": "sale"})
    assert "act_outside_territory" in sale.finding("ITA", "rc33", "eritreans").reasons
    # Somalis fleeing generalised violence by armed groups show no Convention ground in this file.
    assert finding("hirsi-jamaa-2009", "ITA", "rc33", "somalis").reasons == ["not_a_refugee_or_asylum_seeker"]
