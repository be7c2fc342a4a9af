"""Train the two bundles of the ConViT / T-CNN experiments with the shared Trainer and training-stage machinery.

* ``--model vits`` (DVC stage ``train_convit_tcnn_vits``): for every fraction ``f`` of the training set and every seed,
  a ConViT and a DeiT of the same size train for ``steps`` updates on the same images, batches and shifts (ConViT
  §4.2: epochs x 1/f, so the number of images seen is constant). Each run records, at ``cfg.eval_steps()``, its
  test accuracy, the nonlocality of every layer on ``probe_images`` test images (§4, Fig. 5) and the gates of its
  GPSA layers (Fig. 6). AdamW with linear warm-up and cosine decay; no weight decay on biases, norms, gates, the
  position embedding and the class token (the DeiT / timm convention the official code follows).
* ``--model tcnn`` (DVC stage ``train_convit_tcnn_tcnn``): a ResNet trained from scratch (SGD, Nesterov momentum,
  cosine), then two arms fine-tuned from it for the same ``finetune_steps`` on the same batches: the CNN itself, and its
  Transformed CNN (T-CNN paper, arXiv 2106.05795: the last stage's 3x3 convolutions recast as positional
  self-attention computing the same function, :mod:`paper_code.vision.tcnn`). The recast heads' nonlocality and
  how far their attention left the convolution are recorded during fine-tuning.

Every run is a :class:`~paper_code.common.training.Trainer` run with its own resumable checkpoint in
``<bundle stem>_runs/`` beside the bundle (git-ignored; a stopped stage resumes from them); when all are done their
weights and records are gathered into one bundle
(``models/convit_tcnn/<model>.pt``) with ``<model>_stats.json`` beside it::

    python -m paper_code.vision.train --model vits [--scale quick|paper] [--out PATH] [--time-budget S]
    python -m paper_code.vision.train --model tcnn --config models/convit_tcnn/tcnn_train_config.json
"""
from __future__ import annotations

import copy
import json
import logging
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from paper_code.common import training_runs as R
from paper_code.common.checkpoints import ModelStage, display, file_md5, resolve, runs_path, stats_path
from paper_code.common.training import TrainConfig, Trainer, warmup_cosine
from paper_code.vision.config import EXECUTION_FIELDS, MODELS, TCNN, VITS, ConvitConfig, run_name
from paper_code.vision.data import Normalized, ShiftedBatches, load_split, nested_fraction
from paper_code.vision.metrics import gating, nonlocality
from paper_code.vision.models import VisionTransformer
from paper_code.vision.tcnn import ResNet, content_share, convert, psa_inputs, psa_layers, psa_nonlocality

__all__ = ["MODEL_STAGES", "vit_param_groups", "build_vit", "build_cnn", "build_tcnn", "accuracy", "predict",
           "classification_loss", "sgd", "fit_run", "cosine", "train_sweep", "train_tcnn", "train", "load_bundle",
           "COMMAND", "main"]

log = logging.getLogger(__name__)

MODEL_STAGES = {
    VITS: ModelStage("train_convit_tcnn_vits", "ConViT / DeiT sweep", EXECUTION_FIELDS,
                     cost="about 30 min on 2 cores at quick scale"),
    TCNN: ModelStage("train_convit_tcnn_tcnn", "CNN / T-CNN", EXECUTION_FIELDS,
                     cost="about 20 min on 2 cores at quick scale"),
}

ARCHS = ("convit", "deit")
#: Images per forward pass when evaluating: the T-CNN's attention maps of a larger chunk no longer fit in cache
#: (measured: 2.3x faster at 64 than at 500 on 2 cores).
EVAL_BATCH = 64
#: Test images of the CNN / T-CNN learning curves (the first ones of the test split); the final accuracies in the
#: bundle use the whole split.
CURVE_TEST_IMAGES = 2000


def _check_model(model: str) -> None:
    if model not in MODELS:
        raise ValueError(f"model={model!r} is invalid; valid: {', '.join(MODELS)}")


def run_dir(path: Path) -> Path:
    """Where the runs of the bundle ``path`` keep their resumable checkpoints until the bundle is written:
    ``<stem>_runs/`` beside it (git-ignored)."""
    return path.parent / f"{path.stem}_runs"


# --------------------------------------------------------------------------- models


def vit_param_groups(model: nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """AdamW groups: weight decay on matrices (the GPSA ``v_pos`` weights included, as in the official code), none on
    1-D tensors (biases, norms, gates), the position embedding and the class token."""
    decay, plain = [], []
    for name, p in model.named_parameters():
        skip = p.ndim <= 1 or name.endswith("pos_embed") or name.endswith("cls_token")
        (plain if skip else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": plain, "weight_decay": 0.0}]


def build_vit(cfg: ConvitConfig, arch: str, mean: float = 0.0, std: float = 1.0) -> Normalized:
    """The ConViT or DeiT arm (:meth:`ConvitConfig.vit_config`) behind a standardisation of its input."""
    if arch not in ARCHS:
        raise ValueError(f"arch={arch!r} is invalid; valid: {', '.join(ARCHS)}")
    return Normalized(VisionTransformer(cfg.vit_config(arch)), mean, std)


def build_cnn(cfg: ConvitConfig, in_chans: int = 1, num_classes: int = 10, mean: float = 0.0, std: float = 1.0
              ) -> Normalized:
    """The ResNet of the T-CNN experiment behind a standardisation of its input."""
    return Normalized(ResNet(in_chans, num_classes, tuple(cfg.cnn_widths), cfg.cnn_blocks), mean, std)


def build_tcnn(cfg: ConvitConfig, cnn: Normalized) -> Normalized:
    """The T-CNN of ``cnn``: its last stage's 3x3 convolutions recast as positional self-attention (a copy)."""
    return Normalized(convert(cnn.net, stages=(-1,), alpha=cfg.tcnn_alpha, qk_dim=cfg.tcnn_qk_dim),
                      cnn.mean.item(), cnn.std.item())


@torch.no_grad()
def predict(model: nn.Module, images: Tensor, batch_size: int = EVAL_BATCH) -> Tensor:
    """Logits of ``images`` in chunks (eval mode restored as it was)."""
    was = model.training
    model.eval()
    try:
        return torch.cat([model(images[i:i + batch_size]) for i in range(0, len(images), batch_size)])
    finally:
        model.train(was)


def accuracy(model: nn.Module, images: Tensor, labels: Tensor) -> float:
    """Top-1 accuracy of ``model`` on ``(images, labels)``."""
    return (predict(model, images).argmax(-1) == labels).float().mean().item()


def classification_loss(model: nn.Module, batch: tuple[Tensor, Tensor]) -> Tensor:
    """Cross-entropy of a batch ``(images, labels)``."""
    x, y = batch
    return F.cross_entropy(model(x), y)


def fit_run(model: nn.Module, optimizer: torch.optim.Optimizer, batches: Any, steps: int, path: Path | None,
         lr_lambda: Callable[[int], float], eval_fn: Callable[[nn.Module, int], dict[str, float]], eval_every: int,
         checkpoint_every: int, desc: str, progress: bool, deadline: tuple[float, float] | None
         ) -> tuple[list[dict[str, Any]], float, int]:
    """One Trainer run of cross-entropy (resumed from ``path`` when there; ``path=None``: no checkpoints); returns
    its records, the seconds this process trained and the step it resumed from. ``deadline = (t_start, budget_s)``
    stops at a checkpoint before overrunning."""
    if deadline is not None:
        batches = R.DeadlineBatches(batches, deadline[1], checkpoint_every, start=deadline[0])
    tcfg = TrainConfig(max_steps=steps, log_every=max(1, min(50, steps // 10)), checkpoint_path=path,
                       checkpoint_every=checkpoint_every if path is not None else 0, progress=progress, desc=desc)
    trainer = Trainer(model, optimizer, classification_loss, batches, tcfg, lr_lambda=lr_lambda, eval_fn=eval_fn,
                      eval_every=eval_every, device="cpu")
    hist = trainer.fit()
    return hist.records, hist.wall_time_s, hist.resumed_from


# --------------------------------------------------------------------------- the ConViT / DeiT sweep


def _sweep_probe(cfg: ConvitConfig, test_x: Tensor, test_y: Tensor) -> Callable[[nn.Module, int], dict[str, float]]:
    steps = set(cfg.eval_steps())
    probe = test_x[: cfg.probe_images]

    def probe_fn(model: nn.Module, step: int) -> dict[str, float]:
        if step not in steps:
            return {}
        net: VisionTransformer = model.net
        out = {"test_acc": accuracy(model, test_x, test_y)}
        out.update({f"nonlocality_{i}": v for i, v in enumerate(nonlocality(net, model.normalize(probe)).tolist())})
        for layer, row in enumerate(gating(net).tolist()):
            out.update({f"gate_{layer}_{h}": g for h, g in enumerate(row)})
        return out

    return probe_fn


def _eval_stride(steps: Sequence[int]) -> int:
    """Largest stride dividing every recording step (the Trainer calls the probe at its multiples)."""
    return int(np.gcd.reduce([s for s in steps if s > 0])) if any(steps) else 1


def train_sweep(cfg: ConvitConfig, path: Path, progress: bool = True, time_budget_s: float | None = None,
                t_start: float | None = None) -> dict[str, Any]:
    """Train (or resume) every run of the sweep, then write the bundle ``path`` and its stats; returns the stats."""
    t_start = time.perf_counter() if t_start is None else t_start
    train, test = load_split(cfg.dataset, cfg.seed)
    x_all, y_all = train.to_torch()
    test_x, test_y = test.to_torch()
    probe_fn = _sweep_probe(cfg, test_x, test_y)
    stride = _eval_stride(cfg.eval_steps())
    deadline = None if time_budget_s is None else (t_start, time_budget_s)
    weights, records, runs, n_params = {}, {}, [], {}
    for arch in ARCHS:
        for fraction in cfg.fractions:
            for s in range(cfg.seeds):
                name, run_seed = run_name(arch, fraction, s), cfg.seed * 1000 + s
                idx = torch.from_numpy(nested_fraction(train.labels, fraction, seed=run_seed))
                x, y = x_all[idx], y_all[idx]
                torch.manual_seed(run_seed)
                model = build_vit(cfg, arch, x_all.mean().item(), x_all.std().item())
                opt = torch.optim.AdamW(vit_param_groups(model, cfg.weight_decay), lr=cfg.lr)
                batches = ShiftedBatches(x, y, cfg.batch_size, seed=run_seed, max_shift=cfg.max_shift)
                schedule = cosine(cfg.lr, cfg.steps, cfg.warmup_steps, cfg.min_lr)
                recs, secs, start = fit_run(model, opt, batches, cfg.steps, run_dir(path) / f"{name}.pt", schedule,
                                         probe_fn, stride, cfg.checkpoint_every, f"{name} ({len(y)} images)",
                                         progress, deadline)
                weights[name], records[name] = model.state_dict(), recs
                runs.append({"run": name, "train_images": len(y), "from": start, "to": cfg.steps,
                             "train_s": round(secs, 1)})
                n_params[arch] = sum(p.numel() for p in model.parameters())
    bundle = {"model": weights, "records": records, "n_train": int(len(y_all)), "n_test": int(len(test_y))}
    return _write_bundle(cfg, VITS, path, bundle, runs, cfg.steps, cfg.batch_size,
                         {"n_params_convit": n_params["convit"], "n_params_deit": n_params["deit"]},
                         n_params["convit"])


def cosine(lr: float, steps: int, warmup: int, min_lr: float) -> Callable[[int], float]:
    """Learning-rate factor: linear warm-up over ``warmup`` steps, then cosine decay from ``lr`` to ``min_lr``."""
    def factor(step: int) -> float:
        return warmup_cosine(step, lr=lr, max_steps=steps, warmup_steps=warmup, min_lr_ratio=min_lr / lr)
    return factor


# --------------------------------------------------------------------------- the CNN and its T-CNN


def _tcnn_probe(cfg: ConvitConfig, test_x: Tensor, test_y: Tensor, analyse: bool
                ) -> Callable[[nn.Module, int], dict[str, float]]:
    probe = test_x[:256]
    test_x, test_y = test_x[:CURVE_TEST_IMAGES], test_y[:CURVE_TEST_IMAGES]

    def probe_fn(model: nn.Module, step: int) -> dict[str, float]:
        out = {"test_acc": accuracy(model, test_x, test_y)}
        if analyse:
            for i, (layer, x) in enumerate(zip(psa_layers(model.net), psa_inputs(model, probe))):
                out[f"nonlocality_{i}"] = psa_nonlocality(layer, x).mean().item()
                out[f"content_share_{i}"] = content_share(layer, x).mean().item()
                out[f"content_weight_{i}"] = layer.content_weight().mean().item()
        return out

    return probe_fn


def sgd(model: nn.Module, lr: float, weight_decay: float) -> torch.optim.Optimizer:
    """SGD with Nesterov momentum 0.9, the CNN arms' optimiser."""
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=weight_decay)


def train_tcnn(cfg: ConvitConfig, path: Path, progress: bool = True, time_budget_s: float | None = None,
               t_start: float | None = None) -> dict[str, Any]:
    """Train (or resume) the CNN, then fine-tune it and its T-CNN for the same steps on the same batches; write the
    bundle ``path`` (weights of the three, their records, the conversion check) and its stats."""
    t_start = time.perf_counter() if t_start is None else t_start
    train, test = load_split(cfg.tcnn_dataset, cfg.seed, cfg.tcnn_train_size)
    x, y = train.to_torch()
    test_x, test_y = test.to_torch()
    deadline = None if time_budget_s is None else (t_start, time_budget_s)
    folder = run_dir(path)
    batches = ShiftedBatches(x, y, cfg.tcnn_batch_size, seed=cfg.seed, max_shift=cfg.tcnn_max_shift)
    every = cfg.tcnn_eval_every

    torch.manual_seed(cfg.seed)
    cnn = build_cnn(cfg, train.image_shape[0], train.n_classes, x.mean().item(), x.std().item())
    cnn_recs, cnn_s, cnn_from = fit_run(cnn, sgd(cnn, cfg.cnn_lr, cfg.cnn_weight_decay), batches, cfg.cnn_steps,
                                     folder / "cnn.pt", cosine(cfg.cnn_lr, cfg.cnn_steps, 0, 0.0),
                                     _tcnn_probe(cfg, test_x, test_y, False), every, cfg.checkpoint_every,
                                     "CNN", progress, deadline)

    converted = build_tcnn(cfg, cnn)
    with torch.no_grad():
        ref, out = predict(cnn, test_x), predict(converted, test_x)
    conversion = {"max_abs_logit_diff": (ref - out).abs().max().item(), "max_abs_logit": ref.abs().max().item(),
                  "same_predictions": (ref.argmax(-1) == out.argmax(-1)).float().mean().item(),
                  "cnn_test_acc": (ref.argmax(-1) == test_y).float().mean().item(),
                  "tcnn_test_acc": (out.argmax(-1) == test_y).float().mean().item()}
    log.info("conversion: max |logit difference| %.3g (logits up to %.3g)", conversion["max_abs_logit_diff"],
             conversion["max_abs_logit"])

    arms = {"cnn_finetuned": copy.deepcopy(cnn), "tcnn_finetuned": converted}
    records, runs = {"cnn": cnn_recs}, [{"run": "cnn", "from": cnn_from, "to": cfg.cnn_steps,
                                         "train_s": round(cnn_s, 1)}]
    for name, model in arms.items():
        torch.manual_seed(cfg.seed + 1)  # the T-CNN's new query / key maps are already drawn by convert
        recs, secs, start = fit_run(model, sgd(model, cfg.finetune_lr, cfg.cnn_weight_decay), batches,
                                 cfg.finetune_steps, folder / f"{name}.pt",
                                 cosine(cfg.finetune_lr, cfg.finetune_steps, 0, 0.0),
                                 _tcnn_probe(cfg, test_x, test_y, name.startswith("tcnn")), every,
                                 cfg.checkpoint_every, name.replace("_", " "), progress, deadline)
        records[name] = recs
        runs.append({"run": name, "from": start, "to": cfg.finetune_steps, "train_s": round(secs, 1)})
    final = {name: accuracy(m, test_x, test_y) for name, m in (("cnn", cnn), *arms.items())}
    bundle = {"model": {"cnn": cnn.state_dict(), **{k: m.state_dict() for k, m in arms.items()}},
              "records": records, "conversion": conversion, "test_acc": final, "n_train": int(len(y)),
              "n_test": int(len(test_y))}
    n_params = {k: sum(p.numel() for p in m.parameters()) for k, m in (("cnn", cnn), ("tcnn", converted))}
    return _write_bundle(cfg, TCNN, path, bundle, runs, cfg.cnn_steps + 2 * cfg.finetune_steps,
                         cfg.tcnn_batch_size, {"n_params_cnn": n_params["cnn"], "n_params_tcnn": n_params["tcnn"]},
                         n_params["cnn"])


# --------------------------------------------------------------------------- bundles


def _write_bundle(cfg: ConvitConfig, model: str, path: Path, bundle: dict[str, Any], runs: list[dict[str, Any]],
                  steps: int, batch_size: int, extra: dict[str, Any], n_params: int) -> dict[str, Any]:
    """Save the bundle and ``<stem>_stats.json`` (the fields :func:`~paper_code.common.checkpoints.training_summary`
    reads, per-run times, images/s over the runs this process trained, md5 and settings)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(bundle, path)
    losses = [r["loss"] for recs in bundle["records"].values() for r in recs[-3:] if "loss" in r]
    trained = [r for r in runs if r["to"] > r["from"]]
    total_s = sum(r["train_s"] for r in trained)
    images = sum((r["to"] - r["from"]) for r in trained) * batch_size
    stats = {
        "steps": steps, "n_runs": len(runs), "samples_per_s": images / total_s if total_s else float("nan"),
        "wall_time_s": total_s, "final_loss_mean_last10": float(np.mean(losses)) if losses else float("nan"),
        "n_params": n_params, **extra, "runs": runs, "device": "cpu", "device_name": R.device_name(torch.device("cpu")),
        "torch": torch.__version__, "checkpoint": display(path), "config": cfg.training_settings(model),
        "checkpoint_md5": file_md5(path),
    }
    stats_path(path).write_text(json.dumps(R.finite(stats), indent=2) + "\n")
    runs_path(path).unlink(missing_ok=True)
    shutil.rmtree(run_dir(path), ignore_errors=True)  # the runs are in the bundle now
    return stats


def train(cfg: ConvitConfig, model: str, checkpoint_path: str | Path | None = None, progress: bool = True,
          time_budget_s: float | None = None) -> dict[str, Any]:
    """Train (or resume) bundle ``model`` (``vits`` or ``tcnn``); returns the stats written beside it."""
    _check_model(model)
    t_start = time.perf_counter()
    path = resolve(checkpoint_path or getattr(cfg, f"{model}_checkpoint"))
    fn = train_sweep if model == VITS else train_tcnn
    stats = fn(cfg, path, progress, time_budget_s, t_start)
    stats["final_loss"] = stats["final_loss_mean_last10"]
    return stats


def load_bundle(path: str | Path, cfg: ConvitConfig, model: str) -> dict[str, Any]:
    """The bundle of ``model`` written by :func:`train`, checked first (missing, corrupt, other settings: each error
    names its fix)."""
    _check_model(model)
    return MODEL_STAGES[model].check(resolve(path), cfg.training_settings(model))


def _train_command(cfg: ConvitConfig, model: str | None, progress: bool, time_budget_s: float | None,
                   args: Any) -> dict[str, Any]:
    assert model is not None
    return train(cfg, model, progress=progress, time_budget_s=time_budget_s)


COMMAND = R.TrainingCommand(
    paper="convit_tcnn", module="paper_code.vision.train", train=_train_command, stages=dict(MODEL_STAGES),
    models=MODELS, checkpoint_field=lambda m: f"{m}_checkpoint",
    steps_field=lambda m: "steps" if m == VITS else "finetune_steps", description=__doc__.splitlines()[0])


def main(argv: Sequence[str] | None = None) -> dict[str, Any] | None:
    return COMMAND.main(argv)


if __name__ == "__main__":
    main()
