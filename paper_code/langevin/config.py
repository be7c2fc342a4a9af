"""Presets for the learning-rate-schedule paper (``lr_schedule_langevin``).

``quick`` regenerates every figure in about two minutes on 2 CPU cores. ``paper``
uses the sizes of the reference code (GitHub ``mariaref/nonconvex-lr``): DMFT
grids of 2000-4000 steps, finite-N systems of N = 3000, a D = 500 network.
Values in brackets in the field docs are the reference code's defaults
(``IntegratePSpinModel.cpp``, ``IntegrateSMTModel.cpp``, ``SimulateSKModel.py``,
``TrainTeacherStudent.py``); docs/papers/lr_schedule_langevin.md says why ours differ.
"""
from __future__ import annotations

import dataclasses

from paper_code.common.config import PaperConfig, param


@dataclasses.dataclass(frozen=True)
class LangevinConfig(PaperConfig):
    PAPER = "lr_schedule_langevin"

    # -- pure p-spin (figures A, B): eta = eta0 (1+t)^-beta, noise scaled with eta
    temperature: float = param(1.0, "bath temperature T; T*eta0 = 1 > T_d = 0.5 starts in the paramagnet", gt=0)
    eta0: float = param(1.0, "initial learning rate eta0", gt=0)
    betas: tuple[float, ...] = param(
        (0.0, 0.15, 0.3, 0.45, 0.6, 0.75, 0.9, 1.05, 1.2, 1.5, 2.0), "decay exponents beta of figure A/B",
        ge=0, le=10, min_len=3,
    )
    freeze_budget_fraction: float = param(
        0.8, "a beta > 1 run enters the freezing claim once tau(t_max) >= this fraction of its budget tau_inf",
        gt=0, lt=1,
    )
    dmft_h: float = param(0.05, "DMFT grid step h (explicit Euler, first order) [0.1]", gt=0, le=0.5)
    dmft_t_max: float = param(100.0, "DMFT horizon of figures A/B [100-200]", gt=0)
    convergence_betas: tuple[float, ...] = param((0.0, 0.6, 1.2), "betas re-run at h/2 for the grid check", ge=0, le=10,
                                                 min_len=1)
    convergence_t_max: float = param(50.0, "horizon of the h vs h/2 grid check", gt=0)
    plotted_precision: float = param(
        0.02, "energy resolution of the figures: the h vs h/2 curves must differ by less", gt=0
    )

    # -- spiked matrix-tensor model (figures C, D)
    spiked_p: int = param(3, "order of the tensor channel", choices=(3, 4))
    spiked_delta2: float = param(0.3, "matrix noise variance Delta2 [0.5; 0.3 gives a jump at T=0.5]", gt=0)
    spiked_deltap: float = param(1.0, "tensor noise variance Deltap [0.1; 1.0 gives a jump]", gt=0)
    spiked_temperature: float = param(0.5, "temperature of the spiked runs", ge=0)
    spiked_m0: float = param(1e-10, "initial overlap m(0) of figures C and D [1e-10, the reference code's Cbar0]",
                             gt=0, lt=0.5)
    spiked_m0_alt: float = param(1e-4, "second start of figure C, 10^6 x closer to the signal "
                                 "(m0 ~ 1/sqrt(N), N = 1e8)", gt=0, lt=0.5)
    spiked_betas: tuple[float, ...] = param(
        (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0), "pure power-law decays of figure C", ge=0, le=10, min_len=3
    )
    spiked_h: float = param(0.1, "DMFT grid step of the spiked runs (h > 0.15 mislocates the minimum)", gt=0, le=0.15)
    spiked_t_max: float = param(150.0, "horizon of figure C [100]", gt=0)
    protocol_betas: tuple[float, ...] = param((0.5, 1.0, 2.0), "decay exponents after the switch (figure D)",
                                              ge=0, le=10, min_len=2)
    protocol_switch_overlap: float = param(0.5, "switch when m first exceeds this [0.01 fires before the jump]",
                                           gt=0, lt=1)
    protocol_t_max: float = param(200.0, "horizon of figure D", gt=0)

    # -- finite-N simulations (figure E)
    sim_n: int = param(500, "system size N of the simulations vs theory", ge=10)
    sim_samples: int = param(8, "disorder samples (seeds) for the error bars", ge=2)
    sim_dt: float = param(0.05, "Euler-Maruyama time step", gt=0, le=0.5)
    sim_t_max: float = param(20.0, "simulated time", gt=0)
    sim_temperature: float = param(0.5, "temperature of the SK and spiked-matrix simulations", ge=0)
    sim_delta2: float = param(0.3, "spiked-matrix noise Delta2 of the simulation (SNR above BBP needs < 1)", gt=0, lt=1)
    ladder_n: tuple[int, ...] = param((100, 200, 400),
                                      "system sizes N of the finite-size scaling of the sim-theory gap",
                                      ge=10, min_len=3)
    ladder_samples: tuple[int, ...] = param((200, 400, 800),
                                            "disorder samples at each ladder N (~ N: equal z per rung)",
                                            ge=2, min_len=3)
    ladder_m0: float = param(0.1, "fixed start overlap of the spiked ladder (N -> inf at fixed m0 needs 1/N << m0^2)",
                             gt=0, lt=1)
    diag_samples: int = param(128, "samples per variant of the E1 diagnosis (dt, h, horizon varied one at a time)",
                              ge=2)
    gap_n: int = param(500, "N of the reference script's gap-scaled SK run [3000]", ge=10)
    gap_temperature: float = param(3.0, "T of the gap-scaled run [3]", ge=0)
    gap_steps: int = param(10_000, "iterations of the gap-scaled run [1e4]", ge=100)
    gap_samples: int = param(3, "samples of the gap-scaled run", ge=1)
    gap_t_protocol: float = param(100.0, "constant-rate iterations before 1/t in the gap-scaled run", gt=0)

    # -- two-layer erf teacher-student network (figure F)
    net_d: int = param(100, "input dimension D [500]; time = steps / D", ge=2)
    net_sigma: float = param(0.3, "label-noise std [0]; a noise floor is what decaying the rate removes", ge=0)
    net_lr: float = param(0.5, "base SGD learning rate [0.5]", gt=0)
    net_t_max: float = param(100.0, "training time in units of D steps", gt=0)
    net_t_switch: float = param(40.0, "end of the constant phase of constant-then-1/t (after the plateau)", gt=0)
    net_seeds: int = param(20, "independent teachers / initialisations (>= 2: the claim uses a t interval)", ge=2)

    def validate(self) -> None:
        if self.convergence_t_max > self.dmft_t_max:
            self.fail("convergence_t_max", f"must be <= dmft_t_max={self.dmft_t_max}")
        if not any(b > 1 for b in self.betas) or not any(b < 1 for b in self.betas):
            self.fail("betas", "must include values below and above 1 (the claims compare them)")
        if 1.0 not in self.protocol_betas:
            self.fail("protocol_betas", "must include 1.0 (the convex 1/t rule)")
        if self.net_t_switch >= self.net_t_max:
            self.fail("net_t_switch", f"must be < net_t_max={self.net_t_max}")
        if len(self.ladder_samples) != len(self.ladder_n):
            self.fail("ladder_samples", f"needs one entry per ladder_n ({len(self.ladder_n)})")
        if list(self.ladder_n) != sorted(set(self.ladder_n)):
            self.fail("ladder_n", "must be strictly increasing")
        if self.gap_t_protocol >= self.gap_steps:
            self.fail("gap_t_protocol", f"must be < gap_steps={self.gap_steps}")


PRESETS = {
    "quick": LangevinConfig(),
    "paper": LangevinConfig(
        dmft_t_max=200.0,
        convergence_t_max=100.0,
        spiked_t_max=200.0,
        protocol_t_max=400.0,
        sim_n=2000,
        sim_samples=16,
        sim_t_max=40.0,
        ladder_n=(100, 200, 400, 800),
        ladder_samples=(300, 600, 1200, 2400),
        diag_samples=64,  # N = 2000: errors already 1/sqrt(2) of the quick scale's (they go as 1/sqrt(N samples))
        gap_n=3000,
        gap_samples=5,
        net_d=500,
        net_t_max=200.0,
        net_t_switch=60.0,
        net_seeds=20,
    ),
}
