"""``paper-code``: run one paper, list the papers and their claims, show the scorecard, check the contract.

    paper-code list                                   # papers, scale, claims mode, claims reproduced
    paper-code run dfa_alignment                      # dvc repro dfa_alignment (the committed preset)
    paper-code run dfa_alignment -S mlp_epochs=1      # a DVC experiment with overrides (workspace untouched)
    paper-code run lr_schedule_langevin --scale paper
    paper-code scorecard                              # print reports/scorecard.md
    paper-code check [paper ...]                      # the paper contract (what every paper must have)
    paper-code new my_paper --package my_pkg          # start a paper from templates/paper/

``run`` without overrides is ``dvc repro <paper>``: it reruns the stage only if
its code, notebook or parameters changed, and publishes into the workspace
(``--force`` reruns it anyway, that stage alone). With ``--scale`` or ``-S``
it is ``dvc exp run --temp``: DVC runs the experiment in a temporary copy (git's
files, the stage's dependencies and, copied in, the DVC-tracked ``data/``), so
``params.yaml`` and the committed figures and metrics stay as they are; the
run is kept as a DVC experiment (``dvc exp show``), and ``dvc exp apply <name>``
brings its params, figures and metrics into the workspace when you want them.
"""
from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from paper_code.common import paths
from paper_code.common.config import ConfigError, resolve_config
from paper_code.pipeline import contract, registry, scaffold
from paper_code.pipeline.results import load_result

__all__ = ["main", "build_parser", "run_command"]


class CLIError(Exception):
    """A one-line error for the user; ``main`` prints it and exits 2."""


def _root(args: argparse.Namespace) -> Path:
    if args.repo is not None:
        root = args.repo.resolve()
        if not (root / "dvc.yaml").is_file():
            raise CLIError(f"--repo {root}: no dvc.yaml there; point it at the repository root")
        return root
    return registry.find_repo_root() or paths.REPO_ROOT


def _runnable_papers(root: Path) -> list[str]:
    return registry.paper_order(registry.notebook_stages(root))


def _require_paper(root: Path, paper: str, valid: Sequence[str]) -> None:
    if paper not in valid:
        raise CLIError(f"unknown paper {paper!r}; valid: {', '.join(valid) or '(none)'}")


# -- list ------------------------------------------------------------------------------------------


def cmd_list(args: argparse.Namespace) -> int:
    root = _root(args)
    rows = [("paper", "scale", "claims", "result")]
    for paper in registry.registered_papers(root):
        try:
            result = load_result(root, paper)
        except ValueError as exc:
            rows.append((paper, "?", "?", f"unreadable: {exc}"))
            continue
        if result is None:
            rows.append((paper, "–", "–", f"not run yet (`paper-code run {paper}`)"))
        else:
            rows.append((paper, result.scale, result.claims_mode, result.summary()))
    rows += [(paper, "–", "–", "planned") for paper in registry.planned_papers(root)]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r[:3], widths)) + "  " + r[3])
    return 0


# -- run -------------------------------------------------------------------------------------------


def _parse_set(items: Sequence[str], paper: str) -> dict[str, tuple[str, Any]]:
    """``key=value`` strings -> ``{key: (raw text, parsed value)}``; ``<paper>.key`` is accepted too."""
    out = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip().lstrip("+")
        if key.startswith(f"{paper}."):
            key = key[len(paper) + 1 :]
        if not sep or not key or "." in key:
            raise CLIError(f"-S {item!r}: expected key=value with a field of {paper}, e.g. -S seed=3")
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            raise CLIError(f"-S {item!r}: the value is not valid YAML (quote strings, lists as [1, 2])") from None
        out[key] = (raw, value)
    return out


def run_command(root: Path, paper: str, scale: str | None, sets: Sequence[str], force: bool = False) -> list[str]:
    """The ``dvc`` command line ``paper-code run`` executes (validated against the paper's config first)."""
    section = registry.load_params(root).get(paper)
    if not isinstance(section, dict) or "scale" not in section:
        raise CLIError(f"params.yaml has no section {paper!r} with a `scale:` key; run `paper-code check {paper}`")
    overrides = _parse_set(sets, paper)
    current = {k: v for k, v in section.items() if k != "scale"}
    new_scale = scale or section["scale"]
    try:  # fail here, in one line, rather than after DVC has set up an experiment
        resolve_config(paper, new_scale, {**current, **{k: v for k, (_, v) in overrides.items()}})
    except ConfigError as exc:
        raise CLIError(str(exc)) from None
    dvc = [sys.executable, "-m", "dvc"]
    if new_scale == section["scale"] and not overrides:
        return dvc + ["repro", *(["--force", "--single-item"] if force else []), paper]
    cmd = dvc + ["exp", "run", "--temp"]
    # the temporary copy holds git's files and the paper stage's DVC deps only: copy the DVC-tracked data in
    for path in registry.tracked_data_paths(root):
        cmd += ["--copy-paths", path]
    cmd.append(paper)
    if new_scale != section["scale"]:
        cmd += ["--set-param", f"{paper}.scale={new_scale}"]
    for key, (raw, _) in overrides.items():
        plus = "" if key in section else "+"  # DVC (hydra) adds keys absent from params.yaml only with '+'
        cmd += ["--set-param", f"{plus}{paper}.{key}={raw}"]
    return cmd


def _untracked(root: Path, paths_: Sequence[str]) -> list[str]:
    proc = subprocess.run(["git", "ls-files", "--", *paths_], cwd=root, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return []
    tracked = set(proc.stdout.split())
    return [p for p in paths_ if p not in tracked]


def cmd_run(args: argparse.Namespace) -> int:
    root = _root(args)
    _require_paper(root, args.paper, _runnable_papers(root))
    cmd = run_command(root, args.paper, args.scale, args.set or [], force=args.force)
    experiment = "exp" in cmd
    if experiment:
        notebook = registry.notebook_stages(root)[args.paper][0][1]
        missing = _untracked(root, ["params.yaml", "dvc.yaml", notebook])
        if missing:
            raise CLIError(
                f"a DVC experiment sees only files git tracks, and {', '.join(missing)} is untracked: "
                "`git add` it first"
            )
    print(f"$ {shlex.join(['dvc', *cmd[3:]])}", flush=True)
    if args.dry_run:
        return 0
    env = dict(os.environ)
    # the stages call `python`/`papermill` from PATH: use this interpreter's environment even if not activated
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    rc = subprocess.run(cmd, cwd=root, env=env, check=False).returncode
    if rc == 0 and experiment:
        print(
            "\nparams.yaml and the committed figures/metrics are unchanged. Compare with `dvc exp show "
            "--only-changed`; bring this run's figures and metrics into the workspace with `dvc exp apply <name>`."
        )
    return rc


# -- scorecard, check, new -------------------------------------------------------------------------


def cmd_scorecard(args: argparse.Namespace) -> int:
    root = _root(args)
    path = root / "reports" / "scorecard.md"
    if not path.exists():
        raise CLIError(f"{path.relative_to(root)} not found: generate it with `dvc repro scorecard`")
    print(path.read_text(), end="")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    root = _root(args)
    registered = registry.registered_papers(root)
    for paper in args.papers:
        _require_paper(root, paper, registered)
    problems = contract.check_repo(root, papers=args.papers or None)
    checked = args.papers or registered
    if problems:
        print(f"{len(problems)} problem(s) with the paper contract (see docs/adding_a_paper.md):")
        for p in problems:
            print(f"  {p}")
        return 1
    print(f"ok: {len(checked)} paper(s) satisfy the contract: {', '.join(checked)}")
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    root = _root(args)
    try:
        made = scaffold.new_paper(root, args.paper, args.package, topic=args.topic, title=args.title)
    except scaffold.ScaffoldError as exc:
        raise CLIError(str(exc)) from None
    print(f"created {len(made.created)} file(s) and appended to params.yaml and dvc.yaml:")
    for path in made.created:
        print(f"  {path.relative_to(root)}")
    print(
        "\nStill to do by hand (then `paper-code check " + made.paper + "` lists what is missing):\n"
        "1. register it in PAPER_PACKAGES (paper_code/common/config.py):\n"
        f"{made.registry_line}\n"
        "2. add its row to the Papers table of README.md:\n"
        f"{made.readme_row}\n"
        "3. after its first `paper-code run " + made.paper + "`, add its gallery section to README.md:\n"
        f"{made.readme_gallery}"
    )
    return 0


# -- entry point -----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="paper-code",
        description="Run the papers of this repository, list their claims, show the scorecard, check the contract.",
        epilog="Details: `paper-code <command> --help`; docs/adding_a_paper.md for a new paper.",
    )
    ap.add_argument("--repo", type=Path, default=None,
                    help="repository root (default: found from the working directory)")
    sub = ap.add_subparsers(dest="command", required=True, metavar="command")

    p = sub.add_parser("list", help="the papers, their scale and claims (from the committed metrics)")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser(
        "run", help="run one paper (dvc repro; with --scale/-S a DVC experiment)",
        description=__doc__.split("\n\n", 2)[2], formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paper")
    p.add_argument("--scale", choices=("quick", "paper"), help="preset to run (default: params.yaml's)")
    p.add_argument("-S", "--set", action="append", metavar="KEY=VALUE", help="override one config field (repeatable)")
    p.add_argument("--force", action="store_true", help="rerun the paper's stage even if nothing changed")
    p.add_argument("--dry-run", action="store_true", help="print the dvc command without running it")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("scorecard", help="print reports/scorecard.md (regenerate it with `dvc repro scorecard`)")
    p.set_defaults(func=cmd_scorecard)

    p = sub.add_parser("check", help="check that every registered paper has every piece (the paper contract)")
    p.add_argument("papers", nargs="*", help="papers to check (default: all registered)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("new", help="start a new paper from templates/paper/")
    p.add_argument("paper", help="paper folder name, e.g. e2e_symbolic_regression")
    p.add_argument("--package", required=True, help="package under paper_code/, e.g. e2e_sr")
    p.add_argument("--topic", default="walkthrough", help="notebook topic: notebooks/<paper>/01_<topic>.ipynb")
    p.add_argument("--title", default=None, help="the paper's title, for the README row and the notebook")
    p.set_defaults(func=cmd_new)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (CLIError, ValueError) as exc:
        print(f"paper-code {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `paper-code list | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
