"""Fuzzing the loader and the engine (issue 8): whatever a case file holds, loading it (YAML and JSON
text) and evaluating it either succeeds or raises the project's own error (:class:`NonrefError`), never
anything else.

The generators are driven by the pydantic models of ``case.py`` (every fact kind, every field, by its
annotation), so new kinds and fields are fuzzed as soon as they exist. Three strategies, 2,100 examples in
all: valid cases with extreme values (each one that passes the consistency checks is evaluated), near-valid
cases (mutated types, missing fields, swapped ids, impossible and extreme dates, odd unicode, very long
strings), and corrupted text (the seed case and the builders' baseline, cut, spliced and truncated).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import typing
from functools import cache
from pathlib import Path
from typing import Any

import annotated_types
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from nonrefoulement import case as model
from nonrefoulement.engine import evaluate
from nonrefoulement.errors import CaseError, NonrefError
from nonrefoulement.findings import Report
from nonrefoulement.load import parse_case
from tests.builders import baseline
from tests.casemodel import FACT_CLASSES, string_shapes

SEED = Path(__file__).resolve().parents[1] / "cases" / "laos-china-2013.yaml"

SUPPRESS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

STATE_POOL = ["ITA", "IRN", "LAO", "CHN", "PRK", "KOR", "GBR", "IRQ", "USA", "HKG"]
EXTREME_DATES = [
    dt.date.min,  # 0001-01-01: day -719,162
    dt.date.max,  # 9999-12-31: day 2,932,896 (clingo's numbers are 32-bit: both fit)
    dt.date(1970, 1, 1),  # day 0
    dt.date(1969, 12, 31),
    dt.date(2000, 2, 29),
    dt.date(2013, 5, 27),
]
dates = st.one_of(st.sampled_from(EXTREME_DATES), st.dates())
ODD = [
    "\x00",  # NUL
    "\u202e",  # right-to-left override
    "\u200f",  # right-to-left mark
    "\u05d0\u05d1\u05d2",  # Hebrew
    "\u0627\u0644\u0639\u0631\u0628\u064a\u0629",  # Arabic
    "\u0301",  # a combining accent, alone
    "\ufeff",  # byte order mark
    "\U0001f600",  # outside the BMP
    "\u2028",  # line separator
    "\x85",  # next line
    "\x1b[31m",  # a terminal escape
    '"). #include "/etc/passwd". a("',
    ":- .",
    "%",
    "{",
]
texts = st.one_of(
    st.text(max_size=40),
    st.lists(st.sampled_from(ODD) | st.text(max_size=3), max_size=6).map("".join),
    st.sampled_from(["", " ", "\u05d0" * 20_000]),  # the longest text allowed, in Hebrew
)
TOO_LONG = ["a" * 20_001, "\u05d0" * 25_000, "\U0001f600" * 100_000]
INTEGERS = st.one_of(
    st.sampled_from([-(2**63), -(2**31) - 1, -1, 0, 1, 2, 17, 18, 130, 131, 10_000_000, 2**31, 2**63]),
    st.integers(),
)

# --- valid cases, from the model -------------------------------------------------------------------------


class Pools:
    """The ids and state codes a generated case refers to (drawn once per case)."""

    def __init__(self, states: list[str], sources: list[str], persons: list[str], accounts: list[str]):
        self.states, self.sources, self.persons, self.accounts = states, sources, persons, accounts


def _bounds(metadata: list[Any]) -> tuple[int | None, int | None]:
    low: Any = next((m.ge for m in metadata if isinstance(m, annotated_types.Ge)), None)
    high: Any = next((m.le for m in metadata if isinstance(m, annotated_types.Le)), None)
    return low, high


def value(draw: st.DrawFn, annotation: Any, metadata: list[Any], name: str, pools: Pools) -> Any:
    """A value the schema accepts for a field, from its annotation (and its name, for references)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        inner, *extra = typing.get_args(annotation)
        return value(draw, inner, [*metadata, *extra], name, pools)
    if origin in (typing.Union, type(int | str)):
        members = [m for m in typing.get_args(annotation) if m is not type(None)]
        if type(None) in typing.get_args(annotation) and draw(st.booleans()):
            return None
        return value(draw, draw(st.sampled_from(members)), metadata, name, pools)
    if origin is typing.Literal:
        return draw(st.sampled_from(typing.get_args(annotation)))
    if origin is list:
        (item,) = typing.get_args(annotation)
        shortest = next((m.min_length for m in metadata if isinstance(m, annotated_types.MinLen)), 0)
        size = draw(st.integers(shortest, max(shortest, 2)))
        return [value(draw, item, [], name, pools) for _ in range(size)]
    if annotation is bool:
        return draw(st.booleans())
    if annotation is int:
        low, high = _bounds(metadata)
        return draw(
            st.integers(low, high) | st.sampled_from([b for b in (low, high) if b is not None] or [0])
        )
    if annotation is dt.date:
        return draw(dates)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return model_dict(draw, annotation, pools)
    if annotation is str:
        shape = next(string_shapes(str, metadata))
        if shape.pattern == r"^[A-Z]{3}$":
            return draw(st.sampled_from(pools.states))
        if shape.pattern is not None:
            pool = {"person": pools.persons, "persons": pools.persons, "sources": pools.sources}.get(name)
            pool = pool or {"cited_in": pools.sources, "event": ["ev0", "ev1"]}.get(name, ["x0", "x-1.b"])
            return draw(st.sampled_from(pool))
        return draw(texts)
    raise AssertionError(f"no strategy for {name}: {annotation!r}")


def model_dict(draw: st.DrawFn, cls: type[BaseModel], pools: Pools, **given: Any) -> dict[str, Any]:
    """Every required field of ``cls``, and each optional one half the time."""
    out: dict[str, Any] = dict(given)
    for name, info in cls.model_fields.items():
        alias = info.alias or name
        if alias in out or (not info.is_required() and draw(st.booleans())):
            continue
        out[alias] = value(draw, info.annotation, list(info.metadata), alias, pools)
    if cls is model.DateRange and out["latest"] < out["earliest"]:
        out["earliest"], out["latest"] = out["latest"], out["earliest"]
    if cls is model.AgeRange and out["max"] < out["min"]:
        out["min"], out["max"] = out["max"], out["min"]
    return out


def _plausible(fact: dict[str, Any], states: list[str]) -> None:
    """Most generated facts should pass the consistency checks, so that most cases reach the engine: dated,
    ending after they start, and not removing a person to where they are."""
    fields = FACT_CLASSES[fact["kind"]].model_fields
    if "date" in fields and fact.get("date") is None and "event" not in fact:
        fact["date"] = dt.date(2013, 5, 27)
    if fact.get("until") is not None:
        fact["until"] = dt.date.max
    if fact.get("origin") is not None and fact.get("origin") == fact.get("to") and len(states) > 1:
        fact["to"] = next(state for state in states if state != fact["origin"])


@st.composite
def valid_cases(draw: st.DrawFn) -> dict[str, Any]:
    states = draw(st.lists(st.sampled_from(STATE_POOL), min_size=1, max_size=4, unique=True))
    sources = [f"s{i}" for i in range(draw(st.integers(1, 3)))]
    persons = [f"p{i}" for i in range(draw(st.integers(1, 2)))]
    points: list[dict[str, Any]] = [
        {
            "id": f"cp{i}",
            "question": draw(texts),
            "accounts": [{"id": f"a{j}", "label": "an account", "sources": [sources[0]]} for j in range(2)],
        }
        for i in range(draw(st.integers(0, 2)))
    ]
    accounts = [f"{p['id']}={a['id']}" for p in points for a in p["accounts"]]
    pools = Pools(states, sources, persons, accounts)
    facts = []
    for index in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(sorted(FACT_CLASSES)))
        fact = model_dict(draw, FACT_CLASSES[kind], pools, id=f"f{index}", kind=kind)
        _plausible(fact, states)
        fact["account"] = draw(st.sampled_from([None, *accounts]))
        fact["unknown"] = fact["account"] is None and draw(st.booleans())
        facts.append(fact)
    case = {
        "id": "fuzz",
        "title": draw(texts),
        "as_of": draw(st.sampled_from([dt.date.max, dt.date.max, dt.date(2013, 6, 4)]) | dates),
        "sources": [model_dict(draw, model.Source, pools, id=s, cited_in=None) for s in sources],
        "states": states,
        "persons": [
            model_dict(
                draw, model.Person, pools, id=p, kind="group", nationality=draw(st.sampled_from(states))
            )
            for p in persons
        ],
        "contested_points": points,
        "facts": facts,
    }
    return case


# --- near-valid cases: mutations --------------------------------------------------------------------------

junk = st.one_of(
    st.none(),
    st.booleans(),
    INTEGERS,
    st.floats(allow_nan=True, allow_infinity=True),
    texts,
    st.sampled_from(["0000-01-01", "10000-01-01", "2013-02-30", "2013-13-01", "-0001-01-01", "9999-12-31"]),
    st.sampled_from(["presence", "removal", "LAO", "lao", "s0", "p0", "f0", "cp0=a0", "cp0=zz", "x=y=z"]),
    st.lists(st.integers() | st.text(max_size=3), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=3), max_size=3),
    st.just({"earliest": "9999-12-31", "latest": "0001-01-01"}),
)


def _paths(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path] if path else []
    if isinstance(data, dict):
        for key, item in data.items():
            found += _paths(item, (*path, key))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            found += _paths(item, (*path, index))
    return found


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


MUTATIONS = ["delete", "replace", "swap", "duplicate", "kind", "unicode", "long"]


@st.composite
def near_valid_cases(draw: st.DrawFn) -> dict[str, Any]:
    # The mutations are drawn first: Hypothesis simplifies the late draws of a long example.
    plan = draw(
        st.lists(
            st.tuples(st.sampled_from(MUTATIONS), st.integers(0, 10**6), st.integers(0, 10**6), junk),
            min_size=1,
            max_size=3,
        )
    )
    data = draw(valid_cases())
    for operation, first, second, replacement in plan:
        paths = _paths(data)
        path = paths[first % len(paths)]
        parent, key = _at(data, path[:-1]), path[-1]
        if operation == "delete":
            del parent[key]
        elif operation == "replace":
            parent[key] = replacement
        elif operation == "swap":
            other = paths[second % len(paths)]
            if other[: len(path)] != path and path[: len(other)] != other:  # neither inside the other
                other_parent = _at(data, other[:-1])
                parent[key], other_parent[other[-1]] = other_parent[other[-1]], parent[key]
        elif operation == "duplicate" and isinstance(parent, list):
            parent.insert(second % (len(parent) + 1), json.loads(json.dumps(parent[key], default=str)))
        elif operation == "kind" and isinstance(data.get("facts"), list) and data["facts"]:
            fact = data["facts"][second % len(data["facts"])]
            if isinstance(fact, dict):
                fact["kind"] = sorted(FACT_CLASSES)[first % len(FACT_CLASSES)]
        elif operation == "unicode" and isinstance(parent[key], str):
            parent[key] = ODD[second % len(ODD)].join([parent[key], parent[key]])
        elif operation == "long" and isinstance(parent[key], str):
            parent[key] = TOO_LONG[second % len(TOO_LONG)]
    return data


# --- the property ----------------------------------------------------------------------------------------


def as_yaml(data: Any) -> str:
    # libyaml's emitter: PyYAML's own takes most of the time of a run on long strings
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True)


def as_json(data: Any) -> str:
    return json.dumps(data, default=str, allow_nan=True, indent=1)


def holds(data: Any, *, must_load: bool = False) -> None:
    """Loading (YAML and JSON text) and evaluating succeed or raise a NonrefError; any other exception fails.
    Two texts of the same data must agree on whether it is valid."""
    loaded: list[model.Case] = []
    for text, json_text in ((as_yaml(data), False), (as_json(data), True)):
        try:
            loaded.append(parse_case(text, file="fuzz.json" if json_text else "fuzz.yaml", as_json=json_text))
        except CaseError as error:
            assert error.problems and all(p.message for p in error.problems)
            assert error.describe()
    if must_load:
        assert len(loaded) == 2
    if loaded:
        try:
            report = evaluate(loaded[-1], explain=False)
        except NonrefError:
            return
        assert isinstance(report, Report)
        assert report.to_json()


@settings(max_examples=350, deadline=None, suppress_health_check=SUPPRESS)
@given(valid_cases())
def test_generated_cases_load_and_evaluate_or_raise_their_own_error(data: dict[str, Any]) -> None:
    holds(data)


@settings(max_examples=850, deadline=None, suppress_health_check=SUPPRESS)
@given(near_valid_cases())
@example({"id": "x", "as_of": "2013-02-30"})
def test_near_valid_cases_load_and_evaluate_or_raise_their_own_error(data: dict[str, Any]) -> None:
    holds(data)


@cache
def corpus() -> list[tuple[str, bool]]:
    """Valid case files to corrupt: the seed case and the builders' baseline, in YAML and in JSON."""
    seed = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    texts = [(SEED.read_text(encoding="utf-8"), False), (as_json(seed), True)]
    texts += [(as_yaml(baseline()), False), (as_json(baseline()), True)]
    for text, json_text in texts:
        ORIGINALS.append(parse_case(text, file="corpus", as_json=json_text))
    return texts


ORIGINALS: list[model.Case] = []


INSERTS = [
    "[", "{", "]", "}", ":", "- ", "&a ", "*a", "!!int ", "!!timestamp ", "\t", '"', "'", "\x00", "\ud800",
    "\\u", "\\ud83d", "\n  ", "---\n", "? ", "|", ">", "#", ",", "2013-02-30", "9999-12-31",
]  # fmt: skip


@st.composite
def corrupted_texts(draw: st.DrawFn) -> tuple[str, bool]:
    text, json_text = draw(st.sampled_from(corpus()))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        operation = draw(st.sampled_from(["insert", "cut", "truncate", "repeat"]))
        if operation == "cut":
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        elif operation == "insert":
            inserted = draw(st.sampled_from([*INSERTS, ""]))
            text = text[:at] + (inserted or draw(st.text(max_size=4))) + text[at:]
        elif operation == "truncate":
            text = text[:at]
        else:
            text = text[:at] + text[at:][:50] * draw(st.integers(2, 50)) + text[at:]
    return text, json_text


@settings(max_examples=900, deadline=None, suppress_health_check=SUPPRESS)
@given(corrupted_texts())
def test_corrupted_text_loads_or_raises_its_own_error(corrupted: tuple[str, bool]) -> None:
    text, json_text = corrupted
    try:
        case = parse_case(text, file="fuzz", as_json=json_text)
    except CaseError as error:
        assert error.problems
        return
    if case in ORIGINALS:
        return  # the corruption left the case as it was (a comment, say): evaluated often enough
    with contextlib.suppress(NonrefError):
        evaluate(case, explain=False)


# --- regressions: what the fuzzer found -------------------------------------------------------------------


def test_dates_at_the_ends_of_the_calendar_evaluate() -> None:
    """0001-01-01 and 9999-12-31 are days -719,162 and 2,932,896 from 1970: within clingo's 32-bit numbers."""
    data = baseline()
    data["as_of"] = dt.date.max
    data["sources"][0]["date"] = dt.date.min
    data["facts"][0]["date"] = {"earliest": dt.date.min, "latest": dt.date(2015, 1, 1)}
    data["facts"][0]["until"] = dt.date.max
    for fact in data["facts"]:
        if fact["id"] == "removal":
            fact["date"] = dt.date.max
    holds(data, must_load=True)


@pytest.mark.parametrize(
    "text",
    [
        '{"id": "x", "\ud800title": "a"}',  # a raw lone surrogate in JSON text: libyaml (positions) raised
        '{"id": "x", "title": "\\ud800"}',  # an escaped one: valid JSON, but no output can encode it
        '{"id": "x", "\\udc00": 1}',
    ],
)
def test_lone_surrogates_in_json_are_case_errors(text: str) -> None:
    with pytest.raises(CaseError) as caught:
        parse_case(text, file="fuzz.json", as_json=True)
    assert caught.value.problems[0].line == 1


@pytest.mark.parametrize(
    "text",
    [
        "id: x\ntitle: \ud800\n",  # UnicodeEncodeError in libyaml's reader
        "id: !!int custody\n",  # ValueError from PyYAML's int constructor
        "id: !!timestamp custody\n",  # AttributeError from PyYAML's timestamp constructor
        "as_of: 2013-02-30\n",  # ValueError: an impossible date
        "as_of: 0000-01-01\n",
        "title: " + "9" * 5000 + "\n",  # ValueError: Python converts at most 4,300 digits
    ],
)
def test_yaml_that_crashed_the_loader_is_a_case_error(text: str) -> None:
    with pytest.raises(CaseError):
        parse_case(text, file="fuzz.yaml")


@pytest.mark.parametrize(
    "data",
    [
        {"title": float("nan"), "as_of": float("inf")},
        {"as_of": -(2**63), "states": [2**64]},
        {
            "persons": [
                {"id": "p", "name": "x", "members": [{"count": 2**63, "age": {"min": -1, "max": 10**30}}]}
            ]
        },
    ],
)
def test_odd_numbers_are_schema_errors(data: dict[str, Any]) -> None:
    for text, json_text in ((as_json(data), True), (as_yaml(data), False)):
        with pytest.raises(CaseError):
            parse_case(text, file="fuzz", as_json=json_text)
