"""Presets for the feedback-alignment paper (``dfa_alignment``).

``quick`` regenerates every figure in about two minutes on 2 CPU cores. ``paper`` uses
the sizes of the reference code (GitHub ``sdascoli/dfa-dynamics``: ``shallow/fa.cpp``
and the ``deep/submit_*.py`` sweeps): N = 500 shallow students trained to t = 1000, the
alpha-beta grid with 5 seeds (for 100 epochs: from zero weights the reference's 10^4
epochs diverge, docs/papers/dfa_alignment.md section 2), MLPs trained for 1000 epochs with 10 seeds
and the five label-noise levels. The reference trains on the full MNIST and CIFAR-10 at
14x14; offline we use the 5,000-image MNIST subset and a Fashion-MNIST subset of the same
size at both scales (docs/papers/dfa_alignment.md, section 5). Values in brackets in the
field docs are the reference code's. The paper preset checkpoints every training run
under ``checkpoint_dir``, so a long run resumes after an interruption and a finished one
is read back instead of retrained (``python -m paper_code.dfa.precompute``).
"""
from __future__ import annotations

import dataclasses

from paper_code.common.config import PaperConfig, param


@dataclasses.dataclass(frozen=True)
class DFAConfig(PaperConfig):
    PAPER = "dfa_alignment"

    threads: int = param(1, "torch and BLAS CPU threads (the ensembles are small: one thread is fastest)", ge=1, le=64)

    # -- shallow teacher-student (figures 1-2): online SGD and the ODEs
    shallow_n: int = param(500, "input dimension N [500]; time t = steps / N", ge=20)
    shallow_k: int = param(4, "student hidden units K (> M: over-parametrised) [4]", ge=1, le=20)
    shallow_m: int = param(2, "teacher hidden units M [2 in the README example]", ge=1, le=20)
    shallow_lr: float = param(0.2, "learning rate eta; first layer eta/sqrt(N), second eta/N [0.2]", gt=0, le=5)
    shallow_init_std: float = param(1e-3, "std of the student's initial first-layer weights ('small initialisation')",
                                    gt=0)
    shallow_v0_std: float = param(
        0.0, "std of the initial second-layer weights v; 0: v starts at zero, so that its direction is set by "
        "learning (docs/papers/dfa_alignment.md, section 1.3)", ge=0)
    shallow_t_max: float = param(100.0, "training time in units of N steps [1000]", gt=0)
    shallow_eval_dt: float = param(0.1, "time between recorded order parameters (on top of the log grid)", gt=0)
    shallow_log_evals: int = param(60, "log-spaced recording times between ode_dt and shallow_t_max", ge=0)
    shallow_seeds: int = param(4, "student initialisations, each trained by DFA and by BP", ge=2)
    ode_dt: float = param(0.01, "Euler step of the ODE integration [1/N]", gt=0, le=0.1)
    linear_n: int = param(200, "N of the linear zero-initialisation check", ge=10)
    linear_t_max: float = param(10.0, "training time of the linear zero-initialisation check", gt=0)

    # -- deep linear networks, alpha-beta probe (figure 3)
    lin_alphas: tuple[float, ...] = param((0.2, 0.4, 0.6, 0.8, 1.0), "alpha grid [0.2..1]", gt=0, le=1, min_len=2)
    lin_betas: tuple[float, ...] = param((0.2, 0.4, 0.6, 0.8, 1.0), "beta grid [0.2..1]", gt=0, le=1, min_len=2)
    lin_d: int = param(9, "input dimension [9]", ge=1)
    lin_width: int = param(100, "hidden width [100]", ge=2)
    lin_layers: int = param(3, "number of linear layers [3]", ge=2, le=8)
    lin_samples: int = param(1000, "training samples [1000]", ge=32)
    lin_epochs: float = param(30.0, "training epochs [10^4, which diverge from zero weights: docs section 2]", gt=0)
    lin_lr: float = param(0.032, "SGD rate on the batch-mean loss [1e-3 on the batch-sum loss, x 32]", gt=0)
    lin_seeds: int = param(2, "seeds per grid point [5]", ge=1)

    # -- deep non-linear networks on images (figures 4-7)
    mlp_layers: int = param(4, "linear layers of the MLP (3 hidden) [3-4]", ge=3, le=8)
    mlp_width: int = param(64, "hidden width [64]", ge=4)
    mlp_activation: str = param("tanh", "hidden activation [relu, tanh]", choices=("tanh", "relu"))
    mlp_lr: float = param(0.032, "SGD rate on the batch-mean loss [1e-3 on the batch-sum loss, x 32]", gt=0)
    mlp_epochs: float = param(40.0, "training epochs [1000]", gt=0)
    mlp_seeds: int = param(3, "seeds of the DFA vs BP comparison [10]", ge=2)
    label_noise: tuple[float, ...] = param(
        (0.0, 0.2, 0.5, 0.9), "label-noise levels p [0, .1, .2, .5, .9]", ge=0, le=1, min_len=2
    )
    noise_seeds: int = param(2, "seeds per non-zero noise level (p = 0 reuses the DFA seeds)", ge=1)
    image_downsample: int = param(
        2, "average-pooling factor of the 28x28 images (2 -> 14x14, the reference's input_dim)", choices=(1, 2, 4)
    )
    train_images: int = param(
        4000, "training images drawn from the MNIST subset (the rest is the test set)", ge=100, le=4500
    )
    batch_size: int = param(32, "SGD batch size [32]", ge=1)
    n_evals: int = param(40, "log-spaced evaluations over training", ge=5)
    align_batch: int = param(256, "training samples used to measure gradient alignment", ge=8)
    cnn_channels: int = param(8, "channels of the small CNN's 3x3 convolutions", ge=1)
    cnn_conv_layers: int = param(2, "convolutional layers of the CNN", ge=1, le=4)
    cnn_epochs: float = param(3.0, "training epochs of the CNN", gt=0)
    fashion_train_images: int = param(
        4000, "Fashion-MNIST training images (the harder dataset, standing in for CIFAR-10)", ge=100, le=60_000)
    feedback_seed: int = param(0, "seed of every fixed feedback matrix / vector (shared by all seeds)", ge=0)
    device: str = param(
        "cpu", "torch device of the deep-network runs (cpu, cuda, cuda:N, auto); the shallow runs stay on the CPU")
    checkpoint_dir: str = param(
        "", "folder (under the repository root unless absolute) where every training run checkpoints and "
        "resumes; '' = no checkpoints")

    def validate(self) -> None:
        if self.shallow_eval_dt > self.shallow_t_max:
            self.fail("shallow_eval_dt", f"must be <= shallow_t_max={self.shallow_t_max}")
        steps = self.shallow_eval_dt / self.ode_dt
        if abs(steps - round(steps)) > 1e-9:
            self.fail("shallow_eval_dt", f"must be a multiple of ode_dt={self.ode_dt}")
        steps = self.shallow_t_max / self.ode_dt
        if abs(steps - round(steps)) > 1e-9:
            self.fail("shallow_t_max", f"must be a multiple of ode_dt={self.ode_dt}")
        sgd_steps = self.ode_dt * self.shallow_n
        if abs(sgd_steps - round(sgd_steps)) > 1e-9:
            self.fail("ode_dt", f"ode_dt * shallow_n = {sgd_steps:g} must be a whole number of SGD steps, so that the "
                      "ODE and the simulation are recorded at the same times")
        if self.shallow_k <= self.shallow_m:
            self.fail("shallow_k", f"must exceed shallow_m={self.shallow_m}: degeneracy breaking needs "
                      "an over-parametrised student")
        if 0.0 not in self.label_noise:
            self.fail("label_noise", "must include 0.0 (the noise-free reference)")
        if list(self.label_noise) != sorted(set(self.label_noise)):
            self.fail("label_noise", "must be strictly increasing")
        if 1.0 not in self.lin_alphas or 1.0 not in self.lin_betas:
            self.fail("lin_alphas", "alpha and beta grids must include 1.0 (the identity target covariance)")
        if self.batch_size > self.train_images:
            self.fail("batch_size", f"must be <= train_images={self.train_images}")
        if self.batch_size > self.lin_samples:
            self.fail("batch_size", f"must be <= lin_samples={self.lin_samples}")


PRESETS = {
    "quick": DFAConfig(),
    "paper": DFAConfig(
        shallow_t_max=1000.0,
        shallow_eval_dt=5.0,
        shallow_log_evals=100,
        shallow_seeds=10,
        ode_dt=0.002,
        # the reference's 10^4 epochs diverge from zero weights (docs section 2): the longest stable horizon at its
        # rate (SGD blows up after ~200 epochs; at a quarter of the rate after ~5500)
        lin_epochs=100.0,
        lin_seeds=5,
        mlp_layers=3,
        mlp_epochs=1000.0,
        mlp_seeds=10,
        label_noise=(0.0, 0.1, 0.2, 0.5, 0.9),
        noise_seeds=10,
        train_images=4500,
        n_evals=100,
        cnn_channels=32,
        cnn_epochs=100.0,
        fashion_train_images=4500,
        checkpoint_dir="build/dfa_alignment/paper_checkpoints",
    ),
}
