"""Figure/metrics writers honour the PAPER_OUT redirection, write stable files, and publish atomically."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from paper_code.common import outputs, paths
from paper_code.common.plotting import new_figure


def test_outputs_follow_paper_out(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.OUTPUT_ENV, str(tmp_path))
    fig, ax = new_figure()
    ax.plot([0, 1], [1, 0])
    f = outputs.save_figure(fig, "demo", "fig1_line")
    m = outputs.write_metrics("demo", {"a": np.float32(0.123456789), "b": np.arange(3), "c": float("inf"),
                                       "ok": np.bool_(True)})
    assert f == tmp_path / "figures" / "demo" / "fig1_line.png" and f.stat().st_size > 1000
    pdf = f.with_suffix(".pdf")
    assert pdf.read_bytes().startswith(b"%PDF") and b"CreationDate" not in pdf.read_bytes()
    assert m == tmp_path / "metrics" / "demo.json"
    assert json.loads(m.read_text()) == {"a": 0.123457, "b": [0, 1, 2], "c": None, "ok": True}
    # nothing was written into the repository's tracked folders
    assert not (paths.REPO_ROOT / "figures" / "demo").exists()
    assert not (paths.REPO_ROOT / "metrics" / "demo.json").exists()


def test_unset_paper_out_goes_to_scratch(monkeypatch):
    monkeypatch.delenv(paths.OUTPUT_ENV, raising=False)
    assert paths.output_root() == paths.SCRATCH_DIR
    assert paths.figures_dir("x") == paths.REPO_ROOT / "build" / "scratch" / "figures" / "x"


def test_same_figure_is_byte_identical(tmp_path):
    def draw(name):
        fig, ax = new_figure()
        ax.plot(np.linspace(0, 1, 50), np.sin(np.linspace(0, 6, 50)), label="sin")
        ax.legend()
        return outputs.save_figure(fig, "demo", name, root=tmp_path)

    a, b = draw("a"), draw("b")
    assert a.read_bytes() == b.read_bytes()
    assert a.with_suffix(".pdf").read_bytes() == b.with_suffix(".pdf").read_bytes()


def test_png_resolution_is_print_dpi(tmp_path):
    from PIL import Image

    fig, ax = new_figure(width=3.0, height=2.0)
    ax.plot([0, 1])
    with Image.open(outputs.save_figure(fig, "demo", "fig1", root=tmp_path)) as im:
        assert round(im.info["dpi"][0]) == outputs.PNG_DPI
        assert im.size[0] >= 2.5 * outputs.PNG_DPI  # about 3 in wide after the tight bounding box


@pytest.mark.parametrize("bad", ["", "fig.png", "fig.pdf", "sub/fig"])
def test_bad_figure_names(bad, tmp_path):
    fig, _ = new_figure()
    with pytest.raises(ValueError, match="bare stem"):
        outputs.save_figure(fig, "demo", bad, root=tmp_path)


def test_unserialisable_metric_is_an_error(tmp_path):
    with pytest.raises(TypeError, match="cannot write object"):
        outputs.write_metrics("demo", {"x": object()}, root=tmp_path)


# --- atomic publishing ----------------------------------------------------------------------------

def _tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def old_and_new(tmp_path):
    dst, src = tmp_path / "figures" / "demo", tmp_path / "staging"
    dst.mkdir(parents=True)
    (dst / "fig1.png").write_bytes(b"old 1")
    (dst / "stale.png").write_bytes(b"old only")
    src.mkdir()
    (src / "fig1.png").write_bytes(b"new 1")
    (src / "fig2.png").write_bytes(b"new 2")
    return src, dst, _tree(dst), _tree(src)


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
def test_replace_dir_swaps_whole_folders(old_and_new, monkeypatch, exchange):
    src, dst, _, new = old_and_new
    if not exchange:
        monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)
    outputs.replace_dir(src, dst)
    assert _tree(dst) == new and sorted(p.name for p in dst.parent.iterdir()) == ["demo"]


def test_replace_dir_into_a_missing_destination(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.png").write_bytes(b"a")
    outputs.replace_dir(tmp_path / "src", tmp_path / "out" / "demo")
    assert _tree(tmp_path / "out" / "demo") == {"a.png": b"a"}


class Killed(BaseException):
    pass


def _kill_at(monkeypatch, target, name, after=0):
    """Make ``target.name`` raise Killed on its call number ``after + 1`` (simulates a SIGKILL there)."""
    real, calls = getattr(target, name), []

    def fake(*args, **kwargs):
        calls.append(args)
        if len(calls) > after:
            raise Killed(name)
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, fake)


@pytest.mark.parametrize(
    "exchange,step,after",
    [
        (True, "copytree", 0),   # killed while copying the new folder beside the old
        (True, "_exchange", 0),  # killed just before the swap
        (True, "rmtree", 0),     # killed after the swap, before removing the old copy
        (False, "rename", 0),    # fallback: before moving the old folder aside
        (False, "rename", 1),    # fallback: between the two renames (the old folder is aside)
        (False, "rmtree", 0),    # fallback: after both renames
    ],
)
def test_a_kill_at_any_step_leaves_old_or_new_after_recovery(old_and_new, monkeypatch, exchange, step, after):
    src, dst, old, new = old_and_new
    if not exchange:
        monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)
    target = {"copytree": outputs.shutil, "rmtree": outputs.shutil, "rename": outputs.os, "_exchange": outputs}[step]
    with monkeypatch.context() as m:
        _kill_at(m, target, step, after)
        with pytest.raises(Killed):
            outputs.replace_dir(src, dst)
    if exchange:  # with renameat2 the destination is whole at every instant, even before recovery
        assert _tree(dst) in (old, new)
    outputs.recover_dir(dst)  # what the next run does first
    assert _tree(dst) in (old, new)
    assert sorted(p.name for p in dst.parent.iterdir()) == ["demo"], "stray .new/.old left behind"


def test_exchange_is_atomic_on_this_machine(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x").write_text("a")
    (b / "x").write_text("b")
    if not outputs._exchange(a, b):
        pytest.skip("renameat2(RENAME_EXCHANGE) unsupported here; the two-rename fallback is used")
    assert (a / "x").read_text() == "b" and (b / "x").read_text() == "a"


def test_replace_file_is_one_rename(tmp_path, monkeypatch):
    src, dst = tmp_path / "new.json", tmp_path / "metrics" / "demo.json"
    src.write_text("new")
    dst.parent.mkdir()
    dst.write_text("old")
    with monkeypatch.context() as m:
        _kill_at(m, outputs.os, "replace")
        with pytest.raises(Killed):
            outputs.replace_file(src, dst)
    assert dst.read_text() == "old"
    outputs.replace_file(src, dst)
    assert dst.read_text() == "new" and sorted(os.listdir(dst.parent)) == ["demo.json"]


def test_atomic_write_leaves_no_temp_file_on_failure(tmp_path, monkeypatch):
    with monkeypatch.context() as m:
        _kill_at(m, outputs.os, "replace")
        with pytest.raises(Killed):
            outputs.write_json(tmp_path / "m.json", {"a": 1})
    assert list(tmp_path.iterdir()) == []
