"""The engine: one fresh clingo Control per case, the parsed rules added once per process, the case's facts
added through the backend, grounded once, then solved in brave and cautious mode (what may hold and what
must hold across every scenario), and under assumptions for witnesses and the choices a finding rests on.

A *scenario* is one choice of account for every contested point and of truth for every unknown fact. The
engine never enumerates scenarios: brave consequences give the strongest status in some scenario,
cautious consequences the strongest status in every scenario (``at_least/4`` in ``rules/findings.lp``).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import clingo
from clingo import Function, Number, String, Symbol

from .case import Case, FactBase
from .errors import SolveTimeout, UsageError
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
from .treaties import TreatyData, treaty_data

if TYPE_CHECKING:
    from .explain import Explainer

Key = tuple[str, str, str]
Literal = tuple[Symbol, bool]
OBLIGATION_ORDER = ("rc33", "cat3", "iccpr7", "crc", "echr3", "echr_p4_4", "customary")


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
        timeout: float | None = None,
        explain: bool = True,
    ):
        # ``explain=False`` leaves out the _why rules that explanations are read from.
        # ``timeout`` bounds the seconds spent solving, over every solve call (grounding cannot be stopped).
        self.timeout = timeout
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.control = clingo.Control(["--warn=none"])
        with clingo.ast.ProgramBuilder(self.control) as builder:
            for statement in rulebase.program(explain=explain):
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

    def literal_of(self, symbol: Symbol, truth: bool = True) -> int:
        """The solver literal of a grounded atom (negated for ``truth=False``)."""
        literal = self._literal(symbol)
        assert literal is not None, f"{symbol} was grounded"
        return literal if truth else -literal

    def _literal(self, symbol: Symbol) -> int | None:
        atom = self.control.symbolic_atoms[symbol]
        return None if atom is None else int(atom.literal)

    def _solve(
        self,
        mode: str,
        models: int,
        assume: Iterable[Literal],
        *,
        shown: bool,
        read: Callable[[clingo.Model], list[Symbol]] | None = None,
    ) -> list[Symbol] | None:
        """The last model of a solve in ``mode`` under the assumptions (read by ``read`` if given), or None
        if no model satisfies them."""
        literals = list(self.fixed)
        for symbol, truth in assume:
            literal = self._literal(symbol)
            if literal is None:
                if truth:
                    return None  # an atom the grounding never produced cannot be assumed true
                continue  # ... and is false anyway
            literals.append(literal if truth else -literal)
        solve = self.control.configuration.solve
        assert isinstance(solve, clingo.Configuration)
        solve.enum_mode = mode
        solve.models = str(models)
        last: list[Symbol] | None = None

        def on_last(model: clingo.Model) -> None:  # only the last model is read (brave: the union)
            nonlocal last
            if read is not None:
                last = read(model)
            else:
                last = list(model.symbols(shown=True) if shown else model.symbols(atoms=True))

        remaining = None if self.deadline is None else self.deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            raise SolveTimeout(self.timeout or 0.0)
        # A synchronous solve (clingo calls on_last only then), interrupted from a timer at the deadline.
        timer = None if remaining is None else threading.Timer(remaining, self.control.interrupt)
        if timer is not None:
            timer.daemon = True
            timer.start()
        try:
            result = self.control.solve(assumptions=literals, on_last=on_last)
        finally:
            if timer is not None:
                timer.cancel()
        assert isinstance(result, clingo.SolveResult)
        if result.interrupted:
            raise SolveTimeout(self.timeout or 0.0)
        return last

    def consequences(self, mode: str, assume: Iterable[Literal] = ()) -> set[Symbol] | None:
        """Brave or cautious consequences (shown atoms), or None if no scenario satisfies the assumptions."""
        last = self._solve(mode, 0, assume, shown=True)
        return None if last is None else set(last)

    def numbered(self, name: str) -> set[int]:
        """The numbers N of the atoms ``name(N)`` among the brave consequences, read from their text (one
        call per atom instead of three: there may be many)."""
        prefix = f"{name}("
        found: set[int] = set()

        def read(model: clingo.Model) -> list[Symbol]:
            for symbol in model.symbols(shown=True):
                text = str(symbol)
                if text.startswith(prefix):
                    found.add(int(text[len(prefix) : -1]))
            return []

        self._solve("brave", 0, (), shown=True, read=read)
        return found

    def witness(self, assume: Iterable[Literal] = ()) -> list[Symbol] | None:
        """Every atom of one scenario satisfying the assumptions (for explanations)."""
        return self._solve("auto", 1, assume, shown=False)


@dataclass
class Consequences:
    """Brave or cautious consequences, indexed by predicate and by finding."""

    atoms: set[Symbol]
    by_finding: dict[tuple[str, Key], list[Symbol]] = field(default_factory=lambda: defaultdict(list))
    by_name: dict[str, list[Symbol]] = field(default_factory=lambda: defaultdict(list))
    ranks: dict[Key, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Read each atom once through its text (one call into clingo instead of one per argument). The
        # finding predicates' arguments are identifiers, codes and constants: no commas, quotes or brackets.
        for atom in self.atoms:
            text = str(atom)
            bracket = text.find("(")
            name = text if bracket < 0 else text[:bracket]
            self.by_name[name].append(atom)
            if name in FINDING_PREDICATES:
                args = text[bracket + 1 : -1].split(",")
                key = (args[0].strip('"'), args[1], args[2].strip('"'))
                self.by_finding[(name, key)].append(atom)
                if name == "at_least":
                    self.ranks[key] = max(self.ranks.get(key, 0), int(args[3]))

    def of(self, name: str, key: Key) -> list[Symbol]:
        return self.by_finding.get((name, key), [])


FINDING_PREDICATES = frozenset({
    "at_least", "engaged", "prospective_breach", "breach", "not_engaged", "procedural_breach",
    "procedurally_failed", "contested_law",
})  # fmt: skip


def finding_key(atom: Symbol) -> Key:
    state, obligation, person = atom.arguments[:3]
    return state.string, obligation.name, person.string


@dataclass(frozen=True)
class Choice:
    """One choice a scenario makes: an account of a point, or the truth of an unknown fact."""

    label: str
    literal: Literal
    opposite: Literal | None = None  # for an unknown fact: the same atom, other truth
    group: str = ""  # the point, or the unknown fact, the choice is about


def _choices(case: Case, retracted: frozenset[str], fixed: Sequence[tuple[str, str]]) -> list[Choice]:
    fixed_points = {point for point, _ in fixed}
    out: list[Choice] = []
    for point in case.contested_points:
        if point.id in fixed_points:
            continue
        for account in point.accounts:
            atom = Function("chosen", [String(point.id), String(account.id)])
            out.append(Choice(f"{point.id}={account.id}", (atom, True), group=f"point:{point.id}"))
    for fact in case.facts:
        if fact.unknown and fact.id not in retracted:
            atom = Function("holds", [String(fact.id)])
            out.append(Choice(fact.id, (atom, True), (atom, False), group=f"fact:{fact.id}"))
            out.append(Choice(f"not {fact.id}", (atom, False), (atom, True), group=f"fact:{fact.id}"))
    return out


@dataclass
class Dependence:
    accounts: list[str]
    unknowns: list[str]
    holds_if: list[list[str]]
    fails_if: list[list[str]]


MAX_PAIR_CHOICES = 12  # undecided choices per finding tried in pairs when no single choice decides it


def dependences(
    scenarios: Scenarios,
    targets: Mapping[Key, Symbol],
    choices: Sequence[Choice],
    reach: Mapping[str, frozenset[str] | None] | None = None,
) -> dict[Key, Dependence]:
    """For every uncertain finding at once: the choices compatible with its status and with its failure,
    the unknown facts it needs, and the minimal sets of choices (one, else two) that decide it.

    Rather than a solve per finding and choice, the findings and choices are given to the grounder as
    facts and ``rules/findings.lp`` (``#program dependence``) derives, for every pair, an atom true in a
    scenario that makes the choice and keeps (or loses) the status: one brave solve answers them all. A
    second does the same for pairs of undecided choices where no single choice decides. ``reach`` maps a
    choice's group to the persons its facts concern (None: anyone); a choice that cannot reach a finding's
    person is compatible with its status and with its failure alike, and is not solved for."""
    keys = sorted(targets)
    checks: list[tuple[int, int]] = []
    unreached: dict[int, set[int]] = {}
    for i, key in enumerate(keys):
        for j, choice in enumerate(choices):
            persons = (reach or {}).get(choice.group)
            if persons is None or key[2] in persons:
                checks.append((i, j))
            else:
                unreached.setdefault(i, set()).add(j)
    with scenarios.control.backend() as backend:

        def fact(name: str, *args: Symbol) -> None:
            backend.add_rule([backend.add_atom(Function(name, list(args)))])

        for i, key in enumerate(keys):
            fact("dependence_target", Number(i), *targets[key].arguments)
        for j, choice in enumerate(choices):
            atom, truth = choice.literal
            if atom.name == "chosen":
                fact("dependence_choice", Number(j), *atom.arguments)
            else:
                fact("dependence_fact", Number(j), atom.arguments[0], Function("true" if truth else "false"))
        for number, (i, j) in enumerate(checks):
            fact("dependence_check", Number(number), Number(i), Number(j))
    scenarios.control.ground([("dependence", [])])
    single = scenarios.numbered("dependence")
    holds_with: dict[int, set[int]] = {i: set(unreached.get(i, ())) for i in range(len(keys))}
    fails_with: dict[int, set[int]] = {i: set(unreached.get(i, ())) for i in range(len(keys))}
    for number, (i, j) in enumerate(checks):
        if 2 * number in single:
            holds_with[i].add(j)
        if 2 * number + 1 in single:
            fails_with[i].add(j)
    result: dict[Key, Dependence] = {}
    undecided: dict[int, list[int]] = {}
    for i, key in enumerate(keys):
        holds, fails = holds_with[i], fails_with[i]
        labels_holding = {choices[j].label for j in holds}
        labels_failing = {choices[j].label for j in fails}
        accounts = sorted(c.label for c in choices if c.opposite is None and c.label in labels_holding)
        unknowns = sorted(
            c.label
            for c in choices
            if c.opposite is not None
            and c.label in labels_holding
            and c.label not in labels_failing
            and _opposite_label(c) not in labels_holding
        )
        holds_if = [[choices[j].label] for j in sorted(holds - fails)]
        fails_if = [[choices[j].label] for j in sorted(fails - holds)]
        result[key] = Dependence(accounts, unknowns, holds_if, fails_if)
        if not holds_if or not fails_if:
            undecided[i] = sorted((holds & fails) - unreached.get(i, set()))[:MAX_PAIR_CHOICES]
    pairs: list[tuple[int, int, int]] = [
        (i, j, k)
        for i, both in undecided.items()
        for n, j in enumerate(both)
        for k in both[n + 1 :]
        if choices[j].group != choices[k].group  # two accounts of one point never go together
    ]
    if not pairs:
        return result
    with scenarios.control.backend() as backend:
        for number, (i, j, k) in enumerate(pairs):
            args = [Number(number), Number(i), Number(j), Number(k)]
            backend.add_rule([backend.add_atom(Function("dependence_pair", args))])
    scenarios.control.ground([("dependence_pairs", [])])
    paired = scenarios.numbered("dependence2")
    found: dict[int, tuple[list[list[str]], list[list[str]]]] = {}
    for number, (i, j, k) in enumerate(pairs):
        keeps, loses = 2 * number in paired, 2 * number + 1 in paired
        labels = sorted([choices[j].label, choices[k].label])
        holding, failing = found.setdefault(i, ([], []))
        if keeps and not loses:
            holding.append(labels)
        elif loses and not keeps:
            failing.append(labels)
    for i, (holding, failing) in found.items():
        dependence = result[keys[i]]
        dependence.holds_if = dependence.holds_if or sorted(holding)
        dependence.fails_if = dependence.fails_if or sorted(failing)
    return result


def reach_of_choices(case: Case) -> dict[str, frozenset[str] | None]:
    """For each point and unknown fact: the persons its facts concern, or None where a fact concerns no
    one in particular (a practice, a procedure, a general pattern) and may bear on anyone. A timing fact
    reaches the persons of the facts its event dates. Bookkeeping for the solver, not a legal judgement."""
    by_event: dict[str, set[str]] = defaultdict(set)
    for item in case.facts:
        event = getattr(item, "event", None)
        if event is not None and item.kind != "timing":
            by_event[event].update(item.persons())

    def persons_of(item: FactBase) -> set[str] | None:
        if getattr(item, "kind", None) == "timing":
            return set(by_event.get(getattr(item, "event", ""), set()))
        if getattr(item, "basis", None) == "general_pattern":
            return None  # a pattern in a destination bears on anyone sent there, whoever the fact names
        found = item.persons()
        return set(found) if found else None

    reach: dict[str, frozenset[str] | None] = {}
    groups: dict[str, list[FactBase]] = defaultdict(list)
    for item in case.facts:
        ref = item.account_ref
        if ref is not None:
            groups[f"point:{ref[0]}"].append(item)
        if item.unknown:
            groups[f"fact:{item.id}"].append(item)
    for group, members in groups.items():
        persons: set[str] = set()
        for member in members:
            found = persons_of(member)
            if found is None:
                break
            persons |= found
        else:
            reach[group] = frozenset(persons)
            continue
        reach[group] = None
    return reach


def _opposite_label(choice: Choice) -> str:
    return choice.label[4:] if choice.label.startswith("not ") else f"not {choice.label}"


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


def _check_fact_ids(case: Case, ids: frozenset[str], what: str) -> None:
    missing = sorted(ids - {f.id for f in case.facts})
    if missing:
        raise UsageError(f"no fact with id {', '.join(map(repr, missing))} to {what}")


def assume_facts(case: Case, assume: Iterable[str]) -> Case:
    """The case with the given facts holding in every scenario (no longer unknown or tied to an account)."""
    ids = frozenset(assume)
    _check_fact_ids(case, ids, "assume")
    if not ids:
        return case
    facts = [
        f.model_copy(update={"unknown": False, "account": None}) if f.id in ids else f for f in case.facts
    ]
    return case.model_copy(update={"facts": facts})


def evaluate(
    case: Case,
    *,
    settings: Mapping[str, str] | None = None,
    accounts: Mapping[str, str] | None = None,
    retract: Iterable[str] = (),
    assume: Iterable[str] = (),
    explain: bool = True,
    rulebase: RuleBase | None = None,
    timeout: float | None = None,
) -> Report:
    """Evaluate a case: one finding per (state, obligation, person), with may/must status and certainty.

    ``settings`` chooses contested-law doctrines (``{"customary": "strict"}``); ``accounts`` fixes the
    account of contested points (``{"laos-act": "deported-to-china"}``); ``retract`` withdraws facts by id;
    ``assume`` makes facts (unknown, or of one account) hold in every scenario; ``timeout`` bounds the
    seconds spent solving (:class:`~.errors.SolveTimeout` past it).
    """
    rulebase = rulebase or load_rulebase()
    chosen_settings = resolve_settings(rulebase, settings)
    fixed = _fixed_accounts(case, accounts)
    retracted = frozenset(retract)
    _check_fact_ids(case, retracted, "retract")
    assumed = sorted(set(assume))
    case = assume_facts(case, assumed)
    scenarios = Scenarios(
        case, rulebase, treaty_data(), chosen_settings, fixed, retracted, timeout, explain=explain
    )
    brave_atoms = scenarios.consequences("brave")
    if brave_atoms is None:
        raise UsageError("no scenario is consistent with the accounts fixed")
    brave = Consequences(brave_atoms)
    cautious = Consequences(scenarios.consequences("cautious") or set())
    all_accounts = [f"{p.id}={a.id}" for p in case.contested_points for a in p.accounts]
    fixed_labels = [f"{p}={a}" for p, a in fixed]
    if fixed:
        fixed_points = {p for p, _ in fixed}
        all_accounts = [a for a in all_accounts if a.split("=")[0] not in fixed_points] + fixed_labels
    choices = _choices(case, retracted, fixed)

    from .explain import Explainer

    uncertain = {
        key: _at_least(key, rank) for key, rank in brave.ranks.items() if rank != cautious.ranks.get(key, 0)
    }
    decided = (
        dependences(scenarios, uncertain, choices, reach_of_choices(case)) if uncertain and choices else {}
    )
    findings: list[Finding] = []
    witnesses: list[tuple[set[Symbol], Explainer]] = []
    for key in sorted(brave.ranks, key=_order(case)):
        state, obligation, person = key
        status_rank, status_all_rank = brave.ranks[key], cautious.ranks.get(key, 0)
        status, status_all = STATUSES[status_rank], STATUSES[status_all_rank]
        target = _at_least(key, status_rank)
        dependence = decided.get(key) or Dependence(sorted(all_accounts), [], [], [])
        if fixed and status_rank != status_all_rank:
            dependence.accounts = sorted(set(dependence.accounts) | set(fixed_labels))
        explanation = None
        if explain:
            explainer = next((e for atoms, e in witnesses if target in atoms), None)
            if explainer is None:
                atoms = set(scenarios.witness([(target, True)]) or [])
                explainer = Explainer(case, rulebase, atoms)
                witnesses.append((atoms, explainer))
            explanation = explainer.finding(key, status)
        findings.append(
            Finding(
                state=state,
                obligation=obligation,
                person=person,
                acts=_acts(key, status, brave),
                status=status,
                status_all=status_all,
                certainty="all_accounts" if status_rank == status_all_rank else "some_accounts",
                accounts=dependence.accounts,
                unknowns=dependence.unknowns,
                holds_if=dependence.holds_if,
                fails_if=dependence.fails_if,
                contested_law=sorted({a.arguments[3].name for a in brave.of("contested_law", key)}),
                procedural=_procedural(key, brave, cautious),
                citation=_citation(rulebase, obligation),
                reasons=_reasons(key, status_all_rank, brave, cautious),
                defences=_defences(state, person, brave, rulebase) if status_rank > 0 else [],
                explanation=explanation,
            )
        )
    return Report(
        case=CaseSummary(
            id=case.id, title=case.title, hypothetical=case.hypothetical, as_of=case.as_of.isoformat()
        ),
        settings=chosen_settings,
        fixed_accounts=fixed_labels,
        retracted=sorted(retracted),
        assumed=assumed,
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
            for s in sorted(case.sources, key=lambda s: (s.date, s.id))  # not file order: output is canonical
        ],
    )


def _citation(rulebase: RuleBase, obligation: str) -> str:
    info = rulebase.info(f"{obligation}.obligation")
    return info.cite if info is not None else obligation


def _at_least(key: Key, rank: int) -> Symbol:
    state, obligation, person = key
    return Function("at_least", [String(state), Function(obligation), String(person), Number(rank)])


def _order(case: Case) -> Callable[[Key], tuple[int, str, int, str]]:
    """Findings by state (as the case lists them), person id (not file order) and obligation."""
    states = {code: i for i, code in enumerate(case.states)}
    obligations = {o: i for i, o in enumerate(OBLIGATION_ORDER)}

    def key(item: Key) -> tuple[int, str, int, str]:
        return (states.get(item[0], 99), item[2], obligations.get(item[1], 99), item[1])

    return key


def _procedural(key: Key, brave: Consequences, cautious: Consequences) -> Procedural:
    may, must = bool(brave.of("procedurally_failed", key)), bool(cautious.of("procedurally_failed", key))
    return Procedural(
        status="breach" if may else "none",
        status_all="breach" if must else "none",
        certainty="all_accounts" if may == must else "some_accounts",
        grounds=sorted({a.arguments[3].name for a in brave.of("procedural_breach", key)}),
    )


def _acts(key: Key, status: str, brave: Consequences) -> list[str]:
    if status == "not_engaged":
        return []
    return sorted({a.arguments[3].string for a in brave.of(status, key)})


def _reasons(key: Key, rank_all: int, brave: Consequences, cautious: Consequences) -> list[str]:
    """Why the obligation is not engaged, where it is not in every scenario (or not in some)."""
    if rank_all > 0:
        return []
    every = {a.arguments[3].name for a in cautious.of("not_engaged", key)}
    return sorted(every or {a.arguments[3].name for a in brave.of("not_engaged", key)})


def _defences(state: str, person: str, brave: Consequences, rulebase: RuleBase) -> list[Defence]:
    out: list[Defence] = []
    for atom in sorted(brave.by_name.get("defence_answered", [])):
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
