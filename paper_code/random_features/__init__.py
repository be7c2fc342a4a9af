"""More data or more parameters? The generalization phase space of random features.

d'Ascoli, Gabrié, Sagun, Biroli, arXiv 2103.05524 v1 (reference code: GitHub
``sdascoli/strong-weak``). Modules, in the order of the paper's argument:

* ``model``       strong/weak-feature data (saliency r_x, relevance r_beta, fraction 1/r_phi),
                  teacher, activations and their Gaussian-equivalence coefficients
* ``theory``      high-dimensional test/train errors from the replica saddle point,
                  solved exactly per grid point (or by the brief's damped iteration)
* ``simulation``  finite-D random-features ridge regression with the same conventions
* ``network``     1-hidden-layer ReLU networks on images, trained with the shared Trainer
                  (imported lazily: it pulls in torch)
* ``experiments`` one ``run_*`` per figure, ``*_metrics`` for the claims; ``figures``; ``claims``
"""

from .model import (
    ACTIVATIONS,
    TASKS,
    GaussianEquivalence,
    StrongWeakData,
    activation_fn,
    gaussian_equivalence,
    numerical_gaussian_equivalence,
)
from .simulation import SimulationResult, errors, make_labels, ridge_readout, rf_features, simulate_random_features
from .theory import ConvergenceError, SaddlePoint, TheoryResult, block_resolvent, brief_update, solve_saddle_point

_NETWORK = {
    "PreparedImages",
    "prepare_images",
    "corrupt_labels",
    "GridMLP",
    "FullBatch",
    "NetworkGridResult",
    "train_network_grid",
}


def __getattr__(name: str):
    if name in _NETWORK:
        from . import network

        return getattr(network, name)
    raise AttributeError(f"module 'paper_code.random_features' has no attribute {name!r}")


__all__ = [
    "ACTIVATIONS",
    "TASKS",
    "GaussianEquivalence",
    "StrongWeakData",
    "activation_fn",
    "gaussian_equivalence",
    "numerical_gaussian_equivalence",
    "ConvergenceError",
    "SaddlePoint",
    "TheoryResult",
    "block_resolvent",
    "brief_update",
    "solve_saddle_point",
    "SimulationResult",
    "errors",
    "make_labels",
    "ridge_readout",
    "rf_features",
    "simulate_random_features",
    *sorted(_NETWORK),
]
