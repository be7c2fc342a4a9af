"""Benchmark rows of convit_tcnn: the training loops of the quick preset's four models, each through the shared
Trainer with the stage's optimiser, batches and shifts: the ConViT and the DeiT of the sample-efficiency sweep (MNIST
subset), the ResNet and its Transformed CNN (Fashion-MNIST; the T-CNN's recast layers with their content gates
open, as during fine-tuning).

    python -m paper_code.pipeline.bench --only convit_tcnn

Needs no trained model.
"""
from __future__ import annotations

import torch

from paper_code.common.config import resolve_config
from paper_code.common.training import TrainConfig, Trainer
from paper_code.pipeline.bench_tools import BenchContext, measure_training
from paper_code.vision import train as T
from paper_code.vision.data import ShiftedBatches, load_split
from paper_code.vision.tcnn import psa_layers

PAPER = "convit_tcnn"


def _trainer(model: torch.nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor,
             batch_size: int, max_shift: int) -> Trainer:
    batches = ShiftedBatches(x, y, batch_size, seed=0, max_shift=max_shift)
    return Trainer(model, optimizer, T.classification_loss, batches, TrainConfig(max_steps=1, progress=False),
                   device="cpu")


def bench(ctx: BenchContext):
    cfg = resolve_config(PAPER, "quick")
    train, _ = load_split(cfg.dataset, cfg.seed)
    x, y = train.to_torch()
    for arch in T.ARCHS:
        torch.manual_seed(0)
        model = T.build_vit(cfg, arch, x.mean().item(), x.std().item())
        opt = torch.optim.AdamW(T.vit_param_groups(model, cfg.weight_decay), lr=cfg.lr)
        shape = cfg.vit_config(arch)
        n = sum(p.numel() for p in model.parameters())
        name = {"convit": "ConViT", "deit": "DeiT"}[arch]
        gpsa = f", {shape.local_layers} GPSA blocks" if arch == "convit" else ""
        yield measure_training(
            _trainer(model, opt, x, y, cfg.batch_size, cfg.max_shift), ctx, paper=PAPER,
            model=f"{name} {cfg.size}: depth {shape.depth}, width {shape.embed_dim}, {shape.n_heads} heads{gpsa}, "
                  f"{n / 1e3:.0f}k parameters",
            sample=f"one {shape.img_size} x {shape.img_size} image ({shape.n_patches} patches)",
            samples_per_step=cfg.batch_size,
            note=f"batch {cfg.batch_size}, AdamW, random shifts of ±{cfg.max_shift} px")
    train, _ = load_split(cfg.tcnn_dataset, cfg.seed, cfg.tcnn_train_size)
    x, y = train.to_torch()
    torch.manual_seed(0)
    cnn = T.build_cnn(cfg, 1, 10, x.mean().item(), x.std().item())
    tcnn = T.build_tcnn(cfg, cnn)
    with torch.no_grad():
        for layer in psa_layers(tcnn.net):
            layer.gate.fill_(0.1)  # open gates: the content attention is computed, as once fine-tuning has begun
    for name, model in (("ResNet", cnn), ("T-CNN", tcnn)):
        n = sum(p.numel() for p in model.parameters())
        what = ("3 stages of " + "/".join(map(str, cfg.cnn_widths)) + f" channels, {cfg.cnn_blocks} basic blocks each"
                if name == "ResNet" else f"the ResNet with its last stage's {len(psa_layers(tcnn.net))} 3x3 "
                f"convolutions recast as 9-head positional self-attention (alpha {cfg.tcnn_alpha:g})")
        opt = T.sgd(model, cfg.finetune_lr, cfg.cnn_weight_decay)
        yield measure_training(
            _trainer(model, opt, x, y, cfg.tcnn_batch_size, cfg.tcnn_max_shift), ctx, paper=PAPER,
            model=f"{name}: {what}, {n / 1e3:.0f}k parameters", sample="one 28 x 28 image",
            samples_per_step=cfg.tcnn_batch_size, note=f"batch {cfg.tcnn_batch_size}, SGD with Nesterov momentum")

