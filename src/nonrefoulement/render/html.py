"""The analyst's report: one self-contained HTML page (inline CSS, inline SVG, no network fetch).

The page shows a findings matrix, a route map, a timeline, the contested points, the defences raised and
every explanation tree, with the sources they rest on. Like every renderer it does not reason: findings,
statuses, certainties, acts and explanations come from the :class:`Report`; the :class:`Case` supplies only
what the map and the timeline draw (the moves, their dates, the persons' names, the accounts' labels).

The markup is in the jinja2 templates beside this module (autoescaped); this module only shapes the data
and computes the map's geometry.
"""

from __future__ import annotations

import datetime as dt
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from ..case import (
    Assessment,
    Assurance,
    AsylumProcedure,
    Case,
    Custody,
    DateRange,
    DefenceClaim,
    Departure,
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
    When,
    earliest,
)
from ..findings import Finding, Node, Report
from ..states import state_name
from . import STATUS_WORDS, obligation_label

if TYPE_CHECKING:
    import jinja2

__all__ = ["finding_anchor", "render_html"]

OBLIGATION_ORDER = ("rc33", "cat3", "iccpr7", "crc", "echr3", "echr_p4_4", "customary")
MANNER_VERBS = {
    "deportation": "deported",
    "expulsion": "expelled",
    "extradition": "extradited",
    "handover": "handed over",
    "escorted_transfer": "escorted",
    "interception": "intercepted",
    "rejection_at_frontier": "turned back at the frontier",
}
HARM_WORDS = {
    "torture": "torture",
    "cruel_inhuman_degrading": "ill-treatment",
    "death": "death",
    "persecution": "persecution",
    "arbitrary_detention": "arbitrary detention",
}
SHORT_OBLIGATIONS = {
    "rc33": "RC 33",
    "cat3": "CAT 3",
    "iccpr7": "ICCPR 6–7",
    "crc": "CRC",
    "echr3": "ECHR 3",
    "echr_p4_4": "ECHR P4-4",
    "customary": "custom",
}
CERTAINTY_WORDS = {"all_accounts": "on every account", "some_accounts": "on some accounts only"}
# Route-map geometry (SVG user units).
SPACING = 320  # between the places the moves name (arc labels sit between them)
SPACING_OTHER = 200  # between the other places (states of the case, risk destinations): no labels between
MARGIN = 120
RADIUS = 26
LINE = 15
LABEL_WIDTH = 32
HIGH_SEAS = "high-seas"  # the map's place for a move from outside any state's territory


def place_name(code: str | None) -> str:
    """A state's short name, or 'the high seas' where a fact names no territory."""
    return "the high seas" if code is None or code == HIGH_SEAS else state_name(code)


def finding_anchor(finding: Finding) -> str:
    """The fragment id of a finding's explanation section (identifiers are safe in ids)."""
    return f"f-{finding.state}-{finding.obligation}-{finding.person}"


def render_html(report: Report, case: Case) -> str:
    """The report as one self-contained HTML page. ``case`` is the case the report was evaluated from."""
    page = _Page(report, case)
    return _environment().get_template("report.html.j2").render(page=page)


@cache
def _environment() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("nonrefoulement", "render/templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


# --- words -------------------------------------------------------------------------------------------


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%b} {day.year}"


def when_words(when: When | None) -> str:
    """'27 May 2013', '27–28 May 2013', '1 Jan 2011 – 30 Apr 2013'."""
    if when is None:
        return ""
    if not isinstance(when, DateRange):
        return _day(when)
    first, last = when.earliest, when.latest
    if first == last:
        return _day(first)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {last:%b} {last.year}"
    return f"{_day(first)} – {_day(last)}"


def _alternatives(days: Sequence[When]) -> str:
    """Alternative dates in words: '27 or 28 May 2013'."""
    texts = [when_words(d) for d in days]
    singles = [d for d in days if not isinstance(d, DateRange)]
    if len(singles) == len(days) > 1 and len({(d.year, d.month) for d in singles}) == 1:
        ordered = sorted(singles)
        return " or ".join(str(d.day) for d in ordered) + f" {ordered[0]:%b} {ordered[0].year}"
    return " or ".join(dict.fromkeys(texts))


def _words(identifier: str) -> str:
    return identifier.replace("_", " ")


# --- the view model -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountView:
    ref: str  # "point=account"
    point: str
    account: str
    label: str
    question: str
    sources: list[str]
    publishers: list[str]


@dataclass
class DateAlternative:
    text: str
    account: AccountView | None
    sources: list[str]
    fact_id: str


@dataclass
class FactView:
    id: str
    kind: str
    description: str
    when: str
    sort_key: tuple[dt.date, int]
    account: AccountView | None
    unknown: bool
    sources: list[str]
    quote: str | None
    note: str | None
    alternatives: list[DateAlternative] = field(default_factory=list)
    short: str = ""


@dataclass
class Cell:
    finding: Finding
    anchor: str
    status: str
    status_words: str
    certainty_words: str
    detail: str
    label: str


@dataclass
class Row:
    state: str
    person: str
    header: str
    cells: list[Cell | None]


@dataclass
class ActView:
    fact_id: str
    description: str
    account: AccountView | None


@dataclass
class GlanceGroup:
    status: str
    words: str
    certainty: str
    cells: list[Cell]


@dataclass
class GlanceLine:
    state: str
    person: str
    state_name: str
    person_name: str
    groups: list[GlanceGroup]
    acts: list[ActView]
    procedural: list[str]
    risks: list[FactView]


@dataclass
class DefenceView:
    state_name: str
    person_name: str
    defence: str
    fact: FactView | None
    fact_id: str
    rule: str
    citation: str
    quote: str
    obligations: list[str]


@dataclass
class FindingView:
    finding: Finding
    anchor: str
    heading: str
    status: str
    status_words: str
    certainty_words: str
    every_account_words: str
    acts: list[ActView]
    reasons: str
    procedural: str
    facts: list[FactView]
    scenario: list[AccountView]
    open: bool


@dataclass
class FindingGroup:
    heading: str
    anchor: str
    findings: list[FindingView]


@dataclass
class PlaceView:
    code: str
    name: str
    x: float
    y: float
    risk: list[str]
    risk_lines: list[str]
    risk_facts: list[str]


@dataclass
class LegView:
    fact_id: str
    path: str
    label_x: float
    label_y: float
    lines: list[tuple[str, str]]  # (class, text)
    contested: bool
    unknown: bool
    account: AccountView | None
    words: str


@dataclass
class RouteMap:
    width: int
    height: int
    baseline: float
    radius: int
    line: int
    places: list[PlaceView]
    legs: list[LegView]
    description: str


@dataclass
class PointView:
    id: str
    question: str
    accounts: list[tuple[AccountView, list[FactView]]]
    findings: list[Cell]


class _Page:
    """Everything the template shows, shaped from the report and the case (no legal reasoning here)."""

    def __init__(self, report: Report, case: Case):
        self.report = report
        self.case = case
        self.title = report.case.title
        self.summary = case.summary
        self.as_of = _day(dt.date.fromisoformat(report.case.as_of))
        self.settings = sorted(report.settings.items())
        self.status_words = STATUS_WORDS
        self.source_ids = {s.id for s in report.sources}
        self.sources = report.sources
        self.persons = {p.id: p.name for p in case.persons}
        publishers = {s.id: s.publisher for s in case.sources}
        self.accounts = {
            f"{p.id}={a.id}": AccountView(
                f"{p.id}={a.id}",
                p.id,
                a.id,
                a.label,
                p.question,
                list(a.sources),
                list(dict.fromkeys(publishers.get(source, source) for source in a.sources)),
            )
            for p in case.contested_points
            for a in p.accounts
        }
        self.retracted = set(report.retracted)
        self.fixed = dict(ref.partition("=")[::2] for ref in report.fixed_accounts)
        self.facts = self._facts()
        self.fact_index = {f.id: f for f in self.facts}
        self.timeline = sorted((f for f in self.facts if f.when), key=lambda f: f.sort_key)
        self.undated = [f for f in self.facts if not f.when and f.kind != "timing"]
        self.obligations = [o for o in OBLIGATION_ORDER if any(f.obligation == o for f in report.findings)]
        self.obligations += sorted({f.obligation for f in report.findings} - set(self.obligations))
        self.obligation_labels = {o: obligation_label(o) for o in self.obligations}
        self.rows = self._rows()
        self.glance = self._glance()
        shown = {(g.state, g.person) for g in self.glance}
        self.quiet_rows = [r for r in self.rows if (r.state, r.person) not in shown]
        self.groups = self._groups()
        self.defences = self._defences()
        self.points = self._points()
        self.map = self._map()

    # names and references

    def person_name(self, person: str) -> str:
        return self.persons.get(person, person)

    def state_name(self, code: str) -> str:
        return state_name(code)

    def is_source(self, source: str) -> bool:
        return source in self.source_ids

    @staticmethod
    def link(url: str | None) -> str | None:
        """A source's address as a link target: only web addresses (never ``javascript:`` and the like)."""
        if url is None:
            return None
        return url if url.strip().lower().startswith(("https://", "http://")) else None

    def is_fact(self, fact_id: str) -> bool:
        return fact_id in self.fact_index

    def account(self, ref: str | None) -> AccountView | None:
        return None if ref is None else self.accounts.get(ref)

    def account_label(self, ref: str) -> str:
        view = self.accounts.get(ref)
        return view.label if view else ref

    def _in_scope(self, fact: FactBase) -> bool:
        """False for a withdrawn fact or one of an account set aside by the accounts fixed."""
        if fact.id in self.retracted:
            return False
        ref = fact.account_ref
        return ref is None or self.fixed.get(ref[0], ref[1]) == ref[1]

    # facts: the timeline and the undated facts

    def _facts(self) -> list[FactView]:
        timings: dict[str, list[Timing]] = {}
        for fact in self.case.facts:
            if isinstance(fact, Timing) and self._in_scope(fact):
                timings.setdefault(fact.event, []).append(fact)
        events_used = {
            getattr(f, "event", None)
            for f in self.case.facts
            if not isinstance(f, Timing) and self._in_scope(f)
        }
        views: list[FactView] = []
        for order, fact in enumerate(self.case.facts):
            if not self._in_scope(fact):
                continue
            if isinstance(fact, Timing) and fact.event in events_used:
                continue  # shown as the date alternatives of the facts it dates
            when: When | None = getattr(fact, "date", None)
            alternatives: list[DateAlternative] = []
            event = getattr(fact, "event", None)
            if when is None and isinstance(event, str) and event in timings:
                dated = sorted(timings[event], key=lambda t: earliest(t.date))
                alternatives = [
                    DateAlternative(when_words(t.date), self.account(t.account), list(t.sources), t.id)
                    for t in dated
                ]
                text = _alternatives([t.date for t in dated])
                start = earliest(dated[0].date)
            else:
                text = self._when_text(fact, when)
                start = earliest(when) if when is not None else dt.date.max
            views.append(
                FactView(
                    id=fact.id,
                    kind=_words(getattr(fact, "kind", "")),
                    description=self.describe(fact),
                    when=text,
                    sort_key=(start, order),
                    account=self.account(fact.account),
                    unknown=fact.unknown,
                    sources=list(fact.sources),
                    quote=fact.quote,
                    note=fact.note,
                    alternatives=alternatives,
                    short=self._short(fact),
                )
            )
        return views

    @staticmethod
    def _short(fact: FactBase) -> str:
        """The first sentence of a risk fact's description, for the summary."""
        if not isinstance(fact, Risk):
            return ""
        sentence = fact.description.split(". ")[0].rstrip(".")
        if len(sentence) > 220:
            return f"{state_name(fact.destination)}: {sentence[:220].rsplit(' ', 1)[0]} …"
        return f"{state_name(fact.destination)}: {sentence}."

    @staticmethod
    def _when_text(fact: FactBase, when: When | None) -> str:
        if when is None:
            return ""
        until: When | None = getattr(fact, "until", None)
        if until is None:
            return when_words(when)
        return f"{when_words(when)} until {when_words(until)}"

    def describe(self, fact: FactBase) -> str:
        """A plain sentence for a case fact: the case's own words, no legal conclusion."""
        person = getattr(fact, "person", None)
        who = self.person_name(person) if isinstance(person, str) else ""
        s = place_name
        match fact:
            case Presence():
                entry = "" if fact.entry == "unknown" else f" (entered {fact.entry}ly)"
                return f"{who} in {s(fact.territory)}{entry}"
            case Custody():
                place = f": {fact.place}" if fact.place else ""
                return f"{who} held by agents of {s(fact.by)} in {s(fact.territory)}{place}"
            case Removal():
                stage = "" if fact.stage == "completed" else f" ({fact.stage})"
                verb = MANNER_VERBS.get(fact.manner, _words(fact.manner))
                return f"{s(fact.by)} {verb} {who} from {s(fact.origin)} to {s(fact.to)}{stage}"
            case Departure():
                means = f" ({fact.means})" if fact.means else ""
                said = ", said to be of their own will" if fact.claimed_voluntary else ""
                return f"{who} left {s(fact.origin)} for {s(fact.to)}{means}{said}"
            case ExitPermission():
                return f"{s(fact.state)}'s border authorities let {who} leave for {s(fact.to)}"
            case Timing():
                return f"the event “{fact.event}” took place"
            case Risk():
                harms = ", ".join(HARM_WORDS.get(h, _words(h)) for h in fact.harms)
                return f"risk in {s(fact.destination)} ({harms}): {fact.description}"
            case Assessment():
                made = "examined" if fact.made else "did not examine"
                return f"{s(fact.state)} {made} the protection needs of {who} individually"
            case Practice():
                return f"practice of {s(fact.state)}: {fact.description}"
            case ProtectionClaim():
                return f"{who} asked {s(fact.state)} for protection"
            case Request():
                return f"{s(fact.state)} asked {s(fact.requested_state)} for {who}"
            case DefenceClaim():
                return f"{s(fact.state)} argued: {_words(fact.defence)}"
            case SecurityDanger():
                return f"{s(fact.state)} regarded {who} as a danger to its security"
            case SeriousCrime():
                return f"{who} convicted in {s(fact.state)} of a particularly serious crime"
            case Shelter():
                control = (
                    "under the control of its agents" if fact.controlled else "without its agents' control"
                )
                return f"{who} on the premises of {s(fact.state)} in {s(fact.territory)}, {control}"
            case Assurance():
                return (
                    f"{s(fact.giver)} gave {s(fact.receiver)} assurances about {who} "
                    f"(monitoring: {fact.monitoring}; track record: {_words(fact.track_record)})"
                )
            case AsylumProcedure():
                effective = "an effective" if fact.effective else "no effective"
                return f"{s(fact.state)} has {effective} asylum procedure: {fact.description}"
            case StatusBar():
                return f"{who}: Refugee Convention Art {fact.article} — {fact.description}"
        clause = getattr(fact, "clause", None)
        if clause:
            return f"{who}: serious reasons under Refugee Convention Art 1F({clause})"
        return f"{_words(getattr(fact, 'kind', 'fact'))} ({fact.id})"

    # the findings matrix

    def conditions(self, sets: list[list[str]], *, short: bool = False) -> str:
        """Minimal sets of choices in words: 'a=b and fact-x; or not fact-y' (account ids alone if short)."""

        def choice(item: str) -> str:
            return item.partition("=")[2] if short and "=" in item else item

        return "; or ".join(" and ".join(choice(item) for item in group) for group in sets)

    def _cell(self, finding: Finding) -> Cell:
        status_words = STATUS_WORDS[finding.status]
        detail = ""
        if finding.certainty == "all_accounts":
            certainty = CERTAINTY_WORDS["all_accounts"]
        else:
            certainty = CERTAINTY_WORDS["some_accounts"]
            if finding.holds_if:
                detail = "if " + self.conditions(finding.holds_if, short=True)
            elif finding.accounts:
                detail = "on " + ", ".join(ref.partition("=")[2] for ref in finding.accounts)
            if finding.status_all != "not_engaged":
                detail += f"; on every account at least {STATUS_WORDS[finding.status_all]}"
        if finding.status == "not_engaged":
            detail = ", ".join(_words(r) for r in finding.reasons)
        elif finding.procedural.status == "breach":
            detail += ("; " if detail else "") + "procedural duty failed"
            if finding.procedural.certainty != "all_accounts":
                detail += " (some accounts)"
        label = (
            f"{state_name(finding.state)}, {obligation_label(finding.obligation)}, "
            f"{self.person_name(finding.person)}: {status_words}, {certainty}"
            + (f"; {detail}" if detail else "")
            + ". Go to the explanation."
        )
        return Cell(finding, finding_anchor(finding), finding.status, status_words, certainty, detail, label)

    def _rows(self) -> list[Row]:
        rows: dict[tuple[str, str], Row] = {}
        for finding in self.report.findings:
            key = (finding.state, finding.person)
            if key not in rows:
                header = f"{state_name(finding.state)} — {self.person_name(finding.person)}"
                rows[key] = Row(finding.state, finding.person, header, [None] * len(self.obligations))
            rows[key].cells[self.obligations.index(finding.obligation)] = self._cell(finding)
        return list(rows.values())

    def _acts(self, finding: Finding) -> list[ActView]:
        acts = []
        for fact_id in finding.acts:
            view = self.fact_index.get(fact_id)
            acts.append(
                ActView(fact_id, view.description if view else fact_id, view.account if view else None)
            )
        return acts

    def _glance(self) -> list[GlanceLine]:
        lines = []
        for row in self.rows:
            cells = [c for c in row.cells if c is not None]
            groups = []
            for status in ("breach", "prospective_breach", "engaged"):
                for certainty in ("all_accounts", "some_accounts"):
                    # Findings that turn on the same choices are told together.
                    alike: dict[str, list[Cell]] = {}
                    for cell in cells:
                        if cell.status == status and cell.finding.certainty == certainty:
                            f = cell.finding
                            key = repr((f.holds_if, f.fails_if, f.accounts, f.unknowns))
                            alike.setdefault("" if certainty == "all_accounts" else key, []).append(cell)
                    groups += [
                        GlanceGroup(status, STATUS_WORDS[status], certainty, c) for c in alike.values()
                    ]
            if not groups:
                continue
            acts: dict[str, ActView] = {}
            for cell in cells:
                for act in self._acts(cell.finding):
                    acts.setdefault(act.fact_id, act)
            risks: dict[str, FactView] = {}
            for cell in cells:
                if cell.status in ("breach", "prospective_breach") and cell.finding.explanation is not None:
                    for node in cell.finding.explanation.walk():
                        view = self.fact_index.get(node.id) if node.kind == "fact" else None
                        if view is not None and view.kind == "risk":
                            risks.setdefault(view.id, view)
            procedural = [
                f"{obligation_label(c.finding.obligation)}: "
                + "; ".join(_words(g) for g in c.finding.procedural.grounds)
                + ("" if c.finding.procedural.certainty == "all_accounts" else " (on some accounts only)")
                for c in cells
                if c.finding.procedural.status == "breach"
            ]
            lines.append(
                GlanceLine(
                    row.state,
                    row.person,
                    state_name(row.state),
                    self.person_name(row.person),
                    groups,
                    list(acts.values()),
                    procedural,
                    list(risks.values()),
                )
            )
        # The gravest first (a breach before a prospective breach before an engagement), else in report order.
        gravity = {"breach": 0, "prospective_breach": 1, "engaged": 2}
        return sorted(lines, key=lambda line: gravity[line.groups[0].status])

    # explanations

    def _groups(self) -> list[FindingGroup]:
        groups: dict[tuple[str, str], FindingGroup] = {}
        for finding in self.report.findings:
            key = (finding.state, finding.person)
            if key not in groups:
                heading = f"{state_name(finding.state)} — {self.person_name(finding.person)}"
                groups[key] = FindingGroup(heading, f"g-{finding.state}-{finding.person}", [])
            groups[key].findings.append(self._finding_view(finding))
        return list(groups.values())

    def _finding_view(self, finding: Finding) -> FindingView:
        cell = self._cell(finding)
        facts: dict[str, FactView] = {}
        scenario: list[AccountView] = []
        if finding.explanation is not None:
            for node in finding.explanation.walk():
                if node.kind == "fact" and node.id in self.fact_index:
                    facts.setdefault(node.id, self.fact_index[node.id])
            scenario = [a for ref in finding.explanation.accounts if (a := self.account(ref)) is not None]
        procedural = ""
        if finding.procedural.status == "breach":
            procedural = "failed: " + "; ".join(_words(g) for g in finding.procedural.grounds)
            if finding.procedural.certainty == "some_accounts":
                procedural += " (on some accounts only)"
        return FindingView(
            finding=finding,
            anchor=cell.anchor,
            heading=f"{obligation_label(finding.obligation)}",
            status=finding.status,
            status_words=cell.status_words,
            certainty_words=cell.certainty_words,
            every_account_words=STATUS_WORDS[finding.status_all],
            acts=self._acts(finding),
            reasons=", ".join(_words(r) for r in finding.reasons),
            procedural=procedural,
            facts=list(facts.values()),
            scenario=scenario,
            open=finding.status != "not_engaged",
        )

    def node_open(self, node: Node, depth: int) -> bool:
        """Which branches of an explanation start open: the rules near the top, not the checks below."""
        return node.kind == "rule" and depth < 3

    # defences and contested points

    def _defences(self) -> list[DefenceView]:
        views: dict[tuple[str, str, str], DefenceView] = {}
        for finding in self.report.findings:
            for defence in finding.defences:
                key = (finding.state, finding.person, defence.fact)
                if key not in views:
                    views[key] = DefenceView(
                        state_name=state_name(finding.state),
                        person_name=self.person_name(finding.person),
                        defence=_words(defence.defence),
                        fact=self.fact_index.get(defence.fact),
                        fact_id=defence.fact,
                        rule=defence.rule,
                        citation=defence.citation,
                        quote=defence.quote,
                        obligations=[],
                    )
                views[key].obligations.append(obligation_label(finding.obligation))
        return list(views.values())

    def _points(self) -> list[PointView]:
        points = []
        for point in self.case.contested_points:
            accounts = []
            for account in point.accounts:
                ref = f"{point.id}={account.id}"
                view = self.accounts[ref]
                facts = [f for f in self.facts if f.account is not None and f.account.ref == ref]
                facts += [
                    self._timing_view(fact)
                    for fact in self.case.facts
                    if isinstance(fact, Timing) and fact.account == ref and self._in_scope(fact)
                ]
                accounts.append((view, facts))
            refs = {f"{point.id}={a.id}" for a in point.accounts}

            def turns_on(finding: Finding, refs: set[str] = refs) -> bool:
                """The finding's status depends on this point: it names one of its accounts in a set of
                choices that decide it, or (where none is given) holds on some of its accounts only."""
                if finding.certainty == "all_accounts":
                    return False
                named = {item for group in finding.holds_if + finding.fails_if for item in group}
                return bool(named & refs) if named else not refs <= set(finding.accounts)

            dependent = [c for row in self.rows for c in row.cells if c is not None and turns_on(c.finding)]
            points.append(PointView(point.id, point.question, accounts, dependent))
        return points

    def _timing_view(self, timing: Timing) -> FactView:
        """A timing fact folded into the facts it dates, shown under its account."""
        dated = [f.id for f in self.facts if any(a.fact_id == timing.id for a in f.alternatives)]
        what = f" ({', '.join(dated)})" if dated else ""
        return FactView(
            id=timing.id,
            kind="timing",
            description=f"{when_words(timing.date)}: the date of “{timing.event}”{what}",
            when=when_words(timing.date),
            sort_key=(earliest(timing.date), 0),
            account=self.account(timing.account),
            unknown=timing.unknown,
            sources=list(timing.sources),
            quote=timing.quote,
            note=timing.note,
        )

    # the route map

    def _map(self) -> RouteMap | None:
        moves = [f for f in self.case.facts if isinstance(f, Removal | Departure) and self._in_scope(f)]
        if not moves:
            return None
        order: list[str] = []
        for move in moves:
            for code in (move.origin or HIGH_SEAS, move.to):
                if code not in order:
                    order.append(code)
        risks: dict[str, list[Risk]] = {}
        for fact in self.case.facts:
            if isinstance(fact, Risk) and self._in_scope(fact):
                risks.setdefault(fact.destination, []).append(fact)
        moved = len(order)
        for code in [*self.case.states, *risks]:
            if code not in order:
                order.append(code)
        x_of: dict[str, int] = {}
        x = MARGIN
        for i, code in enumerate(order):
            x_of[code] = x
            x += SPACING if i + 1 < moved else SPACING_OTHER

        legs: list[tuple[Removal | Departure, int, int, list[tuple[str, str]]]] = []
        for move in moves:
            legs.append(
                (move, order.index(move.origin or HIGH_SEAS), order.index(move.to), self._leg_lines(move))
            )
        max_lines = max(len(lines) for *_, lines in legs)
        level_height = LINE * max_lines + 30
        # Arcs: a wider arc rides above every arc it overlaps; arcs that only touch share a level.
        placed: list[tuple[int, int, int]] = []
        levels: dict[str, int] = {}
        for move, a, b, _ in sorted(legs, key=lambda leg: (abs(leg[1] - leg[2]), moves.index(leg[0]))):
            low, high = min(a, b), max(a, b)
            level = 1 + max(
                (lv for lo, hi, lv in placed if max(lo, low) < min(hi, high) or (lo, hi) == (low, high)),
                default=0,
            )
            placed.append((low, high, level))
            levels[move.id] = level
        top_room = LINE * max_lines + 30
        baseline = top_room + level_height * max(levels.values()) + RADIUS
        places = []
        for code in order:
            harms: list[str] = []
            for risk in risks.get(code, []):
                harms += [HARM_WORDS.get(h, _words(h)) for h in risk.harms]
            harms = list(dict.fromkeys(harms))
            risk_lines = (
                textwrap.wrap("risk: " + ", ".join(harms), 26, break_on_hyphens=False) if harms else []
            )
            places.append(
                PlaceView(
                    "sea" if code == HIGH_SEAS else code,
                    place_name(code),
                    x_of[code],
                    baseline,
                    harms,
                    risk_lines,
                    [r.id for r in risks.get(code, [])],
                )
            )
        max_risk_lines = max((len(p.risk_lines) for p in places), default=0)
        height = int(baseline + RADIUS + 30 + LINE * (max_risk_lines + 1) + 10)
        width = MARGIN * 2 + x_of[order[-1]] - x_of[order[0]]

        # Where each arc meets a place: on the side facing the other end, inner (lower) arcs nearest the top.
        ends: dict[tuple[int, int], list[tuple[int, str]]] = {}
        for move, a, b, _ in legs:
            if a != b:
                ends.setdefault((a, 1 if b > a else -1), []).append((levels[move.id], move.id))
                ends.setdefault((b, 1 if a > b else -1), []).append((levels[move.id], move.id))
        risky = {i for i, code in enumerate(order) if code in risks}

        def anchor(index: int, side: int, fact_id: str) -> tuple[float, float]:
            rank = sorted(ends[(index, side)]).index((levels[fact_id], fact_id))
            angle = math.radians(max(10.0, 78.0 - 24.0 * rank))
            reach = RADIUS + (8 if index in risky else 2)
            return x_of[order[index]] + side * reach * math.cos(angle), baseline - reach * math.sin(angle)

        views = []
        for move, a, b, lines in legs:
            level = levels[move.id]
            path, label_x, label_y = "", float(x_of[order[a]]), baseline - RADIUS - 12.0
            if a != b:
                x1, y1 = anchor(a, 1 if b > a else -1, move.id)
                x2, y2 = anchor(b, 1 if a > b else -1, move.id)
                lift = level_height * level / 0.75  # a cubic's apex rises 3/4 of its control points' lift
                path = (
                    f"M {x1:.1f} {y1:.1f} "
                    f"C {x1:.1f} {y1 - lift:.1f} {x2:.1f} {y2 - lift:.1f} {x2:.1f} {y2:.1f}"
                )
                label_x = (x1 + x2) / 2
                label_y = (y1 + y2) / 2 - level_height * level
            views.append(
                LegView(
                    fact_id=move.id,
                    path=path,
                    label_x=label_x,
                    label_y=label_y - 7 - LINE * (len(lines) - 1),
                    lines=lines,
                    contested=move.account is not None,
                    unknown=move.unknown,
                    account=self.account(move.account),
                    words=self._leg_words(move),
                )
            )
        description = "; ".join(v.words for v in views)
        return RouteMap(width, height, baseline, RADIUS, LINE, places, views, description)

    def _leg_when(self, move: FactBase) -> str:
        view = self.fact_index.get(move.id)
        return view.when if view is not None else ""

    def _leg_action(self, move: FactBase) -> str:
        if isinstance(move, Removal):
            who = self.person_name(move.person)
            verb = MANNER_VERBS.get(move.manner, _words(move.manner))
            if move.manner == "handover":
                text = f"{state_name(move.by)} handed {who} over to {place_name(move.to)}"
            else:
                text = f"{state_name(move.by)} {verb} {who}"
            return text + ("" if move.stage == "completed" else f" ({move.stage})")
        assert isinstance(move, Departure)
        means = f" ({move.means})" if move.means else ""
        return f"{self.person_name(move.person)} left{means}"

    def _leg_findings(self, move: FactBase) -> list[tuple[str, str]]:
        """The findings whose acts include this move, as (status, words) per state and status."""
        grouped: dict[tuple[str, str], list[str]] = {}
        for finding in self.report.findings:
            if move.id in finding.acts:
                key = (finding.state, finding.status)
                grouped.setdefault(key, []).append(
                    SHORT_OBLIGATIONS.get(finding.obligation, finding.obligation)
                )
        rank = {status: i for i, status in enumerate(("breach", "prospective_breach", "engaged"))}
        return [
            (status, f"{state_name(state)}: {STATUS_WORDS[status]} ({', '.join(obligations)})")
            for (state, status), obligations in sorted(
                grouped.items(), key=lambda item: rank.get(item[0][1], 9)
            )
        ]

    def _leg_lines(self, move: FactBase) -> list[tuple[str, str]]:
        lines = []
        when = self._leg_when(move)
        if when:
            lines.append(("when", when))
        lines += [
            ("what", line)
            for line in textwrap.wrap(self._leg_action(move), LABEL_WIDTH, break_on_hyphens=False)
        ]
        if move.account is not None:
            account = move.account.partition("=")[2]
            lines.append(("acct", f"only on account “{account}”"))
        if move.unknown:
            lines.append(("acct", "unknown: may not have happened"))
        for status, words in self._leg_findings(move):
            lines += [
                (f"finding st-{status}", line)
                for line in textwrap.wrap(words, LABEL_WIDTH + 2, break_on_hyphens=False)
            ]
        return lines

    def _leg_words(self, move: FactBase) -> str:
        origin, to = getattr(move, "origin", None), getattr(move, "to", None)
        text = f"{place_name(origin)} to {place_name(to)}: {self._leg_action(move)}"
        when = self._leg_when(move)
        if when:
            text += f", {when}"
        if move.account is not None:
            text += f" (contested: only on the account {move.account}: {self.account_label(move.account)})"
        return text
