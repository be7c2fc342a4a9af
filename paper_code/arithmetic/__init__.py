"""Length generalization in arithmetic transformers.

Jelassi, d'Ascoli, Domingo-Enrich, Wu, Li, Charton, arXiv 2306.15400 (2023). No official code. Modules (import
them directly; this file imports nothing, so ``import paper_code.arithmetic`` is cheap):

* ``data``  tokens, addition and multiplication problems in the padded (aligned) and compact layouts, exact-match
  accuracy, distinct training / test sets, train set priming, batches for a seq2seq or decoder-only model
"""
