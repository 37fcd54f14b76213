"""The result model: findings, their explanations, and the report (JSON ``nonrefoulement/report/1``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["not_engaged", "engaged", "prospective_breach", "breach"]
STATUSES: tuple[Status, ...] = ("not_engaged", "engaged", "prospective_breach", "breach")
Certainty = Literal["all_accounts", "some_accounts"]
NodeKind = Literal["rule", "fact", "absent", "doctrine", "defence", "setting"]

REPORT_SCHEMA = "nonrefoulement/report/1"


class _Result(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Node(_Result):
    """One step of an explanation: a rule applied, a case fact, a negative condition checked, a treaty
    in force, a defence answered, or a contested-law setting."""

    kind: NodeKind
    id: str
    text: str
    citation: str | None = None
    quote: str | None = None
    sources: list[str] = Field(default_factory=list)
    dates: list[str] = Field(default_factory=list)
    accounts: list[str] = Field(default_factory=list)
    children: list[Node] = Field(default_factory=list)

    def walk(self) -> list[Node]:
        """This node and every node below it, depth first."""
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out

    def render(self, fmt: str = "text") -> str:
        from .render import render_explanation

        return render_explanation(self, fmt)


class Procedural(_Result):
    status: Literal["none", "breach"]
    status_all: Literal["none", "breach"]
    certainty: Certainty
    grounds: list[str] = Field(default_factory=list)


class Defence(_Result):
    fact: str
    defence: str
    rule: str
    citation: str
    quote: str


class Finding(_Result):
    state: str
    obligation: str
    person: str
    acts: list[str]
    status: Status
    status_all: Status
    certainty: Certainty
    accounts: list[str] = Field(description="The point=account choices under which `status` holds.")
    unknowns: list[str] = Field(description="Unknown facts `status` needs: 'id' (holding) or 'not id'.")
    holds_if: list[list[str]] = Field(
        default_factory=list,
        description="Minimal sets of choices (accounts, unknown facts) under which `status` holds in every "
        "scenario; empty when it holds under every account.",
    )
    fails_if: list[list[str]] = Field(
        default_factory=list, description="Minimal sets of choices under which `status` holds in no scenario."
    )
    contested_law: list[str]
    procedural: Procedural
    citation: str
    reasons: list[str] = Field(default_factory=list, description="Why not engaged, where it is not.")
    defences: list[Defence] = Field(default_factory=list)
    explanation: Node | None = None


class CaseSummary(_Result):
    id: str
    title: str
    hypothetical: bool = False
    as_of: str


class SourceRef(_Result):
    id: str
    title: str
    publisher: str
    date: str
    url: str | None = None
    cited_in: str | None = None


class PointSummary(_Result):
    id: str
    question: str
    accounts: list[str]


class Report(_Result):
    schema_: str = Field(default=REPORT_SCHEMA, alias="schema")
    case: CaseSummary
    settings: dict[str, str]
    fixed_accounts: list[str] = Field(default_factory=list)
    retracted: list[str] = Field(default_factory=list)
    assumed: list[str] = Field(default_factory=list)
    contested_points: list[PointSummary] = Field(default_factory=list)
    findings: list[Finding]
    sources: list[SourceRef] = Field(default_factory=list)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def to_json(self, *, indent: int | None = 2) -> str:
        return self.model_dump_json(by_alias=True, indent=indent, exclude_none=False)

    def finding(self, state: str, obligation: str, person: str) -> Finding:
        for finding in self.findings:
            if (finding.state, finding.obligation, finding.person) == (state, obligation, person):
                return finding
        raise KeyError((state, obligation, person))
