"""The ``nonref`` command: a thin shell over the Python API.

Exit codes: 0 success (whatever the findings), 1 invalid input (a located message on stderr), 2 usage
error. No Python traceback for a user's error unless ``--debug`` is given.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ("text", "json", "markdown")


def _pairs(values: Iterable[str], what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        name, sep, choice = value.partition("=")
        if not sep or not name or not choice:
            raise click.BadParameter(f"expected NAME=VALUE, got {value!r}", param_hint=what)
        out[name.strip()] = choice.strip()
    return out


def evaluation_options(function: F) -> F:
    """Options shared by ``check`` and ``explain``: what-if by account, by fact, by doctrine."""
    options = [
        click.option(
            "--doctrine",
            "doctrines",
            multiple=True,
            metavar="NAME=VALUE",
            help="Choose a contested-law setting, e.g. customary=strict (see `nonref rules`).",
        ),
        click.option(
            "--account",
            "accounts",
            multiple=True,
            metavar="POINT=ACCOUNT",
            help="Fix the account of a contested point (what-if by account).",
        ),
        click.option(
            "--retract",
            "retract",
            multiple=True,
            metavar="FACT-ID",
            help="Withdraw a fact of the case file (what-if).",
        ),
        click.option(
            "--assume",
            "assume",
            multiple=True,
            metavar="FACT-ID",
            help="Let an unknown fact, or a fact of one account, hold in every scenario (what-if).",
        ),
        click.option(
            "--state", "states", multiple=True, metavar="CODE", help="Only this state (repeatable)."
        ),
        click.option(
            "--obligation",
            "obligations",
            multiple=True,
            metavar="ID",
            help="Only this obligation: rc33, cat3, iccpr7, crc, echr3, echr_p4_4, customary.",
        ),
        click.option("--person", "persons", multiple=True, metavar="ID", help="Only this person or group."),
        click.option(
            "-o",
            "--output",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Write to FILE (atomically) instead of standard output.",
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(min=0, min_open=True),
            metavar="SECONDS",
            expose_value=False,
            callback=_remember_timeout,
            help="Give up (exit 1) if solving takes longer than SECONDS.",
        ),
        click.option("--debug", is_flag=True, help="Show Python tracebacks."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _remember_timeout(context: click.Context, _: click.Parameter, value: float | None) -> None:
    """``--timeout`` is read where the case is evaluated (``_evaluate``), not passed through each command."""
    context.meta["nonref.timeout"] = value


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nonrefoulement", prog_name="nonref")
def main() -> None:
    """nonref — which states' acts engage, and may breach, non-refoulement obligations, and why.

    Reads a case file (YAML or JSON): the facts of an incident, each with its sources.
    """


def _fail(error: Exception, debug: bool) -> None:
    """Report a user's error without a traceback: exit 1 for invalid input, 2 for a request the engine
    cannot carry out (an unknown account, setting or fact id given on the command line)."""
    from .errors import UsageError

    if debug:
        raise error
    click.echo(f"error: {error}" if isinstance(error, UsageError) else str(error), err=True)
    sys.exit(2 if isinstance(error, UsageError) else 1)


def _write(text: str, output: Path | None, inputs: Iterable[str]) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    target = output.resolve()
    for given in inputs:
        if Path(given).resolve() == target:
            raise click.UsageError(f"refusing to write over the input file {given}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as error:  # the old file, if any, is left as it was
        raise click.ClickException(f"cannot write {output}: {error.strerror or error}") from None


def _evaluate(
    path: str,
    doctrines: tuple[str, ...],
    accounts: tuple[str, ...],
    retract: tuple[str, ...],
    explain: bool,
    assume: tuple[str, ...] = (),
) -> Any:
    from .engine import evaluate
    from .load import load_case

    case = load_case(path)
    return evaluate(
        case,
        settings=_pairs(doctrines, "--doctrine"),
        accounts=_pairs(accounts, "--account"),
        retract=retract,
        assume=assume,
        explain=explain,
        timeout=click.get_current_context().meta.get("nonref.timeout"),
    )


def _select(
    report: Any, states: tuple[str, ...], obligations: tuple[str, ...], persons: tuple[str, ...]
) -> Any:
    findings = [
        f
        for f in report.findings
        if (not states or f.state in states)
        and (not obligations or f.obligation in obligations)
        and (not persons or f.person in persons)
    ]
    return report.model_copy(update={"findings": findings})


@main.command()
@click.argument("cases", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice((*FORMATS, "html")), default="text", show_default=True)
@evaluation_options
def check(
    cases: tuple[str, ...],
    fmt: str,
    doctrines: tuple[str, ...],
    accounts: tuple[str, ...],
    retract: tuple[str, ...],
    assume: tuple[str, ...],
    states: tuple[str, ...],
    obligations: tuple[str, ...],
    persons: tuple[str, ...],
    output: Path | None,
    debug: bool,
) -> None:
    """Findings per state, obligation and person for each CASE file."""
    from .errors import NonrefError
    from .render import render_report

    color = output is None and sys.stdout.isatty()
    chunks: list[str] = []
    if fmt == "html" and len(cases) > 1:
        raise click.UsageError("--format html takes one CASE: the page is a report on one case")
    try:
        for path in cases:
            report = _evaluate(path, doctrines, accounts, retract, explain=fmt != "text", assume=assume)
            report = _select(report, states, obligations, persons)
            if fmt == "html":
                chunks.append(_html_page(path, report))
            else:
                chunks.append(render_report(report, fmt, color=color))
                if fmt == "text" and (doctrines or accounts or retract or assume):
                    chunks.append(_what_if(path, report, states, obligations, persons))
    except NonrefError as error:
        _fail(error, debug)
    _write("".join(chunks), output, cases)


def _what_if(
    path: str, report: Any, states: tuple[str, ...], obligations: tuple[str, ...], persons: tuple[str, ...]
) -> str:
    """The findings a what-if changed, against the case as written."""
    from .compare import compare_reports, render_diff

    baseline = _select(_evaluate(path, (), (), (), explain=False), states, obligations, persons)
    diff = compare_reports(baseline, report)
    return "\nWhat-if, against the case as written:\n" + render_diff(diff, with_steps=False)


def _html_page(path: str, report: Any) -> str:
    """The analyst's HTML page: the report, with the case for the route map and the timeline."""
    from .load import load_case
    from .render.html import render_html

    return render_html(report, load_case(path))


@main.command("report")
@click.argument("case", type=click.Path(dir_okay=False))
@evaluation_options
def report_page(
    case: str,
    doctrines: tuple[str, ...],
    accounts: tuple[str, ...],
    retract: tuple[str, ...],
    assume: tuple[str, ...],
    states: tuple[str, ...],
    obligations: tuple[str, ...],
    persons: tuple[str, ...],
    output: Path | None,
    debug: bool,
) -> None:
    """The analyst's report on CASE: one self-contained HTML page (findings matrix, route map, timeline,
    contested points, defences, explanations and sources). Use -o report.html to write it to a file."""
    from .errors import NonrefError

    try:
        report = _select(
            _evaluate(case, doctrines, accounts, retract, explain=True, assume=assume),
            states,
            obligations,
            persons,
        )
        page = _html_page(case, report)
    except NonrefError as error:
        _fail(error, debug)
        return
    _write(page, output, [case])


@main.command()
@click.argument("case", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--decisive",
    is_flag=True,
    help="Also list the decisive facts of each finding: the minimal sets whose withdrawal would flip it.",
)
@evaluation_options
def explain(
    case: str,
    fmt: str,
    decisive: bool,
    doctrines: tuple[str, ...],
    accounts: tuple[str, ...],
    retract: tuple[str, ...],
    assume: tuple[str, ...],
    states: tuple[str, ...],
    obligations: tuple[str, ...],
    persons: tuple[str, ...],
    output: Path | None,
    debug: bool,
) -> None:
    """Explanation trees: each finding, the rules it rests on, down to the facts and their sources."""
    from .errors import NonrefError
    from .render import obligation_label, render_explanation, render_report, status_words
    from .states import state_name

    color = output is None and sys.stdout.isatty()
    try:
        report = _select(
            _evaluate(case, doctrines, accounts, retract, explain=True, assume=assume),
            states,
            obligations,
            persons,
        )
    except NonrefError as error:
        _fail(error, debug)
        return
    if fmt == "json":
        _write(report.to_json() + "\n", output, [case])
        return
    if fmt == "markdown":
        _write(render_report(report, "markdown"), output, [case])
        return
    parts: list[str] = []
    for finding in report.findings:
        heading = (
            f"{state_name(finding.state)} — {obligation_label(finding.obligation)} — {finding.person}: "
            f"{status_words(finding)}"
        )
        parts.append(heading + "\n" + "=" * min(len(heading), 100) + "\n")
        if finding.explanation is not None:
            parts.append(render_explanation(finding.explanation, "text", color=color))
        if decisive and finding.status != "not_engaged" and finding.explanation is not None:
            parts.append(_decisive_text(case, finding, doctrines, retract, assume))
        parts.append("\n")
    _write("".join(parts), output, [case])


@main.command()
@click.argument("cases", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--debug", is_flag=True, help="Show Python tracebacks.")
def validate(cases: tuple[str, ...], debug: bool) -> None:
    """Check case files against the schema and for consistency, without evaluating them."""
    from .errors import NonrefError
    from .load import load_case

    failed = False
    for path in cases:
        try:
            case = load_case(path)
        except NonrefError as error:
            if debug:
                raise
            click.echo(str(error), err=True)
            failed = True
            continue
        click.echo(
            f"{path}: valid ({len(case.facts)} facts, {len(case.sources)} sources, "
            f"{len(case.contested_points)} contested points)"
        )
    if failed:
        sys.exit(1)


def _decisive_text(
    path: str, finding: Any, doctrines: tuple[str, ...], retract: tuple[str, ...], assume: tuple[str, ...]
) -> str:
    """The decisive facts of a finding, in the scenario its explanation shows, with the what-if applied."""
    from .decisive import decisive_facts
    from .engine import assume_facts
    from .load import load_case

    case = assume_facts(load_case(path), assume)
    case = case.model_copy(update={"facts": [f for f in case.facts if f.id not in set(retract)]})
    scenario = finding.explanation.accounts
    sets = decisive_facts(
        case,
        (finding.state, finding.obligation, finding.person),
        finding.status,
        scenario,
        settings=_pairs(doctrines, "--doctrine"),
    )
    where = f" (in the scenario {', '.join(scenario)})" if scenario else ""
    if not sets:
        return f"  Decisive facts{where}: no set of up to three facts whose withdrawal alone flips it.\n"
    listed = "; ".join(" and ".join(s) for s in sets)
    return f"  Decisive facts{where} — withdraw any of these and the finding falls: {listed}\n"


@main.command()
@click.argument("first", type=click.Path(dir_okay=False))
@click.argument("second", type=click.Path(dir_okay=False))
@click.option(
    "--steps/--no-steps", default=True, show_default=True, help="Show the explanation steps that differ."
)
@click.option("--debug", is_flag=True, help="Show Python tracebacks.")
def diff(first: str, second: str, steps: bool, debug: bool) -> None:
    """The findings and explanation steps that differ between two versions of a case."""
    from .compare import compare_reports, render_diff
    from .errors import NonrefError

    try:
        text = render_diff(
            compare_reports(
                _evaluate(first, (), (), (), explain=True), _evaluate(second, (), (), (), explain=True)
            ),
            with_steps=steps,
        )
    except NonrefError as error:
        _fail(error, debug)
        return
    click.echo(text, nl=False)


@main.command()
@click.argument("case", type=click.Path(dir_okay=False))
@click.option(
    "--list",
    "list_count",
    type=click.IntRange(0, 1000),
    default=0,
    metavar="N",
    help="Also list the first N scenarios (at most 1000).",
)
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
@click.option("--doctrine", "doctrines", multiple=True, metavar="NAME=VALUE", help="A contested-law setting.")
@click.option("--debug", is_flag=True, help="Show Python tracebacks.")
def scenarios(case: str, list_count: int, fmt: str, doctrines: tuple[str, ...], debug: bool) -> None:
    """How many scenarios CASE's contested points and unknown facts open, and which findings differ between
    them, grouped by the choices that decide them."""
    from .errors import NonrefError
    from .load import load_case
    from .scenarios import render_summary, summarize

    try:
        summary = summarize(
            load_case(case), settings=_pairs(doctrines, "--doctrine"), list_scenarios=list_count
        )
    except NonrefError as error:
        _fail(error, debug)
        return
    click.echo(summary.model_dump_json(indent=2) if fmt == "json" else render_summary(summary), nl=False)


@main.command()
def schema() -> None:
    """Print the JSON Schema of case files."""
    import json

    from .case import Case

    click.echo(json.dumps(Case.model_json_schema(), indent=2))


@main.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
def rules(fmt: str) -> None:
    """The rule catalogue: every annotated rule with its id, citation, quoted text and file:line."""
    from .render.catalogue import render_catalogue
    from .rules import load_rulebase

    click.echo(render_catalogue(load_rulebase(), fmt), nl=False)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: one per CPU; 1 evaluates in this process).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("jsonl", "csv")),
    default="jsonl",
    show_default=True,
    help="jsonl: one JSON record per case; csv: one row per finding.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE (atomically, sorted by path) instead of streaming to standard output.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    default=None,
    help="Run on a dask.distributed cluster, e.g. tcp://host:8786 (needs the dask extra).",
)
def batch(
    paths: tuple[str, ...], jobs: int | None, fmt: str, output: Path | None, scheduler: str | None
) -> None:
    """Evaluate every case file under PATHS (files, or directories searched for .yaml/.yml/.json).

    Streams one result per case as it finishes (with -o, the file is sorted by path); a case that fails is
    reported with its error and the others go on. A summary goes to standard error; the exit code is 1 if
    any case failed.
    """
    import contextlib
    import time

    from . import batch as batching
    from .errors import NonrefError

    started = time.perf_counter()
    files = batching.case_files(paths)
    if not files:
        click.echo(f"no case files (.yaml, .yml, .json) found in {', '.join(paths)}", err=True)
        sys.exit(1)
    if output is not None and any(Path(f).resolve() == output.resolve() for f in files):
        raise click.UsageError(f"refusing to write over the input file {output}")
    try:  # the work is submitted (worker processes started) before any progress-bar thread exists
        results = batching.run(files, jobs=jobs, scheduler=scheduler)
    except NonrefError as error:
        _fail(error, False)
        return

    progress: Any = None
    if sys.stderr.isatty():
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
            redirect_stdout=sys.stdout.isatty(),  # keep piped results on stdout, never on the bar's stream
            redirect_stderr=False,
        )

    def report_error(message: str) -> None:
        if progress is not None:
            progress.console.print(message, markup=False, highlight=False)
        else:
            click.echo(message, err=True)

    def emit(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    done: list[Any] = []
    if output is None and fmt == "csv":
        emit(batching.csv_text([batching.CSV_COLUMNS]))
    with progress if progress is not None else contextlib.nullcontext():
        task = progress.add_task("evaluating", total=len(files)) if progress is not None else None
        for result in results:
            done.append(result)
            if not result.ok:
                report_error(result.error or result.path)
            if output is None:
                emit(result.jsonl() if fmt == "jsonl" else batching.csv_text(result.csv_rows()))
            if progress is not None:
                progress.advance(task)
    if output is not None:
        ordered = batching.sort_results(done)
        _write(batching.to_jsonl(ordered) if fmt == "jsonl" else batching.to_csv(ordered), output, files)
    summary = batching.summarize(done, time.perf_counter() - started)
    click.echo(summary.line(), err=True)
    if summary.failed:
        sys.exit(1)
