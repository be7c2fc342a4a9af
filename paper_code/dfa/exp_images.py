"""Figures 4-8: deep non-linear networks on images (MNIST, Fashion-MNIST), label noise, CNNs.

docs/papers/dfa_alignment.md, sections 3-5. One MLP ensemble per dataset holds DFA and
BP nets from the same seeds (on MNIST also DFA nets on noisy labels); a small CNN is
trained by DFA with dense random feedback, by DFA with feedback aligned to its
convolutions, and by BP.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from paper_code.common.threads import limit_threads
from paper_code.dfa.config import DFAConfig
from paper_code.dfa.conv_feedback import align_member
from paper_code.dfa.curves import crossing_time, has_peaked, onset_time
from paper_code.dfa.deep import (
    CNNEnsemble,
    MLPEnsemble,
    TrainedEnsemble,
    cross_seed_cosine,
    downsample_images,
    noisy_labels,
    train_ensemble,
)
from paper_code.dfa.feedback import uniform_feedback
from paper_code.dfa.resumable import checkpoint_file

__all__ = [
    "FASHION_TEST_IMAGES",
    "ImageData",
    "load_images",
    "load_fashion",
    "MLPRun",
    "run_mlp",
    "mlp_metrics",
    "noise_metrics",
    "CNN_MEMBERS",
    "CNNRun",
    "run_cnn",
    "cnn_metrics",
]

log = logging.getLogger(__name__)

#: Test images drawn from the Fashion-MNIST test split.
FASHION_TEST_IMAGES = 1000
#: Fraction of its corrupted labels a net must fit to count as having memorised them.
MEMORISED_FRACTION = 0.5


@dataclass(frozen=True)
class ImageData:
    """Standardised images: x_train (n, C, H, W) float32, labels y_train (n,), x_test, y_test, source name."""

    x_train: torch.Tensor
    y_train: np.ndarray
    x_test: torch.Tensor
    y_test: torch.Tensor
    name: str


def _standardise(train, test, factor: int, label: str) -> ImageData:
    xtr = downsample_images(train.images, factor)
    xte = downsample_images(test.images, factor)
    mu, sd = float(xtr.mean()), float(xtr.std())
    log.info("%s: %d train / %d test at %dx%d", label, len(train), len(test), xtr.shape[-2], xtr.shape[-1])
    return ImageData(
        torch.from_numpy((xtr - mu) / sd).float(), train.labels, torch.from_numpy((xte - mu) / sd).float(),
        torch.from_numpy(test.labels),
        f"{label} ({len(train)} train / {len(test)} test, {xtr.shape[-1]}x{xtr.shape[-1]})",
    )


def load_images(cfg: DFAConfig) -> ImageData:
    """The MNIST subset, average-pooled (14x14 by default) and standardised with the training mean/std."""
    from paper_code.data import load_mnist_subset

    ds = load_mnist_subset()
    train, test = ds.train_test_split(1.0 - cfg.train_images / len(ds), seed=cfg.seed)
    return _standardise(train, test, cfg.image_downsample, "MNIST subset")


def load_fashion(cfg: DFAConfig) -> ImageData:
    """A stratified Fashion-MNIST subset (the harder dataset), prepared like the MNIST images."""
    from paper_code.data import load_fashion_mnist

    train = load_fashion_mnist("train").subset(n=cfg.fashion_train_images, seed=cfg.seed)
    test = load_fashion_mnist("test").subset(n=FASHION_TEST_IMAGES, seed=cfg.seed)
    return _standardise(train, test, cfg.image_downsample, "Fashion-MNIST")


# ---------------------------------------------------------------------------------------
# MLPs


@dataclass(frozen=True)
class MLPRun:
    """One ensemble: DFA seeds, BP seeds (both clean labels) and DFA at each non-zero noise level.

    ``groups`` maps 'dfa', 'bp', 'dfa_p<noise>' to member indices; 'dfa' is also noise 0.
    ``noise`` is () when the ensemble has no noisy members.
    """

    train: TrainedEnsemble
    groups: dict[str, np.ndarray]
    noise: tuple[float, ...]
    data_name: str

    def mean(self, field: str, group: str) -> np.ndarray:
        return getattr(self.train, field)[self.groups[group]].mean(0)

    def noise_group(self, p: float) -> str:
        return "dfa" if p == 0 else f"dfa_p{p:g}"


def run_mlp(cfg: DFAConfig, data: ImageData, *, label_noise: bool = True, name: str = "mlp_mnist") -> MLPRun:
    """Train the DFA and BP nets (and, with ``label_noise``, DFA nets on noisy labels) as one ensemble.

    ``name`` names the run's checkpoint (under ``cfg.checkpoint_dir``).
    """
    S, Sn = cfg.mlp_seeds, cfg.noise_seeds
    noisy = [p for p in cfg.label_noise if p > 0] if label_noise else []
    dfa = [True] * S + [False] * S + [True] * (Sn * len(noisy))
    seeds = list(range(S)) * 2 + [s for _ in noisy for s in range(Sn)]
    ps = [0.0] * (2 * S) + [p for p in noisy for _ in range(Sn)]
    n_classes = int(data.y_test.max()) + 1
    labels = [
        noisy_labels(data.y_train, p, n_classes, seed=1000 * cfg.seed + 100 * k + s) if p > 0 else data.y_train
        for k, (p, s) in enumerate(zip(ps, seeds))
    ]
    groups = {"dfa": np.arange(S), "bp": np.arange(S, 2 * S)}
    for k, p in enumerate(noisy):
        groups[f"dfa_p{p:g}"] = 2 * S + k * Sn + np.arange(Sn)
    y = np.stack(labels)
    corrupted = torch.from_numpy(y != data.y_train[None]) if noisy else None
    x = data.x_train.flatten(1)
    sizes = [x.shape[1]] + [cfg.mlp_width] * (cfg.mlp_layers - 1) + [n_classes]
    B = uniform_feedback(sizes[1:-1], n_classes, seed=cfg.feedback_seed)
    with limit_threads(cfg.threads):
        model = MLPEnsemble(sizes, torch.tensor(dfa), B, activation=cfg.mlp_activation, member_seeds=seeds,
                            seed=cfg.seed)
        train = train_ensemble(
            model, x, torch.from_numpy(y), data.x_test.flatten(1), data.y_test, task="classification",
            lr=cfg.mlp_lr, batch_size=cfg.batch_size, epochs=cfg.mlp_epochs, order_seeds=seeds, n_evals=cfg.n_evals,
            align_batch=cfg.align_batch, cross_seed_groups={"dfa": groups["dfa"], "bp": groups["bp"]},
            corrupted=corrupted, checkpoint=checkpoint_file(cfg.checkpoint_dir, name), desc=f"MLP DFA/BP ({name})",
            device=cfg.device,
        )
    noise = tuple(cfg.label_noise) if label_noise else ()
    return MLPRun(train, groups, noise, data.name)


def mlp_metrics(run: MLPRun, prefix: str = "mlp") -> dict[str, Any]:
    """DFA vs BP (figure 4) and layer by layer (figure 5), keys ``<prefix>_...``."""
    tr, g = run.train, run.groups
    ep = tr.epochs
    fin = lambda field, grp: float(getattr(tr, field)[g[grp], -1].mean())  # noqa: E731
    n_hidden = tr.grad_alignment.shape[-1]
    layer_curves = [run.mean("grad_alignment", "dfa")[:, l] for l in range(n_hidden)]
    model = tr.model
    layers = range(len(model.weights))
    out: dict[str, Any] = {
        f"{prefix}_epochs": float(ep[-1]),
        f"{prefix}_dfa_final_train_error": fin("train_error", "dfa"),
        f"{prefix}_bp_final_train_error": fin("train_error", "bp"),
        f"{prefix}_dfa_final_test_error": fin("test_error", "dfa"),
        f"{prefix}_bp_final_test_error": fin("test_error", "bp"),
        f"{prefix}_dfa_final_weight_alignment": fin("weight_alignment_total", "dfa"),
        f"{prefix}_bp_final_weight_alignment": fin("weight_alignment_total", "bp"),
        f"{prefix}_dfa_final_grad_alignment": fin("grad_alignment_total", "dfa"),
        f"{prefix}_bp_final_grad_alignment": fin("grad_alignment_total", "bp"),
        f"{prefix}_dfa_final_grad_alignment_per_layer": tr.grad_alignment[g["dfa"], -1].mean(0),
        f"{prefix}_dfa_final_weight_alignment_per_layer": tr.weight_alignment[g["dfa"], -1].mean(0),
        f"{prefix}_dfa_cross_seed_cosine": cross_seed_cosine(model, g["dfa"]),
        f"{prefix}_bp_cross_seed_cosine": cross_seed_cosine(model, g["bp"]),
        f"{prefix}_dfa_cross_seed_cosine_per_layer": [cross_seed_cosine(model, g["dfa"], [l]) for l in layers],
        f"{prefix}_bp_cross_seed_cosine_per_layer": [cross_seed_cosine(model, g["bp"], [l]) for l in layers],
        # layer by layer: onset = half-way to the layer's maximum (interpolated in log epochs), and the peak
        f"{prefix}_layer_onset_epochs": [onset_time(ep[1:], c[1:]) for c in layer_curves],
        f"{prefix}_layer_peak_epochs": [float(ep[int(np.argmax(c))]) for c in layer_curves],
        f"{prefix}_layers_peaked": [has_peaked(c) for c in layer_curves],
    }
    pairs = (("weight_alignment_gap", "final_weight_alignment"), ("grad_alignment_gap", "final_grad_alignment"),
             ("cross_seed_gap", "cross_seed_cosine"))
    for gap, name in pairs:
        out[f"{prefix}_{gap}_dfa_minus_bp"] = out[f"{prefix}_dfa_{name}"] - out[f"{prefix}_bp_{name}"]
    return out


def noise_metrics(run: MLPRun) -> dict[str, Any]:
    """Label noise (figure 6): final alignment per noise level once the curves have peaked, and memorisation."""
    if not run.noise:
        raise ValueError("this MLP run has no label-noise members (run_mlp(..., label_noise=True))")
    tr = run.train
    ep = tr.epochs
    groups = [run.noise_group(p) for p in run.noise]
    curves = {f: [run.mean(f, grp) for grp in groups] for f in ("weight_alignment_total", "grad_alignment_total")}
    peaked = {f: [has_peaked(c) for c in cs] for f, cs in curves.items()}
    out: dict[str, Any] = {
        "noise_levels": list(run.noise),
        "noise_epochs": float(ep[-1]),
        "noise_final_weight_alignment": [float(c[-1]) for c in curves["weight_alignment_total"]],
        "noise_final_grad_alignment": [float(c[-1]) for c in curves["grad_alignment_total"]],
        "noise_final_train_error": [float(run.mean("train_error", grp)[-1]) for grp in groups],
        "noise_peak_epochs_weight_alignment": [float(ep[np.argmax(c)]) for c in curves["weight_alignment_total"]],
        "noise_peak_epochs_grad_alignment": [float(ep[np.argmax(c)]) for c in curves["grad_alignment_total"]],
        "noise_weight_alignment_peaked": peaked["weight_alignment_total"],
        "noise_grad_alignment_peaked": peaked["grad_alignment_total"],
        # D6/D7 compare alignment after memorisation: only once every curve has turned down
        "noise_weight_alignment_after_peak": [float(c[-1]) for c in curves["weight_alignment_total"]]
        if all(peaked["weight_alignment_total"]) else None,
        "noise_grad_alignment_after_peak": [float(c[-1]) for c in curves["grad_alignment_total"]]
        if all(peaked["grad_alignment_total"]) else None,
    }
    # memorisation: the error on the corrupted labels, against those labels (1 = none fitted, 0 = all)
    noisy = [p for p in run.noise if p > 0]
    ce = [run.mean("corrupt_error", run.noise_group(p)) for p in noisy]
    mem_epochs = [crossing_time(ep, c, 1.0 - MEMORISED_FRACTION, above=False) for c in ce]
    out["noise_memorised_fraction_final"] = [float(1.0 - c[-1]) for c in ce]
    out["noise_memorisation_epochs"] = mem_epochs
    top = curves["grad_alignment_total"][-1]
    out["noise_max_peak_epoch"] = float(ep[np.argmax(top)])
    out["noise_max_memorisation_epoch"] = mem_epochs[-1]
    out["noise_max_align_then_memorise_ratio"] = out["noise_max_peak_epoch"] / mem_epochs[-1]
    out["noise_max_alignment_drop_after_peak"] = float(top.max() - top[-1])
    return out


# ---------------------------------------------------------------------------------------
# CNN

#: Members of the CNN ensemble: DFA with dense random feedback, DFA with feedback aligned to the convolutions, BP.
CNN_MEMBERS = ("dfa_random", "dfa_aligned", "bp")


@dataclass(frozen=True)
class CNNRun:
    """A small CNN trained from one initialisation by each of :data:`CNN_MEMBERS` (member order)."""

    train: TrainedEnsemble

    def member(self, name: str) -> int:
        return CNN_MEMBERS.index(name)


def run_cnn(cfg: DFAConfig, data: ImageData) -> CNNRun:
    C, H, W = data.x_train.shape[1:]
    n_classes = int(data.y_test.max()) + 1
    n_conv = cfg.cnn_conv_layers
    feat = cfg.cnn_channels * H * W
    B_random = uniform_feedback([feat] * n_conv, n_classes, seed=cfg.feedback_seed)
    E = len(CNN_MEMBERS)
    with limit_threads(cfg.threads):
        model = CNNEnsemble((C, H, W), cfg.cnn_channels, n_conv, n_classes, torch.tensor([True, True, False]),
                            [B[None].expand(E, -1, -1).clone() for B in B_random], activation=cfg.mlp_activation,
                            member_seeds=[0] * E, seed=cfg.seed)
        norms = [float(B.norm(dim=0).mean()) for B in B_random]  # the random feedback's column norms
        align_member(model, CNN_MEMBERS.index("dfa_aligned"), norms)
        y = torch.from_numpy(np.stack([data.y_train] * E))
        train = train_ensemble(
            model, data.x_train, y, data.x_test, data.y_test, task="classification", lr=cfg.mlp_lr,
            batch_size=cfg.batch_size, epochs=cfg.cnn_epochs, order_seeds=[0] * E, n_evals=max(5, cfg.n_evals // 2),
            align_batch=min(cfg.align_batch, 128), checkpoint=checkpoint_file(cfg.checkpoint_dir, "cnn"),
            desc="CNN DFA/aligned DFA/BP", device=cfg.device,
        )
    return CNNRun(train)


def cnn_metrics(cnn: CNNRun, mlp: MLPRun) -> dict[str, Any]:
    """CNN vs MLP gradient alignment after the same number of epochs (the CNN's budget); aligned vs random feedback."""
    tr = cnn.train
    ep = float(tr.epochs[-1])
    mlp_curve = mlp.mean("grad_alignment", "dfa").mean(-1)  # mean over seeds and hidden layers, (n,)
    pos = mlp.train.epochs > 0
    mlp_ga = float(np.interp(np.log(ep), np.log(mlp.train.epochs[pos]), mlp_curve[pos]))
    r, a, b = (cnn.member(n) for n in CNN_MEMBERS)
    ga = tr.grad_alignment[:, -1].mean(-1)  # (E,) mean over conv layers
    err = tr.test_error[:, -1]
    return {
        "cnn_epochs": ep,
        "cnn_dfa_final_grad_alignment_per_layer": tr.grad_alignment[r, -1],
        "cnn_dfa_final_grad_alignment": float(ga[r]),
        "cnn_dfa_max_grad_alignment": float(tr.grad_alignment[r].mean(-1).max()),
        "mlp_dfa_layer_mean_grad_alignment_at_cnn_epochs": mlp_ga,
        "cnn_over_mlp_grad_alignment_ratio": float(ga[r]) / mlp_ga,
        "cnn_aligned_initial_grad_alignment": float(tr.grad_alignment[a, 0].mean()),
        "cnn_aligned_final_grad_alignment_per_layer": tr.grad_alignment[a, -1],
        "cnn_aligned_final_grad_alignment": float(ga[a]),
        "cnn_aligned_minus_random_grad_alignment": float(ga[a] - ga[r]),
        "cnn_dfa_final_test_error": float(err[r]),
        "cnn_aligned_final_test_error": float(err[a]),
        "cnn_bp_final_test_error": float(err[b]),
        "cnn_test_error_gap_dfa_minus_bp": float(err[r] - err[b]),
        "cnn_test_error_gap_random_minus_aligned": float(err[r] - err[a]),
    }
