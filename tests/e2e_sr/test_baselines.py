import numpy as np
import sympy

from paper_code.e2e_sr.baselines import GPLearn, Operon, gplearn_sympy, operon_sympy

x0, x1 = sympy.Symbol("x_0", real=True), sympy.Symbol("x_1", real=True)


def test_expressions_are_read_over_x_j():
    assert sympy.simplify(gplearn_sympy("add(X0, mul(X1, 0.5))", 2) - (x0 + 0.5 * x1)) == 0
    assert sympy.simplify(gplearn_sympy("div(X0, sqrt(X1))", 2) - x0 / sympy.sqrt(sympy.Abs(x1))) == 0
    assert sympy.simplify(operon_sympy("(1.5 * X1) + (X2 ^ 2)", 2) - (1.5 * x0 + x1**2)) == 0


def test_fits_report_time_prediction_and_expression():
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 3, size=(60, 2))
    y = X[:, 0] * X[:, 1]
    for method in (GPLearn(population_size=50, generations=3), Operon(max_evaluations=2000)):
        fitted = method.fit(X, y)
        assert fitted.method == method.name and fitted.seconds > 0
        pred = fitted.predict(X)
        assert pred.shape == y.shape and np.isfinite(pred).all()
        if fitted.expression is not None:  # the expression is the model the prediction comes from
            f = sympy.lambdify([x0, x1], fitted.expression, "numpy")
            np.testing.assert_allclose(np.broadcast_to(f(X[:, 0], X[:, 1]), y.shape), pred, rtol=1e-4, atol=1e-4)
    assert Operon(max_evaluations=20_000).fit(X, y).expression is not None
