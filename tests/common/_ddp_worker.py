"""Worker for the DDP test: ``torchrun --standalone --nproc_per_node=2 _ddp_worker.py OUT_DIR``.

Trains the problem from :func:`build_problem` data-parallel in two phases: 4
steps that write a checkpoint, then a fresh trainer that resumes from it to
8 steps. Each rank saves what it ended with under ``OUT_DIR``. The test runs
the same problem in one process on the whole global batch and compares.
Not collected by pytest (leading underscore); the test imports
``build_problem`` from here so that both sides train exactly the same thing.
"""
from __future__ import annotations

import sys
from pathlib import Path

import torch
from torch import nn

from paper_code.common.training import TensorBatches, TrainConfig, Trainer

GLOBAL_BATCH = 8
PHASE1_STEPS, TOTAL_STEPS = 4, 8


def build_problem(seed: int = 0):
    """Model, optimizer, loss, data and schedule, all drawn from ``seed``.

    40 samples with a global batch of 8, so the epoch boundary (step 5) falls
    inside the run. SGD uses momentum and weight decay, so the optimizer state
    matters on resume.
    """
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(40, 5, generator=g)
    y = torch.sin(x.sum(dim=1, keepdim=True)) + 0.1 * torch.randn(40, 1, generator=g)
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9, weight_decay=1e-3)

    def loss_fn(m, batch):
        xb, yb = batch
        return nn.functional.mse_loss(m(xb), yb)

    batches = TensorBatches(x, y, batch_size=GLOBAL_BATCH, seed=seed + 1)
    lr_lambda = lambda t: min(1.0, (t + 1) / 3)  # noqa: E731 (warm-up over 3 steps)
    return model, opt, loss_fn, batches, lr_lambda


def config(max_steps: int, checkpoint_path: Path | None) -> TrainConfig:
    return TrainConfig(max_steps=max_steps, log_every=1, checkpoint_path=checkpoint_path,
                       checkpoint_every=2 if checkpoint_path else 0, grad_clip=1.0, progress=False)


def main(out: Path) -> None:
    from paper_code.common.distributed import all_reduce_mean, cleanup_distributed, init_distributed

    ctx = init_distributed()
    assert ctx.world_size == 2 and ctx.device.type == "cpu", ctx
    try:
        ckpt = out / "ddp.pt"
        model, opt, loss_fn, batches, lr_lambda = build_problem()
        Trainer(model, opt, loss_fn, batches, config(PHASE1_STEPS, ckpt), lr_lambda=lr_lambda).fit()
        phase1 = {k: v.clone() for k, v in model.state_dict().items()}

        model, opt, loss_fn, batches, lr_lambda = build_problem()
        history = Trainer(model, opt, loss_fn, batches, config(TOTAL_STEPS, ckpt), lr_lambda=lr_lambda).fit()
        torch.save({
            "phase1": phase1,
            "final": model.state_dict(),
            "records": history.records,
            "resumed_from": history.resumed_from,
            "mean_of_ranks": all_reduce_mean(torch.tensor([float(ctx.rank)])).item(),
            "is_main": ctx.is_main,
        }, out / f"rank{ctx.rank}.pt")
    finally:
        cleanup_distributed()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
