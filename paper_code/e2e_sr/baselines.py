"""Genetic-programming baselines of the Feynman comparison, behind one interface with the transformer.

Kamienny et al. (NeurIPS 2022, §4.3) compare with the SRBench methods (La Cava et al., 2021); two of them install
offline here and run on CPU in seconds:

* **gplearn** (Stephens, ``gplearn.genetic.SymbolicRegressor``): classic tree GP with protected division, square
  root and logarithm;
* **Operon** (Burlacu et al., GECCO 2020; ``pyoperon.sklearn.SymbolicRegressor``): GP with linear scaling and
  Levenberg-Marquardt constant optimisation, the most accurate GP method of SRBench's ground-truth track.

Every method is a :class:`Regressor`: ``fit(X, y)`` returns a :class:`Fitted` (a prediction function, the
expression in SymPy when it has one, and the wall time of the fit). Budgets are the configs' (SRBench runs GP for
hours per problem; ours are seconds, stated beside every result).
"""
from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import sympy

__all__ = ["Fitted", "Regressor", "GPLearn", "Operon", "gplearn_sympy", "operon_sympy"]


@dataclasses.dataclass
class Fitted:
    """A fitted model: ``predict(X)``, the expression over ``x_0..x_{D-1}`` (``None`` when unavailable) and the
    fit's wall time in seconds."""

    method: str
    predict: Callable[[np.ndarray], np.ndarray]
    expression: sympy.Expr | None
    seconds: float


class Regressor(Protocol):
    name: str

    def fit(self, X: np.ndarray, y: np.ndarray) -> Fitted: ...


def _x(j: int) -> sympy.Symbol:
    return sympy.Symbol(f"x_{j}", real=True)


#: gplearn's function set as SymPy (its protected versions differ only where these are undefined).
_GPLEARN = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
            "div": lambda a, b: a / b, "sqrt": lambda a: sympy.sqrt(sympy.Abs(a)),
            "log": lambda a: sympy.log(sympy.Abs(a)), "neg": lambda a: -a, "inv": lambda a: 1 / a,
            "abs": sympy.Abs, "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "max": sympy.Max,
            "min": sympy.Min}


def gplearn_sympy(program: str, dim: int) -> sympy.Expr:
    """A gplearn program string (``add(X0, mul(X1, 0.5))``) as SymPy over ``x_0..x_{dim-1}``."""
    names = {f"X{j}": _x(j) for j in range(dim)}
    return sympy.sympify(program, locals={**_GPLEARN, **names})


def operon_sympy(model_string: str, dim: int) -> sympy.Expr:
    """An Operon model string (variables ``X1..XD``, 1-based) as SymPy over ``x_0..x_{dim-1}``."""
    text = re.sub(r"\bX(\d+)\b", lambda m: f"x_{int(m.group(1)) - 1}", model_string).replace("^", "**")
    return sympy.sympify(text, locals={f"x_{j}": _x(j) for j in range(dim)})


def _timed_fit(name: str, model: Any, X: np.ndarray, y: np.ndarray,
               expression: Callable[[Any, int], sympy.Expr]) -> Fitted:
    """``model.fit(X, y)`` timed, then its expression (``None`` when SymPy cannot read it)."""
    X = np.asarray(X, dtype=float)
    t0 = time.perf_counter()
    model.fit(X, np.asarray(y, dtype=float))
    seconds = time.perf_counter() - t0
    try:
        expr = expression(model, X.shape[1])
    except (sympy.SympifyError, TypeError, SyntaxError):
        expr = None
    return Fitted(name, model.predict, expr, seconds)


@dataclasses.dataclass
class GPLearn:
    """gplearn's ``SymbolicRegressor`` (``population_size`` x ``generations``; SRBench: 1000 x 500 [their
    settings])."""

    population_size: int = 500
    generations: int = 20
    function_set: tuple[str, ...] = ("add", "sub", "mul", "div", "sqrt", "log", "sin", "cos", "inv")
    seed: int = 0
    name: str = "gplearn"

    def fit(self, X: np.ndarray, y: np.ndarray) -> Fitted:
        from gplearn.genetic import SymbolicRegressor  # imported on use: only the Feynman comparison needs it

        model = SymbolicRegressor(population_size=self.population_size, generations=self.generations,
                                  function_set=self.function_set, metric="mse", random_state=self.seed, n_jobs=1)
        return _timed_fit(self.name, model, X, y, lambda m, dim: gplearn_sympy(str(m._program), dim))


@dataclasses.dataclass
class Operon:
    """Operon's scikit-learn regressor with an evaluation budget (SRBench: 500k evaluations [their settings])."""

    max_evaluations: int = 50_000
    allowed_symbols: str = "add,sub,mul,div,constant,variable,sin,cos,exp,log,sqrt"
    seed: int = 0
    name: str = "Operon"

    def fit(self, X: np.ndarray, y: np.ndarray) -> Fitted:
        from pyoperon.sklearn import SymbolicRegressor  # imported on use: only the Feynman comparison needs it

        model = SymbolicRegressor(allowed_symbols=self.allowed_symbols, max_evaluations=self.max_evaluations,
                                  n_threads=1, random_state=self.seed)
        return _timed_fit(self.name, model, X, y, lambda m, dim: operon_sympy(m.get_model_string(m.model_, 6), dim))
