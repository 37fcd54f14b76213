"""The CLI's ``validate`` and ``schema`` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from nonrefoulement.cli import main

SEED = Path(__file__).resolve().parents[1] / "cases" / "laos-china-2013.yaml"

BROKEN = """\
id: broken
title: A broken case
as_of: 2013-06-04
sources:
  - id: src-one
    title: A report
    publisher: A publisher
    date: 2013-05-30
    colour: red
states: [LAO]
persons:
  - id: nine
    name: the nine
facts:
  - id: nine-in-laos
    kind: presence
    person: nine
    territory: LAO
    date: 2013-05-10
    sources: [src-one]
"""


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()  # click >= 8.2 keeps stderr apart in result.stderr


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    return path


def test_validate_seed_case_exits_zero(runner: CliRunner) -> None:
    result = runner.invoke(main, ["validate", str(SEED)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.stdout
    assert "3 contested points" in result.stdout
    assert result.stderr == ""


def test_validate_broken_file_exits_one(runner: CliRunner, broken: Path) -> None:
    result = runner.invoke(main, ["validate", str(broken)])
    assert result.exit_code == 1


def test_validate_broken_file_reports_located_message_on_stderr(runner: CliRunner, broken: Path) -> None:
    result = runner.invoke(main, ["validate", str(broken)])
    assert f"{broken}:9:13: sources[0].colour: unknown field" in result.stderr
    assert "valid (" not in result.stdout


def test_validate_broken_file_prints_no_traceback(runner: CliRunner, broken: Path) -> None:
    result = runner.invoke(main, ["validate", str(broken)])
    assert "Traceback" not in result.output
    assert "Traceback" not in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_validate_leaves_broken_input_file_unchanged(runner: CliRunner, broken: Path) -> None:
    before = broken.read_bytes()
    runner.invoke(main, ["validate", str(broken)])
    assert broken.read_bytes() == before


def test_validate_missing_file_exits_one_without_traceback(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["validate", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 1
    assert "cannot read the file" in result.stderr
    assert "Traceback" not in result.output


def test_validate_reports_every_file_and_fails_if_any_fails(runner: CliRunner, broken: Path) -> None:
    result = runner.invoke(main, ["validate", str(SEED), str(broken)])
    assert result.exit_code == 1
    assert f"{SEED}: valid" in result.stdout
    assert str(broken) in result.stderr


def test_validate_without_arguments_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(main, ["validate"])
    assert result.exit_code == 2


def test_schema_prints_json_with_facts_property(runner: CliRunner) -> None:
    result = runner.invoke(main, ["schema"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert "facts" in schema["properties"]
    assert "states" in schema["required"]
