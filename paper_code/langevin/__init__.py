"""Optimal learning-rate schedules in high-dimensional non-convex optimization.

d'Ascoli, Refinetti, Biroli, arXiv 2202.04509 (reference code: GitHub
`mariaref/nonconvex-lr`). Modules, in the order of the paper's argument:

* ``schedules``  eta(t): Constant, PowerLaw, ConstantThenPowerLaw, SwitchAtOverlap
* ``dmft``       N -> infinity dynamics of the p-spin and spiked matrix-tensor models
* ``exact``      closed forms (p = 2 energies, equilibrium and threshold energies)
* ``simulation`` finite-N Langevin simulations of the same models
* ``network``    two-layer erf teacher-student check, trained with the shared Trainer
                 (imported lazily: it pulls in torch)
"""

from .dmft import DMFTResult, DMFTState, HConvergence, Mixture, h_convergence, integrate_pspin, integrate_spiked, step
from .exact import (
    dynamical_temperature,
    integrated_rate,
    paramagnetic_energy,
    sk_energy,
    sk_equilibrium_energy,
    sk_zero_temperature_asymptote,
    sk_zero_temperature_energy,
    threshold_energy,
)
from .schedules import Constant, ConstantThenPowerLaw, PowerLaw, Schedule, SwitchAtOverlap, power_laws
from .simulation import (
    GapScaledRun,
    Landscape,
    SimResult,
    pspin_landscape,
    simulate,
    simulate_pspin,
    simulate_spiked,
    simulate_sk_gap_scaled,
    spiked_landscape,
)

_NETWORK = {
    "TeacherStudentConfig",
    "NetworkResult",
    "train_teacher_student",
    "generalisation_error",
    "mc_generalisation_error",
    "ErfEnsemble",
    "OnlineTeacherData",
}


def __getattr__(name: str):
    if name in _NETWORK:
        from . import network

        return getattr(network, name)
    raise AttributeError(f"module 'paper_code.langevin' has no attribute {name!r}")


__all__ = [
    "Constant",
    "PowerLaw",
    "ConstantThenPowerLaw",
    "SwitchAtOverlap",
    "Schedule",
    "power_laws",
    "Mixture",
    "DMFTState",
    "DMFTResult",
    "HConvergence",
    "step",
    "integrate_pspin",
    "integrate_spiked",
    "h_convergence",
    "integrated_rate",
    "sk_zero_temperature_energy",
    "sk_zero_temperature_asymptote",
    "sk_energy",
    "paramagnetic_energy",
    "sk_equilibrium_energy",
    "threshold_energy",
    "dynamical_temperature",
    "Landscape",
    "SimResult",
    "pspin_landscape",
    "spiked_landscape",
    "simulate",
    "simulate_pspin",
    "simulate_spiked",
    "simulate_sk_gap_scaled",
    "GapScaledRun",
    *sorted(_NETWORK),
]
