"""Claims as data: what a paper says, our number, and a check that can fail.

A :class:`Claim` names a metric key of ``metrics/<paper>.json`` and a
:class:`Check` (an inequality, a tolerance, a trend) fixed *before* looking at
our result, with the threshold taken from the paper. A claim that is known not
to reproduce at some scale is declared so (``not_reproduced={"quick": why}``):
it is still evaluated and reported, and the run fails if the outcome differs
from the declaration in either direction (like a strict ``xfail``), so a fix or
a regression never goes unnoticed.

The last cell of every notebook calls :func:`evaluate_claims` and
``report.raise_if_failed()``, so nbval and ``dvc repro`` fail on a broken
reproduction.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = [
    "Check",
    "Claim",
    "ClaimResult",
    "ClaimsReport",
    "ClaimFailure",
    "evaluate_claims",
    "greater_than",
    "less_than",
    "between",
    "close_to",
    "is_true",
    "monotonic",
    "all_true",
]


class ClaimFailure(AssertionError):
    """Raised when a claim's outcome differs from what is declared for this scale."""


@dataclasses.dataclass(frozen=True)
class Check:
    """A named predicate on a metric value; ``describe`` reads like "< 0.5"."""

    describe: str
    predicate: Callable[[Any], bool]

    def __call__(self, value: Any) -> bool:
        return bool(self.predicate(value))


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def greater_than(threshold: float) -> Check:
    return Check(f"> {threshold:g}", lambda v: _finite(v) and v > threshold)


def less_than(threshold: float) -> Check:
    return Check(f"< {threshold:g}", lambda v: _finite(v) and v < threshold)


def between(lo: float, hi: float, *, inclusive: bool = False) -> Check:
    if not lo < hi:
        raise ValueError(f"between: need lo < hi, got lo={lo}, hi={hi}")
    if inclusive:
        return Check(f"in [{lo:g}, {hi:g}]", lambda v: _finite(v) and lo <= v <= hi)
    return Check(f"in ({lo:g}, {hi:g})", lambda v: _finite(v) and lo < v < hi)


def close_to(target: float, *, atol: float = 0.0, rtol: float = 0.0) -> Check:
    if atol < 0 or rtol < 0 or (atol == 0 and rtol == 0):
        raise ValueError("close_to: give a positive atol and/or rtol")
    tol = atol + rtol * abs(target)
    return Check(f"= {target:g} ± {tol:g}", lambda v: _finite(v) and abs(v - target) <= tol)


def is_true() -> Check:
    return Check("is true", lambda v: v is True)


def all_true() -> Check:
    return Check("all true", lambda v: isinstance(v, (list, tuple)) and len(v) > 0 and all(x is True for x in v))


def monotonic(*, increasing: bool = True, strict: bool = True) -> Check:
    word = ("strictly " if strict else "") + ("increasing" if increasing else "decreasing")

    def pred(values: Any) -> bool:
        if not isinstance(values, (list, tuple)) or len(values) < 2 or not all(_finite(v) for v in values):
            return False
        pairs = list(zip(values[:-1], values[1:]))
        if increasing:
            return all(b > a if strict else b >= a for a, b in pairs)
        return all(b < a if strict else b <= a for a, b in pairs)

    return Check(word, pred)


@dataclasses.dataclass(frozen=True)
class Claim:
    """One headline claim of a paper.

    Attributes:
        id: short stable identifier, e.g. ``"C1_beta_gt_1_freezes"``.
        statement: the claim in one sentence.
        metric: key in the paper's metrics dict whose value is checked.
        check: the test our value must pass, with thresholds from the paper.
        paper_value: the paper's number, or a short qualitative statement.
        not_reproduced: scale -> reason, for scales where we know it does not hold.
    """

    id: str
    statement: str
    metric: str
    check: Check
    paper_value: str | float | None = None
    not_reproduced: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class ClaimResult:
    id: str
    statement: str
    metric: str
    check: str
    paper_value: str | float | None
    our_value: Any
    scale: str
    passed: bool
    expected_pass: bool
    note: str = ""

    @property
    def as_declared(self) -> bool:
        return self.passed == self.expected_pass

    @property
    def status(self) -> str:
        if self.passed and self.expected_pass:
            return "reproduced"
        if not self.passed and not self.expected_pass:
            return "not reproduced (declared)"
        if self.passed:
            return "UNEXPECTED PASS: update the declaration"
        return "FAILED"

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["status"] = self.status
        return d


@dataclasses.dataclass(frozen=True)
class ClaimsReport:
    paper: str
    scale: str
    results: tuple[ClaimResult, ...]

    @property
    def ok(self) -> bool:
        return all(r.as_declared for r in self.results)

    def to_records(self) -> list[dict[str, Any]]:
        return [r.to_dict() for r in self.results]

    def to_markdown(self) -> str:
        rows = ["| claim | paper | ours | check | status |", "|---|---|---|---|---|"]
        for r in self.results:
            rows.append(
                f"| {r.id}: {md_cell(r.statement)} | {md_cell(format_value(r.paper_value))} "
                f"| {md_cell(format_value(r.our_value))} | {md_cell(r.check)} | {r.status} |"
            )
        return "\n".join(rows)

    def _repr_markdown_(self) -> str:  # rendered in notebooks
        return f"**Claims for `{self.paper}` at scale `{self.scale}`**\n\n" + self.to_markdown()

    def raise_if_failed(self) -> None:
        bad = [r for r in self.results if not r.as_declared]
        if bad:
            lines = [f"{r.id}: {r.status} (ours={format_value(r.our_value)}, check {r.check}) {r.note}".strip() for r in bad]
            raise ClaimFailure(f"{len(bad)} claim(s) of {self.paper} at scale {self.scale}:\n  " + "\n  ".join(lines))


def md_cell(text: Any) -> str:
    """Text safe inside a markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def format_value(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return str(value)


def evaluate_claims(paper: str, claims: Sequence[Claim], metrics: Mapping[str, Any], scale: str) -> ClaimsReport:
    """Check every claim against ``metrics`` (a missing metric counts as a failure)."""
    ids = [c.id for c in claims]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate claim ids in {paper}: {ids}")
    results = []
    for claim in claims:
        if claim.metric in metrics:
            value = metrics[claim.metric]
            passed = claim.check(value)
            note = ""
        else:
            value, passed, note = None, False, f"metric {claim.metric!r} missing"
        reason = claim.not_reproduced.get(scale)
        results.append(
            ClaimResult(
                id=claim.id,
                statement=claim.statement,
                metric=claim.metric,
                check=claim.check.describe,
                paper_value=claim.paper_value,
                our_value=value,
                scale=scale,
                passed=passed,
                expected_pass=reason is None,
                note=note or (reason or ""),
            )
        )
    return ClaimsReport(paper=paper, scale=scale, results=tuple(results))
