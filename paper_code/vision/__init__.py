"""ConViT and Transformed CNNs: soft convolutional inductive biases for attention.

d'Ascoli, Touvron, Leavitt, Morcos, Biroli, Sagun, "ConViT: improving vision transformers with soft convolutional
inductive biases", ICML 2021, arXiv 2103.10697 (official code: GitHub ``facebookresearch/convit``); d'Ascoli, Sagun,
Biroli, Morcos, "Transformed CNNs: recasting pre-trained convolutional layers with self-attention", arXiv
2106.05795. Notebook: ``notebooks/convit_tcnn/01_convit_tcnn.ipynb``; choices: ``docs/papers/convit_tcnn.md``.
Modules (import them directly; this file imports nothing, so ``import paper_code.vision`` is cheap):

* ``sizes``        ``ViTConfig`` (a model's shape), the paper's ConViT / DeiT sizes (Table 1) and CPU "nano" sizes,
  the closed-form parameter count
* ``gpsa``         gated positional self-attention (Eqs. 5, 7-8), its relative encodings and its convolutional init
* ``models``       patch embedding, pre-norm blocks, ``VisionTransformer`` (ConViT or DeiT from a ``ViTConfig``)
* ``metrics``      nonlocality of every layer's attention (§4, Fig. 5) and the GPSA gates sigmoid(lambda)
* ``tcnn``         a small ResNet, convolutions recast exactly as positional self-attention, ``convert``
* ``corruptions``  a CPU "mini ImageNet-C" for grey images (noise, blur, contrast, pixelate, fog, brightness)
* ``config``       the ``quick`` / ``paper`` presets (``ConvitConfig``)
* ``data``         splits, nested fractions of the training set, standardisation, randomly shifted batches
* ``train``        the two trained bundles: the ConViT / DeiT sweep and the CNN / T-CNN fine-tuning
* ``experiments``  the notebook's computations; ``figures``; ``claims``
"""
