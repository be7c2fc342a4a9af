"""Claims as data: what a paper says, our number, and a check that can fail.

A :class:`Claim` names a metric key of ``metrics/<paper>.json`` and a
:class:`Check` (an inequality, a tolerance, a trend) fixed *before* looking at
our result, with the threshold taken from the paper. A claim that is known not
to reproduce at some scale is declared so (``not_reproduced={"quick": why}``);
``why`` may quote our numbers only through ``{metric_key}`` / ``{metric_key:.2f}``
placeholders, filled from the metrics when the claim is evaluated, never as
static text.

Two modes (decided by the notebook session from the run's overrides):

* ``enforced`` (the committed presets: ``params.yaml`` sets only ``scale``):
  the run fails if an outcome differs from its declaration in either direction
  (like a strict ``xfail``), so a fix or a regression never goes unnoticed.
* ``exploratory`` (any override): every claim is evaluated and reported as
  ``passed (exploratory)`` or ``failed (exploratory)``; nothing raises.

A claim whose metric was never recorded, or a reason naming an unknown metric,
is a mistake in the notebook, not an outcome: :class:`ClaimError` in both modes.
"""
from __future__ import annotations

import dataclasses
import difflib
import math
import string
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = [
    "Check",
    "Claim",
    "ClaimResult",
    "ClaimsReport",
    "ClaimFailure",
    "ClaimError",
    "ENFORCED",
    "EXPLORATORY",
    "claims_mode",
    "evaluate_claims",
    "fill_reason",
    "greater_than",
    "less_than",
    "between",
    "close_to",
    "is_true",
    "monotonic",
    "all_true",
]


ENFORCED = "enforced"
EXPLORATORY = "exploratory"
MODES = (ENFORCED, EXPLORATORY)
NOT_MEASURED = "not measured at this scale"


class ClaimFailure(AssertionError):
    """Raised (enforced mode only) when a claim's outcome differs from what is declared for this scale."""


class ClaimError(ValueError):
    """A claim that cannot be evaluated: its metric was not recorded, or its reason names an unknown metric."""


def claims_mode(overrides: Mapping[str, Any] | None) -> str:
    """``"enforced"`` at the committed presets (no overrides), ``"exploratory"`` under any override."""
    return EXPLORATORY if overrides else ENFORCED


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
            ``{metric_key[:fmt]}`` placeholders are filled from the metrics.
        scales: the scales at which the claim is measured at all (empty: every scale).
            Elsewhere it is listed as "not measured at this scale" and its metric
            is not required (e.g. an experiment that only the paper scale runs).
    """

    id: str
    statement: str
    metric: str
    check: Check
    paper_value: str | float | None = None
    not_reproduced: Mapping[str, str] = dataclasses.field(default_factory=dict)
    scales: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "scales", tuple(self.scales))
        if self.scales and any(s not in self.scales for s in self.not_reproduced):
            raise ValueError(f"claim {self.id}: not_reproduced names a scale outside scales={self.scales}")
        for scale, reason in self.not_reproduced.items():
            _placeholder_keys(reason, f"claim {self.id} (not_reproduced[{scale!r}])")


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
    mode: str = ENFORCED
    measured: bool = True

    @property
    def as_declared(self) -> bool:
        return not self.measured or self.passed == self.expected_pass

    @property
    def status(self) -> str:
        if not self.measured:
            return NOT_MEASURED
        if self.mode == EXPLORATORY:
            return "passed (exploratory)" if self.passed else "failed (exploratory)"
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
    mode: str = ENFORCED

    @property
    def ok(self) -> bool:
        """Every outcome is as declared for this scale (in either mode)."""
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
        head = f"**Claims for `{self.paper}` at scale `{self.scale}`**"
        if self.mode == EXPLORATORY:
            head += " (exploratory run with overrides: claims are reported, not enforced)"
        return head + "\n\n" + self.to_markdown()

    def raise_if_failed(self) -> None:
        """Raise :class:`ClaimFailure` if an outcome differs from its declaration (enforced mode only)."""
        bad = [r for r in self.results if not r.as_declared]
        if bad and self.mode == ENFORCED:
            lines = [f"{r.id}: {r.status} (ours={format_value(r.our_value)}, check {r.check}) {r.note}".strip()
                     for r in bad]
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


def _placeholder_keys(text: str, where: str) -> list[str]:
    """Metric keys named by ``{key}`` / ``{key:fmt}`` fields of ``text`` (ValueError on bad syntax)."""
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(text) if field is not None]
    except ValueError as exc:
        raise ValueError(f"{where}: bad placeholder syntax in {text!r} "
                         f"({exc}); write {{{{ and }}}} for literal braces") from exc
    keys = []
    for field in fields:
        key = field.split(".")[0].split("[")[0]
        if not key or key.isdigit():
            raise ValueError(f"{where}: placeholder {{{field}}} in {text!r} "
                             "must name a metric key, e.g. {my_metric:.3g}")
        keys.append(key)
    return keys


def _close(key: str, keys: Sequence[str]) -> str:
    hints = difflib.get_close_matches(key, list(keys), n=3, cutoff=0.6)
    return f" (close matches: {', '.join(map(repr, hints))})" if hints else ""


def fill_reason(text: str, metrics: Mapping[str, Any], where: str = "reason") -> str:
    """``text`` with its ``{metric_key[:fmt]}`` placeholders filled from ``metrics``.

    A metric stored as None (non-finite) renders as ``nan``. An unknown key or a
    format that does not fit the value raises :class:`ClaimError` naming it.
    """
    for key in _placeholder_keys(text, where):
        if key not in metrics:
            raise ClaimError(f"{where}: placeholder {{{key}}} names no recorded metric{_close(key, list(metrics))}")
    values = {k: (math.nan if v is None else v) for k, v in metrics.items()}
    try:
        return text.format_map(values)
    except (ValueError, TypeError, IndexError, KeyError, AttributeError) as exc:
        raise ClaimError(f"{where}: cannot fill {text!r} from the metrics: {exc}") from exc


def evaluate_claims(
    paper: str, claims: Sequence[Claim], metrics: Mapping[str, Any], scale: str, *, mode: str = ENFORCED
) -> ClaimsReport:
    """Check every claim against ``metrics`` in ``mode`` (``"enforced"`` or ``"exploratory"``).

    Raises :class:`ClaimError` if a claim's metric was not recorded or its reason
    for this scale names an unknown metric.
    """
    if mode not in MODES:
        raise ValueError(f"claims mode {mode!r} is not one of {', '.join(MODES)}")
    ids = [c.id for c in claims]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate claim ids in {paper}: {ids}")
    results = []
    for claim in claims:
        if claim.scales and scale not in claim.scales:
            results.append(
                ClaimResult(
                    id=claim.id, statement=claim.statement, metric=claim.metric, check=claim.check.describe,
                    paper_value=claim.paper_value, our_value=None, scale=scale, passed=False, expected_pass=False,
                    note=f"measured at scale {' / '.join(claim.scales)} only", mode=mode, measured=False,
                )
            )
            continue
        if claim.metric not in metrics:
            raise ClaimError(
                f"claim {claim.id} of {paper}: metric {claim.metric!r} was not recorded"
                f"{_close(claim.metric, list(metrics))};"
                " record it with session.record(...) before session.finish, or fix the claim's metric key"
            )
        value = metrics[claim.metric]
        reason = claim.not_reproduced.get(scale)
        note = "" if reason is None else fill_reason(reason, metrics, f"claim {claim.id} (not_reproduced[{scale!r}])")
        results.append(
            ClaimResult(
                id=claim.id,
                statement=claim.statement,
                metric=claim.metric,
                check=claim.check.describe,
                paper_value=claim.paper_value,
                our_value=value,
                scale=scale,
                passed=claim.check(value),
                expected_pass=reason is None,
                note=note,
                mode=mode,
            )
        )
    return ClaimsReport(paper=paper, scale=scale, results=tuple(results), mode=mode)
