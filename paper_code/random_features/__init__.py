"""More data or more parameters? Investigating the effect of data structure on generalization.

d'Ascoli, Gabrié, Sagun, Biroli, arXiv 2103.05524 v1 (2021). Official code: GitHub
``sdascoli/strong-weak``. Modules, in the order of the paper's argument (import them
directly; this file imports nothing, so ``import paper_code.random_features`` is cheap):

* ``model``        strong/weak-feature data (saliency r_x, relevance r_beta, fraction 1/r_phi),
                   teacher, activations and their Gaussian-equivalence coefficients
* ``theory``       high-dimensional test/train errors from the replica saddle point
* ``simulation``   finite-D random-features ridge regression with the same conventions
* ``network``      1-hidden-layer ReLU networks on images, trained with the shared Trainer
* ``asymmetry``    swap ratios: more data or more parameters, on theory and network grids
* ``fits``         power-law rate with a 95 % interval (the finite-size claim)
* ``config``, ``experiments``, ``figures``, ``claims``: the notebook's presets, runs,
                   plots and headline claims

docs/papers/random_features_phase_space.md describes the model and our choices.
"""
