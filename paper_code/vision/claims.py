"""Headline claims of ConViT (d'Ascoli et al., ICML 2021, arXiv 2103.10697) and Transformed CNNs (d'Ascoli et al.,
arXiv 2106.05795), checked on the metrics of :mod:`paper_code.vision.experiments`.

A comparison ("beats", "drops", "rises") is tested as a positive difference whose 90 % bootstrap interval excludes
zero: over seeds for the sweep (the two arms of a seed share their images, batches and shifts), over test images for
the CNN arms (the same images for every arm). A reason for a claim not reproduced at a scale quotes the run's
metrics through ``{metric_key:format}`` placeholders, so it never goes stale.
"""
from __future__ import annotations

from paper_code.common.claims import Claim, greater_than, less_than

#: Shared part of the quick scale's reasons.
_BUDGET = ("each run of the sweep trains for {vits_images_per_run:,} images ({n_train_vits:,}-image MNIST subset, "
           "{n_params_convit:,} parameters); the paper trains ConViT-S for 300 epochs of ImageNet's 1.28M images")

CLAIMS = [
    Claim(
        "C1_convit_beats_deit_at_every_fraction",
        "ConViT beats the DeiT of the same size at every fraction of the training set: the smallest, over the "
        "fractions, of the lower 90 % bootstrap bound (over seeds) of ConViT's relative top-1 gain is above 0",
        "gain_min_over_fractions_ci_low",
        greater_than(0.0),
        paper_value="Table 2 (ConViT-S vs DeiT-S, ImageNet): +37 % at 5 %, +24 % at 10 %, +12 % at 30 %, +5 % at 50 %, "
                    "+2 % at 100 % (relative top-1)",
    ),
    Claim(
        "C2_gain_larger_when_data_scarce",
        "ConViT's advantage is larger when data is scarce: relative gain at the smallest fraction minus at the whole "
        "training set, paired by seed, 90 % bootstrap interval above 0",
        "gain_scarce_minus_full_ci_low",
        greater_than(0.0),
        paper_value="Table 2: relative gain 37 % at 5 % of ImageNet vs 2 % at 100 % (difference +35 points)",
        not_reproduced={"quick": (
            "ConViT's relative gain is {gain_scarce:+.1%} with a fraction {scarce_fraction:g} of the images and "
            "{gain_full:+.1%} with all of them (difference {gain_scarce_minus_full:+.1%}, interval "
            "[{gain_scarce_minus_full_ci_low:+.1%}, {gain_scarce_minus_full_ci_high:+.1%}]): the reverse of the paper. "
            "At an equal number of steps the runs on the whole set see each image far fewer times, and DeiT is still "
            "far from converged there: it scores {acc_deit_full:.1%} on all the images against {acc_deit_scarce:.1%} "
            "on the fraction (Fig. 3 shows its curve still rising), while ConViT's convolutional start gets it to "
            "{acc_convit_full:.1%}. The gain then measures the head start (Figs. 8b, 11 of the paper) more than the "
            "asymptotic gap of Table 2; " + _BUDGET)},
    ),
    Claim(
        "C3_deit_layers_first_become_local",
        "DeiT's attention layers become more local during training (the paper: in its first epochs, out of 300): mean "
        "nonlocality of the first blocks at initialisation minus its minimum along training, paired by seed, 90 % "
        "bootstrap interval above 0",
        "deit_early_drop_ci_low",
        greater_than(0.0),
        paper_value="§4.1, Fig. 5: DeiT's nonlocality drops in the first epochs (its layers learn to be local)",
    ),
    Claim(
        "C4_gpsa_layers_become_less_local",
        "ConViT's GPSA layers start local and become less local: their mean nonlocality at the end minus at "
        "initialisation, paired by seed, 90 % bootstrap interval above 0",
        "convit_gpsa_rise_ci_low",
        greater_than(0.0),
        paper_value="§4.1, Fig. 5: the GPSA layers' nonlocality rises from its local initialisation during training",
        not_reproduced={"quick": (
            "the GPSA layers' mean nonlocality went from {convit_gpsa_nonlocality_init:.3f} to "
            "{convit_gpsa_nonlocality_final:.3f} patches (change {convit_gpsa_rise:+.3f}, interval from "
            "{convit_gpsa_rise_ci_low:+.3f}): slightly more local, not less. Their gates rose from {gate_init:.3f} to "
            "{gate_final_layer1:.3f}-{gate_final_layer3:.3f} instead of falling (C6): at this budget the layers lean "
            "further on their positional, convolution-like part, and the content part that makes the paper's GPSA "
            "layers non-local never takes over; " + _BUDGET)},
    ),
    Claim(
        "C5_gpsa_layers_end_more_local_than_deit",
        "At the end of training the GPSA layers are more local than DeiT's corresponding layers: DeiT's mean "
        "nonlocality minus ConViT's over the first blocks, paired by seed, 90 % bootstrap interval above 0",
        "deit_minus_convit_final_ci_low",
        greater_than(0.0),
        paper_value="§4.1, Fig. 5: the GPSA layers end below DeiT's nonlocality",
    ),
    Claim(
        "C6_gates_move_toward_content",
        "The gates move toward content attention: the mean gate sigmoid(lambda) over GPSA layers and heads at "
        "initialisation (0.731) minus at the end, paired by seed, 90 % bootstrap interval above 0",
        "gate_fall_ci_low",
        greater_than(0.0),
        paper_value="§4.2, Fig. 6: the average positional weight decreases during training",
        not_reproduced={"quick": (
            "the mean gate rose from {gate_init:.3f} to {gate_final_layer1:.3f}, {gate_final_layer2:.3f} and "
            "{gate_final_layer3:.3f} in the three GPSA layers (change {gate_fall:+.4f} as init minus final, interval "
            "from {gate_fall_ci_low:+.4f}): the models moved toward position, which is what a small, "
            "translation-invariant digit task rewards early on; the paper's gates fall over 300 ImageNet epochs; "
            + _BUDGET)},
    ),
    Claim(
        "C7_later_layers_lean_more_on_content",
        "Later GPSA layers end more content-based than the first: final mean gate of the first GPSA layer minus the "
        "last one's, paired by seed, 90 % bootstrap interval above 0",
        "gate_first_minus_last_ci_low",
        greater_than(0.0),
        paper_value="§4.2, Fig. 6: the last GPSA layers end almost purely content-based (gates near 0), the first "
                    "keep positional heads",
        not_reproduced={"quick": (
            "the final mean gates of the three GPSA layers are {gate_final_layer1:.3f}, {gate_final_layer2:.3f} and "
            "{gate_final_layer3:.3f} (first minus last {gate_first_minus_last:+.4f}, interval from "
            "{gate_first_minus_last_ci_low:+.4f}): no layer has moved toward content (C6), so there is no ordering to "
            "see; " + _BUDGET)},
    ),
    Claim(
        "C8_position_embedding_matters_less_for_convit",
        "Zeroing the absolute position embedding at test time hurts DeiT more than ConViT: DeiT's drop in top-1 minus "
        "ConViT's, paired by seed, 90 % bootstrap interval above 0",
        "pos_drop_deit_minus_convit_ci_low",
        greater_than(0.0),
        paper_value="SM F, Table 5: DeiT-Ti 72.2 -> 38.3, ConViT-Ti 73.1 -> 67.1 (drops of 33.9 and 6.0 points)",
    ),
    Claim(
        "C9_convolutional_init_helps",
        "The convolutional initialisation helps when data is scarce: test top-1 of ConViT minus the same model with "
        "random GPSA initialisation (ablation on a fraction of the digits), paired over seeds and test images, 90 % "
        "bootstrap interval above 0",
        "ablation_conv_init_gain_ci_low",
        greater_than(0.0),
        paper_value="Table 3, 10 % of ImageNet: ConViT (a) 59.7 vs random init (c) 56.9",
    ),
    Claim(
        "C10_trained_gates_help",
        "Training the gates helps when data is scarce: test top-1 of ConViT minus the same model with its gates "
        "frozen at sigmoid(0) = 0.5, paired over seeds and test images, 90 % bootstrap interval above 0",
        "ablation_gating_gain_ci_low",
        greater_than(0.0),
        paper_value="Table 3, 10 % of ImageNet: ConViT (a) 59.7 vs no gating (b) 57.4",
    ),
    Claim(
        "C11_tcnn_computes_the_cnn_at_conversion",
        "The Transformed CNN computes the same function as the trained CNN at conversion: the largest logit "
        "difference on the test images, relative to the largest logit, is below 1e-5 (float32 round-off)",
        "conversion_rel_diff",
        less_than(1e-5),
        paper_value="T-CNN abstract: any pre-trained CNN can be recast as a functionally identical hybrid model",
    ),
    Claim(
        "C12_tcnn_finetuning_beats_cnn_finetuning",
        "Fine-tuning the T-CNN beats fine-tuning the CNN for the same steps: clean test top-1 of the fine-tuned T-CNN "
        "minus the fine-tuned CNN, paired over test images, 90 % bootstrap interval above 0",
        "tcnn_minus_cnn_finetuned_ci_low",
        greater_than(0.0),
        paper_value="T-CNN abstract: +2.2 % top-1 on ImageNet-1k for a ResNet50-RS after 50 epochs of fine-tuning",
        not_reproduced={"quick": (
            "after the same {finetune_steps} fine-tuning steps the T-CNN scores {acc_tcnn_finetuned:.2%} and the CNN "
            "{acc_cnn_finetuned:.2%} on the {n_test_tcnn:,} test images (difference {tcnn_minus_cnn_finetuned:+.2%}, "
            "interval [{tcnn_minus_cnn_finetuned_ci_low:+.2%}, {tcnn_minus_cnn_finetuned_ci_high:+.2%}]): a tie. The "
            "recast layers barely used their new content attention: its weight reached {tcnn_content_weight_last:.3f} "
            "in the last recast layer and {tcnn_content_weight_first:.4f} in the first (0 at conversion), so the "
            "fine-tuned T-CNN still computes nearly the CNN's function. Our fine-tuning is {finetune_epochs:.1f} "
            "epochs of {n_train_tcnn:,} images at a tenth of the CNN's learning rate, on 7 x 7 feature maps; the "
            "paper's is 50 epochs of ImageNet on a ResNet50-RS")},
    ),
    Claim(
        "C13_tcnn_more_robust",
        "The fine-tuned T-CNN is more robust to corruptions than the CNN fine-tuned for the same steps: top-1 averaged "
        "over corruptions and severities, T-CNN minus CNN, paired over test images, 90 % bootstrap interval above 0",
        "tcnn_minus_cnn_corrupted_ci_low",
        greater_than(0.0),
        paper_value="T-CNN abstract: +11 % top-1 on ImageNet-C",
    ),
]
