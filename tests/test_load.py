"""The case-file loader (load.py) and the model (case.py): located errors, consistency checks, round trips."""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nonrefoulement.case import Case
from nonrefoulement.errors import CaseError, Problem, format_path
from nonrefoulement.load import load_case, parse_case

SEED = Path(__file__).resolve().parents[1] / "cases" / "laos-china-2013.yaml"

# A small valid case; the tests below break it one way at a time.
BASE = """\
id: mini
title: A small case
as_of: 2013-06-04
sources:
  - id: src-one
    title: A report
    publisher: A publisher
    date: 2013-05-30
states: [LAO, CHN, PRK]
persons:
  - id: nine
    name: the nine
    kind: group
    nationality: PRK
contested_points:
  - id: laos-act
    question: How did Laos transfer them?
    accounts:
      - id: deported
        label: Deported to China.
        sources: [src-one]
      - id: handed
        label: Handed to the DPRK embassy.
        sources: [src-one]
facts:
  - id: nine-in-laos
    kind: presence
    person: nine
    territory: LAO
    date: 2013-05-10
    sources: [src-one]
  - id: laos-custody
    kind: custody
    person: nine
    by: LAO
    territory: LAO
    date: 2013-05-10
    until: 2013-05-27
    sources: [src-one]
  - id: laos-deports
    kind: removal
    account: laos-act=deported
    person: nine
    by: LAO
    origin: LAO
    to: CHN
    manner: deportation
    date: 2013-05-27
    sources: [src-one]
"""

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


# --- helpers -----------------------------------------------------------------------------------------


def edit(text: str, old: str, new: str) -> str:
    """Replace ``old`` (which must occur exactly once) by ``new``."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def line_of(text: str, needle: str) -> int:
    """The 1-based number of the only line containing ``needle``."""
    found = [number for number, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(found) == 1, f"{needle!r} is on lines {found}"
    return found[0]


def problems(text: str, *, as_json: bool = False) -> list[Problem]:
    with pytest.raises(CaseError) as caught:
        parse_case(text, file="x.json" if as_json else "x.yaml", as_json=as_json)
    assert caught.value.problems, "a CaseError must list at least one problem"
    return caught.value.problems


def only_problem(text: str, *, as_json: bool = False) -> Problem:
    found = problems(text, as_json=as_json)
    assert len(found) == 1, [p.located("x") for p in found]
    return found[0]


def returns_case_or_raises_case_error(text: str, *, as_json: bool) -> None:
    try:
        result = parse_case(text, file="x.json" if as_json else "x.yaml", as_json=as_json)
    except CaseError as error:
        assert error.problems
    else:
        assert isinstance(result, Case)


# --- the seed case -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed() -> Case:
    return load_case(SEED)


def test_seed_case_has_more_than_twenty_facts(seed: Case) -> None:
    assert len(seed.facts) > 20


def test_seed_case_has_three_contested_points(seed: Case) -> None:
    assert len(seed.contested_points) == 3


def test_seed_case_ids_are_unique(seed: Case) -> None:
    ids = [
        item.id for items in (seed.sources, seed.persons, seed.facts, seed.contested_points) for item in items
    ]
    assert len(ids) == len(set(ids))
    for point in seed.contested_points:
        accounts = [account.id for account in point.accounts]
        assert len(accounts) == len(set(accounts))


def test_base_case_is_valid() -> None:
    case = parse_case(BASE, file="x.yaml")
    assert [fact.id for fact in case.facts] == ["nine-in-laos", "laos-custody", "laos-deports"]


# --- syntax errors -----------------------------------------------------------------------------------


def test_yaml_syntax_error_is_located() -> None:
    problem = only_problem("id: x\ntitle: a: b\n")
    assert problem.message.startswith("YAML syntax:")
    assert (problem.line, problem.column) == (2, 9)


def test_yaml_unclosed_flow_sequence_is_located() -> None:
    problem = only_problem("id: x\nstates: [LAO, CHN\nas_of: 2013-06-04\n")
    assert problem.message.startswith("YAML syntax:")
    assert problem.line == 3


def test_yaml_bad_indentation_is_located() -> None:
    problem = only_problem("states:\n  - LAO\n - CHN\n")
    assert (problem.line, problem.column) == (3, 2)


def test_json_syntax_error_is_located() -> None:
    problem = only_problem('{\n  "id": "x",\n  "title" "y"\n}', as_json=True)
    assert problem.message.startswith("JSON syntax:")
    assert (problem.line, problem.column) == (3, 11)


def test_json_trailing_comma_is_located() -> None:
    problem = only_problem('{"id": "x",}', as_json=True)
    assert (problem.line, problem.column) == (1, 12)


def test_empty_yaml_is_an_error() -> None:
    assert "empty" in only_problem("").message


def test_top_level_list_is_an_error() -> None:
    assert "mapping" in only_problem("- a\n- b\n").message


# --- duplicate keys ----------------------------------------------------------------------------------


def test_duplicate_yaml_key_names_key_and_line() -> None:
    text = edit(
        BASE,
        "    territory: LAO\n    date: 2013-05-10\n    sources",
        "    territory: LAO\n    territory: CHN\n    date: 2013-05-10\n    sources",
    )
    problem = only_problem(text)
    assert "'territory'" in problem.message
    assert problem.line == line_of(text, "territory: CHN")
    assert format_path(problem.path) == "facts[0].territory"


def test_duplicate_top_level_yaml_key() -> None:
    text = BASE + "title: Another title\n"
    problem = only_problem(text)
    assert "'title'" in problem.message
    assert problem.line == line_of(text, "Another title")


def test_duplicate_json_key_is_an_error() -> None:
    text = json.dumps(yaml.safe_load(BASE), default=str)
    text = text.replace('"id": "mini"', '"id": "mini", "id": "again"')
    problem = only_problem(text, as_json=True)
    assert "'id'" in problem.message


def test_duplicate_json_key_is_located() -> None:
    problem = only_problem('{\n  "id": "a",\n  "id": "b"\n}', as_json=True)
    assert problem.line == 3


# --- schema errors -----------------------------------------------------------------------------------


def test_missing_required_field_is_reported_with_path_and_line() -> None:
    text = edit(BASE, "    title: A report\n", "")
    problem = only_problem(text)
    assert format_path(problem.path) == "sources[0].title"
    assert "required" in problem.message
    assert problem.line == line_of(text, "id: src-one")


def test_unknown_field_is_reported_with_path_and_line() -> None:
    text = edit(BASE, "    publisher: A publisher\n", "    publisher: A publisher\n    colour: red\n")
    problem = only_problem(text)
    assert format_path(problem.path) == "sources[0].colour"
    assert "unknown field" in problem.message
    assert problem.line == line_of(text, "colour: red")


def test_bad_state_code_pattern_is_reported_with_path_and_line() -> None:
    text = edit(BASE, "states: [LAO, CHN, PRK]", "states: [LAO, chn, PRK]")
    problem = only_problem(text)
    assert format_path(problem.path) == "states[1]"
    assert "'chn'" in problem.message
    assert (problem.line, problem.column) == (line_of(text, "states:"), 15)


def test_bad_fact_state_code_is_reported_with_path() -> None:
    text = edit(BASE, "    origin: LAO", "    origin: Laos")
    problem = only_problem(text)
    assert format_path(problem.path) == "facts[2].origin"
    assert problem.line == line_of(text, "origin: Laos")


@pytest.mark.parametrize("bad", ["'2013-02-30'", "yesterday", "'30/05/2013'"])
def test_bad_date_is_reported_with_path_and_line(bad: str) -> None:
    text = edit(BASE, "    date: 2013-05-30", f"    date: {bad}")
    problem = only_problem(text)
    assert format_path(problem.path) == "sources[0].date"
    assert problem.line == line_of(text, f"date: {bad}")


@pytest.mark.parametrize("bad", ["2013-02-30", "2013-13-30"])
def test_impossible_unquoted_yaml_date_is_a_case_error(bad: str) -> None:
    text = edit(BASE, "    date: 2013-05-30", f"    date: {bad}")
    problem = only_problem(text)
    assert format_path(problem.path) == "sources[0].date"


def test_date_range_with_latest_before_earliest_is_reported() -> None:
    text = edit(
        BASE,
        "    territory: LAO\n    date: 2013-05-10\n    sources",
        "    territory: LAO\n    date: {earliest: 2013-05-10, latest: 2013-05-01}\n    sources",
    )
    problem = only_problem(text)
    assert format_path(problem.path) == "facts[0].date"
    assert "latest (2013-05-01) is before earliest (2013-05-10)" in problem.message
    assert problem.line == line_of(text, "earliest: 2013-05-10")


def test_unknown_fact_kind_is_reported_with_path_and_line() -> None:
    text = edit(BASE, "kind: presence", "kind: arrival")
    problem = only_problem(text)
    assert format_path(problem.path) == "facts[0]"
    assert "'arrival'" in problem.message
    assert problem.line == line_of(text, "id: nine-in-laos")


def test_bad_account_reference_syntax_is_reported() -> None:
    text = edit(BASE, "account: laos-act=deported", "account: laos-act")
    problem = only_problem(text)
    assert format_path(problem.path) == "facts[2].account"
    assert problem.line == line_of(text, "account: laos-act")


def test_several_schema_errors_are_all_reported_at_once() -> None:
    text = edit(BASE, "    title: A report\n", "")
    text = edit(text, "kind: presence", "kind: arrival")
    text = edit(text, "states: [LAO, CHN, PRK]", "states: [LAO, CHN, prk]")
    text = edit(text, "    publisher: A publisher\n", "    publisher: A publisher\n    colour: red\n")
    found = {format_path(p.path): p.line for p in problems(text)}
    assert found == {
        "sources[0].title": line_of(text, "id: src-one"),
        "sources[0].colour": line_of(text, "colour: red"),
        "states[2]": line_of(text, "states:"),
        "facts[0]": line_of(text, "id: nine-in-laos"),
    }


def test_json_schema_error_is_located() -> None:
    data = yaml.safe_load(BASE)
    data["facts"][1]["kind"] = "arrival"
    text = json.dumps(data, indent=2, default=str)
    problem = only_problem(text, as_json=True)
    assert format_path(problem.path) == "facts[1]"
    assert problem.line == line_of(text, '"id": "laos-custody"') - 1  # the line of the object's "{"


def test_json_schema_error_is_located_when_file_has_escaped_emoji() -> None:
    data = yaml.safe_load(BASE)
    data["title"] = "A small case \U0001f600"
    data["facts"][1]["kind"] = "arrival"
    text = json.dumps(data, indent=2, default=str)  # ensure_ascii: the emoji becomes a surrogate pair
    assert problems(text, as_json=True)[0].line is not None


# --- consistency errors ------------------------------------------------------------------------------


def test_unknown_source_id_suggests_the_close_one() -> None:
    text = edit(
        BASE, "    date: 2013-05-27\n    sources: [src-one]", "    date: 2013-05-27\n    sources: [src-onf]"
    )
    problem = only_problem(text)
    assert format_path(problem.path) == "facts[2].sources[0]"
    assert "no source with id 'src-onf'" in problem.message
    assert "did you mean 'src-one'?" in problem.message
    assert problem.line == line_of(text, "src-onf")


def test_unknown_source_id_far_from_any_has_no_suggestion() -> None:
    text = edit(
        BASE, "    date: 2013-05-27\n    sources: [src-one]", "    date: 2013-05-27\n    sources: [zzzz]"
    )
    problem = only_problem(text)
    assert "no source with id 'zzzz'" in problem.message
    assert "did you mean" not in problem.message


def test_unknown_source_in_account_is_reported() -> None:
    text = edit(
        BASE,
        "        label: Deported to China.\n        sources: [src-one]",
        "        label: Deported to China.\n        sources: [src-two]",
    )
    problem = only_problem(text)
    assert format_path(problem.path) == "contested_points[0].accounts[0].sources[0]"


def test_unknown_person_id_is_reported() -> None:
    text = edit(
        BASE, "    person: nine\n    by: LAO\n    origin", "    person: nein\n    by: LAO\n    origin"
    )
    problem = only_problem(text)
    assert format_path(problem.path) == "facts[2].person"
    assert "no person with id 'nein'" in problem.message
    assert "did you mean 'nine'?" in problem.message
    assert problem.line == line_of(text, "person: nein")


def test_state_used_in_fact_but_not_listed_is_reported() -> None:
    text = edit(BASE, "    to: CHN", "    to: KOR")
    problem = only_problem(text)
    assert format_path(problem.path) == "facts[2].to"
    assert "'KOR' is not listed in the case's `states`" in problem.message
    assert problem.line == line_of(text, "to: KOR")


def test_unknown_iso_code_in_states_is_reported() -> None:
    text = edit(BASE, "states: [LAO, CHN, PRK]", "states: [LAO, CHN, PRK, XXX]")
    problem = only_problem(text)
    assert format_path(problem.path) == "states[3]"
    assert "'XXX' is not an ISO 3166-1 alpha-3 state code" in problem.message
    assert problem.line == line_of(text, "states:")


def test_unknown_iso_code_as_nationality_is_reported() -> None:
    text = edit(BASE, "    nationality: PRK", "    nationality: PRQ")
    problem = only_problem(text)
    assert format_path(problem.path) == "persons[0].nationality"


def test_duplicate_fact_id_is_reported() -> None:
    text = edit(BASE, "  - id: laos-custody", "  - id: nine-in-laos")
    problem = only_problem(text)
    assert format_path(problem.path) == "facts[1].id"
    assert "duplicate id 'nine-in-laos' (first used at facts[0].id)" in problem.message
    assert problem.line == line_of(text, "kind: custody") - 1


def test_duplicate_id_across_collections_is_reported() -> None:
    text = edit(BASE, "  - id: laos-custody", "  - id: nine")
    problem = only_problem(text)
    assert format_path(problem.path) == "facts[1].id"
    assert "first used at persons[0].id" in problem.message


def test_duplicate_account_id_is_reported() -> None:
    text = edit(BASE, "      - id: handed", "      - id: deported")
    problem = only_problem(text)
    assert format_path(problem.path) == "contested_points[0].accounts[1].id"
    assert problem.line == line_of(text, "Handed to the DPRK embassy") - 1


def test_account_reference_to_unknown_point_is_reported() -> None:
    text = edit(BASE, "account: laos-act=deported", "account: laos-ac=deported")
    problem = only_problem(text)
    assert format_path(problem.path) == "facts[2].account"
    assert "'laos-ac=deported'" in problem.message
    assert "did you mean 'laos-act'?" in problem.message
    assert problem.line == line_of(text, "account: laos-ac=")


def test_account_reference_to_unknown_account_is_reported() -> None:
    text = edit(BASE, "account: laos-act=deported", "account: laos-act=deportd")
    problem = only_problem(text)
    assert format_path(problem.path) == "facts[2].account"
    assert "did you mean 'deported'?" in problem.message


def test_fact_both_in_an_account_and_unknown_is_reported() -> None:
    text = edit(BASE, "account: laos-act=deported\n", "account: laos-act=deported\n    unknown: true\n")
    problem = only_problem(text)
    assert format_path(problem.path) == "facts[2].unknown"
    assert "not both" in problem.message
    assert problem.line == line_of(text, "unknown: true")


def test_custody_ending_before_it_starts_is_reported() -> None:
    text = edit(BASE, "until: 2013-05-27", "until: 2013-05-01")
    problem = only_problem(text)
    assert format_path(problem.path) == "facts[1].until"
    assert "before it starts" in problem.message
    assert problem.line == line_of(text, "until: 2013-05-01")


def test_fact_dated_after_as_of_is_reported() -> None:
    text = edit(
        BASE, "    manner: deportation\n    date: 2013-05-27", "    manner: deportation\n    date: 2013-07-27"
    )
    problem = only_problem(text)
    assert format_path(problem.path) == "facts[2].date"
    assert "after the case's as_of date (2013-06-04)" in problem.message
    assert problem.line == line_of(text, "date: 2013-07-27")


def test_removal_by_a_state_from_its_territory_to_itself_is_reported() -> None:
    text = edit(BASE, "    to: CHN", "    to: LAO")
    problem = only_problem(text)
    assert format_path(problem.path) == "facts[2].to"
    assert "cannot end in the very territory it starts from" in problem.message
    assert problem.line == line_of(text, "to: LAO")


def test_removal_with_neither_date_nor_event_is_reported() -> None:
    text = edit(BASE, "    manner: deportation\n    date: 2013-05-27\n", "    manner: deportation\n")
    problem = only_problem(text)
    assert format_path(problem.path) == "facts[2].date"
    assert "needs a date, or an event" in problem.message
    assert problem.line == line_of(text, "id: laos-deports")  # the field is absent: the fact's line


def test_event_with_no_timing_fact_is_reported() -> None:
    text = edit(
        BASE,
        "    manner: deportation\n    date: 2013-05-27\n",
        "    manner: deportation\n    event: laos-transfer\n",
    )
    problem = only_problem(text)
    assert format_path(problem.path) == "facts[2].event"
    assert "'laos-transfer' has no date and no timing fact dates it" in problem.message
    assert problem.line == line_of(text, "event: laos-transfer")


def test_event_dated_by_a_timing_fact_passes() -> None:
    text = edit(
        BASE,
        "    manner: deportation\n    date: 2013-05-27\n",
        "    manner: deportation\n    event: laos-transfer\n",
    )
    text += (
        "  - id: transfer-date\n"
        "    kind: timing\n"
        "    event: laos-transfer\n"
        "    date: 2013-05-27\n"
        "    sources: [src-one]\n"
    )
    assert len(parse_case(text, file="x.yaml").facts) == 4


def test_removal_by_agents_of_another_state_to_their_own_state_passes() -> None:
    text = edit(
        BASE, "    by: LAO\n    origin: LAO\n    to: CHN", "    by: PRK\n    origin: CHN\n    to: PRK"
    )
    removal = parse_case(text, file="x.yaml").fact("laos-deports")
    assert (removal.by, removal.origin, removal.to) == ("PRK", "CHN", "PRK")  # type: ignore[attr-defined]


def test_several_consistency_errors_are_all_reported_at_once() -> None:
    text = edit(BASE, "    to: CHN", "    to: KOR")
    text = edit(text, "until: 2013-05-27", "until: 2013-05-01")
    text = edit(text, "  - id: laos-custody", "  - id: nine-in-laos")
    paths = {format_path(p.path) for p in problems(text)}
    assert paths == {"facts[2].to", "facts[1].until", "facts[1].id"}


# --- reading files -----------------------------------------------------------------------------------


def test_load_case_on_missing_file_is_a_case_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    with pytest.raises(CaseError) as caught:
        load_case(missing)
    assert caught.value.file == str(missing)
    assert "cannot read the file" in caught.value.problems[0].message


def test_load_case_on_a_directory_is_a_case_error(tmp_path: Path) -> None:
    with pytest.raises(CaseError):
        load_case(tmp_path)


def test_load_case_on_non_utf8_bytes_is_a_case_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("id: café\n".encode("latin-1"))
    with pytest.raises(CaseError) as caught:
        load_case(path)
    assert "not UTF-8" in caught.value.problems[0].message


def test_load_case_reads_json_by_extension(tmp_path: Path) -> None:
    path = tmp_path / "mini.json"
    path.write_text(json.dumps(yaml.safe_load(BASE), default=str), encoding="utf-8")
    assert load_case(path).id == "mini"


# --- CaseError.describe ------------------------------------------------------------------------------


def test_describe_starts_with_file_name_and_lists_every_problem() -> None:
    text = edit(BASE, "    to: CHN", "    to: KOR")
    text = edit(text, "until: 2013-05-27", "until: 2013-05-01")
    with pytest.raises(CaseError) as caught:
        parse_case(text, file="cases/mini.yaml")
    error = caught.value
    lines = error.describe().splitlines()
    assert lines[0].startswith("cases/mini.yaml")
    assert "2 problems" in lines[0]
    assert len(lines) == 1 + len(error.problems) == 3
    for line, problem in zip(lines[1:], error.problems, strict=True):
        expected = (
            f"cases/mini.yaml:{problem.line}:{problem.column}: {format_path(problem.path)}: {problem.message}"
        )
        assert line.strip() == expected
    assert str(error) == error.describe()


def test_describe_without_file_names_the_input() -> None:
    error = CaseError(None, [Problem("broken", ("facts", 0, "id"), 3, 5)])
    assert error.describe().splitlines() == [
        "<input>: 1 problem in the case file",
        "  <input>:3:5: facts[0].id: broken",
    ]


def test_format_path() -> None:
    assert format_path(("facts", 3, "sources", 0)) == "facts[3].sources[0]"
    assert format_path(()) == "(top level)"


# --- inputs that break the parser itself (bugs) ------------------------------------------------------


def test_recursive_yaml_alias_is_a_case_error() -> None:
    problems("id: &a [*a]\n")


def test_nested_aliases_are_rejected_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 6)]
    start = time.perf_counter()
    problems("\n".join(lines) + "\n")
    assert time.perf_counter() - start < 0.25


def test_deeply_nested_yaml_is_a_case_error() -> None:
    problems("[" * 5000 + "]" * 5000)


def test_deeply_nested_json_is_a_case_error() -> None:
    problems("[" * 100_000, as_json=True)


def test_deeply_nested_unclosed_yaml_does_not_crash() -> None:
    code = textwrap.dedent(
        """
        from nonrefoulement.errors import CaseError
        from nonrefoulement.load import parse_case
        try:
            parse_case("[" * 100_000, file="x.yaml")
        except CaseError:
            print("CaseError")
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.returncode
    assert result.stdout.strip() == "CaseError"


@pytest.mark.parametrize("value", ["!!int abc", "!!float abc", "!!bool abc", "!!timestamp 2001-13-01"])
def test_bad_explicitly_tagged_yaml_value_is_a_case_error(value: str) -> None:
    problems(f"id: {value}\n")


def test_lone_surrogate_in_yaml_text_is_a_case_error() -> None:
    problems("id: a\ntitle: \ud800\n")


def test_control_character_in_yaml_is_located() -> None:
    problem = only_problem("id: a\ntitle: b\x00\n")
    assert problem.line == 2


# --- property tests ----------------------------------------------------------------------------------


@SETTINGS
@given(st.text())
def test_arbitrary_text_as_yaml_returns_case_or_raises_case_error(text: str) -> None:
    returns_case_or_raises_case_error(text, as_json=False)


@SETTINGS
@given(st.text())
def test_arbitrary_text_as_json_returns_case_or_raises_case_error(text: str) -> None:
    returns_case_or_raises_case_error(text, as_json=True)


@functools.cache
def _seed_data_cached() -> dict[str, Any]:
    data = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _seed_data() -> dict[str, Any]:
    """A fresh copy of the seed case as plain data (dicts, lists, scalars)."""
    return copy.deepcopy(_seed_data_cached())


def _locations(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``data`` (the root excluded)."""
    found: list[tuple[Any, ...]] = [path] if path else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += _locations(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _locations(value, (*path, index))
    return found


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)


@st.composite
def mutated_seeds(draw: st.DrawFn) -> dict[str, Any]:
    data = _seed_data()
    locations = _locations(data)
    operation = draw(st.sampled_from(["delete", "replace", "duplicate"]))
    if operation == "duplicate":
        lists = [path for path in locations if isinstance(_at(data, path), list) and _at(data, path)]
        target = _at(data, draw(st.sampled_from(lists)))
        index = draw(st.integers(0, len(target) - 1))
        target.insert(draw(st.integers(0, len(target))), target[index])
        return data
    path = draw(st.sampled_from(locations))
    parent = _at(data, path[:-1])
    if operation == "delete":
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(json_scalars)
    return data


@SETTINGS
@given(mutated_seeds(), st.booleans())
def test_mutated_seed_case_returns_case_or_raises_case_error(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        text = json.dumps(data, default=str, allow_nan=True)
    else:
        text = yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True)
    returns_case_or_raises_case_error(text, as_json=as_json)


def round_trip(case: Case) -> Case:
    return Case.model_validate(json.loads(case.model_dump_json(by_alias=True)))


def test_seed_case_round_trips_through_json(seed: Case) -> None:
    assert round_trip(seed) == seed


STATES = ["LAO", "CHN", "PRK", "KOR"]
AS_OF = dt.date(2013, 6, 4)


@st.composite
def whens(draw: st.DrawFn, *, not_before: dt.date = dt.date(2000, 1, 1)) -> Any:
    """A date, or a range of dates, between ``not_before`` and AS_OF."""
    first = draw(st.dates(min_value=not_before, max_value=AS_OF))
    if draw(st.booleans()):
        return first
    last = draw(st.dates(min_value=first, max_value=AS_OF))
    return {"earliest": first, "latest": last}


def _latest(when: Any) -> dt.date:
    return when["latest"] if isinstance(when, dict) else when


@st.composite
def small_cases(draw: st.DrawFn) -> dict[str, Any]:
    states = draw(st.lists(st.sampled_from(STATES), min_size=1, max_size=3, unique=True))
    source_ids = ["src-0", "src-1"][: draw(st.integers(1, 2))]
    sources = [
        {
            "id": source,
            "title": "A report",
            "publisher": "A publisher",
            "date": draw(st.dates(max_value=AS_OF)),
        }
        for source in source_ids
    ]
    kinds = ["presence", "custody", "removal"] if len(states) > 1 else ["presence", "custody"]
    facts: list[dict[str, Any]] = []
    for index in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(kinds))
        fact: dict[str, Any] = {
            "id": f"fact-{index}",
            "kind": kind,
            "person": "group-0",
            "sources": draw(st.lists(st.sampled_from(source_ids), min_size=1, max_size=2)),
        }
        if draw(st.booleans()):
            fact["unknown"] = True
        date = draw(whens())
        if kind in ("presence", "custody"):
            fact["territory"] = draw(st.sampled_from(states))
            fact["date"] = date
            if draw(st.booleans()):
                fact["until"] = draw(whens(not_before=_latest(date)))
            if kind == "custody":
                fact["by"] = draw(st.sampled_from(states))
            else:
                fact["entry"] = draw(st.sampled_from(["lawful", "unlawful", "unknown"]))
        else:
            by, origin = (draw(st.sampled_from(states)) for _ in range(2))
            to = draw(st.sampled_from([state for state in states if state != origin]))
            fact.update(
                by=by,
                origin=origin,
                to=to,
                date=date,
                manner=draw(st.sampled_from(["deportation", "handover", "escorted_transfer"])),
                stage=draw(st.sampled_from(["completed", "attempted", "imminent", "decided"])),
            )
        facts.append(fact)
    # A removal cannot come before the person could have been in its origin: date it no earlier than the
    # last arrival recorded there.
    for fact in facts:
        if fact["kind"] == "removal":
            arrivals = [
                _latest(f["date"])
                for f in facts
                if f["kind"] in ("presence", "custody") and f["territory"] == fact["origin"]
            ]
            if arrivals and _latest(fact["date"]) < max(arrivals):
                fact["date"] = max(arrivals)
    return {
        "id": "small",
        "title": "A generated case",
        "as_of": AS_OF,
        "sources": sources,
        "states": states,
        "persons": [
            {
                "id": "group-0",
                "name": "the group",
                "kind": "group",
                "nationality": draw(st.sampled_from(STATES)),
                "members": [{"count": draw(st.integers(1, 50)), "sources": [source_ids[0]]}],
            }
        ],
        "facts": facts,
    }


@SETTINGS
@given(small_cases())
def test_generated_small_case_is_valid_and_round_trips(data: dict[str, Any]) -> None:
    case = parse_case(yaml.safe_dump(data, sort_keys=False), file="small.yaml")
    assert round_trip(case) == case
    assert round_trip(case).model_dump() == case.model_dump()


@SETTINGS
@given(small_cases())
def test_generated_small_case_parses_the_same_from_yaml_and_json(data: dict[str, Any]) -> None:
    from_yaml = parse_case(yaml.safe_dump(data, sort_keys=False), file="small.yaml")
    from_json = parse_case(json.dumps(data, default=str), file="small.json", as_json=True)
    assert from_yaml == from_json
