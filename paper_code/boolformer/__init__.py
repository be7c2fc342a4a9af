"""Boolformer: symbolic regression of Boolean functions with transformers.

d'Ascoli, Bengio, Susskind, Abbé, arXiv 2309.12207 (v1 2023, v2 2025). Official code: GitHub
``sdascoli/boolformer``. The model, tokens and decoding live in the shared core
:mod:`paper_code.symbolic`. Modules (import them directly; this file imports nothing, so
``import paper_code.boolformer`` is cheap):

* ``formulas``     random formulas, truth tables, simplification (the training distribution)
* ``inputs``       what the encoder reads: truth-table rows, noisy random-walk observations, row tokens
* ``data``         examples, held-out functions never trained on, on-the-fly batches for the Trainer
* ``inference``    rows → ranked formulas through the core's candidate loop (fit accuracy, then fewer gates)
* ``config``       quick / paper presets of the two models (noiseless, noisy) and their evaluation
* ``train``        the two training stages (``python -m paper_code.boolformer.train --model noiseless|noisy``)
* ``estimator``    ``Boolformer``: fit / predict / score on a user's binary table
* ``circuits``     named circuits as truth tables (comparator, multiplexer, majority, parity, adder, multiplier)
* ``datasets``     logic classification data sets regenerated from their definitions, and the baselines
* ``grn``          gene-regulatory networks: E. coli benchmark loader, simulation, metrics, Best-Fit, REVEAL
* ``experiments``  the notebook's noiseless, circuit, noisy and timing experiments
* ``applications`` the notebook's classification and gene-network experiments
* ``claims``       the paper's headline claims, checked on the metrics
* ``figures``      the notebook's figures
"""
