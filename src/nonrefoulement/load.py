"""Reading a case file: YAML or JSON text → validated :class:`Case`, with located errors.

Every problem is reported with the file, the line and column, the field's path, and what was expected;
all the problems in a file are reported at once.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from pathlib import Path as FsPath
from typing import Any

import yaml
from pydantic import ValidationError

from .case import Case, Removal, Timing, earliest, latest
from .errors import CaseError, Path, Problem

MAX_CASE_BYTES = 5 * 1024 * 1024
# libyaml's parser where PyYAML was built with it (it keeps line and column marks), else the pure one.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_FACTS = 100_000

Positions = dict[Path, tuple[int, int]]


def load_case(path: str | FsPath) -> Case:
    """Read and validate a case file (``.yaml``, ``.yml`` or ``.json``)."""
    file = str(path)
    try:
        raw = FsPath(path).read_bytes()
    except OSError as exc:
        raise CaseError(file, [Problem(f"cannot read the file: {exc.strerror or exc}")]) from None
    if len(raw) > MAX_CASE_BYTES:
        raise CaseError(
            file,
            [Problem(f"the file is {len(raw):,} bytes; a case file may be at most {MAX_CASE_BYTES:,} bytes")],
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CaseError(file, [Problem(f"the file is not UTF-8 text (byte {exc.start})")]) from None
    as_json = file.lower().endswith(".json")
    return parse_case(text, file=file, as_json=as_json)


def parse_case(text: str, *, file: str | None = None, as_json: bool = False) -> Case:
    """Validate case-file text. ``as_json`` selects the JSON parser; YAML otherwise."""
    data, positions = _parse_json(text, file) if as_json else _parse_yaml(text, file)
    if not isinstance(data, dict):
        raise CaseError(
            file,
            [Problem("expected a mapping (key: value pairs) at the top of the case file", line=1, column=1)],
        )
    facts = data.get("facts")
    if isinstance(facts, list) and len(facts) > MAX_FACTS:
        raise CaseError(
            file,
            [
                Problem(
                    f"{len(facts):,} facts; a case file may hold at most {MAX_FACTS:,}",
                    path=("facts",),
                    line=_line(positions, ("facts",)),
                )
            ],
        )
    try:
        case = Case.model_validate(data)
    except ValidationError as exc:
        raise CaseError(file, _schema_problems(exc, data, positions)) from None
    problems = [_locate(p, positions) for p in check_consistency(case)]
    if problems:
        raise CaseError(file, problems)
    return case


# --- parsing with positions -------------------------------------------------------------------------


def _parse_yaml(text: str, file: str | None) -> tuple[Any, Positions]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise CaseError(file, [Problem("the file is empty", line=1, column=1)])
        positions: Positions = {}
        duplicates: list[Problem] = []
        _walk(node, (), positions, duplicates)
        if duplicates:
            raise CaseError(file, duplicates)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = " ".join(x for x in (exc.context, exc.problem) if x) or "invalid YAML"
        raise CaseError(
            file,
            [
                Problem(
                    f"YAML syntax: {what}",
                    line=mark.line + 1 if mark else None,
                    column=mark.column + 1 if mark else None,
                )
            ],
        ) from None
    except yaml.YAMLError as exc:
        raise CaseError(file, [Problem(f"YAML syntax: {exc}")]) from None
    finally:
        loader.dispose()
    return data, positions


def _parse_json(text: str, file: str | None) -> tuple[Any, Positions]:
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise CaseError(
            file, [Problem(f"JSON syntax: {exc.msg}", line=exc.lineno, column=exc.colno)]
        ) from None
    except _DuplicateKey as exc:
        raise CaseError(file, [Problem(f"the key {exc.key!r} appears twice in one object")]) from None
    positions: Positions = {}
    try:  # JSON is YAML's flow style: compose it once more only to learn where each value sits.
        node = yaml.compose(text, Loader=_Loader)
        if node is not None:
            _walk(node, (), positions, [])
    except yaml.YAMLError:
        positions = {}
    return data, positions


class _DuplicateKey(Exception):
    def __init__(self, key: str):
        self.key = key


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _walk(node: yaml.Node, path: Path, positions: Positions, duplicates: list[Problem]) -> None:
    positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.start_mark)
            if key in seen:
                duplicates.append(
                    Problem(
                        f"the key {key!r} appears twice in one mapping; keep one",
                        path=(*path, key),
                        line=key_node.start_mark.line + 1,
                        column=key_node.start_mark.column + 1,
                    )
                )
            seen.add(key)
            _walk(value_node, (*path, key), positions, duplicates)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), positions, duplicates)


def _line(positions: Positions, path: Path) -> int | None:
    return _position(positions, path)[0]


def _position(positions: Positions, path: Path) -> tuple[int | None, int | None]:
    while path:
        if path in positions:
            return positions[path]
        path = path[:-1]
    return positions.get((), (None, None))


def _locate(problem: Problem, positions: Positions) -> Problem:
    line, column = _position(positions, problem.path)
    return Problem(problem.message, problem.path, line, column)


# --- schema errors ----------------------------------------------------------------------------------


def _data_path(loc: tuple[Any, ...], data: Any, kind: str) -> Path:
    """Keep the parts of pydantic's location that walk the data (drop union-member tags)."""
    path: list[str | int] = []
    here = data
    for part in loc:
        walks_mapping = isinstance(here, dict) and isinstance(part, str) and part in here
        walks_list = isinstance(here, list) and isinstance(part, int) and 0 <= part < len(here)
        if walks_mapping or walks_list:
            here = here[part]
            path.append(part)
        elif kind in ("missing", "extra_forbidden") and isinstance(here, dict) and part == loc[-1]:
            path.append(str(part))  # a missing or extra field: name it
    return tuple(path)


def _schema_problems(exc: ValidationError, data: Any, positions: Positions) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[Path, int] = {}
    errors = exc.errors(include_url=False)
    structured = {
        _data_path(tuple(e["loc"]), data, e["type"])
        for e in errors
        if isinstance(e.get("input"), dict) and not e["type"].endswith(("_type", "_parsing"))
    }
    for error in errors:
        path = _data_path(tuple(error["loc"]), data, error["type"])
        if (
            path in structured
            and isinstance(error.get("input"), dict)
            and error["type"].endswith(("_type", "_parsing"))
        ):
            continue  # a mapping where a union allows a scalar or a mapping: its own error says more
        message = _describe(error)
        if path in seen:  # one field failing every member of a union: say it once, with the options
            index = seen[path]
            if message not in problems[index].message:
                problems[index] = Problem(f"{problems[index].message}; or {message}", path)
            continue
        seen[path] = len(problems)
        problems.append(Problem(message, path))
    return [_locate(p, positions) for p in problems]


def _describe(error: Any) -> str:
    kind = error["type"]
    found = error.get("input")
    if kind == "missing":
        return "this field is required"
    if kind == "extra_forbidden":
        return "unknown field (check its spelling; see `nonref schema`)"
    shown = repr(found) if not isinstance(found, (dict, list)) else type(found).__name__
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return f"{error['msg']} (found {shown})"


# --- consistency ------------------------------------------------------------------------------------


def check_consistency(case: Case) -> list[Problem]:
    """Cross-references and dates that a schema cannot check. Returns every problem found."""
    problems: list[Problem] = []
    problems += _duplicate_ids(case)
    source_ids = {s.id for s in case.sources}
    person_ids = {p.id for p in case.persons}
    states = set(case.states)
    accounts = {(pt.id, a.id) for pt in case.contested_points for a in pt.accounts}

    def sources_known(ids: list[str], path: Path) -> None:
        for index, source in enumerate(ids):
            if source not in source_ids:
                problems.append(
                    Problem(f"no source with id {source!r}{_suggest(source, source_ids)}", (*path, index))
                )

    for i, src in enumerate(case.sources):
        if src.cited_in is not None and src.cited_in not in source_ids:
            problems.append(
                Problem(
                    f"no source with id {src.cited_in!r}{_suggest(src.cited_in, source_ids)}",
                    ("sources", i, "cited_in"),
                )
            )
    for i, person in enumerate(case.persons):
        sources_known(person.sources, ("persons", i, "sources"))
        for j, members in enumerate(person.members):
            sources_known(members.sources, ("persons", i, "members", j, "sources"))
        for field, codes in (
            ("nationality", [person.nationality] if person.nationality else []),
            ("other_nationalities", person.other_nationalities),
        ):
            for code in codes:
                if code not in _known_states():
                    problems.append(
                        Problem(
                            f"{code!r} is not an ISO 3166-1 alpha-3 state code"
                            f"{_suggest(code, _known_states())}",
                            ("persons", i, field),
                        )
                    )
    for i, code in enumerate(case.states):
        if code not in _known_states():
            problems.append(
                Problem(
                    f"{code!r} is not an ISO 3166-1 alpha-3 state code{_suggest(code, _known_states())}",
                    ("states", i),
                )
            )
    for i, point in enumerate(case.contested_points):
        for j, account in enumerate(point.accounts):
            sources_known(account.sources, ("contested_points", i, "accounts", j, "sources"))

    claimed: dict[str, str] = {}
    for i, fact in enumerate(case.facts):
        base: Path = ("facts", i)
        sources_known(fact.sources, (*base, "sources"))
        for person_id in fact.persons():
            if person_id not in person_ids:
                field = "person" if hasattr(fact, "person") else "persons"
                problems.append(
                    Problem(
                        f"no person with id {person_id!r}{_suggest(person_id, person_ids)}", (*base, field)
                    )
                )
        for field in (
            "state",
            "by",
            "territory",
            "origin",
            "to",
            "destination",
            "requested_state",
            "nationality",
            "giver",
            "receiver",
        ):
            named = getattr(fact, field, None)
            if isinstance(named, str) and named not in states and TERRITORY_OF.get(named) not in states:
                problems.append(
                    Problem(
                        f"state {named!r} is not listed in the case's `states`"
                        f"{_suggest(named, states)}; add it there",
                        (*base, field),
                    )
                )
        ref = fact.account_ref
        if ref is not None:
            if ref not in accounts:
                points = {pt.id for pt in case.contested_points}
                hint = (
                    _suggest(ref[0], points)
                    if ref[0] not in points
                    else _suggest(ref[1], {a for p, a in accounts if p == ref[0]})
                )
                problems.append(
                    Problem(f"no contested point and account {fact.account!r}{hint}", (*base, "account"))
                )
            if fact.unknown:
                problems.append(
                    Problem("a fact is either part of an account or unknown, not both", (*base, "unknown"))
                )
            claimed[fact.id] = ref[0]
        start, end = getattr(fact, "date", None), getattr(fact, "until", None)
        if start is not None and end is not None and latest(end) < earliest(start):
            problems.append(Problem(f"ends ({end}) before it starts ({start})", (*base, "until")))
        for field in ("date", "until"):
            when = getattr(fact, field, None)
            if when is not None and earliest(when) > case.as_of:
                problems.append(
                    Problem(f"dated {when}, after the case's as_of date ({case.as_of})", (*base, field))
                )
        if isinstance(fact, Removal):
            if fact.origin == fact.to and fact.by == fact.origin:
                problems.append(
                    Problem(
                        "a removal cannot end in the very territory it starts from (by its own agents)",
                        (*base, "to"),
                    )
                )
            if fact.date is None and fact.event is None:
                problems.append(
                    Problem("a removal needs a date, or an event that a timing fact dates", (*base, "date"))
                )
    events_dated = {f.event for f in case.facts if isinstance(f, Timing)}
    for i, fact in enumerate(case.facts):
        event = getattr(fact, "event", None)
        if (
            fact.kind != "timing"
            and event is not None
            and getattr(fact, "date", None) is None
            and event not in events_dated
        ):
            problems.append(
                Problem(f"event {event!r} has no date and no timing fact dates it", ("facts", i, "event"))
            )
    return problems


def _duplicate_ids(case: Case) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, Path] = {}
    collections: list[tuple[str, list[Any]]] = [
        ("sources", case.sources),
        ("persons", case.persons),
        ("facts", case.facts),
        ("contested_points", case.contested_points),
    ]
    for name, items in collections:
        for i, item in enumerate(items):
            if item.id in seen:
                problems.append(
                    Problem(
                        f"duplicate id {item.id!r} (first used at {_path_text(seen[item.id])})",
                        (name, i, "id"),
                    )
                )
            else:
                seen[item.id] = (name, i, "id")
    for i, point in enumerate(case.contested_points):
        account_ids: set[str] = set()
        for j, account in enumerate(point.accounts):
            if account.id in account_ids:
                problems.append(
                    Problem(
                        f"duplicate account id {account.id!r} in point {point.id!r}",
                        ("contested_points", i, "accounts", j, "id"),
                    )
                )
            account_ids.add(account.id)
    return problems


def _path_text(path: Path) -> str:
    from .errors import format_path

    return format_path(path)


def _suggest(word: str, options: set[str] | frozenset[str]) -> str:
    close = difflib.get_close_matches(word, sorted(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


TERRITORY_OF = {"HKG": "CHN", "MAC": "CHN"}  # territories usable where their state is listed (states.py)


def _known_states() -> frozenset[str]:
    from .states import STATE_NAMES

    return frozenset(STATE_NAMES)


def iter_case_files(paths: list[str]) -> Iterator[FsPath]:
    """Every case file under the given paths (files as given; directories searched recursively)."""
    for given in paths:
        path = FsPath(given)
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                if found.suffix.lower() in {".yaml", ".yml", ".json"} and found.is_file():
                    yield found
        else:
            yield path
