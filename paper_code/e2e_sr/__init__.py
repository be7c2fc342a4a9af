"""End-to-end symbolic regression with transformers (Kamienny, d'Ascoli, Lample, Charton, NeurIPS 2022; arXiv
2204.10532; official code ``facebookresearch/symbolicregression``): the function generator, the two models'
tokens and training (issue 15, in progress; the paper is not registered yet)."""
