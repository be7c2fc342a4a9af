"""Shared symbolic-regression core of four papers by d'Ascoli and co-authors.

Serves ODEFormer (ICLR 2024, arXiv 2310.05573), end-to-end symbolic regression (Kamienny et al.,
NeurIPS 2022, arXiv 2204.10532), deep symbolic regression for recurrent sequences (ICML 2022,
arXiv 2201.04600) and Boolformer (arXiv 2309.12207). Modules (import them directly; this file
imports nothing, so ``import paper_code.symbolic`` is cheap):

* ``expressions``  :class:`Node` trees, operator table (NumPy / Torch / SymPy), safe evaluation
* ``compile``      trees compiled to plain-Python scalar functions
* ``exact``        exact evaluation on Python integers (integer sequences), recurrences rolled forward
* ``encoding``     prefix token encoding / decoding, ``|``-separated systems
* ``numbers``      sign / mantissa / exponent float tokens, base-B integer tokens (``IntegerTokenizer``)
* ``generator``    Lample & Charton tree sampling, ODEFormer / E2E generator presets
* ``sympy_bridge`` tree <-> SymPy, simplification with a size guard, equivalence check
* ``metrics``      clipped R², R²/tolerance accuracies, complexity
* ``refine``       BFGS constant refinement with autograd gradients
* ``embedder``     vocabularies, point tokenisation, linear point embedder, token-sequence embedder
* ``model``        small encoder-decoder transformer (point or token-sequence encoder input)
* ``decoding``     batched greedy, sampling and beam decoding
* ``candidates``   the candidate loop: decode, parse, dedupe, score, refine, rank
* ``estimator``    what every paper's scikit-learn style estimator shares
"""
