"""The Feynman problems of SRBench (La Cava et al., NeurIPS 2021 Datasets & Benchmarks), from AI Feynman
(Udrescu & Tegmark, Science Advances 2020): 100 equations of the Feynman Lectures on Physics with the uniform
sampling range of every variable, written here as project code (formula in NumPy/SymPy syntax, variables in
order, ``(name, low, high)``). Kamienny et al. (NeurIPS 2022, §4.3) evaluate on them under SRBench's protocol.

* :data:`FEYNMAN` — the 100 problems; :func:`problems` filters them by number of variables.
* :meth:`FeynmanProblem.sample` — a data set: every variable uniform on its range, ``y`` the formula (SRBench
  draws 10^5 rows; we draw what the evaluation asks for).
* :func:`compare_with_csv` — differences with the ``FeynmanEquations.csv`` distributed with AI Feynman, when that
  file is at hand (the reference-data folder, ``symbolic/feynman/``).
"""
from __future__ import annotations

import csv
import dataclasses
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

import numpy as np
import sympy

__all__ = ["FeynmanProblem", "FEYNMAN", "problems", "compare_with_csv", "CSV_NAME"]

#: The reference table's file name (under the reference-data folder's ``symbolic/feynman/``).
CSV_NAME = "FeynmanEquations.csv"

#: Names of the formulas' functions, as SymPy objects.
_FUNCTIONS = {"exp": sympy.exp, "sqrt": sympy.sqrt, "sin": sympy.sin, "cos": sympy.cos, "tanh": sympy.tanh,
              "arcsin": sympy.asin, "ln": sympy.log, "pi": sympy.pi}


@dataclasses.dataclass(frozen=True)
class FeynmanProblem:
    """One equation: ``output = formula(variables)``, each variable uniform on ``[low, high]``."""

    id: str
    output: str
    formula: str
    variables: tuple[tuple[str, float, float], ...]

    @property
    def dim(self) -> int:
        return len(self.variables)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _, _ in self.variables)

    @cached_property
    def symbols(self) -> tuple[sympy.Symbol, ...]:
        return tuple(sympy.Symbol(n, real=True) for n in self.names)

    @cached_property
    def expression(self) -> sympy.Expr:
        """The formula in SymPy, over :attr:`symbols` (names such as ``I``, ``gamma`` stay plain symbols)."""
        return sympy.sympify(self.formula, locals={**_FUNCTIONS, **dict(zip(self.names, self.symbols))})

    @cached_property
    def function(self) -> Callable[..., np.ndarray]:
        """NumPy function of the variables (in order)."""
        return sympy.lambdify(self.symbols, self.expression, "numpy")

    def evaluate(self, X: np.ndarray) -> np.ndarray:
        """``y`` for rows ``X`` ``(n, dim)``."""
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.dim:
            raise ValueError(f"{self.id} has {self.dim} variables {self.names}; X must be (n, {self.dim}), "
                             f"got {X.shape}")
        return np.broadcast_to(np.asarray(self.function(*X.T), dtype=float), (len(X),)).copy()

    def sample(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``(X, y)``: ``n`` rows, every variable uniform on its range."""
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        X = np.stack([rng.uniform(lo, hi, size=n) for _, lo, hi in self.variables], axis=1)
        return X, self.evaluate(X)


_P = FeynmanProblem

#: The 100 problems, in the order of AI Feynman's table.
FEYNMAN: tuple[FeynmanProblem, ...] = (
    _P("I.6.2a", "f", "exp(-theta**2/2)/sqrt(2*pi)", (("theta", 1, 3),)),
    _P("I.6.2", "f", "exp(-(theta/sigma)**2/2)/(sqrt(2*pi)*sigma)", (("sigma", 1, 3), ("theta", 1, 3))),
    _P("I.6.2b", "f", "exp(-((theta-theta1)/sigma)**2/2)/(sqrt(2*pi)*sigma)",
       (("sigma", 1, 3), ("theta", 1, 3), ("theta1", 1, 3))),
    _P("I.8.14", "d", "sqrt((x2-x1)**2+(y2-y1)**2)", (("x1", 1, 5), ("x2", 1, 5), ("y1", 1, 5), ("y2", 1, 5))),
    _P("I.9.18", "F", "G*m1*m2/((x2-x1)**2+(y2-y1)**2+(z2-z1)**2)",
       (("m1", 1, 2), ("m2", 1, 2), ("G", 1, 2), ("x1", 3, 4), ("x2", 1, 2), ("y1", 3, 4), ("y2", 1, 2),
        ("z1", 3, 4), ("z2", 1, 2))),
    _P("I.10.7", "m", "m_0/sqrt(1-v**2/c**2)", (("m_0", 1, 5), ("v", 1, 2), ("c", 3, 10))),
    _P("I.11.19", "A", "x1*y1+x2*y2+x3*y3",
       (("x1", 1, 5), ("x2", 1, 5), ("x3", 1, 5), ("y1", 1, 5), ("y2", 1, 5), ("y3", 1, 5))),
    _P("I.12.1", "F", "mu*Nn", (("mu", 1, 5), ("Nn", 1, 5))),
    _P("I.12.2", "F", "q1*q2*r/(4*pi*epsilon*r**3)", (("q1", 1, 5), ("q2", 1, 5), ("epsilon", 1, 5), ("r", 1, 5))),
    _P("I.12.4", "Ef", "q1*r/(4*pi*epsilon*r**3)", (("q1", 1, 5), ("epsilon", 1, 5), ("r", 1, 5))),
    _P("I.12.5", "F", "q2*Ef", (("q2", 1, 5), ("Ef", 1, 5))),
    _P("I.12.11", "F", "q*(Ef+B*v*sin(theta))", (("q", 1, 5), ("Ef", 1, 5), ("B", 1, 5), ("v", 1, 5), ("theta", 1, 5))),
    _P("I.13.4", "K", "1/2*m*(v**2+u**2+w**2)", (("m", 1, 5), ("v", 1, 5), ("u", 1, 5), ("w", 1, 5))),
    _P("I.13.12", "U", "G*m1*m2*(1/r2-1/r1)", (("m1", 1, 5), ("m2", 1, 5), ("r1", 1, 5), ("r2", 1, 5), ("G", 1, 5))),
    _P("I.14.3", "U", "m*g*z", (("m", 1, 5), ("g", 1, 5), ("z", 1, 5))),
    _P("I.14.4", "U", "1/2*k_spring*x**2", (("k_spring", 1, 5), ("x", 1, 5))),
    _P("I.15.3x", "x1", "(x-u*t)/sqrt(1-u**2/c**2)", (("x", 5, 10), ("u", 1, 2), ("c", 3, 20), ("t", 1, 2))),
    _P("I.15.3t", "t1", "(t-u*x/c**2)/sqrt(1-u**2/c**2)", (("x", 1, 5), ("c", 3, 10), ("u", 1, 2), ("t", 1, 5))),
    _P("I.15.1", "p", "m_0*v/sqrt(1-v**2/c**2)", (("m_0", 1, 5), ("v", 1, 2), ("c", 3, 10))),
    _P("I.16.6", "v1", "(u+v)/(1+u*v/c**2)", (("c", 1, 5), ("v", 1, 5), ("u", 1, 5))),
    _P("I.18.4", "r", "(m1*r1+m2*r2)/(m1+m2)", (("m1", 1, 5), ("m2", 1, 5), ("r1", 1, 5), ("r2", 1, 5))),
    _P("I.18.12", "tau", "r*F*sin(theta)", (("r", 1, 5), ("F", 1, 5), ("theta", 0, 5))),
    _P("I.18.14", "L", "m*r*v*sin(theta)", (("m", 1, 5), ("r", 1, 5), ("v", 1, 5), ("theta", 1, 5))),
    _P("I.24.6", "E_n", "1/2*m*(omega**2+omega_0**2)*1/2*x**2",
       (("m", 1, 3), ("omega", 1, 3), ("omega_0", 1, 3), ("x", 1, 3))),
    _P("I.25.13", "Volt", "q/C", (("q", 1, 5), ("C", 1, 5))),
    _P("I.26.2", "theta1", "arcsin(n*sin(theta2))", (("n", 0, 1), ("theta2", 1, 5))),
    _P("I.27.6", "foc", "1/(1/d1+n/d2)", (("d1", 1, 5), ("d2", 1, 5), ("n", 1, 5))),
    _P("I.29.4", "k", "omega/c", (("omega", 1, 10), ("c", 1, 10))),
    _P("I.29.16", "x", "sqrt(x1**2+x2**2-2*x1*x2*cos(theta1-theta2))",
       (("x1", 1, 5), ("x2", 1, 5), ("theta1", 1, 5), ("theta2", 1, 5))),
    _P("I.30.3", "Int", "Int_0*sin(n*theta/2)**2/sin(theta/2)**2", (("Int_0", 1, 5), ("theta", 1, 5), ("n", 1, 5))),
    _P("I.30.5", "theta", "arcsin(lambd/(n*d))", (("lambd", 1, 2), ("d", 2, 5), ("n", 1, 5))),
    _P("I.32.5", "Pwr", "q**2*a**2/(6*pi*epsilon*c**3)", (("q", 1, 5), ("a", 1, 5), ("epsilon", 1, 5), ("c", 1, 5))),
    _P("I.32.17", "Pwr", "(1/2*epsilon*c*Ef**2)*(8*pi*r**2/3)*(omega**4/(omega**2-omega_0**2)**2)",
       (("epsilon", 1, 2), ("c", 1, 2), ("Ef", 1, 2), ("r", 1, 2), ("omega", 1, 2), ("omega_0", 3, 5))),
    _P("I.34.8", "omega", "q*v*B/p", (("q", 1, 5), ("v", 1, 5), ("B", 1, 5), ("p", 1, 5))),
    _P("I.34.1", "omega", "omega_0/(1-v/c)", (("c", 3, 10), ("v", 1, 2), ("omega_0", 1, 5))),
    _P("I.34.14", "omega", "(1+v/c)/sqrt(1-v**2/c**2)*omega_0", (("c", 3, 10), ("v", 1, 2), ("omega_0", 1, 5))),
    _P("I.34.27", "E_n", "(h/(2*pi))*omega", (("omega", 1, 5), ("h", 1, 5))),
    _P("I.37.4", "Int", "I1+I2+2*sqrt(I1*I2)*cos(delta)", (("I1", 1, 5), ("I2", 1, 5), ("delta", 1, 5))),
    _P("I.38.12", "r", "4*pi*epsilon*(h/(2*pi))**2/(m*q**2)",
       (("m", 1, 5), ("q", 1, 5), ("h", 1, 5), ("epsilon", 1, 5))),
    _P("I.39.1", "E_n", "3/2*pr*V", (("pr", 1, 5), ("V", 1, 5))),
    _P("I.39.11", "E_n", "1/(gamma-1)*pr*V", (("gamma", 2, 5), ("pr", 1, 5), ("V", 1, 5))),
    _P("I.39.22", "pr", "n*kb*T/V", (("n", 1, 5), ("T", 1, 5), ("V", 1, 5), ("kb", 1, 5))),
    _P("I.40.1", "n", "n_0*exp(-m*g*x/(kb*T))",
       (("n_0", 1, 5), ("m", 1, 5), ("x", 1, 5), ("T", 1, 5), ("g", 1, 5), ("kb", 1, 5))),
    _P("I.41.16", "L_rad", "h/(2*pi)*omega**3/(pi**2*c**2*(exp((h/(2*pi))*omega/(kb*T))-1))",
       (("omega", 1, 5), ("T", 1, 5), ("h", 1, 5), ("kb", 1, 5), ("c", 1, 5))),
    _P("I.43.16", "v", "mu_drift*q*Volt/d", (("mu_drift", 1, 5), ("q", 1, 5), ("Volt", 1, 5), ("d", 1, 5))),
    _P("I.43.31", "D", "mob*kb*T", (("mob", 1, 5), ("T", 1, 5), ("kb", 1, 5))),
    _P("I.43.43", "kappa", "1/(gamma-1)*kb*v/A", (("gamma", 2, 5), ("kb", 1, 5), ("A", 1, 5), ("v", 1, 5))),
    _P("I.44.4", "E_n", "n*kb*T*ln(V2/V1)", (("n", 1, 5), ("kb", 1, 5), ("T", 1, 5), ("V1", 1, 5), ("V2", 1, 5))),
    _P("I.47.23", "c", "sqrt(gamma*pr/rho)", (("gamma", 1, 5), ("pr", 1, 5), ("rho", 1, 5))),
    _P("I.48.2", "E_n", "m*c**2/sqrt(1-v**2/c**2)", (("m", 1, 5), ("v", 1, 2), ("c", 3, 10))),
    _P("I.50.26", "x", "x1*(cos(omega*t)+alpha*cos(omega*t)**2)",
       (("x1", 1, 3), ("omega", 1, 3), ("t", 1, 3), ("alpha", 1, 3))),
    _P("II.2.42", "Pwr", "kappa*(T2-T1)*A/d", (("kappa", 1, 5), ("T1", 1, 5), ("T2", 1, 5), ("A", 1, 5), ("d", 1, 5))),
    _P("II.3.24", "flux", "Pwr/(4*pi*r**2)", (("Pwr", 1, 5), ("r", 1, 5))),
    _P("II.4.23", "Volt", "q/(4*pi*epsilon*r)", (("q", 1, 5), ("epsilon", 1, 5), ("r", 1, 5))),
    _P("II.6.11", "Volt", "1/(4*pi*epsilon)*p_d*cos(theta)/r**2",
       (("epsilon", 1, 3), ("p_d", 1, 3), ("theta", 1, 3), ("r", 1, 3))),
    _P("II.6.15a", "Ef", "p_d/(4*pi*epsilon)*3*z/r**5*sqrt(x**2+y**2)",
       (("epsilon", 1, 3), ("p_d", 1, 3), ("r", 1, 3), ("x", 1, 3), ("y", 1, 3), ("z", 1, 3))),
    _P("II.6.15b", "Ef", "p_d/(4*pi*epsilon)*3*cos(theta)*sin(theta)/r**3",
       (("epsilon", 1, 3), ("p_d", 1, 3), ("theta", 1, 3), ("r", 1, 3))),
    _P("II.8.7", "E_n", "3/5*q**2/(4*pi*epsilon*d)", (("q", 1, 5), ("epsilon", 1, 5), ("d", 1, 5))),
    _P("II.8.31", "E_den", "epsilon*Ef**2/2", (("epsilon", 1, 5), ("Ef", 1, 5))),
    _P("II.10.9", "Ef", "sigma_den/epsilon*1/(1+chi)", (("sigma_den", 1, 5), ("epsilon", 1, 5), ("chi", 1, 5))),
    _P("II.11.3", "x", "q*Ef/(m*(omega_0**2-omega**2))",
       (("q", 1, 3), ("Ef", 1, 3), ("m", 1, 3), ("omega_0", 3, 5), ("omega", 1, 2))),
    _P("II.11.17", "n", "n_0*(1+p_d*Ef*cos(theta)/(kb*T))",
       (("n_0", 1, 3), ("kb", 1, 3), ("T", 1, 3), ("theta", 1, 3), ("p_d", 1, 3), ("Ef", 1, 3))),
    _P("II.11.20", "Pol", "n_rho*p_d**2*Ef/(3*kb*T)",
       (("n_rho", 1, 5), ("p_d", 1, 5), ("Ef", 1, 5), ("kb", 1, 5), ("T", 1, 5))),
    _P("II.11.27", "Pol", "n*alpha/(1-(n*alpha/3))*epsilon*Ef",
       (("n", 0, 1), ("alpha", 0, 1), ("epsilon", 1, 2), ("Ef", 1, 2))),
    _P("II.11.28", "theta", "1+n*alpha/(1-(n*alpha/3))", (("n", 0, 1), ("alpha", 0, 1))),
    _P("II.13.17", "B", "1/(4*pi*epsilon*c**2)*2*I/r", (("epsilon", 1, 5), ("c", 1, 5), ("I", 1, 5), ("r", 1, 5))),
    _P("II.13.23", "rho_c", "rho_c_0/sqrt(1-v**2/c**2)", (("rho_c_0", 1, 5), ("v", 1, 2), ("c", 3, 10))),
    _P("II.13.34", "j", "rho_c_0*v/sqrt(1-v**2/c**2)", (("rho_c_0", 1, 5), ("v", 1, 2), ("c", 3, 10))),
    _P("II.15.4", "E_n", "-mom*B*cos(theta)", (("mom", 1, 5), ("B", 1, 5), ("theta", 1, 5))),
    _P("II.15.5", "E_n", "-p_d*Ef*cos(theta)", (("p_d", 1, 5), ("Ef", 1, 5), ("theta", 1, 5))),
    _P("II.21.32", "Volt", "q/(4*pi*epsilon*r*(1-v/c))",
       (("q", 1, 5), ("epsilon", 1, 5), ("r", 1, 5), ("v", 1, 2), ("c", 3, 10))),
    _P("II.24.17", "k", "sqrt(omega**2/c**2-pi**2/d**2)", (("omega", 4, 6), ("c", 1, 2), ("d", 2, 4))),
    _P("II.27.16", "flux", "epsilon*c*Ef**2", (("epsilon", 1, 5), ("c", 1, 5), ("Ef", 1, 5))),
    _P("II.27.18", "E_den", "epsilon*Ef**2", (("epsilon", 1, 5), ("Ef", 1, 5))),
    _P("II.34.2a", "I", "q*v/(2*pi*r)", (("q", 1, 5), ("v", 1, 5), ("r", 1, 5))),
    _P("II.34.2", "mom", "q*v*r/2", (("q", 1, 5), ("v", 1, 5), ("r", 1, 5))),
    _P("II.34.11", "omega", "g_*q*B/(2*m)", (("g_", 1, 5), ("q", 1, 5), ("B", 1, 5), ("m", 1, 5))),
    _P("II.34.29a", "mom", "q*h/(4*pi*m)", (("q", 1, 5), ("h", 1, 5), ("m", 1, 5))),
    _P("II.34.29b", "E_n", "g_*mom*B*Jz/(h/(2*pi))",
       (("g_", 1, 5), ("h", 1, 5), ("Jz", 1, 5), ("mom", 1, 5), ("B", 1, 5))),
    _P("II.35.18", "n", "n_0/(exp(mom*B/(kb*T))+exp(-mom*B/(kb*T)))",
       (("n_0", 1, 3), ("kb", 1, 3), ("T", 1, 3), ("mom", 1, 3), ("B", 1, 3))),
    _P("II.35.21", "M", "n_rho*mom*tanh(mom*B/(kb*T))",
       (("n_rho", 1, 5), ("mom", 1, 5), ("B", 1, 5), ("kb", 1, 5), ("T", 1, 5))),
    _P("II.36.38", "f", "mom*H/(kb*T)+(mom*alpha)/(epsilon*c**2*kb*T)*M",
       (("mom", 1, 3), ("H", 1, 3), ("kb", 1, 3), ("T", 1, 3), ("alpha", 1, 3), ("epsilon", 1, 3), ("c", 1, 3),
        ("M", 1, 3))),
    _P("II.37.1", "E_n", "mom*(1+chi)*B", (("mom", 1, 5), ("B", 1, 5), ("chi", 1, 5))),
    _P("II.38.3", "F", "Y*A*x/d", (("Y", 1, 5), ("A", 1, 5), ("d", 1, 5), ("x", 1, 5))),
    _P("II.38.14", "mu_S", "Y/(2*(1+sigma))", (("Y", 1, 5), ("sigma", 1, 5))),
    _P("III.4.32", "n", "1/(exp((h/(2*pi))*omega/(kb*T))-1)",
       (("h", 1, 5), ("omega", 1, 5), ("kb", 1, 5), ("T", 1, 5))),
    _P("III.4.33", "E_n", "(h/(2*pi))*omega/(exp((h/(2*pi))*omega/(kb*T))-1)",
       (("h", 1, 5), ("omega", 1, 5), ("kb", 1, 5), ("T", 1, 5))),
    _P("III.7.38", "omega", "2*mom*B/(h/(2*pi))", (("mom", 1, 5), ("B", 1, 5), ("h", 1, 5))),
    _P("III.8.54", "prob", "sin(E_n*t/(h/(2*pi)))**2", (("E_n", 1, 2), ("t", 1, 2), ("h", 1, 4))),
    _P("III.9.52", "prob", "(p_d*Ef*t/(h/(2*pi)))*sin((omega-omega_0)*t/2)**2/((omega-omega_0)*t/2)**2",
       (("p_d", 1, 3), ("Ef", 1, 3), ("t", 1, 3), ("h", 1, 3), ("omega", 1, 5), ("omega_0", 1, 5))),
    _P("III.10.19", "E_n", "mom*sqrt(Bx**2+By**2+Bz**2)", (("mom", 1, 5), ("Bx", 1, 5), ("By", 1, 5), ("Bz", 1, 5))),
    _P("III.12.43", "L", "n*(h/(2*pi))", (("n", 1, 5), ("h", 1, 5))),
    _P("III.13.18", "v", "2*E_n*d**2*k/(h/(2*pi))", (("E_n", 1, 5), ("d", 1, 5), ("k", 1, 5), ("h", 1, 5))),
    _P("III.14.14", "I", "I_0*(exp(q*Volt/(kb*T))-1)",
       (("I_0", 1, 5), ("q", 1, 2), ("Volt", 1, 2), ("kb", 1, 2), ("T", 1, 2))),
    _P("III.15.12", "E_n", "2*U*(1-cos(k*d))", (("U", 1, 5), ("k", 1, 5), ("d", 1, 5))),
    _P("III.15.14", "m", "(h/(2*pi))**2/(2*E_n*d**2)", (("h", 1, 5), ("E_n", 1, 5), ("d", 1, 5))),
    _P("III.15.27", "k", "2*pi*alpha/(n*d)", (("alpha", 1, 5), ("n", 1, 5), ("d", 1, 5))),
    _P("III.17.37", "f", "beta*(1+alpha*cos(theta))", (("beta", 1, 5), ("alpha", 1, 5), ("theta", 1, 5))),
    _P("III.19.51", "E_n", "-m*q**4/(2*(4*pi*epsilon)**2*(h/(2*pi))**2)*(1/n**2)",
       (("m", 1, 5), ("q", 1, 5), ("h", 1, 5), ("n", 1, 5), ("epsilon", 1, 5))),
    _P("III.21.20", "j", "-rho_c_0*q*A_vec/m", (("rho_c_0", 1, 5), ("q", 1, 5), ("A_vec", 1, 5), ("m", 1, 5))),
)


def problems(max_dim: int | None = None, min_dim: int = 1) -> list[FeynmanProblem]:
    """The problems with ``min_dim <= dim <= max_dim`` variables (all when ``max_dim`` is None)."""
    return [p for p in FEYNMAN if p.dim >= min_dim and (max_dim is None or p.dim <= max_dim)]


def compare_with_csv(path: str | Path) -> list[str]:
    """Differences between :data:`FEYNMAN` and AI Feynman's ``FeynmanEquations.csv`` at ``path`` (empty when they
    agree): ids, outputs, formulas and variable ranges."""
    with open(path, newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r.get("Filename")]
    ours = {p.id: p for p in FEYNMAN}
    diffs = [f"{r['Filename']}: missing here" for r in rows if r["Filename"] not in ours]
    theirs = {r["Filename"] for r in rows}
    diffs += [f"{i}: not in the file" for i in ours if i not in theirs]
    for r in rows:
        p = ours.get(r["Filename"])
        if p is None:
            continue
        variables = tuple((r[f"v{i}_name"], float(r[f"v{i}_low"]), float(r[f"v{i}_high"]))
                          for i in range(1, 11) if r.get(f"v{i}_name"))
        for what, a, b in (("output", p.output, r["Output"]), ("formula", p.formula, r["Formula"]),
                           ("variables", p.variables, variables), ("# variables", p.dim, int(r["# variables"]))):
            if a != b:
                diffs.append(f"{p.id}: {what} {a!r} here, {b!r} in the file")
    return diffs
