"""Schedules: values, closed-form integrals, and validation messages."""

import math

import numpy as np
import pytest
from scipy.integrate import quad

from paper_code.common.config import ConfigError
from paper_code.langevin.exact import integrated_rate
from paper_code.langevin.schedules import Constant, ConstantThenPowerLaw, PowerLaw, SwitchAtOverlap, power_laws

SCHEDULES = [
    Constant(0.7),
    PowerLaw(1.3, 0.0),
    PowerLaw(1.0, 0.5),
    PowerLaw(0.5, 1.0),
    PowerLaw(2.0, 1.0 - 1e-9),  # beta -> 1 must be continuous
    PowerLaw(1.0, 2.5),
    ConstantThenPowerLaw(1.0, 1.0, 3.0),
    ConstantThenPowerLaw(0.8, 0.5, 0.0),
]


@pytest.mark.parametrize("s", SCHEDULES, ids=lambda s: s.name)
def test_integral_matches_quadrature(s):
    t = np.array([0.0, 0.3, 2.9, 3.0, 7.5, 40.0])
    numeric = [quad(lambda u: float(s(u)), 0.0, x, points=[3.0] if 0 < 3.0 < x else None)[0] for x in t]
    np.testing.assert_allclose(integrated_rate(s, t), numeric, rtol=1e-7, atol=1e-12)


def test_values_and_shapes():
    t = np.linspace(0, 10, 11)
    np.testing.assert_allclose(PowerLaw(2.0, 0.5)(t), 2.0 / np.sqrt(1 + t))
    np.testing.assert_allclose(Constant(0.3)(t), 0.3)
    cp = ConstantThenPowerLaw(1.0, 1.0, 4.0)(t)
    np.testing.assert_allclose(cp[:5], 1.0)
    np.testing.assert_allclose(cp[5:], 1.0 / (1.0 + t[5:] - 4.0))
    assert PowerLaw(1.0, 0.5)(np.zeros((2, 3))).shape == (2, 3)
    assert SwitchAtOverlap(1.0, 1.0, 0.5).at(4.0) == ConstantThenPowerLaw(1.0, 1.0, 4.0)
    assert [s.beta for s in power_laws([0, 0.5])] == [0.0, 0.5]


def test_tau_is_finite_only_for_beta_above_one():
    """beta > 1 has a finite time budget eta0/(beta-1): the origin of the freezing."""
    t = np.array([1e6, 1e8])
    assert np.allclose(PowerLaw(1.0, 2.0).integral(t), 1.0, rtol=1e-5)
    assert np.all(np.diff(PowerLaw(1.0, 1.0).integral(t)) > 4.0)  # log growth


@pytest.mark.parametrize(
    "make, where, fragment",
    [
        (lambda: PowerLaw(-1.0, 0.5), "PowerLaw.eta0", "valid: > 0"),
        (lambda: PowerLaw(0.0, 0.5), "PowerLaw.eta0", "valid: > 0"),
        (lambda: Constant(math.nan), "Constant.eta0", "expected a finite number"),
        (lambda: Constant(math.inf), "Constant.eta0", "expected a finite number"),
        (lambda: Constant("fast"), "Constant.eta0", "expected a number"),
        (lambda: PowerLaw(1.0, -0.1), "PowerLaw.beta", "valid: >= 0 and <= 10"),
        (lambda: PowerLaw(1.0, 10.5), "PowerLaw.beta", "valid: >= 0 and <= 10"),
        (lambda: PowerLaw(1.0, math.nan), "PowerLaw.beta", "expected a finite number"),
        (lambda: ConstantThenPowerLaw(1.0, 1.0, -2.0), "ConstantThenPowerLaw.t_switch", "valid: >= 0"),
        (lambda: ConstantThenPowerLaw(1.0, 1.0, math.nan), "ConstantThenPowerLaw.t_switch", "finite"),
        (lambda: SwitchAtOverlap(1.0, 1.0, 1.5), "SwitchAtOverlap.threshold", "valid: > 0 and < 1"),
        (lambda: SwitchAtOverlap(1.0, 1.0, 0.0), "SwitchAtOverlap.threshold", "valid: > 0 and < 1"),
        (lambda: PowerLaw(1.0, 0.5).replace(bta=1.0), "PowerLaw: unknown key 'bta'", "did you mean 'beta'"),
    ],
)
def test_invalid_parameters_raise_clear_errors(make, where, fragment):
    with pytest.raises(ConfigError) as err:
        make()
    msg = str(err.value)
    assert msg.startswith(where), msg  # names the schedule and the parameter
    assert fragment in msg and "\n" not in msg  # states the valid range on one line
