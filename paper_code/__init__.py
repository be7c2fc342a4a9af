"""Re-implementations of papers by S. d'Ascoli and co-authors (see README.md).

Importing the package puts the project's thread defaults in the environment, before torch
loads its OpenMP runtime (idle threads sleep instead of spinning; see
``paper_code.common.threads``). Nothing is overridden that the user set.
"""
from paper_code.common.threads import set_environment_defaults as _set_environment_defaults

_set_environment_defaults()
