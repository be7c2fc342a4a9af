"""Run one DVC command for ``make``; when it fails, say why and how to fix it.

    python -m paper_code.pipeline.dvc_run pull --allow-missing
    python -m paper_code.pipeline.dvc_run repro

DVC's own output is passed through as it comes (``--quiet`` used to hide the
cause, leaving only make's ``Error 1``). On failure a short ``cause:`` / ``fix:``
block follows for the failures we know: a malformed YAML file (with its line), a
tracked file changed locally that a pull would overwrite, damaged data, a held
repository lock, objects missing from the in-repo store, a failed stage.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import yaml

from paper_code.common.paths import REPO_ROOT

__all__ = ["Diagnosis", "diagnose", "run_dvc", "main"]

_YAML_BROKEN = re.compile(r"unable to read: '([^']+)', YAML file structure is corrupted")
_SCHEMA_BROKEN = re.compile(r"'([^']+)' validation failed")
_UNSAVED = "Can't remove the following unsaved files without confirmation"
_LOCK = "Unable to acquire lock"
_MISSING_CACHE = re.compile(r"do not exist neither locally nor on remote|not found in remote", re.I)
_STAGE_FAILED = re.compile(r"failed to reproduce '([^']+)'")
_DATA_CHECK = "data check failed"


@dataclass(frozen=True)
class Diagnosis:
    """One known cause of a failed DVC command and the command(s) that fix it."""

    cause: str
    fix: str


def _rel(path: str, root: Path) -> str:
    p = Path(path)
    if p.is_absolute():
        try:
            return p.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            return path
    return p.as_posix().removeprefix("./")


def _yaml_diagnosis(name: str, root: Path) -> Diagnosis:
    rel = _rel(name, root)
    where = ""
    try:
        yaml.safe_load((root / rel).read_text())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}: {exc.problem}"
    except (OSError, yaml.YAMLError):
        pass
    return Diagnosis(
        cause=f"{rel} is not valid YAML{where}",
        fix=f"correct that line of {rel} (`git diff {rel}` shows your edits; "
        f"`git checkout -- {rel}` restores the committed file)",
    )


def _unsaved_paths(output: str) -> list[str]:
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if _UNSAVED in line)
    found = []
    for line in lines[start + 1 :]:
        line = line.strip()
        if not line or line.startswith(("ERROR", "WARNING", "make:")):
            break
        found.append(line)
    return found


def _unsaved_diagnoses(paths: list[str]) -> list[Diagnosis]:
    out = []
    data = [p for p in paths if p == "data" or p.startswith("data/")]
    other = [p for p in paths if p not in data]
    if data:
        listed = ", ".join(data)
        out.append(
            Diagnosis(
                cause=f"{listed}: changed or added in data/ since data.dvc was recorded; "
                "DVC will not overwrite them",
                fix="`dvc pull --force data.dvc` restores the recorded data (discarding these "
                "changes); only a file you added or meant to change belongs in `dvc add data` "
                "(then commit data.dvc)",
            )
        )
    for p in other:
        out.append(
            Diagnosis(
                cause=f"{p} differs from its DVC record (changed locally); DVC will not "
                "overwrite it",
                fix=f"`dvc checkout --force {p}` restores the recorded version (discarding your "
                f"change); to keep yours, `dvc commit {p}` and commit dvc.lock",
            )
        )
    return out


def diagnose(output: str, root: Path = REPO_ROOT) -> list[Diagnosis]:
    """Known causes found in a failed DVC command's output (empty if none is recognised)."""
    found: list[Diagnosis] = []
    if m := _YAML_BROKEN.search(output):
        found.append(_yaml_diagnosis(m.group(1), root))
    if m := _SCHEMA_BROKEN.search(output):
        rel = _rel(m.group(1), root)
        found.append(
            Diagnosis(
                cause=f"{rel} is not a valid DVC file (DVC reads every dvc.yaml and *.dvc "
                "file in the repository)",
                fix=f"correct {rel} as DVC's message above says; if it is not meant to be a "
                "pipeline, rename it (e.g. to dvc.yaml.template)",
            )
        )
    if _UNSAVED in output:
        unsaved = [_rel(p, root) for p in _unsaved_paths(output)]
        found.extend(_unsaved_diagnoses(unsaved))
    if _LOCK in output:
        found.append(
            Diagnosis(
                cause="another DVC command holds this repository's lock",
                fix="wait for it to finish and rerun; if none is running (`pgrep -a dvc`), "
                "it died holding the lock: `rm .dvc/tmp/lock`",
            )
        )
    if _MISSING_CACHE.search(output):
        found.append(
            Diagnosis(
                cause="the in-repo DVC store dvc-store/ lacks objects this checkout records "
                "(they were never pushed)",
                fix="`dvc push` in the checkout that produced them and commit dvc-store/; "
                "or rebuild them with `dvc repro <stage>`",
            )
        )
    if _DATA_CHECK in output:
        found.append(
            Diagnosis(
                cause="data/ differs from its record data.dvc (files listed above)",
                fix="`dvc pull --force data.dvc`",
            )
        )
    elif m := _STAGE_FAILED.search(output):
        found.append(
            Diagnosis(
                cause=f"stage '{m.group(1)}' failed; its own error is printed above",
                fix="fix that error and rerun; the committed figures and metrics are unchanged "
                "(a failed stage publishes nothing)",
            )
        )
    return found


def run_dvc(args: list[str], root: Path = REPO_ROOT) -> tuple[int, str]:
    """Run ``dvc <args>`` in ``root``, echoing its output; (exit code, tail of the output)."""
    dvc = shutil.which("dvc")
    if dvc is None:
        return 127, "dvc: not found on PATH"
    tail: deque[str] = deque(maxlen=400)
    with subprocess.Popen(
        [dvc, *args],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            tail.append(line)
    return proc.returncode, "".join(tail)


def report(args: list[str], code: int, output: str, root: Path = REPO_ROOT) -> str:
    """The message printed after a failed command."""
    command = "dvc " + " ".join(args)
    if code == 127 and output.startswith("dvc: not found"):
        found = [
            Diagnosis(
                cause="`dvc` is not on PATH",
                fix="run through make (it sets up .venv), or `. .venv/bin/activate` first",
            )
        ]
    else:
        found = diagnose(output, root)
    lines = [f"`{command}` failed (exit {code})."]
    for d in found:
        lines += [f"  cause: {d.cause}", f"  fix:   {d.fix}"]
    if not found:
        lines.append(f"  DVC's message is above; for details run `{command} -v`.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print(__doc__)
        return 2
    root = Path.cwd()  # like dvc itself: make runs it from the repository root
    code, output = run_dvc(args, root)
    if code != 0:
        print(report(args, code, output, root), file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
