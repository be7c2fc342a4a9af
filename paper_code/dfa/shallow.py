"""Shallow networks: online SGD with DFA or BP on a teacher-student task, and its exact ODEs.

docs/papers/dfa_alignment.md, section 1 (arXiv 2011.12428; reference: ``shallow/fa.cpp`` and
``shallow/fa_ode.cpp`` of GitHub ``sdascoli/dfa-dynamics``).

    teacher  y = sum_m A_m g(rho_m) + sigma eps,   rho_m = w*_m . x / sqrt(N),   A_m = 1
    student  y_hat = sum_k v_k g(lambda_k),        lambda_k = w_k . x / sqrt(N)
    e = y - y_hat, one fresh x ~ N(0, I_N) per step, time t = steps / N,

    BP :  w_k <- w_k + (eta / sqrt N) v_k g'(lambda_k) e x
    DFA:  w_k <- w_k + (eta / sqrt N) b_k g'(lambda_k) e x        (b ~ N(0, I_K), fixed)
    both: v_k <- v_k + (eta / N) g(lambda_k) e

As N -> infinity the order parameters Q = W W^T / N, R = W W*^T / N and v follow
closed ODEs (``shallow/fa_ode.cpp``; docs section 1.1, with u = (-v, A) the signed output weights of all
K + M fields, so that e = sum_c u_c g(field_c)):

    dR_in/dt = eta b_i sum_c u_c I3(i, n, c)
    dQ_ik/dt = eta b_i sum_c u_c I3(i, k, c) + eta b_k sum_c u_c I3(k, i, c)
             + eta^2 b_i b_k [ sum_cd u_c u_d I4(i, k, c, d) + sigma^2 J2(i, k) ]
    dv_i/dt  = eta sum_c u_c I2(i, c)

and BP is the same with b -> v. Here the simulations run through the shared
``Trainer``: every (seed, DFA|BP) student is one member of :class:`ShallowEnsemble`,
whose backward pass produces the DFA update via :func:`~paper_code.dfa.feedback.direct_feedback`
(BP members use their own v as the "feedback", which is exactly backprop).
"""
from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from paper_code.common.config import Validated, param
from paper_code.common.teacher_student import (
    ACTIVATIONS,
    DTYPE,
    OnlineTeacherData,
    activation_fn,
    check_activation,
    field_covariance,
    gaussian_tables,
    generalisation_error_from_overlaps,
    order_parameters,
)
from paper_code.common.training import CheckpointMismatchError, TrainConfig

from .feedback import direct_feedback
from .resumable import GridTrainer, TaggedBatches, checkpoint_every, digest, eval_records

__all__ = [
    "ShallowSetup",
    "ShallowEnsemble",
    "ShallowRun",
    "ODEResult",
    "draw_teacher_student",
    "train_shallow",
    "ode_rates",
    "integrate_ode",
    "alignment_cosine",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShallowSetup(Validated):
    """One shallow experiment (reference-code values in brackets).

    Members: ``n_seeds`` student initialisations, each trained once with DFA and once with
    BP (members 0..S-1 are DFA, S..2S-1 BP; member e has seed e % S). Every member learns
    the same teacher with the same feedback vector b, on its seed's own sample stream.
    """

    N: int = param(500, "input dimension [500]", ge=1)
    K: int = param(4, "student hidden units [4]", ge=1)
    M: int = param(2, "teacher hidden units [4; the README example uses 2]", ge=1)
    lr: float = param(0.2, "learning rate eta [0.2]", gt=0)
    sigma: float = param(0.0, "label-noise std [0]", ge=0)
    activation: str = param("erf", "activation g [erf]", choices=ACTIVATIONS)
    teacher_a: float = param(1.0, "every teacher second-layer weight A_m [1]", ge=0)
    w0_std: float = param(
        0.05, "std of the student's initial first-layer weights [1; 'small' init: 1/sqrt(N)]", ge=0)
    v0_std: float = param(0.05, "std of the student's initial second-layer weights", ge=0)
    t_max: float = param(200.0, "training time, in units of N steps [1000]", gt=0)
    eval_dt: float = param(0.25, "time between recorded order parameters; <= t_max", gt=0)
    n_seeds: int = param(4, "student initialisations (each trained with DFA and with BP)", ge=1)
    seed: int = param(0, "teacher, initialisations and data stream", ge=0)
    feedback_seed: int = param(0, "the feedback vector b, shared by every seed", ge=0)

    def validate(self) -> None:
        if self.eval_dt > self.t_max:
            self.fail("eval_dt", f"{self.eval_dt} must be <= t_max={self.t_max}")

    @property
    def max_steps(self) -> int:
        return int(round(self.t_max * self.N))

    @property
    def eval_every(self) -> int:
        return max(1, int(round(self.eval_dt * self.N)))


# ----------------------------------------------------------------------------------------
# The ensemble of students


class ShallowEnsemble(nn.Module):
    """E two-layer students trained side by side; member e uses DFA iff ``dfa[e]``.

    Parameters: ``W`` (E, K, N) and ``v`` (E, K). Buffers: ``b`` (K,) the shared feedback
    vector, ``dfa`` (E,) bool. ``forward(x)`` with x (E, n, N) returns y_hat (E, n).
    """

    def __init__(self, W0: Tensor, v0: Tensor, b: Tensor, dfa: Tensor, activation: str = "erf"):
        super().__init__()
        E, K, _ = W0.shape
        if v0.shape != (E, K) or b.shape != (K,) or dfa.shape != (E,):
            raise ValueError(
                f"need W0 (E, K, N), v0 (E, K), b (K,), dfa (E,); got {tuple(W0.shape)}, {tuple(v0.shape)}, "
                f"{tuple(b.shape)}, {tuple(dfa.shape)}"
            )
        self.W = nn.Parameter(W0.clone())
        self.v = nn.Parameter(v0.clone())
        self.register_buffer("b", b.clone())
        self.register_buffer("dfa", dfa.clone().bool())
        self.activation = check_activation(activation)
        self._g = activation_fn(activation)

    def forward(self, x: Tensor) -> Tensor:
        lam = x @ self.W.transpose(-1, -2) / math.sqrt(self.W.shape[-1])  # (E, n, K) local fields
        h = self._g(lam)
        y = (h.detach() * self.v[:, None, :]).sum(-1, keepdim=True)  # (E, n, 1); only v sees this path
        # error signal reaching h: b e for DFA members, v e (= backprop) for BP members
        fb = torch.where(self.dfa[:, None], self.b[None, :], self.v.detach())[:, :, None]  # (E, K, 1)
        return direct_feedback(y, [fb], [h])[..., 0]

    def param_groups(self, lr: float) -> list[dict]:
        """First layer at eta (the 1/sqrt(N) is in the forward), second layer at eta / N (``shallow/fa.cpp``)."""
        return [{"params": [self.W], "lr": lr}, {"params": [self.v], "lr": lr / self.W.shape[-1]}]


def alignment_cosine(v: np.ndarray, b: np.ndarray) -> np.ndarray:
    """cos(v, b) over the last axis (the shallow alignment measure); (...,)."""
    return (v * b).sum(-1) / (np.linalg.norm(v, axis=-1) * np.linalg.norm(b, axis=-1) + 1e-300)


# ----------------------------------------------------------------------------------------
# Simulation driver


@dataclass(frozen=True)
class ShallowRun:
    """Recorded simulation of E = 2S members (S DFA then S BP), n recording times.

    Fields: t (n,); Q (E, n, K, K); R (E, n, K, M); v (E, n, K); eg (E, n) closed-form
    generalisation error; T (M, M); A (M,); b (K,); dfa (E,) bool; seed_of (E,).
    """

    t: np.ndarray
    Q: np.ndarray
    R: np.ndarray
    v: np.ndarray
    eg: np.ndarray
    T: np.ndarray
    A: np.ndarray
    b: np.ndarray
    dfa: np.ndarray
    seed_of: np.ndarray
    setup: ShallowSetup

    @property
    def alignment(self) -> np.ndarray:
        """cos(v, b) of every member over time; (E, n)."""
        return alignment_cosine(self.v, self.b)


def draw_teacher_student(setup: ShallowSetup) -> dict[str, Tensor]:
    """Teacher (one, copied per seed), student initialisations per seed, feedback vector b."""
    s = setup
    g = torch.Generator().manual_seed(int(np.random.SeedSequence([s.seed, 5]).generate_state(1)[0]))
    W_t = torch.randn(s.M, s.N, generator=g, dtype=DTYPE)
    A = torch.full((s.M,), s.teacher_a, dtype=DTYPE)
    W0 = s.w0_std * torch.randn(s.n_seeds, s.K, s.N, generator=g, dtype=DTYPE)
    v0 = s.v0_std * torch.randn(s.n_seeds, s.K, generator=g, dtype=DTYPE)
    gb = torch.Generator().manual_seed(int(np.random.SeedSequence([s.feedback_seed, 13]).generate_state(1)[0]))
    b = torch.randn(s.K, generator=gb, dtype=DTYPE)
    return {"W_t": W_t, "A": A, "W0": W0, "v0": v0, "b": b}


def train_shallow(
    setup: ShallowSetup, *, progress: bool = False, init: dict[str, Tensor] | None = None,
    record_steps: Sequence[int] | None = None, checkpoint: str | Path | None = None,
) -> ShallowRun:
    """Train S seeds x {DFA, BP} by online SGD through the shared Trainer; see the module doc.

    ``init`` (optional) replaces the drawn set-up (keys of :func:`draw_teacher_student`).
    ``record_steps``: the SGD steps at which the order parameters are recorded (default:
    every ``eval_dt`` time units); step ``max_steps`` is always recorded. ``checkpoint``:
    file to checkpoint to and resume from (:mod:`~paper_code.dfa.resumable`).
    """
    s = setup
    d = draw_teacher_student(s) if init is None else init
    S = d["W0"].shape[0]
    seed_of = torch.arange(2 * S) % S
    dfa = torch.arange(2 * S) < S
    model = ShallowEnsemble(d["W0"][seed_of], d["v0"][seed_of], d["b"], dfa, s.activation)
    opt = torch.optim.SGD(model.param_groups(s.lr), lr=s.lr)
    data = OnlineTeacherData(
        d["W_t"].expand(S, -1, -1), d["A"].expand(S, -1), s.sigma, s.seed, activation=s.activation
    )
    steps = np.arange(0, s.max_steps + 1, s.eval_every) if record_steps is None else np.asarray(record_steps, int)
    if steps.size and (steps.min() < 0 or steps.max() > s.max_steps):
        raise ValueError(f"record_steps must lie in [0, max_steps={s.max_steps}], got {steps.min()}..{steps.max()}")
    steps = np.unique(np.concatenate([steps, [s.max_steps]]))
    identity = digest(model.state_dict(), d["W_t"], d["A"], steps, {"sigma": s.sigma, "activation": s.activation})

    def loss_fn(m: nn.Module, batch: tuple[Tensor, Tensor]) -> Tensor:
        x, y = batch  # (S, N), (S,)
        pred = m(x[seed_of][:, None, :])[:, 0]  # (E,)
        return 0.5 * ((pred - y[seed_of]) ** 2).sum()  # a sum over members: independent updates

    W_t = d["W_t"]

    def eval_fn(m: nn.Module, step: int) -> dict[str, list]:
        with torch.no_grad():
            Q, R, _ = order_parameters(m.W, W_t)
            return {"Q": Q.tolist(), "R": R.tolist(), "v": m.v.detach().tolist()}

    trainer = GridTrainer(
        model, opt, loss_fn, TaggedBatches(data, identity),
        TrainConfig(max_steps=s.max_steps, log_every=max(1, s.max_steps // 50), progress=progress,
                    desc="shallow DFA/BP", checkpoint_path=checkpoint,
                    checkpoint_every=checkpoint_every(s.max_steps) if checkpoint else 0),
        eval_fn=eval_fn, eval_steps=steps, device="cpu",
    )
    hist = trainer.fit()
    log.info("shallow: %d students (N=%d, K=%d, M=%d, %s), %d steps in %.1f s%s", 2 * S, s.N, s.K, s.M,
             s.activation, s.max_steps, hist.wall_time_s,
             f" (resumed at step {hist.resumed_from})" if hist.resumed_from else "")
    recs = eval_records(hist, "Q")
    if [r["step"] for r in recs] != steps.tolist():
        raise CheckpointMismatchError(f"{checkpoint} does not hold the recordings of this run; delete or move it")
    t = np.array([r["step"] for r in recs]) / s.N
    Q, R, v = (np.stack([np.asarray(r[k], dtype=float) for r in recs], 1) for k in ("Q", "R", "v"))
    T = (W_t @ W_t.T / s.N).numpy()
    A = d["A"].numpy()
    eg = generalisation_error_from_overlaps(Q, R, T, v, A, s.activation)
    if not np.isfinite(eg).all():
        raise FloatingPointError("shallow training diverged (non-finite generalisation error); lower lr")
    return ShallowRun(t, Q, R, v, eg, T, A, d["b"].numpy(), dfa.numpy(), seed_of.numpy(), s)


# ----------------------------------------------------------------------------------------
# ODEs


@dataclass(frozen=True)
class ODEResult:
    """ODE trajectories on the recording grid t (n,): Q (..., n, K, K), R (..., n, K, M), v (..., n, K), eg (..., n)."""

    t: np.ndarray
    Q: np.ndarray
    R: np.ndarray
    v: np.ndarray
    eg: np.ndarray
    dt: float

    def alignment(self, b: np.ndarray) -> np.ndarray:
        return alignment_cosine(self.v, b)


def ode_rates(
    Q: np.ndarray, R: np.ndarray, v: np.ndarray, T: np.ndarray, A: np.ndarray, b: np.ndarray,
    lr: float, sigma: float = 0.0, activation: str = "erf",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dQ/dt, dR/dt, dv/dt of online SGD with feedback vector b (docs/papers/dfa_alignment.md, section 1.1).

    Shapes: Q (..., K, K), R (..., K, M), v (..., K), T (M, M), A (M,), b (..., K). Pass
    b = v for backprop.
    """
    K = Q.shape[-1]
    batch = Q.shape[:-2]
    C = field_covariance(Q, R, np.broadcast_to(T, batch + T.shape))
    tab = gaussian_tables(C, K, activation)
    u = np.concatenate([-v, np.broadcast_to(A, batch + A.shape)], axis=-1)  # (..., K+M): e = sum_c u_c g(f_c)
    drive = np.einsum("...iac,...c->...ia", tab["I3"], u)  # (..., K, K+M): E[g'(f_i) f_a e]
    dR = lr * b[..., :, None] * drive[..., K:]
    dQ_first = lr * b[..., :, None] * drive[..., :K]
    noise = np.einsum("...ikcd,...c,...d->...ik", tab["I4"], u, u) + sigma**2 * tab["J2"]
    dQ = dQ_first + np.swapaxes(dQ_first, -1, -2) + lr**2 * b[..., :, None] * b[..., None, :] * noise
    dv = lr * np.einsum("...ic,...c->...i", tab["I2"][..., :K, :], u)
    return dQ, dR, dv


def integrate_ode(
    Q0: np.ndarray, R0: np.ndarray, v0: np.ndarray, T: np.ndarray, A: np.ndarray, b: np.ndarray,
    dfa: np.ndarray, *, lr: float, sigma: float = 0.0, activation: str = "erf",
    t_max: float, dt: float, record_every: float | None = None, record_steps: Sequence[int] | None = None,
) -> ODEResult:
    """Euler integration of the ODEs for a batch of members (DFA where ``dfa``, BP elsewhere).

    Q0 (E, K, K), R0 (E, K, M), v0 (E, K) initial order parameters (e.g. a simulation's);
    b (K,) shared feedback; dfa (E,) bool. Recorded every ``record_every`` time units, or
    at the Euler steps ``record_steps`` (times k dt; step round(t_max / dt) is always recorded).
    """
    if not 0 < dt <= t_max:
        raise ValueError(f"need 0 < dt <= t_max, got dt={dt}, t_max={t_max}")
    n_steps = int(round(t_max / dt))
    if not math.isclose(n_steps * dt, t_max, rel_tol=1e-9):
        raise ValueError(f"t_max={t_max} must be a multiple of dt={dt}")
    if (record_every is None) == (record_steps is None):
        raise ValueError("give exactly one of record_every and record_steps")
    if record_steps is None:
        sub = int(round(record_every / dt))
        if not (dt <= record_every <= t_max and math.isclose(sub * dt, record_every, rel_tol=1e-9)):
            raise ValueError(f"record_every={record_every} must be a multiple of dt={dt} in [dt, t_max={t_max}]")
        record_steps = range(0, n_steps + 1, sub)
    rec = np.unique(np.concatenate([np.asarray(record_steps, dtype=int), [n_steps]]))
    if rec.min() < 0 or rec.max() > n_steps:
        raise ValueError(f"record_steps must lie in [0, {n_steps}] (t_max / dt), got {rec.min()}..{rec.max()}")
    wanted = set(rec.tolist())
    Q, R, v = (np.array(a, dtype=float) for a in (Q0, R0, v0))
    dfa = np.asarray(dfa, dtype=bool)
    out_Q, out_R, out_v = [], [], []
    for step in range(n_steps + 1):
        if step in wanted:
            if not (np.isfinite(Q).all() and np.isfinite(v).all()):
                raise FloatingPointError(f"ODE integration diverged before t={step * dt:g}; lower dt")
            out_Q.append(Q.copy())
            out_R.append(R.copy())
            out_v.append(v.copy())
        if step == n_steps:
            break
        fb = np.where(dfa[:, None], b[None, :], v)
        dQ, dR, dv = ode_rates(Q, R, v, T, A, fb, lr, sigma, activation)
        Q, R, v = Q + dt * dQ, R + dt * dR, v + dt * dv
    log.debug("ODE: %d members integrated to t=%g with dt=%g", Q.shape[0], n_steps * dt, dt)
    Qs, Rs, vs = np.stack(out_Q, -3), np.stack(out_R, -3), np.stack(out_v, -2)
    eg = generalisation_error_from_overlaps(Qs, Rs, T, vs, A, activation)
    return ODEResult(rec * dt, Qs, Rs, vs, eg, dt)
