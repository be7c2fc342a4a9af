"""Align, then memorise: the dynamics of learning with feedback alignment.

Refinetti, d'Ascoli, Ohana, Goldt, ICML 2021, arXiv 2011.12428. Official code: GitHub
``sdascoli/dfa-dynamics``. Modules, in the order of the paper's argument (import them
directly; this file imports nothing, so ``import paper_code.dfa`` is cheap):

* ``feedback``     DFA as an autograd node (``loss.backward()`` leaves DFA updates in
                   ``.grad``), feedback matrices, alignment measures
* ``shallow``      two-layer teacher-student trained online by DFA / BP, and the ODEs
* ``deep_linear``  deep linear networks: the alignment matrices A_l
* ``deep``         MLPs and a small CNN on images, DFA vs BP, alignment over training
* ``conv_feedback`` feedback built from a CNN's own convolutions ("aligned" feedback)
* ``resumable``    evaluations on a log grid and resumable checkpoints for every run
* ``config``, ``experiments`` (``exp_shallow``, ``exp_deep_linear``, ``exp_images``,
  ``curves``), ``figures``, ``claims``: the notebook's presets, runs, plots and claims
* ``precompute``   trains every run into its checkpoints ahead of the notebook (paper scale)

What we implement and why: docs/papers/dfa_alignment.md.
"""
