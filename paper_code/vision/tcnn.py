"""Transformed CNNs (T-CNN): trained convolutions recast as positional self-attention, then fine-tuned.

d'Ascoli, Sagun, Biroli, Morcos, "Transformed CNNs: recasting pre-trained convolutional layers with self-attention",
arXiv 2106.05795. A trained ``K x K`` convolution (odd ``K``, zero padding ``c = (K - 1) / 2``, stride ``s``) becomes a
positional self-attention (PSA) layer computing the same function (Cordonnier, Loukas, Jaggi, ICLR 2020, Theorem 1;
the parameterisation of ConViT, arXiv 2103.10697, Eq. 5):

* ``N_h = K^2`` heads; head ``h = u K + v`` (row-major over the kernel) is bound to the offset
  ``Delta_h = (u - c, v - c)`` (row, column).
* Keys: every position of the zero-padded ``(H + 2c) x (W + 2c)`` grid (padding tokens are zero vectors). Queries: the
  output centres, input position ``s p`` (``s p + c`` on the padded grid). ``delta`` = key minus query position.
* Attention: ``A^h = (1 - g_h) P^h + g_h C^h``, a gated mixture of two softmaxes over the keys as in ConViT's GPSA
  (Eqs. 7-8). ``P^h = softmax(v_pos^h . r(delta))`` with ``r = (d_col, d_row, d_col^2 + d_row^2)`` and ``v_pos`` a
  ``Linear(3, K^2)`` whose row ``h`` is ``alpha (2 Delta_col, 2 Delta_row, -1)`` (bias 0): the logit is
  ``-alpha ||delta - Delta_h||^2 + const``, a softmax peaked at ``query + Delta_h`` whose other weights are
  ``O(exp(-alpha))``. ``C^h = softmax(Q^h K^h^T / sqrt(d_qk))`` with per-head bias-free query and key maps
  (truncated normal, std 0.02). The content weight is ``g_h = clamp(gamma_h, 0, 1)`` with ``gamma_h = 0`` at
  conversion: ConViT's ``sigmoid(lambda)`` cannot reach 0 (the conversion would not be exact), and a content logit
  added inside the positional softmax cannot compete with gaps of ``alpha`` (about 30, needed for float32
  exactness) without first growing a thousandfold. The gate's gradient at 0 is ``(C - P)``-driven and non-zero, so
  content attention switches on as soon as fine-tuning finds it useful; the choice is ours (the T-CNN paper's
  layer details could not be checked).
* Values: each head sees all input channels; ``out_p = b + sum_h sum_j A^h_pj x_j M_h`` with
  ``M_h = W[:, :, u_h, v_h]^T``, i.e. a ``Linear(K^2 C_in, C_out)`` on the concatenated heads holding the stacked
  kernel slices (the convolution's parameter count).

:class:`ResNet` is a small CIFAR-style ResNet (He et al., CVPR 2016) for grey images; :func:`convert` recasts the
``3 x 3`` convolutions of chosen stages (the paper converts the last stage(s) of a pre-trained ResNet).
"""
from __future__ import annotations

import copy
import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from paper_code.vision.gpsa import trunc_normal_init

__all__ = [
    "kernel_offsets", "grid_offsets", "PositionalConvAttention", "BasicBlock", "ResNet", "convert", "psa_layers",
    "psa_inputs", "psa_nonlocality", "content_share",
]


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name}={value!r} is invalid; valid: an integer >= 1")
    return value


def _pair(name: str, value: int | Sequence[int]) -> tuple[int, int]:
    """``value`` as a ``(row, column)`` pair of integers >= 1."""
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2:
        raise ValueError(f"{name}={value!r} is invalid; valid: an integer >= 1 or a pair of them")
    return _positive_int(name, pair[0]), _positive_int(name, pair[1])


def _odd_kernel(kernel_size: int) -> int:
    if _positive_int("kernel_size", kernel_size) % 2 == 0:
        raise ValueError(f"kernel_size={kernel_size} is invalid; valid: odd (1, 3, 5, ...)")
    return kernel_size


def kernel_offsets(kernel_size: int) -> Tensor:
    """``(K^2, 2)`` long tensor of the head offsets ``Delta_h = (u - c, v - c)`` (row, column), ``h = u K + v``."""
    k = _odd_kernel(kernel_size)
    idx = torch.arange(k * k)
    return torch.stack([idx // k, idx % k], dim=-1) - (k - 1) // 2


def grid_offsets(height: int, width: int, kernel_size: int, stride: int | Sequence[int] = 1) -> Tensor:
    """``(L_q, L_k, 2)`` long tensor of ``delta`` = key minus query position (row, column) on the zero-padded grid:
    queries are the strided output centres (row-major), keys every padded position (row-major)."""
    height, width = _positive_int("height", height), _positive_int("width", width)
    c = (_odd_kernel(kernel_size) - 1) // 2
    sr, sc = _pair("stride", stride)
    q_row, q_col = torch.meshgrid(torch.arange(0, height, sr) + c, torch.arange(0, width, sc) + c, indexing="ij")
    k_row, k_col = torch.meshgrid(torch.arange(height + 2 * c), torch.arange(width + 2 * c), indexing="ij")
    d_row = k_row.flatten()[None, :] - q_row.flatten()[:, None]
    d_col = k_col.flatten()[None, :] - q_col.flatten()[:, None]
    return torch.stack([d_row, d_col], dim=-1)


class PositionalConvAttention(nn.Module):
    """Positional self-attention able to compute a ``K x K`` convolution exactly up to ``O(exp(-alpha))`` (module
    doc): ``(B, C_in, H, W) -> (B, C_out, ceil(H / s_row), ceil(W / s_col))``, the shapes of the convolution with
    padding ``(K - 1) / 2``. Built by :meth:`from_conv`; constructed directly it has the positional init, ``W_qry = 0``
    and a randomly initialised output projection.

    Args:
        in_chans, out_chans: ``C_in``, ``C_out``; ``kernel_size``: odd ``K`` (``K^2`` heads); ``stride``: ``s``.
        bias: whether the output projection has a bias; ``alpha``: the locality strength (> 0).
        qk_dim: per-head dimension of queries and keys.
    """

    def __init__(self, in_chans: int, out_chans: int, kernel_size: int, stride: int | Sequence[int] = 1,
                 bias: bool = True, alpha: float = 30.0, qk_dim: int = 16):
        super().__init__()
        self.in_chans, self.out_chans = _positive_int("in_chans", in_chans), _positive_int("out_chans", out_chans)
        self.kernel_size, self.stride = _odd_kernel(kernel_size), _pair("stride", stride)
        self.qk_dim = _positive_int("qk_dim", qk_dim)
        if not (isinstance(alpha, int | float) and math.isfinite(alpha) and alpha > 0):
            raise ValueError(f"alpha={alpha!r} is invalid; valid: a finite number > 0")
        self.alpha, self.padding, self.n_heads = float(alpha), (kernel_size - 1) // 2, kernel_size ** 2
        self.qry = nn.Linear(in_chans, self.n_heads * qk_dim, bias=False)  # W_qry, per head
        self.key = nn.Linear(in_chans, self.n_heads * qk_dim, bias=False)  # W_key, per head
        self.v_pos = nn.Linear(3, self.n_heads)                            # v_pos^h (rows) and a per-head bias
        self.gate = nn.Parameter(torch.zeros(self.n_heads))                # gamma_h; content weight clamp(gamma, 0, 1)
        self.proj = nn.Linear(self.n_heads * in_chans, out_chans, bias=bias)  # stacked M_h^T, b
        self.register_buffer("offsets", kernel_offsets(kernel_size), persistent=False)  # (K^2, 2) Delta_h
        self.local_init()

    @torch.no_grad()
    def local_init(self) -> None:
        """The conversion init: ``v_pos`` rows ``alpha (2 Delta_col, 2 Delta_row, -1)`` with bias 0, content weight
        ``gamma = 0``, ``W_qry`` and ``W_key`` truncated normal of std 0.02 (ConViT's official init); the output
        projection is left alone."""
        delta = self.offsets.to(self.v_pos.weight)
        rows = torch.stack([2 * delta[:, 1], 2 * delta[:, 0], -torch.ones_like(delta[:, 0])], dim=-1)
        self.v_pos.weight.copy_(self.alpha * rows)
        self.v_pos.bias.zero_()
        self.gate.zero_()
        trunc_normal_init(self.qry)
        trunc_normal_init(self.key)

    @classmethod
    def from_conv(cls, conv: nn.Conv2d, alpha: float = 30.0, qk_dim: int = 16) -> PositionalConvAttention:
        """The PSA layer computing ``conv`` (odd square kernel, zero padding ``(K - 1) / 2``, dilation 1, groups 1,
        any stride), on its device and dtype; ``conv`` is not modified."""
        if not isinstance(conv, nn.Conv2d):
            raise ValueError(f"conv is a {type(conv).__name__}; valid: an nn.Conv2d")
        k_row, k_col = conv.kernel_size
        if k_row != k_col or k_row % 2 == 0:
            raise ValueError(f"kernel_size={conv.kernel_size} is invalid; valid: square and odd (1, 3, 5, ...)")
        c = (k_row - 1) // 2
        padding = (c, c) if conv.padding == "same" else tuple(conv.padding)
        if padding != (c, c):
            raise ValueError(f"padding={conv.padding} is invalid; valid: ({c}, {c}), (K - 1) / 2 for K = {k_row}")
        if conv.padding_mode != "zeros":
            raise ValueError(f"padding_mode={conv.padding_mode!r} is invalid; valid: 'zeros'")
        if tuple(conv.dilation) != (1, 1):
            raise ValueError(f"dilation={conv.dilation} is invalid; valid: (1, 1)")
        if conv.groups != 1:
            raise ValueError(f"groups={conv.groups} is invalid; valid: 1")
        layer = cls(conv.in_channels, conv.out_channels, k_row, conv.stride, conv.bias is not None, alpha, qk_dim)
        layer.to(device=conv.weight.device, dtype=conv.weight.dtype)
        with torch.no_grad():  # proj.weight[o, h C_in + i] = W[o, i, u_h, v_h]
            layer.proj.weight.copy_(conv.weight.permute(0, 2, 3, 1).reshape(conv.out_channels, -1))
            if conv.bias is not None:
                layer.proj.bias.copy_(conv.bias)
        return layer

    def _check(self, x: Tensor) -> None:
        if x.dim() != 4 or x.shape[1] != self.in_chans or 0 in x.shape:
            raise ValueError(f"input of shape {tuple(x.shape)} is invalid; valid: (B, {self.in_chans}, H, W), "
                             "none of them 0")

    def positional_logits(self, height: int, width: int) -> Tensor:
        """``(H, L_q, L_k)``: ``v_pos^h . r(delta) + bias_h`` on an input of ``height x width``."""
        d = grid_offsets(height, width, self.kernel_size, self.stride).to(self.v_pos.weight)
        r = torch.stack([d[..., 1], d[..., 0], d[..., 0] ** 2 + d[..., 1] ** 2], dim=-1)
        return self.v_pos(r).permute(2, 0, 1)

    def positional(self, height: int, width: int) -> Tensor:
        """``(H, L_q, L_k)``: the purely positional attention ``softmax_keys(v_pos^h . r(delta))``."""
        return self.positional_logits(height, width).softmax(-1)

    def content_weight(self) -> Tensor:
        """``(H,)``: ``g_h = clamp(gamma_h, 0, 1)``, the weight of each head's content attention."""
        return self.gate.clamp(0.0, 1.0)

    def _content_vanishes(self) -> bool:
        """Whether every content weight is zero and no gradient has to flow through the content term."""
        needs_grad = torch.is_grad_enabled() and any(
            p.requires_grad for p in (self.gate, self.qry.weight, self.key.weight))
        return not needs_grad and not self.content_weight().any()

    def _attend(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """The attention, ``(H, L_q, L_k)`` when the content term vanishes (shared by the images) else
        ``(B, H, L_q, L_k)``, and the key tokens ``(B, L_k, C_in)`` of the zero-padded grid."""
        self._check(x)
        b, _, height, width = x.shape
        c, (sr, sc) = self.padding, self.stride
        keys = F.pad(x, (c, c, c, c)).flatten(2).transpose(1, 2)
        positional = self.positional(height, width)
        if self._content_vanishes():
            return positional, keys
        queries = x[:, :, ::sr, ::sc].flatten(2).transpose(1, 2)
        q = self.qry(queries).view(b, -1, self.n_heads, self.qk_dim).transpose(1, 2)
        k = self.key(keys).view(b, -1, self.n_heads, self.qk_dim).transpose(1, 2)
        content = (q @ k.transpose(-1, -2) / math.sqrt(self.qk_dim)).softmax(-1)
        g = self.content_weight().view(-1, 1, 1)
        return (1 - g) * positional + g * content, keys

    def attention(self, x: Tensor) -> Tensor:
        """``(B, H, L_q, L_k)``: every head's attention on ``x`` (B, C_in, H, W) over the zero-padded grid."""
        attn, _ = self._attend(x)
        return attn.expand(x.shape[0], -1, -1, -1) if attn.dim() == 3 else attn

    def forward(self, x: Tensor) -> Tensor:
        """``x`` (B, C_in, H, W) -> (B, C_out, ceil(H / s_row), ceil(W / s_col))."""
        attn, keys = self._attend(x)
        b, _, height, width = x.shape
        z = torch.einsum("hqk,bkc->bqhc" if attn.dim() == 3 else "bhqk,bkc->bqhc", attn, keys)
        y = self.proj(z.reshape(b, z.shape[1], -1))
        out_h, out_w = -(-height // self.stride[0]), -(-width // self.stride[1])
        return y.transpose(1, 2).reshape(b, self.out_chans, out_h, out_w)

    def extra_repr(self) -> str:
        return (f"{self.in_chans}, {self.out_chans}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"heads={self.n_heads}, qk_dim={self.qk_dim}, alpha={self.alpha}, bias={self.proj.bias is not None}")


def _conv3x3(in_chans: int, out_chans: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_chans, out_chans, 3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    """``relu(BN(conv2(relu(BN(conv1(x))))) + shortcut(x))``; the shortcut is the identity, or a ``1 x 1``
    convolution of stride ``stride`` and a BN when the shape changes (He et al. 2016)."""

    def __init__(self, in_chans: int, out_chans: int, stride: int = 1):
        super().__init__()
        self.conv1: nn.Module = _conv3x3(in_chans, out_chans, stride)
        self.bn1 = nn.BatchNorm2d(out_chans)
        self.conv2: nn.Module = _conv3x3(out_chans, out_chans)
        self.bn2 = nn.BatchNorm2d(out_chans)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_chans != out_chans:
            self.shortcut = nn.Sequential(nn.Conv2d(in_chans, out_chans, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(out_chans))

    def forward(self, x: Tensor) -> Tensor:
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    """Small CIFAR-style ResNet: a ``3 x 3`` stem (conv, BN, ReLU), ``len(widths)`` stages of ``blocks_per_stage``
    :class:`BasicBlock` s (stages after the first start with stride 2: 28 -> 28 -> 14 -> 7), global average pooling
    and a linear head. Convolutions have no bias. Convolutions He-normal (fan out), BN weight 1 and bias 0."""

    def __init__(self, in_chans: int = 1, num_classes: int = 10, widths: Sequence[int] = (16, 32, 64),
                 blocks_per_stage: int = 2):
        super().__init__()
        self.in_chans = _positive_int("in_chans", in_chans)
        _positive_int("num_classes", num_classes)
        _positive_int("blocks_per_stage", blocks_per_stage)
        widths = tuple(widths)
        if not widths:
            raise ValueError("widths=() is invalid; valid: one integer >= 1 per stage, at least one stage")
        for w in widths:
            _positive_int("widths entry", w)
        self.widths = widths
        self.stem = nn.Sequential(_conv3x3(in_chans, widths[0]), nn.BatchNorm2d(widths[0]), nn.ReLU())
        self.stages = nn.ModuleList()
        prev = widths[0]
        for i, w in enumerate(widths):
            blocks = [BasicBlock(prev, w, stride=1 if i == 0 else 2)]
            blocks += [BasicBlock(w, w) for _ in range(blocks_per_stage - 1)]
            self.stages.append(nn.Sequential(*blocks))
            prev = w
        self.head = nn.Linear(widths[-1], num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: Tensor) -> Tensor:
        """``x`` (B, in_chans, H, W) -> logits (B, num_classes)."""
        if x.dim() != 4 or x.shape[1] != self.in_chans:
            raise ValueError(f"images of shape {tuple(x.shape)} are invalid; valid: (B, {self.in_chans}, H, W)")
        x = self.stem(x)
        for stage in self.stages:
            x = stage(x)
        return self.head(x.mean((-2, -1)))


def convert(model: ResNet, stages: Sequence[int] = (-1,), alpha: float = 30.0, qk_dim: int = 16) -> ResNet:
    """A deep copy of ``model`` whose BasicBlock convolutions (``conv1`` and ``conv2``) in ``stages`` (indices into
    ``model.stages``, negative allowed) are :meth:`PositionalConvAttention.from_conv`; ``model`` is not modified."""
    if not isinstance(model, ResNet):
        raise ValueError(f"model is a {type(model).__name__}; valid: a ResNet")
    n = len(model.stages)
    stages = tuple(stages)
    if not stages or any(isinstance(i, bool) or not isinstance(i, int) or not -n <= i < n for i in stages):
        raise ValueError(f"stages={stages!r} is invalid; valid: at least one stage index in [-{n}, {n - 1}]")
    out = copy.deepcopy(model)
    for i in sorted({i % n for i in stages}):
        for block in out.stages[i]:
            for name in ("conv1", "conv2"):
                conv = getattr(block, name)
                if isinstance(conv, nn.Conv2d):
                    setattr(block, name, PositionalConvAttention.from_conv(conv, alpha=alpha, qk_dim=qk_dim))
    return out


def psa_layers(model: nn.Module) -> list[PositionalConvAttention]:
    """Every PSA layer of ``model``, in module order."""
    return [m for m in model.modules() if isinstance(m, PositionalConvAttention)]


@torch.no_grad()
def psa_inputs(model: nn.Module, images: Tensor) -> list[Tensor]:
    """The input feature map of every layer of :func:`psa_layers` when ``model`` runs on ``images``."""
    inputs: list[Tensor] = []
    hooks = [layer.register_forward_pre_hook(lambda _, args: inputs.append(args[0])) for layer in psa_layers(model)]
    try:
        model(images)
    finally:
        for hook in hooks:
            hook.remove()
    return inputs


@torch.no_grad()
def psa_nonlocality(layer: PositionalConvAttention, x: Tensor) -> Tensor:
    """``(H,)``: per head, ``sum_j A^h_pj ||delta_pj||`` (padded-grid units) averaged over queries ``p`` and the
    images of ``x`` (B, C_in, H, W), the nonlocality of ConViT §4. At conversion (large ``alpha``) head ``h`` gives
    ``||Delta_h||``: a mean of ``(4 + 4 sqrt(2)) / 9 = 1.073`` over the heads of a ``3 x 3`` kernel."""
    attn = layer.attention(x)
    dist = grid_offsets(*x.shape[-2:], layer.kernel_size, layer.stride).to(attn.dtype).pow(2).sum(-1).sqrt()
    return (attn * dist).sum(-1).mean((0, 2))


@torch.no_grad()
def content_share(layer: PositionalConvAttention, x: Tensor) -> Tensor:
    """``(H,)``: per head, the total variation distance ``0.5 sum_j |A^h_pj - P^h_pj|`` between the attention and
    the purely positional attention, averaged over queries and the images of ``x``; 0 at conversion, at most 1."""
    attn = layer.attention(x)
    return 0.5 * (attn - layer.positional(*x.shape[-2:])).abs().sum(-1).mean((0, 2))
