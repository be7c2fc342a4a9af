"""Two-layer erf teacher-student regression trained by online SGD (brief 2d).

Paper: d'Ascoli, Refinetti, Biroli, arXiv 2202.04509, neural-network check; the
reference is TrainTeacherStudent.py of GitHub `mariaref/nonconvex-lr` (our own code).

    teacher  y*(x) = sum_m v*_m erf(w*_m . x / sqrt(2D)) + sigma * noise,   M units
    student  y(x)  = sum_k v_k  erf(w_k  . x / sqrt(2D)),                   K units
    x ~ N(0, I_D), weights ~ N(0, std0^2), both student layers trained,
    loss 0.5 (y - y*)^2, plain SGD with batch size 1 on fresh samples (online).

Time is t = steps / D. The generalisation error against the noiseless teacher has a
closed form in the order parameters Q = W W^T / D, R = W W*^T / D, T = W* W*^T / D
(Saad & Solla 1995, for g(u) = erf(u / sqrt 2)):

    E[g(u) g(u')] = (2/pi) arcsin( c / sqrt((1 + a)(1 + b)) ),  a, b = variances, c = covariance,
    eps_g = 0.5 [ v^T I(Q) v - 2 v^T I(Q, T; R) v* + v*^T I(T) v* ],

so the test error needs no test set (``mc_generalisation_error`` checks it).

Speed: all (schedule x seed) students are one module, ``ErfEnsemble``; member e is
its own optimizer param group, so the trainer's per-group ``lr_lambda`` list applies
one schedule per member (LambdaLR semantics). The loss is the sum over members of
each member's 0.5 squared error (batch of one sample each), so member gradients are
independent and plain SGD on the sum is SGD on every member. Members of the same
seed share teacher, initial weights and the data stream (common random numbers).

Schedule convention: member lr = base_lr * schedule(step / D), e.g. PowerLaw(1, beta)
gives 0.5 (1 + t)^-beta in time units. The reference script decays in step units
instead (min(1, (step - step_p)^-beta)), which is the same law with an extra
D^-beta prefactor; we keep time units so the DMFT schedule objects apply unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from paper_code.common.training import Trainer, TrainConfig, TrainHistory

from .schedules import Schedule, SwitchAtOverlap, as_schedule_tuple

DTYPE = torch.float64


@dataclass(frozen=True)
class TeacherStudentConfig:
    """Set-up of the teacher-student check (brief 2d; paper values in brackets)."""

    D: int = 100  # input dimension [500]; time unit is D steps
    M: int = 2  # teacher hidden units [2]
    K: int = 2  # student hidden units [2]
    std0: float = 1.0  # std of all initial weights, teacher and student [1]
    sigma: float = 0.5  # label-noise std; the noise floor of a constant lr scales with lr * sigma^2 [code default 0]
    lr: float = 0.5  # base SGD learning rate, multiplied by the schedule [0.5]
    t_max: float = 100.0  # training time in units of D steps
    n_seeds: int = 3  # independent teachers/initialisations [3]
    eval_dt: float = 0.25  # time between evaluations of the (closed-form) test error
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("D", "M", "K", "n_seeds"):
            v = getattr(self, name)
            if not (isinstance(v, int) and v >= 1):
                raise ValueError(f"{name}={v!r} is invalid: it must be an int >= 1")
        for name in ("std0", "lr", "t_max", "eval_dt"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0):
                raise ValueError(f"{name}={v!r} is invalid: it must be a finite number > 0")
        if not (math.isfinite(self.sigma) and self.sigma >= 0):
            raise ValueError(f"sigma={self.sigma!r} is invalid: it must be a finite number >= 0")

    @property
    def max_steps(self) -> int:
        return int(round(self.t_max * self.D))

    @property
    def eval_every(self) -> int:
        return max(1, int(round(self.eval_dt * self.D)))


# ----------------------------------------------------------------------------------------
# Closed-form generalisation error


def _erf_corr(a: Tensor, b: Tensor, c: Tensor) -> Tensor:
    """E[erf(u/sqrt2) erf(u'/sqrt2)] for centred Gaussians with var a, b and cov c."""
    return (2.0 / math.pi) * torch.asin(c / torch.sqrt((1.0 + a) * (1.0 + b)))


def generalisation_error(W: Tensor, v: Tensor, W_t: Tensor, v_t: Tensor) -> Tensor:
    """Closed-form 0.5 E[(y - y*_noiseless)^2] for erf networks (Saad & Solla).

    Args:
        W: (..., K, D) student first layer; v: (..., K) student second layer.
        W_t: (..., M, D) teacher first layer; v_t: (..., M) teacher second layer.
    Returns:
        (...,) generalisation error.
    """
    D = W.shape[-1]
    # overlaps as broadcast sums: torch's float64 bmm is ~100x slower on such tiny matrices
    overlap = lambda A, B: (A[..., :, None, :] * B[..., None, :, :]).sum(-1) / D  # noqa: E731
    Q = overlap(W, W)  # (..., K, K)
    R = overlap(W, W_t)  # (..., K, M)
    T = overlap(W_t, W_t)  # (..., M, M)
    q, t = torch.diagonal(Q, dim1=-2, dim2=-1), torch.diagonal(T, dim1=-2, dim2=-1)
    ss = _erf_corr(q[..., :, None], q[..., None, :], Q)  # (..., K, K)
    st = _erf_corr(q[..., :, None], t[..., None, :], R)  # (..., K, M)
    tt = _erf_corr(t[..., :, None], t[..., None, :], T)  # (..., M, M)
    quad = lambda a, Mx, b: torch.einsum("...i,...ij,...j->...", a, Mx, b)  # noqa: E731
    return 0.5 * (quad(v, ss, v) - 2.0 * quad(v, st, v_t) + quad(v_t, tt, v_t))


def erf_network(x: Tensor, W: Tensor, v: Tensor) -> Tensor:
    """y = sum_k v_k erf(w_k . x / sqrt(2D)); x: (..., n, D), W: (..., K, D), v: (..., K) -> (..., n)."""
    h = x @ W.transpose(-1, -2) / math.sqrt(W.shape[-1])  # (..., n, K)
    return (torch.erf(h / math.sqrt(2.0)) * v[..., None, :]).sum(-1)


def mc_generalisation_error(
    W: Tensor, v: Tensor, W_t: Tensor, v_t: Tensor, n_test: int, generator: torch.Generator
) -> Tensor:
    """Monte Carlo estimate of ``generalisation_error`` on n_test fresh Gaussian inputs; (...,)."""
    batch = W.shape[:-2]
    x = torch.randn(*batch, n_test, W.shape[-1], generator=generator, dtype=W.dtype)
    return 0.5 * ((erf_network(x, W, v) - erf_network(x, W_t, v_t)) ** 2).mean(-1)


# ----------------------------------------------------------------------------------------
# Ensemble of students, data stream


class ErfEnsemble(nn.Module):
    """E independent two-layer erf students (K units, input D), one forward for all.

    Member e has its own parameters ``w[e]`` (K, D) and ``v[e]`` (K,), so that it can be
    its own optimizer param group with its own learning rate.
    """

    def __init__(self, W0: Tensor, v0: Tensor):
        super().__init__()
        self.w = nn.ParameterList([nn.Parameter(W0[e].clone()) for e in range(W0.shape[0])])
        self.v = nn.ParameterList([nn.Parameter(v0[e].clone()) for e in range(v0.shape[0])])

    def weights(self) -> tuple[Tensor, Tensor]:
        """Stacked (E, K, D) and (E, K) views of the members' parameters."""
        return torch.stack(list(self.w)), torch.stack(list(self.v))

    def forward(self, x: Tensor) -> Tensor:
        """x: (E, n, D), one input batch per member -> predictions (E, n)."""
        W, v = self.weights()
        return erf_network(x, W, v)

    def param_groups(self) -> list[dict]:
        """One SGD param group per member."""
        return [{"params": [w, v]} for w, v in zip(self.w, self.v)]


class OnlineTeacherData:
    """Fresh Gaussian samples labelled by each seed's noisy teacher (a BatchSource).

    ``get(step)`` returns (x, y): x (S, D) and y (S,), one sample per seed; it is a
    pure function of (seed, step): samples are drawn in blocks of ``block`` steps
    from a generator seeded by (seed, block index).
    """

    def __init__(self, W_t: Tensor, v_t: Tensor, sigma: float, seed: int, block: int = 2048):
        self.W_t, self.v_t, self.sigma, self.seed, self.block = W_t, v_t, float(sigma), int(seed), int(block)
        self._cached = (-1, None, None)

    def get(self, step: int, rank: int = 0, world_size: int = 1) -> tuple[Tensor, Tensor]:
        if world_size != 1:
            raise ValueError(
                "OnlineTeacherData serves one sample per member and step: the ensemble is not "
                f"data-parallel (world_size must be 1, got {world_size})"
            )
        b, k = divmod(int(step), self.block)
        if self._cached[0] != b:
            S, M, D = self.W_t.shape
            s = int(np.random.SeedSequence([self.seed, 7, b]).generate_state(1, dtype=np.uint64)[0])
            g = torch.Generator().manual_seed(s)
            x = torch.randn(self.block, S, 1, D, generator=g, dtype=DTYPE)
            y = erf_network(x.transpose(0, 1), self.W_t[:, None], self.v_t[:, None]).transpose(0, 1)[..., 0]  # (block, S)
            y = y + self.sigma * torch.randn(self.block, S, generator=g, dtype=DTYPE)
            self._cached = (b, x[:, :, 0], y)
        _, x, y = self._cached
        return x[k], y[k]

    def fingerprint(self) -> dict:
        return {"class": type(self).__name__, "seed": self.seed, "sigma": self.sigma, "shape": tuple(self.W_t.shape)}


# ----------------------------------------------------------------------------------------
# Driver


@dataclass(frozen=True)
class NetworkResult:
    """Test error of every (schedule, seed) student (B schedules, S seeds, n evaluations).

    Fields:
        t:      (n,) evaluation times step / D
        eg:     (B, S, n) closed-form generalisation error against the noiseless teacher
        lr:     (B, n) learning rate at the evaluation times
        labels: B schedule names
        history: the trainer's TrainHistory (loss is the sum over all members)
    """

    t: np.ndarray
    eg: np.ndarray
    lr: np.ndarray
    labels: tuple[str, ...]
    history: TrainHistory

    def final(self, window: float = 0.1) -> np.ndarray:
        """Seed-mean error averaged over the last ``window`` fraction of evaluations; (B,)."""
        n = max(1, int(round(window * self.t.size)))
        return self.eg[:, :, -n:].mean(axis=(1, 2))


def train_teacher_student(
    schedules: Schedule | Sequence[Schedule],
    config: TeacherStudentConfig = TeacherStudentConfig(),
    *,
    progress: bool = False,
) -> NetworkResult:
    """Train one ensemble with every schedule on ``config.n_seeds`` teachers; see the module doc."""
    schedules = as_schedule_tuple(schedules)
    if any(isinstance(s, SwitchAtOverlap) for s in schedules):
        raise ValueError("SwitchAtOverlap has no overlap to watch in the network; use ConstantThenPowerLaw(t_switch=t_p)")
    cfg = config
    B, S, D = len(schedules), cfg.n_seeds, cfg.D
    g = torch.Generator().manual_seed(int(np.random.SeedSequence([cfg.seed, 3]).generate_state(1)[0]))
    W_t = cfg.std0 * torch.randn(S, cfg.M, D, generator=g, dtype=DTYPE)  # teachers, (S, M, D)
    v_t = cfg.std0 * torch.randn(S, cfg.M, generator=g, dtype=DTYPE)
    W0 = cfg.std0 * torch.randn(S, cfg.K, D, generator=g, dtype=DTYPE)  # students, shared by schedules
    v0 = cfg.std0 * torch.randn(S, cfg.K, generator=g, dtype=DTYPE)
    seed_of = torch.arange(B * S) % S  # member e = b * S + s
    model = ErfEnsemble(W0[seed_of], v0[seed_of])
    opt = torch.optim.SGD(model.param_groups(), lr=cfg.lr)

    steps = np.arange(cfg.max_steps + 1)
    tables = [np.asarray(s(steps / D), dtype=float) for s in schedules]  # lr multiplier of every step
    lr_lambda = [(lambda step, tab=tables[e // S]: float(tab[step])) for e in range(B * S)]

    def loss_fn(m: nn.Module, batch: tuple[Tensor, Tensor]) -> Tensor:
        x, y = batch  # (S, D), (S,)
        pred = m(x[seed_of][:, None, :])[:, 0]  # (E,)
        return 0.5 * ((pred - y[seed_of]) ** 2).sum()  # sum over members: independent gradients

    W_t_e, v_t_e = W_t[seed_of], v_t[seed_of]

    def eval_fn(m: nn.Module, step: int) -> dict[str, float]:
        with torch.no_grad():
            W, v = m.weights()
            eg = generalisation_error(W, v, W_t_e, v_t_e)
        return {f"eg_{e}": float(val) for e, val in enumerate(eg)}

    trainer = Trainer(
        model,
        opt,
        loss_fn,
        OnlineTeacherData(W_t, v_t, cfg.sigma, cfg.seed),
        TrainConfig(
            max_steps=cfg.max_steps, log_every=max(1, cfg.max_steps // 100), progress=progress, desc="teacher-student"
        ),
        lr_lambda=lr_lambda,
        eval_fn=eval_fn,
        eval_every=cfg.eval_every,
        device="cpu",
    )
    hist = trainer.fit()
    recs = [r for r in hist.records if "eg_0" in r]
    eg = np.array([[r[f"eg_{e}"] for r in recs] for e in range(B * S)]).reshape(B, S, len(recs))
    if not np.isfinite(eg).all():
        raise FloatingPointError("teacher-student training diverged (non-finite test error); lower lr")
    step_arr = np.array([r["step"] for r in recs])
    return NetworkResult(
        t=step_arr / D,
        eg=eg,
        lr=cfg.lr * np.stack([tab[step_arr] for tab in tables]),
        labels=tuple(s.name for s in schedules),
        history=hist,
    )
