"""Headline claims of the learning-rate-schedule paper, checked on ``experiments`` metrics.

Thresholds come from the paper's statements (abstract, and the brief's reading of
the reference code) or from exact results, never from our own run: "strictly
between 0 and 1", "above the threshold energy", "converges as 1/t" (slope -1
within a tolerance of 0.15 in the log-log slope), "agrees within seed error
bars" (no point more than 4 standard errors off).
"""
from __future__ import annotations

from paper_code.common.claims import Claim, between, close_to, greater_than, less_than, monotonic

SLOPE_TOL = 0.15  # tolerance on a fitted log-log exponent

CLAIMS = [
    Claim(
        "A1_beta_gt_1_freezes",
        "Pure p = 3 model: with beta > 1 the dynamics freezes above the threshold energy e_th",
        "pure_p3_freeze_gap_beta_gt_1",
        greater_than(0.05),
        paper_value="stuck above e_th (−0.943)",
    ),
    Claim(
        "A2_never_below_threshold",
        "Pure p = 3 model: no schedule takes the energy below e_th within the horizon",
        "pure_p3_min_gap_to_threshold",
        greater_than(0.0),
        paper_value="e(t) > e_th",
    ),
    Claim(
        "B1_best_beta_p3",
        "Pure p = 3 model: the best decay exponent at the horizon lies strictly between 0 and 1",
        "pure_p3_best_beta",
        between(0.0, 1.0),
        paper_value="0 < β* < 1 (≈0.4 asymptotically)",
    ),
    Claim(
        "B2_best_beta_p2",
        "Pure p = 2 (SK) model: the best decay exponent lies strictly between 0 and 1",
        "pure_p2_best_beta",
        between(0.0, 1.0),
        paper_value="0 < β* < 1 (1/2 asymptotically)",
    ),
    Claim(
        "B3_constant_rate_paramagnet",
        "Constant rate at T·eta0 = 1 > T_d stays in the paramagnet, e -> −1/(pTη0) = −1/3 (h -> 0 extrapolation)",
        "pure_p3_constant_rate_energy_extrapolated",
        close_to(-1 / 3, atol=0.01),
        paper_value=-1 / 3,
    ),
    Claim(
        "C1_decay_delays_jump",
        "Spiked model: pure power-law decays from t = 0 delay the jump to the signal more as beta grows",
        "spiked_jump_times_of_jumping_betas",
        monotonic(increasing=True, strict=True),
        paper_value="jump time increases with β",
    ),
    Claim(
        "D1_constant_then_1_over_t_best",
        "Spiked model: constant rate until the jump, then 1/t, ends closest to the signal's minimum "
        "(error ratio of the next-best schedule > 1)",
        "protocol_error_ratio_next_best_over_switch_1_over_t",
        greater_than(1.0),
        paper_value="best schedule",
    ),
    Claim(
        "D2_converges_as_1_over_t",
        "After the jump, decaying as 1/t makes the error fall as (t − t_jump)^−1",
        "protocol_slope_after_switch_beta1",
        close_to(-1.0, atol=SLOPE_TOL),
        paper_value=-1.0,
    ),
    Claim(
        "D3_beta_half_slower",
        "After the jump, beta = 0.5 makes the error fall only as (t − t_jump)^−1/2",
        "protocol_slope_after_switch_beta0.5",
        close_to(-0.5, atol=SLOPE_TOL),
        paper_value=-0.5,
    ),
    Claim(
        "D4_beta_2_freezes",
        "After the jump, beta = 2 freezes: the error stops decreasing (log-log slope near 0)",
        "protocol_slope_after_switch_beta2",
        greater_than(-SLOPE_TOL),
        paper_value="saturates",
    ),
    Claim(
        "E1_sk_simulation_matches_theory",
        "Finite-N SK simulation agrees with the N -> ∞ theory within seed error bars (max |z| < 4)",
        "sim_sk_max_z",
        less_than(4.0),
        paper_value="agreement",
    ),
    Claim(
        "E2_spiked_simulation_matches_dmft",
        "Finite-N spiked-matrix simulation reaches the DMFT overlap within seed error bars (max |z| < 4)",
        "sim_spiked_max_z",
        less_than(4.0),
        paper_value="agreement",
    ),
    Claim(
        "E3_finite_n_convex_rule",
        "Finite-N SK beyond t ~ N^(2/3): the convex rule beta = 1 beats beta = 0.5 (excess-energy ratio < 1)",
        "gap_excess_ratio_beta1_over_beta05",
        less_than(1.0),
        paper_value="β = 1 optimal at finite N",
    ),
    Claim(
        "F1_network_constant_then_decay_best",
        "Two-layer network: constant rate through the plateau, then 1/t, gives the lowest final test error "
        "(error ratio of the next-best schedule > 1)",
        "net_error_ratio_next_best_over_switch",
        greater_than(1.0),
        paper_value="lowest final error",
    ),
    Claim(
        "F2_network_decay_lengthens_plateau",
        "Two-layer network: decaying as 1/t from the start leaves the plateau later than a constant rate",
        "net_plateau_delay_beta1_vs_constant",
        greater_than(0.0),
        paper_value="longer plateau",
    ),
]
