"""The command line: a thin shell over the API, with the exit codes of the contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from nonrefoulement.cli import main
from nonrefoulement.rules import load_rulebase

SEED = str(Path(__file__).resolve().parent.parent / "cases" / "laos-china-2013.yaml")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_check_prints_a_table_of_findings() -> None:
    code, out, _ = run("check", SEED)
    assert code == 0
    assert "Lao PDR — nine" in out and "breach indicated" in out and "CAT Art 3" in out


def test_check_json_follows_the_report_contract() -> None:
    code, out, _ = run("check", SEED, "--format", "json")
    assert code == 0
    report = json.loads(out)
    assert report["schema"] == "nonrefoulement/report/1"
    finding = next(f for f in report["findings"] if (f["state"], f["obligation"]) == ("LAO", "cat3"))
    for field in (
        "state",
        "obligation",
        "person",
        "acts",
        "status",
        "status_all",
        "certainty",
        "accounts",
        "unknowns",
        "contested_law",
        "procedural",
        "citation",
        "explanation",
    ):
        assert field in finding
    assert finding["explanation"]["kind"] == "rule"
    assert {"kind", "id", "text", "citation", "quote", "sources", "dates", "accounts", "children"} <= set(
        finding["explanation"]
    )


def test_filters_keep_only_the_findings_asked_for() -> None:
    code, out, _ = run("check", SEED, "--format", "json", "--state", "CHN", "--obligation", "rc33")
    assert code == 0
    assert {(f["state"], f["obligation"]) for f in json.loads(out)["findings"]} == {("CHN", "rc33")}


def test_explain_reads_as_a_tree_with_citations() -> None:
    code, out, _ = run("explain", SEED, "--state", "CHN", "--obligation", "cat3", "--person", "nine")
    assert code == 0
    assert "[cat3.breach]" in out and "Convention against Torture, Art. 3(1)" in out and "└──" in out


def test_explain_markdown_has_footnoted_sources() -> None:
    code, out, _ = run("explain", SEED, "--state", "LAO", "--obligation", "cat3", "--format", "markdown")
    assert code == 0
    assert "## Sources" in out and "[^unhcr-2013-05-30]:" in out


def test_what_if_prints_the_findings_that_changed() -> None:
    code, out, _ = run(
        "check",
        SEED,
        "--retract",
        "risk-returnees",
        "--retract",
        "risk-missionary-contact",
        "--state",
        "LAO",
        "--person",
        "nine",
    )
    assert code == 0
    assert "What-if, against the case as written" in out and "LAO cat3 nine: breach" in out


def test_unknown_account_is_a_usage_error_without_traceback() -> None:
    code, _, err = run("check", SEED, "--account", "laos-act=nowhere")
    assert code == 2
    assert "no account 'nowhere'" in err and "Traceback" not in err


def test_unknown_setting_and_fact_are_usage_errors() -> None:
    assert run("check", SEED, "--doctrine", "customary=maybe")[0] == 2
    assert run("check", SEED, "--retract", "no-such-fact")[0] == 2


def test_customary_strict_setting_switches_customary_findings_off() -> None:
    code, out, _ = run("check", SEED, "--format", "json", "--doctrine", "customary=strict")
    assert code == 0
    customary = [f for f in json.loads(out)["findings"] if f["obligation"] == "customary"]
    assert customary and all(f["status"] == "not_engaged" for f in customary)
    assert all("customary_rule_not_established" in f["reasons"] for f in customary)


def test_output_file_is_written_and_the_case_file_is_never_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    code, _, _ = run("check", SEED, "--format", "json", "-o", str(target))
    assert code == 0 and json.loads(target.read_text())["case"]["id"] == "laos-china-2013"
    before = Path(SEED).read_bytes()
    code, _, _ = run("check", SEED, "-o", SEED)
    assert code == 2 and Path(SEED).read_bytes() == before


def test_rules_catalogue_in_every_format() -> None:
    code, out, _ = run("rules", "--format", "markdown")
    assert code == 0 and "### `cat3.breach`" in out and "> No State Party shall expel" in out
    code, out, _ = run("rules", "--format", "json")
    assert code == 0 and any(r["id"] == "rc33.exception_security" for r in json.loads(out)["rules"])
    assert run("rules")[0] == 0


def test_every_conclusion_rule_is_annotated_with_citation_and_quote() -> None:
    rulebase = load_rulebase()
    assert not rulebase.unannotated, f"rules without %! rule or %! helper: {rulebase.unannotated}"
    for info in rulebase.catalogue.values():
        assert info.cite and info.quote, info.id


def test_rule_files_run_under_plain_clingo() -> None:
    rules = sorted((Path(__file__).resolve().parent.parent / "rules").glob("*.lp"))
    result = subprocess.run(
        [sys.executable, "-m", "clingo", "--warn=none", "-q", *map(str, rules)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "SATISFIABLE" in result.stdout, result.stderr


def test_python_dash_m_works() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "nonrefoulement", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and "check" in result.stdout


def test_the_committed_rule_catalogue_is_current() -> None:
    from nonrefoulement.render.catalogue import render_catalogue

    committed = (Path(__file__).resolve().parent.parent / "docs" / "rule-catalogue.md").read_text(
        encoding="utf-8"
    )
    assert committed == render_catalogue(load_rulebase(), "markdown"), (
        "docs/rule-catalogue.md is stale: run `nonref rules --format markdown > docs/rule-catalogue.md`"
    )
