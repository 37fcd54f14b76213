"""The case-file model: what an analyst writes, validated by pydantic.

A case file holds the facts of one incident, each with its sources. Facts are typed by ``kind``;
facts that one side asserts and another denies are grouped into the accounts of a contested point.
Nothing here reasons about the law: the rules in ``rules/`` do that.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Identifier = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        max_length=120,
        description="An identifier: letters, digits, '.', '_' or '-', starting with a letter or digit.",
    ),
]
StateCode = Annotated[
    str,
    Field(
        pattern=r"^[A-Z]{3}$",
        description="An ISO 3166-1 alpha-3 code (LAO, CHN, PRK, KOR, ...).",
    ),
]
Text = Annotated[str, Field(max_length=20_000)]

_ACCOUNT_REF = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)=([A-Za-z0-9][A-Za-z0-9._-]*)$")


class Model(BaseModel):
    """Base of every case-file model: unknown fields are errors, not silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DateRange(Model):
    """A date known only within a range ("late May", "in April 2013")."""

    earliest: dt.date
    latest: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.latest < self.earliest:
            raise ValueError(f"latest ({self.latest}) is before earliest ({self.earliest})")
        return self


When = dt.date | DateRange
"""A day, or a range of days when the sources are vague."""


def earliest(when: When) -> dt.date:
    return when.earliest if isinstance(when, DateRange) else when


def latest(when: When) -> dt.date:
    return when.latest if isinstance(when, DateRange) else when


class Source(Model):
    id: Identifier
    title: Text
    publisher: Text
    date: dt.date = Field(
        description="The date the source was published: evidence counts toward what a "
        "state knew only if its source is dated on or before the act."
    )
    url: Text | None = None
    quote: Text | None = Field(default=None, description="The passage relied on, quoted exactly.")
    cited_in: Identifier | None = Field(
        default=None,
        description="The id of another source that quotes this one, where it is known only from it.",
    )


class AgeRange(Model):
    min: int = Field(ge=0, le=130)
    max: int = Field(ge=0, le=130)

    @model_validator(mode="after")
    def _ordered(self) -> AgeRange:
        if self.max < self.min:
            raise ValueError(f"max age ({self.max}) is below min age ({self.min})")
        return self


class Members(Model):
    """A class of members of a group: how many, how old (at the time of the events)."""

    count: int | None = Field(
        default=None, ge=1, le=10_000_000, description="How many; omit where the sources give no number."
    )
    age: AgeRange | None = Field(
        default=None,
        description="Age or age range at the time of the events; "
        "where sources disagree give the widest range: the benefit of the doubt "
        "on age goes to the person.",
    )
    unaccompanied: bool | None = Field(
        default=None, description="True where no parent or guardian is with them."
    )
    description: Text | None = None
    sources: list[Identifier] = Field(default_factory=list)


class Person(Model):
    """An individual or a group the case is about."""

    id: Identifier
    name: Text = Field(description="How explanations name the person or group: 'the nine', 'Mr A'.")
    description: Text | None = None
    kind: Literal["individual", "group"] = "individual"
    nationality: StateCode | None = Field(
        default=None, description="State of nationality; null if stateless."
    )
    habitual_residence: StateCode | None = Field(
        default=None,
        description="For a stateless person: the country of former habitual residence (Art 1A(2)).",
    )
    other_nationalities: list[StateCode] = Field(
        default_factory=list,
        description="Other nationalities the person has or is attributed (Art 1A(2), second paragraph).",
    )
    members: list[Members] = Field(
        default_factory=list,
        description="For a group: its members by age class. For an individual: at most one.",
    )
    sources: list[Identifier] = Field(default_factory=list)

    @model_validator(mode="after")
    def _individual_has_one_member_class(self) -> Person:
        if self.kind == "individual" and (
            len(self.members) > 1 or any(m.count not in (1, None) for m in self.members)
        ):
            raise ValueError("an individual has at most one member entry, with count 1")
        return self


class Account(Model):
    id: Identifier
    label: Text
    sources: list[Identifier] = Field(min_length=1)


class ContestedPoint(Model):
    """One disputed proposition and the accounts of it. Exactly one account holds in each scenario."""

    id: Identifier
    question: Text
    accounts: list[Account] = Field(min_length=2)


class FactBase(Model):
    id: Identifier
    sources: list[Identifier] = Field(min_length=1)
    account: str | None = Field(
        default=None,
        description="'POINT=ACCOUNT': the fact holds only under that account of a contested point.",
    )
    unknown: bool = Field(default=False, description="Neither asserted nor denied: the engine tries both.")
    quote: Text | None = Field(default=None, description="Words of the source supporting this fact.")
    note: Text | None = None

    @field_validator("account")
    @classmethod
    def _account_ref(cls, value: str | None) -> str | None:
        if value is not None and not _ACCOUNT_REF.match(value):
            raise ValueError("expected 'POINT=ACCOUNT', two identifiers joined by '='")
        return value

    @property
    def account_ref(self) -> tuple[str, str] | None:
        if self.account is None:
            return None
        point, _, account = self.account.partition("=")
        return point, account

    def persons(self) -> list[str]:
        person = getattr(self, "person", None)
        return [person] if person else list(getattr(self, "persons_concerned", []))

    def states(self) -> list[str]:
        """Every state code the fact names (for consistency checks)."""
        names: list[str] = []
        for field in (
            "state",
            "by",
            "territory",
            "origin",
            "to",
            "destination",
            "requested_state",
            "giver",
            "receiver",
        ):
            value = getattr(self, field, None)
            if isinstance(value, str):
                names.append(value)
        return names


class Presence(FactBase):
    """The person was in a state's territory."""

    kind: Literal["presence"]
    person: Identifier
    territory: StateCode
    date: When = Field(description="Arrival (or the first day the sources place the person there).")
    until: When | None = None
    entry: Literal["lawful", "unlawful", "unknown"] = "unknown"


class Custody(FactBase):
    """The person was held by agents of a state (in its territory or abroad)."""

    kind: Literal["custody"]
    person: Identifier
    by: StateCode = Field(description="The state whose agents held the person.")
    territory: StateCode | None = Field(
        description="Whose territory the person was held in; null outside any state's territory "
        "(the high seas)."
    )
    location: Literal["land", "vessel", "aircraft", "frontier", "embassy"] = Field(
        default="land",
        description="Where the agents held the person: on land, on the state's vessel or aircraft, "
        "at the frontier, or on diplomatic premises.",
    )
    place: Text | None = None
    date: When
    until: When | None = None


RemovalManner = Literal[
    "deportation",
    "expulsion",
    "extradition",
    "handover",
    "escorted_transfer",
    "interception",
    "rejection_at_frontier",
]


class Removal(FactBase):
    """A state's agents moved (or decided to move) the person out of a territory."""

    kind: Literal["removal"]
    person: Identifier
    by: StateCode = Field(description="The state whose agents carried out or decided the removal.")
    origin: StateCode | None = Field(
        description="The territory the person was removed from; null for the high seas (an interception)."
    )
    to: StateCode = Field(
        description="The destination state; for a handover, the state whose agents received "
        "the person, wherever the handover took place."
    )
    manner: RemovalManner
    stage: Literal["completed", "attempted", "imminent", "decided"] = "completed"
    date: When | None = Field(default=None, description="Omit only where a timing fact dates the event.")
    event: Identifier | None = Field(default=None, description="An event label that timing facts may date.")


class Departure(FactBase):
    """The person left a territory by their own means (no agent of a state moved them)."""

    kind: Literal["departure"]
    person: Identifier
    origin: StateCode
    to: StateCode
    claimed_voluntary: bool = Field(default=True, description="The departure is said to have been by choice.")
    alternative: Literal["real", "enforceable_removal", "none", "unknown"] = Field(
        default="unknown",
        description="What the person could do instead: a real alternative (contest the decision, stay "
        "while it is examined), only an enforceable removal, none, or unknown.",
    )
    in_detention: bool | None = Field(default=None, description="Detained when the choice was made.")
    unhcr_access: bool | None = Field(
        default=None, description="Had access to UNHCR (or counsel) before leaving."
    )
    removal_pending: bool | None = Field(default=None, description="A removal decision was pending.")
    means: Text | None = None
    date: When | None = None
    event: Identifier | None = None


class ExitPermission(FactBase):
    """A state's border authorities permitted the person to leave its territory for a destination."""

    kind: Literal["exit_permission"]
    state: StateCode
    person: Identifier
    to: StateCode
    date: When | None = None
    event: Identifier | None = None


class Timing(FactBase):
    """Dates an event: used where the date itself is contested between accounts."""

    kind: Literal["timing"]
    event: Identifier
    date: When


Harm = Literal["torture", "cruel_inhuman_degrading", "death", "persecution", "arbitrary_detention"]
ConventionGround = Literal["race", "religion", "nationality", "particular_social_group", "political_opinion"]


class Risk(FactBase):
    """Evidence that persons face harm in a destination state."""

    kind: Literal["risk"]
    destination: StateCode
    persons_concerned: list[Identifier] = Field(
        default_factory=list,
        alias="persons",
        description="Whom the evidence concerns; empty for a general pattern in the destination.",
    )
    harms: list[Harm] = Field(min_length=1)
    grounds: list[ConventionGround] = Field(
        default_factory=list, description="Convention grounds of persecution."
    )
    inflicted_by: Literal["public_officials", "non_state_actors", "non_state_actors_with_acquiescence"] = (
        "public_officials"
    )
    likelihood: Literal["real_risk", "more_likely_than_not"] = Field(
        default="real_risk",
        description="How likely the evidence shows the harm to be: a real risk, or more likely than not (the "
        "threshold of the USA's understanding of CAT Art 3).",
    )
    lawful_sanction_claimed: bool = Field(
        default=False, description="The destination claims the harm is a lawful sanction (punishment)."
    )
    punished_for: Literal["leaving_the_country", "political_opinion", "religion", "ordinary_crime"] | None = (
        Field(default=None, description="What the feared punishment would be for, where it is a punishment.")
    )
    basis: Literal["personal", "group", "general_pattern", "past_harm"] = Field(
        description="personal: factors specific to the person; group: membership of a group systematically "
        "exposed to the practice; general_pattern: a consistent pattern of gross violations; past_harm: "
        "harm suffered before."
    )
    description: Text

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Assessment(FactBase):
    """Whether a state examined the person's need for protection individually before acting."""

    kind: Literal["assessment"]
    state: StateCode
    person: Identifier
    made: bool
    outcome: Literal["recognised", "rejected"] | None = Field(
        default=None, description="Where an assessment was made: its outcome, if final."
    )
    fair: bool | None = Field(
        default=None,
        description="Whether the procedure was fair (individual, with access to counsel or UNHCR, "
        "and a remedy); only a fair final rejection ends presumptive protection.",
    )
    date: When | None = None


class Practice(FactBase):
    """A state's known practice of returning persons of a nationality to a destination."""

    kind: Literal["practice"]
    state: StateCode
    nationality: StateCode = Field(description="Whose nationals the practice concerns.")
    destination: StateCode
    description: Text


class ProtectionClaim(FactBase):
    """The person asked a state for asylum or protection, or expressed fear of return."""

    kind: Literal["protection_claim"]
    person: Identifier
    state: StateCode
    date: When | None = None


class Request(FactBase):
    """A state asked another for the person (a diplomatic contact; not control)."""

    kind: Literal["request"]
    state: StateCode
    requested_state: StateCode
    person: Identifier
    date: When | None = None


Defence = Literal[
    "illegal_entry",
    "internal_law",
    "bilateral_agreement",
    "economic_migrants",
    "valid_travel_documents",
    "trafficking_by_escorts",
    "consent_of_origin_state",
    "no_request_for_return",
]


class DefenceClaim(FactBase):
    """A justification a state put forward for its conduct."""

    kind: Literal["defence"]
    state: StateCode
    person: Identifier
    defence: Defence
    date: When | None = None


class SecurityDanger(FactBase):
    """Art 33(2), first limb: reasonable grounds for regarding the person as a danger to the security of the
    country."""

    kind: Literal["danger_to_security"]
    state: StateCode
    person: Identifier


class SeriousCrime(FactBase):
    """Art 33(2), second limb: convicted by a final judgment of a particularly serious crime, a danger to the
    community."""

    kind: Literal["particularly_serious_crime"]
    state: StateCode
    person: Identifier
    final_judgment: bool
    danger_to_community: bool


class Shelter(FactBase):
    """The person was on a state's diplomatic premises (an embassy or consulate) in another state's
    territory."""

    kind: Literal["shelter"]
    person: Identifier
    state: StateCode = Field(description="The state whose embassy or consulate it is.")
    territory: StateCode = Field(description="The state in whose territory the premises are.")
    controlled: bool = Field(
        description="Whether the sending state's agents exercised de facto control over the "
        "person (presence alone is not control)."
    )
    date: When
    until: When | None = None


class Assurance(FactBase):
    """Diplomatic assurances the destination gave the removing state about the person's treatment."""

    kind: Literal["assurance"]
    giver: StateCode
    receiver: StateCode
    person: Identifier
    monitoring: Literal["independent", "ineffective", "none"]
    binding_authority: bool = Field(description="Given by an authority able to bind the giving state.")
    track_record: Literal["respected", "breached", "unknown"] = "unknown"
    date: When | None = None


class AsylumProcedure(FactBase):
    """Whether a state offers a real and effective asylum procedure (relevant to onward removal)."""

    kind: Literal["asylum_procedure"]
    state: StateCode
    effective: bool
    description: Text


class StatusBar(FactBase):
    """Art 1C (cessation), 1D (UNRWA protection or assistance) or 1E (rights of nationals in the country of
    residence): the person falls outside the Refugee Convention's definition."""

    kind: Literal["status_bar"]
    person: Identifier
    article: Literal["1C", "1D", "1E"]
    description: Text


class Exclusion(FactBase):
    """Art 1F: serious reasons for considering the person committed an excludable act."""

    kind: Literal["exclusion"]
    person: Identifier
    clause: Literal["a", "b", "c"]


Fact = Annotated[
    Presence
    | Custody
    | Removal
    | Departure
    | ExitPermission
    | Timing
    | Risk
    | Assessment
    | Practice
    | ProtectionClaim
    | Request
    | DefenceClaim
    | SecurityDanger
    | SeriousCrime
    | Exclusion
    | Shelter
    | Assurance
    | AsylumProcedure
    | StatusBar,
    Field(discriminator="kind"),
]

FACT_KINDS: tuple[str, ...] = (
    "presence",
    "custody",
    "removal",
    "departure",
    "exit_permission",
    "timing",
    "risk",
    "assessment",
    "practice",
    "protection_claim",
    "request",
    "defence",
    "danger_to_security",
    "particularly_serious_crime",
    "exclusion",
    "shelter",
    "assurance",
    "asylum_procedure",
    "status_bar",
)


class Case(Model):
    """A case file: one incident, its sources, the states and persons involved, and the facts."""

    id: Identifier
    title: Text
    as_of: dt.date = Field(description="The date up to which the case file records events.")
    hypothetical: bool = Field(default=False, description="True for a counterfactual variant of a real case.")
    summary: Text | None = None
    sources: list[Source] = Field(min_length=1)
    states: list[StateCode] = Field(min_length=1, description="The states whose obligations are assessed.")
    persons: list[Person] = Field(min_length=1)
    contested_points: list[ContestedPoint] = Field(default_factory=list)
    facts: list[Fact] = Field(min_length=1)

    def source(self, source_id: str) -> Source:
        return next(s for s in self.sources if s.id == source_id)

    def person(self, person_id: str) -> Person:
        return next(p for p in self.persons if p.id == person_id)

    def fact(self, fact_id: str) -> FactBase:
        return next(f for f in self.facts if f.id == fact_id)
