"""ODEFormer inference (the official code's rescaling and decoding): rescaling round trip, bagging, candidate
ranking by trajectory fit, BFGS refinement, best-of-k sweeps, decoding with and without the key/value cache on
the trained checkpoint, and the experiment helpers the notebook relies on."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from paper_code.odeformer import experiments as X
from paper_code.odeformer import train as T
from paper_code.odeformer.benchmark import prepare_tasks
from paper_code.odeformer.config import PRESETS
from paper_code.odeformer.inference import (
    RANKING_SOLVER,
    OdeformerMethod,
    Rescaling,
    candidate_sweep,
    substitute,
    system_text,
)
from paper_code.odeformer.integrate import ODEBENCH_SOLVER, integrate
from paper_code.odeformer.odebench import ODEBENCH, odebench_system
from paper_code.odeformer.scoring import simulate, trajectory_r2
from paper_code.symbolic.embedder import tokenize_points
from paper_code.symbolic.estimator import resolve_path
from paper_code.symbolic.expressions import const, op, var
from paper_code.symbolic.generator import ODEFORMER, generate_system

TINY = dict(d_model=32, n_heads=2, enc_layers=1, dec_layers=1, token_dim=8, max_len=40)


@pytest.fixture(scope="module")
def tiny_model():
    cfg = PRESETS["quick"].replace(TINY)
    torch.manual_seed(0)
    vocabs = T.make_vocabs(cfg)
    return T.build_model(cfg, vocabs).eval(), vocabs


def test_substitute_replaces_variables_by_subtrees():
    tree = op("add", var(0), op("mul", var(1), var(0)))
    out = substitute(tree, {"x_0": op("mul", const(2.0), var(0))})
    X_ = np.array([[1.5, -0.5]])
    assert out.evaluate(X_)[0] == pytest.approx(2 * 1.5 + (-0.5) * 2 * 1.5)
    assert tree.evaluate(X_)[0] == pytest.approx(1.5 + -0.5 * 1.5)  # the input is untouched


def test_rescaling_maps_time_and_first_state():
    t = np.linspace(0.0, 5.0, 20)
    y = np.stack([2.0 + t, -0.5 * np.ones_like(t)], axis=1)
    r = Rescaling.fit(t, y)
    tau, z = r.apply(t, y)
    assert tau[0] == pytest.approx(1.0) and tau[-1] == pytest.approx(10.0)
    np.testing.assert_allclose(z[0], [1.0, 1.0])
    r0 = Rescaling.fit(t, np.zeros((20, 1)))  # a zero first value is left unscaled
    assert r0.s.tolist() == [1.0]


def test_unscaled_prediction_reproduces_the_observed_trajectory():
    """If g is exactly the law of the rescaled data, (a/s) g(s x) is the law of the original data."""
    f = odebench_system(3).trees  # logistic growth
    t = np.linspace(0.0, 10.0, 200)
    x0 = odebench_system(3).init[0]
    y = integrate(f, x0, t, ODEBENCH_SOLVER).y
    r = Rescaling.fit(t, y)
    # g(z) = (s / a) f(z / s), the exact law of z(τ)
    g = tuple(op("mul", const(r.s[i] / r.a), substitute(tr, {f"x_{j}": op("mul", const(1 / r.s[j]), var(j))
                                                                   for j in range(len(f))}))
              for i, tr in enumerate(f))
    tau, z = r.apply(t, y)
    z_hat = integrate(g, z[0], tau, ODEBENCH_SOLVER).y
    np.testing.assert_allclose(z_hat, z, rtol=1e-3, atol=1e-4 * np.abs(z).max())
    back = r.unscale(g)
    y_hat = integrate(back, y[0], t, ODEBENCH_SOLVER).y
    np.testing.assert_allclose(y_hat, y, rtol=1e-3, atol=1e-4 * np.abs(y).max())


def test_unscale_random_trees_matches_formula():
    rng = np.random.default_rng(1)
    r = Rescaling(a=0.9, b=1.0, s=np.array([0.5, -3.0]))
    for _ in range(20):
        g = generate_system(rng, 2, ODEFORMER)
        f = r.unscale(g)
        xs = rng.standard_normal((8, 2))
        for i in range(2):
            want = r.a / r.s[i] * g[i].evaluate(xs * r.s)
            np.testing.assert_allclose(f[i].evaluate(xs), want, rtol=1e-9, atol=1e-12)


def test_bags_cover_every_point_once(tiny_model):
    model, vocabs = tiny_model
    m = OdeformerMethod(model, vocabs, max_bag=30)
    tau = np.linspace(1, 10, 100)
    bags = m._bags(tau, np.sin(tau)[:, None], np.random.default_rng(0))
    assert len(bags) == 4 and all(len(b) <= 30 for b in bags)
    assert sorted(np.concatenate([b[:, 0] for b in bags]).tolist()) == sorted(tau.tolist())
    assert all(np.all(np.diff(b[:, 0]) > 0) for b in bags)  # time order kept inside a bag


def test_untrained_model_decodes_seeded_candidates(tiny_model):
    model, vocabs = tiny_model
    t = np.linspace(0, 10, 40)
    y = np.exp(-0.3 * t)[:, None]
    m = OdeformerMethod(model, vocabs, n_candidates=6, temperature=1.0, max_bag=25, seed=3)
    raw = m.decode_bags(m._bags(t, y, np.random.default_rng(0)), 1)
    assert [len(r) for r in raw] == [6, 6]  # two bags, six samples each, parsed or None
    a = [system_text(c.prediction) for c in m.candidates(t, y)]
    b = [system_text(c.prediction) for c in m.candidates(t, y)]
    assert a == b  # seeded: the same call gives the same candidates
    for c in m.candidates(t, y):
        assert len(c.prediction) == 1 and 0.0 <= c.score <= 1.0


class _Scripted(OdeformerMethod):
    """The real method with the network replaced by a fixed list of decoded systems (tests the ranking)."""

    script: list = []

    def decode_bags(self, bags, dim):
        return [list(self.script)] + [[] for _ in bags[1:]]


def _scripted(tiny_model, script, **kw):
    model, vocabs = tiny_model
    m = _Scripted(model, vocabs, rescale=False, **kw)
    m.script = script
    return m


def test_ranking_picks_the_true_system_and_drops_invalid(tiny_model):
    true = odebench_system(3).trees
    wrong = (op("mul", const(-0.2), var(0)),)
    bad_dim = (var(0), var(0))
    task = prepare_tasks([odebench_system(3)], n_points=64)[0]
    m = _scripted(tiny_model, [wrong, None, bad_dim, tuple(true), tuple(wrong)])
    cands = m.candidates(task.t_obs, task.y_obs)
    assert len(cands) == 2  # None and the 2-D system dropped, the duplicate merged
    assert cands[0].order == 3 and cands[0].score > 0.999 and cands[1].score < cands[0].score
    assert m.fit(task.t_obs, task.y_obs)[0].infix() == true[0].infix()
    m.script = [None, bad_dim]
    with pytest.raises(RuntimeError, match="none of the decoded sequences"):
        m.fit(task.t_obs, task.y_obs)


def test_refinement_improves_perturbed_constants(tiny_model):
    system = odebench_system(3)
    task = prepare_tasks([system], n_points=64)[0]
    c = np.asarray(system.trees[0].constants())
    off = (system.trees[0].with_constants(c * 1.3),)
    plain = _scripted(tiny_model, [off]).candidates(task.t_obs, task.y_obs)[0]
    refined = _scripted(tiny_model, [off], refine_s=5.0).candidates(task.t_obs, task.y_obs)[0]
    assert refined.refined and refined.score > plain.score and refined.score > 0.999


def test_candidate_sweep_is_best_of_first_k(tiny_model):
    system = odebench_system(3)
    tasks = prepare_tasks([system], n_points=64)
    wrong = (op("mul", const(-0.2), var(0)),)
    m = _scripted(tiny_model, [wrong, wrong, tuple(system.trees)], n_candidates=4)
    sweep = candidate_sweep(m, tasks, ks=(1, 2, 3, 4), progress=False)
    rec = sweep.set_index("k")["r2_reconstruction"]
    assert rec[1] == rec[2] < 0.9 and rec[3] == rec[4] > 0.999
    with pytest.raises(ValueError, match="ks must lie"):
        candidate_sweep(m, tasks, ks=(8,), progress=False)


def test_bad_method_arguments(tiny_model):
    model, vocabs = tiny_model
    for bad in ({"n_candidates": 0}, {"max_bag": 1}, {"temperature": -1.0}, {"refine_s": -1}):
        with pytest.raises(ValueError):
            OdeformerMethod(model, vocabs, **bad)
    with pytest.raises(ValueError, match="up to D=2"):
        OdeformerMethod(model, vocabs).candidates(np.linspace(0, 1, 10), np.ones((10, 3)))


def test_missing_checkpoint_says_how_to_restore(tmp_path):
    cfg = PRESETS["quick"].replace({"checkpoint_path": str(tmp_path / "none.pt")})
    with pytest.raises(X.CheckpointMissingError, match="dvc pull"):
        X.load_method(cfg)


def test_checkpoint_of_another_size_is_refused(tmp_path, tiny_model):
    model, _ = tiny_model
    path = tmp_path / "tiny.pt"
    torch.save({"model": model.state_dict()}, path)
    with pytest.raises(X.CheckpointSettingsError, match="size mismatch"):
        X.load_method(PRESETS["quick"], path)


def test_perturbed_truth_is_seeded_and_small():
    systems = [odebench_system(3), odebench_system(24)]
    tasks = prepare_tasks(systems, n_points=64)
    a, b = X.PerturbedTruthMethod(tasks, rel=0.01), X.PerturbedTruthMethod(tasks, rel=0.01)
    for task in tasks:
        pa, pb = a.fit(task.t_obs, task.y_obs), b.fit(task.t_obs, task.y_obs)
        assert [t.infix() for t in pa] == [t.infix() for t in pb]
        c0 = np.concatenate([t.constants() for t in task.system.trees])
        c1 = np.concatenate([t.constants() for t in pa])
        assert np.all(c1 != c0) and np.all(np.abs(c1 / c0 - 1) < 0.05)


def _crafted(recovered: dict) -> pd.DataFrame:
    """Rows for methods A/B on 10 systems at σ in {0, 0.05}; ``recovered[(method, σ)]`` = #systems with R² 1."""
    rows = []
    for (method, sigma), k in recovered.items():
        for s in range(10):
            rows.append({"method": method, "benchmark": "ODEBench", "system": s, "noise": sigma, "subsample": 0.0,
                         "r2_reconstruction": 1.0 if s < k else 0.0})
    return pd.DataFrame(rows)


def test_bootstrap_retention_interval():
    ev = PRESETS["quick"].replace(noise_levels=(0.0, 0.05), bootstrap_resamples=500)
    clear = _crafted({("A", 0.0): 10, ("A", 0.05): 10, ("B", 0.0): 10, ("B", 0.05): 2})
    out = X.bootstrap_retention_diff(clear, ev, "A", "B")
    assert out["noise_retention_diff"] == pytest.approx(0.8) and out["noise_retention_diff_ci_low"] > 0.5
    tiny = _crafted({("A", 0.0): 1, ("A", 0.05): 1, ("B", 0.0): 10, ("B", 0.05): 7})
    out = X.bootstrap_retention_diff(tiny, ev, "A", "B")
    assert out["noise_retention_diff"] == pytest.approx(0.3)
    assert out["noise_retention_boot_valid"] < 1.0  # resamples without A's one success are skipped


def test_held_out_systems_are_seeded_generator_draws():
    cfg = PRESETS["quick"]
    a, b = X.held_out_systems(cfg, 5, seed=0), X.held_out_systems(cfg, 5, seed=0)
    assert [s.equations for s in a] == [s.equations for s in b]
    assert [s.equations for s in a] != [s.equations for s in X.held_out_systems(cfg, 5, seed=1)]
    for s in a:
        assert 1 <= s.dim <= 2 and len(s.trees) == s.dim and len(s.init) == 2
        assert s.source == "generated" and not prepare_tasks([s], n_points=64)[0].chaotic


def test_several_observations_are_unscaled_one_by_one_and_scored_together(tiny_model):
    """A candidate decoded from observation j is mapped back with observation j's rescaling; candidates of
    all observations are pooled and scored by their mean R² over the observations."""
    f = odebench_system(3).trees  # logistic growth
    t = np.linspace(0.0, 10.0, 60)
    obs = [(t, integrate(f, [x0], t, ODEBENCH_SOLVER).y) for x0 in (0.5, 2.0)]
    scalings = [Rescaling.fit(ti, yi) for ti, yi in obs]
    # the exact law in each observation's rescaled coordinates: g(z) = (s / a) f(z / s)
    laws = [tuple(op("mul", const(r.s[0] / r.a), substitute(tr, {"x_0": op("mul", const(1 / r.s[0]), var(0))}))
                  for tr in f) for r in scalings]
    wrong = (op("mul", const(-0.2), var(0)),)

    class _PerBag(OdeformerMethod):
        def decode_bags(self, bags, dim):  # one bag per observation (max_bag >= 60)
            return [[wrong, laws[j]] for j in range(len(bags))]

    model, vocabs = tiny_model
    cands = _PerBag(model, vocabs).search(obs)
    assert len(cands) == 4  # duplicates are merged per observation (the same text means another law elsewhere)
    assert [c.order for c in cands[:2]] == [1, 3] and all(c.score > 0.999 for c in cands[:2])
    xs = np.linspace(0.1, 3.0, 7)[:, None]
    for c in cands[:2]:
        np.testing.assert_allclose(c.prediction[0].evaluate(xs), f[0].evaluate(xs), rtol=1e-9)
    for c, r in zip(sorted(cands[2:], key=lambda c: c.order), scalings):
        assert c.prediction[0].infix() == r.unscale(wrong)[0].infix()
        want = np.mean([trajectory_r2(yi, simulate(c.prediction, yi[0], ti, RANKING_SOLVER)) for ti, yi in obs])
        assert c.score == pytest.approx(want) and c.score < 0.9


# --------------------------------------------------------------------------- the trained checkpoint
HAVE_CHECKPOINT = resolve_path(PRESETS["quick"].checkpoint_path).is_file()
needs_checkpoint = pytest.mark.skipif(not HAVE_CHECKPOINT, reason="trained checkpoint not restored: "
                                      "`dvc pull train_odeformer`")


@pytest.fixture(scope="module")
def trained():
    return T.load_model(resolve_path(PRESETS["quick"].checkpoint_path), PRESETS["quick"])


def _odebench_bags(n_systems=6):
    systems = [s for s in ODEBENCH if s.dim <= 2][:: 51 // n_systems][:n_systems]
    tasks = prepare_tasks(systems, n_points=64)
    bags = [np.concatenate([r.apply(t.t_obs, t.y_obs)[0][:, None], r.apply(t.t_obs, t.y_obs)[1]], 1)
            for t in tasks for r in [Rescaling.fit(t.t_obs, t.y_obs)]]
    return tasks, bags


@needs_checkpoint
def test_checkpoint_cached_logits_equal_full_prefix_recomputation(trained):
    import copy

    from paper_code.symbolic.model import CachedDecoder, PrefixDecoder

    model, vocabs = trained
    _, bags = _odebench_bags()
    ids, mask = tokenize_points(bags, vocabs.floats, vocabs.inp, model.cfg.max_width)
    greedy = model.greedy(ids, mask, use_cache=False)  # a realistic prefix: the model's own output
    feed = torch.cat([torch.full((len(bags), 1), vocabs.out.eos_id), greedy], 1)
    feed[feed == vocabs.out.pad_id] = vocabs.out.eos_id
    # In float64, so that the comparison is of the two computations, not of float32 rounding (which alone
    # reaches ~1e-5 on logits of magnitude ~5).
    model = copy.deepcopy(model).double()
    with torch.no_grad():
        memory = model.encode(ids, mask)
        cached, full = CachedDecoder(model, memory, mask), PrefixDecoder(model, memory, mask)
        for step in range(feed.shape[1]):
            torch.testing.assert_close(cached.step(feed[:, step]), full.step(feed[:, step]), rtol=0, atol=1e-5)


@needs_checkpoint
def test_checkpoint_decodes_the_same_with_and_without_cache(trained):
    model, vocabs = trained
    _, bags = _odebench_bags()
    ids, mask = tokenize_points(bags, vocabs.floats, vocabs.inp, model.cfg.max_width)
    assert torch.equal(model.greedy(ids, mask), model.greedy(ids, mask, use_cache=False))
    kw = dict(temperature=0.5, n_samples=16)
    assert torch.equal(model.sample(ids, mask, generator=torch.Generator().manual_seed(0), **kw),
                       model.sample(ids, mask, generator=torch.Generator().manual_seed(0), use_cache=False, **kw))
    fast, slow = model.beam_search(ids, mask, beam_size=4), model.beam_search(ids, mask, beam_size=4, use_cache=False)
    assert [[h for _, h in r] for r in fast] == [[h for _, h in r] for r in slow]


@needs_checkpoint
@pytest.mark.parametrize("settings", [dict(), dict(beam_size=4, n_candidates=4)], ids=["sampling", "beam"])
def test_checkpoint_candidates_and_ranking_unchanged_by_the_cache(trained, settings):
    """The notebook's decoding (16 samples at temperature 0.5, seed 0) and beam search rank the same
    candidates, with the same scores, whether or not decoding uses the cache."""
    model, vocabs = trained
    tasks, _ = _odebench_bags(4)
    for task in tasks:
        got = [OdeformerMethod(model, vocabs, use_cache=c, **settings).candidates(task.t_obs, task.y_obs)
               for c in (True, False)]
        assert len(got[0]) > 0
        assert [(system_text(c.prediction), c.order, c.score) for c in got[0]] == \
               [(system_text(c.prediction), c.order, c.score) for c in got[1]]


def test_parallel_benchmark_and_sweep_equal_the_sequential_ones(tiny_model):
    """Worker processes change where the fits run, never what they return (rows and their order)."""
    from paper_code.odeformer.benchmark import SindyMethod, run_benchmark
    from paper_code.odeformer.sindy import REFERENCE_GRID

    model, vocabs = tiny_model
    tasks = prepare_tasks([odebench_system(i) for i in (1, 3, 24)], (0.0, 0.05), n_points=40)
    methods = [OdeformerMethod(model, vocabs, n_candidates=4, temperature=1.0, max_bag=30, seed=1),
               SindyMethod(REFERENCE_GRID)]
    one = run_benchmark(methods, tasks, progress=False, workers=1)
    two = run_benchmark(methods, tasks, progress=False, workers=2)
    pd.testing.assert_frame_equal(one.drop(columns="inference_s"), two.drop(columns="inference_s"))
    ks = (1, 2, 4)
    pd.testing.assert_frame_equal(candidate_sweep(methods[0], tasks, ks, progress=False, workers=1),
                                  candidate_sweep(methods[0], tasks, ks, progress=False, workers=2))
