"""Problems: every mistake in content or config, as a value with a location.

Stages collect problems instead of raising on the first one, so a single run
reports everything; the CLI prints them in one format:

    content/articles/x.md:7: what is wrong (hint)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int | None
    message: str
    hint: str | None = None
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        text = f"{where}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        if self.severity == "warning":
            text = "warning: " + text
        return text

    def as_dict(self) -> dict:
        return {
            "path": self.path,
            "line": self.line,
            "message": self.message,
            "hint": self.hint,
            "severity": self.severity,
        }


@dataclass
class Problems:
    """A collector passed through the load and assemble stages."""

    items: list[Problem] = field(default_factory=list)
    # files that could not be read or parsed: the real cause, listed before what follows from it
    causes: set[str] = field(default_factory=set)

    def error(self, path: str, line: int | None, message: str, hint: str | None = None) -> None:
        self.items.append(Problem(path, line, message, hint, "error"))

    def warn(self, path: str, line: int | None, message: str, hint: str | None = None) -> None:
        self.items.append(Problem(path, line, message, hint, "warning"))

    def extend(self, other: Problems | list[Problem]) -> None:
        self.items.extend(other.items if isinstance(other, Problems) else other)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "warning"]

    def sorted(self) -> list[Problem]:
        causes = self.causes
        return sorted(set(self.items), key=lambda p: (p.path not in causes, p.path, p.line or 0, p.message))


class BuildError(Exception):
    """Raised by a stage when the collected problems include errors."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems
