import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from paper_code.e2e_sr import experiments as X  # noqa: E402
from paper_code.e2e_sr import figures as F  # noqa: E402
from paper_code.e2e_sr.inference import Variant  # noqa: E402

SIGMAS = (1.0, 2.0, 4.0)


def _in_domain() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for i in range(12):
        for v in Variant:
            r2 = rng.uniform(0.9, 1.0)
            rows.append({"index": i, "dim": 1 + i % 3, "binary_ops": i % 4, "unary_ops": 0, "variant": v.value,
                         "acc": r2 >= 0.99, "acc_0.1": True, "acc_0.01": r2 > 0.95, "r2_test": r2,
                         "r2_sigma_2": r2 - 0.1, "r2_sigma_4": r2 - 0.2, "seconds": 0.1, "complexity": 9})
    return pd.DataFrame(rows)


def _feynman() -> pd.DataFrame:
    rows = [{"problem": f"p{i}", "dim": 2, "noise": nu, "method": m, "r2_test": 0.9995 if i % 2 else 0.5,
             "acc": bool(i % 2), "seconds": s, "expression": ""}
            for i in range(6) for nu in (0.0, 0.1) for m, s in (("E2E + BFGS (predicted init)", 0.5),
                                                                 ("Operon", 2.0))]
    return pd.DataFrame(rows)


def test_every_figure_draws():
    df = _in_domain()
    figs = [F.fig_ablation(df, (0.1, 0.01)), F.fig_operators_dimension(df),
            F.fig_extrapolation(X.extrapolation_table(df, SIGMAS), 12), F.fig_feynman_noise(_feynman()),
            F.fig_pareto(_feynman())]
    for fig in figs:
        assert fig.axes and all(ax.has_data() for ax in fig.axes)
    # the ablation bars: one group per metric, one bar per variant
    assert len(figs[0].axes[0].patches) == 3 * len(Variant)
