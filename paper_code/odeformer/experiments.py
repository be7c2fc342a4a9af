"""The ODEFormer notebook's experiments: benchmark runs and the metrics its claims check.

Everything is a function of the :class:`~paper_code.odeformer.config.OdeformerConfig` (model, decoding)
and of :data:`EVAL` (what is evaluated at each scale). Protocol: ``shared/papers/odeformer.md`` §5
through :mod:`paper_code.odeformer.benchmark`.

Quick scale (2 CPU cores): ODEBench systems with D <= 2 (51 of 63, the model's range) and the 7 Strogatz
systems, 64 evenly spaced points (the quick model's training length; §3 uses 150 of 512), noise σ in
{0, 0.025, 0.05} and subsampling ρ = 0.5 (the paper's two levels); 100 held-out systems of the training
generator at σ in {0, 0.05} (in-distribution); SINDy with the paper's selection protocol on a
16-setting grid (:data:`~paper_code.odeformer.sindy.QUICK_GRID`) and, as a stronger variant, the same grid
selected on the integrated trajectory (:data:`SINDY_TRAJECTORY_GRID`). The
timing comparison runs the paper's 648-setting SINDy search (:data:`~paper_code.odeformer.sindy.PAPER_GRID`)
and ODEFormer side by side on a few systems.
"""
from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from paper_code.common.paths import REPO_ROOT
from paper_code.odeformer import benchmark as B
from paper_code.odeformer.config import OdeformerConfig
from paper_code.odeformer.inference import OdeformerMethod, candidate_sweep
from paper_code.odeformer.odebench import CHAOTIC_IDS, ODEBENCH, STROGATZ, ODESystem
from paper_code.odeformer.sindy import PAPER_GRID, QUICK_GRID, SINDyGrid

__all__ = ["EvalSettings", "EVAL", "SINDY_TRAJECTORY_GRID", "CheckpointMissingError", "load_method", "training_stats",
           "sindy_methods", "METHOD_KEYS", "evaluation_systems", "benchmark_tasks", "run_main", "run_candidate_sweep",
           "PerturbedTruthMethod", "run_chaotic", "run_timing", "GeneratedSystem", "held_out_systems",
           "run_in_distribution", "main_metrics", "sweep_metrics", "chaotic_metrics", "timing_metrics",
           "in_distribution_metrics", "bootstrap_retention_diff", "pretty", "example_systems", "example_predictions"]


#: The same 16 settings as :data:`~paper_code.odeformer.sindy.QUICK_GRID` (the paper's protocol: finite
#: differences of order 2 or 4, optional Savitzky-Golay smoothing over 15 points, polynomial degree 2-3,
#: two STLSQ thresholds, selection by derivative R² on the last 30 %), but selected by the R² of the
#: integrated trajectory on the whole observation (the brief's §3 protocol): a stronger SINDy.
SINDY_TRAJECTORY_GRID = dataclasses.replace(QUICK_GRID, selection="trajectory", eval_fraction=0.0)


@dataclasses.dataclass(frozen=True)
class EvalSettings:
    """What the notebook evaluates (per scale)."""

    n_points: int                          # evenly spaced points of each reference grid
    noise_levels: tuple[float, ...]        # σ, at ρ = 0
    subsample_fractions: tuple[float, ...]  # ρ > 0, at σ = 0
    max_dim: int | None                    # largest D evaluated (None: all)
    sweep_ks: tuple[int, ...]              # candidates for the best-of-k sweep (max <= n_candidates)
    sindy_grid: SINDyGrid                  # "SINDy": the paper's selection protocol
    sindy_variant_grid: SINDyGrid | None   # "SINDy (trajectory selection)"; None: not run
    timing_grid: SINDyGrid                 # the SINDy search timed against ODEFormer
    timing_systems: int                    # systems in the timing comparison
    in_distribution_systems: int = 100     # held-out generated systems
    perturbation: float = 0.01             # relative constant error of the "truth ± 1 %" probe
    seed: int = 0


EVAL: dict[str, EvalSettings] = {
    "quick": EvalSettings(n_points=64, noise_levels=(0.0, 0.025, 0.05), subsample_fractions=(0.5,),
                          max_dim=2, sweep_ks=(1, 2, 4, 8, 16), sindy_grid=QUICK_GRID,
                          sindy_variant_grid=SINDY_TRAJECTORY_GRID, timing_grid=PAPER_GRID, timing_systems=4),
    "paper": EvalSettings(n_points=150, noise_levels=(0.0, 0.01, 0.02, 0.03, 0.04, 0.05),
                          subsample_fractions=(0.25, 0.5), max_dim=None, sweep_ks=(1, 2, 5, 10, 20, 50),
                          sindy_grid=PAPER_GRID, sindy_variant_grid=SINDY_TRAJECTORY_GRID,
                          timing_grid=PAPER_GRID, timing_systems=20, in_distribution_systems=500),
}


class CheckpointMissingError(FileNotFoundError):
    """The trained model is not on disk."""


def load_method(cfg: OdeformerConfig, checkpoint: str | Path | None = None, **kw: Any) -> OdeformerMethod:
    """The trained model wrapped as a benchmark method with the config's decoding settings."""
    from paper_code.odeformer.train import load_model

    path = Path(checkpoint or cfg.checkpoint_path)
    if not path.is_absolute():
        path = REPO_ROOT / path
    if not path.exists():
        raise CheckpointMissingError(
            f"no ODEFormer checkpoint at {path}. Restore the trained model with `dvc pull "
            f"{cfg.checkpoint_path}` (offline, from the in-repo store dvc-store/), or train it with "
            "`dvc repro train_odeformer` (about 45 min on 2 cores at quick scale)")
    try:
        model, vocabs = load_model(path, cfg)
    except RuntimeError as err:  # size mismatch: a checkpoint of another scale
        raise CheckpointMissingError(
            f"{path} does not match the {cfg.d_model}-wide, {cfg.enc_layers}+{cfg.dec_layers}-layer model of "
            f"this config (was it trained at another scale?): {str(err).splitlines()[0]}") from err
    opts = dict(n_candidates=cfg.n_candidates, temperature=cfg.temperature, beam_size=cfg.beam_size,
                max_bag=cfg.max_bag, seed=cfg.seed)
    opts.update(kw)
    return OdeformerMethod(model, vocabs, **opts)


def training_stats(cfg: OdeformerConfig) -> dict[str, Any]:
    """The training run's figures (parameters, steps, samples/s, minutes, final loss, generation rate), read
    from the stats file the training stage writes next to the checkpoint."""
    import json

    from paper_code.odeformer.train import stats_path

    path = Path(cfg.checkpoint_path)
    stats = json.loads(stats_path(path if path.is_absolute() else REPO_ROOT / path).read_text())
    return {"train_n_params": stats["n_params"], "train_steps": stats["steps"],
            "train_samples_per_s": stats["samples_per_s"], "train_minutes": stats["wall_time_s"] / 60,
            "train_final_loss": stats["final_loss_mean_last10"],
            "generation_examples_per_s": stats["generation_examples_per_s"]}


# --------------------------------------------------------------------------- tasks
def evaluation_systems(ev: EvalSettings) -> list[ODESystem]:
    """ODEBench (D <= max_dim) then Strogatz."""
    return [s for s in (*ODEBENCH, *STROGATZ) if ev.max_dim is None or s.dim <= ev.max_dim]


def benchmark_tasks(ev: EvalSettings, systems: Sequence[ODESystem] | None = None) -> list[B.Task]:
    """Noise sweep at ρ = 0 plus subsampling sweep at σ = 0 (the clean task is shared)."""
    systems = evaluation_systems(ev) if systems is None else list(systems)
    tasks = B.prepare_tasks(systems, ev.noise_levels, (0.0,), ev.n_points, ev.seed)
    if ev.subsample_fractions:
        tasks += B.prepare_tasks(systems, (0.0,), ev.subsample_fractions, ev.n_points, ev.seed)
    return tasks


def run_main(methods: Sequence[B.Method], tasks: Sequence[B.Task], progress: bool = False) -> pd.DataFrame:
    """Every method on every task; adds a ``benchmark`` column (ODEBench / Strogatz)."""
    res = B.run_benchmark(methods, tasks, progress=progress)
    res["benchmark"] = np.where(res["source"] == "ODEBench", "ODEBench", "Strogatz")
    return res


def run_candidate_sweep(method: OdeformerMethod, tasks: Sequence[B.Task], ks: Sequence[int],
                        progress: bool = False) -> pd.DataFrame:
    """Best-of-first-k accuracies on the clean ODEBench tasks, plus greedy decoding (``k = 0``)."""
    clean = [t for t in tasks if t.noise == 0 and t.subsample == 0 and t.system.source == "ODEBench"]
    sweep = candidate_sweep(dataclasses.replace(method, n_candidates=max(ks)), clean, ks, progress)
    greedy = dataclasses.replace(method, temperature=0.0, n_candidates=1, name="greedy")
    g = B.run_benchmark([greedy], clean, progress=progress)
    g = pd.DataFrame({"system": g["system"], "noise": g["noise"], "k": 0,
                      "r2_reconstruction": g["r2_reconstruction"], "r2_generalization": g["r2_generalization"]})
    return pd.concat([g, sweep], ignore_index=True)


@dataclasses.dataclass
class PerturbedTruthMethod(B.OracleMethod):
    """The oracle with every constant of the true equations multiplied by ``1 + rel·ε``, ``ε ~ N(0, 1)``
    (seeded per system): an almost perfect prediction, to show what trajectory R² does to chaotic systems
    (§3 (iv))."""

    rel: float = 0.01
    seed: int = 0
    name: str = "truth ± 1 %"

    def __post_init__(self) -> None:
        self._by_obs = {t.y_obs.tobytes(): self._perturbed(t.system) for t in self.tasks}

    def _perturbed(self, system: ODESystem) -> tuple:
        rng = np.random.default_rng([self.seed, zlib.crc32(f"{system.source}/{system.id}".encode())])
        return tuple(tr.with_constants(np.asarray(tr.constants()) * (1 + self.rel * rng.standard_normal(
            len(tr.constants())))) for tr in system.trees)


def run_chaotic(ev: EvalSettings, sindy: B.Method, progress: bool = False) -> pd.DataFrame:
    """Clean tasks of every ODEBench system (all dimensions): ``sindy`` and the perturbed truth. Chaotic
    systems need D = 3, beyond the quick model, so ODEFormer is not part of this run at quick scale."""
    tasks = B.prepare_tasks(ODEBENCH, (0.0,), (0.0,), ev.n_points, ev.seed)
    truth = PerturbedTruthMethod(tasks, rel=ev.perturbation, seed=ev.seed)
    return B.run_benchmark([truth, sindy], tasks, progress=progress)


def run_timing(odeformer: OdeformerMethod, ev: EvalSettings, progress: bool = False) -> pd.DataFrame:
    """ODEFormer and SINDy with ``ev.timing_grid`` on the same clean tasks, one after the other."""
    systems = [s for s in ODEBENCH if ev.max_dim is None or s.dim <= ev.max_dim]
    pick = np.linspace(0, len(systems) - 1, ev.timing_systems).round().astype(int)
    tasks = B.prepare_tasks([systems[i] for i in pick], (0.0,), (0.0,), ev.n_points, ev.seed)
    sindy = B.SindyMethod(ev.timing_grid, name=f"SINDy ({ev.timing_grid.n_settings}-setting search)")
    return B.run_benchmark([odeformer, sindy], tasks, progress=progress)


# --------------------------------------------------------------------------- metrics
def _acc(df: pd.DataFrame, col: str = "r2_reconstruction") -> float:
    df = df[df[col].notna()]
    return float((df[col] > B.ACCURACY_THRESHOLD).mean()) if len(df) else float("nan")


def sindy_methods(ev: EvalSettings) -> list[B.SindyMethod]:
    """"SINDy" (paper protocol) and, when configured, "SINDy (trajectory selection)"."""
    out = [B.SindyMethod(ev.sindy_grid, name="SINDy")]
    if ev.sindy_variant_grid is not None:
        out.append(B.SindyMethod(ev.sindy_variant_grid, name="SINDy (trajectory selection)"))
    return out


#: metric-name prefix of each method of the main run
METHOD_KEYS = {"ODEFormer": "odeformer", "SINDy": "sindy", "SINDy (trajectory selection)": "sindy_traj"}


def main_metrics(res: pd.DataFrame, ev: EvalSettings) -> dict[str, Any]:
    """Accuracies per method, benchmark, noise and subsampling; noise retention; dimension/operator trends.
    Metric names start with the method's key in :data:`METHOD_KEYS`."""
    out: dict[str, Any] = {}
    sig_max = max(ev.noise_levels)
    for name in res["method"].unique():
        key = METHOD_KEYS[name]
        m = res[res["method"] == name]
        for bench in ("ODEBench", "Strogatz"):
            b = m[m["benchmark"] == bench]
            clean = b[(b["noise"] == 0) & (b["subsample"] == 0)]
            tag = f"{key}_{bench.lower()}"
            out[f"{tag}_recon_clean"] = _acc(clean)
            out[f"{tag}_gen_clean"] = _acc(clean, "r2_generalization")
            out[f"{tag}_recon_vs_noise"] = [_acc(b[(b["noise"] == s) & (b["subsample"] == 0)])
                                            for s in ev.noise_levels]
            out[f"{tag}_gen_vs_noise"] = [_acc(b[(b["noise"] == s) & (b["subsample"] == 0)], "r2_generalization")
                                          for s in ev.noise_levels]
            out[f"{tag}_recon_vs_subsample"] = [_acc(b[(b["noise"] == 0) & (b["subsample"] == r)])
                                                for r in (0.0, *ev.subsample_fractions)]
            # Reconstruction vs generalisation on the rows that have a generalisation target.
            g = clean[clean["r2_generalization"].notna()]
            out[f"{tag}_recon_on_gen_rows"] = _acc(g)
        ob = m[(m["benchmark"] == "ODEBench") & (m["noise"] == 0) & (m["subsample"] == 0)]
        r0 = _acc(ob)
        rs = _acc(m[(m["benchmark"] == "ODEBench") & (m["noise"] == sig_max) & (m["subsample"] == 0)])
        out[f"{key}_noise_retention"] = rs / r0 if r0 > 0 else float("nan")
        out[f"{key}_recon_by_dim"] = {int(d): _acc(ob[ob["dim"] == d]) for d in sorted(ob["dim"].unique())}
        med = float(ob["n_operators"].median())
        out[f"{key}_recon_few_ops"] = _acc(ob[ob["n_operators"] <= med])
        out[f"{key}_recon_many_ops"] = _acc(ob[ob["n_operators"] > med])
        out[f"{key}_median_inference_s"] = float(m["inference_s"].median())
        out[f"{key}_n_failed"] = int(m["error"].notna().sum())
        out[f"{key}_odebench_recon_mean_over_noise"] = float(np.mean(out[f"{key}_odebench_recon_vs_noise"]))
        out[f"{key}_odebench_gen_mean_over_noise"] = float(np.mean(out[f"{key}_odebench_gen_vs_noise"]))
    out["operator_split_median"] = float(res.loc[res["benchmark"] == "ODEBench", "n_operators"].median())
    out["noise_levels"] = list(ev.noise_levels)
    out["subsample_levels"] = [0.0, *ev.subsample_fractions]
    out["n_odebench_systems"] = int(res.loc[res["benchmark"] == "ODEBench", "system"].nunique())
    out["n_strogatz_systems"] = int(res.loc[res["benchmark"] == "Strogatz", "system"].nunique())
    # Claim inputs.
    out["noise_retention_odeformer_minus_sindy"] = out["odeformer_noise_retention"] - out["sindy_noise_retention"]
    keys = [METHOD_KEYS[n] for n in res["method"].unique()]
    out["gen_below_recon_all_methods"] = all(
        out[f"{k}_odebench_gen_clean"] < out[f"{k}_odebench_recon_on_gen_rows"] for k in keys)
    d = out["odeformer_recon_by_dim"]
    out["odeformer_accuracy_falls_with_dim_and_ops"] = bool(
        d.get(1, 0) > d.get(2, 0) and out["odeformer_recon_few_ops"] > out["odeformer_recon_many_ops"])
    out["odeformer_minus_sindy_recon_at_max_noise"] = (out["odeformer_odebench_recon_vs_noise"][-1]
                                                       - out["sindy_odebench_recon_vs_noise"][-1])
    return out


def sweep_metrics(sweep: pd.DataFrame) -> dict[str, Any]:
    ks = sorted(k for k in sweep["k"].unique() if k > 0)
    acc = {int(k): _acc(sweep[sweep["k"] == k]) for k in ks}
    return {"sweep_ks": [int(k) for k in ks], "sweep_recon": [acc[k] for k in ks],
            "sweep_gen": [_acc(sweep[sweep["k"] == k], "r2_generalization") for k in ks],
            "greedy_recon": _acc(sweep[sweep["k"] == 0]),
            "sweep_gain_max_k_over_1": acc[ks[-1]] - acc[ks[0]]}


def chaotic_metrics(res: pd.DataFrame) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for method, m in res.groupby("method"):
        key = "truth" if method.startswith("truth") else "sindy_all_dims"
        out[f"{key}_recon_chaotic"] = _acc(m[m["chaotic"]])
        out[f"{key}_recon_regular"] = _acc(m[~m["chaotic"]])
        out[f"{key}_chaotic_r2"] = {int(s): float(r) for s, r in m[m["chaotic"]][["system", "r2_reconstruction"]]
                                    .itertuples(index=False)}
    out["chaotic_ids"] = list(CHAOTIC_IDS)
    out["sindy_chaotic_recovered"] = int(round(out["sindy_all_dims_recon_chaotic"] * len(CHAOTIC_IDS)))
    out["truth_regular_minus_chaotic"] = out["truth_recon_regular"] - out["truth_recon_chaotic"]
    return out


def timing_metrics(res: pd.DataFrame, odeformer: str) -> dict[str, Any]:
    t = res.groupby("method")["inference_s"].median()
    sindy = [m for m in t.index if m != odeformer][0]
    return {"timing_odeformer_median_s": float(t[odeformer]), "timing_sindy_search_median_s": float(t[sindy]),
            "timing_speedup": float(t[sindy] / t[odeformer]), "timing_n_systems": int(res["system"].nunique()),
            "timing_sindy_settings": sindy}


def pretty(system: Sequence, digits: int = 3) -> str:
    """Expanded SymPy form of a system with ``digits`` significant digits, components joined by ``;``."""
    import sympy

    from paper_code.symbolic.sympy_bridge import to_sympy

    parts = []
    for i, tree in enumerate(system):
        try:
            parts.append(f"x{i}' = {sympy.N(sympy.expand(to_sympy(tree)), digits)}".replace("x_", "x"))
        except (TypeError, ValueError, RecursionError):
            parts.append(f"x{i}' = {tree.infix()}")
    return "; ".join(parts)


def example_systems(res: pd.DataFrame, n_best: int = 3, method: str = "ODEFormer") -> list:
    """Ids of the ``n_best`` clean ODEBench systems ODEFormer reconstructs best, then its worst D = 2 one."""
    clean = res[(res["method"] == method) & (res["noise"] == 0) & (res["subsample"] == 0)
                & (res["benchmark"] == "ODEBench")].sort_values(["r2_reconstruction", "system"],
                                                               ascending=[False, True])
    best = list(clean["system"].head(n_best))
    worst = clean[(clean["dim"] == 2) & ~clean["system"].isin(best)].sort_values(
        ["r2_reconstruction", "system"]).head(1)["system"].tolist()
    return best + worst


def example_predictions(method: OdeformerMethod, tasks: Sequence[B.Task], ids: Sequence) -> dict:
    """``{id: (trees, pretty text)}`` of the method's prediction on the clean ODEBench task of each id
    (the method is seeded, so this is the prediction the benchmark scored)."""
    by_id = {t.system.id: t for t in tasks if t.noise == 0 and t.subsample == 0 and t.system.source == "ODEBench"}
    out = {}
    for sid in ids:
        task = by_id[sid]
        try:
            trees = method.fit(task.t_obs, task.y_obs)
        except RuntimeError:
            out[sid] = None
            continue
        out[sid] = (trees, f"pred: {pretty(trees)}\ntrue: {pretty(task.system.trees)}")
    return out


def bootstrap_retention_diff(res: pd.DataFrame, ev: EvalSettings, a: str = "ODEFormer", b: str = "SINDy",
                             n_boot: int = 2000, benchmark: str = "ODEBench") -> dict[str, float]:
    """Noise retention (ODEBench reconstruction accuracy at the largest σ / at σ = 0) of ``a`` minus that of
    ``b``, with a 90 % bootstrap interval over systems (systems resampled with replacement, the same draw
    for both methods; a resample where a method recovers nothing at σ = 0 has no retention and is skipped)."""
    sig = max(ev.noise_levels)
    ob = res[(res["benchmark"] == benchmark) & (res["subsample"] == 0) & res["noise"].isin([0.0, sig])]
    ok = (ob.assign(ok=ob["r2_reconstruction"] > B.ACCURACY_THRESHOLD)
          .pivot_table(index="system", columns=["method", "noise"], values="ok", aggfunc="first"))
    mats = {m: ok[m].to_numpy(dtype=float) for m in (a, b)}  # (systems, [σ=0, σ=max])
    rng = np.random.default_rng(ev.seed)
    idx = rng.integers(0, len(ok), size=(n_boot, len(ok)))
    diffs = []
    for row in idx:
        r = []
        for m in (a, b):
            s = mats[m][row].sum(axis=0)
            r.append(s[1] / s[0] if s[0] > 0 else np.nan)
        if np.isfinite(r).all():
            diffs.append(r[0] - r[1])
    d = np.asarray(diffs)
    full = [mats[m].sum(axis=0) for m in (a, b)]
    point = (full[0][1] / full[0][0] if full[0][0] else np.nan) - (full[1][1] / full[1][0] if full[1][0] else np.nan)
    return {"noise_retention_diff": float(point), "noise_retention_diff_ci_low": float(np.quantile(d, 0.05)),
            "noise_retention_diff_ci_high": float(np.quantile(d, 0.95)), "noise_retention_boot_valid": len(d) / n_boot}


# --------------------------------------------------------------------------- in-distribution
@dataclasses.dataclass(frozen=True)
class GeneratedSystem(ODESystem):
    """A system drawn from the training generator (held out by its seed), as a benchmark system."""

    generated: tuple = dataclasses.field(default=(), compare=False, repr=False)

    @property
    def trees(self) -> tuple:  # type: ignore[override]
        return self.generated


def held_out_systems(cfg: OdeformerConfig, n: int, seed: int = 0) -> list[GeneratedSystem]:
    """``n`` clean systems from the training generator with a seed stream disjoint from the training cache
    (``[cfg.seed, 0x0DE, chunk]`` there, ``[seed, 0x7E57]`` here). IC 1 is the generated trajectory's first
    state, IC 2 a fresh ``N(0, 1)^D`` draw (the in-domain generalisation of brief §5)."""
    from paper_code.odeformer.generator import sample_example
    from paper_code.odeformer.train import generator_config

    gen = generator_config(cfg, corrupted=False)
    rng = np.random.default_rng([seed, 0x7E57])
    out = []
    for i in range(n):
        ex = sample_example(rng, gen)
        trees = tuple(ex.system)
        x2 = rng.standard_normal(len(trees))
        out.append(GeneratedSystem(f"gen{i:03d}", f"generated system {i}", tuple(t.infix() for t in trees), (),
                                   (tuple(map(float, ex.y_clean[0])), tuple(map(float, x2))), source="generated",
                                   generated=trees))
    return out


def run_in_distribution(method: OdeformerMethod, cfg: OdeformerConfig, ev: EvalSettings,
                        progress: bool = False) -> pd.DataFrame:
    """ODEFormer (sampling and greedy) and SINDy on held-out generated systems, at σ = 0 and the largest σ."""
    systems = held_out_systems(cfg, ev.in_distribution_systems, ev.seed)
    tasks = B.prepare_tasks(systems, (0.0, max(ev.noise_levels)), (0.0,), ev.n_points, ev.seed)
    greedy = dataclasses.replace(method, temperature=0.0, n_candidates=1, name="ODEFormer (greedy)")
    res = B.run_benchmark([method, greedy, sindy_methods(ev)[0]], tasks, progress=progress)
    res["benchmark"] = "generated"
    return res


def in_distribution_metrics(res: pd.DataFrame, ev: EvalSettings) -> dict[str, Any]:
    sig = max(ev.noise_levels)
    out: dict[str, Any] = {"indist_n_systems": int(res["system"].nunique())}
    for name, key in (("ODEFormer", "odeformer"), ("ODEFormer (greedy)", "greedy"), ("SINDy", "sindy")):
        m = res[res["method"] == name]
        out[f"indist_{key}_recon_clean"] = _acc(m[m["noise"] == 0])
        out[f"indist_{key}_recon_noisy"] = _acc(m[m["noise"] == sig])
        out[f"indist_{key}_gen_clean"] = _acc(m[m["noise"] == 0], "r2_generalization")
    out["indist_sampling_minus_greedy"] = out["indist_odeformer_recon_clean"] - out["indist_greedy_recon_clean"]
    boot = bootstrap_retention_diff(res, ev, benchmark="generated")
    out.update({f"indist_{k}": v for k, v in boot.items()})
    return out
