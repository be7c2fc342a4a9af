"""Align, then memorise: the dynamics of learning with feedback alignment.

Refinetti, d'Ascoli, Ohana, Goldt, ICML 2021, arXiv 2011.12428 (reference code:
GitHub ``sdascoli/dfa-dynamics``). Modules, in the order of the paper's argument:

* ``feedback``     DFA as an autograd node (``loss.backward()`` leaves DFA updates in
                   ``.grad``), feedback matrices, alignment measures
* ``shallow``      two-layer teacher-student trained online by DFA / BP, and the ODEs
* ``deep_linear``  deep linear networks: the alignment matrices A_l
* ``deep``         MLPs and a small CNN on images, DFA vs BP, alignment over training
* ``config``, ``experiments``, ``figures``, ``claims``: the notebook's presets, runs,
                   plots and headline claims
"""
