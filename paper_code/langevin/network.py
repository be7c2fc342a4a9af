"""Two-layer erf teacher-student regression trained by online SGD (docs/papers/lr_schedule_langevin.md, section 7).

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

so the test error needs no test set (``mc_generalisation_error`` checks it). These generic
pieces (closed forms, the online Gaussian data stream) live in
``paper_code.common.teacher_student`` and are re-exported here.

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

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from paper_code.common.config import Validated, param
from paper_code.common.teacher_student import (  # the generic teacher-student pieces, shared with paper_code.dfa
    DTYPE,
    OnlineTeacherData,
    erf_network,
    generalisation_error,
    mc_generalisation_error,
)
from paper_code.common.training import TrainConfig, Trainer, TrainHistory

from .schedules import Schedule, SwitchAtOverlap, as_schedule_tuple

__all__ = [
    "TeacherStudentConfig",
    "ErfEnsemble",
    "NetworkResult",
    "train_teacher_student",
    # re-exported from paper_code.common.teacher_student
    "OnlineTeacherData",
    "erf_network",
    "generalisation_error",
    "mc_generalisation_error",
]


@dataclass(frozen=True)
class TeacherStudentConfig(Validated):
    """Set-up of the teacher-student check (paper values in brackets)."""

    D: int = param(100, "input dimension [500]; time unit is D steps", ge=1)
    M: int = param(2, "teacher hidden units [2]", ge=1)
    K: int = param(2, "student hidden units [2]", ge=1)
    std0: float = param(1.0, "std of all initial weights, teacher and student [1]", gt=0)
    sigma: float = param(
        0.5, "label-noise std; the noise floor of a constant lr scales with lr * sigma^2 [code default 0]", ge=0)
    lr: float = param(0.5, "base SGD learning rate, multiplied by the schedule [0.5]", gt=0)
    t_max: float = param(100.0, "training time in units of D steps", gt=0)
    n_seeds: int = param(3, "independent teachers/initialisations [3]", ge=1)
    eval_dt: float = param(0.25, "time between evaluations of the (closed-form) test error", gt=0)
    seed: int = param(0, "seed of the teachers, initialisations and data streams", ge=0)

    @property
    def max_steps(self) -> int:
        return int(round(self.t_max * self.D))

    @property
    def eval_every(self) -> int:
        return max(1, int(round(self.eval_dt * self.D)))


# ----------------------------------------------------------------------------------------
# Ensemble of students


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
        raise ValueError("SwitchAtOverlap has no overlap to watch in the network; "
                         "use ConstantThenPowerLaw(t_switch=t_p)")
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
