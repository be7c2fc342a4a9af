"""Headline claims of the generalization-phase-space paper, checked on ``experiments`` metrics.

Thresholds come from the paper's statements (brief sections 1 and 4) or from exact
properties, never from our own run:

* "asymmetric, more data beats more parameters": the swap ratio of
  :func:`~paper_code.random_features.experiments.asymmetry_ratio` is > 1, and "noise /
  anisotropy make it asymmetric" (the isotropic noiseless space is nearly symmetric):
  the ratio grows relative to the isotropic noiseless one (gain > 1);
* "the error drops once N reaches D / r_phi": the steepest drop per decade of N/D, looked
  for a decade below the interpolation peak N = P, lies within half a decade of 1/r_phi
  (the "~" of the brief, read as a factor sqrt(10));
* "peak at N = P": the maximum of the theory curve lies within one 0.1-decade grid step of N = P;
* "~0.5", "~0.11", "~0.19": within the rounding of the quoted number's last digit plus
  one unit (atol 0.05 for ~0.5, 0.02 for the two-digit ones);
* "theory goes through the simulation points": no point more than 4 standard errors
  off (the project's convention for "within seed error bars"), and the median relative
  deviation below 5 % ("within a few %").
"""
from __future__ import annotations

from paper_code.common.claims import Claim, close_to, greater_than, less_than

CLAIMS = [
    # -- phase space, classification (the paper's PS figure)
    Claim(
        "PS1_noise_more_data_wins",
        "Classification, isotropic data with label noise delta = 0.3: more data beats more parameters "
        "(swap ratio E(N=a,P=b)/E(N=b,P=a), b > a, > 1)",
        "ps_cls_asym_isotropic_noisy",
        greater_than(1.0),
        paper_value="asymmetric: large N, small P better",
    ),
    Claim(
        "PS2_noise_breaks_symmetry",
        "Classification: label noise makes the phase space more asymmetric than the nearly symmetric "
        "noiseless isotropic one (ratio of swap ratios > 1)",
        "ps_cls_asym_gain_noise",
        greater_than(1.0),
        paper_value="noiseless isotropic ≈ symmetric; noise breaks it",
    ),
    Claim(
        "PS3_relevant_salient_more_data_wins",
        "Classification, strong relevant anisotropy (r_x = 100, r_beta = 100, r_phi = 100), no noise: "
        "more data beats more parameters (swap ratio > 1)",
        "ps_cls_asym_relevant_salient",
        greater_than(1.0),
        paper_value="asymmetric: large N, small P better",
    ),
    Claim(
        "PS4_anisotropy_breaks_symmetry",
        "Classification: relevant anisotropy makes the phase space more asymmetric than isotropic data (gain > 1)",
        "ps_cls_asym_gain_salient",
        greater_than(1.0),
        paper_value="anisotropy acts like noise",
    ),
    Claim(
        "PS5_weak_saliency_close_to_isotropic",
        "Classification: r_x = 0.01 departs less from the isotropic asymmetry than r_x = 100 does "
        "(|log ratio| of weak over strong < 1)",
        "ps_cls_weak_vs_strong_departure",
        less_than(1.0),
        paper_value="r_x = 0.01 behaves close to isotropic",
    ),
    # -- phase space, regression
    Claim(
        "PS6_regression_noise_more_data_wins",
        "Regression, isotropic data with label noise Delta = 0.3: more data beats more parameters (swap ratio > 1)",
        "ps_reg_asym_isotropic_noisy",
        greater_than(1.0),
        paper_value="asymmetric",
        not_reproduced={s: "the paper's phase-space maps are classification only; for regression the same settings give a swap ratio < 1 (the noiseless error vanishes at large N and P and the parameter-rich side wins there); noise raises the ratio from 0.44 to 0.96 (gain 2.2), toward data, but not past 1" for s in ("quick", "paper")},
    ),
    Claim(
        "PS7_regression_relevant_salient_more_data_wins",
        "Regression, strong relevant anisotropy, no noise: more data beats more parameters (swap ratio > 1)",
        "ps_reg_asym_relevant_salient",
        greater_than(1.0),
        paper_value="asymmetric",
        not_reproduced={s: "the paper's phase-space maps are classification only; for regression the same settings give a swap ratio < 1 (the noiseless error vanishes at large N and P and the parameter-rich side wins there); relevant anisotropy lowers it further (0.25), so in regression it favours parameters" for s in ("quick", "paper")},
    ),
    # -- salient structure: early drop at N ~ D / r_phi
    Claim(
        "RPHI1_drop_at_salient_dimension",
        "With relevant salient directions (r_x = 100, r_beta = 100), the error falls fastest at N/D ~ 1/r_phi, "
        "for r_phi in {1, 10, 100}, regression and classification (max |log10(N*/D · r_phi)| < 0.5; N* searched "
        "below N = P/10, away from the interpolation peak)",
        "rphi_max_abs_log10_drop_offset",
        less_than(0.5),
        paper_value="drop around N/D ~ 1/r_phi",
    ),
    Claim(
        "RPHI2_classification_first_minimum",
        "Classification, r_phi = 100, r_x = 100: the error curve is non-monotonic, first minimum ≈ 0.11 (near N/D ~ 0.1)",
        "rphi_cls_first_min_error",
        close_to(0.11, atol=0.02),
        paper_value=0.11,
    ),
    Claim(
        "RPHI3_classification_bump",
        "Classification, r_phi = 100, r_x = 100: after the minimum the error rises to a bump ≈ 0.19 (near N/D ~ 1-2)",
        "rphi_cls_bump_error",
        close_to(0.19, atol=0.02),
        paper_value=0.19,
    ),
    Claim(
        "SW1_irrelevant_salient_stays_high",
        "Regression, irrelevant salient features (r_beta = 0.01): the error stays high, ≈ 0.5, at small N (N/D = 0.1, P/D = 1)",
        "sw_reg_irrelevant_error_at_N_over_D_0.1",
        close_to(0.5, atol=0.05),
        paper_value="~0.5",
        not_reproduced={s: "the theory gives 0.834 there, high but not ~0.5; the reference code's own stored table agrees with ours (0.8412 vs 0.8412 at N/D = 0.108), so the brief's ~0.5 does not describe N/D = 0.1 (it is the N -> 0 limit)" for s in ("quick", "paper")},
    ),
    # -- double descent
    Claim(
        "DD1_peak_at_interpolation",
        "Small ridge (1e-3) and label noise: the test error peaks at N = P (every cut P/D in {0.1, 1, 10}; "
        "max |log10(N_peak/P)| <= 0.1, one grid step)",
        "dd_max_abs_log10_peak_offset",
        close_to(0.0, atol=0.1),
        paper_value="peak at N = P",
    ),
    # -- theory vs simulation
    Claim(
        "SIM1_theory_within_error_bars",
        "Direct random-features simulations agree with the theory within seed error bars (max |z| < 4 over all points)",
        "sim_max_abs_z",
        less_than(4.0),
        paper_value="theory lines through the simulation points",
        not_reproduced={s: "isotropic curves agree (max |z| < 2.4 at D = 200), but the salient data sets have only D/10 salient coordinates whose norm fluctuations (relative sqrt(2 r_phi / D), 30 % at D = 200) the D -> infinity theory neglects: systematic gaps of 10-40 % at D = 200 and still max |z| = 13.7 at D = 400 (10 seeds); the gap shrinks with D (SIM3)" for s in ("quick", "paper")},
    ),
    Claim(
        "SIM2_theory_within_few_percent",
        "Median relative deviation of the simulated test error from the theory is below 5 %",
        "sim_median_rel_dev",
        less_than(0.05),
        paper_value="within a few % at D ~ 200",
    ),
    Claim(
        "SIM3_finite_size_bias_shrinks",
        "The simulation-theory gap of the worst case (relevant salient regression, D/10 salient coordinates) "
        "shrinks as D grows: |deviation| at the largest D over that at the smallest D < 1 (the theory is the D → ∞ limit)",
        "fs_rel_dev_ratio_largest_over_smallest_D",
        less_than(1.0),
        paper_value="exact as D → ∞",
    ),
    # -- fully-connected networks on images
    Claim(
        "NN1_noisy_network_more_data_wins",
        "1-hidden-layer ReLU networks on whitened (PCA) images with label noise 0.5: more data beats more width "
        "(swap ratio on the (n, width) grid > 1)",
        "nn_pca_asym_noisy",
        greater_than(1.0),
        paper_value="low-error region toward large n",
    ),
    Claim(
        "NN2_noise_shifts_toward_data",
        "Networks: label noise moves the low-error region toward large n (swap ratio grows with noise, gain > 1)",
        "nn_pca_asym_gain_noise",
        greater_than(1.0),
        paper_value="same direction as the theory",
    ),
    Claim(
        "NN3_anisotropic_inputs_favour_data",
        "Networks, no noise: natural anisotropic (downsampled) inputs favour data more than whitened inputs (gain > 1)",
        "nn_asym_gain_anisotropy_clean",
        greater_than(1.0),
        paper_value="anisotropic inputs show the same kind of asymmetry",
        not_reproduced={"quick": "on the 5,000-image MNIST subset (widths 4-64, n 250-4000, 300 epochs, 2 seeds) the downsampled inputs' noiseless swap ratio (0.85) is slightly below the whitened one (0.89); label noise does favour data for both input types"},
    ),
    Claim(
        "NN4_harder_dataset_noise_shifts_toward_data",
        "Networks on the harder dataset (CIFAR-10, or Fashion-MNIST in its place): label noise moves the "
        "low-error region toward large n (gain > 1)",
        "nn_second_pca_asym_gain_noise",
        greater_than(1.0),
        paper_value="same on CIFAR10",
        not_reproduced={"quick": "the second (harder) dataset is trained at paper scale only; the quick run has no such metric"},
    ),
]
