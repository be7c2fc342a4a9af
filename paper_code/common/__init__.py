"""Shared machinery for every paper: configs, claims, outputs, plotting, training.

Import submodules directly (``from paper_code.common.config import ...``); this
package file stays empty of heavy imports so that ``import paper_code.common``
never pulls torch.
"""
