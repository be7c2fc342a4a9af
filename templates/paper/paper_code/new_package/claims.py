"""Headline claims of ``new_paper``, checked on the metrics of :mod:`experiments`.

Each threshold comes from the paper (or an exact result), never from our own runs;
say where in a comment. A claim that does not hold at some scale is declared with
``not_reproduced={"quick": "reason"}``; numbers in the reason come from the metrics
through placeholders, e.g. ``"slope {error_slope:.2f} ..."``.
"""
from __future__ import annotations

from paper_code.common.claims import Claim, close_to, is_true

CLAIMS = [
    Claim(
        "E1_error_decreases",
        "The RMS error of the sample mean decreases at every larger sample size",
        "error_decreases",
        is_true(),
        paper_value="decreases with n",
    ),
    Claim(
        "E2_inverse_sqrt_law",
        "The RMS error falls like n^(-1/2) (central limit theorem): log-log slope -0.5 +- 0.1",
        "error_slope",
        close_to(-0.5, atol=0.1),
        paper_value=-0.5,
    ),
]
