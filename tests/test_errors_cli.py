"""Bad input at the command line (issue 8): located messages for syntax, schema and consistency errors, exit
codes and tracebacks, limits (size, fact count, solving time), deterministic output, and safe output files."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import clingo
import pytest
import yaml
from click.testing import CliRunner

from nonrefoulement import load
from nonrefoulement.cli import main
from nonrefoulement.engine import evaluate
from nonrefoulement.errors import CaseError, NonrefError, Problem, SolveTimeout, format_path
from nonrefoulement.load import load_case, parse_case
from tests.builders import baseline

SEED = Path(__file__).resolve().parents[1] / "cases" / "laos-china-2013.yaml"

# A small valid case (Laos, China, the DPRK); the tests break it one way at a time.
CASE = """\
id: small
title: A small case
as_of: 2013-06-04
sources:
  - id: src
    title: A report
    publisher: A publisher
    date: 2013-05-30
states: [LAO, CHN, PRK, GBR, IRQ]
persons:
  - id: nine
    name: the nine
    kind: group
    nationality: PRK
contested_points:
  - id: where
    question: Where were they first?
    accounts:
      - id: early
        label: In Laos since April.
        sources: [src]
      - id: late
        label: In Laos from May.
        sources: [src]
facts:
  - id: in-laos
    kind: presence
    person: nine
    territory: LAO
    date: 2013-05-10
    sources: [src]
  - id: held
    kind: custody
    person: nine
    by: LAO
    territory: LAO
    date: 2013-05-10
    until: 2013-05-27
    sources: [src]
  - id: deported
    kind: removal
    person: nine
    by: LAO
    origin: LAO
    to: CHN
    manner: deportation
    date: 2013-05-27
    sources: [src]
"""


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def line_of(text: str, needle: str) -> int:
    found = [number for number, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(found) == 1, f"{needle!r} is on lines {found}"
    return found[0]


def problems_of(text: str, *, as_json: bool = False) -> list[Problem]:
    with pytest.raises(CaseError) as caught:
        parse_case(text, file="x.json" if as_json else "x.yaml", as_json=as_json)
    return caught.value.problems


def only(text: str, *, as_json: bool = False) -> Problem:
    found = problems_of(text, as_json=as_json)
    assert len(found) == 1, [p.located("x") for p in found]
    return found[0]


def by_path(found: list[Problem]) -> dict[str, Problem]:
    return {format_path(p.path): p for p in found}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def write(tmp_path: Path, text: str, name: str = "case.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def removal_dated(text: str, when: str) -> str:
    return edit(text, "    manner: deportation\n    date: 2013-05-27", f"    manner: deportation\n    {when}")


def test_small_case_is_valid() -> None:
    assert len(parse_case(CASE, file="x.yaml").facts) == 3


# --- syntax errors: file, line, column and what the parser expected ----------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ("id: x\nstates: [LAO, CHN\nas_of: 2013-06-04\n", 3, 6,
         "did not find expected ',' or ']' (while parsing a flow sequence that starts at line 2, column 9)"),
        ("id: x\ntitle: a: b\n", 2, 9, "mapping values are not allowed"),
        ("states:\n  - LAO\n - CHN\n", 3, 2, "did not find expected key"),
        ("title: 'unclosed\n", 2, 1,
         "found unexpected end of stream (while scanning a quoted scalar that starts at line 1, column 8)"),
        ('title: "a\\qb"\n', 1, 10, "found unknown escape character"),
        ("id: x\ntitle: *nowhere\n", 2, 8, "found undefined alias"),
        ("id: x\n---\nid: y\n", 2, 1, "expected a single document in the stream but found another document"),
    ],
)  # fmt: skip
def test_yaml_syntax_error_says_where_and_what_was_expected(
    text: str, line: int, column: int, words: str
) -> None:
    problem = only(text)
    assert problem.message.startswith("YAML syntax: ")
    assert words in problem.message
    assert (problem.line, problem.column) == (line, column)


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ('{\n  "id": "x",\n  "title" "y"\n}', 3, 11, "expected ':' between a key and its value"),
        ('{"id": "x",}', 1, 12, "expected a key in double quotes (a comma before '}' is not allowed"),
        ('{"id": "x" "title": "y"}', 1, 12, "expected ',' between two items"),
        ('{"id": tru}', 1, 8, "expected a value (a string, number, object, array, true, false or null)"),
        ('{"id": "a\nb"}', 1, 10, "a control character in a string must be escaped"),
        ('{"id": "a\\qb"}', 1, 10, "an invalid escape in a string"),
        ('{"id": "x"} {}', 1, 13, "expected the end of the file after the top-level value"),
        ('{"id": "x', 1, 8, "a string is not closed"),
    ],
)
def test_json_syntax_error_says_where_and_what_was_expected(
    text: str, line: int, column: int, words: str
) -> None:
    problem = only(text, as_json=True)
    assert problem.message.startswith("JSON syntax: ")
    assert words in problem.message
    assert (problem.line, problem.column) == (line, column)


@pytest.mark.parametrize("as_json", [False, True])
def test_empty_file_is_reported(as_json: bool) -> None:
    assert "empty" in only("  \n", as_json=as_json).message


def test_control_character_in_yaml_is_located() -> None:
    problem = only("id: x\ntitle: ab\x00c\n")
    assert (problem.line, problem.column) == (2, 10)
    assert "U+0000" in problem.message


def test_control_character_after_wide_characters_is_located_by_character_not_byte() -> None:
    problem = only("id: x\ntitle: ééé\x07\n")
    assert (problem.line, problem.column) == (2, 11)


def test_duplicate_json_key_is_located() -> None:
    problem = only('{\n  "id": "a",\n  "id": "b"\n}', as_json=True)
    assert (problem.line, problem.column) == (3, 3)
    assert "'id' appears twice" in problem.message


def test_yaml_syntax_error_on_the_command_line(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, edit(CASE, "states: [LAO, CHN, PRK, GBR, IRQ]", "states: [LAO, CHN, PRK"))
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    expected = (
        "did not find expected ',' or ']' (while parsing a flow sequence that starts at line 9, column 9)"
    )
    assert f"{path}:10:8: YAML syntax: {expected}" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_json_syntax_error_on_the_command_line(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, '{\n  "id": "x",\n}\n', "case.json")
    result = runner.invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert f"{path}:3:1: JSON syntax: expected a key in double quotes" in result.stderr


# --- inputs that crashed the parser (each now a located CaseError) ---------------------------------------


@pytest.mark.parametrize("value", ["!!int abc", "!!float abc", "!!bool abc", "!!timestamp abc", "1" * 5000])
def test_unreadable_yaml_scalar_names_its_field(value: str) -> None:
    text = edit(CASE, "    publisher: A publisher\n", f"    publisher: {value}\n")
    problem = only(text)
    assert format_path(problem.path) == "sources[0].publisher"
    assert problem.line == line_of(text, "publisher:")
    assert "cannot be read as" in problem.message


@pytest.mark.parametrize("bad", ["2013-02-30", "2013-13-01", "0000-01-01"])
def test_impossible_unquoted_date_is_a_schema_error_of_its_field(bad: str) -> None:
    text = edit(CASE, "    date: 2013-05-30", f"    date: {bad}")
    problem = only(text)
    assert format_path(problem.path) == "sources[0].date"
    assert problem.line == line_of(text, f"date: {bad}")
    assert repr(bad) in problem.message


def test_lone_surrogate_in_text_is_located() -> None:
    problem = only("id: x\ntitle: a\ud800\n")
    assert (problem.line, problem.column) == (2, 9)


def test_lone_surrogate_escape_in_json_is_reported_with_its_field() -> None:
    data = yaml.safe_load(CASE)
    text = json.dumps(data, default=str, indent=2).replace('"A small case"', '"A small case \\udc00"')
    problem = only(text, as_json=True)
    assert format_path(problem.path) == "title"
    assert problem.line == line_of(text, "A small case")


def test_escaped_emoji_in_json_keeps_the_positions() -> None:
    data = yaml.safe_load(CASE)
    data["title"] = "A small case \U0001f600"
    data["facts"][1]["kind"] = "custard"
    text = json.dumps(data, default=str, indent=2)  # ensure_ascii: "\ud83d\ude00"
    problem = only(text, as_json=True)
    assert format_path(problem.path) == "facts[1]"
    assert problem.line == line_of(text, '"id": "held"') - 1


@pytest.mark.parametrize(
    "text", ["id: &a [*a]\n", "id: &a {b: *a}\n", "facts: &f [{kind: presence, id: a, x: *f}]\n"]
)
def test_self_referencing_alias_is_a_case_error(text: str) -> None:
    assert problems_of(text)


def test_nested_aliases_are_not_expanded() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]  # 10^9 leaves
    start = time.perf_counter()
    problems_of("\n".join(lines) + "\n")
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("as_json", [False, True])
@pytest.mark.parametrize("depth", [41, 5_000, 200_000])
def test_deep_nesting_is_refused_with_its_position(as_json: bool, depth: int) -> None:
    problem = only("[" * depth + "]" * depth, as_json=as_json)
    assert "nested more than 40 levels" in problem.message
    assert (problem.line, problem.column) == (1, 41)


def test_a_case_nested_forty_deep_is_only_a_schema_error() -> None:
    text = edit(CASE, "    publisher: A publisher\n", "    publisher: " + "[" * 37 + "]" * 37 + "\n")
    assert format_path(only(text).path) == "sources[0].publisher"


def test_deeply_nested_unclosed_yaml_does_not_crash_the_interpreter() -> None:
    """libyaml's composer recursed in C and overflowed the stack (SIGSEGV): a separate process proves it."""
    code = textwrap.dedent(
        """
        from nonrefoulement.errors import CaseError
        from nonrefoulement.load import parse_case
        stairs = "a:\\n" + "".join(" " * i + "a:\\n" for i in range(1, 3000))
        for text in ("[" * 100_000, "- " * 100_000, stairs):
            try:
                parse_case(text, file="x.yaml")
            except CaseError as error:
                print(error.problems[0].line)
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1", "1", "41"]


def test_json_number_too_long_to_convert_is_located() -> None:
    problem = only('{\n  "id": 1' + "0" * 5000 + "\n}", as_json=True)
    assert (problem.line, problem.column) == (2, 9)
    assert "4,300 digits" in problem.message


# --- schema errors: path, line, value found, what was expected; every one at once --------------------


def test_every_schema_error_is_reported_with_path_line_value_and_expectation() -> None:
    text = edit(CASE, "states: [LAO, CHN, PRK, GBR, IRQ]", "states: [LAO, chn, PRK, GBR, IRQ]")
    text = edit(text, "  - id: src\n", "  - id: 'src one'\n")
    text = edit(text, "    manner: deportation", "    manner: deportaton")
    text = edit(text, "    kind: custody", "    kind: custodie")
    text = edit(text, "    until: 2013-05-27\n", "")
    text = edit(text, "    kind: group\n", "    kind: group\n    members: [{count: -3}]\n")
    found = by_path(problems_of(text))
    assert set(found) == {
        "states[1]",
        "sources[0].id",
        "facts[2].manner",
        "facts[1]",
        "persons[0].members[0].count",
    }
    states = found["states[1]"]
    assert (states.line, states.column) == (line_of(text, "states:"), 15)
    assert states.message == (
        "expected an ISO 3166-1 alpha-3 state code: three capital letters (LAO, CHN, PRK) (found 'chn')"
    )
    assert "expected an identifier" in found["sources[0].id"].message
    assert "(found 'src one')" in found["sources[0].id"].message
    manner = found["facts[2].manner"]
    assert manner.line == line_of(text, "deportaton")
    assert "(found 'deportaton') (did you mean 'deportation'?)" in manner.message
    kind = found["facts[1]"]
    assert kind.message.startswith("unknown fact kind 'custodie' (did you mean 'custody'?); expected one of:")
    assert kind.line == line_of(text, "id: held")
    count = found["persons[0].members[0].count"]
    assert "greater than or equal to 1 (found -3)" in count.message


def test_field_named_like_its_fact_kind_is_not_mistaken_for_the_kind() -> None:
    """A ``defence`` fact has a ``defence`` field; pydantic's location names the kind first: the extra and
    the missing field used to be reported as ``facts[N].defence``."""
    data = baseline()
    defences = [i for i, f in enumerate(data["facts"]) if f["kind"] == "defence"]
    data["facts"][defences[0]]["colour"] = "red"
    del data["facts"][defences[1]]["sources"]
    text = yaml.safe_dump(data, sort_keys=False)
    found = by_path(problems_of(text))
    assert set(found) == {f"facts[{defences[0]}].colour", f"facts[{defences[1]}].sources"}
    assert found[f"facts[{defences[0]}].colour"].line == line_of(text, "colour: red")


def test_date_range_missing_a_bound_is_one_problem() -> None:
    text = edit(CASE, "    date: 2013-05-10\n    sources: [src]\n  - id: held",
                "    date: {earliest: 2013-05-10}\n    sources: [src]\n  - id: held")  # fmt: skip
    problem = only(text)
    assert format_path(problem.path) == "facts[0].date.latest"
    assert problem.message == "this field is required"


def test_fact_without_kind_lists_the_kinds() -> None:
    problem = only(edit(CASE, "    kind: custody\n", ""))
    assert format_path(problem.path) == "facts[1]"
    assert problem.message.startswith("this fact has no `kind`; give one: presence, custody, removal")


def test_consistency_of_the_other_facts_is_reported_beside_schema_errors() -> None:
    text = edit(CASE, "    kind: custody", "    kind: custodie")
    text = edit(text, "    to: CHN", "    to: KOR")  # a state not listed, in another fact
    text = edit(text, "  - id: deported", "  - id: in-laos")  # a duplicate id
    found = by_path(problems_of(text))
    assert set(found) == {"facts[1]", "facts[2].to", "facts[2].id"}
    assert found["facts[2].to"].line == line_of(text, "to: KOR")
    assert "first used at facts[0].id" in found["facts[2].id"].message


def test_schema_errors_outside_the_facts_stop_consistency_checks() -> None:
    text = edit(CASE, "title: A small case\n", "")
    text = edit(text, "    to: CHN", "    to: KOR")
    assert set(by_path(problems_of(text))) == {"title"}


# --- consistency errors ---------------------------------------------------------------------------------


def test_date_ranges_are_said_as_an_analyst_writes_them() -> None:
    held = (
        "    date: {earliest: 2013-05-10, latest: 2013-05-12}\n"
        "    until: {earliest: 2013-05-01, latest: 2013-05-02}"
    )
    text = edit(CASE, "    date: 2013-05-10\n    until: 2013-05-27", held)
    text = edit(text, "as_of: 2013-06-04", "as_of: 2013-05-30")
    text = edit(text, "    date: 2013-05-27\n", "    date: {earliest: 2013-05-31, latest: 2013-06-01}\n")
    found = by_path(problems_of(text))
    until = found["facts[1].until"].message
    assert until == "ends (2013-05-01 to 2013-05-02) before it starts (2013-05-10 to 2013-05-12)"
    assert found["facts[2].date"].message.startswith("dated 2013-05-31 to 2013-06-01, after the case's as_of")


def test_unknown_state_code_suggests_the_close_one() -> None:
    problem = only(edit(CASE, "states: [LAO, CHN, PRK, GBR, IRQ]", "states: [LAO, CHN, PRK, GBR, IRQ, CHM]"))
    assert format_path(problem.path) == "states[5]"
    assert "'CHM' is not an ISO 3166-1 alpha-3 state code (did you mean" in problem.message


def test_state_not_listed_suggests_a_listed_one() -> None:
    problem = only(edit(CASE, "    to: CHN", "    to: CHM"))
    assert "(did you mean 'CHN'?)" in problem.message


def test_removal_before_the_person_was_there_is_reported() -> None:
    text = removal_dated(CASE, "date: 2013-05-02")
    text = edit(text, "    until: 2013-05-27", "    until: 2013-05-12")
    problem = only(text)
    assert format_path(problem.path) == "facts[2].date"
    assert problem.line == line_of(text, "date: 2013-05-02")
    assert problem.message == (
        "the removal from LAO is dated 2013-05-02 at the latest, before 'nine' was there: the earliest fact "
        "placing them in LAO is 'in-laos', from 2013-05-10"
    )


def test_removal_before_presence_is_fine_where_another_account_places_the_person_there_earlier() -> None:
    text = removal_dated(CASE, "date: 2013-05-02")
    text = edit(text, "    until: 2013-05-27", "    until: 2013-05-12")
    text += (
        "  - id: in-laos-early\n    kind: presence\n    account: where=early\n    person: nine\n"
        "    territory: LAO\n    date: {earliest: 2013-04-01, latest: 2013-05-09}\n    sources: [src]\n"
    )
    assert len(parse_case(text, file="x.yaml").facts) == 4


def test_removal_whose_date_range_may_follow_the_arrival_passes() -> None:
    text = edit(CASE, "    manner: deportation\n    date: 2013-05-27",
                "    manner: deportation\n    date: {earliest: 2013-05-01, latest: 2013-05-10}")  # fmt: skip
    assert parse_case(text, file="x.yaml")


def test_removal_dated_by_timing_facts_before_the_person_was_there_is_reported_at_its_event() -> None:
    text = removal_dated(CASE, "event: out")
    text = edit(text, "    until: 2013-05-27", "    until: 2013-05-12")
    text += "  - id: out-date\n    kind: timing\n    event: out\n    date: 2013-05-03\n    sources: [src]\n"
    problem = only(text)
    assert format_path(problem.path) == "facts[2].event"
    assert "dated 2013-05-03 at the latest" in problem.message


def test_removal_from_a_territory_without_presence_facts_is_not_checked() -> None:
    text = edit(
        CASE, "    by: LAO\n    origin: LAO\n    to: CHN", "    by: PRK\n    origin: CHN\n    to: PRK"
    )
    text = removal_dated(text, "date: 2013-05-01")
    assert parse_case(text, file="x.yaml")


def test_removal_after_arriving_by_another_removal_passes() -> None:
    """Arriving by a removal to the territory places the person there too."""
    text = CASE + (
        "  - id: in-china-later\n    kind: presence\n    person: nine\n    territory: CHN\n"
        "    date: 2013-06-01\n    sources: [src]\n"
        "  - id: taken-from-china\n    kind: removal\n    person: nine\n    by: PRK\n    origin: CHN\n"
        "    to: PRK\n    manner: escorted_transfer\n    date: 2013-05-28\n    sources: [src]\n"
    )
    assert len(parse_case(text, file="x.yaml").facts) == 5


@pytest.mark.parametrize(
    ("by", "origin", "to", "manner"),
    [
        ("LAO", "LAO", "LAO", "deportation"),  # a state removes a person from its territory to itself
        ("LAO", "LAO", "LAO", "handover"),
        ("CHN", "LAO", "LAO", "deportation"),  # foreign agents "deport" a person from Laos to Laos
    ],
)
def test_removal_ending_where_it_starts_is_reported(by: str, origin: str, to: str, manner: str) -> None:
    text = edit(CASE, "    by: LAO\n    origin: LAO\n    to: CHN\n    manner: deportation",
                f"    by: {by}\n    origin: {origin}\n    to: {to}\n    manner: {manner}")  # fmt: skip
    problem = only(text)
    assert format_path(problem.path) == "facts[2].to"
    assert "cannot end in the very territory it starts from (LAO)" in problem.message


@pytest.mark.parametrize(
    ("by", "origin", "to", "manner"),
    [
        ("PRK", "CHN", "PRK", "escorted_transfer"),  # one state's agents take the person to their own state
        ("PRK", "LAO", "PRK", "handover"),
        ("GBR", "IRQ", "IRQ", "handover"),  # foreign agents hand a detainee to the territorial state's own
    ],
)
def test_legitimate_removals_pass(by: str, origin: str, to: str, manner: str) -> None:
    text = edit(CASE, "    by: LAO\n    origin: LAO\n    to: CHN\n    manner: deportation",
                f"    by: {by}\n    origin: {origin}\n    to: {to}\n    manner: {manner}")  # fmt: skip
    assert parse_case(text, file="x.yaml")


def test_every_class_of_consistency_error_at_once() -> None:
    text = edit(CASE, "  - id: held", "  - id: in-laos")  # duplicate id
    text = edit(text, "until: 2013-05-27", "until: 2013-05-01")  # custody ends before it starts
    text = edit(text, "    to: CHN", "    to: LAO")  # a removal ending where it starts
    text = edit(text, "    person: nine\n    territory: LAO\n    date: 2013-05-10",
                "    person: nien\n    territory: LAO\n    date: 2013-07-10")  # fmt: skip
    text = edit(text, "        label: In Laos from May.\n        sources: [src]",
                "        label: In Laos from May.\n        sources: [scr]")  # fmt: skip
    found = by_path(problems_of(text))
    assert set(found) == {
        "facts[1].id",
        "facts[1].until",
        "facts[2].to",
        "facts[0].person",
        "facts[0].date",
        "contested_points[0].accounts[1].sources[0]",
    }
    assert "did you mean 'nine'?" in found["facts[0].person"].message
    assert "after the case's as_of date (2013-06-04)" in found["facts[0].date"].message
    assert "did you mean 'src'?" in found["contested_points[0].accounts[1].sources[0]"].message
    assert all(p.line is not None for p in found.values())


# --- exit codes, stderr, tracebacks -------------------------------------------------------------------


@pytest.mark.parametrize("command", ["check", "explain", "validate", "report"])
def test_invalid_case_exits_one_with_the_message_on_stderr_and_no_traceback(
    runner: CliRunner, tmp_path: Path, command: str
) -> None:
    path = write(tmp_path, edit(CASE, "    to: CHN", "    to: KOR"))
    result = runner.invoke(main, [command, str(path)])
    assert result.exit_code == 1
    assert f"{path}:{line_of(CASE, 'to: CHN')}:9: facts[2].to: state 'KOR' is not listed" in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("command", ["check", "explain", "validate"])
def test_debug_shows_the_traceback(runner: CliRunner, tmp_path: Path, command: str) -> None:
    path = write(tmp_path, edit(CASE, "    to: CHN", "    to: KOR"))
    result = runner.invoke(main, [command, "--debug", str(path)])
    assert result.exit_code == 1
    assert isinstance(result.exception, CaseError)


def test_debug_traceback_reaches_stderr_in_a_real_process(tmp_path: Path) -> None:
    path = write(tmp_path, edit(CASE, "    to: CHN", "    to: KOR"))
    command = [sys.executable, "-m", "nonrefoulement", "check", str(path)]
    plain = subprocess.run(command, capture_output=True, text=True, timeout=120)
    debug = subprocess.run([*command, "--debug"], capture_output=True, text=True, timeout=120)
    assert (plain.returncode, debug.returncode) == (1, 1)
    assert "Traceback" not in plain.stderr
    assert "facts[2].to" in plain.stderr
    assert "Traceback (most recent call last)" in debug.stderr
    assert "nonrefoulement.errors.CaseError" in debug.stderr


# --- limits: size, fact count, solving time ---------------------------------------------------------


def test_case_file_over_the_size_limit_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(load, "MAX_CASE_BYTES", 1000)
    path = write(tmp_path, CASE + "#" * 1000 + "\n")
    with pytest.raises(CaseError) as caught:
        load_case(path)
    message = caught.value.problems[0].message
    assert message == f"the file is {path.stat().st_size:,} bytes; a case file may be at most 1,000 bytes"
    with pytest.raises(CaseError, match="may be at most 1,000 bytes"):
        parse_case(CASE + "#" * 1000, file="x.yaml")


def test_case_file_over_the_size_limit_on_the_command_line(
    monkeypatch: pytest.MonkeyPatch, runner: CliRunner, tmp_path: Path
) -> None:
    monkeypatch.setattr(load, "MAX_CASE_BYTES", 1000)
    path = write(tmp_path, CASE + "#" * 1000 + "\n")
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    assert "a case file may be at most 1,000 bytes" in result.stderr


def test_case_file_at_the_size_limit_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(load, "MAX_CASE_BYTES", len(CASE.encode()))
    assert load_case(write(tmp_path, CASE)).id == "small"


@pytest.mark.parametrize("as_json", [False, True])
def test_too_many_facts_are_refused_with_the_line_of_the_list(
    monkeypatch: pytest.MonkeyPatch, as_json: bool
) -> None:
    monkeypatch.setattr(load, "MAX_FACTS", 2)
    text = json.dumps(yaml.safe_load(CASE), default=str, indent=2) if as_json else CASE
    problem = only(text, as_json=as_json)
    assert problem.message == "3 facts; a case file may hold at most 2"
    assert format_path(problem.path) == "facts"
    assert problem.line == line_of(text, '"facts": [' if as_json else "- id: in-laos")  # the list's start
    assert problem.column is not None


def test_fact_count_at_the_limit_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load, "MAX_FACTS", 3)
    assert len(parse_case(CASE, file="x.yaml").facts) == 3


@pytest.fixture(scope="module")
def seed_case() -> Any:
    return load_case(SEED)


def test_evaluate_past_its_timeout_raises_solve_timeout(seed_case: Any) -> None:
    with pytest.raises(SolveTimeout) as caught:
        evaluate(seed_case, timeout=1e-9)
    assert isinstance(caught.value, NonrefError)
    assert "solving took longer than the 1e-09 s allowed (--timeout)" in str(caught.value)


def test_a_solve_still_running_at_the_deadline_is_stopped(
    monkeypatch: pytest.MonkeyPatch, seed_case: Any
) -> None:
    """Every model found takes half a second (a slow search): the solve running at the deadline is stopped,
    not waited for, whatever the engine uses to stop it (an asynchronous solve, or an interrupt)."""
    real_solve = clingo.Control.solve

    def slow_solve(self: clingo.Control, *args: Any, **kwargs: Any) -> Any:
        given = kwargs.get("on_model")

        def on_model(model: clingo.Model) -> Any:
            result = given(model) if given is not None else None
            time.sleep(0.5)
            return result

        return real_solve(self, *args, **{**kwargs, "on_model": on_model})

    monkeypatch.setattr(clingo.Control, "solve", slow_solve)
    start = time.perf_counter()
    with pytest.raises(SolveTimeout):
        evaluate(seed_case, timeout=0.2, explain=False)
    assert time.perf_counter() - start < 3.0


def test_a_generous_timeout_changes_nothing(seed_case: Any) -> None:
    assert evaluate(seed_case, timeout=600, explain=False) == evaluate(seed_case, explain=False)


def test_timeout_on_the_command_line(runner: CliRunner) -> None:
    for command in ("check", "explain"):
        result = runner.invoke(main, [command, str(SEED), "--timeout", "0.000001"])
        assert result.exit_code == 1, result.output
        assert "solving took longer than the 1e-06 s allowed (--timeout)" in result.stderr
        assert "Traceback" not in result.stderr
    assert runner.invoke(main, ["check", str(SEED), "--timeout", "0"]).exit_code == 2
    assert runner.invoke(main, ["check", str(SEED), "--timeout", "soon"]).exit_code == 2
    assert runner.invoke(main, ["check", str(SEED), "--timeout", "600"]).exit_code == 0


# --- determinism ----------------------------------------------------------------------------------------


def test_json_output_does_not_depend_on_the_order_of_facts_sources_and_persons(
    runner: CliRunner, tmp_path: Path
) -> None:
    data = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    expected = runner.invoke(main, ["check", "--format", "json", str(SEED)])
    assert expected.exit_code == 0, expected.output
    rng = random.Random(8)
    for attempt in range(3):
        shuffled = json.loads(json.dumps(data, default=str))
        for key in ("facts", "sources", "persons"):
            rng.shuffle(shuffled[key])
        assert [f["id"] for f in shuffled["facts"]] != [f["id"] for f in data["facts"]]
        text = yaml.safe_dump(shuffled, sort_keys=False, allow_unicode=True)
        path = write(tmp_path, text, f"s{attempt}.yaml")
        result = runner.invoke(main, ["check", "--format", "json", str(path)])
        assert result.exit_code == 0, result.output
        assert result.stdout == expected.stdout


def test_json_output_is_the_same_in_every_process(tmp_path: Path) -> None:
    """Python's hash seed changes the order of sets from one process to the next: it must not show."""
    outputs = set()
    for seed in ("1", "2"):
        environment = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-m", "nonrefoulement", "explain", "--format", "json", str(SEED)],
            capture_output=True,
            timeout=300,
            env=environment,
        )
        assert result.returncode == 0, result.stderr
        outputs.add(result.stdout)
    assert len(outputs) == 1


# --- output safety --------------------------------------------------------------------------------------


def test_output_file_is_written_whole_and_no_temporary_file_is_left(
    runner: CliRunner, tmp_path: Path
) -> None:
    target = tmp_path / "out" / "report.json"
    result = runner.invoke(main, ["check", "--format", "json", str(SEED), "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert json.loads(target.read_text(encoding="utf-8"))["case"]["id"] == "laos-china-2013"
    assert os.listdir(target.parent) == ["report.json"]


def test_output_replaces_the_old_file_by_a_rename(
    monkeypatch: pytest.MonkeyPatch, runner: CliRunner, tmp_path: Path
) -> None:
    target = tmp_path / "report.json"
    target.write_text("old", encoding="utf-8")
    renames: list[tuple[str, str]] = []
    real_replace = os.replace

    def replace(source: Any, destination: Any) -> None:
        assert target.read_text(encoding="utf-8") == "old"  # untouched until the rename
        assert Path(source).parent == target.parent  # same directory: the rename is atomic
        renames.append((str(source), str(destination)))
        real_replace(source, destination)

    monkeypatch.setattr(os, "replace", replace)
    result = runner.invoke(main, ["check", "--format", "json", str(SEED), "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert len(renames) == 1 and renames[0][1] == str(target)
    assert target.read_text(encoding="utf-8").startswith("{")


@pytest.mark.parametrize("fails", ["write", "replace"])
def test_a_failure_mid_write_leaves_the_old_file_intact(
    monkeypatch: pytest.MonkeyPatch, runner: CliRunner, tmp_path: Path, fails: str
) -> None:
    target = tmp_path / "report.json"
    target.write_text("the old report\n", encoding="utf-8")
    if fails == "replace":

        def replace(source: Any, destination: Any) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, "replace", replace)
    else:
        real_fdopen = os.fdopen

        class Failing:
            def __init__(self, stream: Any):
                self.stream = stream

            def __enter__(self) -> Failing:
                return self

            def __exit__(self, *exc: object) -> None:
                self.stream.close()

            def write(self, text: str) -> None:
                self.stream.write(text[: len(text) // 2])  # half the report reaches the disk, then:
                self.stream.flush()
                raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, "fdopen", lambda *a, **k: Failing(real_fdopen(*a, **k)))
    result = runner.invoke(main, ["check", "--format", "json", str(SEED), "-o", str(target)])
    assert result.exit_code == 1
    assert f"cannot write {target}: No space left on device" in result.stderr
    assert "Traceback" not in result.stderr
    assert target.read_text(encoding="utf-8") == "the old report\n"
    assert os.listdir(tmp_path) == ["report.json"]  # the temporary file is gone


@pytest.mark.parametrize("command", ["check", "explain", "report"])
def test_output_over_the_case_file_is_refused(runner: CliRunner, tmp_path: Path, command: str) -> None:
    case = write(tmp_path, CASE)
    (tmp_path / "sub").mkdir()
    link = tmp_path / "link.yaml"
    link.symlink_to(case)
    for spelling in (str(case), str(tmp_path / "sub" / ".." / "case.yaml"), str(link)):
        result = runner.invoke(main, [command, str(case), "-o", spelling])
        assert result.exit_code == 2, result.output
        assert "refusing to write over the input file" in result.stderr
        assert case.read_text(encoding="utf-8") == CASE


def test_output_over_any_of_several_inputs_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    first, second = write(tmp_path, CASE, "a.yaml"), write(tmp_path, CASE, "b.yaml")
    result = runner.invoke(main, ["check", str(first), str(second), "-o", str(second)])
    assert result.exit_code == 2
    assert second.read_text(encoding="utf-8") == CASE
