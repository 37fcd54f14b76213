"""The benchmark: what a case costs in nonref against what clingo itself needs, and how it grows.

    python bench/run.py            # the full run (several minutes)
    python bench/run.py --quick    # one repetition of each, smaller sizes, time-boxed rows (under a minute)

It prints one table of medians (over repeated runs), each row with its target where the issue sets one:

(a) per-case ``evaluate(explain=False)`` against raw clingo making the same solve calls (recorded from the
    engine, replayed through clingo's Python API: the parsed rules from ``load_rulebase().statements`` and
    the facts from ``facts.case_symbols``, prepared outside the timed loop);
(b) cold start of ``nonref --help`` and ``nonref check`` (subprocesses);
(c) batch throughput with 1 and 2 processes;
(d) growth with case size (10 to 10,000 facts);
(e) growth with the number K of contested points;
(f) ``evaluate`` with and without explanations.

The benchmark reports; it never fails on a missed target. Times are wall-clock seconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import clingo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import CaseDict, generate, sized, write_corpus

from nonrefoulement import batch, engine
from nonrefoulement.case import Case
from nonrefoulement.facts import case_symbols
from nonrefoulement.load import load_case
from nonrefoulement.rules import load_rulebase
from nonrefoulement.treaties import treaty_data

ROOT = Path(__file__).resolve().parent.parent
SEED_CASE = ROOT / "cases" / "laos-china-2013.yaml"
SLOW = 10.0  # seconds: a row this slow is measured once


# --- timing -------------------------------------------------------------------------------------------


class OverBudget(Exception):
    pass


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Interrupt the block after ``seconds`` (between solver calls: clingo returns to Python per model)."""
    if not seconds:
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise OverBudget

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class Timing:
    median: float | None  # None: over budget
    runs: int
    budget: float | None = None

    def text(self) -> str:
        if self.median is None:
            return "—" if self.budget is None else f"> {self.budget:.0f} s"
        return seconds(self.median)


def seconds(value: float) -> str:
    if value < 1:
        return f"{value * 1000:.1f} ms"
    return f"{value:.2f} s"


def measure(
    function: Callable[[], object], *, repeat: int, warmup: bool = True, budget: float | None = None
) -> Timing:
    """Median wall time of ``repeat`` runs (fewer if the runs so far already took ``budget`` seconds)."""
    times: list[float] = []
    spent = 0.0
    try:
        with deadline(budget):
            if warmup:
                started = time.perf_counter()
                function()
                spent += time.perf_counter() - started
            for _ in range(repeat):
                started = time.perf_counter()
                function()
                times.append(time.perf_counter() - started)
                spent += times[-1]
                if (budget and spent > budget / 2) or spent > SLOW * 3:
                    break
    except OverBudget:
        if not times:
            return Timing(None, 0, budget)
    return Timing(statistics.median(times), len(times), budget)


# --- the engine and raw clingo --------------------------------------------------------------------------


class _RecordingBackend:
    """A clingo backend that logs every call made through it."""

    def __init__(self, backend: Any, log: list[tuple[str, tuple[Any, ...], dict[str, Any]]]):
        self._backend = backend
        self._log = log

    def __enter__(self) -> _RecordingBackend:
        self._backend.__enter__()
        return self

    def __exit__(self, *exc: object) -> Any:
        return self._backend.__exit__(*exc)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._backend, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self._log.append((name, args, kwargs))
            return method(*args, **kwargs)

        return call


@dataclass
class Trace:
    """What ``evaluate`` asked of clingo once the case was grounded: rules added through the backend, and
    solve calls (mode, number of models, assumption literals). Literals are replayed as they are: the same
    statements and facts added in the same order ground to the same atom numbering (checked)."""

    operations: list[tuple[Any, ...]]
    fingerprint: list[tuple[str, int]]
    controls: int  # how many Controls evaluate created (only the first is traced)

    @property
    def solves(self) -> int:
        return sum(1 for op in self.operations if op[0] == "solve")


FINGERPRINT_ATOMS = 2000
BRAVE_CAUTIOUS = Trace([("solve", "brave", "0", ()), ("solve", "cautious", "0", ())], [], 1)


def fingerprint(control: clingo.Control) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for atom in control.symbolic_atoms:
        out.append((str(atom.symbol), atom.literal))
        if len(out) >= FINGERPRINT_ATOMS:
            break
    return out


def trace_of(case: Case, *, explain: bool) -> Trace:
    """Run ``evaluate`` once with ``clingo.Control`` replaced by a subclass that records what it is asked."""
    real = clingo.Control
    trace = Trace([], [], 0)

    class Recording(real):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any):
            super().__init__(*args, **kwargs)
            trace.controls += 1
            self._traced = trace.controls == 1
            self._grounded = False

        def ground(self, *args: Any, **kwargs: Any) -> Any:
            if self._traced and self._grounded:
                trace.operations.append(("ground", args, kwargs))
            result = super().ground(*args, **kwargs)
            if self._traced and not self._grounded:
                trace.fingerprint = fingerprint(self)
            self._grounded = True
            return result

        def backend(self) -> Any:
            backend = super().backend()
            if not (self._traced and self._grounded):
                return backend
            log: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
            trace.operations.append(("backend", log))
            return _RecordingBackend(backend, log)

        def solve(self, assumptions: Any = (), *args: Any, **kwargs: Any) -> Any:
            if self._traced:
                solve = self.configuration.solve
                assumed = tuple(assumptions)
                trace.operations.append(("solve", solve.enum_mode, solve.models, assumed))
            return super().solve(assumptions, *args, **kwargs)

    clingo.Control = Recording  # type: ignore[misc]
    try:
        engine.evaluate(case, explain=explain)
    finally:
        clingo.Control = real  # type: ignore[misc]
    return trace


class Raw:
    """Raw clingo on the same program and facts, making the same calls: everything is prepared here,
    outside the timed loop, which only builds the Control, grounds, and replays the trace."""

    def __init__(self, case: Case, trace: Trace, *, explain: bool = False):
        rulebase = load_rulebase()
        self.statements = list(rulebase.program(explain=explain))
        settings = {name: setting.default for name, setting in rulebase.settings.items()}
        self.symbols = case_symbols(case, treaty_data(), settings)
        self.operations = list(trace.operations)
        if trace.fingerprint and fingerprint(self.grounded()) != trace.fingerprint:
            raise RuntimeError("raw clingo grounds the case differently from the engine: cannot replay")

    def grounded(self) -> clingo.Control:
        control = clingo.Control(["--warn=none"])
        with clingo.ast.ProgramBuilder(control) as builder:
            for statement in self.statements:
                builder.add(statement)
        with control.backend() as backend:
            for symbol in self.symbols:
                backend.add_rule([backend.add_atom(symbol)])
        control.ground([("base", [])])
        return control

    def __call__(self) -> None:
        control = self.grounded()
        configuration = control.configuration.solve
        assert isinstance(configuration, clingo.Configuration)

        def shown(model: clingo.Model) -> None:
            model.symbols(shown=True)

        def every_atom(model: clingo.Model) -> None:
            model.symbols(atoms=True)

        for operation in self.operations:
            if operation[0] == "solve":
                _, mode, models, assumptions = operation
                configuration.enum_mode = mode
                configuration.models = models
                # consequences: only the last model counts; a witness ("auto"): all its atoms
                control.solve(assumptions=assumptions, on_last=every_atom if mode == "auto" else shown)
            elif operation[0] == "backend":
                with control.backend() as backend:
                    for name, args, kwargs in operation[1]:
                        getattr(backend, name)(*args, **kwargs)
            elif operation[0] == "ground":
                control.ground(*operation[1], **operation[2])


def calls(trace: Trace | None) -> str:
    if trace is None:
        return "not traced (over budget)"
    rules = sum(len(op[1]) for op in trace.operations if op[0] == "backend")
    text = f"{trace.solves} solve call{'s' if trace.solves != 1 else ''}"
    if rules:
        text += f" (+{rules} backend calls)"
    if trace.controls > 1:
        text += f"; {trace.controls - 1} other Control(s) not replayed"
    return text


def engine_and_raw(
    case: Case, *, repeat: int, budget: float | None, raw_warmup: bool = True
) -> tuple[Timing, Timing, Trace | None]:
    """``evaluate(explain=False)`` and raw clingo making the same solve calls. The run that records the calls
    is the warm-up (or, with ``repeat=1``, the one measurement)."""
    started = time.perf_counter()
    try:
        with deadline(budget):
            trace = trace_of(case, explain=False)
    except OverBudget:
        return Timing(None, 0, budget), Timing(None, 0), None
    first = time.perf_counter() - started
    if repeat <= 1 or first > SLOW:  # a slow run has no start-up cost worth a warm-up: it is the sample
        ours = Timing(first, 1)
        raw = measure(Raw(case, trace), repeat=1, warmup=raw_warmup and first <= SLOW, budget=budget)
    else:
        ours = measure(evaluating(case), repeat=repeat, warmup=False, budget=budget)
        raw = measure(Raw(case, trace), repeat=repeat, warmup=raw_warmup, budget=budget)
    return ours, raw, trace


def evaluating(case: Case, *, explain: bool = False) -> Callable[[], object]:
    return lambda: engine.evaluate(case, explain=explain)


def validated(data: CaseDict) -> Case:
    return Case.model_validate(data)


# --- the table ------------------------------------------------------------------------------------------


@dataclass
class Row:
    section: str
    name: str
    nonref: str
    raw: str = ""
    ratio: str = ""
    target: str = ""
    verdict: str = ""
    note: str = ""


HEADER = ("", "measurement", "nonref", "raw clingo", "ratio", "target", "met", "note")


def print_row(row: Row, widths: Sequence[int]) -> None:
    cells = (row.section, row.name, row.nonref, row.raw, row.ratio, row.target, row.verdict, row.note)
    print("  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip(), flush=True)


WIDTHS = (3, 44, 10, 10, 7, 16, 4, 0)


def verdict(met: bool | None) -> str:
    return "?" if met is None else ("yes" if met else "NO")


def ratio_of(a: Timing, b: Timing) -> float | None:
    if a.median is None or b.median is None or b.median == 0:
        return None
    return a.median / b.median


def ratio_text(value: float | None, *, lower_bound: bool = False) -> str:
    if value is None:
        return "—"
    return f"{'> ' if lower_bound else ''}{value:.2f}x"


# --- sections -------------------------------------------------------------------------------------------


def section_a(repeat: int, budget: float | None) -> list[Row]:
    rows: list[Row] = []
    cases: list[tuple[str, Case]] = [
        ("seed case (laos-china-2013)", load_case(SEED_CASE)),
        ("generated: 2 persons, 4 removals, K=1", validated(generate(2, 4, 1, seed=1))),
        ("generated: 10 persons, 30 removals, K=3", validated(generate(10, 30, 3, seed=1))),
    ]
    for label, case in cases:
        ours, raw, trace = engine_and_raw(case, repeat=repeat, budget=budget, raw_warmup=repeat > 1)
        ratio = ratio_of(ours, raw)
        rows.append(
            Row(
                "a",
                label,
                ours.text(),
                raw.text(),
                ratio_text(ratio),
                "<= 1.5x raw",
                verdict(None if ratio is None else ratio <= 1.5),
                f"{len(case.facts)} facts; {calls(trace)}",
            )
        )
    return rows


def nonref_command() -> list[str]:
    script = Path(sys.executable).with_name("nonref")
    if script.exists():
        return [str(script)]
    found = shutil.which("nonref")
    return [found] if found else [sys.executable, "-m", "nonrefoulement"]


def section_b(repeat: int) -> list[Row]:
    command = nonref_command()

    def run(*args: str) -> Callable[[], object]:
        quiet = subprocess.DEVNULL
        return lambda: subprocess.run([*args], check=True, stdout=quiet, stderr=quiet)

    floor = measure(run(sys.executable, "-c", "import clingo"), repeat=repeat)
    helped = measure(run(*command, "--help"), repeat=repeat)
    checked = measure(run(*command, "check", str(SEED_CASE)), repeat=repeat)
    note = "raw: python -c 'import clingo'"
    return [
        Row(
            "b",
            "nonref --help (cold start)",
            helped.text(),
            floor.text(),
            ratio_text(ratio_of(helped, floor)),
            "< 0.3 s",
            verdict(helped.median is not None and helped.median < 0.3),
            note,
        ),
        Row(
            "b",
            "nonref check cases/laos-china-2013.yaml",
            checked.text(),
            floor.text(),
            ratio_text(ratio_of(checked, floor)),
            "(reported)",
            "",
            note,
        ),
    ]


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the batch's worker processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def section_c(count: int, repeat: int, workdir: Path) -> list[Row]:
    directory = workdir / "corpus"
    write_corpus(directory, count, persons=2, removals=4, contested=1, seed=1000)
    rows: list[Row] = []
    timings: dict[int, Timing] = {}
    for jobs in (1, 2):
        busy: list[float] = []

        def run_batch(jobs: int = jobs, busy: list[float] = busy) -> None:
            cpu, wall = cpu_seconds(), time.perf_counter()
            results = list(batch.run([directory], jobs=jobs))
            busy.append((cpu_seconds() - cpu) / (time.perf_counter() - wall))
            assert len(results) == count and all(r.ok for r in results)

        timings[jobs] = measure(run_batch, repeat=repeat, warmup=False)
        median = timings[jobs].median
        rate = f"{count / median:.1f} cases/s; {statistics.median(busy):.2f} CPUs busy" if median else ""
        speedup = ratio_of(timings[1], timings[jobs]) if jobs > 1 else None
        rows.append(
            Row(
                "c",
                f"batch, {count} generated cases, {jobs} process{'es' if jobs > 1 else ''}",
                timings[jobs].text(),
                "",
                "" if speedup is None else f"{speedup:.2f}x",
                "(reported)",
                "",
                rate + (f" (of {batch.default_jobs()})" if jobs > 1 else ""),
            )
        )
    return rows


def section_d(sizes: Sequence[int], repeat: int, budget: float | None) -> list[Row]:
    rows: list[Row] = []
    previous: tuple[int, float, float | None] | None = None
    marginal: list[float] = []
    for facts in sizes:
        case = validated(sized(facts, seed=7))
        ours, raw, _ = engine_and_raw(case, repeat=repeat, budget=budget, raw_warmup=repeat > 1)
        findings = len(case.states) * len(case.persons) * 7
        note = f"{len(case.persons)} persons, {len(case.states)} states, {findings:,} findings"
        target, met = "", ""
        if ours.median is not None:
            note = f"{ours.median / facts * 1e6:,.0f} µs/fact; " + note
            if previous is not None:
                step = (ours.median - previous[1]) / (facts - previous[0])
                marginal.append(step)
                note += f"; marginal {step * 1e6:,.0f} µs/fact"
                if raw.median is not None and previous[2] is not None:
                    note += f" (raw {(raw.median - previous[2]) / (facts - previous[0]) * 1e6:,.0f})"
            previous = (facts, ours.median, raw.median)
        if len(marginal) >= 2 and facts == sizes[-1]:
            growth = marginal[-1] / marginal[-2] if marginal[-2] > 0 else None
            target = "linear in facts"
            met = verdict(None if growth is None else growth <= 1.5)
            note += f"; {growth:.2f}x the step before" if growth is not None else ""
        elif ours.median is None and facts == sizes[-1]:
            target, met = "linear in facts", "NO"
        ratio = ratio_of(ours, raw)
        rows.append(
            Row(
                "d",
                f"{facts:,} facts",
                ours.text(),
                raw.text(),
                ratio_text(ratio),
                target,
                met,
                note,
            )
        )
    return rows


def section_e(ks: Sequence[int], repeat: int, budget: float | None) -> list[Row]:
    rows: list[Row] = []
    base: Timing | None = None
    for k in ks:
        case = validated(generate(10, 30, k, seed=1))
        ours, raw, trace = engine_and_raw(case, repeat=repeat, budget=budget, raw_warmup=False)
        floor = measure(Raw(case, BRAVE_CAUTIOUS), repeat=repeat, budget=budget)
        base = base or ours
        growth = ratio_of(ours, base)
        lower_bound = ours.median is None and base.median is not None and budget is not None
        if lower_bound and budget is not None and base.median:
            growth = budget / base.median
        rows.append(
            Row(
                "e",
                f"K = {k} (10 persons, 30 removals)",
                ours.text(),
                raw.text(),
                ratio_text(ratio_of(ours, raw)),
                "K=30 <= 2x K=0" if k == ks[-1] else "",
                verdict(None if growth is None else growth <= 2) if k == ks[-1] else "",
                f"{ratio_text(growth, lower_bound=lower_bound)} K=0; "
                + (f"{calls(trace)}; " if trace else "")
                + f"brave+cautious alone: {floor.text()}",
            )
        )
    return rows


def section_f(repeat: int) -> list[Row]:
    case = load_case(SEED_CASE)
    quiet = measure(lambda: engine.evaluate(case, explain=False), repeat=repeat)
    explained = measure(lambda: engine.evaluate(case, explain=True), repeat=repeat)
    trace = trace_of(case, explain=True)
    raw = measure(Raw(case, trace, explain=True), repeat=repeat)
    return [
        Row("f", "seed case, explain=False", quiet.text(), "", "", "(reported)"),
        Row(
            "f",
            "seed case, explain=True",
            explained.text(),
            raw.text(),
            ratio_text(ratio_of(explained, raw)),
            "(reported)",
            "",
            f"{ratio_text(ratio_of(explained, quiet))} explain=False; {calls(trace)}",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="one repetition, smaller sizes (under a minute)")
    args = parser.parse_args()
    quick: bool = args.quick
    repeat = 1 if quick else 5
    budget = 5.0 if quick else 600.0  # seconds a measurement may take before it is reported as "> budget"

    started = time.perf_counter()
    load_rulebase()
    treaty_data()
    print(
        f"nonref benchmark {'(quick) ' if quick else ''}{dt.date.today().isoformat()}: "
        f"Python {platform.python_version()}, clingo {clingo.__version__}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    print_row(Row(*HEADER), WIDTHS)
    with tempfile.TemporaryDirectory(prefix="nonref-bench-") as work:
        sections: list[Callable[[], list[Row]]] = [
            lambda: section_a(repeat if quick else 7, budget),
            lambda: section_b(3 if quick else 5),
            lambda: section_c(10 if quick else 200, 1 if quick else 3, Path(work)),
            lambda: section_d((10, 100, 1_000) if quick else (10, 100, 1_000, 10_000), repeat, budget),
            lambda: section_e((0, 10, 30), 1 if quick else 3, budget),
            lambda: section_f(repeat),
        ]
        for section in sections:
            for row in section():
                print_row(row, WIDTHS)
    print(
        f"total {time.perf_counter() - started:.0f} s; load average {os.getloadavg()[0]:.2f} at the end",
        flush=True,
    )


if __name__ == "__main__":
    main()
