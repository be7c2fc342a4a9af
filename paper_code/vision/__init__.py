"""ConViT: improving vision transformers with soft convolutional inductive biases.

d'Ascoli, Touvron, Leavitt, Morcos, Biroli, Sagun, ICML 2021, arXiv 2103.10697. Official code: GitHub
``facebookresearch/convit``. Issue 14, in progress; the paper (``convit_tcnn``) is not registered yet. Modules
(import them directly; this file imports nothing, so ``import paper_code.vision`` is cheap):

* ``sizes``    ``ViTConfig`` (a model's shape), the paper's ConViT / DeiT sizes (Table 1) and CPU "nano" sizes,
  the closed-form parameter count
* ``gpsa``     gated positional self-attention (Eqs. 5, 7-8), its relative encodings and its convolutional init
* ``models``   patch embedding, pre-norm blocks, ``VisionTransformer`` (ConViT or DeiT from a ``ViTConfig``)
* ``metrics``  nonlocality of every layer's attention (§4, Fig. 5) and the GPSA gates sigmoid(lambda)
"""
