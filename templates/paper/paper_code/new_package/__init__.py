"""TODO: the paper's title.

TODO: authors, venue and year, arXiv id (reference code: GitHub ``owner/repo``).
Modules, in the order of the paper's argument:

* ``config``       the ``quick`` and ``paper`` presets
* ``experiments``  the runs the notebook calls, and the metrics they report
* ``figures``      one function per paper figure, drawn from experiment results
* ``claims``       the paper's headline claims, checked on the metrics
"""
