"""Headline claims of ODEFormer (d'Ascoli, Becker, Mathis, Schwaller & Kilbertus, ICLR 2024), checked on
the metrics of :mod:`paper_code.odeformer.experiments`.

Checks follow the paper's statements (arXiv 2310.05573: robustness to noise and subsampling, reconstruction vs
generalisation, candidates, complexity and chaos, inference time, the ODEBench headline) as directions
("loses less", "harder", "help", "falls", "faster"), never thresholds fitted to our runs. "Accuracy" is
the fraction of systems with R² > 0.9, the paper's metric; "SINDy" is the paper's baseline protocol (finite
differences, hyper-parameters selected by derivative R² on the last 30 % of the trajectory). The headline
numbers are checked within ±10 points, the spread between the paper's runs we cannot resolve.

Every number a not-reproduced reason quotes is a ``{metric_key:format}`` placeholder, filled from the run's
metrics when the claims are evaluated, so the reason never goes stale.
"""
from __future__ import annotations

from paper_code.common.claims import Claim, between, greater_than, is_true, less_than

SMALL_MODEL = (
    "the quick model ({train_n_params:,} parameters, {train_steps:,} steps of {train_batch_size} systems drawn "
    "from {train_cache_size:,} distinct generated systems, {train_minutes:.0f} min of training on {train_device}; "
    "the paper's model is far larger and sees tens of millions of systems) reconstructs "
    "{odeformer_odebench_n_recon_clean} of the {n_odebench_systems} clean ODEBench systems with "
    "D <= {max_dim_evaluated} ({odeformer_recon_dim1:.0%} of D = 1, {odeformer_recon_dim2:.0%} of D = 2)"
)


def _by_dimension(d: int) -> str:
    """Clean ODEBench reconstruction of ODEFormer and SINDy on the systems of dimension ``d`` (placeholders)."""
    return (f"ODEFormer reconstructs {{odeformer_n_recon_dim{d}}} of the {{n_odebench_dim{d}}} clean D = {d} systems "
            f"({{odeformer_recon_dim{d}:.0%}}), SINDy {{sindy_n_recon_dim{d}}} ({{sindy_recon_dim{d}:.0%}})")


CLAIMS = [
    Claim(
        "C1_noise_robust_vs_sindy",
        "ODEFormer loses less of its accuracy than SINDy under noise: the retention (ODEBench reconstruction "
        "accuracy at the largest σ over that at σ = 0) of ODEFormer minus SINDy's is positive, with the lower "
        "end of its 90 % bootstrap interval over systems above 0",
        "noise_retention_diff_ci_low",
        greater_than(0.0),
        paper_value="SINDy collapses under noise, ODEFormer degrades gracefully",
        not_reproduced={"quick": (
            "on ODEBench the quick model reconstructs {odeformer_odebench_n_recon_clean} clean systems and "
            "{odeformer_odebench_n_recon_max_noise} at the largest σ (retention {odeformer_noise_retention:.2f}), "
            "SINDy {sindy_odebench_n_recon_clean} and {sindy_odebench_n_recon_max_noise} "
            "({sindy_noise_retention:.2f}): with so few ODEFormer reconstructions the interval of the difference, "
            "[{noise_retention_diff_ci_low:.2f}, {noise_retention_diff_ci_high:.2f}], cannot exclude zero; on held-out "
            "systems of its training distribution, where it reconstructs more, the same test holds (the "
            "in-distribution claim)")},
    ),
    Claim(
        "C1c_noise_robust_in_distribution",
        "On held-out systems of the training distribution, ODEFormer loses less of its accuracy than SINDy under "
        "noise: retention (reconstruction accuracy at the largest σ over σ = 0) of ODEFormer minus SINDy's, "
        "lower end of the 90 % bootstrap interval over systems above 0",
        "indist_noise_retention_diff_ci_low",
        greater_than(0.0),
        paper_value="ODEFormer degrades gracefully with noise, derivative-based baselines do not",
    ),
    Claim(
        "C1b_best_at_high_noise",
        "ODEFormer is more accurate than SINDy at the largest noise level (ODEBench reconstruction)",
        "odeformer_minus_sindy_recon_at_max_noise",
        greater_than(0.0),
        paper_value="best method at every noise level; the gap widens with noise",
        not_reproduced={"quick": SMALL_MODEL},
    ),
    Claim(
        "C2_generalisation_harder",
        "Generalisation to a new initial condition is harder than reconstruction for every method "
        "(clean ODEBench, on the systems with a second initial condition)",
        "gen_below_recon_all_methods",
        is_true(),
        paper_value="66.4 % reconstruction vs 32.8 % generalisation (ODEFormer)",
    ),
    Claim(
        "C3_more_candidates_help",
        "More sampled candidates, ranked by trajectory fit, help: accuracy of the best of the largest k minus "
        "the best of 1 candidate is positive (clean ODEBench)",
        "sweep_gain_max_k_over_1",
        greater_than(0.0),
        paper_value="beam size 1 -> 10 -> 50 improves accuracy",
    ),
    Claim(
        "C3b_sampling_beats_greedy",
        "Sampling candidates and ranking them by fit beats greedy decoding on held-out generated systems "
        "(reconstruction accuracy, n_candidates samples minus greedy, σ = 0)",
        "indist_sampling_minus_greedy",
        greater_than(0.0),
        paper_value="sampling candidates and ranking them by fit is the default decoding (official code)",
    ),
    Claim(
        "C4_accuracy_falls_with_complexity",
        "ODEFormer's accuracy falls with the dimension (D = 1 above D = 2) and with the operator count of the "
        "true system (at most the median above more than the median)",
        "odeformer_accuracy_falls_with_dim_and_ops",
        is_true(),
        paper_value="accuracy decreases with D and with the number of operators",
    ),
    Claim(
        "C5_chaotic_not_recovered",
        "Chaotic systems (ODEBench 56, 59, 60, 61) are not recovered: none reaches R² > 0.9 (SINDy, the one "
        "method of this run that handles D >= 3 at quick scale)",
        "sindy_chaotic_recovered",
        less_than(1),
        paper_value="chaotic systems are not recovered (trajectory R² punishes tiny coefficient errors)",
        not_reproduced={"quick": (
            "SINDy recovers system {sindy_chaotic_recovered_ids} (R² {sindy_chaotic_best_r2:.3f}): with "
            "{n_points} points on ODEBench's time grid its trajectory is still predictable from nearly exact "
            "coefficients. The mechanism does show: the true equations with constants perturbed by "
            "{truth_perturbation:.0%} reach R² > 0.9 on {truth_n_recon_chaotic} of the {n_chaotic} chaotic systems vs "
            "{truth_n_recon_regular} of the {n_regular} regular ones (claim C5b)")},
    ),
    Claim(
        "C5b_chaotic_sensitive_to_coefficients",
        "Trajectory R² punishes small coefficient errors on chaotic systems: the true equations with "
        "constants perturbed by 1 % are recovered more often on regular than on chaotic systems",
        "truth_regular_minus_chaotic",
        greater_than(0.0),
        paper_value="tiny coefficient errors make chaotic trajectories diverge",
    ),
    Claim(
        "C6_inference_faster_than_search",
        "ODEFormer's median inference time per system is below that of SINDy running the paper's 648-setting "
        "hyper-parameter search (ratio SINDy / ODEFormer > 1, same clean systems, one run after the other; the "
        "16-setting SINDy of the main benchmark is compared at equal accuracy in C6b)",
        "timing_speedup",
        greater_than(1.0),
        paper_value="seconds per system vs minutes-hours for baselines with hyper-parameter search",
    ),
    Claim(
        "C6b_faster_at_equal_accuracy",
        "At equal accuracy ODEFormer is faster: its time per reconstructed system (median fit time on the clean "
        "ODEBench tasks over its clean reconstruction accuracy) is below that of the 16-setting SINDy of the main "
        "benchmark (ratio SINDy / ODEFormer > 1)",
        "time_per_recon_sindy_over_odeformer",
        greater_than(1.0),
        paper_value="more accurate than the baselines and faster than them with their search",
        not_reproduced={"quick": (
            "SINDy with the main benchmark's grid fits a clean system in {sindy_clean_median_s:.2f} s and reconstructs "
            "{sindy_odebench_recon_clean:.0%} of them, {sindy_s_per_recon:.2f} s per reconstructed system; ODEFormer "
            "takes {odeformer_clean_median_s:.2f} s and reconstructs {odeformer_odebench_recon_clean:.0%}, "
            "{odeformer_s_per_recon:.2f} s per reconstructed system ({timing_sindy_settings} takes "
            "{timing_sindy_search_median_s:.1f} s per system, claim C6): " + SMALL_MODEL)},
    ),
    Claim(
        "C9_dim1_ahead_of_sindy",
        "On the clean one-dimensional ODEBench systems ODEFormer's reconstruction accuracy is above SINDy's "
        "(paper-protocol SINDy; accuracy difference > 0)",
        "odeformer_minus_sindy_recon_dim1",
        greater_than(0.0),
        paper_value="ahead of every baseline on ODEBench: 66.4 % reconstruction over all 63 systems (no "
                    "per-dimension number quoted)",
        not_reproduced={"quick": _by_dimension(1) + "; " + SMALL_MODEL},
    ),
    Claim(
        "C9b_dim2_ahead_of_sindy",
        "On the clean two-dimensional ODEBench systems ODEFormer's reconstruction accuracy is above SINDy's "
        "(paper-protocol SINDy; accuracy difference > 0)",
        "odeformer_minus_sindy_recon_dim2",
        greater_than(0.0),
        paper_value="ahead of every baseline on ODEBench: 66.4 % reconstruction over all 63 systems (no "
                    "per-dimension number quoted)",
        not_reproduced={"quick": _by_dimension(2) + "; " + SMALL_MODEL},
    ),
    Claim(
        "C7_headline_reconstruction",
        "ODEBench reconstruction accuracy (averaged over the noise levels) is the paper's 66.4 % within "
        "±10 points",
        "odeformer_odebench_recon_mean_over_noise",
        between(0.564, 0.764),
        paper_value=0.664,
        not_reproduced={"quick": SMALL_MODEL + "; the paper's headline numbers need the paper-scale model"},
    ),
    Claim(
        "C8_headline_generalisation",
        "ODEBench generalisation accuracy (averaged over the noise levels) is the paper's 32.8 % within "
        "±10 points",
        "odeformer_odebench_gen_mean_over_noise",
        between(0.228, 0.428),
        paper_value=0.328,
        not_reproduced={"quick": SMALL_MODEL + "; the paper's headline numbers need the paper-scale model"},
    ),
]
