"""ODEFormer: symbolic regression of dynamical systems with transformers.

d'Ascoli, Becker, Mathis, Schwaller, Kilbertus, ICLR 2024, arXiv 2310.05573. Official code:
GitHub ``sdascoli/odeformer``. The model, tokens and decoding live in the shared core
:mod:`paper_code.symbolic`. Modules (import them directly; this file imports nothing, so
``import paper_code.odeformer`` is cheap):

* ``integrate``    integration of tree systems with rejection, noise and subsampling
* ``generator``    random training systems and their tokenised trajectories
* ``train``        the training entry point (cached data, shared Trainer, torchrun-ready)
* ``checkpoint``   health of the trained checkpoint (missing, corrupt, other settings)
* ``inference``    one trajectory -> ranked candidate systems
* ``estimator``    scikit-learn style ``fit`` / ``predict`` on your own data
* ``odebench``     ODEBench and the Strogatz set, from the published definitions
* ``scoring``      reconstruction and generalisation scores of a predicted system
* ``sindy``        the SINDy baseline with its hyper-parameter search
* ``benchmark``    the harness comparing methods on benchmark tasks
* ``config``, ``experiments``, ``figures``, ``claims``: the notebook's presets, runs,
                   plots and headline claims
"""
