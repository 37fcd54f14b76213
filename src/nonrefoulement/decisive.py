"""Decisive facts: the minimal sets of case facts whose withdrawal would flip a finding.

Computed by the solver, not by trying subsets: a Control of its own grounds the rules with a choice of
``withdrawn(F)`` over the case's facts, forbids the finding's status, and minimises the number of facts
withdrawn. Each optimum is a minimum correction set; blocking it and solving again yields the next, so
the sets come out smallest first, each minimal. The scenario is held fixed (the accounts and unknown facts
of a witness of the finding), so the answer reads "in this scenario, this finding rests on X and Y".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import clingo
from clingo import Function, Number, String, Symbol

from .case import Case
from .engine import resolve_settings
from .facts import case_symbols
from .rules import RuleBase, load_rulebase
from .treaties import treaty_data

# Our own program text (no case data ever enters it): let the solver withdraw any fact, fewest first.
_WITHDRAWAL = """
{ withdrawn(F) } :- fact(F), decisive_candidate(F).
#minimize { 1,F : withdrawn(F) }.
"""
STATUS_RANKS = {"engaged": 1, "prospective_breach": 2, "breach": 3}


def decisive_facts(
    case: Case,
    key: tuple[str, str, str],
    status: str,
    scenario: Sequence[str] = (),
    *,
    settings: Mapping[str, str] | None = None,
    candidates: Sequence[str] | None = None,
    limit: int = 5,
    max_size: int = 3,
    rulebase: RuleBase | None = None,
) -> list[list[str]]:
    """Minimal sets of fact ids whose withdrawal makes ``key`` fall below ``status`` in the scenario given by
    ``scenario`` ("point=account" choices, unknown fact ids that hold, "not id" for those that do not)."""
    if status not in STATUS_RANKS:
        return []
    rulebase = rulebase or load_rulebase()
    control = clingo.Control(["--warn=none", "--opt-mode=opt"])
    with clingo.ast.ProgramBuilder(control) as builder:
        for statement in rulebase.statements:
            builder.add(statement)
        clingo.ast.parse_string(_WITHDRAWAL, builder.add)
    allowed = set(candidates) if candidates is not None else {f.id for f in case.facts}
    symbols = case_symbols(case, treaty_data(), resolve_settings(rulebase, settings))
    with control.backend() as backend:
        for symbol in symbols:
            backend.add_rule([backend.add_atom(symbol)])
        for fact_id in sorted(allowed):
            backend.add_rule([backend.add_atom(Function("decisive_candidate", [String(fact_id)]))])
    control.ground([("base", [])])
    state, obligation, person = key
    target = Function(
        "at_least", [String(state), Function(obligation), String(person), Number(STATUS_RANKS[status])]
    )
    target_atom = control.symbolic_atoms[target]
    if target_atom is None:
        return []
    assumptions = _scenario_literals(control, case, scenario)
    found: list[list[str]] = []
    with control.backend() as backend:
        backend.add_rule([], [target_atom.literal])  # the finding must fall
    while len(found) < limit:
        best: list[Symbol] | None = None
        handle = control.solve(assumptions=assumptions, yield_=True)
        assert isinstance(handle, clingo.SolveHandle)
        with handle:
            for model in handle:  # in opt mode the last model is an optimum
                best = [s for s in model.symbols(atoms=True) if s.name == "withdrawn"]
        if best is None or len(best) > max_size:
            break
        withdrawn = sorted(s.arguments[0].string for s in best)
        found.append(withdrawn)
        with control.backend() as backend:  # block this set and every superset of it
            literals = [control.symbolic_atoms[s].literal for s in best]  # type: ignore[union-attr]
            backend.add_rule([], literals)
    return found


def _scenario_literals(control: clingo.Control, case: Case, scenario: Sequence[str]) -> list[int]:
    literals: list[int] = []
    unknown = {f.id for f in case.facts if f.unknown}
    for choice in scenario:
        if "=" in choice:
            point, _, account = choice.partition("=")
            symbol, truth = Function("chosen", [String(point), String(account)]), True
        elif choice.startswith("not ") and choice[4:] in unknown:
            symbol, truth = Function("holds", [String(choice[4:])]), False
        elif choice in unknown:
            symbol, truth = Function("holds", [String(choice)]), True
        else:
            continue
        atom = control.symbolic_atoms[symbol]
        if atom is not None:
            literals.append(atom.literal if truth else -atom.literal)
    return literals
