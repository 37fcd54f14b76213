"""Many cases: evaluate every case file found, across worker processes or a dask.distributed cluster.

Each case is independent, so the work spreads over processes. Every worker parses the rule base and reads
the treaty data once (``rules.load_rulebase`` and ``treaties.treaty_data`` are cached per process), then
gives each case a fresh clingo ``Control`` (see ``engine.Scenarios``): a case costs only its own facts.

Results stream back one per case as each finishes (completion order); a case that cannot be read or
evaluated yields an error record with its located message, and the batch goes on. ``sort_results`` puts
them in path order for output that must be reproducible::

    from nonrefoulement.batch import run, sort_results, summarize, to_jsonl
    results = sort_results(run(["cases/"], jobs=2))
    print(to_jsonl(results), summarize(results, seconds=0).line())

Evaluation is always ``explain=False``: records carry the report without explanation trees.
"""

from __future__ import annotations

import csv
import importlib
import io
import json
import multiprocessing
import os
import signal
import sys
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import NonrefError, UsageError

FORMATS = ("jsonl", "csv")
CSV_COLUMNS = (
    "path",
    "case",
    "state",
    "obligation",
    "person",
    "status",
    "status_all",
    "certainty",
    "procedural",
    "accounts",
)
DASK_MISSING = (
    "running on a dask cluster needs the optional dask extra: pip install 'nonrefoulement[dask]' "
    "(or pip install 'dask[distributed]')"
)


@dataclass(frozen=True)
class CaseResult:
    """The outcome for one case file: the report (JSON, without explanations), or the error."""

    path: str
    ok: bool
    report: dict[str, Any] | None = None
    error: str | None = None

    def record(self) -> dict[str, Any]:
        """The JSON Lines record: ``{"path", "ok": true, "report"}`` or ``{"path", "ok": false, "error"}``."""
        if self.ok:
            return {"path": self.path, "ok": True, "report": self.report}
        return {"path": self.path, "ok": False, "error": self.error}

    def jsonl(self) -> str:
        return json.dumps(self.record(), ensure_ascii=False) + "\n"

    def findings(self) -> list[dict[str, Any]]:
        return list(self.report["findings"]) if self.report is not None else []

    def breaches(self) -> int:
        """Findings whose status is a breach indicated under at least one account."""
        return sum(1 for finding in self.findings() if finding["status"] == "breach")

    def csv_rows(self) -> list[list[str]]:
        """One row per finding (none for a failed case)."""
        if self.report is None:
            return []
        case_id = str(self.report["case"]["id"])
        return [
            [
                self.path,
                case_id,
                f["state"],
                f["obligation"],
                f["person"],
                f["status"],
                f["status_all"],
                f["certainty"],
                f["procedural"]["status"],
                ";".join(f["accounts"]),
            ]
            for f in self.findings()
        ]


@dataclass(frozen=True)
class Summary:
    cases: int
    ok: int
    failed: int
    breaches: int
    seconds: float

    def line(self) -> str:
        rate = f" ({self.cases / self.seconds:.1f} cases/s)" if self.seconds > 0 and self.cases else ""
        return (
            f"{self.cases} case{'s' if self.cases != 1 else ''}: {self.ok} ok, {self.failed} failed; "
            f"{self.breaches} breach{'es' if self.breaches != 1 else ''} indicated; "
            f"{self.seconds:.2f} s{rate}"
        )


def summarize(results: Iterable[CaseResult], seconds: float) -> Summary:
    items = list(results)
    ok = sum(1 for r in items if r.ok)
    return Summary(len(items), ok, len(items) - ok, sum(r.breaches() for r in items), seconds)


def sort_results(results: Iterable[CaseResult]) -> list[CaseResult]:
    """Results in path order: what a file of results holds, whatever order the cases finished in."""
    return sorted(results, key=lambda r: r.path)


def to_jsonl(results: Iterable[CaseResult]) -> str:
    return "".join(r.jsonl() for r in results)


def csv_text(rows: Iterable[Sequence[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue()


def to_csv(results: Iterable[CaseResult], *, header: bool = True) -> str:
    rows: list[Sequence[str]] = [CSV_COLUMNS] if header else []
    for result in results:
        rows.extend(result.csv_rows())
    return csv_text(rows)


def case_files(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """Every case file under the paths (files as given, directories searched), each once, in order."""
    from .load import iter_case_files

    found = (str(p) for p in iter_case_files([os.fspath(p) for p in paths]))
    return list(dict.fromkeys(found))


# --- one case ---------------------------------------------------------------------------------------


def _report_json(case: Any) -> dict[str, Any]:
    from .engine import evaluate

    report = evaluate(case, explain=False)
    dumped: dict[str, Any] = report.model_dump(
        mode="json", by_alias=True, exclude={"findings": {"__all__": {"explanation"}}}
    )
    return dumped


def _failure(path: str, error: BaseException) -> CaseResult:
    if isinstance(error, NonrefError):
        message = str(error)
    else:  # a bug, not the case file's fault: still one record, and the batch goes on
        message = f"internal error: {type(error).__name__}: {error}"
    if not message.startswith(path):
        message = f"{path}: {message}"
    return CaseResult(path=path, ok=False, error=message)


def evaluate_file(path: str) -> CaseResult:
    """Load and evaluate one case file; never raises for a bad case."""
    from .load import load_case

    try:
        return CaseResult(path=path, ok=True, report=_report_json(load_case(path)))
    except Exception as error:
        return _failure(path, error)


def evaluate_text(path: str, text: str) -> CaseResult:
    """Evaluate a case file's text, read elsewhere (the task a dask worker runs)."""
    from .load import parse_case

    try:
        case = parse_case(text, file=path, as_json=path.lower().endswith(".json"))
        return CaseResult(path=path, ok=True, report=_report_json(case))
    except Exception as error:
        return _failure(path, error)


def warm_up() -> None:
    """Import the engine, parse the rule base and read the treaty data now (each is cached for the life of
    the process)."""
    from . import engine  # noqa: F401
    from .rules import load_rulebase
    from .treaties import treaty_data

    load_rulebase()
    treaty_data()


def _init_worker() -> None:
    # Ctrl-C is the parent's to handle: it cancels what has not started and the workers exit quietly.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    warm_up()


# --- many cases -------------------------------------------------------------------------------------


def default_jobs() -> int:
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


def run(
    paths: Iterable[str | os.PathLike[str]],
    *,
    jobs: int | None = None,
    scheduler: Any = None,
) -> Iterator[CaseResult]:
    """Evaluate every case file under ``paths``; yield one result per case as each finishes.

    ``jobs`` is the number of worker processes (default: one per CPU; 1 evaluates in this process).
    ``scheduler`` is the address of a dask.distributed scheduler (``"tcp://host:8786"``) or a
    ``distributed.Client``; the cases then run on that cluster (needs the ``dask`` extra).

    The work is submitted before this function returns (so that worker processes are started before
    the caller starts any thread, a progress bar for instance); results arrive as the iterator is read.
    """
    files = case_files(paths)
    if scheduler is not None:
        return _run_dask(files, scheduler)
    workers = min(jobs or default_jobs(), len(files))
    if workers <= 1:
        return _run_here(files)
    return _run_pool(files, workers)


def _run_here(files: list[str]) -> Iterator[CaseResult]:
    for path in files:
        yield evaluate_file(path)


def _pool_context() -> multiprocessing.context.BaseContext:
    # fork: workers start at once and inherit what is imported; elsewhere, where fork is unsafe, spawn.
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    return multiprocessing.get_context(method)


def _run_pool(files: list[str], workers: int) -> Iterator[CaseResult]:
    context = _pool_context()
    if context.get_start_method() == "fork":
        warm_up()  # once, here: the forked workers inherit the parsed rules instead of each parsing them
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker)
    futures = {executor.submit(evaluate_file, path): path for path in files}
    return _drain_pool(executor, futures)


def _drain_pool(
    executor: ProcessPoolExecutor, futures: dict[Future[CaseResult], str]
) -> Iterator[CaseResult]:
    try:
        for future in as_completed(futures):
            try:
                yield future.result()
            except Exception as error:  # a worker died (BrokenProcessPool): say so for this case
                yield _failure(futures[future], error)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


# --- dask.distributed ---------------------------------------------------------------------------------


def _distributed() -> Any:
    try:
        return importlib.import_module("dask.distributed")
    except ImportError as error:
        raise UsageError(DASK_MISSING) from error


def _run_dask(files: list[str], scheduler: Any) -> Iterator[CaseResult]:
    from .load import MAX_CASE_BYTES

    distributed = _distributed()
    own_client = isinstance(scheduler, str)
    if own_client:
        try:
            client = distributed.Client(scheduler)
        except (OSError, TimeoutError, ValueError) as error:
            raise UsageError(f"cannot connect to the dask scheduler at {scheduler}: {error}") from None
    else:
        client = scheduler
    # The client reads every file and ships its text with the task: workers need the package, not the
    # files. A file that cannot be read (or is too large, or not UTF-8) fails here, with load_case's
    # own message.
    local: list[CaseResult] = []
    shipped_paths: list[str] = []
    texts: list[str] = []
    for path in files:
        try:
            raw = Path(path).read_bytes()
            if len(raw) > MAX_CASE_BYTES:
                raise ValueError(path)
            texts.append(raw.decode("utf-8"))
            shipped_paths.append(path)
        except (OSError, ValueError):
            local.append(evaluate_file(path))
    futures = client.map(evaluate_text, shipped_paths, texts, pure=False) if shipped_paths else []
    return _drain_dask(distributed, client if own_client else None, futures, shipped_paths, local)


def _drain_dask(
    distributed: Any, client: Any, futures: list[Any], paths: list[str], local: list[CaseResult]
) -> Iterator[CaseResult]:
    by_key = {future.key: path for future, path in zip(futures, paths, strict=True)}
    try:
        yield from local
        for future in distributed.as_completed(futures):
            try:
                yield future.result()
            except Exception as error:  # a worker lost, or the task failed on the cluster
                yield _failure(by_key[future.key], error)
    finally:
        for future in futures:
            future.release()
        if client is not None:
            client.close()
