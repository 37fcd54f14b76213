"""Every rule, switched on and off: a case in which it derives its conclusion, and the smallest change that
stops it. Each row reads as the doctrine it tests; a last test fails the build if a rule has no row."""

from __future__ import annotations

import pytest

from nonrefoulement.rules import load_rulebase

from .builders import (
    DEFENCES,
    Change,
    add,
    adults_only,
    drop,
    edit,
    fired,
    individual,
    person,
    replace_state,
    setting,
    states,
    variant,
)

BASE: tuple[Change, ...] = ()
NO_REMOVAL = (drop("removal"),)
DECIDED = (edit("removal", stage="decided"),)
NO_RISK = (drop("risk"),)
NO_GROUND = (edit("risk", grounds=[]),)
ASSESSED = (edit("no-assessment", made=True),)
STRICT_CUSTOM = (setting("customary", "strict"),)
DEPARTURE = (
    drop("removal"),
    add(id="departure", kind="departure", person="p", origin="ITA", to="IRN", date="2015-06-01"),
    add(id="exit", kind="exit_permission", state="ITA", person="p", to="IRN", date="2015-06-01"),
)
THIRD_STATE = (
    states("ITA", "IRN", "TUR"),
    edit("removal", to="TUR"),
)
KNOWN_PRACTICE = (
    *THIRD_STATE,
    add(
        id="practice",
        kind="practice",
        state="TUR",
        nationality="IRN",
        destination="IRN",
        description="returns Iranians to Iran",
    ),
)
REQUEST_ONLY = (
    states("ITA", "IRN", "KOR"),
    add(id="request", kind="request", state="KOR", requested_state="ITA", person="p"),
)
FOREIGN_AGENTS = (
    edit("removal", by="IRN", manner="escorted_transfer"),
    add(id="exit", kind="exit_permission", state="ITA", person="p", to="IRN", date="2015-06-01"),
)

US_UNDERSTANDING = (replace_state("ITA", "USA"), setting("substantial_grounds", "state_understanding"))
EMBASSY = (
    states("ITA", "IRN", "KOR"),
    add(
        id="embassy",
        kind="shelter",
        person="p",
        state="KOR",
        territory="ITA",
        controlled=True,
        date="2015-05-20",
        until="2015-06-01",
    ),
)
INTERCEPTION = (
    edit("removal", origin=None, manner="interception"),
    edit("held", territory=None, location="vessel"),
)
HONG_KONG = (
    replace_state("ITA", "CHN"),
    edit("removal", origin="HKG"),
    edit("held", territory="HKG"),
    edit("entry", territory="HKG"),
)
ASSURANCE = add(
    id="assurance",
    kind="assurance",
    giver="IRN",
    receiver="ITA",
    person="p",
    monitoring="independent",
    binding_authority=True,
)

# rule id: (changes under which it fires, changes under which it does not)
RULE_CASES: dict[str, tuple[tuple[Change, ...], tuple[Change, ...]]] = {
    # time
    # Taiwan removing to Antarctica: no state in the case is party to any of these treaties
    "time.bound": (BASE, (replace_state("ITA", "TWN"), replace_state("IRN", "ATA"))),
    "time.denunciation": ((replace_state("ITA", "GRC"),), BASE),  # Greece denounced the ECHR in 1969-70
    "time.bound_for_act": (BASE, NO_REMOVAL),
    "time.territorial_application": (
        HONG_KONG,
        (replace_state("ITA", "CHN"),),
    ),  # the RC does not reach Hong Kong
    # jurisdiction
    "jurisdiction.territory": (BASE, NO_REMOVAL),
    "jurisdiction.custody": (BASE, (edit("held", until="2015-05-15"),)),
    "jurisdiction.ever_territory": (BASE, (drop("entry"),)),
    "jurisdiction.ever_custody": (BASE, (drop("held"),)),
    "jurisdiction.ever_territory_of_an_act": (BASE, NO_REMOVAL),
    "jurisdiction.request_is_not_control": (REQUEST_ONLY, BASE),
    "jurisdiction.diplomatic_premises_under_control": (
        EMBASSY,
        (*EMBASSY, edit("embassy", controlled=False)),
    ),
    "jurisdiction.ever_diplomatic_premises_under_control": (
        EMBASSY,
        (*EMBASSY, edit("embassy", controlled=False)),
    ),
    "jurisdiction.presence_on_premises_is_not_control": (
        (*EMBASSY, edit("embassy", controlled=False)),
        EMBASSY,
    ),
    # removal, consent, chain refoulement, children
    "removal.by_own_agents": (BASE, NO_REMOVAL),
    "removal.acquiescence": (FOREIGN_AGENTS, (edit("removal", by="IRN", manner="escorted_transfer"),)),
    "removal.departure_without_genuine_consent": (DEPARTURE, (*DEPARTURE, adults_only)),
    "consent.genuine": ((*DEPARTURE, adults_only), DEPARTURE),
    "consent.vitiated_child_without_guardian": (DEPARTURE, (*DEPARTURE, adults_only)),
    "consent.vitiated_custody_of_feared_state": (
        (
            *DEPARTURE,
            adults_only,
            add(id="dprk-custody", kind="custody", person="p", by="IRN", territory="ITA", date="2015-05-30"),
        ),
        (*DEPARTURE, adults_only),
    ),
    "consent.vitiated_only_alternative_enforceable_removal": (
        (*DEPARTURE, adults_only, edit("departure", alternative="enforceable_removal")),
        (*DEPARTURE, adults_only, edit("departure", alternative="real")),
    ),
    "consent.vitiated_weighed_doubts": (
        (*DEPARTURE, adults_only, edit("departure", in_detention=True, removal_pending=True)),
        (*DEPARTURE, adults_only, edit("departure", in_detention=True)),
    ),
    "removal.to_another_state": (BASE, NO_REMOVAL),
    "refoulement.direct": (BASE, NO_REMOVAL),
    "refoulement.indirect": (KNOWN_PRACTICE, (*KNOWN_PRACTICE, edit("practice", sources=["report-late"]))),
    "refoulement.indirect_no_effective_procedure": (
        (
            *THIRD_STATE,
            add(
                id="procedure",
                kind="asylum_procedure",
                state="TUR",
                effective=False,
                description="no effective procedure",
            ),
        ),
        (
            *THIRD_STATE,
            add(
                id="procedure",
                kind="asylum_procedure",
                state="TUR",
                effective=True,
                description="a real and effective procedure",
            ),
        ),
    ),
    "child.benefit_of_the_doubt": (BASE, (adults_only,)),
    "child.unaccompanied": (BASE, (person(members=[{"count": 2, "age": {"min": 15, "max": 17}}]),)),
    # risk
    "risk.personal_factors": ((edit("risk", basis="personal"),), BASE),
    "risk.systematically_exposed_group": (BASE, (edit("risk", basis="personal"),)),
    "risk.general_pattern": (
        (
            add(
                id="pattern",
                kind="risk",
                destination="IRN",
                harms=["torture"],
                basis="general_pattern",
                description="widespread torture",
            ),
        ),
        BASE,
    ),
    "risk.past_harm_with_pattern": (
        (
            edit("risk", basis="past_harm"),
            add(
                id="pattern",
                kind="risk",
                destination="IRN",
                harms=["torture"],
                basis="general_pattern",
                description="widespread torture",
            ),
        ),
        (edit("risk", basis="past_harm"),),
    ),
    "risk.threat_to_life_or_freedom": (BASE, NO_GROUND),
    "risk.lawful_sanctions": (
        (edit("risk", lawful_sanction_claimed=True, punished_for="ordinary_crime"),),
        (edit("risk", lawful_sanction_claimed=True, punished_for="leaving_the_country"),),
    ),
    "risk.more_likely_than_not": ((edit("risk", likelihood="more_likely_than_not"),), BASE),
    "risk.known_at_the_removal": (BASE, (edit("risk", sources=["report-late"]),)),  # dated after the removal
    "risk.known_at_examination_of_a_pending_removal": (
        (*DECIDED, edit("risk", sources=["report-late"])),  # a decided removal: known when examined
        (edit("risk", sources=["report-late"]),),
    ),
    "risk.torture_beyond_lawful_sanctions": (
        BASE,
        (edit("risk", lawful_sanction_claimed=True, punished_for="ordinary_crime"),),
    ),
    "risk.reliable_assurances": ((ASSURANCE,), (ASSURANCE, edit("assurance", monitoring="none"))),
    "risk.dispelled_by_assurances": ((ASSURANCE,), (ASSURANCE, edit("assurance", track_record="breached"))),
    "risk.torture_by_public_official": (BASE, (edit("risk", inflicted_by="non_state_actors"),)),
    "risk.irreparable_harm": (BASE, (edit("risk", harms=["persecution", "arbitrary_detention"]),)),
    "risk.ill_treatment": (BASE, (edit("risk", harms=["death", "persecution"]),)),
    # Refugee Convention
    # the USA: Protocol only; Malaysia: neither (the destination replaced by one bound by nothing)
    "rc33.bound_by_convention": (BASE, (replace_state("ITA", "USA"), replace_state("IRN", "ATA"))),
    "rc33.bound_by_protocol": (BASE, (replace_state("ITA", "MYS"), replace_state("IRN", "ATA"))),
    "rc.refugee_declaratory": (BASE, NO_GROUND),
    "rc.asylum_seeker_presumptively_protected": (BASE, (drop("claim"),)),
    "rc.several_nationalities": (
        (
            person(other_nationalities=["TUR"]),
            states("ITA", "IRN"),
            setting("several_nationalities", "formal"),
        ),
        (person(other_nationalities=["TUR"]),),
    ),
    "rc.exclusion_1F": ((add(id="1f", kind="exclusion", person="p", clause="a"),), BASE),
    "rc.fair_final_rejection": (
        (
            add(
                id="rejected",
                kind="assessment",
                state="ITA",
                person="p",
                made=True,
                outcome="rejected",
                fair=True,
            ),
        ),
        (
            add(
                id="rejected",
                kind="assessment",
                state="ITA",
                person="p",
                made=True,
                outcome="rejected",
                fair=False,
            ),
        ),
    ),
    "rc.refugee_stateless": (
        (person(nationality=None, habitual_residence="IRN"),),
        (person(nationality=None, habitual_residence="IRN"), edit("risk", grounds=[])),
    ),
    **{
        f"rc.{rule}": (
            (add(id="bar", kind="status_bar", person="p", article=article, description="bar"),),
            BASE,
        )
        for rule, article in (("cessation_1C", "1C"), ("unrwa_1D", "1D"), ("rights_of_nationals_1E", "1E"))
    },
    "rc.geographic_limitation": ((replace_state("ITA", "TUR"),), BASE),  # Turkey: events in Europe only
    "rc.dateline": ((replace_state("ITA", "KNA"),), BASE),  # Saint Kitts and Nevis: the 1951 Convention only
    "rc33.extraterritorial_act": ((*INTERCEPTION, setting("rc33_extraterritorial", "sale")), INTERCEPTION),
    "rc33.exception_security": (
        (add(id="security", kind="danger_to_security", state="ITA", person="p"),),
        BASE,
    ),
    "rc33.exception_serious_crime": (
        (
            add(
                id="crime",
                kind="particularly_serious_crime",
                state="ITA",
                person="p",
                final_judgment=True,
                danger_to_community=True,
            ),
        ),
        (
            add(
                id="crime",
                kind="particularly_serious_crime",
                state="ITA",
                person="p",
                final_judgment=True,
                danger_to_community=False,
            ),
        ),
    ),
    "rc33.engaged_refugee": (BASE, NO_GROUND),
    "rc33.engaged_asylum_seeker": (BASE, (drop("claim"),)),
    "rc33.breach": (BASE, (add(id="security", kind="danger_to_security", state="ITA", person="p"),)),
    "rc33.prospective_breach": (DECIDED, BASE),
    # CAT
    "cat3.engaged": (BASE, (replace_state("ITA", "MYS"),)),  # Malaysia is not a party to CAT
    "cat3.breach": (BASE, NO_RISK),
    "cat3.substantial_grounds": (BASE, NO_RISK),
    "cat3.higher_threshold": (US_UNDERSTANDING, (replace_state("ITA", "USA"),)),
    "cat3.substantial_grounds_state_understanding": (
        (*US_UNDERSTANDING, edit("risk", likelihood="more_likely_than_not")),
        US_UNDERSTANDING,
    ),
    "cat3.prospective_breach": (DECIDED, BASE),
    "cat3.procedural.individual_examination": (BASE, ASSESSED),
    "cat3.procedural.collective_removal": (BASE, (individual,)),
    "cat3.examination_owed_on_a_claim": (BASE, (drop("claim"),)),
    "cat3.examination_owed_on_apparent_risk": (BASE, NO_RISK),
    "cat3.examination_owed_on_a_general_pattern": (
        (
            drop("risk"),
            add(
                id="pattern",
                kind="risk",
                destination="IRN",
                harms=["torture"],
                basis="general_pattern",
                description="widespread torture",
            ),
        ),
        NO_RISK,
    ),
    # ICCPR
    "iccpr7.engaged": (BASE, (replace_state("ITA", "CHN"),)),  # China signed the ICCPR, never ratified
    "iccpr7.breach": (BASE, (edit("risk", harms=["persecution", "arbitrary_detention"]),)),
    "iccpr7.prospective_breach": (DECIDED, BASE),
    # CRC
    "crc.child": (BASE, (adults_only,)),
    "crc.engaged": (BASE, (adults_only,)),
    "crc.breach": (BASE, NO_RISK),
    "crc.prospective_breach": (DECIDED, BASE),
    "crc.procedural.best_interests": (BASE, ASSESSED),
    # ECHR
    "echr3.engaged": (BASE, (replace_state("ITA", "AUS"),)),  # Australia: not a Council of Europe member
    "echr3.breach": (BASE, NO_RISK),
    "echr3.prospective_breach": (DECIDED, BASE),
    "echr_p4_4.alien": (
        BASE,
        (
            states("IRN"),
            drop("removal"),
            drop("held"),
            edit("entry", territory="IRN"),
            edit("no-assessment", state="IRN"),
            edit("claim", state="IRN"),
            *[edit(f"defence-{d}", state="IRN") for d in DEFENCES],
        ),
    ),
    "echr_p4_4.engaged": (BASE, (individual,)),
    "echr_p4_4.breach": (BASE, ASSESSED),
    "echr_p4_4.prospective_breach": (DECIDED, BASE),
    # customary law
    "customary.engaged": (BASE, STRICT_CUSTOM),
    "customary.breach_torture": (BASE, (edit("risk", harms=["persecution"]),)),
    "customary.breach_persecution": (BASE, NO_GROUND),
    "customary.prospective_breach": (DECIDED, BASE),
    "customary.prospective_breach_persecution": (DECIDED, (*DECIDED, *NO_GROUND)),
    # why not engaged
    "not_engaged.not_bound": ((replace_state("ITA", "MYS"),), (states("ITA"), drop("removal"), drop("risk"))),
    "not_engaged.no_removal": (
        BASE,
        (
            states("ITA", "GRC"),
            edit("removal", to="GRC"),
            add(
                id="back",
                kind="removal",
                person="p",
                by="GRC",
                origin="GRC",
                to="ITA",
                manner="deportation",
                date="2015-07-01",
            ),
            drop("risk"),
        ),
    ),
    "not_engaged.state_of_origin": (BASE, (person(nationality=None),)),
    "not_engaged.never_within_jurisdiction": (
        BASE,
        (
            add(
                id="home", kind="presence", person="p", territory="IRN", date="2010-01-01", until="2014-12-01"
            ),
        ),
    ),
    "not_engaged.not_within_jurisdiction_at_act": (
        (*THIRD_STATE, edit("removal", origin="TUR", to="IRN"), drop("held")),
        BASE,
    ),
    "not_engaged.diplomatic_contact_only": (REQUEST_ONLY, BASE),
    "not_engaged.not_a_child": ((adults_only,), BASE),
    "not_engaged.presence_without_control": ((*EMBASSY, edit("embassy", controlled=False)), EMBASSY),
    "not_engaged.geographic_limitation": ((replace_state("ITA", "TUR"),), BASE),
    "not_engaged.dateline": ((replace_state("ITA", "KNA"),), BASE),
    "not_engaged.extraterritorial_sale": (
        (*INTERCEPTION, setting("rc33_extraterritorial", "sale")),
        INTERCEPTION,
    ),
    "not_engaged.not_a_refugee": ((drop("claim"), *NO_GROUND), BASE),
    "not_engaged.customary_not_established": (STRICT_CUSTOM, BASE),
    "not_engaged.not_an_alien": ((individual,), BASE),
    # defences raised, each answered
    **{f"defence.{d}": (BASE, (drop(f"defence-{d}"),)) for d in DEFENCES},
}


def _conditional_rules() -> list[str]:
    """Rule ids of annotated rules with a body (declarations such as obligation/2 always hold)."""
    return sorted(r.id for r in load_rulebase().catalogue.values() if not r.head.endswith("/fact"))


@pytest.mark.parametrize("rule_id", sorted(RULE_CASES))
def test_rule_fires(rule_id: str) -> None:
    positive, _ = RULE_CASES[rule_id]
    assert rule_id in fired(variant(*positive))


@pytest.mark.parametrize("rule_id", sorted(RULE_CASES))
def test_rule_does_not_fire(rule_id: str) -> None:
    _, negative = RULE_CASES[rule_id]
    assert rule_id not in fired(variant(*negative))


def test_every_rule_has_a_positive_and_a_negative_case() -> None:
    missing = sorted(set(_conditional_rules()) - set(RULE_CASES))
    assert not missing, f"rules without tests: {missing}"
    stale = sorted(set(RULE_CASES) - set(_conditional_rules()))
    assert not stale, f"tests for rules that no longer exist: {stale}"
