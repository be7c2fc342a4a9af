"""Figures of the ConViT / T-CNN notebook, drawn from :mod:`paper_code.vision.experiments` results; each returns a
matplotlib figure. Error bars are standard deviations over seeds unless a caption says otherwise."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from torch import Tensor

from paper_code.common.plotting import label_axes, new_figure, palette

__all__ = ["fig_sample_efficiency", "fig_learning_curves", "fig_nonlocality", "fig_gates", "fig_attention_maps",
           "fig_ablation", "fig_tcnn_finetuning", "fig_tcnn_robustness"]

_COLORS = dict(zip(("deit", "convit"), palette(2)))
_NAMES = {"deit": "DeiT", "convit": "ConViT"}


def fig_sample_efficiency(summary: pd.DataFrame, n_train: int):
    """(a) Top-1 of both arms against the fraction of the training set (Fig. 2a / Table 2); (b) ConViT's relative
    gain with its 90 % bootstrap interval over seeds."""
    fig, axes = new_figure(2, 1, width=3.6, height=2.8)
    a, b = axes.ravel()
    f = summary.index.to_numpy(float)
    for arch in ("deit", "convit"):
        a.errorbar(f, 100 * summary[arch], yerr=100 * summary[f"{arch}_std"], fmt="o-", color=_COLORS[arch],
                   capsize=2, ms=4, label=_NAMES[arch])
    a.set_xscale("log")
    a.set_xticks(f, [f"{x:g}\n({round(x * n_train)})" for x in f])
    a.set_xlabel("fraction of the training set (images)")
    a.set_ylabel("test top-1 (%)")
    a.legend(frameon=False, fontsize=8)
    gain = 100 * summary["gain"].to_numpy()
    err = 100 * np.abs(summary[["gain_ci_low", "gain_ci_high"]].to_numpy().T - summary["gain"].to_numpy())
    b.bar(range(len(f)), gain, yerr=err, color=_COLORS["convit"], capsize=3)
    b.axhline(0, color="k", lw=0.6)
    b.set_xticks(range(len(f)), [f"{x:g}" for x in f])
    b.set_xlabel("fraction of the training set")
    b.set_ylabel("relative gain of ConViT (%)")
    label_axes([a, b])
    return fig


def fig_learning_curves(df: pd.DataFrame, fractions: Sequence[float]):
    """Test top-1 along training for every fraction (mean over seeds): ConViT's head start (Fig. 8b, 11)."""
    fig, axes = new_figure(len(fractions), 1, width=2.6, height=2.5)
    axes = np.ravel(axes)
    for ax, f in zip(axes, fractions):
        for arch in ("deit", "convit"):
            g = df[(df["arch"] == arch) & (df["fraction"] == f)].groupby("step")["test_acc"].mean()
            ax.plot(g.index, 100 * g.to_numpy(), color=_COLORS[arch], label=_NAMES[arch])
        ax.set_title(f"fraction {f:g}", fontsize=9)
        ax.set_xlabel("step")
    axes[0].set_ylabel("test top-1 (%)")
    axes[0].legend(frameon=False, fontsize=8)
    label_axes(axes)
    return fig


def fig_nonlocality(df: pd.DataFrame, local_layers: int):
    """Nonlocality of every layer along training on the whole training set (mean over seeds), DeiT (a) and ConViT
    (b); solid: the first ``local_layers`` blocks (GPSA in the ConViT), dashed: the others (Fig. 5)."""
    fig, axes = new_figure(2, 1, width=3.4, height=2.8, sharey=True)
    axes = axes.ravel()
    full = df[df["fraction"] == 1.0]
    layers = sorted((c for c in full.columns if c.startswith("nonlocality_")), key=lambda c: int(c.split("_")[1]))
    colors = palette(len(layers))
    for ax, arch in zip(axes, ("deit", "convit")):
        g = full[full["arch"] == arch].groupby("step")[layers].mean()
        for i, (col, c) in enumerate(zip(layers, colors)):
            ax.plot(g.index, g[col], "-" if i < local_layers else "--", color=c, label=f"layer {i + 1}")
        ax.set_xscale("symlog", linthresh=10)
        ax.set_title(_NAMES[arch], fontsize=9)
        ax.set_xlabel("step")
    axes[0].set_ylabel("nonlocality (patches)")
    axes[1].legend(frameon=False, fontsize=7)
    label_axes(axes)
    return fig


def fig_gates(table: pd.DataFrame, final_heads: np.ndarray):
    """(a) Mean gate ``sigmoid(lambda)`` of each GPSA layer along training (whole set, mean over heads and seeds);
    (b) every head's final gate, per layer (Fig. 6)."""
    fig, axes = new_figure(2, 1, width=3.4, height=2.8)
    a, b = axes.ravel()
    colors = palette(table.shape[1])
    for layer, c in zip(table.columns, colors):
        a.plot(table.index, table[layer], color=c, label=f"GPSA layer {layer + 1}")
    a.axhline(1 / (1 + np.exp(-1)), color="k", lw=0.6, ls=":")
    a.set_xscale("symlog", linthresh=10)
    a.set_xlim(0, table.index.max())
    a.set_xlabel("step")
    a.set_ylabel(r"gate $\sigma(\lambda)$ (positional weight)")
    a.legend(frameon=False, fontsize=7)
    for layer, c in enumerate(colors):
        heads = final_heads[layer]
        b.scatter(np.full(len(heads), layer + 1) + np.linspace(-0.15, 0.15, len(heads)), heads, color=c, s=14)
    b.set_xticks(range(1, len(colors) + 1))
    b.set_xlabel("GPSA layer")
    b.set_ylabel("final gate per head")
    b.set_ylim(-0.02, 1.02)
    label_axes([a, b])
    return fig


def fig_attention_maps(maps: Mapping[str, Tensor], gates: Mapping[str, Sequence[float] | None]):
    """One row per entry of ``maps`` (``(H, side, side)``: each head's attention of the centre patch query), the
    query marked with a cross; each head titled with its gate where ``gates`` gives one (Figs. 3, 7)."""
    n_heads = max(m.shape[0] for m in maps.values())
    fig, axes = new_figure(n_heads, len(maps), width=1.3, height=1.4)
    axes = np.asarray(axes).reshape(len(maps), n_heads)
    for row, (name, m) in zip(axes, maps.items()):
        side = m.shape[-1]
        for h, ax in enumerate(row):
            ax.set_xticks([])
            ax.set_yticks([])
            if h >= m.shape[0]:
                ax.axis("off")
                continue
            ax.imshow(m[h].numpy(), cmap="viridis")
            ax.plot(side // 2, side // 2, "wx", ms=4)
            g = (gates.get(name) or [None] * m.shape[0])[h]
            ax.set_title(f"h{h + 1}" + (f", σ={g:.2f}" if g is not None else ""), fontsize=7)
        row[0].set_ylabel(name, fontsize=7)
    return fig


def fig_ablation(df: pd.DataFrame):
    """Test top-1 of each variant of the ablation (Table 3 at our scale), mean and std over seeds, seeds as dots."""
    fig, ax = new_figure(1, 1, width=4.2, height=2.8)
    names = list(dict.fromkeys(df["variant"]))
    colors = palette(len(names))
    for i, (name, c) in enumerate(zip(names, colors)):
        acc = 100 * df[df["variant"] == name]["test_acc"].to_numpy()
        ax.bar(i, acc.mean(), yerr=acc.std(), color=c, capsize=3)
        ax.scatter(np.full(len(acc), i), acc, color="k", s=8, zorder=3)
    ax.set_xticks(range(len(names)), [n.replace(" (", "\n(") for n in names], fontsize=7)
    ax.set_ylabel("test top-1 (%)")
    return fig


def fig_tcnn_finetuning(records: Mapping[str, Sequence[Mapping[str, float]]]):
    """(a) Test top-1 of the two arms during fine-tuning (the first test images the training records; step 0 is the
    CNN they both start from); (b) content weight and nonlocality of the T-CNN's recast layers (mean over heads)
    during fine-tuning."""
    fig, axes = new_figure(2, 1, width=3.5, height=2.8)
    a, b = axes.ravel()
    colors = palette(2)
    for (name, label), c in zip((("cnn_finetuned", "CNN fine-tuned"), ("tcnn_finetuned", "T-CNN fine-tuned")), colors):
        pts = [(r["step"], r["test_acc"]) for r in records[name] if "test_acc" in r]
        a.plot([p[0] for p in pts], [100 * p[1] for p in pts], "o-", ms=3, color=c, label=label)
    a.set_xlabel("fine-tuning step")
    a.set_ylabel("test top-1 (%)")
    a.legend(frameon=False, fontsize=7)
    recs = [r for r in records["tcnn_finetuned"] if "content_weight_0" in r]
    layers = sorted({int(k.split("_")[-1]) for k in recs[0] if k.startswith("content_weight_")})
    twin = b.twinx()
    for layer, c in zip(layers, palette(len(layers))):
        steps = [r["step"] for r in recs]
        b.plot(steps, [r[f"content_weight_{layer}"] for r in recs], "-", color=c, label=f"layer {layer + 1}")
        twin.plot(steps, [r[f"nonlocality_{layer}"] for r in recs], ":", color=c)
    b.set_xlabel("fine-tuning step")
    b.set_ylabel("content weight (solid)")
    twin.set_ylabel("nonlocality (dotted)")
    b.legend(frameon=False, fontsize=6)
    label_axes([a, b])
    return fig


def fig_tcnn_robustness(df: pd.DataFrame, clean: Mapping[str, float]):
    """(a) Accuracy against severity, averaged over corruptions, severity 0 = clean; (b) accuracy per corruption,
    averaged over severities; the CNN before fine-tuning, both fine-tuned arms."""
    fig, axes = new_figure(2, 1, width=3.6, height=2.9)
    a, b = axes.ravel()
    models = [("cnn", "CNN"), ("cnn_finetuned", "CNN fine-tuned"), ("tcnn_finetuned", "T-CNN fine-tuned")]
    colors = palette(len(models))
    names = list(dict.fromkeys(df["corruption"]))
    width = 0.8 / len(models)
    for i, ((m, label), c) in enumerate(zip(models, colors)):
        g = df[df["model"] == m]
        sev = g.groupby("severity")["accuracy"].mean()
        a.plot([0, *sev.index], [100 * clean[m], *(100 * sev.to_numpy())], "o-", ms=3, color=c, label=label)
        per = g.groupby("corruption")["accuracy"].mean().reindex(names)
        b.bar(np.arange(len(names)) + (i - 1) * width, 100 * per.to_numpy(), width, color=c, label=label)
    a.set_xlabel("severity (0 = clean)")
    a.set_ylabel("test top-1 (%)")
    a.legend(frameon=False, fontsize=7)
    b.set_xticks(range(len(names)), [n.replace("_", " ") for n in names], fontsize=6, rotation=35, ha="right")
    b.set_ylabel("top-1, mean over severities (%)")
    label_axes([a, b])
    return fig
