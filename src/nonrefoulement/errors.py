"""The project's own input errors: every problem located (file, line, field) and said in words."""

from __future__ import annotations

from dataclasses import dataclass

Path = tuple[str | int, ...]


def format_path(path: Path) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "(top level)"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (field path, line, column) and what."""

    message: str
    path: Path = ()
    line: int | None = None
    column: int | None = None

    def located(self, file: str | None) -> str:
        where = file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        field = f" {format_path(self.path)}:" if self.path else ""
        return f"{where}:{field} {self.message}"


class NonrefError(Exception):
    """Base of the errors the CLI reports without a traceback."""


class CaseError(NonrefError):
    """A case file that cannot be read or does not hold together. Lists every problem found."""

    def __init__(self, file: str | None, problems: list[Problem]):
        self.file = file
        self.problems = problems
        super().__init__(self.describe())

    def describe(self) -> str:
        count = len(self.problems)
        head = f"{self.file or '<input>'}: {count} problem{'s' if count != 1 else ''} in the case file"
        return "\n".join([head, *("  " + p.located(self.file) for p in self.problems)])


class UsageError(NonrefError):
    """A request the engine cannot carry out (unknown state, obligation, account, setting)."""


class SolveTimeout(NonrefError):
    """Solving took longer than the time allowed (``--timeout``, ``evaluate(timeout=...)``)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        super().__init__(
            f"solving took longer than the {seconds:g} s allowed (--timeout); the case may be too large or "
            "have too many contested points and unknown facts: allow more time, or fix some accounts "
            "(--account POINT=ACCOUNT)"
        )
