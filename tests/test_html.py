"""The analyst's HTML report: it renders for every case file, fetches nothing, shows one matrix row per state
and person and one column per obligation, links every cell to its explanation, and escapes the case's text."""

from __future__ import annotations

import copy
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from markupsafe import escape

from nonrefoulement import evaluate, load_case, render_html
from nonrefoulement.case import Case, Departure, Removal
from nonrefoulement.cli import main
from nonrefoulement.findings import Report
from nonrefoulement.render.html import finding_anchor

from .builders import validated, variant

CASES = Path(__file__).resolve().parent.parent / "cases"
CASE_FILES = sorted(p for p in CASES.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
SEED = CASES / "laos-china-2013.yaml"
ATTACK = "<script>alert(1)</script>"


@cache
def evaluated(path: Path) -> tuple[Case, Report, str]:
    case = load_case(path)
    report = evaluate(case)
    return case, report, render_html(report, case)


# --- a small DOM built with the standard library's parser ----------------------------------------------


class Element:
    def __init__(self, tag: str, attrs: dict[str, str], parent: Element | None):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Element] = []
        self.text: list[str] = []

    def iter(self, tag: str | None = None) -> list[Element]:
        out = [self] if tag is None or self.tag == tag else []
        for child in self.children:
            out += child.iter(tag)
        return out

    def all_text(self) -> str:
        return "".join(self.text) + "".join(child.all_text() for child in self.children)

    def has_class(self, name: str) -> bool:
        return name in self.attrs.get("class", "").split()


VOID = {"meta", "link", "br", "hr", "img", "input", "col", "source", "wbr", "area", "base", "embed"}


class Dom(HTMLParser):
    """Just enough of a tree to count rows and follow links; also records every attribute and text."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self.current = self.root
        self.attributes: list[tuple[str, str, str]] = []  # (tag, name, value)
        self.styles: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.attributes += [(tag, name, value) for name, value in values.items()]
        element = Element(tag, values, self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.text.append(data)
        if self.current.tag == "style":
            self.styles.append(data)

    def by_id(self) -> dict[str, Element]:
        return {e.attrs["id"]: e for e in self.root.iter() if "id" in e.attrs}


REMOTE = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
CSS_URL = re.compile(r"url\(\s*['\"]?\s*([^'\")]*)", re.IGNORECASE)


def external_requests(text: str) -> list[str]:
    """Everything in the page that would make a browser fetch from elsewhere (links to sources are
    navigations, not fetches: plain ``<a href>`` may point anywhere)."""
    dom = Dom(text)
    found = []
    for tag, name, value in dom.attributes:
        fetched = name in (
            "src",
            "srcset",
            "poster",
            "data",
            "action",
            "formaction",
            "background",
            "manifest",
        )
        if fetched and value.strip() and not value.strip().startswith(("#", "data:")):
            found.append(f"<{tag} {name}={value!r}>")
        if name in ("href", "xlink:href") and tag != "a" and REMOTE.match(value):
            found.append(f"<{tag} {name}={value!r}>")
        if name == "style":
            found += [f"style url({u})" for u in CSS_URL.findall(value) if not u.startswith("#")]
        if tag == "meta" and name == "http-equiv" and value.lower() == "refresh":
            found.append("<meta http-equiv=refresh>")
    for tag in ("link", "iframe", "object", "embed", "img", "base"):
        found += [f"<{tag}>" for _ in dom.root.iter(tag)]
    for css in dom.styles:
        found += [f"css url({u})" for u in CSS_URL.findall(css) if not u.strip().startswith("#")]
        if "@import" in css:
            found.append("css @import")
    found += [f"<script src={s.attrs['src']!r}>" for s in dom.root.iter("script") if "src" in s.attrs]
    return found


def matrix(dom: Dom) -> Element:
    tables = [t for t in dom.root.iter("table") if t.has_class("matrix")]
    assert len(tables) == 1
    return tables[0]


# --- every case file -------------------------------------------------------------------------------------


def test_there_are_case_files() -> None:
    assert SEED in CASE_FILES


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.name)
def test_the_page_renders_and_fetches_nothing(path: Path) -> None:
    _, report, text = evaluated(path)
    assert text.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in text
    assert f"<h1>{escape(report.case.title)}</h1>" in text
    assert external_requests(text) == []
    # Exactly one script, inline, and it only opens the collapsed branches for printing.
    scripts = Dom(text).root.iter("script")
    assert len(scripts) == 1 and "beforeprint" in scripts[0].all_text()


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.name)
def test_the_matrix_has_a_row_per_state_and_person_and_a_column_per_obligation(path: Path) -> None:
    _, report, text = evaluated(path)
    table = matrix(Dom(text))
    head = table.iter("thead")[0]
    columns = [th for th in head.iter("th") if th.attrs.get("scope") == "col"]
    obligations = list(dict.fromkeys(f.obligation for f in report.findings))
    assert len(columns) == 1 + len(obligations)  # the row-header column, then one per obligation
    rows = table.iter("tbody")[0].iter("tr")
    pairs = list(dict.fromkeys((f.state, f.person) for f in report.findings))
    assert len(rows) == len(pairs)
    for row in rows:
        assert [th.attrs.get("scope") for th in row.iter("th")] == ["row"]
        assert len(row.iter("td")) == len(obligations)
    assert table.iter("caption")


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.name)
def test_every_cell_links_to_its_finding_explanation(path: Path) -> None:
    _, report, text = evaluated(path)
    dom = Dom(text)
    ids = dom.by_id()
    links = [a.attrs["href"] for a in matrix(dom).iter("a")]
    assert sorted(links) == sorted(f"#{finding_anchor(f)}" for f in report.findings)
    for finding in report.findings:
        section = ids[finding_anchor(finding)]
        assert section.tag == "section"
        headings = section.iter("h4")
        assert headings and finding.obligation and headings[0].attrs["id"] == f"{finding_anchor(finding)}-h"
        if finding.explanation is not None:
            # the tree's root sentence is there, in a collapsible <details>
            assert finding.explanation.text in section.all_text()
            assert section.iter("details")


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.name)
def test_every_internal_link_resolves(path: Path) -> None:
    _, _, text = evaluated(path)
    dom = Dom(text)
    ids = dom.by_id()
    targets = [a.attrs["href"][1:] for a in dom.root.iter("a") if a.attrs.get("href", "").startswith("#")]
    assert targets
    assert [t for t in targets if t not in ids] == []
    assert len(ids) == len([e for e in dom.root.iter() if "id" in e.attrs]), "ids are unique"


# --- the seed case's page --------------------------------------------------------------------------------


def test_seed_cells_give_status_and_certainty_in_words() -> None:
    _, report, text = evaluated(SEED)
    dom = Dom(text)
    cells = {a.attrs["href"][1:]: a.parent for a in matrix(dom).iter("a")}
    china = cells[finding_anchor(report.finding("CHN", "cat3", "nine"))]
    assert china is not None
    assert "breach indicated" in china.all_text() and "on every account" in china.all_text()
    assert china.has_class("st-breach")
    korea = cells[finding_anchor(report.finding("KOR", "cat3", "nine"))]
    assert korea is not None and "not engaged" in korea.all_text()


def test_seed_route_map_draws_every_move_and_dashes_the_contested_ones() -> None:
    case, _, text = evaluated(SEED)
    dom = Dom(text)
    svgs = [s for s in dom.root.iter("svg") if s.attrs.get("role") == "img"]
    assert len(svgs) == 1 and svgs[0].attrs.get("aria-labelledby")
    moves = [f for f in case.facts if isinstance(f, Removal | Departure)]
    legs = [g for g in svgs[0].iter("g") if g.has_class("leg") and g.iter("path")]
    assert len(legs) == len(moves)
    contested = [g for g in legs if g.has_class("contested")]
    assert len(contested) == len([m for m in moves if m.account])
    assert "only on account “deported-to-china”" in svgs[0].all_text()
    assert "27 or 28 May 2013" in svgs[0].all_text()
    risky = [g for g in svgs[0].iter("g") if g.has_class("place") and g.has_class("risk")]
    assert [g.iter("text")[0].all_text() for g in risky] == ["PRK"]


def test_seed_timeline_lists_dated_facts_with_sources() -> None:
    _, _, text = evaluated(SEED)
    ids = Dom(text).by_id()
    row = ids["fact-laos-deports-to-china"]
    assert row.tag == "tr"
    assert "27 May 2013" in row.all_text() and "28 May 2013" in row.all_text()
    assert any(a.attrs.get("href") == "#src-unhcr-2013-05-30" for a in row.iter("a"))
    source = ids["src-unhcr-2013-05-30"]
    assert any(a.attrs.get("href", "").startswith("http") for a in source.iter("a"))


def test_seed_defences_are_answered_by_rules() -> None:
    _, _, text = evaluated(SEED)
    section = Dom(text).by_id()["defences"]
    assert "defence.valid_travel_documents" in section.all_text()
    assert "illegal entry" in section.all_text()


def test_print_stylesheet() -> None:
    _, _, text = evaluated(SEED)
    assert "@media print" in text and "break-before: page" in text


# --- escaping --------------------------------------------------------------------------------------------


def hostile_case() -> Case:
    data = variant()
    data["title"] = f"Title {ATTACK}"
    data["summary"] = f"Summary {ATTACK} & more"
    data["persons"][0]["name"] = f"the group {ATTACK}"
    data["sources"][0].update(
        title=f"Source {ATTACK}", publisher=f'Pub "{ATTACK}"', url="javascript:alert(1)"
    )
    data["sources"].append(
        {
            "id": "other",
            "title": "t",
            "publisher": "p",
            "date": "2014-01-01",
            "url": f"https://e.org/?q={ATTACK}",
        }
    )
    data["contested_points"] = [
        {
            "id": "how",
            "question": f"How? {ATTACK}",
            "accounts": [
                {"id": "a", "label": f"Account A {ATTACK}", "sources": ["report-2014"]},
                {"id": "b", "label": f"Account B {ATTACK}", "sources": ["report-late"]},
            ],
        }
    ]
    for fact in data["facts"]:
        fact["quote"] = f"quote {ATTACK}"
        fact["note"] = f"note {ATTACK}"
        if fact["id"] == "removal":
            fact["account"] = "how=a"
        if fact["kind"] == "risk":
            fact["description"] = f"risk {ATTACK}"
    data["facts"].append(
        dict(copy.deepcopy(data["facts"][2]), id="removal-b", account="how=b", manner="handover")
    )
    return validated(data)


def test_the_case_text_is_escaped() -> None:
    case = hostile_case()
    text = render_html(evaluate(case), case)
    assert ATTACK not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    dom = Dom(text)
    scripts = dom.root.iter("script")
    assert len(scripts) == 1 and "alert" not in scripts[0].all_text()
    assert external_requests(text) == []
    # A source's web address is a link (its text escaped); any other scheme is shown, never linked.
    assert not [a for a in dom.root.iter("a") if a.attrs.get("href", "").lower().startswith("javascript")]
    assert "javascript:alert(1)" in text
    assert any(a.attrs.get("href") == f"https://e.org/?q={ATTACK}" for a in dom.root.iter("a"))


# --- the command line ------------------------------------------------------------------------------------


def test_cli_report_writes_the_page(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", str(SEED), "-o", str(out), "--state", "LAO"])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    rows = matrix(Dom(text)).iter("tbody")[0].iter("tr")
    assert len(rows) == 2  # Laos: the nine and the escorts


def test_cli_check_format_html(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(SEED), "--format", "html", "--person", "nine"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("<!DOCTYPE html>") and "Findings matrix" in result.output
    two = CliRunner().invoke(main, ["check", str(SEED), str(SEED), "--format", "html"])
    assert two.exit_code == 2


def test_an_interception_on_the_high_seas_starts_from_the_high_seas() -> None:
    case = validated(variant(lambda data: data["facts"][2].update(origin=None, manner="interception")))
    text = render_html(evaluate(case), case)
    svg = Dom(text).by_id()["route"].iter("svg")[0]
    names = [t.all_text() for t in svg.iter("text") if t.has_class("name")]
    assert names[0] == "the high seas"
    assert "Italy intercepted the group" in svg.all_text()


def test_a_finding_on_some_accounts_only_says_which_decide_it() -> None:
    data = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    data["persons"][0]["members"] = [{"count": 9, "age": {"min": 18, "max": 23}}]  # adults: consent counts
    case = Case.model_validate(data)
    report = evaluate(case)
    finding = report.finding("CHN", "cat3", "nine")
    assert finding.certainty == "some_accounts" and finding.holds_if
    dom = Dom(render_html(report, case))
    cell = next(a.parent for a in matrix(dom).iter("a") if a.attrs["href"] == f"#{finding_anchor(finding)}")
    assert cell is not None and cell.has_class("some") and cell.has_class("st-breach")
    assert "on some accounts only" in cell.all_text() and "dprk-escort" in cell.all_text()
    glance = dom.by_id()["glance"].all_text()
    assert "on some accounts only" in glance and "Certain if" in glance and "ruled out if" in glance
    contested = dom.by_id()["point-departure-from-china"].all_text()
    assert "Findings that turn on this point" in contested
