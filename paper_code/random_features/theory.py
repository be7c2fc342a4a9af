"""High-dimensional theory of random-features ridge regression on strong/weak data
(docs/papers/random_features_phase_space.md, section 3).

The replica / Gaussian-equivalence saddle point of the reference code (GitHub
``sdascoli/strong-weak``, ``random-features/strong_weak_analytic.ipynb``), rewritten
in closed form and vectorised over grids of (psi1, psi2) = (P/D, N/D).

Order parameters, per input block i = 1, 2: V_i, q_i, m_i; for the feature noise:
V_w, q_w. Aggregates:

    M = mu1 sum_i lambda_i m_i,   Q = mu1^2 sum_i lambda_i q_i + mu*^2 q_w,
    V = mu1^2 sum_i lambda_i V_i + mu*^2 V_w,   rho = 1.

Conjugates, with kappa = psi2/(1+V), E = rho + Q + Delta - 2M (regression) or
rho + Q - 2 c M (classification, c = (1-2 delta) sqrt(2/pi)):

    mhat_i = lambda_i kappa mu1 c,  a_i := Vhat_i = lambda_i kappa mu1^2,
    qhat_i = a_i E/(1+V),  Vhat_w = kappa mu*^2,  qhat_w = Vhat_w E/(1+V),  s = ridge + Vhat_w.

Block resolvent (two-population Marchenko-Pastur step). The reference code writes it as
u_i = w/(a_i + gamma s w), w = 1 + gamma sum_j phi_j a_j u_j with gamma = 1/psi1.
Substituting u_i = r_i/(gamma s), r_i = 1/(1 + a_i x), turns it into one scalar
equation for x (> 0), which is V_w itself:

    G(x) = gamma x (s + sum_j phi_j a_j r_j) - 1 = 0.                      (R)

G is increasing and concave on x > 0 with G(0) = -1, so Newton's method started
at x = 0 climbs monotonically to the unique root (no bracketing needed). Then
g_i = phi_i r_i/s, dx/ds = -x/(s + S2) with S2 = sum_j phi_j a_j r_j^2, and the
reference code's updates simplify without the cancellations of (phi_i - 2 s g_i + s^2 h_i)/a_i^2:

    V_i = phi_i x r_i,          m_i = beta_i mhat_i V_i,          V_w = x,
    q_i = phi_i r_i x/(s+S2) [B_i (s x r_i + S2/a_i) + qhat_w r_i],   B_i = beta_i mhat_i^2 + qhat_i,
    q_w = x/(s+S2) [qhat_w + sum_i B_i phi_i r_i^2].

(:func:`literal_update` keeps the reference code's literal formulas; the tests check both agree.)
The fixed point is found by damped iteration from the "uninformed" start (all
order parameters 1e-3), new = (1-damping) update + damping old, until the summed
absolute change is below ``tol`` (1 + summed magnitude); a point that does not
converge raises :class:`ConvergenceError`.

Errors:

    regression:      test = (rho + Q - 2M)/2,   train = (rho + Q + Delta - 2M) / (2 (1+V)^2)
    classification:  test = arccos(M / sqrt(rho Q)) / pi,   train square loss = E / (2 (1+V)^2)

(The classification train square loss is our extension of the regression formula;
it is checked against simulations, not against the reference code's proxy.)
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np

from .model import GaussianEquivalence, StrongWeakData, check_activation, check_task, gaussian_equivalence

__all__ = [
    "ConvergenceError",
    "SaddlePoint",
    "TheoryResult",
    "solve_saddle_point",
    "block_resolvent",
    "literal_update",
    "RHO",
]

log = logging.getLogger(__name__)

RHO = 1.0  # teacher preactivation variance (normalisation of the data model)
START = 1e-3  # "uninformed" initial value of every order parameter (reference code)


class ConvergenceError(RuntimeError):
    """A saddle-point (or resolvent) iteration did not reach its tolerance."""


@dataclass(frozen=True)
class SaddlePoint:
    """Order parameters, arrays of shape (G, 2) for the blocks and (G,) for the feature noise."""

    V: np.ndarray
    q: np.ndarray
    m: np.ndarray
    Vw: np.ndarray
    qw: np.ndarray

    def stack(self) -> np.ndarray:
        """(G, 8) all order parameters side by side."""
        return np.concatenate([self.V, self.q, self.m, self.Vw[:, None], self.qw[:, None]], axis=1)

    @staticmethod
    def unstack(a: np.ndarray) -> SaddlePoint:
        return SaddlePoint(a[:, 0:2], a[:, 2:4], a[:, 4:6], a[:, 6], a[:, 7])


@dataclass(frozen=True)
class TheoryResult:
    """Fixed point of the saddle-point equations on a broadcast grid of (psi1, psi2).

    Every array has the broadcast shape S of the inputs psi1 = P/D and psi2 = N/D.

    Fields: test_error, train_loss; the aggregates M, Q, V; the block order
    parameters V_blocks, q_blocks, m_blocks (S + (2,)) and Vw, qw; n_iter (iterations
    used) and change (last summed relative change, < tol at every point).
    """

    psi1: np.ndarray
    psi2: np.ndarray
    task: str
    activation: str
    data: StrongWeakData
    ridge: float
    noise: float
    test_error: np.ndarray
    train_loss: np.ndarray
    M: np.ndarray
    Q: np.ndarray
    V: np.ndarray
    V_blocks: np.ndarray
    q_blocks: np.ndarray
    m_blocks: np.ndarray
    Vw: np.ndarray
    qw: np.ndarray
    n_iter: np.ndarray
    change: np.ndarray
    tol: float = field(default=0.0)
    method: str = field(default="reduced")

    @property
    def max_iterations(self) -> int:
        return int(self.n_iter.max()) if self.n_iter.size else 0


# --------------------------------------------------------------------------- resolvent


def block_resolvent(a: np.ndarray, phi: np.ndarray, gamma: np.ndarray, s: np.ndarray, *,
                    max_iter: int = 200, rtol: float = 1e-13) -> tuple[np.ndarray, np.ndarray]:
    """Solve (R) for x = V_w > 0 by Newton from x = 0; return x (G,) and dx/ds (G,).

    Args:
        a: (G, 2) block weights Vhat_i (>= 0); phi: (2,) block fractions;
        gamma: (G,) D/P (> 0); s: (G,) ridge + Vhat_w (> 0).

    x equals tr R / D for R = (sum_i a_i F_i F_i^T / D + s I_P)^-1, F_i the P x phi_i D
    Gaussian blocks of the feature matrix (the tests check this on random matrices).
    """
    if np.any(s <= 0) or np.any(gamma <= 0):
        raise ValueError("block_resolvent needs s > 0 and gamma > 0")
    pa = phi * a  # (G, 2)
    x = np.zeros_like(s)
    for _ in range(max_iter):
        r = 1.0 / (1.0 + a * x[:, None])
        G = gamma * x * (s + (pa * r).sum(1)) - 1.0
        dG = gamma * (s + (pa * r * r).sum(1))  # G'(x) > 0
        step = G / dG
        x = x - step
        if np.all(np.abs(step) <= rtol * np.abs(x)):
            break
    r = 1.0 / (1.0 + a * x[:, None])
    resid = np.abs(gamma * x * (s + (pa * r).sum(1)) - 1.0)
    if not np.all(np.isfinite(x)) or resid.max(initial=0.0) > 1e-9 or np.any(x <= 0):
        i = int(np.nanargmax(np.where(np.isfinite(resid), resid, np.inf)))
        raise ConvergenceError(
            f"block resolvent: Newton did not converge in {max_iter} steps (residual {resid[i]:.3g} at "
            f"gamma={gamma[i]:.4g}, s={s[i]:.4g})"
        )
    S2 = (pa * r * r).sum(1)
    return x, -x / (s + S2)


# --------------------------------------------------------------------------- saddle point


def _hats(sp: SaddlePoint, psi2, lam, ge: GaussianEquivalence, c: float, noise_term: float, ridge: float):
    mu1, mus = ge.mu1, ge.mu_star
    M = mu1 * (lam * sp.m).sum(1)
    Q = mu1**2 * (lam * sp.q).sum(1) + mus**2 * sp.qw
    V = mu1**2 * (lam * sp.V).sum(1) + mus**2 * sp.Vw
    E = RHO + Q + noise_term - 2.0 * c * M
    kappa = psi2 / (1.0 + V)
    a = lam * (kappa * mu1**2)[:, None]  # Vhat_i
    mhat = lam * (kappa * mu1 * c)[:, None]
    qhat = a * (E / (1.0 + V))[:, None]
    Vw_hat = kappa * mus**2
    qw_hat = Vw_hat * E / (1.0 + V)
    s = ridge + Vw_hat
    return M, Q, V, E, a, mhat, qhat, Vw_hat, qw_hat, s


def _update(sp: SaddlePoint, psi1, psi2, phi, lam, beta, ge, c, noise_term, ridge) -> SaddlePoint:
    """One undamped application of the saddle-point map, closed form (module docstring)."""
    *_, a, mhat, qhat, _, qw_hat, s = _hats(sp, psi2, lam, ge, c, noise_term, ridge)
    x, _ = block_resolvent(a, phi, 1.0 / psi1, s)
    r = 1.0 / (1.0 + a * x[:, None])
    S2 = (phi * a * r * r).sum(1)
    den = (s + S2)[:, None]
    V = phi * x[:, None] * r
    m = beta * mhat * V
    B = beta * mhat**2 + qhat
    # S2 / a_i = sum_j phi_j (lambda_j / lambda_i) r_j^2: finite even when kappa -> 0
    S2_over_a = ((phi * r * r) * lam).sum(1)[:, None] / lam
    q = phi * r * x[:, None] / den * (B * (s[:, None] * x[:, None] * r + S2_over_a) + qw_hat[:, None] * r)
    qw = x / den[:, 0] * (qw_hat + (B * phi * r * r).sum(1))
    return SaddlePoint(V, q, m, x, qw)


def literal_update(sp: SaddlePoint, psi1, psi2, data: StrongWeakData, activation: str, task: str,
                   ridge: float, noise: float, ds: float = 1e-6) -> SaddlePoint:
    """The reference code's literal update (u_i, w, g_i, h_i with h by central finite difference in s).

    Slow and cancellation-prone at small a_i; kept as an independent check of :func:`_update`.
    """
    phi, lam, beta = data.phi, data.lam, data.beta
    ge = gaussian_equivalence(activation)
    c, noise_term = _task_constants(task, noise)
    *_, a, mhat, qhat, _, qw_hat, s = _hats(sp, np.asarray(psi2, float), lam, ge, c, noise_term, ridge)
    gamma = 1.0 / np.asarray(psi1, float)

    def u_of(s_):
        from scipy.optimize import fsolve

        out = np.empty_like(a)
        for k in range(a.shape[0]):
            def eqs(u, k=k):
                w = 1.0 + gamma[k] * (phi * a[k] * u).sum()
                return u - w / (a[k] + gamma[k] * s_[k] * w)
            sol, info, *_ = fsolve(eqs, np.full(2, 1.0 / (gamma[k] * s_[k])), xtol=1e-14, full_output=True)
            if np.abs(info["fvec"]).max() > 1e-10 * np.abs(sol).max():
                raise ConvergenceError(f"literal_update: fsolve residual {np.abs(info['fvec']).max():.3g} at point {k}")
            out[k] = sol
        return out

    u = u_of(s)
    du = (u_of(s * (1 + ds)) - u_of(s * (1 - ds))) / (2 * ds * s[:, None])
    g = gamma[:, None] * phi * u
    h = -gamma[:, None] * phi * du
    sc = s[:, None]
    V = (phi - sc * g) / a
    m = beta * mhat * V
    B = beta * mhat**2 + qhat
    q = B * (phi - 2 * sc * g + sc**2 * h) / a**2 - qw_hat[:, None] * (sc**2 * h - sc * g) / (sc * a)
    Vw = (1 / gamma - 1 + s * g.sum(1)) / s
    qw = qw_hat * (1 / gamma - 1 + s**2 * h.sum(1)) / s**2 - (B * (sc**2 * h - sc * g) / (sc * a)).sum(1)
    return SaddlePoint(V, q, m, Vw, qw)


def _task_constants(task: str, noise: float) -> tuple[float, float]:
    """(c, noise term in E): regression (1, Delta); classification ((1-2 delta) sqrt(2/pi), 0)."""
    if task == "regression":
        return 1.0, float(noise)
    return (1.0 - 2.0 * noise) * math.sqrt(2.0 / math.pi), 0.0


def _check_inputs(task: str, activation: str, ridge: float, noise: float, damping: float) -> None:
    check_task(task)
    check_activation(activation)
    if not (isinstance(ridge, (int, float)) and math.isfinite(ridge) and ridge > 0):
        raise ValueError(f"ridge must be a finite number > 0, got {ridge!r}")
    if task == "regression" and not (math.isfinite(noise) and noise >= 0):
        raise ValueError(f"regression noise variance Delta must be >= 0, got {noise!r}")
    if task == "classification" and not (0 <= noise < 0.5):
        raise ValueError(f"classification flip probability delta must be in [0, 0.5), got {noise!r}")
    if not 0 <= damping < 1:
        raise ValueError(f"damping must be in [0, 1), got {damping!r}")


def _kappa_terms(kappa, psi1, phi, lam, ge: GaussianEquivalence, ridge: float):
    """Everything that depends on kappa = psi2/(1+V) only: a, s, x, dx/ds, r and V(kappa)."""
    a = lam * (kappa * ge.mu1**2)[:, None]
    s = ridge + kappa * ge.mu_star**2
    x, dx = block_resolvent(a, phi, 1.0 / psi1, s)
    r = 1.0 / (1.0 + a * x[:, None])
    V = ge.mu1**2 * (lam * phi * r).sum(1) * x + ge.mu_star**2 * x
    return a, s, x, dx, r, V


def _solve_reduced(p1, p2, phi, lam, beta, ge, c, noise_term, ridge, rtol: float = 1e-15, max_bisect: int = 200):
    """Exact reduction of the fixed point to one scalar equation (see :func:`solve_saddle_point`).

    Returns the (G, 8) stacked order parameters and the number of bisection steps.
    """
    # V(kappa) decreases with kappa, so kappa = psi2/(1+V(kappa)) lies in [psi2/(1+V(0)), psi2/(1+V(psi2))].
    *_, V0 = _kappa_terms(np.zeros_like(p2), p1, phi, lam, ge, ridge)
    *_, V_hi = _kappa_terms(p2, p1, phi, lam, ge, ridge)
    lo, hi = np.log(p2 / (1.0 + V0)), np.log(p2 / (1.0 + V_hi))
    steps = 0
    for _ in range(max_bisect):  # bisection in log kappa on f = kappa (1 + V(kappa)) - psi2
        steps += 1
        mid = 0.5 * (lo + hi)
        kappa = np.exp(mid)
        *_, V = _kappa_terms(kappa, p1, phi, lam, ge, ridge)
        below = kappa * (1.0 + V) < p2
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
        if np.all(hi - lo <= rtol * np.maximum(1.0, np.abs(hi))):
            break
    else:
        raise ConvergenceError(f"kappa bisection did not close its bracket in {max_bisect} steps")
    kappa = np.exp(0.5 * (lo + hi))
    a, s, x, _, r, _ = _kappa_terms(kappa, p1, phi, lam, ge, ridge)
    V = p2 / kappa - 1.0  # the fixed point's own V; equals V(kappa) to the bracket's precision
    mhat = lam * (kappa * ge.mu1 * c)[:, None]
    Vb = phi * x[:, None] * r
    m = beta * mhat * Vb
    M = ge.mu1 * (lam * m).sum(1)
    # q_i, q_w are affine in E = E_const + Q: q = q0 + q1 E; solve the scalar linear equation for Q.
    S2 = (phi * a * r * r).sum(1)
    den = (s + S2)[:, None]
    S2_over_a = ((phi * r * r) * lam).sum(1)[:, None] / lam
    u = 1.0 / (1.0 + V)  # qhat_i = a_i E u, qw_hat = kappa mu*^2 E u
    w_hat = kappa * ge.mu_star**2 * u
    coef_q_B = phi * r * x[:, None] / den * (s[:, None] * x[:, None] * r + S2_over_a)
    coef_q_w = phi * r * x[:, None] / den * r
    q0 = coef_q_B * beta * mhat**2
    q1 = coef_q_B * a * u[:, None] + coef_q_w * w_hat[:, None]
    qw0 = x / den[:, 0] * (beta * mhat**2 * phi * r * r).sum(1)
    qw1 = x / den[:, 0] * (w_hat + (a * u[:, None] * phi * r * r).sum(1))
    Q0 = ge.mu1**2 * (lam * q0).sum(1) + ge.mu_star**2 * qw0
    Q1 = ge.mu1**2 * (lam * q1).sum(1) + ge.mu_star**2 * qw1
    if np.any(Q1 >= 1.0):
        i = int(np.argmax(Q1))
        raise ConvergenceError(
            f"no finite fixed point: the Q equation has slope {Q1[i]:.6g} >= 1 at psi1={p1[i]:.4g}, psi2={p2[i]:.4g} "
            f"(ridge={ridge:g}); increase the ridge"
        )
    E_const = RHO + noise_term - 2.0 * c * M
    Q = (Q0 + Q1 * E_const) / (1.0 - Q1)
    E = E_const + Q
    q = q0 + q1 * E[:, None]
    qw = qw0 + qw1 * E
    state = np.concatenate([Vb, q, m, x[:, None], qw[:, None]], axis=1)
    return state, steps


def solve_saddle_point(
    psi1,
    psi2,
    *,
    data: StrongWeakData = StrongWeakData(),
    task: str = "regression",
    activation: str = "relu",
    ridge: float = 1e-3,
    noise: float = 0.0,
    method: str = "reduced",
    damping: float = 0.5,
    tol: float = 1e-9,
    max_iter: int = 20_000,
) -> TheoryResult:
    """Test/train errors at every (psi1, psi2) = (P/D, N/D) of a broadcast grid (the errors of the module docstring).

    Two solvers, both checked on the same criterion:

    * ``method="reduced"`` (default). The conjugates depend on the order parameters only
      through (M, Q, V), and V's update involves V alone (through kappa = psi2/(1+V)). So
      the fixed point is one scalar equation kappa (1 + V(kappa)) = psi2, bracketed by
      the monotonicity of V(kappa) and solved by bisection in log kappa; then M is
      explicit and Q solves a linear equation Q = Q0 + Q1 (E_const + Q). Near the
      interpolation peak (N = P, small ridge) Q1 -> 1: that is where the damped
      iteration needs ~1/(1-Q1) steps, and where this solver costs the same as anywhere.
    * ``method="damped"``: the reference code's damped iteration from the uninformed start.

    Either way the returned state is then fed once through the full saddle-point map;
    if the relative change sum|F(x) - x| / (1 + sum|x|) exceeds ``tol`` at any grid
    point, :class:`ConvergenceError` is raised (never a silent unconverged value). The
    change at every point is returned in ``TheoryResult.change``.

    Args:
        psi1, psi2: arrays (or scalars) that broadcast together, all > 0.
        data: the strong/weak data model; task: "regression" or "classification".
        activation: "relu", "tanh" or "sign"; ridge: lambda of sum (y - a.z)^2 + lambda |a|^2.
        noise: label-noise variance Delta (regression) or flip probability delta (classification).
        method: "reduced" or "damped"; damping: weight of the old iterate (0.5 in the reference code).
        tol: convergence threshold on the relative change per grid point.
        max_iter: iterations allowed to the damped iteration.
    """
    _check_inputs(task, activation, ridge, noise, damping)
    if method not in ("reduced", "damped"):
        raise ValueError(f"method must be 'reduced' or 'damped', got {method!r}")
    if not (isinstance(max_iter, (int, np.integer)) and max_iter >= 1):
        raise ValueError(f"max_iter must be an int >= 1, got {max_iter!r}")
    p1, p2 = np.broadcast_arrays(np.asarray(psi1, dtype=np.float64), np.asarray(psi2, dtype=np.float64))
    shape = p1.shape
    p1, p2 = p1.ravel().copy(), p2.ravel().copy()
    if p1.size == 0:
        raise ValueError("empty grid of (psi1, psi2)")
    if not (np.all(np.isfinite(p1)) and np.all(np.isfinite(p2)) and np.all(p1 > 0) and np.all(p2 > 0)):
        raise ValueError("psi1 = P/D and psi2 = N/D must be finite and > 0")
    phi, lam, beta = data.phi, data.lam, data.beta
    ge = gaussian_equivalence(activation)
    c, noise_term = _task_constants(task, noise)
    G = p1.size
    where = f"task={task}, activation={activation}, ridge={ridge:g}, noise={noise:g}, method={method}"

    if method == "reduced":
        state, steps = _solve_reduced(p1, p2, phi, lam, beta, ge, c, noise_term, ridge)
        n_iter = np.full(G, steps, dtype=np.int64)
    else:
        state = np.full((G, 8), START)
        n_iter = np.zeros(G, dtype=np.int64)
        change = np.full(G, np.inf)
        active = np.arange(G)
        for it in range(1, max_iter + 1):
            old = state[active]
            new = _update(SaddlePoint.unstack(old), p1[active], p2[active], phi, lam, beta, ge, c, noise_term,
                          ridge).stack()
            new = (1.0 - damping) * new + damping * old
            if not np.all(np.isfinite(new)):
                bad = active[~np.all(np.isfinite(new), axis=1)][0]
                raise ConvergenceError(
                    f"saddle point diverged (non-finite) at iteration {it}: psi1={p1[bad]:.4g}, psi2={p2[bad]:.4g}, "
                    f"{where}"
                )
            rel = np.abs(new - old).sum(1) / (1.0 + np.abs(new).sum(1))
            state[active] = new
            change[active] = rel
            n_iter[active] = it
            active = active[rel >= tol * (1.0 - damping)]
            if active.size == 0:
                break
        if active.size:
            worst = active[np.argmax(change[active])]
            raise ConvergenceError(
                f"saddle point not converged after {max_iter} iterations at {active.size}/{G} grid points; worst: "
                f"psi1={p1[worst]:.4g}, psi2={p2[worst]:.4g}, relative change {change[worst]:.3g} ({where})"
            )

    # convergence check on the undamped map, whatever the method
    mapped = _update(SaddlePoint.unstack(state), p1, p2, phi, lam, beta, ge, c, noise_term, ridge).stack()
    change = np.abs(mapped - state).sum(1) / (1.0 + np.abs(state).sum(1))
    if not np.all(np.isfinite(change)) or np.any(change > tol):
        worst = int(np.nanargmax(np.where(np.isfinite(change), change, np.inf)))
        raise ConvergenceError(
            f"saddle point check failed at {int(np.sum(~(change <= tol)))}/{G} grid points; "
            f"worst: psi1={p1[worst]:.4g}, "
            f"psi2={p2[worst]:.4g}, |F(x) - x| relative {change[worst]:.3g} > tol={tol:g} ({where})"
        )

    sp = SaddlePoint.unstack(state)
    M, Q, V, E, *_ = _hats(sp, p2, lam, ge, c, noise_term, ridge)
    if task == "regression":
        test = 0.5 * (RHO + Q - 2.0 * M)
    else:
        test = np.arccos(np.clip(M / np.sqrt(RHO * Q), -1.0, 1.0)) / math.pi
    train = E / (2.0 * (1.0 + V) ** 2)
    log.debug("saddle point (%s): %d points, max change %.2g", method, G, float(change.max()))
    rs = lambda a: a.reshape(shape)  # noqa: E731
    rs2 = lambda a: a.reshape(shape + (2,))  # noqa: E731
    return TheoryResult(
        psi1=rs(p1), psi2=rs(p2), task=task, activation=activation, data=data, ridge=float(ridge), noise=float(noise),
        test_error=rs(test), train_loss=rs(train), M=rs(M), Q=rs(Q), V=rs(V),
        V_blocks=rs2(sp.V), q_blocks=rs2(sp.q), m_blocks=rs2(sp.m), Vw=rs(sp.Vw), qw=rs(sp.qw),
        n_iter=rs(n_iter), change=rs(change), tol=tol, method=method,
    )
