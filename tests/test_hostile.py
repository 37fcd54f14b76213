"""Hostile strings are inert data (issue 8): no text in a case file can change what the rules do.

Every string field of the case-file model is found by introspecting the pydantic models of ``case.py`` (so a
field added later is covered without touching this file). A *carrier* case (the baseline of
``tests/builders.py``, with a contested point, every optional string field filled, and one fact of every kind)
is evaluated once; then each string field in turn carries a hostile value, and the findings must not move:

- free text fields carry ASP syntax, comment and brace characters, newlines, quotes, NUL and RTL marks;
- identifier fields (constrained by a pattern) carry a hostile-but-valid id, ``a.b-c_d``, renamed everywhere
  the id is referred to;
- fields whose pattern admits no hostile value (state codes) must refuse every payload as a located error.
"""

from __future__ import annotations

import copy
import json
import re
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import clingo
import clingo.ast
import pytest
from clingo import Symbol, SymbolType
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from nonrefoulement import case as model
from nonrefoulement import decisive
from nonrefoulement.engine import evaluate, resolve_settings
from nonrefoulement.errors import CaseError, format_path
from nonrefoulement.facts import case_symbols
from nonrefoulement.findings import Report
from nonrefoulement.load import parse_case
from nonrefoulement.render import render_report
from nonrefoulement.rules import load_rulebase
from nonrefoulement.treaties import treaty_data
from tests.builders import baseline
from tests.casemodel import FACT_CLASSES, Shape, declaring_class, models, string_fields, string_shapes

PWNED = Path("/tmp/pwned")
PAYLOADS = (
    '"). #include "/etc/passwd". a("',
    ":- .",
    '#script (python) import os; os.system("touch /tmp/pwned") #end.',
    "#script (lua) os.execute('touch /tmp/pwned') #end.",
    "%",
    "%* an unclosed block comment",
    "{",
    "} :- a. b(",
    "#const n = 1. #show. #external x. #minimize { 1 : x }.",
    "line one\nline two\r\n\tthird\u2028fourth",
    'quotes " \' \\" \\\\ ` \\',
    "NUL \x00 and right-to-left \u202e\u05d0\u05d1 and emoji \U0001f600",
    "<script>alert(1)</script> &amp; {{ 7 * 7 }}",
)
COMBINED = "\n".join(PAYLOADS)
HOSTILE_ID = "a.b-c_d"

# --- the carrier case ------------------------------------------------------------------------------------

STATE_FOR = {
    "to": "IRN",
    "destination": "IRN",
    "requested_state": "IRN",
    "giver": "IRN",
    "nationality": "IRN",
    "other_nationalities": "IRN",
}
ID_FOR = {
    "person": "p",
    "persons": ["p"],
    "event": "ev",
    "cited_in": "report-2014",
    "sources": ["report-2014"],
}
OVERRIDES: dict[str, dict[str, Any]] = {"shelter": {"state": "IRN"}}  # an embassy of another state
DAY, LATER = "2015-05-15", "2015-05-20"  # after the baseline's arrival in Italy, before its as_of


def _value(cls: type[BaseModel], name: str, info: FieldInfo) -> Any:
    """A valid value for a field of a carrier fact, from its annotation."""
    alias = info.alias or name
    shapes = set(string_shapes(info.annotation, list(info.metadata)))
    if alias in ID_FOR:
        return ID_FOR[alias]
    if alias == "account":
        return "cp=yes"
    if alias in ("date", "until"):
        return DAY if alias == "date" else LATER
    if shapes:
        shape = next(iter(shapes))
        if shape.pattern == r"^[A-Z]{3}$":
            code = STATE_FOR.get(alias, "ITA")
            return [code] if shape.many else code
        if shape.pattern is not None:
            return [f"x-{alias}"] if shape.many else f"x-{alias}"
        return ["benign text"] if shape.many else "benign text"
    annotation = info.annotation
    for candidate in (annotation, *typing.get_args(annotation)):
        if typing.get_origin(candidate) is typing.Literal:
            return typing.get_args(candidate)[0]
        if typing.get_origin(candidate) is list:
            (item,) = typing.get_args(candidate)
            if typing.get_origin(item) is typing.Literal:
                return [typing.get_args(item)[0]]
    if annotation is bool:
        return False
    raise AssertionError(f"no carrier value for {cls.__name__}.{name}: {annotation}")


def carrier_fact(kind: str) -> dict[str, Any]:
    cls = FACT_CLASSES[kind]
    fact: dict[str, Any] = {"id": f"carrier-{kind}", "kind": kind}
    for name, info in cls.model_fields.items():
        alias = info.alias or name
        if alias in fact or alias == "unknown":
            continue
        if info.is_required() or alias in string_fields(cls):
            fact[alias] = _value(cls, name, info)
    fact.update(OVERRIDES.get(kind, {}))
    return fact


def fill(data: dict[str, Any], cls: type[BaseModel]) -> None:
    """Give every string field a value where ``data`` (valid for ``cls``) has none, recursively."""
    if issubclass(cls, model.FactBase):
        cls = FACT_CLASSES[data["kind"]]
    for name, info in cls.model_fields.items():
        alias = info.alias or name
        if alias not in data and alias in string_fields(cls) and alias != "account":
            data[alias] = _value(cls, name, info)
        nested = models(info.annotation)
        for item in data.get(alias) or [] if isinstance(data.get(alias), list) else [data.get(alias)]:
            if isinstance(item, dict) and nested:
                fact_like = [m for m in nested if issubclass(m, model.FactBase)]
                fill(item, fact_like[0] if fact_like else next(m for m in nested if set(item) <= _aliases(m)))


@cache
def _carrier() -> str:
    data = baseline()
    data["contested_points"] = [
        {
            "id": "cp",
            "question": "benign question",
            "accounts": [
                {"id": "yes", "label": "benign yes", "sources": ["report-2014"]},
                {"id": "no", "label": "benign no", "sources": ["report-2014"]},
            ],
        }
    ]
    data["facts"] += [carrier_fact(kind) for kind in FACT_CLASSES]
    fill(data, model.Case)
    return json.dumps(data)


def carrier() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_carrier())
    return data


# --- walking the carrier alongside the model -------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """One string field of one model, at one place in the carrier."""

    path: tuple[str | int, ...]
    cls: type[BaseModel]
    field: str
    shape: Shape

    @property
    def name(self) -> str:
        return f"{self.cls.__name__}.{self.field}"


def walk(data: Any, cls: type[BaseModel], path: tuple[str | int, ...] = ()) -> Iterator[Slot]:
    """Every string field in ``data`` (a dict valid for ``cls``), recursively."""
    if issubclass(cls, model.FactBase) or cls is model.FactBase:
        cls = FACT_CLASSES[data["kind"]]
    strings = string_fields(cls)
    for name, info in cls.model_fields.items():
        alias = info.alias or name
        if alias not in data:
            continue
        if alias in strings:
            yield Slot((*path, alias), cls, alias, strings[alias])
            continue
        nested = models(info.annotation)
        value = data[alias]
        items = enumerate(value) if isinstance(value, list) else [(None, value)]
        for index, item in items:
            if isinstance(item, dict):
                here = (*path, alias) if index is None else (*path, alias, index)
                fact_like = [m for m in nested if issubclass(m, model.FactBase)]
                target = fact_like[0] if fact_like else next(m for m in nested if set(item) <= _aliases(m))
                yield from walk(item, target, here)


def _aliases(cls: type[BaseModel]) -> set[str]:
    return {info.alias or name for name, info in cls.model_fields.items()}


def get(data: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def put(data: Any, path: tuple[str | int, ...], value: Any) -> None:
    get(data, path[:-1])[path[-1]] = value


def rename_ids(data: dict[str, Any], renames: dict[str, str]) -> None:
    """Rename ids wherever the model holds an identifier (and inside ``POINT=ACCOUNT`` references)."""
    for slot in list(walk(data, model.Case)):
        value = get(data, slot.path)
        if slot.field == "account":
            point, _, account = value.partition("=")
            put(data, slot.path, f"{renames.get(point, point)}={renames.get(account, account)}")
        elif slot.shape.pattern is not None:
            if slot.shape.many:
                put(data, slot.path, [renames.get(v, v) for v in value])
            else:
                put(data, slot.path, renames.get(value, value))


def admits(slot: Slot, value: str) -> bool:
    return slot.shape.pattern is None or re.fullmatch(slot.shape.pattern, value) is not None


def is_text(slot: Slot) -> bool:
    return slot.shape.pattern is None and slot.field != "account"  # ``account`` is POINT=ACCOUNT


def unique_slots() -> list[Slot]:
    """One slot for each field, by the class that declares it (the fields every fact has are tried once)."""
    seen: set[tuple[str, str]] = set()
    out: list[Slot] = []
    for slot in walk(carrier(), model.Case):
        key = (declaring_class(slot.cls, slot.field).__name__, slot.field)
        if key not in seen:
            seen.add(key)
            out.append(slot)
    return out


SLOTS = unique_slots()
FREE = [s for s in SLOTS if is_text(s) or s.field == "account" or admits(s, HOSTILE_ID)]
CLOSED = [s for s in SLOTS if s not in FREE]

# --- evaluating ------------------------------------------------------------------------------------------


def load(data: dict[str, Any]) -> model.Case:
    """Through the loader, as a case file would come (JSON text: it can carry NUL and any character)."""
    return parse_case(json.dumps(data), file="hostile.json", as_json=True)


def signature(report: Report, persons: Callable[[str], str] = lambda p: p) -> list[tuple[str, ...]]:
    """What the rules concluded: status and certainty of every finding (explanations aside)."""
    return sorted(
        (
            f.state,
            f.obligation,
            persons(f.person),
            f.status,
            f.status_all,
            f.certainty,
            f.procedural.status,
            f.procedural.status_all,
        )
        for f in report.findings
    )


@cache
def _expected() -> tuple[tuple[str, ...], ...]:
    return tuple(signature(evaluate(load(carrier()), explain=False)))


def expected() -> list[tuple[str, ...]]:
    return list(_expected())


# Where the report repeats a field verbatim.
ECHOES: dict[str, Callable[[Report], list[str | None]]] = {
    "Case.id": lambda r: [r.case.id],
    "Case.title": lambda r: [r.case.title],
    "Source.id": lambda r: [s.id for s in r.sources],
    "Source.title": lambda r: [s.title for s in r.sources],
    "Source.publisher": lambda r: [s.publisher for s in r.sources],
    "Source.url": lambda r: [s.url for s in r.sources],
    "Source.cited_in": lambda r: [s.cited_in for s in r.sources],
    "ContestedPoint.id": lambda r: [p.id for p in r.contested_points],
    "ContestedPoint.question": lambda r: [p.question for p in r.contested_points],
    "Account.id": lambda r: [a for p in r.contested_points for a in p.accounts],
    "Person.id": lambda r: [f.person for f in r.findings],
}


@pytest.fixture(autouse=True, scope="module")
def _no_file_created() -> Iterator[None]:
    before = PWNED.exists() and PWNED.stat().st_mtime
    yield
    assert (PWNED.exists() and PWNED.stat().st_mtime) == before, "a payload ran: /tmp/pwned was touched"


def test_the_model_has_string_fields_of_every_kind() -> None:
    """The introspection finds what it should (or this whole file would prove nothing)."""
    names = {s.name for s in SLOTS}
    assert {"Case.title", "Source.title", "Source.cited_in", "Person.name", "Account.label"} <= names
    assert {"Removal.event", "Risk.description", "Risk.persons", "Presence.account"} <= names
    assert {"Case.states", "Removal.to", "Person.nationality"} <= {s.name for s in CLOSED}
    kinds = {get(carrier(), s.path[:2])["kind"] for s in SLOTS if s.path[0] == "facts"}
    with_strings = {
        kind
        for kind, cls in FACT_CLASSES.items()
        if set(string_fields(cls)) - set(model.FactBase.model_fields)
    }
    assert with_strings <= kinds
    assert len(FREE) > 40


def test_the_carrier_holds_every_fact_kind_and_evaluates() -> None:
    case = load(carrier())
    assert {f.kind for f in case.facts} == set(FACT_CLASSES)
    assert expected()


@pytest.mark.parametrize("slot", FREE, ids=[s.name for s in FREE])
def test_string_field_carrying_a_hostile_value_is_inert(slot: Slot) -> None:
    data = carrier()
    persons: dict[str, str] = {}
    if slot.field == "account":
        rename_ids(data, {"cp": HOSTILE_ID, "yes": "e.f-g_h"})
        shown = HOSTILE_ID
    elif is_text(slot):
        put(data, slot.path, [COMBINED] if slot.shape.many else COMBINED)
        shown = COMBINED
    else:
        old = get(data, slot.path)
        old = old[0] if slot.shape.many else old
        rename_ids(data, {old: HOSTILE_ID})
        persons = {HOSTILE_ID: old}
        shown = HOSTILE_ID
    case = load(data)
    report = evaluate(case, explain=False)
    assert signature(report, lambda p: persons.get(p, p)) == expected()
    if slot.name in ECHOES:
        assert shown in ECHOES[slot.name](report)
        assert shown in ECHOES[slot.name](Report.model_validate_json(report.to_json()))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_text_field_carrying_a_payload_at_once_is_inert(payload: str) -> None:
    data = carrier()
    for slot in walk(data, model.Case):
        if is_text(slot):
            put(data, slot.path, [payload] if slot.shape.many else payload)
    report = evaluate(load(data), explain=True)
    assert signature(report) == expected()
    assert report.case.title == payload
    assert {s.title for s in report.sources} == {payload}
    for fmt in ("text", "markdown", "json"):
        assert render_report(report, fmt)


def test_every_id_renamed_to_a_hostile_valid_id_at_once_is_inert() -> None:
    data = carrier()
    ids = sorted(
        {
            value
            for slot in walk(data, model.Case)
            if slot.shape.pattern is not None and admits(slot, HOSTILE_ID)
            for value in (get(data, slot.path) if slot.shape.many else [get(data, slot.path)])
        }
    )
    renames = {old: f"{n}.{HOSTILE_ID}" for n, old in enumerate(ids)}
    rename_ids(data, renames)
    back = {new: old for old, new in renames.items()}
    report = evaluate(load(data), explain=True)
    assert signature(report, lambda p: back[p]) == expected()
    assert {f.person for f in report.findings} == {renames["p"]}


@pytest.mark.parametrize("slot", CLOSED, ids=[s.name for s in CLOSED])
def test_field_whose_pattern_admits_no_hostile_value_refuses_every_payload(slot: Slot) -> None:
    for payload in (*PAYLOADS, HOSTILE_ID):
        data = carrier()
        put(data, slot.path, [payload] if slot.shape.many else payload)
        with pytest.raises(CaseError) as caught:
            load(data)
        paths = {format_path(p.path) for p in caught.value.problems}
        assert format_path(slot.path + ((0,) if slot.shape.many else ())) in paths


def test_the_report_escapes_payloads_in_html() -> None:
    html = pytest.importorskip("nonrefoulement.render.html")
    data = carrier()
    for slot in walk(data, model.Case):
        if is_text(slot):
            put(data, slot.path, [PAYLOADS[-1]] if slot.shape.many else PAYLOADS[-1])
    case = load(data)
    page = html.render_html(evaluate(case, explain=True), case)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- nothing from a case file reaches the solver as program text ------------------------------------


def hostile_case() -> model.Case:
    data = carrier()
    for slot in walk(data, model.Case):
        if is_text(slot):
            put(data, slot.path, [COMBINED] if slot.shape.many else COMBINED)
    rename_ids(data, {"p": HOSTILE_ID, "removal": "r.e-m_oval"})
    return load(data)


def _strings(symbol: Symbol) -> Iterator[Symbol]:
    yield symbol
    if symbol.type == SymbolType.Function:
        for argument in symbol.arguments:
            yield from _strings(argument)


def test_case_symbols_are_clingo_symbols_and_case_text_is_only_in_string_terms() -> None:
    rulebase = load_rulebase()
    case = hostile_case()
    symbols = case_symbols(case, treaty_data(), resolve_settings(rulebase, None))
    assert symbols and all(isinstance(s, Symbol) for s in symbols)
    constant = re.compile(r"^_?[a-z][A-Za-z0-9_']*$")
    strings: set[str] = set()
    for top in symbols:
        for term in _strings(top):
            if term.type == SymbolType.Function:
                assert constant.match(term.name), term  # a closed-vocabulary name, never case text
            elif term.type == SymbolType.String:
                strings.add(term.string)
            else:
                assert term.type == SymbolType.Number, term
    assert HOSTILE_ID in strings  # ids travel as String terms
    assert not any(fragment in s for s in strings for fragment in ("#", ":-", "%", "{", "\n"))


class ProgramText(AssertionError):
    pass


@pytest.fixture
def no_program_text(monkeypatch: pytest.MonkeyPatch) -> set[int]:
    """Make every way text can become an ASP program fail while the engine runs.

    Why this approach: case data could only become program text through clingo's parsers, so the test
    shuts every one of them: ``Control.add`` and ``Control.load`` (program text and files),
    ``clingo.ast.parse_string`` and ``parse_files`` (text to AST) and ``parse_term`` (text to a term, which
    could turn an id into a function). The rules are parsed once per process, before the patches
    (``load_rulebase`` is cached), so the engine may hand the ``ProgramBuilder`` only those very statement
    objects (checked by identity), and the case reaches clingo only as Symbols through the backend.
    Checking for ``--enable-python`` would not do: the clingo Python module runs ``#script (python)``
    whatever the options, so only keeping case text away from every parser makes ``#script`` (and
    ``#include``) impossible.
    """
    rulebase = load_rulebase()
    treaty_data()
    allowed = {id(statement) for statement in rulebase.statements}

    def refuse(name: str) -> Callable[..., Any]:
        def refused(*args: Any, **kwargs: Any) -> Any:
            raise ProgramText(f"{name} called during evaluation with {args!r:.200}")

        return refused

    monkeypatch.setattr(clingo.Control, "add", refuse("Control.add"))
    monkeypatch.setattr(clingo.Control, "load", refuse("Control.load"))
    monkeypatch.setattr(clingo, "parse_term", refuse("parse_term"))
    monkeypatch.setattr(clingo.symbol, "parse_term", refuse("parse_term"))
    monkeypatch.setattr(clingo.ast, "parse_files", refuse("ast.parse_files"))
    real_parse_string = clingo.ast.parse_string

    def parse_string(text: str, callback: Any, *args: Any, **kwargs: Any) -> Any:
        if text != decisive._WITHDRAWAL:  # the decisive-facts program: a constant of our own
            raise ProgramText(f"ast.parse_string called with {text!r:.200}")

        def admitted(statement: clingo.ast.AST) -> None:
            allowed.add(id(statement))
            callback(statement)

        return real_parse_string(text, admitted)

    monkeypatch.setattr(clingo.ast, "parse_string", parse_string)
    real_add = clingo.ast.ProgramBuilder.add

    def add(self: clingo.ast.ProgramBuilder, statement: clingo.ast.AST) -> None:
        if id(statement) not in allowed:
            raise ProgramText(f"a statement not parsed from the rules: {statement}")
        real_add(self, statement)

    monkeypatch.setattr(clingo.ast.ProgramBuilder, "add", add)
    return allowed


def test_engine_never_parses_case_text(no_program_text: set[int]) -> None:
    case = hostile_case()
    report = evaluate(case, explain=True)
    assert {f.person for f in report.findings} == {HOSTILE_ID}
    with pytest.raises(ProgramText):  # the fixture really guards the parsers
        clingo.Control().add("base", [], "a.")


def test_decisive_facts_never_parse_case_text(no_program_text: set[int]) -> None:
    case = hostile_case()
    report = evaluate(case, explain=True)
    finding = next(f for f in report.findings if f.status != "not_engaged" and f.explanation is not None)
    assert finding.explanation is not None
    decisive.decisive_facts(
        case,
        (finding.state, finding.obligation, finding.person),
        finding.status,
        finding.explanation.accounts,
    )


def test_a_hostile_case_round_trips_through_yaml_too() -> None:
    yaml = pytest.importorskip("yaml")
    data = carrier()
    for slot in walk(data, model.Case):
        if is_text(slot):
            put(data, slot.path, [COMBINED] if slot.shape.many else COMBINED)
    text = yaml.safe_dump(copy.deepcopy(data), allow_unicode=True, sort_keys=False)
    case = parse_case(text, file="hostile.yaml")
    assert case.title == COMBINED
    assert signature(evaluate(case, explain=False)) == expected()
