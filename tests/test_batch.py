"""Batch evaluation: many case files, one record per case, errors recorded and the batch going on, the same
results in one process, in two, and on a dask cluster."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from nonrefoulement import batch
from nonrefoulement.cli import main
from nonrefoulement.errors import UsageError

from .builders import CaseDict, add, baseline, edit, replace_state, variant

CASES = Path(__file__).resolve().parent.parent / "cases"


def _write(directory: Path, name: str, case: CaseDict) -> Path:
    path = directory / name
    data = {k: v for k, v in case.items() if not k.startswith("_")}
    if name.endswith(".json"):
        path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _contested() -> CaseDict:
    """Italy deported the group, or (its own account) they left on their own: findings differ by account."""
    case = variant(
        edit("removal", account="how=deported"),
        add(
            id="left",
            kind="departure",
            person="p",
            origin="ITA",
            to="IRN",
            date="2015-06-01",
            account="how=left",
            sources=["report-late"],
        ),
    )
    case["contested_points"] = [
        {
            "id": "how",
            "question": "Was the group deported, or did it leave?",
            "accounts": [
                {"id": "deported", "label": "Deported", "sources": ["report-late"]},
                {"id": "left", "label": "Left on its own", "sources": ["report-late"]},
            ],
        }
    ]
    return case


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four good case files, YAML and JSON, one of them in a subdirectory."""
    directory = tmp_path_factory.mktemp("corpus")
    (directory / "more").mkdir()
    cases = {
        "italy.yaml": baseline(),
        "italy-assessed.json": variant(edit("no-assessment", made=True)),
        "more/italy-contested.yaml": _contested(),
        "greece.yml": variant(replace_state("ITA", "GRC")),
    }
    for name, case in cases.items():
        case["id"] = Path(name).name.split(".")[0]
        _write(directory, name, case)
    return directory


@pytest.fixture(scope="module")
def with_broken(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The corpus plus a case file with a removal in an unknown manner (facts[2].manner)."""
    directory = tmp_path_factory.mktemp("with-broken")
    for source in corpus.rglob("*"):
        if source.is_file():
            target = directory / source.relative_to(corpus)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
    broken = _write(directory, "broken.yaml", variant(edit("removal", manner="teleportation")))
    return directory, broken


@pytest.fixture(scope="module")
def local(corpus: Path) -> list[batch.CaseResult]:
    return batch.sort_results(batch.run([corpus], jobs=1))


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def test_batch_over_the_cases_directory_gives_one_ok_record_per_case() -> None:
    files = sorted(str(p) for p in CASES.rglob("*") if p.suffix in {".yaml", ".yml", ".json"})
    results = batch.sort_results(batch.run([CASES], jobs=1))
    assert [r.path for r in results] == files
    assert all(r.ok and r.error is None for r in results), [r.error for r in results if not r.ok]
    records = _lines(batch.to_jsonl(results))
    assert [set(r) for r in records] == [{"path", "ok", "report"}] * len(files)
    seed = next(r for r in records if r["path"].endswith("laos-china-2013.yaml"))
    assert seed["report"]["case"]["id"] == "laos-china-2013"
    assert seed["report"]["findings"], "the seed case has findings"
    assert all("explanation" not in f for f in seed["report"]["findings"])


def test_every_case_of_the_corpus_is_found_and_evaluated(corpus: Path, local: list[batch.CaseResult]) -> None:
    assert len(local) == 4
    assert all(r.ok for r in local)
    assert {r.report["case"]["id"] for r in local if r.report} == {
        "italy",
        "italy-assessed",
        "italy-contested",
        "greece",
    }
    contested = next(r for r in local if r.path.endswith("italy-contested.yaml"))
    assert any(f["certainty"] == "some_accounts" for f in contested.findings())


def test_a_broken_file_gives_an_error_record_and_exit_code_one(with_broken: tuple[Path, Path]) -> None:
    directory, broken = with_broken
    result = CliRunner().invoke(main, ["batch", str(directory), "--jobs", "2"])
    assert result.exit_code == 1, result.output
    records = {r["path"]: r for r in _lines(result.stdout)}
    assert len(records) == 5
    failed = records.pop(str(broken))
    assert failed["ok"] is False and "report" not in failed
    assert f"{broken}:" in failed["error"] and "facts[2].manner" in failed["error"]
    assert all(r["ok"] and r["report"]["findings"] for r in records.values())
    assert failed["error"] in result.stderr  # the error is said on stderr as well
    assert "5 cases: 4 ok, 1 failed" in result.stderr
    assert "Traceback" not in result.output


def test_an_unexpected_error_is_recorded_and_the_batch_goes_on(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = batch._report_json

    def flaky(case: Any) -> dict[str, Any]:
        if case.id == "greece":
            raise RuntimeError("boom")
        return real(case)

    monkeypatch.setattr(batch, "_report_json", flaky)
    results = batch.sort_results(batch.run([corpus], jobs=1))
    assert [r.ok for r in results] == [False, True, True, True]
    assert results[0].error is not None and "internal error: RuntimeError: boom" in results[0].error


def test_csv_has_a_header_and_one_row_per_finding(
    corpus: Path, local: list[batch.CaseResult], tmp_path: Path
) -> None:
    output = tmp_path / "findings.csv"
    result = CliRunner().invoke(main, ["batch", str(corpus), "--format", "csv", "-o", str(output), "-j", "2"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    rows = list(csv.reader(io.StringIO(output.read_text(encoding="utf-8"))))
    assert tuple(rows[0]) == batch.CSV_COLUMNS
    expected = [
        [r.path, f["state"], f["obligation"], f["person"], f["status"], ";".join(f["accounts"])]
        for r in local
        for f in r.findings()
    ]
    assert [[row[0], *row[2:6], row[9]] for row in rows[1:]] == expected
    assert "4 cases: 4 ok, 0 failed" in result.stderr


def test_csv_streams_to_stdout_with_one_header(corpus: Path) -> None:
    result = CliRunner().invoke(main, ["batch", str(corpus), "--format", "csv", "-j", "2"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == ",".join(batch.CSV_COLUMNS)
    assert lines.count(lines[0]) == 1


def test_one_and_two_processes_give_identical_sorted_output(
    corpus: Path, local: list[batch.CaseResult], tmp_path: Path
) -> None:
    two = batch.sort_results(batch.run([corpus], jobs=2))
    assert batch.to_jsonl(two) == batch.to_jsonl(local)
    assert batch.to_csv(two) == batch.to_csv(local)
    outputs = []
    for jobs in ("1", "2"):
        output = tmp_path / f"jobs-{jobs}.jsonl"
        result = CliRunner().invoke(main, ["batch", str(corpus), "-j", jobs, "-o", str(output)])
        assert result.exit_code == 0, result.output
        outputs.append(output.read_text(encoding="utf-8"))
    assert outputs[0] == outputs[1] == batch.to_jsonl(local)


def test_streamed_records_are_the_same_records(corpus: Path, local: list[batch.CaseResult]) -> None:
    result = CliRunner().invoke(main, ["batch", str(corpus), "-j", "2"])
    assert result.exit_code == 0, result.output
    streamed = sorted(result.stdout.splitlines(keepends=True))
    assert streamed == sorted(r.jsonl() for r in local)


def test_no_case_files_is_an_input_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["batch", str(tmp_path)])
    assert result.exit_code == 1
    assert "no case files" in result.stderr


def test_without_the_dask_extra_the_scheduler_option_says_what_to_install(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(name: str) -> Any:
        raise ImportError(f"No module named {name!r}")

    monkeypatch.setattr(batch.importlib, "import_module", missing)
    with pytest.raises(UsageError, match=r"nonrefoulement\[dask\]"):
        batch.run([corpus], scheduler="tcp://127.0.0.1:8786")
    result = CliRunner().invoke(main, ["batch", str(corpus), "--scheduler", "tcp://127.0.0.1:8786"])
    assert result.exit_code == 2  # a request that cannot be carried out, as for any UsageError
    assert "pip install 'nonrefoulement[dask]'" in result.stderr
    assert "Traceback" not in result.output


def test_a_dask_cluster_gives_results_identical_to_the_local_run(
    with_broken: tuple[Path, Path], tmp_path: Path
) -> None:
    distributed = pytest.importorskip(
        "dask.distributed", reason="dask.distributed is not installed (pip install 'nonrefoulement[dask]')"
    )
    directory, _ = with_broken
    here = batch.sort_results(batch.run([directory], jobs=1))
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        remote = batch.sort_results(batch.run([directory], scheduler=cluster.scheduler_address))
        output = tmp_path / "dask.jsonl"
        result = CliRunner().invoke(
            main, ["batch", str(directory), "--scheduler", cluster.scheduler_address, "-o", str(output)]
        )
    assert [r.ok for r in remote].count(False) == 1
    assert batch.to_jsonl(remote) == batch.to_jsonl(here)
    assert result.exit_code == 1  # the broken file
    assert output.read_text(encoding="utf-8") == batch.to_jsonl(here)
