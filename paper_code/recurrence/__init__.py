"""Deep symbolic regression for recurrent sequences (d'Ascoli, Kamienny, Lample, Charton, ICML 2022; arXiv
2201.04600; official code ``facebookresearch/recur``): the recurrence generator and the OEIS reader (issue 16,
in progress; the paper is not registered yet)."""
