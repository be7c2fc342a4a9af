"""The ConViT / T-CNN notebook's computations, on the two trained bundles of :mod:`paper_code.vision.train`.

* ConViT vs DeiT (ConViT §4): final accuracy of every run of the sweep (Table 2, Fig. 2a), the learning curves, the
  per-layer nonlocality (Fig. 5) and the gates (Fig. 6) recorded during training, attention maps of a centre query
  (Figs. 3, 7) and test-time zeroing of the position embedding (SM F, Table 5).
* T-CNN (arXiv 2106.05795): the conversion check recomputed from the CNN's weights, clean accuracy of the CNN, the
  CNN fine-tuned and the T-CNN fine-tuned for the same steps, and their accuracy under corruptions
  (:mod:`paper_code.vision.corruptions`).

Comparisons are paired: the two arms of a sweep cell share their training images, batches and shifts (seed by
seed), and the CNN arms are scored on the same test images. Intervals are 90 % percentile bootstraps
(:func:`paper_code.common.stats.bootstrap_diff`).
"""
from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from paper_code.common.checkpoints import read_stats, resolve
from paper_code.common.stats import bootstrap_diff
from paper_code.vision.config import TCNN, VITS, ConvitConfig, run_name
from paper_code.vision.corruptions import corruption_suite
from paper_code.vision.data import Normalized, ShiftedBatches, load_split, nested_fraction
from paper_code.vision.models import VisionTransformer
from paper_code.vision.sizes import convit_presets, deit_presets
from paper_code.vision.tcnn import psa_inputs, psa_layers, psa_nonlocality
from paper_code.vision.train import (
    ARCHS,
    accuracy,
    build_cnn,
    build_tcnn,
    build_vit,
    cosine,
    fit_run,
    load_bundle,
    predict,
    vit_param_groups,
)

__all__ = ["training_stats", "sweep_table", "sample_efficiency", "curves", "nonlocality_summary", "gate_summary",
           "sweep_model", "centre_attention", "position_embedding_ablation", "ABLATIONS", "ablation",
           "ablation_metrics", "tcnn_models", "conversion_check", "clean_accuracy", "robustness", "test_images",
           "tcnn_head_stats", "load_bundle"]


# --------------------------------------------------------------------------- training


def training_stats(cfg: ConvitConfig) -> dict[str, Any]:
    """Parameters, images seen, images/s and minutes of both bundles' training (their stats files)."""
    out: dict[str, Any] = {}
    for model in (VITS, TCNN):
        stats = read_stats(resolve(getattr(cfg, f"{model}_checkpoint"))) or {}
        runs = stats.get("runs", [])
        out[f"{model}_images_per_s"] = stats.get("samples_per_s")
        out[f"{model}_train_minutes"] = sum(r["train_s"] for r in runs) / 60
        out[f"{model}_runs"] = len(runs)
        for key in ("n_params_convit", "n_params_deit", "n_params_cnn", "n_params_tcnn"):
            if key in stats:
                out[key] = stats[key]
    out["vits_images_per_run"] = cfg.steps * cfg.batch_size
    return out


# --------------------------------------------------------------------------- the sweep


def sweep_table(bundle: dict[str, Any], cfg: ConvitConfig) -> pd.DataFrame:
    """One row per run: arch, fraction, seed, training images, final test accuracy."""
    rows = []
    for arch in ARCHS:
        for f in cfg.fractions:
            for s in range(cfg.seeds):
                recs = bundle["records"][run_name(arch, f, s)]
                final = [r for r in recs if "test_acc" in r][-1]
                rows.append({"arch": arch, "fraction": f, "seed": s, "test_acc": final["test_acc"]})
    return pd.DataFrame(rows)


def sample_efficiency(table: pd.DataFrame, cfg: ConvitConfig) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Table 2 at our scale: mean and std of each arm's top-1 per fraction and ConViT's relative gain
    ``(ConViT - DeiT) / DeiT`` (per seed, then averaged), with a 90 % bootstrap interval over seeds; and the metrics:
    ``gain_f<f>`` (+ ``_ci_low``) and ``acc_<arch>_f<f>`` (``f0p05`` for 0.05), the same at the smallest fraction
    (``_scarce``) and the whole set (``_full``), and ``gain_scarce_minus_full`` (+ interval), the gain at the
    smallest fraction minus at the whole set, paired by seed."""
    wide = table.pivot_table(index=["fraction", "seed"], columns="arch", values="test_acc")
    wide["gain"] = (wide["convit"] - wide["deit"]) / wide["deit"]
    rows, metrics = [], {}
    for f in cfg.fractions:
        cell = wide.loc[f]
        gain, lo, hi = bootstrap_diff(cell["gain"].to_numpy(), np.zeros(len(cell)), cfg.bootstrap_resamples,
                                      cfg.eval_seed, paired=True)
        rows.append({"fraction": f, "deit": cell["deit"].mean(), "deit_std": cell["deit"].std(ddof=0),
                     "convit": cell["convit"].mean(), "convit_std": cell["convit"].std(ddof=0), "gain": gain,
                     "gain_ci_low": lo, "gain_ci_high": hi})
        key = "f" + f"{f:g}".replace(".", "p")  # f0p05: no dot, so a prose placeholder can name it
        metrics.update({f"acc_deit_{key}": cell["deit"].mean(), f"acc_convit_{key}": cell["convit"].mean(),
                        f"gain_{key}": gain, f"gain_{key}_ci_low": lo})
    for name, row in (("scarce", rows[0]), ("full", rows[-1])):
        metrics.update({f"acc_deit_{name}": row["deit"], f"acc_convit_{name}": row["convit"],
                        f"gain_{name}": row["gain"]})
    metrics["scarce_fraction"] = cfg.fractions[0]
    scarce, full = wide.loc[cfg.fractions[0]]["gain"].to_numpy(), wide.loc[1.0]["gain"].to_numpy()
    d, lo, hi = bootstrap_diff(scarce, full, cfg.bootstrap_resamples, cfg.eval_seed, paired=True)
    metrics.update(gain_scarce_minus_full=d, gain_scarce_minus_full_ci_low=lo, gain_scarce_minus_full_ci_high=hi,
                   gain_min_over_fractions_ci_low=min(r["gain_ci_low"] for r in rows),
                   gains_by_fraction=[r["gain"] for r in rows])
    return pd.DataFrame(rows).set_index("fraction"), metrics


def curves(bundle: dict[str, Any], cfg: ConvitConfig) -> pd.DataFrame:
    """Every recorded step of every run: arch, fraction, seed, step, test accuracy, nonlocality per layer and (ConViT)
    the gates ``gate_<layer>_<head>``."""
    rows = []
    for arch in ARCHS:
        for f in cfg.fractions:
            for s in range(cfg.seeds):
                for r in bundle["records"][run_name(arch, f, s)]:
                    if "test_acc" in r:
                        rows.append({"arch": arch, "fraction": f, "seed": s,
                                     **{k: v for k, v in r.items() if k not in ("loss", "lr")}})
    return pd.DataFrame(rows)


def _layers(df: pd.DataFrame) -> list[str]:
    return sorted((c for c in df.columns if c.startswith("nonlocality_")), key=lambda c: int(c.split("_")[1]))


def nonlocality_summary(df: pd.DataFrame, cfg: ConvitConfig) -> dict[str, Any]:
    """Fig. 5's trends on the whole-set runs, averaged over seeds (means over layers are over the first
    ``local_layers`` blocks, the GPSA blocks of the ConViT, and their DeiT counterparts):

    * ``deit_nonlocality_init`` / ``_min`` / ``_final`` and ``deit_early_drop`` (init minus the minimum along
      training, per seed, with its interval): DeiT's plain layers first become more local;
    * ``convit_gpsa_nonlocality_init`` / ``_final`` and ``convit_gpsa_rise`` (final minus init, interval): the GPSA
      layers start local and become less local;
    * ``deit_minus_convit_final`` (interval): the GPSA layers end more local than DeiT's same layers."""
    local = cfg.vit_config("convit").local_layers
    full = df[df["fraction"] == 1.0]
    layers = _layers(full)[:local]
    per_run = full.assign(mean_nl=full[layers].mean(axis=1))
    out: dict[str, Any] = {}
    stats = {}
    for arch in ARCHS:
        g = per_run[per_run["arch"] == arch].sort_values("step").groupby("seed")["mean_nl"]
        stats[arch] = (g.first().to_numpy(), g.min().to_numpy(), g.last().to_numpy())
    n, seed = cfg.bootstrap_resamples, cfg.eval_seed
    d_init, d_min, d_final = stats["deit"]
    c_init, _, c_final = stats["convit"]
    drop = bootstrap_diff(d_init, d_min, n, seed, paired=True)
    rise = bootstrap_diff(c_final, c_init, n, seed, paired=True)
    gap = bootstrap_diff(d_final, c_final, n, seed, paired=True)
    out.update(deit_nonlocality_init=d_init.mean(), deit_nonlocality_min=d_min.mean(),
               deit_nonlocality_final=d_final.mean(), convit_gpsa_nonlocality_init=c_init.mean(),
               convit_gpsa_nonlocality_final=c_final.mean(), deit_early_drop=drop[0], deit_early_drop_ci_low=drop[1],
               convit_gpsa_rise=rise[0], convit_gpsa_rise_ci_low=rise[1], deit_minus_convit_final=gap[0],
               deit_minus_convit_final_ci_low=gap[1])
    return out


def gate_summary(df: pd.DataFrame, cfg: ConvitConfig) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The gates ``sigmoid(lambda)`` of the whole-set ConViT runs: a table (step x GPSA layer, mean over heads and
    seeds) and the metrics ``gate_init``, ``gate_final_layer<l>``, ``gate_fall`` (init minus the final mean over all
    GPSA layers and heads, interval over seeds) and ``gate_first_minus_last`` (first GPSA layer's final mean minus the
    last one's, interval): positive = later layers lean more on content."""
    local = cfg.vit_config("convit").local_layers
    runs = df[(df["arch"] == "convit") & (df["fraction"] == 1.0)]
    by_layer = pd.DataFrame({l: runs.filter(regex=fr"^gate_{l}_\d+$").mean(axis=1) for l in range(local)})
    by_layer[["step", "seed"]] = runs[["step", "seed"]]
    table = by_layer.groupby("step")[list(range(local))].mean()
    final = by_layer.sort_values("step").groupby("seed").last()
    first = by_layer.sort_values("step").groupby("seed").first()
    n, seed = cfg.bootstrap_resamples, cfg.eval_seed
    fall = bootstrap_diff(first[list(range(local))].mean(axis=1).to_numpy(),
                          final[list(range(local))].mean(axis=1).to_numpy(), n, seed, paired=True)
    slope = bootstrap_diff(final[0].to_numpy(), final[local - 1].to_numpy(), n, seed, paired=True)
    metrics = {"gate_init": float(table.iloc[0].mean()), "gate_fall": fall[0], "gate_fall_ci_low": fall[1],
               "gate_first_minus_last": slope[0], "gate_first_minus_last_ci_low": slope[1],
               **{f"gate_final_layer{l + 1}": float(final[l].mean()) for l in range(local)}}
    return table, metrics


def sweep_model(bundle: dict[str, Any], cfg: ConvitConfig, arch: str, fraction: float = 1.0, seed: int = 0
                ) -> Normalized:
    """The trained model of one run of the sweep (eval mode)."""
    model = build_vit(cfg, arch)
    model.load_state_dict(bundle["model"][run_name(arch, fraction, seed)])
    return model.eval()


@torch.no_grad()
def centre_attention(model: Normalized, images: Tensor, layer: int) -> Tensor:
    """``(H, side, side)``: each head's attention of the patch query nearest the grid centre over the patches,
    averaged over ``images`` (the class token's share, where present, is left out)."""
    net: VisionTransformer = model.net
    attn = net.attention_maps(model.normalize(images))[layer].mean(0)
    side = net.cfg.grid_size
    if attn.shape[-1] == side * side + 1:
        attn = attn[:, 1:, 1:]
    centre = (side // 2) * side + side // 2
    return attn[:, centre].reshape(-1, side, side)


@torch.no_grad()
def position_embedding_ablation(bundle: dict[str, Any], cfg: ConvitConfig, images: Tensor, labels: Tensor
                                ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """SM F, Table 5: top-1 of every whole-set model with its absolute position embedding as trained and zeroed at
    test time; metric ``pos_drop_deit_minus_convit`` (DeiT's drop minus ConViT's, paired by seed, interval)."""
    rows = []
    for arch in ARCHS:
        for s in range(cfg.seeds):
            model = sweep_model(bundle, cfg, arch, 1.0, s)
            before = accuracy(model, images, labels)
            model.net.pos_embed.zero_()
            rows.append({"arch": arch, "seed": s, "as_trained": before, "zeroed": accuracy(model, images, labels)})
    df = pd.DataFrame(rows)
    df["drop"] = df["as_trained"] - df["zeroed"]
    d = df.pivot(index="seed", columns="arch", values="drop")
    diff = bootstrap_diff(d["deit"].to_numpy(), d["convit"].to_numpy(), cfg.bootstrap_resamples, cfg.eval_seed,
                          paired=True)
    metrics = {"pos_drop_deit": d["deit"].mean(), "pos_drop_convit": d["convit"].mean(),
               "pos_drop_deit_minus_convit": diff[0], "pos_drop_deit_minus_convit_ci_low": diff[1]}
    return df.groupby("arch")[["as_trained", "zeroed", "drop"]].mean(), metrics


# --------------------------------------------------------------------------- the ablation (Table 3)

#: Table 3's rows at our scale: (GPSA, conv init, gates trained). "No gating" freezes lambda at 0 (sigma = 0.5), as
#: the paper does; DeiT is row e.
ABLATIONS = {
    "ConViT (a)": ("convit", True, True),
    "no gating (b)": ("convit", True, False),
    "no conv init (c)": ("convit", False, True),
    "DeiT (e)": ("deit", False, False),
}


def ablation(cfg: ConvitConfig) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Train every variant of :data:`ABLATIONS` on ``ablation_fraction`` of the ablation dataset with each seed (the
    sweep's recipe: AdamW, warm-up and cosine, random shifts of ``max_shift`` px, at most 1 px on the 8 x 8 digits,
    ``ablation_steps`` updates); returns the final test top-1 of every run and, per variant, the correctness of every
    (seed, test image) pair."""
    train, test = load_split(cfg.ablation_dataset, cfg.seed)
    x_all, y_all = train.to_torch()
    tx, ty = test.to_torch()
    rows, correct = [], {}
    for name, (arch, conv_init, train_gates) in ABLATIONS.items():
        hits = []
        for s in range(cfg.ablation_seeds):
            idx = torch.from_numpy(nested_fraction(train.labels, cfg.ablation_fraction, seed=cfg.seed * 1000 + s))
            torch.manual_seed(cfg.seed * 1000 + s)
            shape = (convit_presets() if arch == "convit" else deit_presets())[cfg.ablation_size]
            net = VisionTransformer(shape.replace({"local_init": conv_init}) if arch == "convit" else shape)
            if not train_gates:
                for layer in net.gpsa_layers():
                    layer.gating.requires_grad_(False)
                    layer.gating.data.zero_()
            model = Normalized(net, x_all.mean().item(), x_all.std().item())
            trainable = [g | {"params": [p for p in g["params"] if p.requires_grad]}
                         for g in vit_param_groups(model, cfg.weight_decay)]
            opt = torch.optim.AdamW(trainable, lr=cfg.lr)
            batches = ShiftedBatches(x_all[idx], y_all[idx], cfg.ablation_batch_size, seed=cfg.seed * 1000 + s,
                                     max_shift=min(cfg.max_shift, 1) if cfg.ablation_dataset == "digits" else
                                     cfg.max_shift)
            warmup = min(cfg.warmup_steps, cfg.ablation_steps // 10)
            fit_run(model, opt, batches, cfg.ablation_steps, None, cosine(cfg.lr, cfg.ablation_steps, warmup,
                                                                          cfg.min_lr),
                    lambda m, step: {}, 0, 0, name, False, None)
            ok = (predict(model, tx).argmax(-1) == ty).numpy().astype(float)
            hits.append(ok)
            rows.append({"variant": name, "seed": s, "test_acc": ok.mean()})
        correct[name] = np.concatenate(hits)
    return pd.DataFrame(rows), correct


def ablation_metrics(correct: dict[str, np.ndarray], cfg: ConvitConfig) -> dict[str, Any]:
    """``ablation_acc_<key>`` per variant and the paired differences (over seeds x test images) of the full ConViT
    against DeiT (``ablation_convit_minus_deit``) and against random init (``ablation_conv_init_gain``), with their
    lower 90 % bounds."""
    keys = {"ConViT (a)": "convit", "no gating (b)": "no_gating", "no conv init (c)": "no_conv_init",
            "DeiT (e)": "deit"}
    out: dict[str, Any] = {f"ablation_acc_{keys[k]}": v.mean() for k, v in correct.items()}
    for metric, other in (("ablation_convit_minus_deit", "DeiT (e)"), ("ablation_conv_init_gain", "no conv init (c)"),
                          ("ablation_gating_gain", "no gating (b)")):
        d, lo, _ = bootstrap_diff(correct["ConViT (a)"], correct[other], cfg.bootstrap_resamples, cfg.eval_seed,
                                  paired=True)
        out.update({metric: d, f"{metric}_ci_low": lo})
    return out


# --------------------------------------------------------------------------- T-CNN


def tcnn_models(bundle: dict[str, Any], cfg: ConvitConfig) -> dict[str, Normalized]:
    """``cnn`` (trained from scratch), ``tcnn`` (its conversion, not fine-tuned), ``cnn_finetuned``,
    ``tcnn_finetuned``: eval mode."""
    cnn = build_cnn(cfg)
    cnn.load_state_dict(bundle["model"]["cnn"])
    cnn_ft = copy.deepcopy(cnn)
    cnn_ft.load_state_dict(bundle["model"]["cnn_finetuned"])
    tcnn_ft = build_tcnn(cfg, cnn)
    tcnn_ft.load_state_dict(bundle["model"]["tcnn_finetuned"])
    return {"cnn": cnn.eval(), "tcnn": build_tcnn(cfg, cnn).eval(), "cnn_finetuned": cnn_ft.eval(),
            "tcnn_finetuned": tcnn_ft.eval()}


@torch.no_grad()
def conversion_check(models: dict[str, Normalized], images: Tensor) -> dict[str, Any]:
    """The CNN and its fresh conversion on ``images``: largest logit difference relative to the largest logit, and
    the share of identical predictions."""
    ref, out = predict(models["cnn"], images), predict(models["tcnn"], images)
    return {"conversion_max_abs_diff": (ref - out).abs().max().item(),
            "conversion_rel_diff": ((ref - out).abs().max() / ref.abs().max()).item(),
            "conversion_same_predictions": (ref.argmax(-1) == out.argmax(-1)).float().mean().item(),
            "n_converted_layers": len(psa_layers(models["tcnn"].net))}


def _correct(model: Normalized, images: Tensor, labels: Tensor) -> np.ndarray:
    return (predict(model, images).argmax(-1) == labels).numpy().astype(float)


def clean_accuracy(models: dict[str, Normalized], images: Tensor, labels: Tensor, cfg: ConvitConfig
                   ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Per-image correctness of every model on the clean test images, and the metrics ``acc_<model>`` and
    ``tcnn_minus_cnn_finetuned`` (paired over images, interval)."""
    correct = {name: _correct(m, images, labels) for name, m in models.items()}
    d = bootstrap_diff(correct["tcnn_finetuned"], correct["cnn_finetuned"], cfg.bootstrap_resamples, cfg.eval_seed,
                       paired=True)
    return correct, {**{f"acc_{k}": v.mean() for k, v in correct.items()}, "tcnn_minus_cnn_finetuned": d[0],
                     "tcnn_minus_cnn_finetuned_ci_low": d[1], "tcnn_minus_cnn_finetuned_ci_high": d[2]}


def robustness(models: dict[str, Normalized], images: Tensor, labels: Tensor, cfg: ConvitConfig
               ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Accuracy of each model under every corruption and severity of ``cfg.severities`` (one corrupted copy of
    ``images`` per setting, shared by the models), and the metrics ``corrupt_acc_<model>`` (mean over settings) and
    ``tcnn_minus_cnn_corrupted`` (per-image accuracy over the settings, paired over images, interval)."""
    rows, per_image = [], {name: np.zeros(len(labels)) for name in models}
    n_settings = 0
    for name, severity, x in corruption_suite(images, severities=cfg.severities, seed=cfg.eval_seed):
        n_settings += 1
        for model_name, model in models.items():
            ok = _correct(model, x, labels)
            per_image[model_name] += ok
            rows.append({"corruption": name, "severity": severity, "model": model_name, "accuracy": ok.mean()})
    per_image = {k: v / n_settings for k, v in per_image.items()}
    d = bootstrap_diff(per_image["tcnn_finetuned"], per_image["cnn_finetuned"], cfg.bootstrap_resamples,
                       cfg.eval_seed, paired=True)
    metrics = {**{f"corrupt_acc_{k}": v.mean() for k, v in per_image.items()}, "tcnn_minus_cnn_corrupted": d[0],
               "tcnn_minus_cnn_corrupted_ci_low": d[1], "tcnn_minus_cnn_corrupted_ci_high": d[2]}
    return pd.DataFrame(rows), metrics


def test_images(cfg: ConvitConfig, dataset: str, n: int | None = None) -> tuple[Tensor, Tensor]:
    """The first ``n`` (default: all) test images and labels of ``dataset`` (the split the training used)."""
    _, test = load_split(dataset, cfg.seed)
    x, y = test.to_torch()
    return (x, y) if n is None else (x[:n], y[:n])


def tcnn_head_stats(models: dict[str, Normalized], images: Tensor, cfg: ConvitConfig
                    ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Per recast layer of the fine-tuned T-CNN: mean content weight ``clamp(gamma, 0, 1)`` over heads, and the
    nonlocality of its attention on ``images`` next to that of the fresh conversion; and the metrics
    ``tcnn_content_weight_first`` / ``_last`` (first and last recast layer, fine-tuned), ``finetune_steps`` and
    ``finetune_epochs``."""
    rows = []
    for name in ("tcnn", "tcnn_finetuned"):
        model = models[name]
        for i, (layer, x) in enumerate(zip(psa_layers(model.net), psa_inputs(model, images))):
            rows.append({"model": name, "layer": i + 1, "content_weight": layer.content_weight().mean().item(),
                         "nonlocality": psa_nonlocality(layer, x).mean().item()})
    df = pd.DataFrame(rows)
    tuned = df[df["model"] == "tcnn_finetuned"]["content_weight"].to_numpy()
    n_train = cfg.tcnn_train_size or len(load_split(cfg.tcnn_dataset, cfg.seed)[0])
    return df, {"tcnn_content_weight_first": tuned[0], "tcnn_content_weight_last": tuned[-1],
                "finetune_steps": cfg.finetune_steps,
                "finetune_epochs": cfg.finetune_steps * cfg.tcnn_batch_size / n_train}

