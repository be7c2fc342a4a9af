"""Deep networks trained with DFA or BP: ensembles of bias-free MLPs and small CNNs.

docs/papers/dfa_alignment.md, sections 2-4 (reference: ``deep/models.py``, ``deep/main.py``,
``deep/utils.py`` and the modified tinydfa of GitHub ``sdascoli/dfa-dynamics``).

* Layers: h_0 = x, a_l = W_l h_{l-1}, h_l = f(a_l) for l < L, y_hat = W_L h_{L-1}; no
  biases; PyTorch's default uniform initialisation U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
  or zeros (the deep linear experiments).
* DFA injects B_l e after each hidden activation (tinydfa's feedback points), with B_l fixed and
  shared by every seed (``feedback.uniform_feedback``).
* Members of one ensemble train side by side in one ``Trainer`` run: DFA members and BP
  members, different seeds, different label noise. The loss is the sum over members of
  each member's mean loss, so every member follows its own SGD.

Alignment measures (docs section 3; reference ``deep/tinydfa/alignment.py``):

* weight alignment of layer l: cos(vec W_l, vec(B_l B_{l-1}^T)) for 1 < l < L and
  cos(W_L, B_{L-1}^T) for the output layer; "total" over the concatenation of those layers;
* gradient alignment of hidden layer l: mean over samples of the cosine between the DFA
  and the BP signal dLoss/da_l (the layer's pre-activation, where the reference code's
  backward hooks measure it); "total" over the concatenation of all hidden layers;
* degeneracy breaking: mean cosine between the flattened weights of different seeds.
"""
from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from paper_code.common.devices import choose_device
from paper_code.common.training import CheckpointMismatchError, TensorBatches, TrainConfig

from .feedback import direct_feedback, pairwise_cosine, per_sample_cosine
from .resumable import GridTrainer, TaggedBatches, checkpoint_every, digest, eval_records

__all__ = [
    "ACTIVATIONS",
    "MODES",
    "DFAEnsemble",
    "MLPEnsemble",
    "CNNEnsemble",
    "MemberBatches",
    "downsample_images",
    "noisy_labels",
    "weight_alignment",
    "gradient_alignment",
    "cross_seed_cosine",
    "TrainedEnsemble",
    "train_ensemble",
    "eval_steps_log",
]

log = logging.getLogger(__name__)

def _identity(a: Tensor) -> Tensor:
    return a


ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {"relu": torch.relu, "tanh": torch.tanh, "linear": _identity}
MODES = ("train", "dfa", "bp")


def _member_generator(seed: int, member_seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(np.random.SeedSequence([seed, 17, member_seed]).generate_state(1)[0]))


class DFAEnsemble(nn.Module):
    """Base class: E networks of L layers; member e trains with DFA iff ``dfa[e]``.

    Subclasses define ``layer(l, h)`` -> pre-activation a_l (E, n, ...) for l = 0..L-1
    (0-based; the last is the output layer) and fill ``self.weights``.

    Forward modes: ``"train"`` (each member by its own rule: what the Trainer runs),
    ``"dfa"`` (every member as DFA) and ``"bp"`` (every member as BP); the last two serve
    the gradient-alignment measurement.
    """

    weights: nn.ParameterList

    def __init__(self, dfa: Tensor, feedback: Sequence[Tensor], activation: str):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {tuple(ACTIVATIONS)}, got {activation!r}")
        self.activation = activation
        self.f = ACTIVATIONS[activation]
        self.register_buffer("dfa", torch.as_tensor(dfa).bool().clone())
        for l, B in enumerate(feedback):
            self.register_buffer(f"B{l}", B.clone())
        self.n_hidden = len(feedback)

    @property
    def n_members(self) -> int:
        return int(self.dfa.numel())

    @property
    def feedback(self) -> list[Tensor]:
        """B_l for the hidden layers l = 0..L-2: (F_l, c) shared by the members, or (E, F_l, c) one per member."""
        return [getattr(self, f"B{l}") for l in range(self.n_hidden)]

    def layer(self, l: int, h: Tensor) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def run(self, x: Tensor, mode: str = "train") -> tuple[Tensor, list[Tensor]]:
        """Output (E, n, c) and the hidden pre-activations a_l (E, n, ...) for l < L."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        E = self.n_members
        pre, post = [], []
        h = x
        for l in range(self.n_hidden):
            a = self.layer(l, h)
            hl = self.f(a)
            pre.append(a)
            post.append(hl)
            if mode == "bp":
                h = hl
            elif mode == "dfa":
                h = hl.detach()  # no backprop signal crosses the layer
            else:
                mask = self.dfa.view(E, *([1] * (hl.dim() - 1)))
                h = torch.where(mask, hl.detach(), hl)
        y = self.layer(self.n_hidden, h)
        if mode == "bp":
            return y, pre
        on = torch.ones_like(self.dfa) if mode == "dfa" else self.dfa
        # (E, F_l, c): shared (F_l, c) or per-member (E, F_l, c) feedback; 0 for BP members
        fb = [(B if B.dim() == 3 else B[None]) * on.to(B.dtype)[:, None, None] for B in self.feedback]
        return direct_feedback(y, fb, post), pre

    def forward(self, x: Tensor) -> Tensor:
        return self.run(x, "train")[0]


class MLPEnsemble(DFAEnsemble):
    """E bias-free MLPs with layer sizes ``sizes = (d, n_1, ..., n_{L-1}, c)``.

    ``weights[l]`` is (E, n_{l+1}, n_l). Member e is initialised from ``member_seeds[e]``
    (same seed, same initial weights), uniformly as nn.Linear does, or at zero.
    """

    def __init__(
        self, sizes: Sequence[int], dfa: Tensor, feedback: Sequence[Tensor], *, activation: str = "relu",
        init: str = "uniform", member_seeds: Sequence[int] | None = None, seed: int = 0,
        dtype: torch.dtype = torch.float32,
    ):
        sizes = [int(s) for s in sizes]
        if len(sizes) < 3 or min(sizes) < 1:
            raise ValueError(f"sizes must list at least input, one hidden and output width (all >= 1), got {sizes}")
        if len(feedback) != len(sizes) - 2 or any(B.shape != (n, sizes[-1]) for B, n in zip(feedback, sizes[1:-1])):
            want = [(n, sizes[-1]) for n in sizes[1:-1]]
            raise ValueError(f"feedback must be matrices of shapes {want}, got {[tuple(B.shape) for B in feedback]}")
        if init not in ("uniform", "zero"):
            raise ValueError(f"init must be 'uniform' or 'zero', got {init!r}")
        super().__init__(dfa, [B.to(dtype) for B in feedback], activation)
        E = self.n_members
        member_seeds = list(range(E)) if member_seeds is None else [int(s) for s in member_seeds]
        if len(member_seeds) != E:
            raise ValueError(f"need one member seed per member ({E}), got {len(member_seeds)}")
        self.sizes = tuple(sizes)
        Ws = [torch.zeros(E, n_out, n_in, dtype=dtype) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        if init == "uniform":
            for e, ms in enumerate(member_seeds):
                g = _member_generator(seed, ms)
                for W in Ws:
                    bound = 1.0 / math.sqrt(W.shape[-1])
                    W[e] = (2 * torch.rand(W.shape[1:], generator=g, dtype=torch.float64) - 1).to(dtype) * bound
        self.weights = nn.ParameterList([nn.Parameter(W) for W in Ws])

    def layer(self, l: int, h: Tensor) -> Tensor:
        return h @ self.weights[l].transpose(-1, -2)  # (E, n, n_in) @ (E, n_in, n_out)


class CNNEnsemble(DFAEnsemble):
    """E small bias-free CNNs: ``n_conv`` 3x3 convolutions (stride 1, padding 1), then a dense output.

    Inputs (E, n, C_in, H, W). The members' convolutions run as one grouped convolution.
    The DFA feedback of conv layer l is a (C H W, c) matrix, shared or one per member
    (E, C H W, c): dense random, the generic DFA of the reference code's ConvNet, which
    convolutions cannot align with, or built from the convolutions themselves
    (:mod:`~paper_code.dfa.conv_feedback`); see docs/papers/dfa_alignment.md, section 4.
    """

    def __init__(
        self, in_shape: Sequence[int], channels: int, n_conv: int, n_out: int, dfa: Tensor,
        feedback: Sequence[Tensor], *, activation: str = "relu", member_seeds: Sequence[int] | None = None,
        seed: int = 0, kernel: int = 3,
    ):
        C, H, W = (int(s) for s in in_shape)
        feat = channels * H * W
        if n_conv < 1 or channels < 1:
            raise ValueError(f"need n_conv >= 1 and channels >= 1, got {n_conv}, {channels}")
        E = int(torch.as_tensor(dfa).numel())
        if len(feedback) != n_conv or any(B.shape[-2:] != (feat, n_out) or B.dim() not in (2, 3)
                                          or (B.dim() == 3 and B.shape[0] != E) for B in feedback):
            raise ValueError(f"feedback must be {n_conv} matrices of shape ({feat}, {n_out}) or "
                             f"({E}, {feat}, {n_out}), got {[tuple(B.shape) for B in feedback]}")
        super().__init__(dfa, feedback, activation)
        member_seeds = list(range(E)) if member_seeds is None else [int(s) for s in member_seeds]
        self.in_shape, self.channels, self.kernel = (C, H, W), channels, kernel
        shapes = [(channels, C if l == 0 else channels, kernel, kernel) for l in range(n_conv)] + [(n_out, feat)]
        Ws = [torch.zeros(E, *s) for s in shapes]
        for e, ms in enumerate(member_seeds):
            g = _member_generator(seed, ms)
            for Wt in Ws:
                fan_in = int(np.prod(Wt.shape[2:]))
                Wt[e] = (2 * torch.rand(Wt.shape[1:], generator=g) - 1) / math.sqrt(fan_in)
        self.weights = nn.ParameterList([nn.Parameter(Wt) for Wt in Ws])

    def layer(self, l: int, h: Tensor) -> Tensor:
        E, n = h.shape[:2]
        Wt = self.weights[l]
        if l == self.n_hidden:  # dense output layer on the flattened maps
            return h.reshape(E, n, -1) @ Wt.transpose(-1, -2)
        x = h.transpose(0, 1).reshape(n, E * h.shape[2], *h.shape[3:])  # (n, E*C, H, W)
        out = F.conv2d(x, Wt.reshape(-1, *Wt.shape[2:]), padding=self.kernel // 2, groups=E)
        return out.reshape(n, E, self.channels, *out.shape[2:]).transpose(0, 1)  # (E, n, C, H, W)


# ----------------------------------------------------------------------------------------
# Data


def downsample_images(images: np.ndarray, factor: int = 2) -> np.ndarray:
    """Average-pool (n, c, h, w) images by ``factor`` (28x28 MNIST -> 14x14, as the reference's input_dim=14)."""
    n, c, h, w = images.shape
    if factor < 1 or h % factor or w % factor:
        raise ValueError(f"factor={factor} must divide the image size {h}x{w}")
    return images.reshape(n, c, h // factor, factor, w // factor, factor).mean(axis=(3, 5))


def noisy_labels(labels: np.ndarray, p: float, n_classes: int, seed: int) -> np.ndarray:
    """With probability p replace each label by a uniformly drawn class (``shuffle_labels`` of the reference)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"label noise p must be in [0, 1], got {p}")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 19]))
    flip = rng.random(labels.shape) < p
    return np.where(flip, rng.integers(0, n_classes, labels.shape), labels)


class MemberBatches:
    """Mini-batches for an ensemble: member e walks its own epoch permutations (``TensorBatches``
    seeded by ``order_seeds[e]``) through shared inputs x (n, ...) and its own targets y[e].

    ``get(step)`` returns (x (E, B, ...), y (E, B, ...)); members with the same order seed
    see the same samples in the same order (common random numbers).
    """

    def __init__(self, x: Tensor, y: Tensor, batch_size: int, order_seeds: Sequence[int]):
        E = len(order_seeds)
        if y.shape[0] != E or y.shape[1] != x.shape[0]:
            raise ValueError(f"need y (E={E}, n={x.shape[0]}, ...), got {tuple(y.shape)}")
        self.x, self.y = x, y
        idx = torch.arange(x.shape[0])
        self.orders = [TensorBatches(idx, batch_size=batch_size, seed=int(s)) for s in order_seeds]
        self.order_seeds = tuple(int(s) for s in order_seeds)
        self.steps_per_epoch = self.orders[0].steps_per_epoch

    def get(self, step: int, rank: int = 0, world_size: int = 1) -> tuple[Tensor, Tensor]:
        idx = torch.stack([o.indices(step, rank, world_size) for o in self.orders])  # (E, B)
        return self.x[idx], torch.gather(self.y, 1, idx.view(*idx.shape, *([1] * (self.y.dim() - 2))).expand(
            *idx.shape, *self.y.shape[2:]))

    def fingerprint(self) -> dict:
        return {"class": type(self).__name__, "x": tuple(self.x.shape), "y": tuple(self.y.shape),
                "order_seeds": self.order_seeds, "batch": self.orders[0].batch_size}


# ----------------------------------------------------------------------------------------
# Alignment measures


def weight_alignment(model: MLPEnsemble) -> tuple[Tensor, Tensor]:
    """Per-layer (E, L-1) and total (E,) weight alignment with the feedback products (docs section 3)."""
    B = model.feedback
    targets = [B[l] @ B[l - 1].T for l in range(1, model.n_hidden)] + [B[-1].T]  # for layers 2..L (1-based)
    Ws = [model.weights[l].detach().flatten(1) for l in range(1, model.n_hidden + 1)]  # (E, P_l)
    Ts = [t.flatten()[None].to(Ws[0].dtype) for t in targets]
    per_layer = torch.stack([_cos(W, T) for W, T in zip(Ws, Ts)], 1)
    total = _cos(torch.cat(Ws, 1), torch.cat(Ts, 1))
    return per_layer, total


def _cos(a: Tensor, b: Tensor) -> Tensor:
    return (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1)).clamp_min(1e-30)


def gradient_alignment(model: DFAEnsemble, x: Tensor, y: Tensor, loss_fn: Callable[[Tensor, Tensor], Tensor]
                       ) -> tuple[Tensor, Tensor]:
    """Per-layer (E, L-1) and total (E,) gradient alignment on one batch (x (E, n, ...), y (E, n, ...)).

    ``loss_fn(out, y)`` must be a sum over samples (and members), so that dLoss/da_l of a
    sample is that sample's own signal.
    """
    signals = {}
    for mode in ("dfa", "bp"):
        out, pre = model.run(x, mode)
        signals[mode] = torch.autograd.grad(loss_fn(out, y), pre)
    per_layer = torch.stack(
        [per_sample_cosine(d.flatten(2), b.flatten(2)) for d, b in zip(signals["dfa"], signals["bp"])], 1
    )
    cat = {m: torch.cat([s.flatten(2) for s in signals[m]], -1) for m in signals}
    return per_layer.detach(), per_sample_cosine(cat["dfa"], cat["bp"]).detach()


def cross_seed_cosine(model: DFAEnsemble, members: Sequence[int], layers: Sequence[int] | None = None) -> float:
    """Mean pairwise cosine between the flattened weights (``layers``, default all) of ``members``."""
    layers = range(len(model.weights)) if layers is None else layers
    vecs = torch.cat([model.weights[l].detach()[list(members)].flatten(1) for l in layers], 1)
    return pairwise_cosine(vecs.double())


# ----------------------------------------------------------------------------------------
# Training driver


@dataclass(frozen=True)
class TrainedEnsemble:
    """What ``train_ensemble`` recorded: evaluation epochs (n,), and per evaluation and member

    train_error, test_error (E, n) (fractions misclassified, or mean squared error for
    regression); weight_alignment (E, n, L-1) / weight_alignment_total (E, n) (MLPs only,
    else NaN); grad_alignment (E, n, L-1) / grad_alignment_total (E, n); corrupt_error
    (E, n): the training error on the samples whose label was corrupted, measured against
    the corrupted label (1 = none memorised, 0 = all; NaN for a member without corrupted
    labels); cross_seed: name -> (n,) mean cosine between the weights of a group's members.
    """

    epochs: np.ndarray
    train_error: np.ndarray
    test_error: np.ndarray
    weight_alignment: np.ndarray
    weight_alignment_total: np.ndarray
    grad_alignment: np.ndarray
    grad_alignment_total: np.ndarray
    model: DFAEnsemble
    wall_time_s: float
    cross_seed: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    corrupt_error: np.ndarray | None = None
    resumed_from: int = 0


def eval_steps_log(max_steps: int, n_evals: int) -> np.ndarray:
    """Step 0, ~n_evals steps log-spaced in [1, max_steps), and max_steps (sorted, unique)."""
    grid = np.unique(np.round(np.geomspace(1, max_steps, n_evals)).astype(int))
    return np.unique(np.concatenate([[0], grid[grid < max_steps], [max_steps]]))


def train_ensemble(
    model: DFAEnsemble, x_train: Tensor, y_train: Tensor, x_test: Tensor, y_test: Tensor, *,
    task: str, lr: float, batch_size: int, epochs: float, order_seeds: Sequence[int], n_evals: int = 40,
    align_batch: int = 256, cross_seed_groups: dict[str, Sequence[int]] | None = None,
    corrupted: Tensor | None = None, checkpoint: str | Path | None = None, progress: bool = False,
    desc: str = "DFA ensemble", device: str | torch.device = "cpu",
) -> TrainedEnsemble:
    """Train every member by SGD (no momentum) through the shared Trainer, evaluating on a log grid.

    Args:
        x_train (n, ...), y_train (E, n[, c]) per-member targets (labels for
        ``task="classification"``, vectors for ``"regression"``); x_test (n_test, ...) and
        y_test, shared (n_test[, c]) or per member (E, n_test[, c]). Loss: mean cross-entropy, or
        mean over samples of the summed squared error (the reference code's losses, reduction "sum", divided by the
        batch size; lr here = reference lr * batch size).
        epochs: training length; evaluations at ~n_evals log-spaced epochs (and epoch 0).
        cross_seed_groups: name -> members whose weights are compared at every evaluation.
        corrupted: (E, n) bool, the training samples whose label member e sees corrupted
            (label noise); their error is recorded as ``corrupt_error`` (memorisation).
        checkpoint: file to checkpoint to and resume from (see :mod:`~paper_code.dfa.resumable`);
            a finished checkpoint is read back without training.
        device: where to train and evaluate (``choose_device`` specs); the model is returned on the CPU.
    """
    if task not in ("classification", "regression"):
        raise ValueError(f"task must be 'classification' or 'regression', got {task!r}")
    if epochs <= 0 or lr <= 0:
        raise ValueError(f"need epochs > 0 and lr > 0, got epochs={epochs}, lr={lr}")
    E = model.n_members
    if corrupted is not None and corrupted.shape != y_train.shape[:2]:
        raise ValueError(f"corrupted must be (E, n) = {tuple(y_train.shape[:2])}, got {tuple(corrupted.shape)}")
    member_batches = MemberBatches(x_train, y_train, batch_size, order_seeds)
    spe = member_batches.steps_per_epoch
    max_steps = max(1, int(round(epochs * spe)))
    eval_steps = eval_steps_log(max_steps, n_evals)
    groups = {k: [int(i) for i in v] for k, v in (cross_seed_groups or {}).items()}
    identity = digest(model.state_dict(), x_train, y_train, x_test, y_test, corrupted, eval_steps,
                      {"task": task, "align_batch": align_batch, "groups": groups})
    batches = TaggedBatches(member_batches, identity)

    def sample_loss(out: Tensor, y: Tensor) -> Tensor:  # summed over samples and members
        if task == "classification":
            return F.cross_entropy(out.flatten(0, 1), y.flatten(), reduction="sum")
        return ((out - y) ** 2).sum()

    def loss_fn(m: nn.Module, batch: tuple[Tensor, Tensor]) -> Tensor:
        xb, yb = batch
        return sample_loss(m(xb), yb) / xb.shape[1]  # mean over the batch, summed over members

    dev = choose_device(device)
    n_align = min(align_batch, x_train.shape[0])
    g = torch.Generator().manual_seed(0)
    align_idx = torch.randperm(x_train.shape[0], generator=g)[:n_align]
    xa = x_train[align_idx].expand(E, *x_train[align_idx].shape).to(dev)
    ya = y_train[:, align_idx].to(dev)
    x_tr = x_train.expand(E, *x_train.shape).to(dev)
    y_tr = y_train.to(dev)
    x_te = x_test.expand(E, *x_test.shape).to(dev)
    y_te = (y_test if y_test.dim() == y_train.dim() else y_test.expand(E, *y_test.shape)).to(dev)
    corrupt = None if corrupted is None else corrupted.to(dev)
    n_corrupt = None if corrupted is None else corrupt.sum(1).double()

    def wrong(out: Tensor, y: Tensor) -> Tensor:  # (E, n) per-sample error
        if task == "classification":
            return (out.argmax(-1) != y).double()
        return ((out - y) ** 2).sum(-1).double()

    def eval_fn(m: nn.Module, step: int) -> dict[str, Any]:
        with torch.no_grad():
            w_tr = wrong(m(x_tr), y_tr)
            te = wrong(m(x_te), y_te).mean(-1)
        rec: dict[str, Any] = {"train_error": w_tr.mean(-1).tolist(), "test_error": te.tolist()}
        if n_corrupt is not None:
            ce = (w_tr * corrupt).sum(-1) / n_corrupt.clamp_min(1)
            rec["corrupt_error"] = torch.where(n_corrupt > 0, ce, torch.full_like(ce, float("nan"))).tolist()
        if isinstance(m, MLPEnsemble):
            wl, wt = weight_alignment(m)
            rec["weight_alignment"], rec["weight_alignment_total"] = wl.double().tolist(), wt.double().tolist()
        gl, gt = gradient_alignment(m, xa, ya, sample_loss)
        rec["grad_alignment"], rec["grad_alignment_total"] = gl.double().tolist(), gt.double().tolist()
        for k, members in groups.items():
            rec[f"cross_seed_{k}"] = cross_seed_cosine(m, members)
        return rec

    opt = torch.optim.SGD(model.parameters(), lr=lr)
    trainer = GridTrainer(
        model, opt, loss_fn, batches,
        TrainConfig(max_steps=max_steps, log_every=max(1, max_steps // 20), progress=progress, desc=desc,
                    checkpoint_path=checkpoint, checkpoint_every=checkpoint_every(max_steps) if checkpoint else 0),
        eval_fn=eval_fn, eval_steps=eval_steps, device=dev,
    )
    hist = trainer.fit()
    model.cpu()
    recs = eval_records(hist, "train_error")
    missing = sorted(set(int(s) for s in eval_steps) - {int(r["step"]) for r in recs})
    if missing:  # a checkpoint from before this code kept no curves: never guess them
        raise CheckpointMismatchError(f"{checkpoint} lacks the evaluations at steps {missing[:5]}...; "
                                      "delete or move it and train again")
    log.info("%s: %d members, %d steps (%.3g epochs) in %.1f s%s; mean final train error %.3f", desc, E, max_steps,
             max_steps / spe, hist.wall_time_s, f" (resumed at step {hist.resumed_from})" if hist.resumed_from else "",
             float(np.mean(recs[-1]["train_error"])))
    nan_layers = np.full((E, model.n_hidden), np.nan)

    def stack(key: str, fill: np.ndarray | None = None) -> np.ndarray:  # (E, n, ...)
        return np.stack([np.asarray(r[key], dtype=float) if key in r else fill for r in recs], 1)

    is_mlp = isinstance(model, MLPEnsemble)
    return TrainedEnsemble(
        epochs=np.array([r["step"] for r in recs]) / spe,
        train_error=stack("train_error"), test_error=stack("test_error"),
        weight_alignment=stack("weight_alignment") if is_mlp else stack("?", nan_layers),
        weight_alignment_total=stack("weight_alignment_total") if is_mlp else stack("?", np.full(E, np.nan)),
        grad_alignment=stack("grad_alignment"), grad_alignment_total=stack("grad_alignment_total"),
        model=model, wall_time_s=hist.wall_time_s,
        cross_seed={k: np.array([r[f"cross_seed_{k}"] for r in recs]) for k in groups},
        corrupt_error=stack("corrupt_error") if corrupted is not None else None,
        resumed_from=hist.resumed_from,
    )
