"""Synthetic case files for the benchmark.

A generated case has N persons (groups with unaccompanied children, and individuals), M removals in chains
across states (each person is moved from state to state and finally returned to the state of their
nationality), and K independent contested points (each one asks whether one removal happened, or whether
the person left on their own). Risk evidence dated before the acts, practice facts, individual assessments
(mostly not made) and protection claims make the findings non-trivial: most chains end in a breach of
some obligations, engage others, and leave the rest not engaged.

State codes come from the project's treaty participation data, so that treaty participation matters.
The output is deterministic for a given seed.

    python bench/generate.py OUT_DIR --count 200 --persons 2 --removals 4 --contested 1 --seed 1
    python bench/generate.py OUT_DIR --facts 1000          # one case of exactly 1,000 facts
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from pathlib import Path
from typing import Any

import yaml

CaseDict = dict[str, Any]

START = dt.date(2018, 1, 1)
AS_OF = dt.date(2023, 12, 31)
EVIDENCE_DATE = dt.date(2016, 6, 1)  # before every act: counts toward what the states knew
REPORT_DATE = dt.date(2023, 6, 1)  # after the acts: establishes the facts only
MANNERS = ("deportation", "expulsion", "handover", "rejection_at_frontier")
HARMS = ("torture", "cruel_inhuman_degrading", "arbitrary_detention", "persecution", "death")


def state_pool() -> list[str]:
    """Every state with a row in ``src/nonrefoulement/data/treaties.yaml``."""
    from nonrefoulement.treaties import treaty_data

    return sorted({row.state for row in treaty_data().participation})


def _day(offset: int) -> str:
    return (START + dt.timedelta(days=offset)).isoformat()


def generate(
    persons: int = 2,
    removals: int = 4,
    contested: int = 0,
    *,
    seed: int = 0,
    case_id: str | None = None,
    states: int = 8,
) -> CaseDict:
    """A case with ``persons`` persons, ``removals`` removals and ``contested`` contested points, among
    ``states`` states drawn from the treaty data (an incident involves a handful of states, however many
    people it concerns: findings, one per state, obligation and person, then grow with the persons)."""
    if persons < 1:
        raise ValueError("a case needs at least one person")
    if contested > removals:
        raise ValueError(f"{contested} contested points need at least as many removals (got {removals})")
    rng = random.Random(seed)
    pool = sorted(rng.sample(state_pool(), states))
    case_id = case_id or f"synthetic-{seed}-n{persons}-m{removals}-k{contested}"

    nationalities = [rng.choice(pool) for _ in range(persons)]
    reports = [f"report-{j}" for j in range(3)]
    sources: list[dict[str, Any]] = [
        {"id": rid, "title": f"Synthetic report {j}", "publisher": "Bench", "date": REPORT_DATE.isoformat()}
        for j, rid in enumerate(reports)
    ]
    sources += [
        {
            "id": f"evidence-{code}",
            "title": f"Returnees to {code} (synthetic)",
            "publisher": "Bench NGO",
            "date": EVIDENCE_DATE.isoformat(),
        }
        for code in sorted(set(nationalities))
    ]

    people: list[dict[str, Any]] = []
    for i, nationality in enumerate(nationalities):
        person: dict[str, Any] = {"id": f"p{i}", "name": f"person {i}", "nationality": nationality}
        if i % 2 == 0:
            person["kind"] = "group"
            person["members"] = [
                {"count": 2, "age": {"min": 12, "max": 17}, "unaccompanied": True},
                {"count": 3, "age": {"min": 20, "max": 40}},
            ]
        else:
            person["members"] = [{"count": 1, "age": {"min": 30, "max": 30}}]
        people.append(person)

    # M removals spread over the persons as chains: hop k of person i moves them from chain[k] to chain[k+1].
    hops = [removals // persons + (1 if i < removals % persons else 0) for i in range(persons)]
    chains: list[list[str]] = []
    for i, nationality in enumerate(nationalities):
        others = [s for s in pool if s != nationality]
        if hops[i] <= len(others):  # a state at most once in a chain: then contested points stay independent
            chain = rng.sample(others, hops[i])
        else:  # a long chain revisits states (pushed back and forth), never the state it is in
            chain = []
            for _ in range(hops[i]):
                chain.append(rng.choice([s for s in others if not chain or s != chain[-1]]))
        chains.append([*chain, nationality])

    # K contested points, spread round-robin over the persons' hops (so that they are independent).
    order = [(i, k) for k in range(max(hops, default=0)) for i in range(persons) if k < hops[i]]
    contested_hops = {hop: j for j, hop in enumerate(order[:contested])}

    facts: list[dict[str, Any]] = []
    used: set[tuple[str, str]] = set()

    def fact(**fields: Any) -> None:
        fields.setdefault("sources", [rng.choice(reports)])
        facts.append(fields)

    for i, chain in enumerate(chains):
        pid = f"p{i}"
        offset = 30 * i % 365
        fact(
            id=f"presence-{i}-0",
            kind="presence",
            person=pid,
            territory=chain[0],
            date=_day(offset),
            entry="unlawful",
        )
        fact(
            id=f"risk-{i}",
            kind="risk",
            destination=nationalities[i],
            persons=[pid],
            harms=rng.sample(HARMS, 3),
            grounds=["political_opinion"],
            basis=rng.choice(("group", "personal")),
            description="returnees are punished as traitors",
            sources=[f"evidence-{nationalities[i]}"],
        )
        for k in range(hops[i]):
            here, there = chain[k], chain[k + 1]
            day = offset + 10 * k
            fact(
                id=f"custody-{i}-{k}",
                kind="custody",
                person=pid,
                by=here,
                territory=here,
                date=_day(day),
                until=_day(day + 3),
            )
            removal: dict[str, Any] = {
                "id": f"removal-{i}-{k}",
                "kind": "removal",
                "person": pid,
                "by": here,
                "origin": here,
                "to": there,
                "manner": rng.choice(MANNERS),
                "stage": "decided" if rng.random() < 0.1 else "completed",
                "date": _day(day + 3),
            }
            point = contested_hops.get((i, k))
            if point is not None:
                removal["account"] = f"c{point}=removed"
            fact(**removal)
            if point is not None:
                fact(
                    id=f"departure-{i}-{k}",
                    kind="departure",
                    person=pid,
                    origin=here,
                    to=there,
                    date=_day(day + 3),
                    account=f"c{point}=left",
                )
            fact(
                id=f"assessment-{i}-{k}", kind="assessment", state=here, person=pid, made=rng.random() < 0.25
            )
            if rng.random() < 0.5:
                fact(id=f"claim-{i}-{k}", kind="protection_claim", person=pid, state=here, date=_day(day + 1))
            if (here, nationalities[i]) not in used and rng.random() < 0.3:
                used.add((here, nationalities[i]))
                fact(
                    id=f"practice-{here}-{nationalities[i]}",
                    kind="practice",
                    state=here,
                    nationality=nationalities[i],
                    destination=nationalities[i],
                    description="returns them without examination",
                    sources=[f"evidence-{nationalities[i]}"],
                )
            if k + 1 < hops[i]:
                fact(
                    id=f"presence-{i}-{k + 1}",
                    kind="presence",
                    person=pid,
                    territory=there,
                    date=_day(day + 3),
                    entry="unlawful",
                )

    points = [
        {
            "id": f"c{j}",
            "question": f"Was removal {j} carried out, or did the person leave on their own?",
            "accounts": [
                {"id": "removed", "label": "removed by the state", "sources": [reports[0]]},
                {"id": "left", "label": "left on their own", "sources": [reports[1]]},
            ],
        }
        for j in range(contested)
    ]
    named = {code for chain in chains for code in chain}
    return {
        "id": case_id,
        "title": f"Synthetic case: {persons} persons, {removals} removals, {contested} contested points",
        "as_of": AS_OF.isoformat(),
        "hypothetical": True,
        "sources": sources,
        "states": [s for s in pool if s in named],
        "persons": people,
        "contested_points": points,
        "facts": facts,
    }


def sized(facts: int, *, contested: int = 0, seed: int = 0) -> CaseDict:
    """A case of exactly ``facts`` facts: one person per 50 facts, a removal per 4 to 5 facts (then cut)."""
    persons = max(1, facts // 50)
    removals = max(1, contested, facts // 5)
    while True:
        case = generate(persons, removals, contested, seed=seed, case_id=f"synthetic-{facts}-facts")
        if len(case["facts"]) >= facts:
            case["facts"] = case["facts"][:facts]
            return case
        removals += max(1, removals // 10)


def write_case(case: CaseDict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(case, sort_keys=False, width=110), encoding="utf-8")
    return path


def write_corpus(
    directory: Path, count: int, *, persons: int = 2, removals: int = 4, contested: int = 1, seed: int = 0
) -> list[Path]:
    """``count`` cases (seeds ``seed``, ``seed + 1``, ...) as YAML files in ``directory``."""
    return [
        write_case(
            generate(persons, removals, contested, seed=seed + n, case_id=f"synthetic-{seed + n:05d}"),
            directory / f"synthetic-{seed + n:05d}.yaml",
        )
        for n in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("directory", type=Path)
    parser.add_argument("--count", type=int, default=1, help="how many cases (default 1)")
    parser.add_argument("--persons", type=int, default=2)
    parser.add_argument("--removals", type=int, default=4)
    parser.add_argument("--contested", type=int, default=1)
    parser.add_argument("--facts", type=int, default=None, help="one case of exactly this many facts")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.facts is not None:
        case = sized(args.facts, contested=args.contested, seed=args.seed)
        print(write_case(case, args.directory / f"{case['id']}.yaml"))
        return
    for path in write_corpus(
        args.directory,
        args.count,
        persons=args.persons,
        removals=args.removals,
        contested=args.contested,
        seed=args.seed,
    ):
        print(path)


if __name__ == "__main__":
    main()
