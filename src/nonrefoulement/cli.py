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
        click.option("--debug", is_flag=True, help="Show Python tracebacks."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nonrefoulement", prog_name="nonref")
def main() -> None:
    """nonref — which states' acts engage, and may breach, non-refoulement obligations, and why.

    Reads a case file (YAML or JSON): the facts of an incident, each with its sources.
    """


def _fail(error: Exception, debug: bool) -> None:
    if debug:
        raise error
    click.echo(str(error), err=True)
    sys.exit(1)


def _write(text: str, output: Path | None, inputs: Iterable[str]) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    target = output.resolve()
    for given in inputs:
        if Path(given).resolve() == target:
            raise click.UsageError(f"refusing to write over the input file {given}")
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _evaluate(
    path: str, doctrines: tuple[str, ...], accounts: tuple[str, ...], retract: tuple[str, ...], explain: bool
) -> Any:
    from .engine import evaluate
    from .load import load_case

    case = load_case(path)
    return evaluate(
        case,
        settings=_pairs(doctrines, "--doctrine"),
        accounts=_pairs(accounts, "--account"),
        retract=retract,
        explain=explain,
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
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@evaluation_options
def check(
    cases: tuple[str, ...],
    fmt: str,
    doctrines: tuple[str, ...],
    accounts: tuple[str, ...],
    retract: tuple[str, ...],
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
    try:
        for path in cases:
            report = _evaluate(path, doctrines, accounts, retract, explain=fmt != "text")
            report = _select(report, states, obligations, persons)
            chunks.append(render_report(report, fmt, color=color))
    except NonrefError as error:
        _fail(error, debug)
    _write("".join(chunks), output, cases)


@main.command()
@click.argument("case", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@evaluation_options
def explain(
    case: str,
    fmt: str,
    doctrines: tuple[str, ...],
    accounts: tuple[str, ...],
    retract: tuple[str, ...],
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
            _evaluate(case, doctrines, accounts, retract, explain=True), states, obligations, persons
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
        for defence in finding.defences:
            parts.append(
                f"  Defence raised: {defence.defence.replace('_', ' ')} [{defence.fact}] — answered by "
                f"{defence.citation} [{defence.rule}]\n"
            )
        parts.append("\n")
    _write("".join(parts), output, [case])


@main.command()
@click.argument("cases", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate(cases: tuple[str, ...]) -> None:
    """Check case files against the schema and for consistency, without evaluating them."""
    from .errors import NonrefError
    from .load import load_case

    failed = False
    for path in cases:
        try:
            case = load_case(path)
        except NonrefError as error:
            click.echo(str(error), err=True)
            failed = True
            continue
        click.echo(
            f"{path}: valid ({len(case.facts)} facts, {len(case.sources)} sources, "
            f"{len(case.contested_points)} contested points)"
        )
    if failed:
        sys.exit(1)


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
