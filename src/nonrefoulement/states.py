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
