"""The treaty data (data/treaties.yaml) and the entry-into-force computation (treaties.py)."""

from __future__ import annotations

import collections
import datetime as dt
from importlib import resources

import pytest

from nonrefoulement.treaties import Participation, Period, Treaty, TreatyData, treaty_data

D = dt.date


@pytest.fixture(scope="module")
def data() -> TreatyData:
    return treaty_data()


def iso_codes() -> set[str]:
    text = resources.files("nonrefoulement").joinpath("data/states.tsv").read_text(encoding="utf-8")
    return {line.split("\t")[0] for line in text.splitlines() if line and not line.startswith("#")}


def row(data: TreatyData, state: str, treaty: str, action: str | None = None) -> Participation:
    rows = [
        r
        for r in data.participation
        if r.state == state and r.treaty == treaty and (action is None or r.action == action)
    ]
    assert len(rows) == 1, rows
    return rows[0]


def in_force(data: TreatyData, state: str, treaty: str) -> dt.date | None:
    return data.entry_into_force(row(data, state, treaty))


# --- the data file -----------------------------------------------------------------------------------


def test_data_has_rows(data: TreatyData) -> None:
    assert data.treaties
    assert len(data.participation) > 50


def test_treaty_ids_are_unique(data: TreatyData) -> None:
    ids = [t.id for t in data.treaties]
    assert len(ids) == len(set(ids))


def test_every_row_names_a_known_treaty(data: TreatyData) -> None:
    known = {t.id for t in data.treaties}
    assert [r for r in data.participation if r.treaty not in known] == []


def test_every_row_names_a_valid_iso_state_code(data: TreatyData) -> None:
    codes = iso_codes()
    bad = [r.state for r in data.participation if len(r.state) != 3 or r.state not in codes]
    assert bad == []


def test_every_territorial_exclusion_is_a_valid_iso_code(data: TreatyData) -> None:
    codes = iso_codes()
    assert [t for r in data.participation for t in r.territorial_exclusions if t not in codes] == []


def test_every_row_has_a_source(data: TreatyData) -> None:
    assert [(r.state, r.treaty) for r in data.participation if not r.source.strip()] == []


def test_every_treaty_has_a_source(data: TreatyData) -> None:
    assert [t.id for t in data.treaties if not t.source.strip()] == []


def test_no_duplicate_rows(data: TreatyData) -> None:
    counts = collections.Counter((r.state, r.treaty, r.action, r.date) for r in data.participation)
    assert [key for key, count in counts.items() if count > 1] == []


def test_treaty_dates_are_ordered(data: TreatyData) -> None:
    assert [t.id for t in data.treaties if t.entry_into_force < t.adopted] == []


def test_no_row_predates_the_treatys_adoption(data: TreatyData) -> None:
    early = [
        (r.state, r.treaty, r.date) for r in data.participation if r.date < data.treaty(r.treaty).adopted
    ]
    assert early == []


def test_unknown_treaty_id_raises_key_error(data: TreatyData) -> None:
    with pytest.raises(KeyError):
        data.treaty("no-such-treaty")


# --- Period.after ------------------------------------------------------------------------------------


def test_period_of_zero_is_the_same_day() -> None:
    assert Period().after(D(1982, 9, 24)) == D(1982, 9, 24)


def test_period_in_days() -> None:
    assert Period(days=90).after(D(1982, 9, 24)) == D(1982, 12, 23)
    assert Period(days=30).after(D(2012, 9, 26)) == D(2012, 10, 26)


def test_period_in_days_across_a_leap_day() -> None:
    assert Period(days=1).after(D(2012, 2, 28)) == D(2012, 2, 29)


def test_period_in_months_keeps_the_day_of_the_month() -> None:
    assert Period(months=3).after(D(2009, 9, 25)) == D(2009, 12, 25)


def test_period_in_months_crosses_the_year() -> None:
    assert Period(months=3).after(D(2009, 11, 15)) == D(2010, 2, 15)
    assert Period(months=14).after(D(2009, 11, 15)) == D(2011, 1, 15)


def test_period_in_months_clamps_to_the_end_of_a_short_month() -> None:
    assert Period(months=3).after(D(2009, 11, 30)) == D(2010, 2, 28)


def test_period_in_months_clamps_to_a_leap_day() -> None:
    assert Period(months=3).after(D(2011, 11, 30)) == D(2012, 2, 29)


def test_period_in_months_then_days() -> None:
    assert Period(months=1, days=1).after(D(2013, 1, 31)) == D(2013, 3, 1)


def test_period_rejects_negative_values() -> None:
    with pytest.raises(ValueError):
        Period(days=-1)


# --- entry into force from the packaged data ---------------------------------------------------------


def test_state_joining_before_the_treaty_is_bound_from_the_treatys_entry_into_force(
    data: TreatyData,
) -> None:
    assert row(data, "SWE", "iccpr").date == D(1971, 12, 6)
    assert in_force(data, "SWE", "iccpr") == D(1976, 3, 23)


def test_lao_cat_enters_into_force_thirty_days_after_ratification(data: TreatyData) -> None:
    assert in_force(data, "LAO", "cat") == D(2012, 10, 26)


def test_china_cat_enters_into_force_thirty_days_after_ratification(data: TreatyData) -> None:
    assert in_force(data, "CHN", "cat") == D(1988, 11, 3)


def test_china_rc_enters_into_force_ninety_days_after_accession(data: TreatyData) -> None:
    assert row(data, "CHN", "rc").date == D(1982, 9, 24)
    assert in_force(data, "CHN", "rc") == D(1982, 12, 23)


def test_china_rc_protocol_enters_into_force_on_accession(data: TreatyData) -> None:
    assert in_force(data, "CHN", "rc_protocol") == D(1982, 9, 24)


def test_lao_iccpr_enters_into_force_three_months_after_ratification(data: TreatyData) -> None:
    assert in_force(data, "LAO", "iccpr") == D(2009, 12, 25)


def test_signature_gives_no_entry_into_force(data: TreatyData) -> None:
    signature = row(data, "CHN", "iccpr")
    assert signature.action == "signature"
    assert data.entry_into_force(signature) is None


def test_china_is_not_bound_by_the_iccpr(data: TreatyData) -> None:
    assert [r.action for r in data.rows_for("CHN") if r.treaty == "iccpr"] == ["signature"]


def test_lao_has_no_refugee_convention_or_protocol_row(data: TreatyData) -> None:
    treaties = {r.treaty for r in data.rows_for("LAO")}
    assert "rc" not in treaties
    assert "rc_protocol" not in treaties


def test_greece_echr_denunciation_row_exists(data: TreatyData) -> None:
    denunciation = row(data, "GRC", "echr", "denunciation")
    assert denunciation.date == D(1970, 6, 13)
    assert data.entry_into_force(denunciation) is None


def test_greece_echr_has_ratification_denunciation_and_ratification_again(data: TreatyData) -> None:
    rows = sorted((r for r in data.rows_for("GRC") if r.treaty == "echr"), key=lambda r: r.date)
    assert [r.action for r in rows] == ["ratification", "denunciation", "ratification"]


# --- succession (synthetic data) ---------------------------------------------------------------------


def synthetic(action: str, date: dt.date) -> tuple[TreatyData, Participation]:
    treaty = Treaty(
        id="t",
        title="A treaty",
        short="T",
        adopted=D(1980, 1, 1),
        entry_into_force=D(1990, 6, 1),
        period=Period(days=30),
        period_rule="thirty days after deposit",
        source="test",
        verified=True,
    )
    participation = Participation.model_validate(
        {"state": "SVN", "treaty": "t", "action": action, "date": date, "source": "test", "verified": True}
    )
    return TreatyData(treaties=[treaty], participation=[participation]), participation


def test_succession_after_the_treatys_entry_into_force_binds_from_the_succession_date() -> None:
    data, succession = synthetic("succession", D(1992, 7, 6))
    assert data.entry_into_force(succession) == D(1992, 7, 6)  # no 30-day period


def test_succession_before_the_treatys_entry_into_force_binds_from_the_treatys_date() -> None:
    data, succession = synthetic("succession", D(1989, 1, 1))
    assert data.entry_into_force(succession) == D(1990, 6, 1)


def test_synthetic_accession_adds_the_period() -> None:
    data, accession = synthetic("accession", D(1992, 7, 6))
    assert data.entry_into_force(accession) == D(1992, 8, 5)


@pytest.mark.parametrize("action", ["acceptance", "approval"])
def test_acceptance_and_approval_count_as_ratification(action: str) -> None:
    data, joined = synthetic(action, D(1992, 7, 6))
    assert data.entry_into_force(joined) == D(1992, 8, 5)


def test_synthetic_denunciation_gives_no_entry_into_force() -> None:
    data, denunciation = synthetic("denunciation", D(1995, 1, 1))
    assert data.entry_into_force(denunciation) is None
