"""The notebook's computations: Table 2's gains, Fig. 5 / 6 summaries, the T-CNN checks, and the figures."""
from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import pytest
import torch

from paper_code.vision import experiments as X
from paper_code.vision import figures as F
from paper_code.vision.config import TCNN, VITS

matplotlib.use("Agg")


def test_sample_efficiency_gains_are_relative_and_paired_by_seed(tiny_cfg):
    cfg = tiny_cfg.replace({"fractions": (0.1, 1.0), "seeds": 2})
    acc = {("convit", 0.1): (0.6, 0.5), ("deit", 0.1): (0.4, 0.5), ("convit", 1.0): (0.9, 0.88),
           ("deit", 1.0): (0.9, 0.8)}
    table = pd.DataFrame([{"arch": a, "fraction": f, "seed": s, "test_acc": v[s]} for (a, f), v in acc.items()
                          for s in range(2)])
    summary, m = X.sample_efficiency(table, cfg)
    assert summary.loc[0.1, "gain"] == pytest.approx((0.5 + 0.0) / 2)      # (0.6-0.4)/0.4 and 0
    assert summary.loc[1.0, "gain"] == pytest.approx((0.0 + 0.1) / 2)      # 0 and (0.88-0.8)/0.8
    assert m["gain_scarce_minus_full"] == pytest.approx(0.25 - 0.05)
    assert m["acc_convit_scarce"] == pytest.approx(0.55) and m["acc_deit_full"] == pytest.approx(0.85)
    assert m["gain_f0p1"] == m["gain_scarce"] and m["scarce_fraction"] == 0.1
    assert m["gain_min_over_fractions_ci_low"] <= 0.0  # one seed of each fraction has no gain


def test_sweep_summaries_on_a_trained_bundle(trained):
    cfg, _ = trained
    bundle = X.load_bundle(cfg.vits_checkpoint, cfg, VITS)
    table = X.sweep_table(bundle, cfg)
    assert len(table) == len(cfg.run_names()) and table["test_acc"].between(0, 1).all()
    df = X.curves(bundle, cfg)
    nl = X.nonlocality_summary(df, cfg)
    assert nl["convit_gpsa_nonlocality_init"] < nl["deit_nonlocality_init"]  # the convolutional init is local
    gates, gm = X.gate_summary(df, cfg)
    assert gm["gate_init"] == pytest.approx(0.7311, abs=1e-4) and list(gates.columns) == [0, 1, 2]
    x, y = X.test_images(cfg, cfg.dataset, 50)
    pos, pm = X.position_embedding_ablation(bundle, cfg, x, y)
    assert set(pos.index) == {"convit", "deit"} and "pos_drop_deit_minus_convit_ci_low" in pm
    maps = X.centre_attention(X.sweep_model(bundle, cfg, "deit"), x, 0)
    assert maps.shape == (9, 4, 4) and torch.allclose(maps.sum((1, 2)), torch.ones(9), atol=0.2)
    for fig in (F.fig_sample_efficiency(X.sample_efficiency(table, cfg)[0], 100), F.fig_learning_curves(df, (0.5, 1.0)),
                F.fig_nonlocality(df, 3), F.fig_gates(gates, gates.to_numpy()[-1:].T),
                F.fig_attention_maps({"a": maps, "b": maps[:4]}, {"a": [0.5] * 9})):
        assert fig.axes
        plt.close(fig)


def test_tcnn_checks_on_a_trained_bundle(trained):
    cfg, _ = trained
    bundle = X.load_bundle(cfg.tcnn_checkpoint, cfg, TCNN)
    models = X.tcnn_models(bundle, cfg)
    x, y = X.test_images(cfg, cfg.tcnn_dataset, cfg.test_images)
    conv = X.conversion_check(models, x)
    assert conv["conversion_rel_diff"] < 1e-5 and conv["conversion_same_predictions"] == 1.0
    assert conv["n_converted_layers"] == 2  # one basic block in the last stage: two 3x3 convolutions
    correct, clean = X.clean_accuracy(models, x, y, cfg)
    assert clean["acc_cnn"] == clean["acc_tcnn"] and len(correct["tcnn_finetuned"]) == cfg.test_images
    twins = {"cnn": models["cnn"], "cnn_finetuned": models["cnn_finetuned"], "tcnn_finetuned": models["cnn_finetuned"]}
    rob, rm = X.robustness(twins, x, y, cfg)
    assert len(rob) == 8 * len(cfg.severities) * 3
    assert rm["tcnn_minus_cnn_corrupted"] == 0.0  # the same model on the same corrupted copies
    heads, hm = X.tcnn_head_stats(models, x[:8], cfg)
    assert hm["finetune_epochs"] == pytest.approx(cfg.finetune_steps * cfg.tcnn_batch_size / cfg.tcnn_train_size)
    assert (heads[heads["model"] == "tcnn"]["content_weight"] == 0).all()
    assert heads[heads["model"] == "tcnn"]["nonlocality"].to_numpy() == pytest.approx([1.073] * 2, abs=1e-3)
    for fig in (F.fig_tcnn_finetuning(bundle["records"]), F.fig_tcnn_robustness(rob, {k: 0.5 for k in twins})):
        assert fig.axes
        plt.close(fig)


def test_ablation_trains_every_variant_of_table_3(tiny_cfg):
    runs, correct = X.ablation(tiny_cfg)
    assert list(dict.fromkeys(runs["variant"])) == list(X.ABLATIONS) and len(runs) == 4 * tiny_cfg.ablation_seeds
    n_test = len(X.test_images(tiny_cfg, tiny_cfg.ablation_dataset)[1])
    assert all(len(v) == n_test * tiny_cfg.ablation_seeds for v in correct.values())
    m = X.ablation_metrics(correct, tiny_cfg)
    assert m["ablation_convit_minus_deit"] == pytest.approx(m["ablation_acc_convit"] - m["ablation_acc_deit"])
    assert {"ablation_conv_init_gain_ci_low", "ablation_gating_gain_ci_low"} <= set(m)
    fig = F.fig_ablation(runs)
    assert fig.axes
    plt.close(fig)
