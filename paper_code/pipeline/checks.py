"""Repository hygiene checks run by ``.ci/run`` (each exits non-zero with a reason).

    python -m paper_code.pipeline.checks notebooks-stripped   # source notebooks carry no outputs
    python -m paper_code.pipeline.checks pipeline-fresh       # committed outputs match code + params
    python -m paper_code.pipeline.checks readme-gallery       # README links every committed figure
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from paper_code.common import paths

ROOT = paths.REPO_ROOT


def notebooks_with_outputs(root: Path = ROOT) -> list[str]:
    bad = []
    for nb in sorted((root / "notebooks").rglob("*.ipynb")):
        if ".ipynb_checkpoints" in nb.parts:
            continue
        cells = json.loads(nb.read_text()).get("cells", [])
        if any(c.get("cell_type") == "code" and (c.get("outputs") or c.get("execution_count")) for c in cells):
            bad.append(str(nb.relative_to(root)))
    return bad


def stale_stages(root: Path = ROOT) -> list[str]:
    """Stages ``dvc repro`` would run (committed figures/metrics out of date)."""
    proc = subprocess.run(
        ["dvc", "repro", "--dry", "--allow-missing"], cwd=root, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"dvc repro --dry failed:\n{proc.stdout}\n{proc.stderr}")
    return re.findall(r"Running stage '([^']+)'", proc.stdout)


def figures_missing_from_readme(root: Path = ROOT) -> list[str]:
    readme = (root / "README.md").read_text()
    figs = sorted(p.relative_to(root).as_posix() for p in (root / "figures").rglob("*.png"))
    missing = [f for f in figs if f not in readme]
    dangling = [m for m in re.findall(r"\((figures/[^)\s]+\.png)\)", readme) if not (root / m).exists()]
    return missing + [f"{d} (linked but absent)" for d in dangling]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0] not in {"notebooks-stripped", "pipeline-fresh", "readme-gallery"}:
        print(__doc__)
        return 2
    what = argv[0]
    if what == "notebooks-stripped":
        bad = notebooks_with_outputs()
        msg = "source notebooks carry outputs (run `make strip`)"
    elif what == "pipeline-fresh":
        bad = stale_stages()
        msg = "committed outputs are stale against code/params (run `make figures` and commit)"
    else:
        bad = figures_missing_from_readme()
        msg = "README gallery does not match figures/"
    if bad:
        print(f"FAIL: {msg}:\n  " + "\n  ".join(bad))
        return 1
    print(f"ok: {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
