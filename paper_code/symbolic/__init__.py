"""Shared symbolic-regression core for ODEFormer, E2E symbolic regression, recurrent sequences and Boolformer.

Spec: ``shared/papers/symbolic_core.md``. Modules (import them directly; this package imports nothing):

* ``expressions``  — :class:`Node` trees, operator table (NumPy / Torch / SymPy), safe evaluation (§1)
* ``encoding``     — prefix token encoding / decoding, ``|``-separated systems (§1, §3)
* ``numbers``      — sign / mantissa / exponent float tokens, base-B integer tokens (§3)
* ``generator``    — Lample & Charton tree sampling, ODEFormer / E2E generator presets (§2)
* ``sympy_bridge`` — tree ↔ SymPy, simplification with a size guard, equivalence check (§1, §8)
* ``metrics``      — clipped R², R²/tolerance accuracies, complexity (§8)
* ``refine``       — BFGS constant refinement with autograd gradients (§7)
* ``embedder``     — vocabularies, point tokenisation, linear point embedder (§4)
* ``model``        — small encoder–decoder transformer with greedy / beam / sampling decoding (§5, §6)
"""
