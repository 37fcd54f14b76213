"""Reading a case file: YAML or JSON text → validated :class:`Case`, with located errors.

Every problem is reported with the file, the line and column, the field's path, and what was expected;
all the problems in a file are reported at once.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path as FsPath
from typing import Any

import yaml
from pydantic import ValidationError

from .case import FACT_KINDS, Case, Departure, Presence, Removal, Timing, When, earliest, latest
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
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_CASE_BYTES:
        raise CaseError(file, [Problem(_too_large(size))])
    data, positions = _parse_json(text, file) if as_json else _parse_yaml(text, file)
    if not isinstance(data, dict):
        raise CaseError(
            file,
            [Problem("expected a mapping (key: value pairs) at the top of the case file", line=1, column=1)],
        )
    if as_json or _Loader is not getattr(yaml, "CSafeLoader", None):  # libyaml refuses surrogates itself
        _check_text(data, file, positions)
    facts = data.get("facts")
    if isinstance(facts, list) and len(facts) > MAX_FACTS:
        too_many = Problem(f"{len(facts):,} facts; a case file may hold at most {MAX_FACTS:,}", ("facts",))
        raise CaseError(file, [_locate(too_many, positions)])
    try:
        case = Case.model_validate(data)
    except ValidationError as exc:
        problems = _schema_problems(exc, data, positions)
        raise CaseError(file, problems + _consistency_of_valid_facts(problems, data, positions)) from None
    problems = [_locate(p, positions) for p in check_consistency(case)]
    if problems:
        raise CaseError(file, problems)
    return case


def _too_large(size: int) -> str:
    return f"the file is {size:,} bytes; a case file may be at most {MAX_CASE_BYTES:,} bytes"


def _consistency_of_valid_facts(
    problems: list[Problem], data: dict[str, Any], positions: Positions
) -> list[Problem]:
    """Where only some facts fail the schema, the consistency problems of the rest (so that one typo does
    not hide them until the next run). Checks across facts are left out: a fact they need may be broken."""
    facts = data.get("facts")
    if not isinstance(facts, list) or not problems:
        return []
    broken: set[int] = set()
    for problem in problems:
        if len(problem.path) < 2 or problem.path[0] != "facts" or not isinstance(problem.path[1], int):
            return []  # a problem outside the facts: the rest cannot be validated
        broken.add(problem.path[1])
    kept = [index for index in range(len(facts)) if index not in broken]
    try:
        case = Case.model_validate({**data, "facts": [facts[index] for index in kept]})
    except ValidationError:
        return []
    return [_locate(p, positions) for p in check_consistency(case, fact_indices=kept)]


# --- parsing with positions -------------------------------------------------------------------------

MAX_DEPTH = 40
"""How deep mappings and lists may nest (a case file needs about six levels): deeper input is refused before
it is composed, since libyaml's composer recurses in C and can overflow the stack."""

# Characters YAML does not allow in a stream (YAML 1.1, 5.1): its reader rejects them without a line.
_NOT_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_UNICODE = "not a Unicode character (an unpaired \\ud800-\\udfff escape?)"


_TIMESTAMP = yaml.constructor.SafeConstructor.timestamp_regexp


class _CaseLoader(_Loader):  # type: ignore[misc, valid-type]
    """The safe loader, with scalar constructors that say where a value cannot be read (``!!int abc``,
    ``2013-02-30``) instead of raising a bare ``ValueError``."""


def _scalar_constructor(tag: str, what: str) -> None:
    construct = _Loader.yaml_constructors[tag]

    def located(loader: Any, node: yaml.ScalarNode) -> Any:
        try:
            return construct(loader, node)
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError):
            if tag.endswith(":timestamp") and _TIMESTAMP.match(node.value):
                return node.value  # an impossible date (2013-02-30): the schema reports it with its field
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} cannot be read as {what}", node.start_mark
            ) from None

    _CaseLoader.add_constructor(tag, located)


for _tag, _what in (
    ("bool", "a boolean (true or false)"),
    ("int", "an integer"),
    ("float", "a number"),
    ("timestamp", "a date (YYYY-MM-DD)"),
    ("binary", "base64 data"),
):
    _scalar_constructor(f"tag:yaml.org,2002:{_tag}", _what)


def _index_position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _bad_character(text: str, file: str | None, pattern: re.Pattern[str], why: str) -> None:
    found = pattern.search(text)
    if found is not None:
        line, column = _index_position(text, found.start())
        message = f"the character U+{ord(found.group()):04X} is not allowed here: {why}"
        raise CaseError(file, [Problem(message, line=line, column=column)])


def _parse_yaml(text: str, file: str | None) -> tuple[Any, Positions]:
    _bad_character(text, file, _SURROGATE, "a lone surrogate is not a Unicode character")
    positions: Positions = {}
    try:
        _check_depth(text, file)
        loader = _CaseLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                raise CaseError(file, [Problem("the file is empty", line=1, column=1)])
            duplicates: list[Problem] = []
            _walk(node, positions, duplicates)
            if duplicates:
                raise CaseError(file, duplicates)
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        raise CaseError(file, [_yaml_problem(exc, positions)]) from None
    except yaml.reader.ReaderError:
        why = 'YAML allows no control characters (write one as an escape, e.g. "\\0", in double quotes)'
        _bad_character(text, file, _NOT_PRINTABLE, why)
        raise CaseError(file, [Problem("YAML syntax: a character YAML does not allow")]) from None
    except yaml.YAMLError as exc:
        raise CaseError(file, [Problem(f"YAML syntax: {exc}")]) from None
    return data, positions


def _yaml_problem(exc: yaml.MarkedYAMLError, positions: Positions) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
    if isinstance(exc, yaml.constructor.ConstructorError):  # the value is known: name its field
        at = [path for path, where in positions.items() if where == (line, column)]
        path = max(at, key=len) if at else ()
        return Problem(f"YAML: {exc.problem}", path, line, column)
    what = exc.problem or "invalid YAML"
    context = exc.context_mark
    if exc.context and context is not None and exc.context.startswith("while "):
        if (context.line + 1, context.column + 1) != (line, column):
            what += f" ({exc.context} that starts at line {context.line + 1}, column {context.column + 1})"
        else:
            what = f"{exc.context}: {what}"
    elif exc.context:
        what = f"{exc.context} {what}"
    return Problem(f"YAML syntax: {what}", line=line, column=column)


def _check_depth(text: str, file: str | None) -> None:
    """Refuse collections nested deeper than MAX_DEPTH, reading parse events only (no recursion)."""
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                raise CaseError(file, [_too_deep(mark.line + 1, mark.column + 1) if mark else _too_deep()])
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def _too_deep(line: int | None = None, column: int | None = None) -> Problem:
    return Problem(
        f"mappings and lists are nested more than {MAX_DEPTH} levels deep here; a case file needs far fewer",
        line=line,
        column=column,
    )


# Python's json module messages, said as what was expected.
_JSON_MESSAGES = {
    "Expecting value": "expected a value (a string, number, object, array, true, false or null)",
    "Expecting property name enclosed in double quotes": "expected a key in double quotes "
    "(a comma before '}' is not allowed in JSON)",
    "Expecting ',' delimiter": "expected ',' between two items, or the end of the object or array",
    "Expecting ':' delimiter": "expected ':' between a key and its value",
    "Extra data": "expected the end of the file after the top-level value",
    "Unterminated string starting at": "a string is not closed by '\"'",
    "Invalid control character at": "a control character in a string must be escaped (\\n, \\t, \\u0000)",
    "Invalid \\escape": 'an invalid escape in a string (JSON allows \\" \\\\ \\/ \\b \\f \\n \\r \\t '
    "\\uXXXX)",
}


def _parse_json(text: str, file: str | None) -> tuple[Any, Positions]:
    _bad_character(text, file, _SURROGATE, "a lone surrogate is not a Unicode character")
    if not text.strip():
        raise CaseError(file, [Problem("the file is empty", line=1, column=1)])
    positions: Positions = {}
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        what = _JSON_MESSAGES.get(exc.msg, exc.msg)
        raise CaseError(file, [Problem(f"JSON syntax: {what}", line=exc.lineno, column=exc.colno)]) from None
    except _DuplicateKey as exc:
        duplicates: list[Problem] = []
        _compose_json(text, positions, duplicates)
        raise CaseError(
            file, duplicates or [Problem(f"the key {exc.key!r} appears twice in one object; keep one")]
        ) from None
    except RecursionError:
        raise CaseError(file, [_too_deep(*_json_too_deep(text))]) from None
    except ValueError:  # Python converts at most 4,300 digits to an integer
        long = re.search(r"\d{4300,}", text)
        at = _index_position(text, long.start()) if long else (None, None)
        message = "JSON syntax: a number with more than 4,300 digits"
        raise CaseError(file, [Problem(message, (), *at)]) from None
    if _depth_exceeds(data, MAX_DEPTH):
        raise CaseError(file, [_too_deep(*_json_too_deep(text))])
    _compose_json(text, positions, [])
    return data, positions


def _compose_json(text: str, positions: Positions, duplicates: list[Problem]) -> None:
    """JSON is YAML's flow style: compose it once more only to learn where each value sits. YAML has no
    surrogate escapes, so those are blanked first (same length: positions do not move)."""
    text = _JSON_SURROGATE_ESCAPE.sub(r"\\u0020", text)
    try:
        node = yaml.compose(text, Loader=_Loader)
        if node is not None:
            _walk(node, positions, duplicates)
    except (yaml.YAMLError, ValueError):  # positions are a help: without them, problems still name fields
        positions.clear()


_JSON_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _json_too_deep(text: str) -> tuple[int | None, int | None]:
    """Where JSON text first nests deeper than MAX_DEPTH (brackets outside strings)."""
    depth, in_string, escaped = 0, False, False
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return _index_position(text, index)
        elif char in "]}":
            depth -= 1
    return None, None


def _depth_exceeds(data: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth >= limit:
                return True
            stack.extend((item, depth + 1) for item in (value.values() if isinstance(value, dict) else value))
    return False


def _check_text(data: Any, file: str | None, positions: Positions) -> None:
    """Every string (key or value) must be Unicode text: JSON's ``\\ud800`` escapes can hold lone surrogates,
    which no output can encode."""
    problems: list[Problem] = []
    seen: set[int] = set()
    stack: list[tuple[Any, Path]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, (dict, list)):
            if id(value) in seen:  # YAML anchors may share (or nest) a collection
                continue
            seen.add(id(value))
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and _SURROGATE.search(key):
                    problems.append(Problem(f"the key {key!r} holds a lone surrogate: {_NOT_UNICODE}", path))
                    continue
                stack.append((item, (*path, key if isinstance(key, (str, int)) else str(key))))
        elif isinstance(value, str) and _SURROGATE.search(value):
            problems.append(Problem(f"{value[:40]!r}... holds a lone surrogate: {_NOT_UNICODE}", path))
    if problems:
        raise CaseError(file, [_locate(p, positions) for p in sorted(problems, key=lambda p: str(p.path))])


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


def _walk(root: yaml.Node, positions: Positions, duplicates: list[Problem]) -> None:
    """Record where each value starts, and every duplicate key. Iterative, and each node is walked once:
    an alias is not expanded again (a few hundred bytes of nested aliases would otherwise mean millions of
    nodes, and a self-referencing alias would never end)."""
    walked: set[int] = set()
    stack: list[tuple[yaml.Node, Path]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        positions.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if id(node) in walked:
            continue
        walked.add(id(node))
        children: list[tuple[yaml.Node, Path]] = []
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
                children.append((value_node, (*path, key)))
        elif isinstance(node, yaml.SequenceNode):
            children = [(item, (*path, index)) for index, item in enumerate(node.value)]
        stack.extend(reversed(children))  # in document order


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
    in_item = False  # just entered an item of a list: pydantic names a fact's kind (its union tag) next
    for part in loc:
        if in_item and isinstance(here, dict) and part == here.get("kind"):
            in_item = False
            continue  # the tag, even where a field has the same name (a ``defence`` fact's ``defence``)
        walks_mapping = isinstance(here, dict) and isinstance(part, str) and part in here
        walks_list = isinstance(here, list) and isinstance(part, int) and 0 <= part < len(here)
        in_item = walks_list
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
    paths = [_data_path(tuple(e["loc"]), data, e["type"]) for e in errors]
    structured = {path[:n] for path in paths for n in range(len(path))} | {
        path
        for path, e in zip(paths, errors, strict=True)
        if isinstance(e.get("input"), dict) and not e["type"].endswith(("_type", "_parsing"))
    }
    for path, error in zip(paths, errors, strict=True):
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


# What a pattern means, in words.
_PATTERNS = {
    r"^[A-Z]{3}$": "expected an ISO 3166-1 alpha-3 state code: three capital letters (LAO, CHN, PRK)",
    r"^[A-Za-z0-9][A-Za-z0-9._-]*$": "expected an identifier: letters, digits, '.', '_' or '-', "
    "starting with a letter or digit",
}


def _describe(error: Any) -> str:
    kind = error["type"]
    found = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "this field is required"
    if kind == "extra_forbidden":
        return "unknown field (check its spelling; see `nonref schema`)"
    if kind == "union_tag_not_found":
        return "this fact has no `kind`; give one: " + ", ".join(FACT_KINDS)
    message = error["msg"]
    if kind == "union_tag_invalid":
        tag = str(ctx.get("tag"))
        kinds = ", ".join(FACT_KINDS)
        return f"unknown fact kind {tag!r}{_suggest(tag, set(FACT_KINDS))}; expected one of: {kinds}"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") in _PATTERNS:
        message = _PATTERNS[ctx["pattern"]]
    shown = repr(found) if not isinstance(found, (dict, list)) else type(found).__name__
    if len(shown) > 80:
        shown = shown[:77] + "..."
    hint = ""
    if kind == "literal_error" and isinstance(found, str):
        hint = _suggest(found, set(re.findall(r"'([^']*)'", str(ctx.get("expected", "")))))
    return f"{message} (found {shown}){hint}"


# --- consistency ------------------------------------------------------------------------------------


def check_consistency(case: Case, *, fact_indices: Sequence[int] | None = None) -> list[Problem]:
    """Cross-references and dates that a schema cannot check. Returns every problem found.

    ``fact_indices``, where some facts of the file were left out (they failed the schema), gives the index in
    the file of each of ``case.facts``: problems name those indices, and checks across facts are skipped.
    """
    index = list(range(len(case.facts))) if fact_indices is None else list(fact_indices)
    problems: list[Problem] = []
    problems += _duplicate_ids(case, index)
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
            ("habitual_residence", [person.habitual_residence] if person.habitual_residence else []),
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
        base: Path = ("facts", index[i])
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
            problems.append(
                Problem(f"ends ({_when_text(end)}) before it starts ({_when_text(start)})", (*base, "until"))
            )
        for field in ("date", "until"):
            when = getattr(fact, field, None)
            if when is not None and earliest(when) > case.as_of:
                message = f"dated {_when_text(when)}, after the case's as_of date ({case.as_of})"
                problems.append(Problem(message, (*base, field)))
        # ``to`` names a territory, except for a handover, where it names the state whose agents received
        # the person wherever that was: one state's agents may hand a person over to the territorial
        # state's own (by GBR, from IRQ, to IRQ), but no state hands a person over to itself.
        if isinstance(fact, Removal):  # noqa: SIM102 - one check per kind of mistake
            if (
                fact.origin is not None
                and fact.origin == fact.to
                and (fact.manner != "handover" or fact.by == fact.origin)
            ):
                problems.append(
                    Problem(
                        f"a removal cannot end in the very territory it starts from ({fact.origin}); `to` is "
                        "the destination state (for a handover, the state whose agents received the person)",
                        (*base, "to"),
                    )
                )
        if isinstance(fact, Removal | Departure) and fact.date is None and fact.event is None:
            problems.append(
                Problem(f"a {fact.kind} needs a date, or an event that a timing fact dates", (*base, "date"))
            )
    if fact_indices is not None:
        return problems
    problems += _removals_before_presence(case)
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


def _duplicate_ids(case: Case, fact_index: list[int]) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, Path] = {}
    collections: list[tuple[str, list[Any], list[int]]] = [
        ("sources", case.sources, list(range(len(case.sources)))),
        ("persons", case.persons, list(range(len(case.persons)))),
        ("facts", case.facts, fact_index),
        ("contested_points", case.contested_points, list(range(len(case.contested_points)))),
    ]
    for name, items, indices in collections:
        for i, item in zip(indices, items, strict=True):
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


def _removals_before_presence(case: Case) -> list[Problem]:
    """A removal from a territory dated before the person can have been there. Only where the case has
    presence facts for that person and territory, and only if no fact in any account (a presence, custody or
    shelter there, or a removal or departure to it) can place the person there on or before the removal's
    latest possible date."""
    timings: dict[str, list[When]] = defaultdict(list)
    for fact in case.facts:
        if isinstance(fact, Timing):
            timings[fact.event].append(fact.date)

    def whens(fact: Any) -> list[When]:
        fields = type(fact).model_fields  # (getattr on a field a model lacks is slow in pydantic)
        date = fact.date if "date" in fields else None
        if date is not None:
            return [date]
        event = fact.event if "event" in fields else None
        return timings.get(event, []) if isinstance(event, str) else []

    present: set[tuple[str, str]] = set()
    first: dict[tuple[str, str], tuple[dt.date, str]] = {}
    for placing in case.facts:
        fields = type(placing).model_fields
        person = getattr(placing, "person") if "person" in fields else None  # noqa: B009
        if not isinstance(person, str):
            continue
        if isinstance(placing, Presence):
            present.add((person, placing.territory))
        for field in ("territory", "to"):
            place = getattr(placing, field) if field in fields else None
            if isinstance(place, str):
                for when in whens(placing):
                    key = (person, place)
                    if key not in first or earliest(when) < first[key][0]:
                        first[key] = (earliest(when), placing.id)
    problems: list[Problem] = []
    for i, fact in enumerate(case.facts):
        if not isinstance(fact, Removal) or fact.origin is None or (fact.person, fact.origin) not in present:
            continue
        dated = whens(fact)
        there = first.get((fact.person, fact.origin))
        if not dated or there is None:
            continue
        last = max(latest(when) for when in dated)
        if last < there[0]:
            problems.append(
                Problem(
                    f"the removal from {fact.origin} is dated {last} at the latest, before {fact.person!r} "
                    f"was there: the earliest fact placing them in {fact.origin} is {there[1]!r}, from "
                    f"{there[0]}",
                    ("facts", i, "date" if fact.date is not None else "event"),
                )
            )
    return problems


def _when_text(when: When) -> str:
    """A day, or a range of days, as an analyst writes it."""
    first, last = earliest(when), latest(when)
    return str(first) if first == last else f"{first} to {last}"


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
