"""Explanation trees, built from what the solver derived in a witness scenario.

Beside every rule the engine adds ``_why(RuleId, Head, (Positive...), (Negated...))``; a tree is read from
those atoms, from a conclusion down to case facts. Annotated rules become ``rule`` nodes carrying their
citation and quoted text; vocabulary rules are transparent; negated conditions become ``absent`` nodes
naming the rules that were checked; treaty participation becomes ``doctrine`` nodes and contested-law
settings ``setting`` nodes. Sentences come from the ``%! pred`` templates beside the rules.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from clingo import Function, Symbol, SymbolType

from .case import (
    Assessment,
    Assurance,
    AsylumProcedure,
    Case,
    Custody,
    DefenceClaim,
    Departure,
    Exclusion,
    ExitPermission,
    FactBase,
    Practice,
    Presence,
    ProtectionClaim,
    Removal,
    Request,
    Risk,
    SecurityDanger,
    SeriousCrime,
    Shelter,
    StatusBar,
    Timing,
    earliest,
    latest,
)
from .facts import from_day_number
from .findings import Node
from .rules import LiteralPattern, Pattern, RuleBase
from .states import STATE_NAMES, state_name
from .treaties import treaty_data

# Raw input predicates whose first argument is a case fact id.
FACT_INPUTS = frozenset(
    {
        "fair_final_rejection_fact",
        "shelter_fact",
        "assurance_fact",
        "asylum_procedure_fact",
        "status_bar_fact",
        "custody_location",
        "departure_alternative",
        "consent_doubt",
        "risk_likelihood",
        "lawful_sanction_claimed",
        "punished_for",
        "presence_fact",
        "custody_fact",
        "removal_fact",
        "departure_fact",
        "exit_permission_fact",
        "timing_fact",
        "risk_fact",
        "assessment_fact",
        "practice_fact",
        "protection_claim_fact",
        "request_fact",
        "defence_fact",
        "danger_to_security_fact",
        "serious_crime_fact",
        "exclusion_fact",
        "claimed_voluntary_fact",
        "risk_concerns",
        "risk_harm",
        "risk_ground",
        "fact_date",
        "fact_until",
        "fact_event",
    }
)
PERSON_INPUTS = frozenset(
    {
        "nationality",
        "other_nationality",
        "member_age",
        "unaccompanied",
        "group",
        "member",
        "habitual_residence",
    }
)
SILENT = frozenset(
    {
        "holds",
        "fact",
        "fact_source",
        "source_date",
        "case_as_of",
        "state",
        "person",
        "act_day",
        "account",
        "point",
        "account_fact",
        "unknown_fact",
        "in_account",
        "obligation",
        "pending",
        "official",
        "irreparable",
        "ill_treatment",
        "life_or_freedom",
        "finding",
        "chosen",
    }
)
DOCTRINE_INPUTS = frozenset(
    {"in_force", "signed", "ceased", "geographic_limitation", "territory_excluded", "understanding"}
)
MAX_DEPTH = 30
WHY_NOT_DEPTH = 2
# Guards whose absence is structural (a "not engaged" reason applies only where nothing engaged).
STRUCTURAL = frozenset({"engaged_at_all", "higher_threshold"})
ANY = Function("any")

TREATY_NAMES = {
    "rc": "the 1951 Refugee Convention",
    "rc_protocol": "the 1967 Protocol",
    "cat": "the Convention against Torture",
    "iccpr": "the ICCPR",
    "crc": "the Convention on the Rights of the Child",
    "echr": "the European Convention on Human Rights",
    "echr_p4": "Protocol No. 4 to the ECHR",
    "custom": "customary international law",
}


class SymbolCache:
    """clingo's Python symbols fetch names and arguments through C calls on every access; an explanation
    reads the same atoms many times, so each is read once."""

    def __init__(self) -> None:
        self._args: dict[Symbol, list[Symbol]] = {}
        self._names: dict[Symbol, str] = {}

    def args(self, symbol: Symbol) -> list[Symbol]:
        found = self._args.get(symbol)
        if found is None:
            found = self._args[symbol] = symbol.arguments
        return found

    def name(self, symbol: Symbol) -> str:
        found = self._names.get(symbol)
        if found is None:
            found = self._names[symbol] = symbol.name
        return found


class Explainer:
    """Builds explanation trees from the atoms of one witness scenario."""

    def __init__(self, case: Case, rulebase: RuleBase, atoms: Iterable[Symbol]):
        self.case = case
        self.rulebase = rulebase
        self.true: set[Symbol] = set()
        self.why: dict[Symbol, list[tuple[str, tuple[Symbol, ...], tuple[Symbol, ...]]]] = defaultdict(list)
        self.chosen: list[str] = []  # the scenario: accounts chosen, and the truth of unknown facts
        self._unknown = {f.id for f in case.facts if f.unknown}
        self._holding_unknown: set[str] = set()
        c = self.cache = SymbolCache()
        for atom in atoms:
            name = c.name(atom)
            if name == "_why":
                rule_id, head, positive, negative = c.args(atom)
                self.why[head].append((rule_id.string, tuple(c.args(positive)), tuple(c.args(negative))))
            else:
                self.true.add(atom)
                if name == "chosen":
                    point, account = c.args(atom)
                    self.chosen.append(f"{point.string}={account.string}")
                elif name == "holds" and c.args(atom)[0].string in self._unknown:
                    self._holding_unknown.add(c.args(atom)[0].string)
        self.chosen += [fact if fact in self._holding_unknown else f"not {fact}" for fact in self._unknown]
        self.chosen.sort()
        self.facts = {f.id: f for f in case.facts}
        self.persons = {p.id: p for p in case.persons}
        self._memo: dict[Symbol, list[Node]] = {}
        self._absent_memo: dict[tuple[Symbol, int], Node] = {}
        self._sentences: dict[Symbol, str] = {}
        self._by_signature: dict[tuple[str, int], list[Symbol]] = defaultdict(list)
        for atom in self.true:
            self._by_signature[(c.name(atom), len(c.args(atom)))].append(atom)  # one pass over the scenario
        # Conclusions by finding, looked up once per finding.
        self._finding_atoms: dict[tuple[str, tuple[str, str, str]], list[Symbol]] = defaultdict(list)
        for name in ("not_engaged", "engaged", "prospective_breach", "breach"):
            for atom in self._by_signature.get((name, 4), []):
                self._finding_atoms[(name, self._key(atom))].append(atom)

    # --- entry point ------------------------------------------------------------------------------

    def finding(self, key: tuple[str, str, str], status: str) -> Node:
        """The explanation of one finding, each rule's derivation shown once (later uses refer back)."""
        return _prune_repeats(self._finding(key, status), set())

    def _finding(self, key: tuple[str, str, str], status: str) -> Node:
        state, obligation, person = key
        defences = self._defences(state, person) if status != "not_engaged" else []
        if status == "not_engaged":
            reasons = sorted(self._finding_atoms.get(("not_engaged", key), []))
            return Node(
                kind="rule",
                id="finding.not_engaged",
                text=f"{state_name(state)}'s obligation under {self._obligation(obligation)} toward "
                f"{self._person(person)} was not engaged",
                children=[n for atom in reasons for n in self.explain(atom)],
                accounts=list(self.chosen),
            )
        conclusions = sorted(self._finding_atoms.get((status, key), []))
        nodes = self.explain(conclusions[0]) if conclusions else []
        if len(nodes) == 1:
            root = nodes[0]
            return root.model_copy(
                update={"accounts": list(self.chosen), "children": root.children + defences}
            )
        return Node(
            kind="rule",
            id=f"finding.{status}",
            text=f"{status} of {obligation}",
            children=nodes + defences,
            accounts=list(self.chosen),
        )

    def _defences(self, state: str, person: str) -> list[Node]:
        """The defences the state raised about the person, each with the rule that answers it."""
        nodes: list[Node] = []
        for atom in sorted(self._by_signature.get(("defence_answered", 4), [])):
            raised_by, about = self.cache.args(atom)[:2]
            if raised_by.string == state and about.string == person:
                nodes += self.explain(atom)
        return nodes

    def _key(self, atom: Symbol) -> tuple[str, str, str]:
        s, o, p = self.cache.args(atom)[:3]
        return s.string, o.name, p.string

    # --- recursion ----------------------------------------------------------------------------------

    def explain(self, atom: Symbol, depth: int = 0, path: frozenset[Symbol] = frozenset()) -> list[Node]:
        """The nodes explaining ``atom``: one node, or (for a transparent rule) its children."""
        if atom in self._memo:
            return self._memo[atom]
        if depth > MAX_DEPTH or atom in path:
            return []
        nodes = self._explain(atom, depth, path | {atom})
        self._memo[atom] = nodes
        return nodes

    def _explain(self, atom: Symbol, depth: int, path: frozenset[Symbol]) -> list[Node]:
        name = self.cache.name(atom)
        if name in FACT_INPUTS:
            return [self._fact_node(self.cache.args(atom)[0].string)]
        if name in PERSON_INPUTS:
            return [self._person_node(atom)]
        if name in DOCTRINE_INPUTS:
            return [self._doctrine_node(atom)]
        if name == "setting":
            return [self._setting_node(atom)]
        if name in SILENT:
            return []
        derivations = self.why.get(atom)
        if not derivations:
            return self._declaration(atom)
        # Deterministic choice: an annotated rule first, then by rule id and conditions.
        rule_id, positive, negative = min(
            derivations, key=lambda d: (d[0].startswith(("vocabulary:", "helper:")), d[0], d[1], d[2])
        )
        children: list[Node] = []
        seen: set[tuple[str, str, str]] = set()
        for condition in positive:
            for node in self.explain(condition, depth + 1, path):
                if (node.kind, node.id, node.text) not in seen:
                    seen.add((node.kind, node.id, node.text))
                    children.append(node)
        info = self.rulebase.info(rule_id)
        if info is None:  # vocabulary or helper: transparent
            return children
        for condition in negative:
            children.append(self._absent_node(condition, depth=0))
        kind = "defence" if rule_id.startswith("defence.") else "rule"
        return [
            Node(
                kind=kind,
                id=rule_id,
                text=self.sentence(atom),
                citation=info.cite,
                quote=info.quote,
                children=children,
            )
        ]

    def _declaration(self, atom: Symbol) -> list[Node]:
        """An annotated rule without conditions (``absolute(cat3).``) that states ``atom``."""
        for pattern in self.rulebase.patterns.get(self._signature(atom), []):
            info = self.rulebase.info(pattern.rule_id)
            if info is None or pattern.positive or pattern.negative:
                continue
            if _match_all(pattern.head.args, self.cache.args(atom), {}, self.cache) is not None:
                return [
                    Node(
                        kind="rule",
                        id=info.id,
                        text=self.sentence(atom),
                        citation=info.cite,
                        quote=info.quote,
                    )
                ]
        return []

    # --- leaves ---------------------------------------------------------------------------------------

    def _fact_node(self, fact_id: str) -> Node:
        fact = self.facts.get(fact_id)
        if fact is None:
            return Node(kind="fact", id=fact_id, text=fact_id)
        accounts = [fact.account] if fact.account else []
        if fact.unknown:
            accounts.append(f"unknown fact {fact.id}, assumed to hold in this scenario")
        return Node(
            kind="fact",
            id=fact.id,
            text=describe_fact(fact, self),
            quote=fact.quote,
            sources=list(fact.sources),
            dates=self._fact_dates(fact),
            accounts=accounts,
        )

    def _fact_dates(self, fact: FactBase) -> list[str]:
        dates: list[str] = []
        for field in ("date", "until"):
            when = getattr(fact, field, None)
            if when is not None:
                dates.append(_when(earliest(when), latest(when)))
        if not dates:
            for atom in self._by_signature.get(("date_of", 3), []):
                if self.cache.args(atom)[0].string == fact.id:
                    _, first, last = self.cache.args(atom)
                    dates.append(
                        _when(
                            from_day_number(first.number),
                            from_day_number(last.number),
                        )
                    )
        return dates

    def _person_node(self, atom: Symbol) -> Node:
        person = self.persons.get(atom.arguments[0].string)
        name = person.name if person else atom.arguments[0].string
        sources: list[str] = list(person.sources) if person else []
        match atom.name:
            case "nationality":
                text = f"{name}: nationals of {state_name(atom.arguments[1].string)}"
            case "other_nationality":
                text = f"{name}: also attributed the nationality of {state_name(atom.arguments[1].string)}"
            case "member_age" | "unaccompanied" | "member":
                index = atom.arguments[1].number
                members = person.members[index] if person and index < len(person.members) else None
                if members is not None:
                    sources = list(members.sources) or sources
                    age = f", aged {members.age.min}-{members.age.max}" if members.age else ""
                    alone = ", without a parent or guardian" if members.unaccompanied else ""
                    how_many = f"{members.count} member(s)" if members.count else "members (number unknown)"
                    text = f"{name}: {how_many}{age}{alone}"
                else:
                    text = name
            case _:
                text = f"{name} are a group of persons"
        return Node(kind="fact", id=f"person:{atom.arguments[0].string}", text=text, sources=sources)

    def _doctrine_node(self, atom: Symbol) -> Node:
        state, treaty = atom.arguments[0].string, atom.arguments[1].name
        data = treaty_data()
        rows = [r for r in data.rows_for(state) if r.treaty == treaty]
        sources = sorted({r.source for r in rows})
        if atom.name == "in_force":
            day = from_day_number(atom.arguments[2].number)
            joined = "; ".join(f"{r.action} deposited {r.date}" for r in rows if r.action != "signature")
            text = (
                f"{TREATY_NAMES.get(treaty, treaty)} entered into force for {state_name(state)} on {day}"
                + (f" ({joined})" if joined else "")
            )
            treaty_row = data.treaty(treaty)
            return Node(
                kind="doctrine",
                id=f"in_force:{state}:{treaty}",
                text=text,
                citation=treaty_row.short,
                quote=treaty_row.period_rule,
                sources=sources,
                dates=[day.isoformat()],
            )
        if atom.name == "signed":
            day = from_day_number(atom.arguments[2].number)
            return Node(
                kind="doctrine",
                id=f"signed:{state}:{treaty}",
                text=f"{state_name(state)} signed {TREATY_NAMES.get(treaty, treaty)} on {day} but is not "
                "a party (a signature alone does not bind)",
                sources=sources,
                dates=[day.isoformat()],
            )
        return Node(
            kind="doctrine", id=f"{atom.name}:{state}:{treaty}", text=self.sentence(atom), sources=sources
        )

    def _setting_node(self, atom: Symbol) -> Node:
        name, value = atom.arguments[0].name, atom.arguments[1].name
        setting = self.rulebase.settings.get(name)
        others = [v for v in setting.values if v != value] if setting else []
        return Node(
            kind="setting",
            id=f"setting:{name}",
            text=f"contested law: {name} = {value} (the other position: {', '.join(others)})",
            quote=setting.description if setting else None,
        )

    def _absent_node(self, condition: Symbol, depth: int = 0) -> Node:
        """A negative condition checked: what it would have needed, and what stood in its way."""
        key = (condition, depth)
        if key not in self._absent_memo:
            self._absent_memo[key] = self._make_absent_node(condition, depth)
        return self._absent_memo[key]

    def _make_absent_node(self, condition: Symbol, depth: int) -> Node:
        candidates = self.rulebase.patterns.get(self._signature(condition), [])
        checked = [
            self.rulebase.catalogue[p.rule_id]
            for p in candidates
            if p.rule_id in self.rulebase.catalogue
            and _match_all(p.head.args, self.cache.args(condition), {}, self.cache) is not None
        ]
        citation = "; ".join(f"{info.cite} [{info.id}]" for info in checked) or None
        expand = depth < WHY_NOT_DEPTH and self.cache.name(condition) not in STRUCTURAL
        children = self._why_not(condition, depth) if expand else []
        return Node(
            kind="absent",
            id=f"absent:{self.cache.name(condition)}",
            text=f"not established: {self.sentence(condition)}",
            citation=citation,
            children=children,
        )

    def _why_not(self, condition: Symbol, depth: int) -> list[Node]:
        """For each rule that could have derived ``condition``: the first condition it lacked, or the atoms
        whose presence blocked it (a one- or two-level why-not, read from the rules' shapes)."""
        children: list[Node] = []
        seen: set[tuple[str, str]] = set()

        def keep(nodes: Iterable[Node]) -> None:
            for node in nodes:
                if (node.id, node.text) not in seen:
                    seen.add((node.id, node.text))
                    children.append(node)

        for pattern in self.rulebase.patterns.get(self._signature(condition), []):
            bindings = _match_all(pattern.head.args, self.cache.args(condition), {}, self.cache)
            if bindings is None:
                continue
            failed_at, partial, complete = self._join(pattern.positive, bindings)
            if failed_at is not None:
                missing = _instantiate(failed_at, partial)
                if f"{failed_at.name}/{len(failed_at.args)}" in self.rulebase.templates:
                    keep([self._absent_node(missing, depth + 1)])
                elif failed_at.name in FACT_INPUTS:
                    kind = failed_at.name.removesuffix("_fact").replace("_", " ")
                    keep(
                        [
                            Node(
                                kind="absent",
                                id=f"absent:{failed_at.name}",
                                text=f"no {kind} fact in the case file",
                            )
                        ]
                    )
                if missing.name == "in_force":
                    signed = LiteralPattern("signed", (*failed_at.args[:2], ("any",)))
                    keep(self._doctrine_node(a) for a in self._matching(signed, partial))
                continue
            for full in complete:
                for literal in pattern.negative:
                    keep(n for atom in self._matching(literal, full)[:3] for n in self.explain(atom))
        return children

    def _signature(self, atom: Symbol) -> str:
        return f"{self.cache.name(atom)}/{len(self.cache.args(atom))}"

    def _matching(self, literal: LiteralPattern, bindings: dict[str, Symbol]) -> list[Symbol]:
        candidates = self._by_signature.get((literal.name, len(literal.args)), [])
        cache = self.cache
        return sorted(
            a for a in candidates if _match_all(literal.args, cache.args(a), bindings, cache) is not None
        )

    def _join(
        self, literals: tuple[LiteralPattern, ...], bindings: dict[str, Symbol]
    ) -> tuple[LiteralPattern | None, dict[str, Symbol], list[dict[str, Symbol]]]:
        """Match a positive body against the scenario: the deepest literal that no atom satisfies (with the
        bindings reached), or else every complete match (at most five)."""
        deepest: tuple[int, LiteralPattern | None, dict[str, Symbol]] = (-1, None, bindings)
        complete: list[dict[str, Symbol]] = []
        budget = [500]

        def search(index: int, current: dict[str, Symbol]) -> None:
            nonlocal deepest
            if budget[0] <= 0 or len(complete) >= 5:
                return
            budget[0] -= 1
            if index == len(literals):
                complete.append(current)
                return
            literal = literals[index]
            found = False
            for atom in self._by_signature.get((literal.name, len(literal.args)), []):
                extended = _match_all(literal.args, self.cache.args(atom), current, self.cache)
                if extended is not None:
                    found = True
                    search(index + 1, extended)
            if not found and index > deepest[0]:
                deepest = (index, literal, current)

        search(0, dict(bindings))
        if complete:
            return None, bindings, complete
        return deepest[1], deepest[2], []

    # --- wording --------------------------------------------------------------------------------------

    def sentence(self, atom: Symbol) -> str:
        if atom not in self._sentences:
            self._sentences[atom] = self._sentence(atom)
        return self._sentences[atom]

    def _sentence(self, atom: Symbol) -> str:
        name, args = self.cache.name(atom), self.cache.args(atom)
        template = self.rulebase.templates.get(f"{name}/{len(args)}")
        if template is None:
            return f"{name}({', '.join(self.term(a) for a in args)})"
        values = {param: self.term(arg, param) for param, arg in zip(template.params, args, strict=False)}
        return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template.text)

    def term(self, symbol: Symbol, param: str = "") -> str:
        if symbol.type == SymbolType.String:
            value = symbol.string
            if value in self.persons:
                return self.persons[value].name
            if value in self.facts:
                return f"[{value}]"
            if value in STATE_NAMES:
                return state_name(value)
            return value
        if symbol.type == SymbolType.Number:
            if param in ("Day", "From", "Until"):
                return from_day_number(symbol.number).isoformat()
            return str(symbol.number)
        if symbol.type == SymbolType.Function:
            if symbol == ANY:
                return "any date" if param in ("Day", "From", "Until") else "any"
            if symbol.name == "through" and len(symbol.arguments) == 1:
                return f"onward removal through {self.term(symbol.arguments[0])}"
            if not symbol.arguments:
                if param in ("Obligation", "O"):
                    return self._obligation(symbol.name)
                if param == "Treaty":
                    return TREATY_NAMES.get(symbol.name, symbol.name)
                return symbol.name.replace("_", " ")
            return f"{symbol.name}({', '.join(self.term(a) for a in symbol.arguments)})"
        return str(symbol)

    def _obligation(self, obligation: str) -> str:
        info = self.rulebase.info(f"{obligation}.obligation")
        return (info.short or info.cite) if info else obligation

    def _person(self, person: str) -> str:
        return self.persons[person].name if person in self.persons else person


def _prune_repeats(node: Node, seen: set[tuple[str, str]]) -> Node:
    """Depth first, a rule node met again keeps its sentence but not its subtree."""
    key = (node.id, node.text)
    if node.kind in ("rule", "defence") and node.children and key in seen:
        return node.model_copy(update={"children": [], "text": node.text + " (shown above)"})
    seen.add(key)
    if not node.children:
        return node
    return node.model_copy(update={"children": [_prune_repeats(child, seen) for child in node.children]})


def signature_of(atom: Symbol) -> str:
    return f"{atom.name}/{len(atom.arguments)}"


def _when(first: object, last: object) -> str:
    return str(first) if first == last else f"{first}/{last}"


def describe_fact(fact: FactBase, explainer: Explainer) -> str:
    """A plain sentence for a case fact (its own words, not a legal conclusion)."""
    person = getattr(fact, "person", None)
    who = explainer._person(person) if isinstance(person, str) else ""

    def s(code: str | None) -> str:
        return "the high seas" if code is None else state_name(code)

    match fact:
        case Presence():
            return f"{who} were in {s(fact.territory)} (entry: {fact.entry})"
        case Custody():
            where = "" if fact.location == "land" else f" ({fact.location})"
            return f"{who} were held by agents of {s(fact.by)} in {s(fact.territory)}{where}"
        case Removal():
            manner = fact.manner.replace("_", " ")
            return (
                f"{s(fact.by)} removed {who} from {s(fact.origin)} to {s(fact.to)} ({manner}, {fact.stage})"
            )
        case Departure():
            means = f" on {fact.means}" if fact.means else ""
            return f"{who} left {s(fact.origin)} for {s(fact.to)}{means}"
        case ExitPermission():
            return f"{s(fact.state)}'s border authorities let {who} leave for {s(fact.to)}"
        case Risk():
            return f"risk in {s(fact.destination)}: {fact.description}"
        case Assessment():
            made = "examined" if fact.made else "did not examine"
            return f"{s(fact.state)} {made} the protection needs of {who} individually"
        case Practice():
            return f"practice of {s(fact.state)}: {fact.description}"
        case Request():
            return f"{s(fact.state)} asked {s(fact.requested_state)} for {who}"
        case DefenceClaim():
            return f"{s(fact.state)} argued: {fact.defence.replace('_', ' ')}"
        case Timing():
            return f"the event {fact.event} took place on the date given by this account"
        case Shelter():
            control = (
                "under the control of its agents" if fact.controlled else "without control by its agents"
            )
            return (
                f"{who} were on the diplomatic premises of {s(fact.state)} in {s(fact.territory)}, {control}"
            )
        case Assurance():
            return (
                f"{s(fact.giver)} gave {s(fact.receiver)} assurances about {who} (monitoring: "
                f"{fact.monitoring}; track record: {fact.track_record})"
            )
        case AsylumProcedure():
            quality = "a real and effective" if fact.effective else "no effective"
            return f"{s(fact.state)} had {quality} asylum procedure: {fact.description}"
        case StatusBar():
            return f"{who}: Art. {fact.article} — {fact.description}"
        case ProtectionClaim():
            return f"{who} asked {s(fact.state)} for protection"
        case Exclusion():
            return f"serious reasons for considering that {who} committed an act under Art. 1F({fact.clause})"
        case SecurityDanger():
            return f"{s(fact.state)} had grounds for regarding {who} as a danger to its security"
        case SeriousCrime():
            final = "by a final judgment" if fact.final_judgment else "not by a final judgment"
            danger = "a danger" if fact.danger_to_community else "not a danger"
            return (
                f"{who} were convicted of a particularly serious crime ({final}), {danger} to the community"
            )
    return f"{type(fact).__name__} ({fact.id})"


def _match(
    pattern: Pattern, symbol: Symbol, bindings: dict[str, Symbol], cache: SymbolCache
) -> dict[str, Symbol] | None:
    """Match a rule's term pattern against a ground term (``any`` in the term matches everything)."""
    if symbol == ANY or pattern[0] == "any":
        return bindings
    if pattern[0] == "const":
        return bindings if symbol == pattern[1] else None
    if pattern[0] == "var":
        name = str(pattern[1])
        if name in bindings:
            return bindings if bindings[name] == symbol else None
        return {**bindings, name: symbol}
    if pattern[0] == "fun" and symbol.type == SymbolType.Function and cache.name(symbol) == pattern[1]:
        args = pattern[2]
        assert isinstance(args, tuple)
        return _match_all(args, cache.args(symbol), bindings, cache)
    return None


def _match_all(
    patterns: tuple[Pattern, ...],
    symbols: list[Symbol] | tuple[Symbol, ...],
    bindings: dict[str, Symbol],
    cache: SymbolCache,
) -> dict[str, Symbol] | None:
    if len(patterns) != len(symbols):
        return None
    current = bindings
    for pattern, symbol in zip(patterns, symbols, strict=True):
        matched = _match(pattern, symbol, current, cache)
        if matched is None:
            return None
        current = matched
    return current


def _instantiate_term(pattern: Pattern, bindings: dict[str, Symbol]) -> Symbol:
    if pattern[0] == "const":
        value = pattern[1]
        assert isinstance(value, Symbol)
        return value
    if pattern[0] == "var":
        return bindings.get(str(pattern[1]), ANY)
    if pattern[0] == "fun":
        args = pattern[2]
        assert isinstance(args, tuple)
        return Function(str(pattern[1]), [_instantiate_term(a, bindings) for a in args])
    return ANY


def _instantiate(literal: LiteralPattern, bindings: dict[str, Symbol]) -> Symbol:
    return Function(literal.name, [_instantiate_term(a, bindings) for a in literal.args])
