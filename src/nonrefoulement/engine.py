"""The engine: one fresh clingo Control per case, the parsed rules added once per process, the case's facts
added through the backend, grounded once, then solved in brave and cautious mode (what may hold and what
must hold across every scenario), and under assumptions for witnesses and the accounts a finding rests on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import clingo
from clingo import Function, String, Symbol

from .case import Case
from .errors import UsageError
from .facts import case_symbols
from .findings import (
    STATUSES,
    CaseSummary,
    Defence,
    Finding,
    PointSummary,
    Procedural,
    Report,
    SourceRef,
)
from .rules import RuleBase, load_rulebase

if TYPE_CHECKING:
    from .explain import Explainer
from .treaties import TreatyData, treaty_data

Key = tuple[str, str, str]
_STATUS_ATOMS = {"engaged": 1, "prospective_breach": 2, "breach": 3}


class Scenarios:
    """A case grounded once; every question about it is a solve call on the same grounding."""

    def __init__(
        self,
        case: Case,
        rulebase: RuleBase,
        data: TreatyData,
        settings: Mapping[str, str],
        fixed: Sequence[tuple[str, str]] = (),
        retracted: frozenset[str] = frozenset(),
    ):
        self.control = clingo.Control(["--warn=none"])
        with clingo.ast.ProgramBuilder(self.control) as builder:
            for statement in rulebase.statements:
                builder.add(statement)
        with self.control.backend() as backend:
            for symbol in case_symbols(case, data, settings, retracted):
                backend.add_rule([backend.add_atom(symbol)])
        self.control.ground([("base", [])])
        self.fixed: list[int] = []
        for point, account in fixed:
            literal = self._literal(Function("chosen", [String(point), String(account)]))
            assert literal is not None, "every account of every point is grounded"
            self.fixed.append(literal)

    def _literal(self, symbol: Symbol) -> int | None:
        atom = self.control.symbolic_atoms[symbol]
        return None if atom is None else int(atom.literal)

    def _solve(self, mode: str, models: int, assume: Iterable[Symbol], *, shown: bool) -> list[Symbol] | None:
        """The last model of a solve in ``mode`` under the assumptions, or None if none satisfies them."""
        literals = list(self.fixed)
        for symbol in assume:
            literal = self._literal(symbol)
            if literal is None:
                return None  # an atom the grounding never produced cannot be assumed true
            literals.append(literal)
        solve = self.control.configuration.solve
        assert isinstance(solve, clingo.Configuration)
        solve.enum_mode = mode
        solve.models = str(models)
        last: list[Symbol] | None = None
        handle = self.control.solve(assumptions=literals, yield_=True)
        assert isinstance(handle, clingo.SolveHandle)
        with handle:
            for model in handle:
                last = list(model.symbols(shown=True) if shown else model.symbols(atoms=True))
        return last

    def consequences(self, mode: str, assume: Iterable[Symbol] = ()) -> set[Symbol] | None:
        """Brave or cautious consequences (shown atoms), or None if no scenario satisfies the assumptions."""
        last = self._solve(mode, 0, assume, shown=True)
        return None if last is None else set(last)

    def witness(self, assume: Iterable[Symbol] = ()) -> list[Symbol] | None:
        """Every atom of one scenario satisfying the assumptions (for explanations)."""
        return self._solve("auto", 1, assume, shown=False)


def resolve_settings(rulebase: RuleBase, given: Mapping[str, str] | None) -> dict[str, str]:
    settings = {name: setting.default for name, setting in rulebase.settings.items()}
    for name, value in (given or {}).items():
        if name not in rulebase.settings:
            raise UsageError(
                f"unknown doctrine setting {name!r}; known: {', '.join(sorted(rulebase.settings))}"
            )
        if value not in rulebase.settings[name].values:
            allowed = " | ".join(rulebase.settings[name].values)
            raise UsageError(f"doctrine setting {name!r} takes {allowed}, not {value!r}")
        settings[name] = value
    return settings


def _fixed_accounts(case: Case, accounts: Mapping[str, str] | None) -> list[tuple[str, str]]:
    fixed: list[tuple[str, str]] = []
    points = {p.id: {a.id for a in p.accounts} for p in case.contested_points}
    for point, account in (accounts or {}).items():
        if point not in points:
            raise UsageError(
                f"the case has no contested point {point!r}; points: {', '.join(sorted(points))}"
            )
        if account not in points[point]:
            raise UsageError(
                f"point {point!r} has no account {account!r}; accounts: {', '.join(sorted(points[point]))}"
            )
        fixed.append((point, account))
    return sorted(fixed)


def evaluate(
    case: Case,
    *,
    settings: Mapping[str, str] | None = None,
    accounts: Mapping[str, str] | None = None,
    retract: Iterable[str] = (),
    explain: bool = True,
    rulebase: RuleBase | None = None,
) -> Report:
    """Evaluate a case: one finding per (state, obligation, person), with may/must status and certainty.

    ``settings`` chooses contested-law doctrines (``{"customary": "strict"}``); ``accounts`` fixes the
    account of contested points (``{"laos-act": "deported-to-china"}``); ``retract`` withdraws facts by id.
    """
    rulebase = rulebase or load_rulebase()
    chosen_settings = resolve_settings(rulebase, settings)
    fixed = _fixed_accounts(case, accounts)
    retracted = frozenset(retract)
    unknown_ids = {f.id for f in case.facts} | set()
    missing = sorted(retracted - unknown_ids)
    if missing:
        raise UsageError(f"no fact with id {', '.join(map(repr, missing))} to retract")
    scenarios = Scenarios(case, rulebase, treaty_data(), chosen_settings, fixed, retracted)
    brave = scenarios.consequences("brave")
    if brave is None:
        raise UsageError("no scenario is consistent with the accounts fixed")
    cautious = scenarios.consequences("cautious") or set()

    may = _ranks(brave)
    must = _ranks(cautious)
    all_accounts = [f"{p.id}={a.id}" for p in case.contested_points for a in p.accounts]
    unknown_facts = sorted(f.id for f in case.facts if f.unknown and f.id not in retracted)
    by_kind = _index(brave)
    citations = {o: _citation(rulebase, o) for (_, o, _) in may}

    findings: list[Finding] = []
    witnesses: list[tuple[set[Symbol], Explainer]] = []
    from .explain import Explainer

    for key in sorted(may, key=_order(case)):
        state, obligation, person = key
        status_rank, status_all_rank = may[key], must.get(key, 0)
        status, status_all = STATUSES[status_rank], STATUSES[status_all_rank]
        target = _at_least(key, status_rank)
        accounts_for, unknowns = _dependence(
            scenarios, target, status_rank == status_all_rank, all_accounts, unknown_facts
        )
        procedural = _procedural(key, brave, cautious, by_kind)
        explanation = None
        if explain:
            explainer = next((e for atoms, e in witnesses if target in atoms), None)
            if explainer is None:
                atoms = set(scenarios.witness([target]) or [])
                explainer = Explainer(case, rulebase, atoms)
                witnesses.append((atoms, explainer))
            explanation = explainer.finding(key, status)
        findings.append(
            Finding(
                state=state,
                obligation=obligation,
                person=person,
                acts=_acts(key, status, by_kind),
                status=status,
                status_all=status_all,
                certainty="all_accounts" if status_rank == status_all_rank else "some_accounts",
                accounts=accounts_for,
                unknowns=unknowns,
                contested_law=_contested_law(key, by_kind),
                procedural=procedural,
                citation=citations[obligation],
                reasons=_reasons(key, status_rank, brave, cautious),
                defences=_defences(state, person, by_kind, rulebase),
                explanation=explanation,
            )
        )
    return Report(
        case=CaseSummary(
            id=case.id, title=case.title, hypothetical=case.hypothetical, as_of=case.as_of.isoformat()
        ),
        settings=chosen_settings,
        fixed_accounts=[f"{p}={a}" for p, a in fixed],
        retracted=sorted(retracted),
        contested_points=[
            PointSummary(id=p.id, question=p.question, accounts=[a.id for a in p.accounts])
            for p in case.contested_points
        ],
        findings=findings,
        sources=[
            SourceRef(
                id=s.id,
                title=s.title,
                publisher=s.publisher,
                date=s.date.isoformat(),
                url=s.url,
                cited_in=s.cited_in,
            )
            for s in case.sources
        ],
    )


def _citation(rulebase: RuleBase, obligation: str) -> str:
    info = rulebase.info(f"{obligation}.obligation")
    return info.cite if info is not None else obligation


def _key(symbol: Symbol) -> Key:
    state, obligation, person = symbol.arguments[:3]
    return state.string, obligation.name, person.string


def _ranks(atoms: set[Symbol]) -> dict[Key, int]:
    ranks: dict[Key, int] = {}
    for atom in atoms:
        if atom.name == "at_least" and len(atom.arguments) == 4:
            key = _key(atom)
            ranks[key] = max(ranks.get(key, 0), atom.arguments[3].number)
    return ranks


def _index(atoms: set[Symbol]) -> dict[str, list[Symbol]]:
    index: dict[str, list[Symbol]] = defaultdict(list)
    for atom in atoms:
        index[atom.name].append(atom)
    return index


def _at_least(key: Key, rank: int) -> Symbol:
    state, obligation, person = key
    return Function("at_least", [String(state), Function(obligation), String(person), clingo.Number(rank)])


def _order(case: Case) -> Callable[[Key], tuple[int, int, int, str]]:
    states = {code: i for i, code in enumerate(case.states)}
    persons = {p.id: i for i, p in enumerate(case.persons)}
    obligations = {
        o: i for i, o in enumerate(("rc33", "cat3", "iccpr7", "crc", "echr3", "echr_p4_4", "customary"))
    }

    def key(item: Key) -> tuple[int, int, int, str]:
        return (states.get(item[0], 99), persons.get(item[2], 99), obligations.get(item[1], 99), item[1])

    return key


def _dependence(
    scenarios: Scenarios, target: Symbol, certain: bool, all_accounts: list[str], unknown_facts: list[str]
) -> tuple[list[str], list[str]]:
    """The accounts compatible with the status, and the unknown facts it needs (true, or 'not' false)."""
    if certain:
        return list(all_accounts), []
    brave = scenarios.consequences("brave", [target]) or set()
    cautious = scenarios.consequences("cautious", [target]) or set()
    accounts = sorted(f"{a.arguments[0].string}={a.arguments[1].string}" for a in brave if a.name == "chosen")
    needed: list[str] = []
    for fact in unknown_facts:
        holds = Function("holds", [String(fact)])
        if holds in cautious:
            needed.append(fact)
        elif holds not in brave:
            needed.append(f"not {fact}")
    return accounts, needed


def _procedural(
    key: Key, brave: set[Symbol], cautious: set[Symbol], by_kind: dict[str, list[Symbol]]
) -> Procedural:
    state, obligation, person = key
    failed = Function("procedurally_failed", [String(state), Function(obligation), String(person)])
    may, must = failed in brave, failed in cautious
    grounds = sorted(a.arguments[3].name for a in by_kind["procedural_breach"] if _key(a) == key)
    return Procedural(
        status="breach" if may else "none",
        status_all="breach" if must else "none",
        certainty="all_accounts" if may == must else "some_accounts",
        grounds=grounds,
    )


def _contested_law(key: Key, by_kind: dict[str, list[Symbol]]) -> list[str]:
    return sorted({atom.arguments[3].name for atom in by_kind["contested_law"] if _key(atom) == key})


def _acts(key: Key, status: str, by_kind: dict[str, list[Symbol]]) -> list[str]:
    if status == "not_engaged":
        return []
    return sorted({a.arguments[3].string for a in by_kind[status] if _key(a) == key})


def _reasons(key: Key, rank: int, brave: set[Symbol], cautious: set[Symbol]) -> list[str]:
    if rank > 0:
        return []

    def reasons(atoms: set[Symbol]) -> set[str]:
        return {a.arguments[3].name for a in atoms if a.name == "not_engaged" and _key(a) == key}

    return sorted(reasons(cautious) or reasons(brave))


def _defences(state: str, person: str, by_kind: dict[str, list[Symbol]], rulebase: RuleBase) -> list[Defence]:
    out: list[Defence] = []
    for atom in sorted(by_kind["defence_answered"]):
        s, p, defence, fact = atom.arguments
        if s.string == state and p.string == person:
            info = rulebase.info(f"defence.{defence.name}")
            out.append(
                Defence(
                    fact=fact.string,
                    defence=defence.name,
                    rule=f"defence.{defence.name}",
                    citation=info.cite if info else "",
                    quote=info.quote if info else "",
                )
            )
    return out
