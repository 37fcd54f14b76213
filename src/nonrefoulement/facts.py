"""Case → clingo symbols. Every value from the case file becomes a ``String`` or ``Number`` symbol;
only names from closed, validated vocabularies (fact kinds, manners, harms) become constants. Nothing
here is ever formatted into program text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping

from clingo import Function, Number, String, Symbol

from .case import (
    Assessment,
    Assurance,
    AsylumProcedure,
    Case,
    Custody,
    DefenceClaim,
    Departure,
    Exclusion,
    ExitPermission,
    FactBase,
    Practice,
    Presence,
    ProtectionClaim,
    Removal,
    Request,
    Risk,
    SecurityDanger,
    SeriousCrime,
    Shelter,
    StatusBar,
    Timing,
    When,
    earliest,
    latest,
)
from .states import EUROPE, TERRITORY_OF
from .treaties import TreatyData

EPOCH = dt.date(1970, 1, 1)


def day_number(day: dt.date) -> int:
    """Days since 1970-01-01: the rules compare and subtract dates as integers."""
    return (day - EPOCH).days


def from_day_number(number: int) -> dt.date:
    return EPOCH + dt.timedelta(days=number)


def _atom(name: str, *args: Symbol) -> Symbol:
    return Function(name, list(args))


def _s(value: str) -> Symbol:
    return String(value)


def _c(value: str) -> Symbol:
    """A constant from a closed vocabulary the schema has already checked (e.g. ``deportation``)."""
    return Function(value)


def _yes_no(flag: bool) -> Symbol:
    return Function("yes" if flag else "no")


def _dates(name: str, fact_id: str, when: When) -> Symbol:
    return _atom(name, _s(fact_id), Number(day_number(earliest(when))), Number(day_number(latest(when))))


def case_symbols(
    case: Case,
    treaties: TreatyData,
    settings: Mapping[str, str],
    retracted: frozenset[str] = frozenset(),
) -> list[Symbol]:
    """The facts the rules reason from: the case, treaty participation of its states, doctrine settings."""
    return (
        list(_case(case, retracted))
        + list(_treaties(case, treaties))
        + [_atom("setting", _c(name), _c(value)) for name, value in sorted(settings.items())]
    )


def _case(case: Case, retracted: frozenset[str]) -> Iterator[Symbol]:
    yield _atom("case_as_of", Number(day_number(case.as_of)))
    for code in case.states:
        yield _atom("state", _s(code))
    for source in case.sources:
        yield _atom("source_date", _s(source.id), Number(day_number(source.date)))
    for person in case.persons:
        pid = _s(person.id)
        yield _atom("person", pid)
        if person.kind == "group":
            yield _atom("group", pid)
        if person.nationality:
            yield _atom("nationality", pid, _s(person.nationality))
        if person.habitual_residence:
            yield _atom("habitual_residence", pid, _s(person.habitual_residence))
        for other in person.other_nationalities:
            yield _atom("other_nationality", pid, _s(other))
        for index, members in enumerate(person.members):
            if members.count is not None:
                yield _atom("member", pid, Number(index), Number(members.count))
            if members.age is not None:
                yield _atom(
                    "member_age", pid, Number(index), Number(members.age.min), Number(members.age.max)
                )
            if members.unaccompanied:
                yield _atom("unaccompanied", pid, Number(index))
    for point in case.contested_points:
        yield _atom("point", _s(point.id))
        for account in point.accounts:
            yield _atom("account", _s(point.id), _s(account.id))
    for fact in case.facts:
        if fact.id in retracted:
            continue
        yield from _fact(fact)


def _fact(fact: FactBase) -> Iterator[Symbol]:
    fid = _s(fact.id)
    yield _atom("fact", fid)
    for source in fact.sources:
        yield _atom("fact_source", fid, _s(source))
    ref = fact.account_ref
    if ref is not None:
        yield _atom("account_fact", fid, _s(ref[0]), _s(ref[1]))
    if fact.unknown:
        yield _atom("unknown_fact", fid)
    date = getattr(fact, "date", None)
    if date is not None:
        yield _dates("fact_date", fact.id, date)
    until = getattr(fact, "until", None)
    if until is not None:
        yield _dates("fact_until", fact.id, until)
    event = getattr(fact, "event", None)
    if event is not None and not isinstance(fact, Timing):
        yield _atom("fact_event", fid, _s(event))
    yield from _kind(fact, fid)


def _kind(fact: FactBase, fid: Symbol) -> Iterator[Symbol]:
    match fact:
        case Presence():
            yield _atom("presence_fact", fid, _s(fact.person), _s(fact.territory), _c(fact.entry))
        case Custody():
            yield _atom("custody_fact", fid, _s(fact.person), _s(fact.by), _place(fact.territory))
            yield _atom("custody_location", fid, _c(fact.location))
        case Removal():
            yield _atom(
                "removal_fact",
                fid,
                _s(fact.person),
                _s(fact.by),
                _place(fact.origin),
                _s(fact.to),
                _c(fact.manner),
                _c(fact.stage),
            )
        case Departure():
            yield _atom("departure_fact", fid, _s(fact.person), _s(fact.origin), _s(fact.to))
            if fact.claimed_voluntary:
                yield _atom("claimed_voluntary_fact", fid)
            yield _atom("departure_alternative", fid, _c(fact.alternative))
            doubts = {
                "in_detention": fact.in_detention,
                "removal_pending": fact.removal_pending,
                "no_unhcr_access": fact.unhcr_access is False,
            }
            for doubt, present in doubts.items():
                if present:
                    yield _atom("consent_doubt", fid, _c(doubt))
        case ExitPermission():
            yield _atom("exit_permission_fact", fid, _s(fact.state), _s(fact.person), _s(fact.to))
        case Timing():
            yield _atom(
                "timing_fact",
                fid,
                _s(fact.event),
                Number(day_number(earliest(fact.date))),
                Number(day_number(latest(fact.date))),
            )
        case Risk():
            yield _atom("risk_fact", fid, _s(fact.destination), _c(fact.basis), _c(fact.inflicted_by))
            yield _atom("risk_likelihood", fid, _c(fact.likelihood))
            if fact.lawful_sanction_claimed:
                yield _atom("lawful_sanction_claimed", fid)
            if fact.punished_for is not None:
                yield _atom("punished_for", fid, _c(fact.punished_for))
            for person in fact.persons_concerned:
                yield _atom("risk_concerns", fid, _s(person))
            for harm in fact.harms:
                yield _atom("risk_harm", fid, _c(harm))
            for ground in fact.grounds:
                yield _atom("risk_ground", fid, _c(ground))
        case Assessment():
            made = "made" if fact.made else "not_made"
            yield _atom("assessment_fact", fid, _s(fact.state), _s(fact.person), _c(made))
            if fact.made and fact.outcome == "rejected" and fact.fair:
                yield _atom("fair_final_rejection_fact", fid, _s(fact.state), _s(fact.person))
        case Practice():
            yield _atom("practice_fact", fid, _s(fact.state), _s(fact.nationality), _s(fact.destination))
        case ProtectionClaim():
            yield _atom("protection_claim_fact", fid, _s(fact.person), _s(fact.state))
        case Request():
            yield _atom("request_fact", fid, _s(fact.state), _s(fact.requested_state), _s(fact.person))
        case DefenceClaim():
            yield _atom("defence_fact", fid, _s(fact.state), _s(fact.person), _c(fact.defence))
        case SecurityDanger():
            yield _atom("danger_to_security_fact", fid, _s(fact.state), _s(fact.person))
        case SeriousCrime():
            yield _atom(
                "serious_crime_fact",
                fid,
                _s(fact.state),
                _s(fact.person),
                _yes_no(fact.final_judgment),
                _yes_no(fact.danger_to_community),
            )
        case Exclusion():
            yield _atom("exclusion_fact", fid, _s(fact.person), _c(fact.clause))
        case Shelter():
            yield _atom(
                "shelter_fact",
                fid,
                _s(fact.person),
                _s(fact.state),
                _s(fact.territory),
                _yes_no(fact.controlled),
            )
        case Assurance():
            yield _atom(
                "assurance_fact",
                fid,
                _s(fact.giver),
                _s(fact.receiver),
                _s(fact.person),
                _c(fact.monitoring),
                _yes_no(fact.binding_authority),
                _c(fact.track_record),
            )
        case AsylumProcedure():
            yield _atom("asylum_procedure_fact", fid, _s(fact.state), _yes_no(fact.effective))
        case StatusBar():
            yield _atom("status_bar_fact", fid, _s(fact.person), _c("article_" + fact.article))
        case _:  # pragma: no cover - the schema admits no other kind
            raise TypeError(f"unhandled fact kind {type(fact).__name__}")


def _place(code: str | None) -> Symbol:
    """A territory (its code) or, where the case gives none, the high seas."""
    return Function("high_seas") if code is None else String(code)


def _geography(case: Case) -> Iterator[Symbol]:
    """Which codes are territories of which states (Hong Kong, Macao), and which states are in Europe
    (for a geographic limitation under Refugee Convention Art 1B(1)(a))."""
    for territory, state in sorted(TERRITORY_OF.items()):
        if state in case.states:
            yield _atom("territory_of", _s(territory), _s(state))
    named = set(case.states) | {p.nationality for p in case.persons if p.nationality}
    for code in sorted(named & EUROPE):
        yield _atom("european", _s(code))


def _treaties(case: Case, data: TreatyData) -> Iterator[Symbol]:
    yield from _geography(case)
    for code in case.states:
        for row in data.rows_for(code):
            state, treaty = _s(code), _c(row.treaty)
            in_force = data.entry_into_force(row)
            if in_force is not None:
                yield _atom("in_force", state, treaty, Number(day_number(in_force)))
            elif row.action == "denunciation":
                yield _atom("ceased", state, treaty, Number(day_number(row.date)))
            elif row.action == "signature":
                yield _atom("signed", state, treaty, Number(day_number(row.date)))
            for excluded in row.territorial_exclusions:
                yield _atom("territory_excluded", state, treaty, _s(excluded))
            for declaration in row.declarations:
                if declaration.withdrawn is not None:
                    continue
                if declaration.kind == "geographic_limitation":
                    yield _atom("geographic_limitation", state, treaty)
                elif declaration.kind == "understanding" and "more likely than not" in (
                    declaration.text or ""
                ):
                    yield _atom("understanding", state, treaty, _c("more_likely_than_not"))
