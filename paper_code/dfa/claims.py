"""Headline claims of the feedback-alignment paper, checked on ``experiments`` metrics.

Thresholds come from the paper's statements as the brief records them (section 1 and
the "trends a regenerated figure must show"), or from exact results, never from our
own runs:

* "rises close to 1": peak cos(v, b) >= 0.95; "dips slightly (to ~0.98-0.99)": a dip in (0, 0.1);
* "stays at its random level" (BP): cos(v, b) gains less than 0.1;
* "comparable" final errors: within a factor 2 either way;
* ODE vs simulation: within 2/sqrt(N), twice the O(1/sqrt(N)) size of finite-N fluctuations;
* exact statements (zero-initialised linear networks, factorised form): up to round-off
  (1e-12 on cosines, 1e-10 on relative residuals in float64);
* "aligns" / "much more similar" for deep networks: an effect above 0.1 in cosine, where
  the chance level of a cosine between ~10^4-dimensional weight vectors is ~0.01;
* "governed by the conditioning": a Spearman rank correlation below -0.5;
* "fails to align" (CNN): less than half the MLP's gradient alignment.
"""
from __future__ import annotations

from paper_code.common.claims import Claim, between, greater_than, less_than, monotonic

NOT_PEAKED = (
    "no layer's alignment has peaked within 40 epochs on 4,000 MNIST images: all are still rising at the "
    "end (memorisation, where alignment decreases, is not reached); the reference trains 1000 epochs on 60k images"
)
FINITE_N_ALIGNMENT = (
    "at N = 500 the simulated cos(v, b) lags the ODE by up to ~0.16 (1.8x the tolerance) during the first "
    "~0.3 time units, while v is still of the size of the 1e-3 initialisation and O(1/sqrt N) fluctuations "
    "of R steer its direction; afterwards, and for e_g throughout, the curves agree within 0.02. The gap is "
    "borderline and seed-dependent (0.8-1.4x the tolerance for seeds 1-3) and shrinks at N = 2000"
)

CLAIMS = [
    # -- shallow networks (figure 1): align, then memorise
    Claim(
        "S1_alignment_rises_close_to_1",
        "DFA (shallow erf net, small init): the second layer v rotates onto the feedback vector b, "
        "seed-mean peak cos(v, b) >= 0.95",
        "shallow_dfa_peak_alignment",
        greater_than(0.95),
        paper_value="close to 1",
    ),
    Claim(
        "S2_align_before_memorise",
        "DFA aligns before the error drops: time of peak alignment / time e_g falls below 10% of e_g(0) < 1",
        "shallow_peak_before_drop_ratio",
        less_than(1.0),
        paper_value="alignment during the plateau, then memorisation",
    ),
    Claim(
        "S3_alignment_dips_slightly",
        "During memorisation the alignment decreases slightly (peak minus later minimum in (0, 0.1))",
        "shallow_dfa_alignment_dip",
        between(0.0, 0.1),
        paper_value="dips to ~0.98-0.99",
    ),
    Claim(
        "S4_bp_does_not_align",
        "BP from the same initialisations shows no alignment with b (seed-mean gain in cos(v, b) < 0.1)",
        "shallow_bp_alignment_gain",
        less_than(0.1),
        paper_value="stays at the random O(0.1-0.5) level",
    ),
    Claim(
        "S5_final_error_comparable",
        "The final generalisation error of DFA is comparable to BP's (ratio within a factor 2)",
        "shallow_final_eg_ratio_dfa_over_bp",
        between(0.5, 2.0),
        paper_value="comparable",
    ),
    Claim(
        "S6_ode_matches_sgd_error",
        "The ODEs match the finite-N simulation: max_t |e_g(ODE) - e_g(SGD)| / e_g(0) < 2/sqrt(N) "
        "(metric: that difference in units of 2/sqrt(N))",
        "shallow_ode_eg_diff_over_tolerance",
        less_than(1.0),
        paper_value="ODE = simulation",
    ),
    Claim(
        "S7_ode_matches_sgd_alignment",
        "The ODEs match the finite-N simulation in alignment: max_t |cos_ODE - cos_SGD| (seed means) < 2/sqrt(N) "
        "(metric: that difference in units of 2/sqrt(N))",
        "shallow_ode_alignment_diff_over_tolerance",
        less_than(1.0),
        paper_value="ODE = simulation",
        not_reproduced={"quick": FINITE_N_ALIGNMENT},
    ),
    Claim(
        "S8_linear_exactly_parallel",
        "Linear shallow net, DFA from zero weights: v stays exactly parallel to b (1 - min_t cos(v, b) < 1e-12)",
        "linear_dfa_max_misalignment",
        less_than(1e-12),
        paper_value="cos(v, b) = 1 at all times (exact)",
    ),
    Claim(
        "S9_bp_from_zero_never_moves",
        "Linear shallow net, BP from zero weights: the weights stay exactly zero",
        "linear_bp_max_weight",
        less_than(1e-300),
        paper_value="zero gradient (exact)",
    ),
    # -- degeneracy breaking (figure 2)
    Claim(
        "S10_dfa_seeds_reach_one_solution",
        "Over-parametrised students (K > M) trained by DFA from different seeds end near one solution "
        "(mean pairwise cosine of the final v > 0.9)",
        "shallow_dfa_pairwise_cos_v",
        greater_than(0.9),
        paper_value="v parallel to b for every seed",
    ),
    Claim(
        "S11_degeneracy_breaking_vs_bp",
        "DFA solutions from different seeds are much more similar than BP's (pairwise cos of v, DFA minus BP > 0.3)",
        "shallow_pairwise_cos_gap_dfa_minus_bp",
        greater_than(0.3),
        paper_value="much more similar",
    ),
    # -- deep linear networks (figure 3)
    Claim(
        "L1_factorised_form_exact",
        "Deep linear nets trained by DFA from zero keep W_l = B_l A_l B_{l-1}^T exactly (relative residual < 1e-10)",
        "lin_max_factorisation_residual",
        less_than(1e-10),
        paper_value="exact",
    ),
    Claim(
        "L2_alignment_governed_by_A_conditioning",
        "Gradient alignment is governed by the conditioning of the alignment matrices: Spearman rank "
        "correlation of cond(M_1) with layer-1 gradient alignment < -0.5 over the alpha-beta grid",
        "lin_spearman_cond_bracket_vs_grad_alignment",
        less_than(-0.5),
        paper_value="alignment iff the A-product is ∝ identity",
    ),
    Claim(
        "L3_ill_conditioned_targets_align_worse",
        "Ill-conditioned (correlated / imbalanced) target covariances give lower weight alignment: "
        "Spearman correlation of cond(Sigma) with weight alignment < -0.5",
        "lin_spearman_cond_target_vs_weight_alignment",
        less_than(-0.5),
        paper_value="best at alpha = beta = 1, degrades with conditioning",
    ),
    Claim(
        "L4_identity_target_aligns",
        "With the identity target covariance (alpha = beta = 1) the DFA gradient alignment is near 1 (> 0.9)",
        "lin_grad_alignment_identity_target",
        greater_than(0.9),
        paper_value="near 1",
    ),
    # -- deep non-linear networks on MNIST (figures 4-6)
    Claim(
        "D1_weights_align",
        "MLPs trained by DFA align their weights with the feedback products "
        "(total weight alignment, DFA minus BP > 0.1)",
        "mlp_weight_alignment_gap_dfa_minus_bp",
        greater_than(0.1),
        paper_value="aligned",
    ),
    Claim(
        "D2_gradients_align",
        "The DFA update aligns with the backprop gradient (total gradient alignment, DFA minus BP > 0.1)",
        "mlp_grad_alignment_gap_dfa_minus_bp",
        greater_than(0.1),
        paper_value="aligned",
    ),
    Claim(
        "D3_degeneracy_breaking_deep",
        "MLPs trained by DFA from different seeds are much more similar than BP's "
        "(cross-seed weight cosine, DFA minus BP > 0.1)",
        "mlp_cross_seed_gap_dfa_minus_bp",
        greater_than(0.1),
        paper_value="much more similar",
    ),
    Claim(
        "D4_bottom_layers_align_first",
        "Alignment proceeds from the bottom layer to the top: onset epochs of the layer-wise gradient "
        "alignment strictly increase with depth",
        "mlp_layer_onset_epochs",
        monotonic(increasing=True, strict=True),
        paper_value="bottom layers first",
    ),
    Claim(
        "D5_bottom_layers_peak_first",
        "Layer-wise gradient alignment peaks earlier for lower layers (peak epochs strictly increase with depth)",
        "mlp_layer_peak_epochs",
        monotonic(increasing=True, strict=True),
        paper_value="peaks earlier for lower layers",
        not_reproduced={"quick": NOT_PEAKED},
    ),
    Claim(
        "D6_noise_lowers_weight_alignment",
        "More label noise gives lower final weight alignment (strictly decreasing over the noise levels)",
        "noise_final_weight_alignment",
        monotonic(increasing=False, strict=True),
        paper_value="lower with more noise",
    ),
    Claim(
        "D7_noise_lowers_grad_alignment",
        "More label noise gives lower final gradient alignment (strictly decreasing over the noise levels)",
        "noise_final_grad_alignment",
        monotonic(increasing=False, strict=True),
        paper_value="lower with more noise",
    ),
    # -- CNN (figure 7)
    Claim(
        "C1_cnn_fails_to_align",
        "Convolutional layers trained by DFA fail to align: their gradient alignment is less than half the "
        "MLP's hidden layers' after the same number of epochs",
        "cnn_over_mlp_grad_alignment_ratio",
        less_than(0.5),
        paper_value="DFA fails on CNNs",
    ),
    Claim(
        "C2_cnn_dfa_worse_than_bp",
        "The DFA-trained CNN ends with a higher test error than the same CNN trained by BP",
        "cnn_test_error_gap_dfa_minus_bp",
        greater_than(0.0),
        paper_value="DFA lags BP on CNNs",
    ),
]
