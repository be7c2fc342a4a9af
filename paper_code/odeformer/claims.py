"""Headline claims of ODEFormer (d'Ascoli, Becker, Mathis, Schwaller & Kilbertus, ICLR 2024), checked on
the metrics of :mod:`paper_code.odeformer.experiments`.

Checks follow the paper's statements as ``shared/papers/odeformer.md`` §3-§4 records them, as directions
("loses less", "harder", "help", "falls", "faster"), never thresholds fitted to our runs. "Accuracy" is
the fraction of systems with R² > 0.9 (§5); "SINDy" is the paper's baseline protocol (finite differences,
hyper-parameters selected by derivative R² on the last 30 % of the trajectory). The headline numbers are
checked within ±10 points, the spread between the paper's runs we cannot resolve.
"""
from __future__ import annotations

from paper_code.common.claims import Claim, between, greater_than, is_true, less_than

SMALL_MODEL = (
    "the quick model (1.2M parameters, 7000 steps of 64 systems on 30k distinct generated systems, 41 min on "
    "2 CPU cores; the paper trains 86M parameters on ~50M systems on GPUs) reconstructs only a handful of the "
    "51 ODEBench systems with D <= 2 (17 % of D = 1, none of D = 2)"
)

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
            "the point estimate is positive (ODEFormer keeps 3 of its 4 clean reconstructions at σ = 0.05, "
            "retention 0.75, SINDy 0.67) but rests on 4 systems, and the bootstrap interval spans 0: "
            + SMALL_MODEL)},
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
        "(reconstruction accuracy, 16 samples minus greedy, σ = 0)",
        "indist_sampling_minus_greedy",
        greater_than(0.0),
        paper_value="sampling is the default decoding; brief §4: ×4-5 over greedy at CPU scale",
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
            "SINDy recovers system 60 (R² 0.995): with 64 points on t in [0, 10] its trajectory is still "
            "predictable from nearly exact coefficients. The mechanism does show: the true equations with "
            "constants perturbed by 1 % reach R² > 0.9 on 2 of the 4 chaotic systems vs 57 of the 59 regular ones "
            "(claim C5b)")},
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
        "ODEFormer's inference per system is faster than SINDy with the paper's hyper-parameter search "
        "(median wall time ratio SINDy / ODEFormer > 1, same systems, one run)",
        "timing_speedup",
        greater_than(1.0),
        paper_value="seconds per system vs minutes-hours for baselines with search",
    ),
    Claim(
        "C7_headline_reconstruction",
        "ODEBench reconstruction accuracy (averaged over the noise levels) is the paper's 66.4 % within "
        "±10 points",
        "odeformer_odebench_recon_mean_over_noise",
        between(0.564, 0.764),
        paper_value=0.664,
        not_reproduced={"quick": SMALL_MODEL + "; the brief calls the paper's numbers out of reach at CPU scale"},
    ),
    Claim(
        "C8_headline_generalisation",
        "ODEBench generalisation accuracy (averaged over the noise levels) is the paper's 32.8 % within "
        "±10 points",
        "odeformer_odebench_gen_mean_over_noise",
        between(0.228, 0.428),
        paper_value=0.328,
        not_reproduced={"quick": SMALL_MODEL + "; the brief calls the paper's numbers out of reach at CPU scale"},
    ),
]
