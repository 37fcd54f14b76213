"""Reading ``rules/``: the ASP program, its annotations and the rule catalogue.

Each rule that yields a legal conclusion sits under an annotation in comments, so that plain ``clingo``
still runs the files::

    %! rule: cat3.engaged
    %! cite: Convention against Torture, Art. 3(1)
    %! quote: No State Party shall expel, return ("refouler") or extradite a person to another State
    engaged(State, cat3, P, Act) :- ...

Continuation lines start with ``%!`` and more spaces. ``%! helper: why`` marks a rule that is machinery,
not a conclusion; ``%! file: vocabulary`` marks a file of such rules; ``%! pred name(A, B): "text"`` is
the sentence template of a predicate; ``%! setting name = default | other: description`` declares a
contested-law setting. The program is parsed once per process; a transformer adds beside every rule a
``_why(RuleId, Head, (PositiveBody), (NegativeBody))`` rule, from which explanations are built.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import clingo
from clingo import ast

WHY = "_why"


@dataclass(frozen=True)
class RuleInfo:
    """One annotated rule: its id, citation and quoted text, where it stands, and what it concludes."""

    id: str
    cite: str
    quote: str
    file: str
    line: int
    head: str
    short: str = ""  # a short name, for obligations ("CAT Art. 3")


@dataclass(frozen=True)
class Template:
    predicate: str
    params: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    values: tuple[str, ...]
    description: str


Pattern = tuple[object, ...]
"""A term pattern: ("var", name), ("const", Symbol), ("fun", name, (args...)) or ("any",)."""


@dataclass(frozen=True)
class LiteralPattern:
    name: str
    args: tuple[Pattern, ...]


@dataclass(frozen=True)
class RulePattern:
    """The shape of one rule, for explaining why its head was not derived."""

    rule_id: str
    head: LiteralPattern
    positive: tuple[LiteralPattern, ...]
    negative: tuple[LiteralPattern, ...]


@dataclass
class RuleBase:
    """The parsed law: statements ready to add to a Control, the catalogue, templates and settings."""

    statements: list[ast.AST]
    catalogue: dict[str, RuleInfo]
    templates: dict[str, Template]
    settings: dict[str, Setting]
    unannotated: list[tuple[str, int, str]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    patterns: dict[str, list[RulePattern]] = field(default_factory=dict)
    intros: dict[str, str] = field(default_factory=dict)  # file name -> its opening comment
    _plain: list[ast.AST] | None = field(default=None, repr=False)

    def pattern(self, rule_id: str) -> RulePattern | None:
        for patterns in self.patterns.values():
            for pattern in patterns:
                if pattern.rule_id == rule_id:
                    return pattern
        return None

    def program(self, *, explain: bool) -> list[ast.AST]:
        """The statements to ground: with the ``_why`` rules only when explanations are wanted."""
        if explain:
            return self.statements
        if self._plain is None:
            self._plain = self._without_why()
        return self._plain

    def _without_why(self) -> list[ast.AST]:
        return [
            statement
            for statement in self.statements
            if not (
                statement.ast_type == ast.ASTType.Rule
                and statement.head.ast_type == ast.ASTType.Literal
                and statement.head.atom.ast_type == ast.ASTType.SymbolicAtom
                and statement.head.atom.symbol.ast_type == ast.ASTType.Function
                and statement.head.atom.symbol.name == WHY
            )
        ]

    def info(self, rule_id: str) -> RuleInfo | None:
        return self.catalogue.get(rule_id)


_KEY = re.compile(r"^%!\s?(rule|cite|quote|short|helper|file|pred|setting)\b:?\s*(.*)$")
_PRED = re.compile(r"^(\w+)\(([^)]*)\):\s*\"(.*)\"\s*$")
_SETTING = re.compile(r"^(\w+)\s*=\s*(\w+)((?:\s*\|\s*\w+)*)\s*:\s*(.+)$")


def rules_dir() -> Path:
    """The packaged rule files (``src/nonrefoulement/rules`` links to the top-level ``rules/``)."""
    return Path(str(resources.files("nonrefoulement").joinpath("rules")))


@cache
def load_rulebase() -> RuleBase:
    """Parse every ``rules/*.lp`` file once per process."""
    return parse_rule_files(sorted(rules_dir().glob("*.lp")))


@dataclass
class _Annotation:
    line: int
    values: dict[str, str] = field(default_factory=dict)


def _annotations(text: str) -> tuple[list[_Annotation], list[tuple[int, str]], bool]:
    """Annotation blocks (with the line they end on), template/setting lines, and the vocabulary flag."""
    blocks: list[_Annotation] = []
    declarations: list[tuple[int, str]] = []
    vocabulary = False
    current: _Annotation | None = None
    last_key: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped.startswith("%!"):
            current, last_key = None, None
            continue
        match = _KEY.match(stripped)
        if match and match.group(1) in ("pred", "setting"):
            declarations.append((number, stripped))
            current, last_key = None, None
            continue
        if match and match.group(1) == "file":
            vocabulary = vocabulary or match.group(2).strip() == "vocabulary"
            continue
        if current is None:
            current = _Annotation(line=number)
            blocks.append(current)
        if match:
            last_key = match.group(1)
            current.values[last_key] = match.group(2).strip()
        elif last_key is not None:
            current.values[last_key] += " " + stripped[2:].strip()
        current.line = number
    return blocks, declarations, vocabulary


def parse_rule_files(paths: list[Path]) -> RuleBase:
    catalogue: dict[str, RuleInfo] = {}
    templates: dict[str, Template] = {}
    settings: dict[str, Setting] = {}
    statements: list[ast.AST] = []
    unannotated: list[tuple[str, int, str]] = []
    patterns: dict[str, list[RulePattern]] = {}
    for path in paths:
        text = path.read_text(encoding="utf-8")
        blocks, declarations, vocabulary = _annotations(text)
        for number, line in declarations:
            _declaration(path.name, number, line, templates, settings)
        parsed: list[ast.AST] = []
        ast.parse_string(text, parsed.append)
        pending = sorted(blocks, key=lambda b: b.line)
        part = "base"
        for statement in parsed:
            if statement.ast_type == ast.ASTType.Comment:
                continue
            if statement.ast_type == ast.ASTType.Program:
                part = statement.name
            if statement.ast_type != ast.ASTType.Rule or part != "base":
                statements.append(statement)
                continue
            line = statement.location.begin.line
            block = None
            while pending and pending[0].line < line:
                block = pending.pop(0)
            head = _head_signature(statement)
            rule_id = _register(path.name, line, head, block, catalogue, vocabulary, unannotated)
            statements.append(statement)
            pattern = _rule_pattern(statement, rule_id)
            if pattern is not None:
                patterns.setdefault(f"{pattern.head.name}/{len(pattern.head.args)}", []).append(pattern)
            why = _why_rule(statement, rule_id)
            if why is not None:
                statements.append(why)
    intros = {path.name: _intro(path.read_text(encoding="utf-8")) for path in paths}
    return RuleBase(
        statements, catalogue, templates, settings, unannotated, [p.name for p in paths], patterns, intros
    )


def _intro(text: str) -> str:
    """The comment that opens a rule file (its plain '%' lines before anything else)."""
    lines: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("%!"):
            if lines:
                break
            continue
        if not stripped.startswith("%"):
            break
        lines.append(stripped.lstrip("%").strip())
    return " ".join(lines).strip()


def _declaration(
    file: str, number: int, line: str, templates: dict[str, Template], settings: dict[str, Setting]
) -> None:
    match = _KEY.match(line)
    assert match is not None
    kind, body = match.group(1), match.group(2).strip()
    if kind == "pred":
        pred = _PRED.match(body)
        if pred is None:
            raise ValueError(f"{file}:{number}: malformed template: {line}")
        params = tuple(p.strip() for p in pred.group(2).split(",") if p.strip())
        templates[f"{pred.group(1)}/{len(params)}"] = Template(pred.group(1), params, pred.group(3))
    else:
        setting = _SETTING.match(body)
        if setting is None:
            raise ValueError(f"{file}:{number}: malformed setting: {line}")
        others = tuple(v.strip() for v in setting.group(3).split("|") if v.strip())
        settings[setting.group(1)] = Setting(
            setting.group(1), setting.group(2), (setting.group(2), *others), setting.group(4).strip()
        )


def _register(
    file: str,
    line: int,
    head: str,
    block: _Annotation | None,
    catalogue: dict[str, RuleInfo],
    vocabulary: bool,
    unannotated: list[tuple[str, int, str]],
) -> str:
    if block is not None and "rule" in block.values:
        rule_id = block.values["rule"]
        if rule_id in catalogue:
            raise ValueError(f"{file}:{line}: duplicate rule id {rule_id!r}")
        catalogue[rule_id] = RuleInfo(
            rule_id,
            block.values.get("cite", ""),
            block.values.get("quote", ""),
            file,
            line,
            head,
            block.values.get("short", ""),
        )
        return rule_id
    if block is not None and "helper" in block.values:
        return f"helper:{file}:{line}"
    if not vocabulary and not head.startswith(("#", "_")) and not _is_plain_fact_head(head):
        unannotated.append((file, line, head))
    return f"vocabulary:{file}:{line}"


def _is_plain_fact_head(head: str) -> bool:
    return head.endswith("/fact")


def _head_signature(statement: ast.AST) -> str:
    head = statement.head
    if head.ast_type == ast.ASTType.Literal and head.atom.ast_type == ast.ASTType.SymbolicAtom:
        symbol = head.atom.symbol
        if symbol.ast_type == ast.ASTType.Function:
            signature = f"{symbol.name}/{len(symbol.arguments)}"
            return signature + ("/fact" if len(statement.body) == 0 else "")
    return "#other"


class _Anonymous(ast.Transformer):
    """Renames ``_`` in positive literals so the variables can be carried into the _why head."""

    def __init__(self) -> None:
        self.count = 0

    def visit_Variable(self, node: ast.AST) -> ast.AST:
        if node.name == "_":
            self.count += 1
            return node.update(name=f"WhyAnonymous{self.count}")
        return node


class _Wildcard(ast.Transformer):
    """In a negated literal's copy inside the _why head, ``_`` becomes the constant ``any``."""

    def visit_Variable(self, node: ast.AST) -> ast.AST:
        if node.name == "_":
            return ast.SymbolicTerm(node.location, clingo.Function("any"))
        return node


def _why_rule(statement: ast.AST, rule_id: str) -> ast.AST | None:
    head = statement.head
    if head.ast_type != ast.ASTType.Literal or head.atom.ast_type != ast.ASTType.SymbolicAtom:
        return None
    if head.atom.symbol.ast_type != ast.ASTType.Function:
        return None
    location = statement.location
    anonymous = _Anonymous()
    body: list[ast.AST] = []
    positive: list[ast.AST] = []
    negative: list[ast.AST] = []
    for literal in statement.body:
        if literal.ast_type == ast.ASTType.Literal and literal.atom.ast_type == ast.ASTType.SymbolicAtom:
            if literal.sign == ast.Sign.NoSign:
                literal = anonymous(literal)
                positive.append(literal.atom.symbol)
            elif literal.sign == ast.Sign.Negation:
                negative.append(_Wildcard()(literal.atom.symbol))
        body.append(literal)
    if not positive and not negative and not body:
        return None

    def tuple_of(items: list[ast.AST]) -> ast.AST:
        return ast.Function(location, "", items, 0)

    why = ast.Function(
        location,
        WHY,
        [
            ast.SymbolicTerm(location, clingo.String(rule_id)),
            head.atom.symbol,
            tuple_of(positive),
            tuple_of(negative),
        ],
        0,
    )
    return ast.Rule(location, ast.Literal(location, ast.Sign.NoSign, ast.SymbolicAtom(why)), body)


def _term_pattern(term: ast.AST) -> Pattern:
    if term.ast_type == ast.ASTType.Variable:
        return ("any",) if term.name == "_" else ("var", term.name)
    if term.ast_type == ast.ASTType.SymbolicTerm:
        return ("const", term.symbol)
    if term.ast_type == ast.ASTType.Function and not term.external:
        if not term.arguments:
            return ("const", clingo.Function(term.name))
        return ("fun", term.name, tuple(_term_pattern(a) for a in term.arguments))
    return ("any",)


def _literal_pattern(atom: ast.AST) -> LiteralPattern | None:
    if atom.ast_type != ast.ASTType.SymbolicAtom or atom.symbol.ast_type != ast.ASTType.Function:
        return None
    return LiteralPattern(atom.symbol.name, tuple(_term_pattern(a) for a in atom.symbol.arguments))


def _rule_pattern(statement: ast.AST, rule_id: str) -> RulePattern | None:
    head = statement.head
    if head.ast_type != ast.ASTType.Literal:
        return None
    head_pattern = _literal_pattern(head.atom)
    if head_pattern is None:
        return None
    positive: list[LiteralPattern] = []
    negative: list[LiteralPattern] = []
    for literal in statement.body:
        if literal.ast_type != ast.ASTType.Literal:
            continue
        pattern = _literal_pattern(literal.atom)
        if pattern is None:
            continue
        if literal.sign == ast.Sign.NoSign:
            positive.append(pattern)
        elif literal.sign == ast.Sign.Negation:
            negative.append(pattern)
    return RulePattern(rule_id, head_pattern, tuple(positive), tuple(negative))
