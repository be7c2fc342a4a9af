"""Root pytest configuration, shared by the unit tests and the nbval notebook run.

Every output a test or notebook writes goes to a temporary folder: ``PAPER_OUT``
is set before any kernel starts (kernels inherit the environment), so tests never
touch the committed ``figures/`` and ``metrics/``.
"""
import os
import tempfile

os.environ["PAPER_OUT"] = tempfile.mkdtemp(prefix="paper_out_")
