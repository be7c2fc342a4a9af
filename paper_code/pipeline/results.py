"""Read the committed ``metrics/<paper>.json`` files and summarise their claims.

The file holds results only: ``paper``, ``scale``, ``overrides``,
``claims_mode``, ``metrics``, ``claims`` (one record per claim) and
``figures``. Files written before ``claims_mode`` existed are read too: with
no overrides recorded, their run was at the committed preset, so *enforced*.

Claims mode: *enforced* when the paper's ``params.yaml`` section selects a
preset and overrides nothing; declared outcomes must then hold exactly.
*exploratory* when the user overrode fields; claims are reported as passed or
failed and nothing is enforced.
"""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from paper_code.common import paths
from paper_code.common.claims import ENFORCED, EXPLORATORY, NOT_MEASURED

__all__ = ["ENFORCED", "EXPLORATORY", "PaperResult", "load_result", "recorded_claims_mode", "format_overrides"]


def recorded_claims_mode(payload: Mapping[str, Any]) -> str:
    """``"enforced"`` or ``"exploratory"``: as recorded, else from the recorded overrides (none -> enforced)."""
    mode = payload.get("claims_mode")
    if mode is not None:
        if mode not in (ENFORCED, EXPLORATORY):
            raise ValueError(f"claims_mode {mode!r} is not one of {ENFORCED!r}, {EXPLORATORY!r}")
        return mode
    return EXPLORATORY if payload.get("overrides") else ENFORCED


def format_overrides(overrides: Mapping[str, Any] | None) -> str:
    """``key=value`` pairs, sorted and comma-separated; ``"–"`` when there are none."""
    if not overrides:
        return "–"
    return ", ".join(f"{k}={json.dumps(v)}" for k, v in sorted(overrides.items()))


@dataclasses.dataclass(frozen=True)
class PaperResult:
    """One paper's committed results, with claim counts.

    Claims not measured at the run's scale (``"measured": false``) are counted
    apart, in ``n_unmeasured``. Of the measured ones, ``n_passed`` counts those whose
    check passed; ``n_declared`` those declared not reproduced at this scale;
    ``n_off`` those whose outcome differs from the declaration (a failure, or an
    unexpected pass), which only an exploratory run may publish.
    """

    paper: str
    scale: str
    claims_mode: str
    overrides: Mapping[str, Any]
    claims: tuple[Mapping[str, Any], ...]
    metrics: Mapping[str, Any]
    figures: tuple[str, ...]

    @property
    def n_claims(self) -> int:
        return len(self.claims)

    def _measured(self) -> list[Mapping[str, Any]]:
        return [c for c in self.claims if c.get("measured", True)]

    @property
    def n_unmeasured(self) -> int:
        return self.n_claims - len(self._measured())

    @property
    def n_passed(self) -> int:
        return sum(bool(c.get("passed")) for c in self._measured())

    @property
    def n_reproduced(self) -> int:
        return sum(bool(c.get("passed")) and bool(c.get("expected_pass", True)) for c in self._measured())

    @property
    def n_declared(self) -> int:
        return sum(not c.get("expected_pass", True) for c in self._measured())

    @property
    def n_off(self) -> int:
        return sum(bool(c.get("passed")) != bool(c.get("expected_pass", True)) for c in self._measured())

    def summary(self) -> str:
        """One phrase: ``"22/24 reproduced (2 declared not reproduced)"`` or ``"20/24 passed (exploratory)"``."""
        notes = []
        if self.claims_mode == EXPLORATORY:
            text = f"{self.n_passed}/{self.n_claims} passed (exploratory)"
        else:
            text = f"{self.n_reproduced}/{self.n_claims} reproduced"
            if self.n_declared:
                notes.append(f"{self.n_declared} declared not reproduced")
            if self.n_off:
                notes.append(f"{self.n_off} NOT AS DECLARED")
        if self.n_unmeasured:
            notes.append(f"{self.n_unmeasured} {NOT_MEASURED}")
        return text + (f" ({', '.join(notes)})" if notes else "")

    def claim_status(self, claim: Mapping[str, Any]) -> str:
        """The claim's recorded status, or one derived from ``passed``/``expected_pass`` for older records."""
        if claim.get("status"):
            return str(claim["status"])
        if not claim.get("measured", True):
            return NOT_MEASURED
        passed, expected = bool(claim.get("passed")), bool(claim.get("expected_pass", True))
        if self.claims_mode == EXPLORATORY:
            return "passed (exploratory)" if passed else "failed (exploratory)"
        if passed == expected:
            return "reproduced" if passed else "not reproduced (declared)"
        return "UNEXPECTED PASS: update the declaration" if passed else "FAILED"

    def to_dict(self) -> dict[str, Any]:
        return {
            "paper": self.paper,
            "scale": self.scale,
            "claims_mode": self.claims_mode,
            "overrides": dict(self.overrides),
            "n_claims": self.n_claims,
            "n_reproduced": self.n_reproduced,
            "n_passed": self.n_passed,
            "n_declared_not_reproduced": self.n_declared,
            "n_not_as_declared": self.n_off,
            "n_not_measured": self.n_unmeasured,
            "claims": [dict(c) for c in self.claims],
        }


def _figure_stem(name: str) -> str:
    return name.rsplit(".", 1)[0] if name.endswith((".png", ".pdf")) else name


def result_from_payload(paper: str, payload: Mapping[str, Any], where: str | None = None) -> PaperResult:
    """A :class:`PaperResult` from the parsed JSON of ``metrics/<paper>.json`` (``where``: the file, for errors)."""
    where = where or f"metrics/{paper}.json"
    if not isinstance(payload, Mapping):
        raise ValueError(f"{where}: expected a JSON object, got {type(payload).__name__}")
    claims = payload.get("claims", [])
    if not isinstance(claims, list) or not all(isinstance(c, Mapping) for c in claims):
        raise ValueError(f"{where}: 'claims' must be a list of claim records")
    return PaperResult(
        paper=paper,
        scale=str(payload.get("scale", "?")),
        claims_mode=recorded_claims_mode(payload),
        overrides=dict(payload.get("overrides") or {}),
        claims=tuple(claims),
        metrics=dict(payload.get("metrics") or {}),
        # older files list names with the .png suffix; newer ones list stems
        figures=tuple(sorted({_figure_stem(str(f)) for f in payload.get("figures", [])})),
    )


def load_result(root: Path, paper: str, where: str | None = None) -> PaperResult | None:
    """The committed result of ``paper`` under ``root``, or ``None`` when it has no metrics file yet.

    ``root`` is the repository (the pipeline's results) or its ``paper_scale/`` folder (the same layout);
    ``where`` names the file in error messages (default ``metrics/<paper>.json``).
    """
    path = paths.metrics_path(paper, root)
    where = where or f"metrics/{paper}.json"
    if not path.exists():
        return None
    try:
        payload = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where} is not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    return result_from_payload(paper, payload, where)
