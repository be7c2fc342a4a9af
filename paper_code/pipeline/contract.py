"""The paper contract: every piece a registered paper must have, checked on a repository root.

    paper-code check                  # or: python -m paper_code.pipeline.cli check

For every registered paper (see :mod:`paper_code.pipeline.registry`):

=================  ==========================================================================
piece              what must hold
=================  ==========================================================================
registry           listed in ``paper_code.common.config.PAPER_PACKAGES`` (paper -> config module)
config             the config module exists and its ``PRESETS`` hold ``quick`` and ``paper``
                   configs (``PaperConfig`` subclasses whose ``PAPER`` is the paper's name)
params.yaml        a section with ``scale:`` naming a preset; its other keys are valid overrides
dvc stage          a stage named after the paper running ``paper_code.pipeline.run_notebook`` on
                   its notebook; deps: the notebook, its package, ``paper_code/common`` and the
                   runner; params: the whole section; outs ``figures/<paper>``,
                   ``reports/notebooks/<paper>`` and ``metrics/<paper>.json``, each
                   ``cache: false`` + ``persist: true``
notebook           ``notebooks/<paper>/NN_topic.ipynb``, stored without outputs; the first code
                   cell is tagged ``parameters`` and sets ``scale`` and ``overrides``; the last
                   code cell calls ``session.finish(`` (the claims check); every notebook of the
                   folder is run by a stage
README row         a row of the Papers table linking the notebook
README gallery     a section whose heading names the paper (`` `<paper>` ``) showing every
                   committed ``figures/<paper>/*.png``; no link to an absent figure
tests              ``tests/<package>/`` with at least one ``test_*.py``
claims             ``paper_code/<package>/claims.py`` with a non-empty ``CLAIMS`` list of unique ids
metrics            (once ``metrics/<paper>.json`` exists) it is for this paper, ``enforced``, has
                   every claim of ``CLAIMS`` with its metric, every outcome as declared; the
                   figures and the executed notebook it goes with exist
figures            named ``fig<id>_<what>`` and the same set as the metrics file lists
training stage     a ``train_<paper>`` stage caches at least one output, the paper's stage depends
                   on it, and what ``dvc.lock`` records of it is in the in-repo DVC store
scorecard stage    the ``scorecard`` stage depends on every ``metrics/<paper>.json``
                   (through the ``metrics`` folder: no hand-kept list); once paper-scale
                   results exist, also on ``paper_scale/`` and on every path they depend on
                   (so the scorecard's "stale" verdicts are regenerated when code changes)
paper scale        optional; once ``paper_scale/metrics/<paper>.json`` exists: scale
                   ``paper``, enforced, every outcome as declared, every measured claim's
                   metric recorded, its figures (the same set as listed), executed notebook,
                   ``config.json`` and ``provenance.json`` present. A result older than the
                   code (stale) is allowed: the scorecard says so
=================  ==========================================================================

A missing piece is a :class:`Problem` naming the paper, the piece and the fix.
"""
from __future__ import annotations

import ast
import configparser
import dataclasses
import importlib
import importlib.util
import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

import paper_code
from paper_code.common.claims import Claim
from paper_code.common.config import ConfigError, PaperConfig
from paper_code.pipeline import paper_scale, registry
from paper_code.pipeline.results import ENFORCED, load_result

__all__ = ["Problem", "PIECES", "check_paper", "check_repo"]

PIECES = (
    "registry",
    "config",
    "params.yaml",
    "dvc stage",
    "notebook",
    "README row",
    "README gallery",
    "tests",
    "claims",
    "metrics",
    "figures",
    "training stage",
    "scorecard stage",
    "paper scale",
)
REQUIRED_PRESETS = ("quick", "paper")
NOTEBOOK_NAME = re.compile(r"^\d{2}_[a-z0-9_]+\.ipynb$")
FIGURE_STEM = re.compile(r"^fig[0-9A-Za-z]+_[a-z0-9_]+$")
SCORECARD_STAGE = "scorecard"


@dataclasses.dataclass(frozen=True)
class Problem:
    """One missing or broken piece: ``<paper>: <piece>: <what is wrong and the fix>``."""

    paper: str
    piece: str
    message: str

    def __str__(self) -> str:
        return f"{self.paper}: {self.piece}: {self.message}"


class _Collector:
    def __init__(self, paper: str):
        self.paper = paper
        self.problems: list[Problem] = []

    def __call__(self, piece: str, message: str) -> None:
        assert piece in PIECES, piece
        self.problems.append(Problem(self.paper, piece, message))


# -- loading a paper's modules from a (possibly temporary) repository root -----------------------


class _MissingModule(Exception):
    """The module's file does not exist under the root."""


def _load_module(root: Path, dotted: str) -> ModuleType:
    """Import ``dotted`` from ``root``: the installed module for this checkout, else the file under ``root``."""
    file = root.joinpath(*dotted.split(".")).with_suffix(".py")
    if not file.exists():
        raise _MissingModule(file.relative_to(root).as_posix())
    if (root / "paper_code").resolve() == Path(paper_code.__file__).parent.resolve():
        return importlib.import_module(dotted)
    name = f"_contract_{abs(hash(str(root.resolve())))}_{dotted.replace('.', '_')}"
    spec = importlib.util.spec_from_file_location(name, file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve string annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def _try_load(root: Path, dotted: str, piece: str, report: _Collector) -> ModuleType | None:
    try:
        return _load_module(root, dotted)
    except _MissingModule as exc:
        report(piece, f"{exc} is missing")
    except Exception as exc:  # any import error is the paper's problem to report, not ours to crash on
        report(piece, f"importing {dotted} failed: {type(exc).__name__}: {exc}")
    return None


# -- one check per piece ---------------------------------------------------------------------------


def _check_config(root: Path, paper: str, module_name: str, section: Any, report: _Collector) -> None:
    module = _try_load(root, module_name, "config", report)
    if module is None:
        presets = None
    else:
        presets = getattr(module, "PRESETS", None)
        if not isinstance(presets, Mapping):
            report("config", f"{module_name} defines no PRESETS mapping (scale name -> config)")
            presets = None
    if presets is not None:
        for scale in REQUIRED_PRESETS:
            cfg = presets.get(scale)
            if cfg is None:
                report("config", f"{module_name}.PRESETS has no {scale!r} preset (every paper needs quick and paper)")
            elif not isinstance(cfg, PaperConfig):
                report("config", f"{module_name}.PRESETS[{scale!r}] is a {type(cfg).__name__}, not a PaperConfig")
            elif cfg.PAPER != paper:
                report("config", f"{type(cfg).__name__}.PAPER is {cfg.PAPER!r}; set it to {paper!r} "
                                 "(error messages use it)")

    if section is None:
        report("params.yaml", f"no section {paper!r}; add `{paper}:\\n  scale: quick`")
        return
    if not isinstance(section, Mapping) or "scale" not in section:
        report("params.yaml", f"section {paper!r} needs a `scale:` key (quick or paper)")
        return
    if presets is None:
        return
    overrides = {k: v for k, v in section.items() if k != "scale"}
    scale = section["scale"]
    if scale not in presets:
        report("params.yaml", f"{paper}.scale is {scale!r}; valid: {', '.join(map(str, presets))}")
        return
    try:
        presets[scale].replace(overrides)
    except ConfigError as exc:
        report("params.yaml", str(exc))


def _out_options(stage: registry.Stage, path: str, report: _Collector) -> None:
    if path not in stage.outs:
        report("dvc stage", f"stage {stage.name!r} does not list {path} among its outs/metrics")
        return
    opts = stage.outs[path]
    if opts.get("cache", True) is not False or opts.get("persist") is not True:
        report(
            "dvc stage",
            f"stage {stage.name!r}: {path} needs `cache: false` (committed to git) and `persist: true` "
            "(a failed run keeps the published outputs)",
        )


def _check_stage(root: Path, paper: str, package: str | None, report: _Collector) -> str | None:
    """Checks the paper's notebook stage; returns the notebook path it runs (or None)."""
    stages = registry.load_stages(root)
    runs = registry.notebook_stages(root).get(paper, [])
    stage = stages.get(paper)
    fix = f"python -m {registry.NOTEBOOK_RUNNER} {paper} notebooks/{paper}/NN_topic.ipynb"
    if stage is None:
        report("dvc stage", f"dvc.yaml has no stage named {paper!r}; add one with cmd `{fix}`")
        return runs[0][1] if runs else None
    target = registry.runner_target(stage)
    if target is None or target[0] != paper:
        report("dvc stage", f"stage {paper!r} must run the notebook runner for {paper!r}: `{fix}`")
        return None
    notebook = target[1]
    if not notebook.startswith(f"notebooks/{paper}/"):
        report("dvc stage", f"stage {paper!r} runs {notebook}, which is not under notebooks/{paper}/")
    wanted = [notebook, "paper_code/common", "paper_code/pipeline/run_notebook.py"]
    if package:
        wanted.insert(1, f"paper_code/{package}")
    for dep in wanted:
        if dep not in stage.deps and "paper_code" not in stage.deps:
            report("dvc stage", f"stage {paper!r} does not depend on {dep}; add it to its deps")
    if paper not in stage.params:
        report("dvc stage", f"stage {paper!r} must list the whole params section `{paper}` "
                            "(the notebook reads all of it)")
    for out in (f"figures/{paper}", f"reports/notebooks/{paper}", f"metrics/{paper}.json"):
        _out_options(stage, out, report)
    return notebook


def _code_cells(nb: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]


def _source(cell: Mapping[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _assigned_names(source: str) -> set[str] | None:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    names = set()
    for node in ast.walk(tree):
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, ast.AnnAssign) else [])
        names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _check_notebook(root: Path, paper: str, notebook: str | None, run_by_stage: set[str], report: _Collector) -> None:
    folder = root / "notebooks" / paper
    found = sorted(p.relative_to(root).as_posix() for p in folder.glob("*.ipynb")) if folder.is_dir() else []
    if notebook is None:
        if not found:
            report("notebook", f"no notebook under notebooks/{paper}/ (name it NN_topic.ipynb)")
            return
        notebook = found[0]
    for extra in found:
        if extra not in run_by_stage:
            report("notebook", f"{extra} is not run by any dvc.yaml stage")
    path = root / notebook
    if not path.exists():
        report("notebook", f"{notebook} (run by the dvc stage) does not exist")
        return
    if not NOTEBOOK_NAME.match(path.name):
        report("notebook", f"{notebook}: name it NN_topic.ipynb (two digits, then lower-case words)")
    try:
        nb = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        report("notebook", f"{notebook} is not valid JSON ({exc.msg}); is it a notebook?")
        return
    cells = _code_cells(nb)
    if not cells:
        report("notebook", f"{notebook} has no code cells")
        return
    first, last = cells[0], cells[-1]
    if "parameters" not in first.get("metadata", {}).get("tags", []):
        report("notebook", f"{notebook}: tag the first code cell `parameters` "
                           "(papermill injects scale/overrides after it)")
    names = _assigned_names(_source(first))
    missing = {"scale", "overrides"} - (names or set())
    if missing:
        report("notebook", f"{notebook}: the first code cell must set {', '.join(sorted(missing))} "
                           "(e.g. scale = \"quick\")")
    if not re.search(r"\bsession\.finish\(", _source(last)):
        report("notebook", f"{notebook}: the last code cell must check the claims with `session.finish(CLAIMS)`")
    if any(c.get("outputs") or c.get("execution_count") for c in cells):
        report("notebook", f"{notebook} carries outputs; commit it stripped (`make strip`)")


def _readme_sections(readme: str) -> list[tuple[str, str]]:
    """``(heading, body)`` for every markdown heading."""
    sections: list[tuple[str, str]] = []
    heading, body = "", []
    for line in readme.splitlines():
        if re.match(r"^#{1,6} ", line):
            sections.append((heading, "\n".join(body)))
            heading, body = line, []
        else:
            body.append(line)
    sections.append((heading, "\n".join(body)))
    return sections


def _check_readme(root: Path, paper: str, notebook: str | None, report: _Collector) -> None:
    path = root / "README.md"
    readme = path.read_text() if path.exists() else ""
    target = notebook or f"notebooks/{paper}/"
    rows = [line for line in readme.splitlines() if line.startswith("|") and f"({target}" in line]
    if not rows:
        report("README row", f"README.md's Papers table has no row linking ({target})")
    pngs = sorted(p.relative_to(root).as_posix() for p in (root / "figures" / paper).glob("*.png"))
    gallery = [body for heading, body in _readme_sections(readme) if f"`{paper}`" in heading]
    if pngs and not gallery:
        report("README gallery", f"README.md has no gallery section headed with `{paper}` showing its figures")
    elif pngs:
        text = "\n".join(gallery)
        for png in pngs:
            if png not in text:
                report("README gallery", f"the gallery section of `{paper}` does not show {png}")
    for link in sorted(set(re.findall(rf"\((figures/{re.escape(paper)}/[^)\s]+)\)", readme))):
        if not (root / link).exists():
            report("README gallery", f"README.md links {link}, which does not exist")


def _check_tests(root: Path, package: str, report: _Collector) -> None:
    folder = root / "tests" / package
    if not folder.is_dir() or not any(folder.glob("test_*.py")):
        report("tests", f"tests/{package}/ with at least one test_*.py is missing")


def _load_claims(root: Path, package: str, report: _Collector) -> list[Claim] | None:
    module = _try_load(root, f"paper_code.{package}.claims", "claims", report)
    if module is None:
        return None
    claims = getattr(module, "CLAIMS", None)
    if not isinstance(claims, (list, tuple)) or not claims or not all(isinstance(c, Claim) for c in claims):
        report("claims", f"paper_code/{package}/claims.py must define CLAIMS, a non-empty list of Claim")
        return None
    ids = [c.id for c in claims]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        report("claims", f"paper_code/{package}/claims.py: duplicate claim ids {', '.join(dupes)}")
    return list(claims)


def _check_outputs(
    root: Path, paper: str, notebook: str | None, claims: list[Claim] | None, report: _Collector
) -> None:
    metrics_file = f"metrics/{paper}.json"
    fig_dir = root / "figures" / paper
    pngs = {p.stem for p in fig_dir.glob("*.png")}
    stems = pngs | {p.stem for p in fig_dir.glob("*.pdf")}
    for stem in sorted(stems):
        if not FIGURE_STEM.match(stem):
            report("figures", f"figures/{paper}/{stem}: name figures fig<id>_<what> "
                              "after the paper figure they regenerate")
    try:
        result = load_result(root, paper)
    except ValueError as exc:
        report("metrics", str(exc))
        return
    if result is None:
        if stems:
            report("metrics", f"figures/{paper}/ exists but {metrics_file} does not: run `dvc repro {paper}`")
        return
    regen = f"regenerate with `dvc repro {paper}`"
    if result.claims_mode != ENFORCED:
        report(
            "metrics",
            f"{metrics_file} comes from an exploratory run (overrides {dict(result.overrides)}); commit only "
            f"results at the presets: restore params.yaml's `{paper}` section and {regen}",
        )
    if claims is not None:
        recorded = {c.get("id") for c in result.claims}
        for claim in claims:
            if claim.id not in recorded:
                report("metrics", f"{metrics_file} has no result for claim {claim.id}: {regen}")
            measured_here = not getattr(claim, "scales", ()) or result.scale in claim.scales
            if measured_here and claim.metric not in result.metrics:
                report("metrics", f"{metrics_file} has no metric {claim.metric!r} (claim {claim.id} checks it)")
        stale = sorted(str(i) for i in recorded - {c.id for c in claims})
        if stale:
            report("metrics", f"{metrics_file} has claims no longer in CLAIMS ({', '.join(stale)}): {regen}")
    if result.claims_mode == ENFORCED and result.n_off:
        report("metrics", f"{metrics_file} records {result.n_off} claim(s) whose outcome differs from the declaration")
    if set(result.figures) != pngs:
        report(
            "figures",
            f"figures/{paper}/*.png ({len(pngs)}) differ from the {len(result.figures)} figures {metrics_file} "
            f"lists: {regen}",
        )
    if notebook and not (root / "reports" / "notebooks" / paper / Path(notebook).name).exists():
        report("metrics", f"the executed notebook reports/notebooks/{paper}/{Path(notebook).name} is missing: {regen}")


def _check_paper_scale(root: Path, paper: str, report: _Collector) -> None:
    """A paper-scale result, when present, is complete and enforced (being stale is allowed)."""
    where = f"{registry.PAPER_SCALE_DIR}/metrics/{paper}.json"
    rerun = f"rerun `{paper_scale.COMMAND.format(paper=paper)}`"
    try:
        run = paper_scale.load_run(root, paper)
    except ValueError as exc:
        report("paper scale", f"{exc}: {rerun}")
        return
    out = paper_scale.results_root(root)
    fig_dir = out / "figures" / paper
    if run is None:
        if fig_dir.is_dir() or (out / "reports" / "notebooks" / paper).is_dir():
            report("paper scale", f"{registry.PAPER_SCALE_DIR}/ holds outputs of {paper} but no {where}: {rerun}")
        return
    r = run.result
    if r.scale != paper_scale.SCALE:
        report("paper scale", f"{where} was run at scale {r.scale!r}, not {paper_scale.SCALE!r}: {rerun}")
    if r.claims_mode != ENFORCED:
        report("paper scale", f"{where} comes from an exploratory run (overrides {dict(r.overrides)}): {rerun}")
    if not r.claims:
        report("paper scale", f"{where} records no claims: {rerun}")
    if r.n_off:
        report("paper scale", f"{where} records {r.n_off} claim(s) whose outcome differs from the declaration: {rerun}")
    missing = sorted({str(c.get("metric")) for c in r.claims if c.get("measured", True)} - set(r.metrics))
    if missing:
        report("paper scale", f"{where} lacks the metric(s) its claims check: {', '.join(missing)}: {rerun}")
    pngs = {f.stem for f in fig_dir.glob("*.png")}
    for stem in sorted(pngs | {f.stem for f in fig_dir.glob("*.pdf")}):
        if not FIGURE_STEM.match(stem):
            report("paper scale", f"{registry.PAPER_SCALE_DIR}/figures/{paper}/{stem}: name figures fig<id>_<what>")
    if set(r.figures) != pngs:
        report("paper scale", f"{registry.PAPER_SCALE_DIR}/figures/{paper}/*.png ({len(pngs)}) differ from the "
                              f"{len(r.figures)} figures {where} lists: {rerun}")
    report_dir = f"{registry.PAPER_SCALE_DIR}/reports/notebooks/{paper}"
    if run.notebook is None:
        report("paper scale", f"the executed notebook is missing from {report_dir}/: {rerun}")
    if not (root / report_dir / "config.json").exists():
        report("paper scale", f"{report_dir}/config.json (the resolved config) is missing: {rerun}")
    if run.provenance is None:
        report("paper scale", f"{report_dir}/{paper_scale.PROVENANCE_FILE} (commit and code digests) is missing: "
                              f"{rerun}")


def _dvc_store(root: Path) -> Path | None:
    """The folder of the default DVC remote when it is local (the in-repo store)."""
    cfg = configparser.ConfigParser()
    cfg.read(root / ".dvc" / "config")
    name = cfg.get("core", "remote", fallback=None)
    url = cfg.get(f"'remote \"{name}\"'", "url", fallback=None) if name else None
    if not url or "://" in url:
        return None
    return (root / ".dvc" / url).resolve()


def _locked_outs(root: Path, stage: str) -> list[dict[str, Any]]:
    lock = root / "dvc.lock"
    if not lock.exists():
        return []
    data = yaml.safe_load(lock.read_text()) or {}
    return list(((data.get("stages") or {}).get(stage) or {}).get("outs") or [])


def _check_training(root: Path, papers: list[str]) -> list[Problem]:
    problems = []
    stages = registry.load_stages(root)
    store = _dvc_store(root)
    for name in registry.training_stages(root):
        rest = name[len(registry.TRAIN_PREFIX) :]
        owners = [p for p in papers if rest == p or rest.startswith(p + "_")]
        paper = max(owners, key=len) if owners else rest
        report = _Collector(paper)
        if not owners:
            report("training stage", f"stage {name!r} belongs to no registered paper; name it train_<paper>")
        cached = [p for p, o in stages[name].outs.items() if o.get("cache", True) is not False]
        if not cached:
            report("training stage", f"stage {name!r} caches no output; "
                                     "its checkpoint must be a cached out (`dvc push` stores it)")
        notebook_stage = stages.get(paper)
        if owners and notebook_stage and cached and not set(cached) & set(notebook_stage.deps):
            report("training stage", f"stage {paper!r} does not depend on what {name!r} trains ({', '.join(cached)})")
        if store is not None:
            for out in _locked_outs(root, name):
                md5, path = out.get("md5"), out.get("path")
                if md5 and path in cached and not (store / "files" / "md5" / md5[:2] / md5[2:]).exists():
                    report("training stage", f"{path} of {name!r} is not in the DVC store: run `dvc push {name}`")
        problems += report.problems
    return problems


def _check_scorecard(root: Path, papers: list[str]) -> list[Problem]:
    stage = registry.load_stages(root).get(SCORECARD_STAGE)
    if stage is None:
        return [Problem("(repository)", "scorecard stage", "dvc.yaml has no `scorecard` stage")]
    problems = [
        Problem(p, "scorecard stage",
                f"the scorecard stage does not depend on metrics/{p}.json; make it depend on the `metrics` folder")
        for p in papers
        if "metrics" not in stage.deps and f"metrics/{p}.json" not in stage.deps
    ]

    def covered(path: str) -> bool:
        return any(path == d or path.startswith(d + "/") for d in stage.deps)

    for paper, run in _readable_runs(root).items():
        needed = [f"{registry.PAPER_SCALE_DIR}/metrics", f"{registry.PAPER_SCALE_DIR}/reports"]
        needed += list(run.provenance.deps) if run.provenance else []
        missing = [path for path in needed if not covered(path)]
        if missing:
            problems.append(Problem(
                paper, "scorecard stage",
                f"the scorecard stage does not depend on {', '.join(missing)}, so its paper-scale verdict (current or "
                f"stale) would not be regenerated when they change; add `{registry.PAPER_SCALE_DIR}` and the folders "
                "holding these paths (e.g. `paper_code`, `notebooks`) to its deps",
            ))
    return problems


def _readable_runs(root: Path) -> dict[str, paper_scale.PaperScaleRun]:
    """The paper-scale runs that load (an unreadable one is reported by the paper's own check)."""
    runs = {}
    folder = paper_scale.results_root(root) / "metrics"
    for f in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            run = paper_scale.load_run(root, f.stem)
        except ValueError:
            continue
        if run is not None:
            runs[f.stem] = run
    return runs


# -- entry points ----------------------------------------------------------------------------------


def check_paper(root: Path, paper: str, packages: Mapping[str, str] | None = None) -> list[Problem]:
    """Every problem of one paper's pieces under ``root`` (training and scorecard stages excluded)."""
    from paper_code.common import config as _config

    packages = _config.PAPER_PACKAGES if packages is None else packages
    report = _Collector(paper)
    params = registry.load_params(root)
    module_name = packages.get(paper)
    package = registry.package_of(paper, packages)
    if module_name is None or package is None:
        report(
            "registry",
            f"{paper!r} is not in PAPER_PACKAGES (paper_code/common/config.py); add "
            f"\"{paper}\": \"paper_code.<package>.config\"",
        )
    else:
        _check_config(root, paper, module_name, params.get(paper), report)
    run_by = {nb for runs in registry.notebook_stages(root).values() for _, nb in runs}
    notebook = _check_stage(root, paper, package, report)
    _check_notebook(root, paper, notebook, run_by, report)
    _check_readme(root, paper, notebook, report)
    claims = None
    if package is not None:
        _check_tests(root, package, report)
        claims = _load_claims(root, package, report)
    _check_outputs(root, paper, notebook, claims, report)
    _check_paper_scale(root, paper, report)
    return report.problems


def check_repo(root: Path, packages: Mapping[str, str] | None = None, papers: list[str] | None = None) -> list[Problem]:
    """Every problem of every registered paper (or of ``papers``) under ``root``, plus the shared stages."""
    registered = registry.registered_papers(root, packages)
    problems: list[Problem] = []
    for paper in papers if papers is not None else registered:
        problems += check_paper(root, paper, packages)
    selected = set(papers if papers is not None else registered)
    problems += [p for p in _check_training(root, registered) if p.paper in selected]
    problems += [p for p in _check_scorecard(root, registered) if p.paper in selected | {"(repository)"}]
    return problems
