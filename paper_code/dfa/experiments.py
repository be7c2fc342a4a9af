"""The paper's experiments, one function per figure, each returning data and metrics.

Every ``run_*`` takes the resolved :class:`~paper_code.dfa.config.DFAConfig` and
returns a small frozen dataclass; every ``*_metrics`` turns it into the plain numbers
written to ``metrics/dfa_alignment.json`` and checked by :mod:`paper_code.dfa.claims`.
Figures are drawn by :mod:`paper_code.dfa.figures`. Figure ids follow the brief's table
(S1, S2, L1, D1-D3, C1); the paper's own numbering could not be verified.
"""
from __future__ import annotations

import contextlib
import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from scipy.stats import spearmanr

from paper_code.dfa.config import DFAConfig
from paper_code.dfa.deep import CNNEnsemble, MLPEnsemble, TrainedEnsemble, cross_seed_cosine, downsample_images, \
    noisy_labels, train_ensemble
from paper_code.dfa.deep_linear import alignment_matrices, alpha_beta_covariance, bp_brackets, condition_number
from paper_code.dfa.feedback import pairwise_cosine, uniform_feedback
from paper_code.dfa.shallow import ODEResult, ShallowRun, ShallowSetup, integrate_ode, train_shallow

__all__ = [
    "torch_threads",
    "ShallowResult",
    "run_shallow",
    "shallow_metrics",
    "LinearZeroInit",
    "run_linear_zero_init",
    "linear_zero_metrics",
    "DeepLinearRun",
    "run_deep_linear",
    "deep_linear_metrics",
    "ImageData",
    "load_images",
    "MLPRun",
    "run_mlp",
    "mlp_metrics",
    "CNNRun",
    "run_cnn",
    "cnn_metrics",
    "first_crossing",
    "onset_time",
]

log = logging.getLogger(__name__)


@contextlib.contextmanager
def torch_threads(n: int):
    """Run a block with ``n`` torch CPU threads, restoring the previous setting after."""
    old = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(old)


def first_crossing(t: np.ndarray, y: np.ndarray, level: float, *, above: bool = True) -> float:
    """First time y reaches ``level`` (from below if ``above``, else from above); NaN if never."""
    hit = y >= level if above else y <= level
    return float(t[np.argmax(hit)]) if hit.any() else float("nan")


def onset_time(t: np.ndarray, y: np.ndarray, fraction: float = 0.5) -> float:
    """When y first rises to ``fraction`` of the way from y(0) to max(y), interpolated in log t (t > 0).

    The alignment-phase onset of one layer: y is an alignment curve on log-spaced times.
    """
    y0, top = float(y[0]), float(np.max(y))
    if top <= y0:
        return float("nan")
    level = y0 + fraction * (top - y0)
    i = int(np.argmax(y >= level))
    if i == 0:
        return float(t[0])
    lt = np.log(np.maximum(t[i - 1 : i + 1], 1e-12))
    w = (level - y[i - 1]) / (y[i] - y[i - 1])
    return float(np.exp(lt[0] + w * (lt[1] - lt[0])))


# ---------------------------------------------------------------------------------------
# Figures 1-2 (brief S1, S2): shallow networks, simulation vs ODE, degeneracy breaking


@dataclass(frozen=True)
class ShallowResult:
    """The shallow simulation (S DFA then S BP members) and the ODEs from the same initial conditions."""

    sim: ShallowRun
    ode: ODEResult

    @property
    def n_seeds(self) -> int:
        return int(self.sim.dfa.sum())

    def curves(self, source: str, quantity: str, method: str) -> np.ndarray:
        """Seed-mean curve (n,) of ``quantity`` ('eg' | 'alignment') for ``method`` ('dfa' | 'bp')."""
        sel = self.sim.dfa if method == "dfa" else ~self.sim.dfa
        if source == "sim":
            data = self.sim.eg if quantity == "eg" else self.sim.alignment
        else:
            data = self.ode.eg if quantity == "eg" else self.ode.alignment(self.sim.b)
        return data[sel].mean(0)


def shallow_setup(cfg: DFAConfig) -> ShallowSetup:
    return ShallowSetup(
        N=cfg.shallow_n, K=cfg.shallow_k, M=cfg.shallow_m, lr=cfg.shallow_lr, w0_std=cfg.shallow_init_std,
        v0_std=cfg.shallow_init_std, t_max=cfg.shallow_t_max, eval_dt=cfg.shallow_eval_dt, n_seeds=cfg.shallow_seeds,
        seed=cfg.seed, feedback_seed=cfg.feedback_seed,
    )


def run_shallow(cfg: DFAConfig) -> ShallowResult:
    with torch_threads(cfg.threads):
        sim = train_shallow(shallow_setup(cfg))
    ode = integrate_ode(
        sim.Q[:, 0], sim.R[:, 0], sim.v[:, 0], sim.T, sim.A, sim.b, sim.dfa, lr=cfg.shallow_lr,
        t_max=cfg.shallow_t_max, dt=cfg.ode_dt, record_every=cfg.shallow_eval_dt,
    )
    return ShallowResult(sim, ode)


def shallow_metrics(res: ShallowResult) -> dict[str, Any]:
    sim, t = res.sim, res.sim.t
    a_dfa = res.curves("sim", "alignment", "dfa")
    eg_dfa, eg_bp = res.curves("sim", "eg", "dfa"), res.curves("sim", "eg", "bp")
    i_peak = int(np.argmax(a_dfa))
    t_drop = first_crossing(t, eg_dfa, 0.1 * eg_dfa[0], above=False)  # error below 10% of its initial value
    al = sim.alignment
    bp = ~sim.dfa
    n_ode = min(t.size, res.ode.t.size)
    d_align = max(
        np.abs(res.curves("sim", "alignment", m)[:n_ode] - res.curves("ode", "alignment", m)[:n_ode]).max()
        for m in ("dfa", "bp")
    )
    d_eg = max(  # relative to the initial error
        np.abs(res.curves("sim", "eg", m)[:n_ode] - res.curves("ode", "eg", m)[:n_ode]).max()
        / res.curves("sim", "eg", m)[0]
        for m in ("dfa", "bp")
    )
    v_final = sim.v[:, -1]
    tol = 2.0 / math.sqrt(sim.setup.N)  # twice the O(1/sqrt N) finite-size fluctuations
    return {
        "shallow_n": sim.setup.N,
        "shallow_dfa_peak_alignment": float(a_dfa[i_peak]),
        "shallow_dfa_peak_time": float(t[i_peak]),
        "shallow_dfa_error_drop_time": t_drop,  # e_g <= 0.1 e_g(0)
        "shallow_peak_before_drop_ratio": float(t[i_peak] / t_drop) if math.isfinite(t_drop) else float("nan"),
        "shallow_dfa_alignment_dip": float(a_dfa[i_peak] - a_dfa[i_peak:].min()),
        "shallow_dfa_final_alignment": float(a_dfa[-1]),
        "shallow_bp_initial_alignment_per_seed": al[bp, 0],
        "shallow_bp_final_alignment_per_seed": al[bp, -1],
        "shallow_bp_alignment_gain": float((al[bp, -1] - al[bp, 0]).mean()),
        "shallow_dfa_final_eg": float(eg_dfa[-1]),
        "shallow_bp_final_eg": float(eg_bp[-1]),
        "shallow_final_eg_ratio_dfa_over_bp": float(eg_dfa[-1] / eg_bp[-1]),
        "shallow_ode_max_abs_diff_alignment": float(d_align),
        "shallow_ode_max_rel_diff_eg": float(d_eg),
        "shallow_finite_n_tolerance": tol,
        "shallow_ode_alignment_diff_over_tolerance": float(d_align / tol),
        "shallow_ode_eg_diff_over_tolerance": float(d_eg / tol),
        "shallow_dfa_pairwise_cos_v": pairwise_cosine(torch.from_numpy(v_final[sim.dfa])),
        "shallow_bp_pairwise_cos_v": pairwise_cosine(torch.from_numpy(v_final[bp])),
        "shallow_pairwise_cos_gap_dfa_minus_bp": pairwise_cosine(torch.from_numpy(v_final[sim.dfa]))
        - pairwise_cosine(torch.from_numpy(v_final[bp])),
        "shallow_b": sim.b,
    }


@dataclass(frozen=True)
class LinearZeroInit:
    """Linear two-layer students from W = 0, v = 0 (brief section 2, exact statement): DFA and BP members."""

    run: ShallowRun

    @property
    def dfa_alignment(self) -> np.ndarray:
        """cos(v, b) of the DFA members after the first step (v = 0 before); (S, n-1)."""
        return self.run.alignment[self.run.dfa, 1:]


def run_linear_zero_init(cfg: DFAConfig) -> LinearZeroInit:
    setup = ShallowSetup(
        N=cfg.linear_n, K=cfg.shallow_k, M=cfg.shallow_m, lr=cfg.shallow_lr, activation="linear", w0_std=0.0,
        v0_std=0.0, t_max=cfg.linear_t_max, eval_dt=cfg.linear_t_max / 50, n_seeds=2, seed=cfg.seed + 1,
        feedback_seed=cfg.feedback_seed,
    )
    with torch_threads(cfg.threads):
        return LinearZeroInit(train_shallow(setup))


def linear_zero_metrics(res: LinearZeroInit) -> dict[str, Any]:
    r = res.run
    bp = ~r.dfa
    return {
        "linear_dfa_max_misalignment": float((1.0 - res.dfa_alignment).max()),  # 1 - min_t cos(v, b)
        "linear_dfa_final_v_norm": float(np.linalg.norm(r.v[r.dfa, -1], axis=-1).min()),
        "linear_bp_max_weight": float(max(np.abs(r.v[bp]).max(), np.abs(r.Q[bp]).max())),
        "linear_dfa_final_eg": float(r.eg[r.dfa, -1].mean()),
    }


# ---------------------------------------------------------------------------------------
# Figure 3 (brief L1): deep linear networks, alignment matrices vs conditioning


@dataclass(frozen=True)
class DeepLinearRun:
    """The alpha-beta grid (G points x seeds), trained by DFA from zero weights.

    Fields: grid (G, 2) (alpha, beta); seed_of (E,), point_of (E,) per member; train
    (TrainedEnsemble); residual (L, E) relative residual of the factorised form;
    cond_target (G,); cond_bracket (L-1, E) condition numbers of M_l; feedback.
    """

    grid: np.ndarray
    point_of: np.ndarray
    seed_of: np.ndarray
    train: TrainedEnsemble
    residual: np.ndarray
    cond_target: np.ndarray
    cond_bracket: np.ndarray

    def per_point(self, values: np.ndarray) -> np.ndarray:
        """Average a per-member array (E, ...) over the seeds of each grid point -> (G, ...)."""
        return np.stack([values[self.point_of == g].mean(0) for g in range(len(self.grid))])


def run_deep_linear(cfg: DFAConfig) -> DeepLinearRun:
    grid = np.array([(a, b) for a in cfg.lin_alphas for b in cfg.lin_betas])
    G, S = len(grid), cfg.lin_seeds
    point_of, seed_of = np.repeat(np.arange(G), S), np.tile(np.arange(S), G)
    dt = torch.float64  # the factorised form is exact: check it to float64 precision
    xs, ys = [], []
    for s in range(S):  # common random numbers: every grid point of seed s shares x and the noise z
        g = torch.Generator().manual_seed(int(np.random.SeedSequence([cfg.seed, 23, s]).generate_state(1)[0]))
        xs.append(torch.randn(cfg.lin_samples, cfg.lin_d, generator=g, dtype=dt))
        z = torch.randn(cfg.lin_samples, 2, generator=g, dtype=dt)
        ys.append([z @ torch.linalg.cholesky(torch.tensor(alpha_beta_covariance(a, b), dtype=dt)).T for a, b in grid])
    sizes = [cfg.lin_d] + [cfg.lin_width] * (cfg.lin_layers - 1) + [2]
    B = uniform_feedback(sizes[1:-1], 2, seed=cfg.feedback_seed, dtype=dt)
    runs = []  # one ensemble per seed (the seeds have their own inputs), all grid points as members
    with torch_threads(cfg.threads):
        for s in range(S):
            model = MLPEnsemble(sizes, torch.ones(G, dtype=torch.bool), B, activation="linear", init="zero", dtype=dt)
            y = torch.stack(ys[s])  # (G, n, 2)
            runs.append(train_ensemble(
                model, xs[s], y, xs[s], y, task="regression", lr=cfg.lin_lr, batch_size=cfg.batch_size,
                epochs=cfg.lin_epochs, order_seeds=[cfg.seed + s] * G, n_evals=cfg.n_evals,
                align_batch=cfg.align_batch, desc=f"deep linear seed {s}",
            ))
    order = np.array([s * G + g for g in range(G) for s in range(S)])  # seed-major -> point-major members
    train = _concat_runs(runs, order)
    residual, cond_m = [], []
    for r in runs:
        A, res = alignment_matrices(list(r.model.weights), B)
        residual.append(torch.stack(res).numpy())
        cond_m.append(np.stack([condition_number(M.numpy()) for M in bp_brackets(A, B)]))
    residual_arr = np.concatenate(residual, axis=1)[:, order]
    cond_arr = np.concatenate(cond_m, axis=1)[:, order]
    cond_t = np.array([condition_number(alpha_beta_covariance(a, b)) for a, b in grid])
    return DeepLinearRun(grid, point_of, seed_of, train, residual_arr, cond_t, cond_arr)


def _concat_runs(runs: list[TrainedEnsemble], order: np.ndarray) -> TrainedEnsemble:
    """Members of several ensembles (same evaluation grid) as one, reordered by ``order``."""
    if len(runs) == 1:
        return runs[0]
    cat = lambda name: np.concatenate([getattr(r, name) for r in runs], 0)[order]  # noqa: E731
    return TrainedEnsemble(
        epochs=runs[0].epochs, train_error=cat("train_error"), test_error=cat("test_error"),
        weight_alignment=cat("weight_alignment"), weight_alignment_total=cat("weight_alignment_total"),
        grad_alignment=cat("grad_alignment"), grad_alignment_total=cat("grad_alignment_total"),
        model=runs[0].model, wall_time_s=sum(r.wall_time_s for r in runs), cross_seed={},
    )


def deep_linear_metrics(run: DeepLinearRun) -> dict[str, Any]:
    tr = run.train
    wa = run.per_point(tr.weight_alignment_total[:, -1])  # (G,)
    ga = run.per_point(tr.grad_alignment_total[:, -1])
    ga1 = tr.grad_alignment[:, -1, 0]  # first hidden layer, per member
    i_id = int(np.flatnonzero((run.grid[:, 0] == 1.0) & (run.grid[:, 1] == 1.0))[0])
    rho_target = spearmanr(np.log(run.cond_target), wa).statistic
    rho_bracket = spearmanr(np.log(run.cond_bracket[0]), ga1).statistic
    return {
        "lin_max_factorisation_residual": float(run.residual.max()),
        "lin_final_weight_alignment": wa,
        "lin_final_grad_alignment": ga,
        "lin_cond_target": run.cond_target,
        "lin_weight_alignment_identity_target": float(wa[i_id]),
        "lin_grad_alignment_identity_target": float(ga[i_id]),
        "lin_spearman_cond_target_vs_weight_alignment": float(rho_target),
        "lin_spearman_cond_bracket_vs_grad_alignment": float(rho_bracket),
        "lin_epochs": float(tr.epochs[-1]),
    }


# ---------------------------------------------------------------------------------------
# Figures 4-7 (brief D1-D3, C1): MLPs and a CNN on MNIST


@dataclass(frozen=True)
class ImageData:
    """Standardised images: x_train (n, C, H, W) float32, labels y_train (n,), x_test, y_test, source name."""

    x_train: torch.Tensor
    y_train: np.ndarray
    x_test: torch.Tensor
    y_test: torch.Tensor
    name: str


def load_images(cfg: DFAConfig) -> ImageData:
    """The MNIST subset, average-pooled (14x14 by default) and standardised with the training mean/std."""
    from paper_code.data import load_mnist_subset

    ds = load_mnist_subset()
    train, test = ds.train_test_split(1.0 - cfg.train_images / len(ds), seed=cfg.seed)
    xtr = downsample_images(train.images, cfg.image_downsample)
    xte = downsample_images(test.images, cfg.image_downsample)
    mu, sd = float(xtr.mean()), float(xtr.std())
    log.info("images: %d train / %d test at %dx%d from %s", len(train), len(test), xtr.shape[-2], xtr.shape[-1], ds.source)
    return ImageData(
        torch.from_numpy((xtr - mu) / sd).float(), train.labels, torch.from_numpy((xte - mu) / sd).float(),
        torch.from_numpy(test.labels),
        f"MNIST subset ({len(train)} train / {len(test)} test, {xtr.shape[-1]}x{xtr.shape[-1]})",
    )


@dataclass(frozen=True)
class MLPRun:
    """One ensemble: DFA seeds, BP seeds (both clean labels) and DFA at each non-zero noise level.

    ``groups`` maps 'dfa', 'bp', 'dfa_p<noise>' to member indices; 'dfa' is also noise 0.
    """

    train: TrainedEnsemble
    groups: dict[str, np.ndarray]
    noise: tuple[float, ...]

    def mean(self, field: str, group: str) -> np.ndarray:
        return getattr(self.train, field)[self.groups[group]].mean(0)

    def noise_group(self, p: float) -> str:
        return "dfa" if p == 0 else f"dfa_p{p:g}"


def run_mlp(cfg: DFAConfig, data: ImageData) -> MLPRun:
    S, Sn = cfg.mlp_seeds, cfg.noise_seeds
    noisy = [p for p in cfg.label_noise if p > 0]
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
    x = data.x_train.flatten(1)
    sizes = [x.shape[1]] + [cfg.mlp_width] * (cfg.mlp_layers - 1) + [n_classes]
    B = uniform_feedback(sizes[1:-1], n_classes, seed=cfg.feedback_seed)
    with torch_threads(cfg.threads):
        model = MLPEnsemble(sizes, torch.tensor(dfa), B, activation=cfg.mlp_activation, member_seeds=seeds,
                            seed=cfg.seed)
        train = train_ensemble(
            model, x, torch.from_numpy(np.stack(labels)), data.x_test.flatten(1), data.y_test, task="classification",
            lr=cfg.mlp_lr, batch_size=cfg.batch_size, epochs=cfg.mlp_epochs, order_seeds=seeds, n_evals=cfg.n_evals,
            align_batch=cfg.align_batch, cross_seed_groups={"dfa": groups["dfa"], "bp": groups["bp"]},
            desc="MLP DFA/BP",
        )
    return MLPRun(train, groups, tuple(cfg.label_noise))


def mlp_metrics(run: MLPRun) -> dict[str, Any]:
    tr, g = run.train, run.groups
    ep = tr.epochs
    fin = lambda field, grp: float(getattr(tr, field)[g[grp], -1].mean())  # noqa: E731
    n_hidden = tr.grad_alignment.shape[-1]
    layer_curves = [run.mean("grad_alignment", "dfa")[:, l] for l in range(n_hidden)]
    model = tr.model
    layers = range(len(model.weights))
    out: dict[str, Any] = {
        "mlp_epochs": float(ep[-1]),
        "mlp_dfa_final_train_error": fin("train_error", "dfa"),
        "mlp_bp_final_train_error": fin("train_error", "bp"),
        "mlp_dfa_final_test_error": fin("test_error", "dfa"),
        "mlp_bp_final_test_error": fin("test_error", "bp"),
        "mlp_dfa_final_weight_alignment": fin("weight_alignment_total", "dfa"),
        "mlp_bp_final_weight_alignment": fin("weight_alignment_total", "bp"),
        "mlp_dfa_final_grad_alignment": fin("grad_alignment_total", "dfa"),
        "mlp_bp_final_grad_alignment": fin("grad_alignment_total", "bp"),
        "mlp_dfa_final_grad_alignment_per_layer": tr.grad_alignment[g["dfa"], -1].mean(0),
        "mlp_dfa_final_weight_alignment_per_layer": tr.weight_alignment[g["dfa"], -1].mean(0),
        "mlp_dfa_cross_seed_cosine": cross_seed_cosine(model, g["dfa"]),
        "mlp_bp_cross_seed_cosine": cross_seed_cosine(model, g["bp"]),
        "mlp_dfa_cross_seed_cosine_per_layer": [cross_seed_cosine(model, g["dfa"], [l]) for l in layers],
        "mlp_bp_cross_seed_cosine_per_layer": [cross_seed_cosine(model, g["bp"], [l]) for l in layers],
        # layer by layer (D2): onset = half-way to the layer's maximum, interpolated in log epochs
        "mlp_layer_onset_epochs": [onset_time(ep[1:], c[1:]) for c in layer_curves],
        "mlp_layer_peak_epochs": [float(ep[int(np.argmax(c))]) for c in layer_curves],
        # label noise (D3), p = 0 is the clean DFA group
        "noise_levels": list(run.noise),
        "noise_final_weight_alignment": [fin("weight_alignment_total", run.noise_group(p)) for p in run.noise],
        "noise_final_grad_alignment": [fin("grad_alignment_total", run.noise_group(p)) for p in run.noise],
        "noise_final_train_error": [fin("train_error", run.noise_group(p)) for p in run.noise],
    }
    pairs = (("weight_alignment_gap", "final_weight_alignment"), ("grad_alignment_gap", "final_grad_alignment"),
             ("cross_seed_gap", "cross_seed_cosine"))
    for gap, name in pairs:
        out[f"mlp_{gap}_dfa_minus_bp"] = out[f"mlp_dfa_{name}"] - out[f"mlp_bp_{name}"]
    return out


@dataclass(frozen=True)
class CNNRun:
    """A small CNN trained by DFA (member 0) and by BP (member 1) from the same initialisation."""

    train: TrainedEnsemble


def run_cnn(cfg: DFAConfig, data: ImageData) -> CNNRun:
    C, H, W = data.x_train.shape[1:]
    n_classes = int(data.y_test.max()) + 1
    feat = cfg.cnn_channels * H * W
    B = uniform_feedback([feat] * cfg.cnn_conv_layers, n_classes, seed=cfg.feedback_seed)
    with torch_threads(cfg.threads):
        model = CNNEnsemble((C, H, W), cfg.cnn_channels, cfg.cnn_conv_layers, n_classes, torch.tensor([True, False]),
                            B, activation=cfg.mlp_activation, member_seeds=[0, 0], seed=cfg.seed)
        y = torch.from_numpy(np.stack([data.y_train] * 2))
        train = train_ensemble(
            model, data.x_train, y, data.x_test, data.y_test, task="classification", lr=cfg.mlp_lr,
            batch_size=cfg.batch_size, epochs=cfg.cnn_epochs, order_seeds=[0, 0], n_evals=max(5, cfg.n_evals // 2),
            align_batch=min(cfg.align_batch, 128), desc="CNN DFA/BP",
        )
    return CNNRun(train)


def cnn_metrics(cnn: CNNRun, mlp: MLPRun) -> dict[str, Any]:
    """CNN vs MLP gradient alignment after the same number of epochs (the CNN's budget)."""
    tr = cnn.train
    ep = float(tr.epochs[-1])
    mlp_curve = mlp.mean("grad_alignment", "dfa").mean(-1)  # mean over seeds and hidden layers, (n,)
    pos = mlp.train.epochs > 0
    mlp_ga = float(np.interp(np.log(ep), np.log(mlp.train.epochs[pos]), mlp_curve[pos]))
    cnn_ga = float(tr.grad_alignment[0, -1].mean())  # DFA member, mean over conv layers
    return {
        "cnn_epochs": float(tr.epochs[-1]),
        "cnn_dfa_final_grad_alignment_per_layer": tr.grad_alignment[0, -1],
        "cnn_dfa_final_grad_alignment": cnn_ga,
        "cnn_dfa_max_grad_alignment": float(tr.grad_alignment[0].mean(-1).max()),
        "mlp_dfa_layer_mean_grad_alignment_at_cnn_epochs": mlp_ga,
        "cnn_over_mlp_grad_alignment_ratio": cnn_ga / mlp_ga,
        "cnn_dfa_final_test_error": float(tr.test_error[0, -1]),
        "cnn_bp_final_test_error": float(tr.test_error[1, -1]),
        "cnn_test_error_gap_dfa_minus_bp": float(tr.test_error[0, -1] - tr.test_error[1, -1]),
    }
