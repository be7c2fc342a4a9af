"""ODEBench (63 systems) and the "Strogatz" set (7 systems), written from the published definitions.

Sources (facts, transcribed into our own code):

* ODEBench — d'Ascoli, Becker, Mathis, Schwaller, Kilbertus, "ODEFormer: symbolic regression of dynamical
  systems with transformers", ICLR 2024, Appendix (benchmark table); the definitions are distributed as
  ``odeformer/odebench/strogatz_equations.py`` / ``strogatz_extended.json`` in ``sdascoli/odeformer`` (MIT).
  Most systems come from S. Strogatz, *Nonlinear Dynamics and Chaos* (2nd ed., 2015). We keep the released
  quirks: id 40 is labelled "Duffing" but has a van-der-Pol-type right-hand side; id 16 has c1 = -0.04;
  the ICs of ids 49 and 62 violate their stated positivity constraints.
* Strogatz set — W. La Cava et al., ODE-Strogatz repository (also in PMLB as ``strogatz_<name>{1,2}``),
  used by La Cava et al., "Contemporary symbolic regression methods and their relative performance",
  NeurIPS Datasets & Benchmarks 2021. Each system has 4 trajectories of 100 samples at Δt = 0.1.

Each definition holds the right-hand side as strings in ``x0..x3`` and constants ``c0..c9`` (``^`` is the
power), parsed with SymPy into core trees (:func:`parse_system`). Reference files (never committed) are
read by :func:`load_reference_odebench` / :func:`load_reference_strogatz` from ``<root>/symbolic/...`` or
``<root>/...`` for every root of :func:`paper_code.data.paths.external_roots`.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import sympy

from paper_code.data.paths import candidate_dirs, env_note
from paper_code.odeformer.integrate import ODEBENCH_SOLVER, SolverSettings, Trajectory, integrate
from paper_code.symbolic.expressions import Node
from paper_code.symbolic.sympy_bridge import from_sympy, symbol

__all__ = [
    "ODESystem",
    "ODEBENCH",
    "STROGATZ",
    "CHAOTIC_IDS",
    "ODEBENCH_TIME",
    "STROGATZ_TIME",
    "parse_system",
    "odebench_system",
    "find_reference_file",
    "load_reference_odebench",
    "load_reference_strogatz",
]

#: Reference solution grid of ODEBench: 512 uniform points on [0, 10] (settings: ``ODEBENCH_SOLVER``).
ODEBENCH_TIME = np.linspace(0.0, 10.0, 512)
#: Strogatz-set sampling: t = 0, 0.1, ..., 9.9 within each of the 4 trajectories.
STROGATZ_TIME = np.round(np.arange(100) * 0.1, 10)
#: Chaotic ODEBench systems (analysed separately in the paper).
CHAOTIC_IDS: tuple[int, ...] = (56, 59, 60, 61)

_X = {f"x{i}": symbol(f"x_{i}") for i in range(4)}
_C = {f"c{i}": sympy.Symbol(f"c{i}") for i in range(10)}
# cot is not a core operator: write it as cos/sin.
_FUNCS = {"cot": lambda a: sympy.cos(a) / sympy.sin(a)}


def parse_system(equations: Sequence[str], constants: Sequence[float] = ()) -> tuple[Node, ...]:
    """Trees of right-hand sides written in ``x0..x3`` / ``c0..c9`` with the constants substituted."""
    out = []
    subs = {_C[f"c{i}"]: sympy.Float(float(c), 17) for i, c in enumerate(constants)}
    for eq in equations:
        expr = sympy.sympify(eq.replace("^", "**"), locals={**_X, **_C, **_FUNCS})
        expr = expr.subs(subs)
        left = expr.free_symbols - set(_X.values())
        if left:
            raise ValueError(f"unbound symbols {sorted(map(str, left))} in {eq!r}")
        out.append(from_sympy(expr))
    return tuple(out)


@dataclass(frozen=True)
class ODESystem:
    """One benchmark system: RHS strings, constants and initial conditions (IC 1 fit, IC 2 generalise)."""

    id: int | str
    name: str
    equations: tuple[str, ...]
    constants: tuple[float, ...]
    init: tuple[tuple[float, ...], ...]
    source: str = field(default="", compare=False)

    @property
    def dim(self) -> int:
        return len(self.equations)

    @cached_property
    def trees(self) -> tuple[Node, ...]:
        return parse_system(self.equations, self.constants)

    def rhs(self, X: np.ndarray) -> np.ndarray:
        """Right-hand side at the states ``X`` (``(N, D)`` → ``(N, D)``)."""
        X = np.asarray(X, dtype=float).reshape(-1, self.dim)
        return np.stack([t.evaluate(X) for t in self.trees], axis=1)

    def solve(self, ic: int = 0, t: np.ndarray | None = None, settings: SolverSettings = ODEBENCH_SOLVER
              ) -> Trajectory:
        """Integrate from initial condition ``ic`` (0 = IC 1) over ``t`` (default: the ODEBench grid)."""
        return integrate(self.trees, self.init[ic], ODEBENCH_TIME if t is None else t, settings)


def _S(i: int, name: str, eqs: tuple[str, ...], consts: tuple[float, ...], ic1: tuple[float, ...],
       ic2: tuple[float, ...]) -> ODESystem:
    return ODESystem(i, name, eqs, tuple(float(c) for c in consts),
                     (tuple(float(v) for v in ic1), tuple(float(v) for v in ic2)), source="ODEBench")


# id, description, right-hand side per component, constants c0.., IC 1, IC 2.
ODEBENCH: tuple[ODESystem, ...] = (
    _S(1, 'RC-circuit (charging capacitor)',
       ('(c0 - x0 / c1) / c2',),
       (0.7, 1.2, 2.31), (10,), (3.54,)),
    _S(2, 'Population growth (naive)',
       ('c0 * x0',),
       (0.23,), (4.78,), (0.87,)),
    _S(3, 'Population growth with carrying capacity',
       ('c0 * x0 * (1 - x0 / c1)',),
       (0.79, 74.3), (7.3,), (21,)),
    _S(4, 'RC-circuit with non-linear resistor (charging capacitor)',
       ('1 / (1 + exp(c0 - x0 / c1)) - 0.5',),
       (0.5, 0.96), (0.8,), (0.02,)),
    _S(5, 'Velocity of a falling object with air resistance',
       ('c0 - c1 * x0^2',),
       (9.81, 0.0021175), (0.5,), (73,)),
    _S(6, 'Autocatalysis with one fixed abundant chemical',
       ('c0 * x0 - c1 * x0^2',),
       (2.1, 0.5), (0.13,), (2.24,)),
    _S(7, 'Gompertz law for tumor growth',
       ('c0 * x0 * log(c1 * x0)',),
       (0.032, 2.29), (1.73,), (9.5,)),
    _S(8, 'Logistic equation with Allee effect',
       ('c0 * x0 * (1 - x0 / c1) * (x0 / c2 - 1)',),
       (0.14, 130, 4.4), (6.123,), (2.1,)),
    _S(9, 'Language death model for two languages',
       ('(1 - x0) * c0 - x0 * c1',),
       (0.32, 0.28), (0.14,), (0.55,)),
    _S(10, 'Refined language death model for two languages',
       ('(1 - x0) * c0 * x0^c1 - x0 * (1 - c0) * (1 - x0)^c1',),
       (0.2, 1.2), (0.83,), (0.34,)),
    _S(11, 'Naive critical slowing down (statistical mechanics)',
       ('- x0^3',),
       (), (3.4,), (1.6,)),
    _S(12, 'Photons in a laser (simple)',
       ('c0 * x0 - c1 * x0^2',),
       (1.8, 0.1107), (11,), (1.3,)),
    _S(13, 'Overdamped bead on a rotating hoop',
       ('c0 * sin(x0) * (c1 * cos(x0) - 1)',),
       (0.0981, 9.7), (3.1,), (2.4,)),
    _S(14, 'Budworm outbreak model with predation',
       ('c0 * x0 * (1 - x0 / c1) - c3 * x0^2 / (c2^2 + x0^2)',),
       (0.78, 81, 21.2, 0.9), (2.76,), (23.3,)),
    _S(15, 'Budworm outbreak with predation (dimensionless)',
       ('c0 * x0 * (1 - x0 / c1) - x0^2 / (1 + x0^2)',),
       (0.4, 95), (44.3,), (4.5,)),
    _S(16, 'Landau equation (typical time scale tau = 1)',
       ('c0 * x0 - c1 * x0^3 - c2 * x0^5',),
       (0.1, -0.04, 0.001), (0.94,), (1.65,)),
    _S(17, 'Logistic equation with harvesting/fishing',
       ('c0 * x0 * (1 - x0 / c1) - c2',),
       (0.4, 100, 0.3), (14.3,), (34.2,)),
    _S(18, 'Improved logistic equation with harvesting/fishing',
       ('c0 * x0 * (1 - x0 / c1) - c2 * x0 / (c3 + x0)',),
       (0.4, 100, 0.24, 50), (21.1,), (44.1,)),
    _S(19, 'Improved logistic equation with harvesting/fishing (dimensionless)',
       ('x0 * (1 - x0) - c0 * x0 / (c1 + x0)',),
       (0.08, 0.8), (0.13,), (0.03,)),
    _S(20, 'Autocatalytic gene switching (dimensionless)',
       ('c0 - c1 * x0 + x0^2 / (1 + x0^2)',),
       (0.1, 0.55), (0.002,), (0.25,)),
    _S(21, 'Dimensionally reduced SIR infection model for dead people (dimensionless)',
       ('c0 - c1 * x0 - exp(-x0)',),
       (1.2, 0.2), (0,), (0.8,)),
    _S(22, 'Hysteretic activation of a protein expression (positive feedback, basal promoter expression)',
       ('c0 + c1 * x0^5 / (c2 + x0^5) - c3 * x0',),
       (1.4, 0.4, 123, 0.89), (3.1,), (6.3,)),
    _S(23, 'Overdamped pendulum with constant driving torque/fireflies/Josephson junction (dimensionless)',
       ('c0 - sin(x0)',),
       (0.21,), (-2.74,), (1.65,)),
    _S(24, 'Harmonic oscillator without damping',
       ('x1', '- c0 * x0'),
       (2.1,), (0.4, -0.03), (0, 0.2)),
    _S(25, 'Harmonic oscillator with damping',
       ('x1', '- c0 * x0 - c1 * x1'),
       (4.5, 0.43), (0.12, 0.043), (0, -0.3)),
    _S(26, 'Lotka-Volterra competition model (Strogatz version with sheeps and rabbits)',
       ('x0 * (c0 - x0 - c1 * x1)', 'x1 * (c2 - x0 - x1)'),
       (3, 2, 2), (5, 4.3), (2.3, 3.6)),
    _S(27, 'Lotka-Volterra simple (as on Wikipedia)',
       ('x0 * (c0 - c1 * x1)', '- x1 * (c2 - c3 * x0)'),
       (1.84, 1.45, 3, 1.62), (8.3, 3.4), (0.4, 0.65)),
    _S(28, 'Pendulum without friction',
       ('x1', '- c0 * sin(x0)'),
       (0.9,), (-1.9, 0), (0.3, 0.8)),
    _S(29, 'Dipole fixed point',
       ('c0 * x0 * x1', 'x1^2 - x0^2'),
       (0.65,), (3.2, 1.4), (1.3, 0.2)),
    _S(30, 'RNA molecules catalyzing each others replication',
       ('x0 * (x1 - c0 * x0 * x1)', 'x1 * (x0 - c0 * x0 * x1)'),
       (1.61,), (0.3, 0.04), (0.1, 0.21)),
    _S(31, 'SIR infection model only for healthy and sick',
       ('- c0 * x0 * x1', 'c0 * x0 * x1 - c1 * x1'),
       (0.4, 0.314), (7.2, 0.98), (20, 12.4)),
    _S(32, 'Damped double well oscillator',
       ('x1', '- c0 * x1 + x0 - x0^3'),
       (0.18,), (-1.8, -1.8), (5.8, 0)),
    _S(33, 'Glider (dimensionless)',
       ('- sin(x1) - c0 * x0^2', 'x0 - cos(x1) / x0'),
       (0.08,), (5, 0.7), (9.81, -0.8)),
    _S(34, 'Frictionless bead on a rotating hoop (dimensionless)',
       ('x1', 'sin(x0) * (cos(x0) - c0)'),
       (0.93,), (2.1, 0), (-1.2, -0.2)),
    _S(35, 'Rotational dynamics of an object in a shear flow',
       ('cot(x1) * cos(x0)', 'sin(x0) * (cos(x1)^2 + c0 * sin(x1)^2)'),
       (4.2,), (1.13, -0.3), (2.4, 1.7)),
    _S(36, 'Pendulum with non-linear damping, no driving (dimensionless)',
       ('x1', '- sin(x0) - x1 - c0 * cos(x0) * x1'),
       (0.07,), (0.45, 0.9), (1.34, -0.8)),
    _S(37, 'Van der Pol oscillator (standard form)',
       ('x1', '- x0 - c0 * (x0^2 - 1) * x1'),
       (0.43,), (2.2, 0), (0.1, 3.2)),
    _S(38, 'Van der Pol oscillator (simplified form from Strogatz)',
       ('c0 * (x1 - x0^3 / 3 + x0)', '- x0 / c0'),
       (3.37,), (0.7, 0), (-1.1, -0.7)),
    _S(39, 'Glycolytic oscillator, e.g., ADP and F6P in yeast (dimensionless)',
       ('- x0 + c0 * x1 + x0^2 * x1', 'c1 - c0 * x0 - x0^2 * x1'),
       (2.4, 0.07), (0.4, 0.31), (0.2, -0.7)),
    _S(40, 'Duffing equation (weakly non-linear oscillation)',
       ('x1', '- x0 + c0 * x1 * (1 - x0^2)'),
       (0.886,), (0.63, -0.03), (0.2, 0.2)),
    _S(41, 'Cell cycle model by Tyson for interaction between protein cdc2 and cyclin (dimensionless)',
       ('c0 * (x1 - x0) * (c1 + x0^2) - x0', 'c2 - x0'),
       (15.3, 0.001, 0.3), (0.8, 0.3), (0.02, 1.2)),
    _S(42, 'Reduced model for chlorine dioxide-iodine-malonic acid rection (dimensionless)',
       ('c0 - x0 - c1 * x0 * x1 / (1 + x0^2)', 'c2 * x0 * (1 - x1 / (1 + x0^2))'),
       (8.9, 4, 1.4), (0.2, 0.35), (3, 7.8)),
    _S(43, 'Driven pendulum with linear damping / Josephson junction (dimensionless)',
       ('x1', 'c0 - sin(x0) - c1 * x1'),
       (1.67, 0.64), (1.47, -0.2), (-1.9, 0.03)),
    _S(44, 'Driven pendulum with quadratic damping (dimensionless)',
       ('x1', 'c0 - sin(x0) - c1 * x1 * abs(x1)'),
       (1.67, 0.64), (1.47, -0.2), (-1.9, 0.03)),
    _S(45, 'Isothermal autocatalytic reaction model by Gray and Scott 1985 (dimensionless)',
       ('c0 * (1 - x0) - x0 * x1^2', 'x0 * x1^2 - c1 * x1'),
       (0.5, 0.02), (1.4, 0.2), (0.32, 0.64)),
    _S(46, 'Interacting bar magnets',
       ('c0 * sin(x0 - x1) - sin(x0)', 'c0 * sin(x1 - x0) - sin(x1)'),
       (0.33,), (0.54, -0.1), (0.43, 1.21)),
    _S(47, 'Binocular rivalry model (no oscillations)',
       ('- x0 + 1 / (1 + exp(c0 * x1 - c1))', '- x1 + 1 / (1 + exp(c0 * x0 - c1))'),
       (4.89, 1.4), (0.65, 0.59), (3.2, 10.3)),
    _S(48, 'Bacterial respiration model for nutrients and oxygen levels',
       ('c0 - x0 - x0 * x1 / (1 + c1 * x0^2)', 'c2 - x0 * x1 / (1 + c1 * x0^2)'),
       (18.3, 0.48, 11.23), (0.1, 30.4), (13.2, 5.21)),
    _S(49, 'Brusselator: hypothetical chemical oscillation model (dimensionless)',
       ('1 - (c0 + 1) * x0 + c1 * x0^2 * x1', 'c0 * x0 - c1 * x0^2 * x1'),
       (3.03, 3.1), (0.7, -1.4), (2.1, 1.3)),
    _S(50, 'Chemical oscillator model by Schnackenberg 1979 (dimensionless)',
       ('c0 - x0 + x0^2 * x1', 'c1 - x0^2 * x1'),
       (0.24, 1.43), (0.14, 0.6), (1.5, 0.9)),
    _S(51, 'Oscillator death model by Ermentrout and Kopell 1990',
       ('c0 + sin(x1) * cos(x0)', 'c1 + sin(x1) * cos(x0)'),
       (1.432, 0.972), (2.2, 0.67), (0.03, -0.12)),
    _S(52, 'Maxwell-Bloch equations (laser dynamics)',
       ('c0 * (x1 - x0)', 'c1 * (x0 * x2 - x1)', 'c2 * (c3 + 1 - x2 - c3 * x0 * x1)'),
       (0.1, 0.21, 0.34, 3.1), (1.3, 1.1, 0.89), (0.89, 1.3, 1.1)),
    _S(53, 'Model for apoptosis (cell death)',
       ('c0 - c5 * x1 * x0 / (c9 + x0) - c4 * x0',
        'c1 * x2 * (c8 + x1) - c2 * x1 / (c6 + x1) - c3 * x0 * x1 / (c7 + x1)',
        '- c1 * x2 * (c8 + x1) + c2 * x1 / (c6 + x1) + c3 * x0 * x1 / (c7 + x1)'),
       (0.1, 0.6, 0.2, 7.95, 0.05, 0.4, 0.1, 2, 0.1, 0.1), (0.005, 0.26, 2.15), (0.248, 0.0973, 0.0027)),
    _S(54, 'Lorenz equations in well-behaved periodic regime',
       ('c0 * (x1 - x0)', 'c1 * x0 - x1 - x0 * x2', 'x0 * x1 - c2 * x2'),
       (5.1, 12, 1.67), (2.3, 8.1, 12.4), (10, 20, 30)),
    _S(55, 'Lorenz equations in complex periodic regime',
       ('c0 * (x1 - x0)', 'c1 * x0 - x1 - x0 * x2', 'x0 * x1 - c2 * x2'),
       (10, 99.96, 8/3), (2.3, 8.1, 12.4), (10, 20, 30)),
    _S(56, 'Lorenz equations standard parameters (chaotic)',
       ('c0 * (x1 - x0)', 'c1 * x0 - x1 - x0 * x2', 'x0 * x1 - c2 * x2'),
       (10, 28, 8/3), (2.3, 8.1, 12.4), (10, 20, 30)),
    _S(57, 'Rössler attractor (stable fixed point)',
       ('c3 * (- x1 - x2)', 'c3 * (x0 + c0 * x1)', 'c3 * (c1 + x2 * (x0 - c2))'),
       (-0.2, 0.2, 5.7, 5), (2.3, 1.1, 0.8), (-0.1, 4.1, -2.1)),
    _S(58, 'Rössler attractor (periodic)',
       ('c3 * (- x1 - x2)', 'c3 * (x0 + c0 * x1)', 'c3 * (c1 + x2 * (x0 - c2))'),
       (0.1, 0.2, 5.7, 5), (2.3, 1.1, 0.8), (-0.1, 4.1, -2.1)),
    _S(59, 'Rössler attractor (chaotic)',
       ('c3 * (- x1 - x2)', 'c3 * (x0 + c0 * x1)', 'c3 * (c1 + x2 * (x0 - c2))'),
       (0.2, 0.2, 5.7, 5), (2.3, 1.1, 0.8), (-0.1, 4.1, -2.1)),
    _S(60, 'Aizawa attractor (chaotic)',
       ('x0 * (x2 - c1) - c3 * x1', 'c3 * x0 + x1 * (x2 - c1)',
        'c2 + c0 * x2 - x2^3 / 3 - (x0^2 + x1^2) * (1 + c4 * x2) + c5 * x2 * x0^3'),
       (0.95, 0.7, 0.65, 3.5, 0.25, 0.1), (0.1, 0.05, 0.05), (-0.3, 0.2, 0.1)),
    _S(61, 'Chen-Lee attractor; system for gyro motion with feedback control of rigid body (chaotic)',
       ('c0 * x0 - x1 * x2', 'c1 * x1 + x0 * x2', 'c2 * x2 + x0 * x1 / c3'),
       (5, -10, -3.8, 3), (15, -15, -15), (8, 14, -10)),
    _S(62, 'Binocular rivalry model with adaptation (oscillations)',
       ('- x0 + 1 / (1 + exp(c0 * x2 + c1 * x1 - c2))', 'c3 * (x0 - x1)',
        '- x2 + 1 / (1 + exp(c0 * x0 + c1 * x3 - c2))', 'c3 * (x2 - x3)'),
       (0.89, 0.4, 1.4, 1), (2.25, -0.5, -1.13, 0.4), (0.342, -0.431, -0.86, 0.041)),
    _S(63, 'SEIR infection model (proportions)',
       ('- c1 * x0 * x2', 'c1 * x0 * x2 - c0 * x1', 'c0 * x1 - c2 * x2', 'c2 * x2'),
       (0.47, 0.28, 0.3), (0.6, 0.3, 0.09, 0.01), (0.4, 0.3, 0.25, 0.05)),
)

_BY_ID = {s.id: s for s in ODEBENCH}


def odebench_system(i: int) -> ODESystem:
    """ODEBench system by id (1..63)."""
    try:
        return _BY_ID[i]
    except KeyError:
        raise KeyError(f"no ODEBench system with id {i}; ids are {min(_BY_ID)}..{max(_BY_ID)}") from None


def _strogatz(name: str, eqs: tuple[str, str], ics: tuple[tuple[float, float], ...]) -> ODESystem:
    return ODESystem(name, name, eqs, (), ics, source="ODE-Strogatz (La Cava)")


# ICs: first rows of the 4 trajectories in the reference files, rounded to 3 decimals (the exact values
# are in the files; :func:`load_reference_strogatz` returns them).
STROGATZ: tuple[ODESystem, ...] = (
    _strogatz("bacres", ("20 - x0 - x0 * x1 / (1 + 0.5 * x0^2)", "10 - x0 * x1 / (1 + 0.5 * x0^2)"),
              ((9.015, 12.802), (3.485, 13.070), (5.814, 9.936), (5.802, 9.793))),
    _strogatz("barmag", ("0.5 * sin(x0 - x1) - sin(x0)", "0.5 * sin(x1 - x0) - sin(x1)"),
              ((4.265, 4.761), (4.669, 2.464), (4.118, 1.076), (4.436, 0.200))),
    _strogatz("glider", ("-0.05 * x0^2 - sin(x1)", "x0 - cos(x1) / x0"),
              ((5.603, 1.855), (2.466, 0.872), (5.358, -1.323), (4.514, 0.347))),
    _strogatz("lv", ("3 * x0 - 2 * x0 * x1 - x0^2", "2 * x1 - x0 * x1 - x1^2"),
              ((1, 3), (4, 1), (8, 2), (3, 3))),
    _strogatz("predprey", ("x0 * (4 - x0 - x1 / (1 + x0))", "x1 * (x0 / (1 + x0) - 0.075 * x1)"),
              ((4.861, 11.507), (6.581, 11.434), (5.753, 8.779), (5.805, 11.649))),
    _strogatz("shearflow", ("cot(x1) * cos(x0)", "(cos(x1)^2 + 0.1 * sin(x1)^2) * sin(x0)"),
              ((-1.402, -1.426), (-2.531, 1.016), (1.224, -0.575), (2.829, -1.463))),
    _strogatz("vdp", ("10 * (x1 - (x0^3 - x0) / 3)", "-x0 / 10"),
              ((0.357, 0.217), (0.677, 0.736), (0.010, 0.356), (0.240, 0.928))),
)


def find_reference_file(relative: str) -> Path | None:
    """First existing ``<root>/symbolic/<relative>`` or ``<root>/<relative>`` over the external roots."""
    for sub in ("symbolic", "."):
        for d in candidate_dirs(sub):
            p = (d / relative).resolve()
            if p.is_file():
                return p
    return None


def _missing(relative: str) -> FileNotFoundError:
    return FileNotFoundError(
        f"reference file {relative!r} not found under any of "
        f"{[str(d) for d in candidate_dirs('symbolic')]} {env_note()}; it is only needed for cross-checks")


def load_reference_odebench(with_solutions: bool = True) -> list[dict]:
    """Records of the official ODEBench JSON (``strogatz_extended.json``, or ``odebench_systems.json``
    without solutions). Raises ``FileNotFoundError`` with the searched places when absent."""
    names = ["odebench/strogatz_extended.json"] + ([] if with_solutions else ["odebench/odebench_systems.json"])
    for rel in reversed(names) if not with_solutions else names:
        p = find_reference_file(rel)
        if p is not None:
            with open(p) as fh:
                return json.load(fh)
    raise _missing(names[0])


def load_reference_strogatz(name: str) -> dict[str, np.ndarray]:
    """Reference samples of one Strogatz system: ``x`` ``(4, 100, 2)`` states, ``dx`` ``(4, 100, 2)`` exact
    derivatives, ``t`` ``(100,)``."""
    cols = []
    for k in (1, 2):
        rel = f"strogatz_ode/d_{name}{k}.txt"
        p = find_reference_file(rel)
        if p is None:
            raise _missing(rel)
        cols.append(np.loadtxt(p, delimiter=",", skiprows=1))
    a, b = cols
    if a.shape != (400, 3) or b.shape != (400, 3) or not np.allclose(a[:, 1:], b[:, 1:], rtol=1e-12, atol=0):
        raise ValueError(f"unexpected layout of the Strogatz files for {name!r}")
    x = a[:, 1:].reshape(4, 100, 2)
    dx = np.stack([a[:, 0], b[:, 0]], axis=1).reshape(4, 100, 2)
    return {"x": x, "dx": dx, "t": STROGATZ_TIME.copy()}
