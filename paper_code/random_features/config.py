"""Presets for the generalization-phase-space paper (``random_features_phase_space``).

``quick`` regenerates every figure in about two minutes on 2 CPU cores: the theory
at the reference code's settings (it is cheap), simulations at D = 200 with 8 seeds,
a finite-size sweep up to D = 800, and the network check on the 5,000-image MNIST
subset and on a 4,000-image subsample of Fashion-MNIST (5 x 5 grids, 300 full-batch
epochs, 2 seeds).

``paper`` takes the theory and the simulations to the reference code's sizes
(GitHub ``sdascoli/strong-weak``) and beyond: simulations at D = 400 with 10 seeds,
a finite-size sweep up to D = 3200. The whole notebook takes about 20 minutes of CPU
time (measured: 21 min of CPU, 46 min of wall time on 2 cores shared with other
jobs). Its network part (about half of it) is sized for one CPU machine, not for
the reference code's cluster: full MNIST and CIFAR-10 are not available offline,
so it trains on the MNIST subset (in place of full MNIST) and Fashion-MNIST (in
place of CIFAR-10), on 6 widths x 6 training sizes (widths 2..64, n 125..4000) for
1000 epochs with 3 seeds, where the reference code ran 15 x 15 grids (widths
2..512, n 128..32768) for 3000 epochs with 10 seeds (``neural-networks/submit.py``).
Values in brackets in the field docs are the reference code's.
docs/papers/random_features_phase_space.md, section 7, lists every substitution.
"""
from __future__ import annotations

import dataclasses

from paper_code.common.config import PaperConfig, param

ACTIVATION_CHOICES = ("relu", "tanh", "sign")
NN_DATASETS = ("mnist_subset", "mnist", "fashion_mnist", "cifar10")
INPUT_MODES = ("pca", "downsample")
#: Classes of every image set of NN_DATASETS (enters the parameter count width * (d + classes)).
NN_CLASSES = 10
MNIST_SUBSET_IMAGES = 5000


@dataclasses.dataclass(frozen=True)
class RandomFeaturesConfig(PaperConfig):
    PAPER = "random_features_phase_space"

    cpu_threads: int = param(
        1, "BLAS/torch threads (1 is fastest for these small matrices on shared cores; 0 = library default)", ge=0
    )

    # -- phase space (figure PS): theory on a square log grid of (N/D, P/D)
    ps_log10_min: float = param(-2.0, "smallest log10 of N/D and P/D [-2]", ge=-4, le=0)
    ps_log10_max: float = param(4.0, "largest log10 of N/D and P/D [4]", ge=0, le=6)
    ps_points: int = param(25, "grid points per axis [15]", ge=5, le=400)
    ps_ridge: float = param(0.1, "ridge lambda of the phase-space maps [0.1]", gt=0)
    ps_r_phi: float = param(100.0, "D / number of salient directions [100]", ge=1)
    ps_r_beta: float = param(100.0, "relevance beta1/beta2 of the salient block [100]", gt=0)
    ps_r_x_values: tuple[float, ...] = param(
        (1.0, 100.0, 0.01), "saliencies r_x compared: isotropic, strong, weak [1, 100, 0.01]", gt=0, min_len=3
    )
    ps_noises: tuple[float, ...] = param(
        (0.0, 0.3), "label noise (Delta, or flip probability delta) [0, 0.3]", ge=0, lt=0.5, min_len=2
    )
    ps_activations: tuple[str, ...] = param(
        ("relu", "tanh"), "activations of the phase-space maps; the claims take the worst of them [relu, tanh]",
        choices=ACTIVATION_CHOICES, min_len=1,
    )

    # -- sample-wise / parameter-wise curves (figures SW, PW): theory lines + simulation points
    curve_ridge: float = param(1e-3, "ridge lambda of the curves [1e-3]", gt=0)
    curve_r_phi: float = param(10.0, "D / number of salient directions [10]", ge=1)
    curve_r_x: float = param(100.0, "saliency of the salient data sets [100]", gt=0)
    curve_r_beta_relevant: float = param(100.0, "relevance of 'relevant salient' [100]", gt=0)
    curve_r_beta_irrelevant: float = param(0.01, "relevance of 'irrelevant salient' [0.01]", gt=0)
    curve_noises: tuple[float, ...] = param((0.0, 0.3), "label noise levels [0, 0.3]", ge=0, lt=0.5, min_len=1)
    curve_activation_regression: str = param("tanh", "activation for regression [tanh]", choices=ACTIVATION_CHOICES)
    curve_activation_classification: str = param(
        "relu", "activation for classification [relu]", choices=ACTIVATION_CHOICES
    )
    curve_log10_min: float = param(-3.0, "theory lines from log10 psi = [-3]", ge=-5, le=0)
    curve_log10_max: float = param(3.0, "theory lines to log10 psi = [3]", ge=0, le=5)
    curve_points: int = param(61, "theory points per line [60]; the step must be <= 0.1 decade", ge=11)
    sim_d: int = param(200, "input dimension D of the simulations [150]; finite-size bias shrinks with D", ge=10)
    sim_log10_min: float = param(-1.0, "simulated log10 psi from [-1]", ge=-2, le=0)
    sim_log10_max: float = param(1.0, "simulated log10 psi to [1]", ge=0, le=1.5)
    sim_points: int = param(9, "simulated points per curve [19]", ge=3)
    sim_seeds: int = param(8, "independent seeds (teacher, data, features) [50 feature draws]", ge=2)
    sim_n_test: int = param(2000, "test inputs per seed [5000]", ge=100)
    mu0_noises: tuple[float, ...] = param(
        (0.0,), "label-noise levels whose ReLU curves are simulated again with centred features (the mu0 test)",
        ge=0, lt=0.5, min_len=1,
    )

    # -- finite size: the theory is the D -> infinity limit of the simulations
    fs_d_values: tuple[int, ...] = param((100, 200, 400, 800), "D of the finite-size sweep", ge=10, min_len=3)
    fs_seeds: int = param(12, "seeds per D of the finite-size sweep", ge=3)
    fs_psi2: tuple[float, ...] = param(
        (0.2, 0.5, 2.0, 5.0), "N/D of the sweep at P/D = 1 (away from the peak at N = P)", gt=0, min_len=1
    )

    # -- double-descent cuts (figure DD): theory, isotropic regression with label noise
    dd_psi1_values: tuple[float, ...] = param((0.1, 1.0, 10.0), "P/D of the cuts (error vs N/D)", gt=0, min_len=1)
    dd_ridge: float = param(1e-3, "small ridge of the cuts [1e-3]", gt=0)
    dd_noise: float = param(0.3, "label-noise variance Delta of the cuts [0.3]", gt=0)
    dd_points_per_decade: int = param(20, "theory resolution of the cuts", ge=10)

    # -- number of salient directions (figure RPHI): theory at P/D = 100
    rphi_values: tuple[float, ...] = param((1.0, 10.0, 100.0), "r_phi compared [1, 10, 100]", ge=1, min_len=2)
    rphi_r_x_values: tuple[float, ...] = param(
        (10.0, 100.0, 1000.0), "saliencies compared [10, 100, 1000]", gt=0, min_len=1
    )
    rphi_r_beta: float = param(100.0, "relevance of the salient block [100]", gt=0)
    rphi_psi1: float = param(100.0, "P/D of the curves [100]", gt=0)
    rphi_ridge: float = param(1e-3, "ridge lambda [1e-3]", gt=0)
    rphi_activation: str = param("tanh", "activation [tanh]", choices=ACTIVATION_CHOICES)
    rphi_points_per_decade: int = param(20, "theory resolution in N/D (over 1e-3..1e3)", ge=10)

    # -- fully-connected networks on images (figure NN)
    nn_datasets: tuple[str, ...] = param(
        ("mnist_subset", "fashion_mnist"),
        "image sets: the first stands for MNIST, the second for the harder CIFAR-10 [MNIST, CIFAR10]",
        choices=NN_DATASETS, min_len=1,
    )
    nn_input_modes: tuple[str, ...] = param(
        INPUT_MODES, "whitened PCA (isotropic) / downsampled (anisotropic) [both]", choices=INPUT_MODES, min_len=1
    )
    nn_d: int = param(100, "input dimension d after PCA or downsampling [100]; a square for downsampling", ge=4)
    nn_widths: tuple[int, ...] = param((2, 4, 8, 16, 32), "hidden widths [15 log-spaced in 2..512]", ge=1, min_len=3)
    nn_sizes: tuple[int, ...] = param(
        (250, 500, 1000, 2000, 4000), "training-set sizes n [15 log-spaced in 128..32768]", ge=1, min_len=3
    )
    nn_noises: tuple[float, ...] = param((0.0, 0.5), "label-noise probabilities [0, 0.5]", ge=0, le=1, min_len=2)
    nn_epochs: int = param(300, "full-batch epochs [3000]", ge=1)
    nn_seeds: int = param(2, "seeds per network [10]", ge=1)
    nn_lr: float = param(0.05, "SGD learning rate [0.05]", gt=0)
    nn_momentum: float = param(0.9, "SGD momentum [0.9]", ge=0, lt=1)
    nn_test_fraction: float = param(
        0.2, "test share of the MNIST subset (the other sets use their test split)", gt=0, lt=1
    )
    nn_test_size: int = param(
        2000, "test images per set at most (a seeded subsample of a larger test split) [10000]", ge=100
    )
    nn_device: str = param("auto", "torch device of the network check: auto, cpu, cuda, cuda:N")

    def validate(self) -> None:
        if self.ps_log10_min >= self.ps_log10_max:
            self.fail("ps_log10_min", f"must be < ps_log10_max={self.ps_log10_max}")
        if 1.0 not in self.ps_r_x_values:
            self.fail("ps_r_x_values", "must include 1.0 (the isotropic reference of the asymmetry claims)")
        if 0.0 not in self.ps_noises or not any(z > 0 for z in self.ps_noises):
            self.fail("ps_noises", "must include 0.0 and a positive noise level")
        if len(set(self.ps_activations)) != len(self.ps_activations):
            self.fail("ps_activations", "must not repeat an activation")
        if 0.0 not in self.curve_noises:
            self.fail("curve_noises", "must include 0.0")
        if (self.curve_log10_max - self.curve_log10_min) / (self.curve_points - 1) > 0.1 + 1e-12:
            self.fail("curve_points", "theory step must be <= 0.1 decade (the peak-location claim's resolution)")
        if not (self.curve_log10_min <= self.sim_log10_min < self.sim_log10_max <= self.curve_log10_max):
            self.fail("sim_log10_min", "simulated range must lie inside the theory range and be non-empty")
        d1 = self.sim_d / self.curve_r_phi
        if abs(d1 - round(d1)) > 1e-9:
            self.fail("sim_d", f"D / curve_r_phi must be a whole number, got {self.sim_d}/{self.curve_r_phi:g}")
        if "relu" not in (self.curve_activation_regression, self.curve_activation_classification):
            self.fail("curve_activation_classification",
                      "one of the curve activations must be 'relu' (the mu0 test re-simulates the ReLU curves)")
        bad = [z for z in self.mu0_noises if z not in self.curve_noises]
        if bad:
            self.fail("mu0_noises", f"{bad[0]:g} is not one of curve_noises {list(self.curve_noises)}")
        if (list(self.fs_d_values) != sorted(set(self.fs_d_values))
                or any(d % round(self.curve_r_phi) for d in self.fs_d_values)):
            self.fail("fs_d_values", f"must be strictly increasing multiples of curve_r_phi={self.curve_r_phi:g} "
                      "(the sweep's salient block)")
        if 1.0 not in self.rphi_values:
            self.fail("rphi_values", "must include 1.0 (the isotropic reference)")
        if 100.0 not in self.rphi_r_x_values:
            self.fail("rphi_r_x_values", "must include 100.0 (the claims' saliency)")
        if 100.0 not in self.rphi_values:
            self.fail("rphi_values", "must include 100.0 (the non-monotonic classification claim)")
        if len(self.nn_datasets) < 2 or len(set(self.nn_datasets)) != len(self.nn_datasets):
            self.fail("nn_datasets",
                      "needs two different sets: MNIST's stand-in first, the harder set (claim NN4) second")
        if "pca" not in self.nn_input_modes:
            self.fail("nn_input_modes", "must include 'pca' (the whitened, isotropic reference of the network claims)")
        if "downsample" in self.nn_input_modes and int(round(self.nn_d**0.5)) ** 2 != self.nn_d:
            self.fail("nn_d", "must be a perfect square to downsample images to sqrt(d) x sqrt(d)")
        if list(self.nn_widths) != sorted(set(self.nn_widths)) or list(self.nn_sizes) != sorted(set(self.nn_sizes)):
            self.fail("nn_widths", "nn_widths and nn_sizes must be strictly increasing")
        # the network swap ratio compares n samples with p = width (d + classes) parameters on their common range
        p_lo, p_hi = self.nn_widths[0] * (self.nn_d + NN_CLASSES), self.nn_widths[-1] * (self.nn_d + NN_CLASSES)
        lo, hi = max(p_lo, self.nn_sizes[0]), min(p_hi, self.nn_sizes[-1])
        if hi < 2 * lo:
            self.fail("nn_widths", f"parameters width*(nn_d+{NN_CLASSES}) span {p_lo}..{p_hi} and sizes span "
                      f"{self.nn_sizes[0]}..{self.nn_sizes[-1]}: their common range must cover a factor 2 "
                      "(the swap ratio's domain)")
        if 0.0 not in self.nn_noises or not any(z > 0 for z in self.nn_noises):
            self.fail("nn_noises", "must include 0.0 and a positive noise level")
        pool = round(MNIST_SUBSET_IMAGES * (1 - self.nn_test_fraction))
        if "mnist_subset" in self.nn_datasets and self.nn_sizes[-1] > pool:
            self.fail("nn_sizes", f"the MNIST subset leaves {pool} training images")


PRESETS = {
    "quick": RandomFeaturesConfig(),
    "paper": RandomFeaturesConfig(
        ps_points=49,
        sim_d=400,
        sim_points=19,
        sim_seeds=10,
        sim_n_test=10_000,
        mu0_noises=(0.0, 0.3),
        fs_d_values=(100, 200, 400, 800, 1600, 3200),
        fs_seeds=10,
        nn_widths=(2, 4, 8, 16, 32, 64),
        nn_sizes=(125, 250, 500, 1000, 2000, 4000),
        nn_epochs=1000,
        nn_seeds=3,
        nn_test_size=10_000,
    ),
}
