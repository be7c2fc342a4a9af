"""Optimal learning-rate schedules in high-dimensional non-convex optimization problems.

d'Ascoli, Refinetti, Biroli, arXiv 2202.04509 (2022). Official code: GitHub
``mariaref/nonconvex-lr``. Modules, in the order of the paper's argument (import them
directly; this file imports nothing, so ``import paper_code.langevin`` is cheap):

* ``schedules``    eta(t): Constant, PowerLaw, ConstantThenPowerLaw, SwitchAtOverlap
* ``dmft``         N -> infinity dynamics of the p-spin and spiked matrix-tensor models
* ``exact``        closed forms (p = 2 energies, equilibrium and threshold energies, and the
                   N -> infinity limit of the simulation scheme)
* ``simulation``   finite-N Langevin simulations of the same models (matrix models in their eigenbasis)
* ``network``      two-layer erf teacher-student check, trained with the shared Trainer
* ``stats``        seed-mean intervals, power-law fits with errors, extrapolations
* ``config``, ``experiments``, ``figures``, ``claims``: the notebook's presets, runs,
                   plots and headline claims

Our equations and choices: docs/papers/lr_schedule_langevin.md.
"""
