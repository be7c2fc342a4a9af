"""Cleaning an executed notebook: no run metadata, no progress bars, no machine paths; warnings kept."""
from __future__ import annotations

import copy
from pathlib import Path

import nbformat

from paper_code.common import notebook_record as R

REPO = "/home/someone/repo"


def _executed() -> dict:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("scale = 'quick'")
    params.metadata.update(tags=["injected-parameters"], papermill={"duration": 0.1},
                           execution={"iopub.status.idle": "2026-01-01T00:00:00Z"})
    code = nbformat.v4.new_code_cell("run()")
    code.metadata.update(tags=[], papermill={"start_time": "t"})
    code.outputs = [
        nbformat.v4.new_output("stream", name="stderr", text="\r  0%|   | 0/3\r 100%|###| 3/3\n"),
        nbformat.v4.new_output("stream", name="stderr",
                               text=f"{REPO}/.venv/lib/site-packages/np.py:3: RuntimeWarning: overflow\n"),
        nbformat.v4.new_output("stream", name="stdout", text=f"saved {REPO}/build/staging/p/figures/f.png\n"),
        nbformat.v4.new_output("display_data", data={R.WIDGET_MIME: {"model_id": "abc"}, "text/plain": "0%"}),
        nbformat.v4.new_output("execute_result", data={"text/plain": f"PosixPath('{REPO}/data')"}, execution_count=2),
    ]
    md = nbformat.v4.new_markdown_cell("text")
    md.metadata["papermill"] = {"duration": 0.0}
    nb.cells = [params, code, md]
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"
    nb.metadata["papermill"] = {"input_path": f"{REPO}/nb.ipynb", "start_time": "t"}
    nb.metadata["widgets"] = {"state": {}}
    return nb


PAIRS = R.path_replacements((Path(REPO) / "build/staging/p", ""), (Path(REPO), ""), (Path("/home/someone"), "~"))


def test_clean_drops_run_metadata_and_bars():
    nb = R.clean(_executed(), PAIRS)
    assert "papermill" not in nb.metadata and "widgets" not in nb.metadata
    for cell in nb.cells:
        assert not {"papermill", "execution"} & set(cell.metadata)
    assert nb.cells[0].id == "injected-parameters" and nb.cells[0].metadata.tags == ["injected-parameters"]
    assert "tags" not in nb.cells[1].metadata
    outs = nb.cells[1].outputs
    assert [o.output_type for o in outs] == ["stream", "stream", "execute_result"]
    assert outs[0].text == ".venv/lib/site-packages/np.py:3: RuntimeWarning: overflow\n"  # the warning stays
    assert outs[1].text == "saved figures/f.png\n"
    assert outs[2].data["text/plain"] == "PosixPath('data')"
    nbformat.validate(nb)


def test_clean_is_idempotent_and_deterministic():
    once = R.clean(_executed(), PAIRS)
    assert R.clean(copy.deepcopy(once), PAIRS) == once
    assert R.clean(_executed(), PAIRS) == once


def test_replacements_longest_first_and_never_root():
    pairs = R.path_replacements((Path("/"), ""), (Path("/a"), ""), (Path("/a/b"), "B"))
    assert pairs[0] == ("/a/b/", "B/") and ("/", "") not in pairs
    assert R._scrub("/a/b/x and /a/y and /a", pairs) == "B/x and y and ."
