"""FLOPs of what a torch function actually runs, counted from the shapes of its matrix products.

The counting rule (used by the benchmark report, ``make bench``):

* matrix products: ``2·m·k·n`` for an ``(m, k) @ (k, n)`` product, per batch entry: ``aten.mm``,
  ``addmm``, ``_addmm_activation``, ``bmm``, ``baddbmm``. ``nn.Linear``, ``torch.matmul`` and
  ``torch.einsum`` reach the dispatcher as these, so they are counted through them;
* convolutions: ``2 · (output elements) · (C_in / groups) · prod(kernel)``, the FLOPs of the
  equivalent im2col product. Backward (``convolution_backward``): the same count again for the input
  gradient and for the weight gradient, each only if autograd asks for it;
* fused attention (``scaled_dot_product_*``, including the CPU flash kernel that
  ``nn.MultiheadAttention`` uses): ``Q Kᵀ`` and ``P V``, i.e. ``2·B·H·L·S·(E + E_v)``. Backward: the
  four gradient products ``dP = dO Vᵀ``, ``dV = Pᵀ dO``, ``dQ = dS K``, ``dK = dSᵀ Q`` (twice the
  forward; a kernel's recomputation of ``Q Kᵀ`` is not counted);
* nothing else: element-wise operations, reductions, softmax, normalisation and the optimizer update
  are not counted.

The counter sees the operations that run, not a formula of the model: counted over a training step
(forward and ``backward()``), it includes exactly the gradient products autograd computes. The input
gradient of a first layer whose input needs none is skipped, and a layer that receives no
back-propagated signal (a detached DFA member) adds none. For a plain network the step comes out close
to 3× the forward count, the usual rule of thumb.

Every counted product is also recorded as a :class:`Gemm` (batch, m, k, n, dtype), so a benchmark can
time a plain ``torch.matmul`` of the model's own dominant shape (:meth:`FlopCount.dominant`,
:func:`gemm_seconds`) and report achieved FLOP/s as a fraction of it.
"""
from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

__all__ = ["Gemm", "FlopCount", "FlopCounter", "count_flops", "gemm_seconds"]


@dataclass(frozen=True)
class Gemm:
    """``batch`` independent ``(m, k) @ (k, n)`` products in ``dtype``."""

    batch: int
    m: int
    k: int
    n: int
    dtype: torch.dtype = torch.float32

    @property
    def flops(self) -> int:
        return 2 * self.batch * self.m * self.k * self.n

    def describe(self) -> str:
        dt = str(self.dtype).replace("torch.", "")
        head = f"{self.batch}×" if self.batch > 1 else ""
        return f"{head}({self.m}×{self.k})·({self.k}×{self.n}) {dt}"


@dataclass
class FlopCount:
    """What :class:`FlopCounter` saw: FLOPs per operation and per product shape."""

    by_op: Counter = field(default_factory=Counter)  # op name -> FLOPs
    by_gemm: Counter = field(default_factory=Counter)  # Gemm -> FLOPs (summed over calls)

    @property
    def total(self) -> int:
        return int(sum(self.by_op.values()))

    def dominant(self) -> Gemm | None:
        """The product shape that accounts for the most FLOPs (``None`` when nothing was counted)."""
        return max(self.by_gemm, key=lambda g: (self.by_gemm[g], g.flops)) if self.by_gemm else None

    def add(self, op: str, gemms: Iterable[Gemm]) -> None:
        for g in gemms:
            self.by_op[op] += g.flops
            self.by_gemm[g] += g.flops


def _shape(t: Any) -> tuple[int, ...]:
    return tuple(int(s) for s in t.shape)


def _mm(a: torch.Tensor, b: torch.Tensor) -> list[Gemm]:
    (m, k), (_, n) = _shape(a), _shape(b)
    return [Gemm(1, m, k, n, a.dtype)]


def _bmm(a: torch.Tensor, b: torch.Tensor) -> list[Gemm]:
    (bt, m, k), (_, _, n) = _shape(a), _shape(b)
    return [Gemm(bt, m, k, n, a.dtype)]


def _conv_gemms(x: torch.Tensor, w: torch.Tensor, out_shape: Sequence[int], transposed: bool, groups: int
                ) -> tuple[Gemm, int, int, int]:
    """Forward im2col product of a convolution, with (N, spatial in, spatial out) element counts."""
    n_batch = int(x.shape[0])
    in_sp = math.prod(int(s) for s in x.shape[2:])
    out_sp = math.prod(int(s) for s in out_shape[2:])
    kernel = math.prod(int(s) for s in w.shape[2:])
    if transposed:  # w: (C_in, C_out / g, *k); each input element scatters into C_out/g · k outputs
        c_in, c_out_g = int(w.shape[0]), int(w.shape[1])
        return Gemm(groups, n_batch * in_sp, c_in // groups, c_out_g * kernel, x.dtype), n_batch, in_sp, out_sp
    c_out, c_in_g = int(w.shape[0]), int(w.shape[1])  # w: (C_out, C_in / g, *k)
    return Gemm(groups, n_batch * out_sp, c_in_g * kernel, c_out // groups, x.dtype), n_batch, in_sp, out_sp


def _conv(args: Sequence[Any], out: Any) -> list[Gemm]:
    x, w = args[0], args[1]
    transposed, groups = bool(args[6]), int(args[8])
    return [_conv_gemms(x, w, _shape(out), transposed, groups)[0]]


def _conv_backward(args: Sequence[Any], out: Any) -> list[Gemm]:
    grad_out, x, w = args[0], args[1], args[2]
    transposed, groups, mask = bool(args[7]), int(args[9]), args[10]
    fwd = _conv_gemms(x, w, _shape(grad_out), transposed, groups)[0]
    # Each gradient is one product with the forward's FLOPs (its operands are the forward's, re-paired).
    grads = []
    if mask[0]:
        grads.append(Gemm(fwd.batch, fwd.m, fwd.n, fwd.k, fwd.dtype))  # dX = dY · Wᵀ
    if mask[1]:
        grads.append(Gemm(fwd.batch, fwd.k, fwd.m, fwd.n, fwd.dtype))  # dW = Xᵀ · dY
    return grads


def _attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> tuple[int, int, int, int, int]:
    *lead, L, E = _shape(q)
    S, Ev = int(k.shape[-2]), int(v.shape[-1])
    return math.prod(lead), L, S, E, Ev


def _sdpa(args: Sequence[Any], out: Any) -> list[Gemm]:
    bh, L, S, E, Ev = _attention(args[0], args[1], args[2])
    dt = args[0].dtype
    return [Gemm(bh, L, E, S, dt), Gemm(bh, L, S, Ev, dt)]  # Q Kᵀ, P V


def _sdpa_backward(args: Sequence[Any], out: Any) -> list[Gemm]:
    bh, L, S, E, Ev = _attention(args[1], args[2], args[3])  # (grad_out, query, key, value, ...)
    dt = args[1].dtype
    return [Gemm(bh, L, Ev, S, dt), Gemm(bh, S, L, Ev, dt),  # dP = dO Vᵀ, dV = Pᵀ dO
            Gemm(bh, L, S, E, dt), Gemm(bh, S, L, E, dt)]  # dQ = dS K, dK = dSᵀ Q


_aten = torch.ops.aten
_SDPA = ("_scaled_dot_product_flash_attention_for_cpu", "_scaled_dot_product_flash_attention",
         "_scaled_dot_product_efficient_attention", "_scaled_dot_product_cudnn_attention")

#: aten op packet -> rule(args, out) -> the products it computes
RULES: dict[Any, Callable[[Sequence[Any], Any], list[Gemm]]] = {
    _aten.mm: lambda a, o: _mm(a[0], a[1]),
    _aten.addmm: lambda a, o: _mm(a[1], a[2]),
    _aten._addmm_activation: lambda a, o: _mm(a[1], a[2]),
    _aten.bmm: lambda a, o: _bmm(a[0], a[1]),
    _aten.baddbmm: lambda a, o: _bmm(a[1], a[2]),
    _aten.convolution: _conv,
    _aten.convolution_backward: _conv_backward,
}
for _name in _SDPA:
    for _suffix, _rule in (("", _sdpa), ("_backward", _sdpa_backward)):
        _packet = getattr(_aten, _name + _suffix, None)
        if _packet is not None:
            RULES[_packet] = _rule


class FlopCounter(TorchDispatchMode):
    """Context manager counting the FLOPs of every matrix product run inside it (see the module doc)."""

    def __init__(self) -> None:
        super().__init__()
        self.count = FlopCount()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001 - torch's protocol
        out = func(*args, **(kwargs or {}))
        rule = RULES.get(func.overloadpacket)
        if rule is not None:
            self.count.add(str(func.overloadpacket).replace("aten.", ""), rule(args, out))
        return out


def count_flops(fn: Callable[[], Any]) -> FlopCount:
    """Run ``fn()`` once under a :class:`FlopCounter` and return what it counted."""
    with FlopCounter() as counter:
        fn()
    return counter.count


def gemm_seconds(gemm: Gemm, min_time_s: float = 0.2, rounds: int = 3, device: str | torch.device = "cpu") -> float:
    """Best time of one ``torch.matmul`` of ``gemm``'s shape (random operands), at the current torch threads.

    Each of ``rounds`` rounds repeats the product until ``min_time_s`` has passed; the best per-call time wins.
    """
    g = torch.Generator(device=device).manual_seed(0)
    shape_a = (gemm.batch, gemm.m, gemm.k) if gemm.batch > 1 else (gemm.m, gemm.k)
    shape_b = (gemm.batch, gemm.k, gemm.n) if gemm.batch > 1 else (gemm.k, gemm.n)
    a = torch.randn(shape_a, generator=g, dtype=gemm.dtype, device=device)
    b = torch.randn(shape_b, generator=g, dtype=gemm.dtype, device=device)
    torch.matmul(a, b)  # warm-up (allocations, kernel choice)
    best = float("inf")
    for _ in range(max(1, rounds)):
        n, t0 = 0, time.perf_counter()
        while True:
            torch.matmul(a, b)
            n += 1
            elapsed = time.perf_counter() - t0
            if elapsed >= min_time_s:
                break
        best = min(best, elapsed / n)
    return best
