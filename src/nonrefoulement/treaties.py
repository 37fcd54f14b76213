"""Treaty participation: who is bound by what since when, from a data file with a source per row.

Entry into force for a state is computed by each treaty's own rule: the later of the treaty's entry into
force and the deposit plus the treaty's period (legal-reference §2). Acceptance and approval count as
ratification; succession binds from the date of succession; a signature alone binds no one; a
denunciation ends the obligation from the date it takes effect.
"""

from __future__ import annotations

import calendar
import datetime as dt
from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

Action = Literal[
    "signature", "ratification", "accession", "acceptance", "approval", "succession", "denunciation"
]
BINDING_ACTIONS = frozenset({"ratification", "accession", "acceptance", "approval", "succession"})


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Period(_Data):
    days: int = Field(default=0, ge=0)
    months: int = Field(default=0, ge=0)

    def after(self, day: dt.date) -> dt.date:
        """The day ``self`` after ``day`` (months keep the day of the month, clamped to the month's end)."""
        if self.months:
            month_index = day.month - 1 + self.months
            year, month = day.year + month_index // 12, month_index % 12 + 1
            day = day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))
        return day + dt.timedelta(days=self.days)


class Treaty(_Data):
    id: str
    title: str
    short: str
    adopted: dt.date
    entry_into_force: dt.date
    period: Period
    period_rule: str
    source: str
    verified: bool
    note: str | None = None


class Declaration(_Data):
    kind: str
    text: str | None = None
    article: str | None = None
    withdrawn: dt.date | None = None
    note: str | None = None


class Participation(_Data):
    state: str = Field(pattern=r"^[A-Z]{3}$")
    treaty: str
    action: Action
    date: dt.date
    declarations: list[Declaration] = Field(default_factory=list)
    territorial_exclusions: list[str] = Field(default_factory=list)
    source: str
    verified: bool
    note: str | None = None


class TreatyData(_Data):
    treaties: list[Treaty]
    participation: list[Participation]

    def treaty(self, treaty_id: str) -> Treaty:
        for treaty in self.treaties:
            if treaty.id == treaty_id:
                return treaty
        raise KeyError(treaty_id)

    def entry_into_force(self, row: Participation) -> dt.date | None:
        """When ``row`` made the treaty binding on its state (None for a signature or denunciation)."""
        if row.action not in BINDING_ACTIONS:
            return None
        treaty = self.treaty(row.treaty)
        if row.action == "succession":
            return max(treaty.entry_into_force, row.date)
        return max(treaty.entry_into_force, treaty.period.after(row.date))

    def rows_for(self, state: str) -> list[Participation]:
        return [row for row in self.participation if row.state == state]


@cache
def treaty_data() -> TreatyData:
    """The packaged participation data (read once per process)."""
    text = resources.files("nonrefoulement").joinpath("data/treaties.yaml").read_text(encoding="utf-8")
    return TreatyData.model_validate(yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
