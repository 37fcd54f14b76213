"""The rule catalogue as text, Markdown (an annotated commentary, file by file) or JSON."""

from __future__ import annotations

import json
from itertools import groupby

from ..rules import RuleBase


def render_catalogue(rulebase: RuleBase, fmt: str) -> str:
    rules = sorted(rulebase.catalogue.values(), key=lambda r: (r.file, r.line))
    if fmt == "json":
        return (
            json.dumps(
                {
                    "rules": [
                        {
                            "id": r.id,
                            "citation": r.cite,
                            "quote": r.quote,
                            "file": f"rules/{r.file}",
                            "line": r.line,
                            "concludes": r.head.removesuffix("/fact"),
                        }
                        for r in rules
                    ],
                    "settings": [
                        {
                            "name": s.name,
                            "default": s.default,
                            "values": list(s.values),
                            "description": s.description,
                        }
                        for s in rulebase.settings.values()
                    ],
                },
                indent=2,
            )
            + "\n"
        )
    if fmt == "markdown":
        lines = [
            "# The rule catalogue",
            "",
            "Every rule that yields a legal conclusion, in the order of the rule files, with the text it "
            "encodes.",
            "",
        ]
        for file, group in groupby(rules, key=lambda r: r.file):
            lines += [f"## `rules/{file}`", ""]
            for r in group:
                lines += [
                    f"### `{r.id}` — {r.cite}",
                    "",
                    f"> {r.quote}",
                    "",
                    f"Concludes `{r.head.removesuffix('/fact')}` — `rules/{r.file}:{r.line}`",
                    "",
                ]
        lines += ["## Contested-law settings", ""]
        for s in rulebase.settings.values():
            lines.append(f"- `{s.name}` = {' | '.join(s.values)} (default `{s.default}`): {s.description}")
        return "\n".join(lines) + "\n"
    out = []
    for r in rules:
        out.append(f'{r.id}  [rules/{r.file}:{r.line}]\n    {r.cite}\n    "{r.quote}"\n')
    out.append("Contested-law settings (--doctrine NAME=VALUE):\n")
    for s in rulebase.settings.values():
        out.append(f"    {s.name} = {' | '.join(s.values)} (default {s.default})\n")
    return "".join(out)
