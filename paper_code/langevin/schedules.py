"""Learning-rate schedules eta(t) for the langevin package.

Paper: d'Ascoli, Refinetti, Biroli, "Optimal learning-rate schedules in
high-dimensional non-convex optimization" (arXiv 2202.04509).

Every schedule is a small frozen dataclass: calling it on an array of times
returns eta(t) with the same shape, ``integral(t)`` returns the integrated
learning rate tau(t) = int_0^t eta(s) ds in closed form, and ``name`` is a short
label for legends and metric keys. Time is the continuous time t of the
learning-rate-scaled Langevin equation dx/dt = eta(t) [-grad H - mu x + xi]
(docs/papers/lr_schedule_langevin.md, section 2); for the two-layer network t = steps / D.

The official C++ uses eta0 / t**beta (with eta(0) = eta0); we use
eta0 * (1 + t)**(-beta), which has the same late-time law and no singularity at
t = 0 (docs/papers/lr_schedule_langevin.md, section 5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from paper_code.common.config import Validated, param

# Valid ranges, one place (the fields' bounds and so the error messages quote them).
BETA_RANGE = (0.0, 10.0)  # decay exponent beta, both ends included
OVERLAP_RANGE = (0.0, 1.0)  # switch threshold on the overlap m, both ends excluded


def _eta0() -> Any:  # the field declarations the four schedules share
    return param(1.0, "initial learning rate eta0", gt=0)


def _beta(default: float) -> Any:
    return param(default, "decay exponent beta", ge=BETA_RANGE[0], le=BETA_RANGE[1])


def _power_integral(beta: float, t: np.ndarray) -> np.ndarray:
    """int_0^t (1+s)^-beta ds, written with log1p/expm1 so beta -> 1 is smooth."""
    log1p_t = np.log1p(t)
    if beta == 1.0:
        return log1p_t
    return np.expm1((1.0 - beta) * log1p_t) / (1.0 - beta)


@dataclass(frozen=True)
class Constant(Validated):
    """eta(t) = eta0."""

    eta0: float = _eta0()

    def __call__(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        return np.full_like(t, self.eta0)

    def integral(self, t: np.ndarray) -> np.ndarray:
        """tau(t) = eta0 t."""
        return self.eta0 * np.asarray(t, dtype=float)

    @property
    def name(self) -> str:
        return "constant"


@dataclass(frozen=True)
class PowerLaw(Validated):
    """eta(t) = eta0 (1 + t)^-beta, decaying from t = 0.

    beta = 0 is the constant rate; beta > 1 gives a finite time budget
    tau(inf) = eta0 / (beta - 1), which is why the dynamics freezes.
    """

    eta0: float = _eta0()
    beta: float = _beta(0.5)

    def __call__(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        return self.eta0 * (1.0 + t) ** (-self.beta)

    def integral(self, t: np.ndarray) -> np.ndarray:
        """tau(t) = eta0 ((1+t)^(1-beta) - 1) / (1-beta), or eta0 log(1+t) at beta = 1."""
        return self.eta0 * _power_integral(self.beta, np.asarray(t, dtype=float))

    @property
    def name(self) -> str:
        return f"beta={self.beta:g}"


@dataclass(frozen=True)
class ConstantThenPowerLaw(Validated):
    """eta0 until t_switch, then eta0 (1 + t - t_switch)^-beta (the paper's "protocol")."""

    eta0: float = _eta0()
    beta: float = _beta(1.0)
    t_switch: float = param(0.0, "end of the constant phase", ge=0)

    def __call__(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        return self.eta0 * (1.0 + np.maximum(t - self.t_switch, 0.0)) ** (-self.beta)

    def integral(self, t: np.ndarray) -> np.ndarray:
        """tau(t) = eta0 min(t, t_s) + eta0 int_0^(t - t_s)_+ (1+s)^-beta ds."""
        t = np.asarray(t, dtype=float)
        after = np.maximum(t - self.t_switch, 0.0)
        return self.eta0 * (np.minimum(t, self.t_switch) + _power_integral(self.beta, after))

    @property
    def name(self) -> str:
        return f"constant to t={self.t_switch:g}, then beta={self.beta:g}"


@dataclass(frozen=True)
class SwitchAtOverlap(Validated):
    """Adaptive protocol for the spiked model: eta0 until the overlap m first exceeds
    ``threshold``, then eta0 (1 + t - t_switch)^-beta.

    The switch time depends on the trajectory, so the integrators
    (``dmft.integrate_spiked``, ``simulation.simulate_spiked``) detect it and record it.
    Called on times directly, the schedule returns the pre-switch rate eta0.
    The official code switches at m > 0.01; in our integration that fires before the jump is
    over and stalls it, hence the default 0.5 (docs/papers/lr_schedule_langevin.md, section 5).
    """

    eta0: float = _eta0()
    beta: float = _beta(1.0)
    threshold: float = param(
        0.5, "switch when the overlap m first exceeds this", gt=OVERLAP_RANGE[0], lt=OVERLAP_RANGE[1])

    def __call__(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        return np.full_like(t, self.eta0)

    def at(self, t_switch: float) -> ConstantThenPowerLaw:
        """The fixed-time schedule this protocol becomes once the switch time is known."""
        return ConstantThenPowerLaw(self.eta0, self.beta, float(t_switch))

    @property
    def name(self) -> str:
        return f"constant to m>{self.threshold:g}, then beta={self.beta:g}"


Schedule = Constant | PowerLaw | ConstantThenPowerLaw | SwitchAtOverlap


def as_schedule_tuple(schedules: Schedule | list[Schedule] | tuple[Schedule, ...]) -> tuple[Schedule, ...]:
    """Accept one schedule or a sequence of them; always return a non-empty tuple."""
    if isinstance(schedules, (Constant, PowerLaw, ConstantThenPowerLaw, SwitchAtOverlap)):
        return (schedules,)
    out = tuple(schedules)
    if not out:
        raise ValueError("schedules is empty: pass at least one schedule")
    for s in out:
        if not isinstance(s, (Constant, PowerLaw, ConstantThenPowerLaw, SwitchAtOverlap)):
            raise TypeError(f"{s!r} is not a schedule (Constant, PowerLaw, ConstantThenPowerLaw, SwitchAtOverlap)")
    return out


def power_laws(betas, eta0: float = 1.0) -> tuple[PowerLaw, ...]:
    """One PowerLaw per beta: the batch used in the paper's energy-vs-beta figures."""
    return tuple(PowerLaw(eta0, float(b)) for b in betas)
