"""ISO 3166-1 alpha-3 state codes and the short names reports print."""

from __future__ import annotations

from importlib import resources


def _read() -> dict[str, str]:
    text = resources.files("nonrefoulement").joinpath("data/states.tsv").read_text(encoding="utf-8")
    names: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            code, _, name = line.partition("\t")
            names[code] = name
    return names


STATE_NAMES: dict[str, str] = _read()


def state_name(code: str) -> str:
    """The short name of a state ("Lao PDR"), or the code itself if unknown."""
    return STATE_NAMES.get(code, code)


# Territories with their own ISO code that belong to a state (treaties may not extend to them).
TERRITORY_OF: dict[str, str] = {"HKG": "CHN", "MAC": "CHN"}

# European states (for Refugee Convention Art 1B(1)(a): "events occurring in Europe").
_EUROPEAN_STATES = """
    ALB AND ARM AUT AZE BEL BGR BIH BLR CHE CYP CZE DEU DNK ESP EST FIN FRA GBR GEO GRC HRV HUN IRL ISL ITA
    KAZ
    LIE LTU LUX LVA MCO MDA MKD MLT MNE NLD NOR POL PRT ROU RUS SMR SRB SVK SVN SWE TUR UKR VAT
"""
EUROPE: frozenset[str] = frozenset(_EUROPEAN_STATES.split())
