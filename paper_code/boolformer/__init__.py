"""Boolformer: symbolic regression of Boolean functions with transformers.

d'Ascoli, Bengio, Susskind, Abbé, arXiv 2309.12207 (v1 2023, v2 2025). Official code: GitHub
``sdascoli/boolformer``. The model, tokens and decoding live in the shared core
:mod:`paper_code.symbolic`. Modules (import them directly; this file imports nothing, so
``import paper_code.boolformer`` is cheap):

* ``formulas``     random formulas, truth tables, simplification (the training distribution)
* ``inputs``       what the encoder reads: truth-table rows, noisy random-walk observations, row tokens
* ``data``         examples, held-out functions never trained on, on-the-fly batches for the Trainer
* ``inference``    rows → ranked formulas through the core's candidate loop (fit accuracy, then fewer gates)
"""
