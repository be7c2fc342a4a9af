"""Finite-N simulations of learning-rate-scaled Langevin dynamics on the sphere.

Paper: d'Ascoli, Refinetti, Biroli, arXiv 2202.04509; the reference is the NumPy
"fig4" script SimulateSKModel.py of GitHub `mariaref/nonconvex-lr`. This
module integrates the SAME stochastic equation as the DMFT (docs/papers/lr_schedule_langevin.md, section 6),

    dx/dt = eta(t) [ -grad H(x) - mu x + xi ],   <xi_i xi_j'> = 2 T delta_ij delta(t-t'),

by Euler-Maruyama with the noise multiplied by eta:

    x <- x + eta_k dt (-grad H(x)) + eta_k sqrt(2 T dt) g,   g ~ N(0, I_N),
    x <- sqrt(N) x / |x|                      (the projection plays the role of mu).

Projection reproduces the Ito Lagrange multiplier mu = -x.grad H / N + T eta to O(dt).

Landscapes (normalisation of the reference code, covariance E[H(x) H(y)] = N f(x.y / N)):

* p = 2, spherical SK: H = -(1/2) x^T W x with W from the GOE (off-diagonal
  entries N(0, 1/N), diagonal N(0, 2/N)), so f(q) = q^2 / 2 and the spectrum is the
  semicircle on [-2, 2]; ground state -lambda_max / 2 -> -1.
* p = 3: H = -sum_{ijk} G_ijk x_i x_j x_k with G iid N(0, 1/(3 N^2)) over ordered
  triples. Then E[H(x)H(y)] = (x.y)^3 / (3 N^2) = N q^3 / 3, i.e. f(q) = q^3 / 3.
  We store the symmetrised tensor J = sym(G) (same H) so that grad H = -3 J[x, x].
  Equivalently H = -sum_{i<j<k} K_ijk x_i x_j x_k + (terms with repeated indices),
  K_ijk = 6 J_ijk ~ N(0, 2/N^2) (the textbook p-spin with variance p!/(2 N^(p-1))
  has f = q^p/2 instead).
* Spiked model (doc sections 2b, 6): hidden x* with |x*|^2 = N, overlap m = x.x*/N,
  Q(m) = m^2/(2 Delta2) + m^3/(3 Deltap):
      H = -(1/2) x^T [ x* x*^T / (N Delta2) + W / sqrt(Delta2) ] x
          - (N / (3 Deltap)) m^3 - sum_{ijk} G_ijk x_i x_j x_k / sqrt(Deltap),
  which has signal -N Q(m) and noise covariance N Q(q), as in the DMFT. With
  Deltap = inf it is the spiked matrix of the fig4 script with sigma_J = sqrt(Delta2)
  (signal/noise 1/sqrt(Delta2): detectable, past the BBP point, for Delta2 < 1).

Everything is vectorised over S independent samples (disorder, initial condition and
noise) and B schedules; schedules of the same sample share disorder, start and noise
(common random numbers), so schedule comparisons have low variance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.linalg import eigvalsh_tridiagonal

from paper_code.common.progress import progress as progress_bar

from .schedules import ConstantThenPowerLaw, PowerLaw, Schedule, SwitchAtOverlap, as_schedule_tuple

# ----------------------------------------------------------------------------------------
# Disorder


def sample_goe(N: int, n_samples: int, rng: np.random.Generator) -> np.ndarray:
    """GOE matrices W = (G + G^T) / sqrt(2N); (S, N, N). Semicircle on [-2, 2]."""
    G = rng.standard_normal((n_samples, N, N))
    return (G + G.transpose(0, 2, 1)) / math.sqrt(2.0 * N)


def sample_goe_spectrum(N: int, n_samples: int, rng: np.random.Generator) -> np.ndarray:
    """Eigenvalues of ``sample_goe`` matrices, ascending; (S, N), O(N^2) per sample.

    Dumitriu & Edelman's tridiagonal model (J. Math. Phys. 43, 5830, 2002): the beta = 1
    Hermite matrix with diagonal N(0, 2) and off-diagonals chi_{N-1}, ..., chi_1, divided
    by sqrt(2), has the spectrum of (G + G^T)/2; W = (G + G^T)/sqrt(2N) is sqrt(2/N) times it.
    """
    out = np.empty((n_samples, N))
    for s in range(n_samples):
        diag = rng.standard_normal(N)  # N(0, 2) / sqrt(2)
        off = np.sqrt(rng.chisquare(np.arange(N - 1, 0, -1))) / math.sqrt(2.0)
        out[s] = eigvalsh_tridiagonal(diag, off) * math.sqrt(2.0 / N)
    return out


def sample_tensor3(N: int, n_samples: int, rng: np.random.Generator) -> np.ndarray:
    """Symmetrised iid N(0, 1/(3 N^2)) tensors; (S, N, N, N). H = -J[x,x,x] has f = q^3/3."""
    G = rng.standard_normal((n_samples, N, N, N)) / math.sqrt(3.0 * N * N)
    perms = [(0, 1, 2, 3), (0, 1, 3, 2), (0, 2, 1, 3), (0, 2, 3, 1), (0, 3, 1, 2), (0, 3, 2, 1)]
    return sum(G.transpose(pm) for pm in perms) / 6.0


@dataclass(frozen=True)
class Landscape:
    """S sampled instances of H(x) = -(1/2) x^T J x - J3[x,x,x] - N s3 m^3 / 3.

    Fields (S samples, N spins):
        J:      (S, N, N) symmetric matrix part (noise and the rank-one matrix signal), or None
        J3:     (S, N, N, N) symmetric tensor noise (already scaled), or None
        s3:     coefficient of the tensor signal -N s3 m^3 / 3 (0 when absent)
        x_star: (S, N) hidden signal with |x*|^2 = N, or None
    """

    J: np.ndarray | None
    J3: np.ndarray | None
    s3: float
    x_star: np.ndarray | None

    @property
    def n_samples(self) -> int:
        return (self.J if self.J is not None else self.J3).shape[0]

    @property
    def N(self) -> int:
        return (self.J if self.J is not None else self.J3).shape[1]

    def force_and_energy(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """-grad H and H/N at x; x: (S, B, N) -> force (S, B, N), energy (S, B), m (S, B) or None.

        Each term of H is homogeneous of degree k, so H = -(1/k) x . F_k.
        """
        N = x.shape[-1]
        force = np.zeros_like(x)
        energy = np.zeros(x.shape[:2])
        if self.J is not None:
            F2 = np.matmul(x, self.J)  # (S, B, N), J symmetric
            force += F2
            energy -= 0.5 * np.einsum("sbi,sbi->sb", x, F2) / N
        if self.J3 is not None:
            S, B = x.shape[:2]
            y = np.matmul(self.J3.reshape(S, N * N, N), x.transpose(0, 2, 1))  # (S, N*N, B)
            F3 = 3.0 * np.einsum("sijb,sbj->sbi", y.reshape(S, N, N, B), x)  # (S, B, N)
            force += F3
            energy -= np.einsum("sbi,sbi->sb", x, F3) / (3.0 * N)
        m = None
        if self.x_star is not None:
            m = np.einsum("sbi,si->sb", x, self.x_star) / N  # (S, B)
            if self.s3:
                force += self.s3 * (m**2)[..., None] * self.x_star[:, None, :]
                energy -= self.s3 * m**3 / 3.0
        return force, energy, m

    def ground_state(self) -> np.ndarray:
        """Ground-state energy per spin of a matrix-only landscape, -lambda_max(J)/2; (S,)."""
        if self.J3 is not None or self.J is None:
            raise ValueError("ground_state is only available for matrix-only landscapes (p = 2)")
        return -0.5 * np.linalg.eigvalsh(self.J)[:, -1]


@dataclass(frozen=True)
class SpectralLandscape:
    """A matrix-only landscape written in the eigenbasis of its noise matrix (S samples, N modes).

    H(y) = -(1/2) sum_i lam_i y_i^2 - N s2 m^2 / 2,   m = y . y* / N,

    i.e. the dense ``Landscape`` with J = V diag(lam) V^T + s2 x* x*^T / N seen in the
    coordinates y = V^T x. The GOE is rotation invariant, so V is Haar and independent of
    lam: y* = V^T x* is a uniform point of the sphere, and the uniform start and the
    isotropic noise keep their law in the new coordinates. Every recorded quantity
    (energy, overlap) therefore has the same law as in the dense simulation, and one
    Euler-Maruyama step costs O(N) instead of O(N^2).

    Fields: lam (S, N) ascending noise spectrum (already scaled); s2 the matrix-signal
    strength 1/Delta2 (0: pure SK); x_star (S, N) hidden signal with |y*|^2 = N, or None.
    """

    lam: np.ndarray
    s2: float
    x_star: np.ndarray | None

    @property
    def n_samples(self) -> int:
        return self.lam.shape[0]

    @property
    def N(self) -> int:
        return self.lam.shape[1]

    def force_and_energy(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """-grad H and H/N at x; x: (S, B, N) -> force (S, B, N), energy (S, B), m (S, B) or None."""
        N = x.shape[-1]
        force = self.lam[:, None, :] * x
        energy = -0.5 * np.einsum("sbi,sbi->sb", x, force) / N
        m = None
        if self.x_star is not None:
            m = np.einsum("sbi,si->sb", x, self.x_star) / N  # (S, B)
            force = force + self.s2 * m[..., None] * self.x_star[:, None, :]
            energy = energy - 0.5 * self.s2 * m**2
        return force, energy, m

    def ground_state(self) -> np.ndarray:
        """Ground-state energy per spin of the pure SK landscape, -lambda_max/2; (S,)."""
        if self.x_star is not None:
            raise ValueError("ground_state is only available without a signal (pure SK)")
        return -0.5 * self.lam[:, -1]

    def dense(self, rotation: np.ndarray | None = None) -> Landscape:
        """The same landscape as a dense ``Landscape`` (J = R diag(lam) R^T + s2 x* x*^T / N), for checks.

        rotation: (N, N) orthogonal R, the identity when None; the signal becomes R y*.
        """
        R = np.eye(self.N) if rotation is None else rotation
        J = np.einsum("ij,sj,kj->sik", R, self.lam, R)
        x_star = None
        if self.x_star is not None:
            x_star = self.x_star @ R.T
            J = J + self.s2 * np.einsum("si,sj->sij", x_star, x_star) / self.N
        return Landscape(J=J, J3=None, s3=0.0, x_star=x_star)


def _uniform_sphere(N: int, n_samples: int, rng: np.random.Generator) -> np.ndarray:
    """S uniform points of the sphere |x|^2 = N; (S, N)."""
    x = rng.standard_normal((n_samples, N))
    return x * (math.sqrt(N) / np.linalg.norm(x, axis=1, keepdims=True))


def pspin_landscape(
    p: int, N: int, n_samples: int, seed: int = 0, *, eigenbasis: bool = True
) -> Landscape | SpectralLandscape:
    """Pure spherical p-spin (p = 2: SK/GOE; p = 3: dense tensor, N^3 memory per sample).

    For p = 2 the default ``eigenbasis=True`` samples the GOE spectrum only and simulates
    in the eigenbasis (``SpectralLandscape``: same law, O(N) per step); ``eigenbasis=False``
    stores the dense matrices.
    """
    rng = np.random.default_rng([seed, 0])
    if p == 2:
        if eigenbasis:
            return SpectralLandscape(lam=sample_goe_spectrum(N, n_samples, rng), s2=0.0, x_star=None)
        return Landscape(J=sample_goe(N, n_samples, rng), J3=None, s3=0.0, x_star=None)
    if p == 3:
        return Landscape(J=None, J3=sample_tensor3(N, n_samples, rng), s3=0.0, x_star=None)
    raise ValueError(f"p={p!r} is invalid: simulations support p in {{2, 3}}")


def spiked_landscape(
    delta2: float, deltap: float, N: int, n_samples: int, seed: int = 0, *, eigenbasis: bool | None = None
) -> Landscape | SpectralLandscape:
    """Spiked matrix(-tensor) landscape with Q(m) = m^2/(2 Delta2) + m^3/(3 Deltap).

    deltap = inf gives the spiked matrix only, simulated by default in the eigenbasis of
    its noise matrix (``SpectralLandscape``; ``eigenbasis=False`` for the dense matrices).
    A finite deltap stores a dense (S, N, N, N) tensor, so keep N <~ 150 there.
    """
    for name, v in (("delta2", delta2), ("deltap", deltap)):
        if not (v > 0):
            raise ValueError(f"{name}={v!r} is invalid: it must be > 0 (inf switches the channel off)")
    matrix_only = math.isfinite(delta2) and math.isinf(deltap)
    if eigenbasis and not matrix_only:
        raise ValueError("eigenbasis=True needs a matrix-only landscape (finite delta2, deltap = inf)")
    rng = np.random.default_rng([seed, 0])
    x_star = _uniform_sphere(N, n_samples, rng)
    if matrix_only and eigenbasis is not False:
        lam = sample_goe_spectrum(N, n_samples, rng) / math.sqrt(delta2)
        return SpectralLandscape(lam=lam, s2=1.0 / delta2, x_star=x_star)
    J = None
    if math.isfinite(delta2):
        J = sample_goe(N, n_samples, rng) / math.sqrt(delta2)
        J += np.einsum("si,sj->sij", x_star, x_star) / (N * delta2)
    J3, s3 = None, 0.0
    if math.isfinite(deltap):
        J3 = sample_tensor3(N, n_samples, rng) / math.sqrt(deltap)
        s3 = 1.0 / deltap
    return Landscape(J=J, J3=J3, s3=s3, x_star=x_star)


# ----------------------------------------------------------------------------------------
# Dynamics


@dataclass(frozen=True)
class SimResult:
    """Recorded trajectories of S samples x B schedules (n_rec recorded times).

    Fields:
        t:        (n_rec,) times k dt of the records
        eta:      (S, B, n_rec) learning rate used at the recorded steps
        energy:   (S, B, n_rec) energy per spin H/N
        m:        (S, B, n_rec) overlap x.x*/N with the hidden signal, or None
        t_switch: (S, B) switch times of SwitchAtOverlap members (NaN otherwise)
        labels:   B schedule names
        dt, N:    time step and system size
    """

    t: np.ndarray
    eta: np.ndarray
    energy: np.ndarray
    m: np.ndarray | None
    t_switch: np.ndarray
    labels: tuple[str, ...]
    dt: float
    N: int

    def mean_sem(self, what: str = "energy") -> tuple[np.ndarray, np.ndarray]:
        """Sample mean and standard error over the S samples; each (B, n_rec)."""
        a = getattr(self, what)
        S = a.shape[0]
        sem = a.std(axis=0, ddof=1) / math.sqrt(S) if S > 1 else np.full(a.shape[1:], np.nan)
        return a.mean(axis=0), sem


def initial_state(landscape: Landscape, rng: np.random.Generator, m0: float | None = None) -> np.ndarray:
    """Uniform random start on the sphere |x|^2 = N; (S, N).

    With a signal and ``m0`` given, the start is conditioned to overlap exactly m0
    (x = m0 x* + sqrt(1 - m0^2) * a random unit direction orthogonal to x*, times sqrt(N)).
    """
    S, N = landscape.n_samples, landscape.N
    x = rng.standard_normal((S, N))
    if m0 is not None:
        if landscape.x_star is None:
            raise ValueError("m0 needs a landscape with a hidden signal")
        if not (0.0 <= m0 <= 1.0):
            raise ValueError(f"m0={m0!r} is invalid: it must be in [0, 1]")
        xs = landscape.x_star / math.sqrt(N)  # unit vectors
        x -= np.sum(x * xs, axis=1, keepdims=True) * xs
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        return math.sqrt(N) * (m0 * xs + math.sqrt(1.0 - m0 * m0) * x)
    return math.sqrt(N) * x / np.linalg.norm(x, axis=1, keepdims=True)


def simulate(
    landscape: Landscape | SpectralLandscape,
    T: float,
    schedules: Schedule | Sequence[Schedule],
    dt: float = 0.05,
    t_max: float = 20.0,
    *,
    seed: int = 0,
    m0: float | None = None,
    record_every: int = 1,
    progress: bool = False,
) -> SimResult:
    """Euler-Maruyama integration of the schedules on every sample of ``landscape``.

    Args:
        landscape: S sampled instances (``pspin_landscape`` / ``spiked_landscape``), dense
            or in the eigenbasis (``SpectralLandscape``).
        T: noise temperature (effective temperature T eta).
        schedules: one schedule or a sequence; SwitchAtOverlap switches per sample, when
            the signed overlap m = x.x*/N first exceeds its threshold.
        dt: time step (the fig4 script is dt = 1 with eta0 ~ 1/gap; use dt << 1 to
            compare with the continuous-time DMFT).
        t_max: final time; round(t_max / dt) steps.
        seed: seed of the initial conditions and of the noise.
        m0: exact initial overlap (spiked model), or None for a uniform random start.
        record_every: record one step in this many.
    """
    if not (math.isfinite(dt) and dt > 0):
        raise ValueError(f"dt={dt!r} is invalid: it must be a finite number > 0")
    if not (math.isfinite(T) and T >= 0):
        raise ValueError(f"T={T!r} is invalid: it must be a finite number >= 0")
    if not (isinstance(record_every, int) and record_every >= 1):
        raise ValueError(f"record_every={record_every!r} is invalid: it must be an int >= 1")
    schedules = as_schedule_tuple(schedules)
    S, N, B = landscape.n_samples, landscape.N, len(schedules)
    n_steps = int(round(t_max / dt))
    rng = np.random.default_rng([seed, 1])
    x = np.repeat(initial_state(landscape, rng, m0)[:, None, :], B, axis=1)  # (S, B, N)

    t_grid = dt * np.arange(n_steps + 1)
    eta_grid = np.stack([s(t_grid) for s in schedules])  # (B, n_steps+1)
    adaptive = np.array([isinstance(s, SwitchAtOverlap) for s in schedules])
    if adaptive.any() and landscape.x_star is None:
        raise ValueError("SwitchAtOverlap needs a landscape with a hidden signal")
    thresholds = np.array([getattr(s, "threshold", np.inf) for s in schedules])
    betas = np.array([getattr(s, "beta", 0.0) for s in schedules])
    eta0 = np.array([s.eta0 for s in schedules])
    t_switch = np.full((S, B), np.nan)

    rec = list(range(0, n_steps + 1, record_every))
    out_e = np.empty((S, B, len(rec)))
    out_eta = np.empty((S, B, len(rec)))
    out_m = np.empty((S, B, len(rec))) if landscape.x_star is not None else None
    noise_amp = math.sqrt(2.0 * T * dt)
    r = 0
    for k in progress_bar(range(n_steps + 1), desc=f"sim N={N}", disable=not progress):
        force, energy, m = landscape.force_and_energy(x)
        eta = np.broadcast_to(eta_grid[:, k], (S, B)).copy()  # (S, B)
        if adaptive.any():
            fire = adaptive & np.isnan(t_switch) & (m > thresholds)
            t_switch[fire] = t_grid[k]
            on = ~np.isnan(t_switch)  # (S, B) switched members
            since = np.where(on, t_grid[k] - t_switch, 0.0)
            eta = np.where(on, eta0 * (1.0 + since) ** (-betas), eta)
        if r < len(rec) and rec[r] == k:
            out_e[:, :, r], out_eta[:, :, r] = energy, eta
            if out_m is not None:
                out_m[:, :, r] = m
            r += 1
        if k == n_steps:
            break
        xi = rng.standard_normal((S, 1, N))  # shared by the B schedules of a sample
        force *= dt  # in place: the step is eta (dt force + sqrt(2 T dt) xi)
        force += noise_amp * xi
        force *= eta[..., None]
        x += force
        x *= np.sqrt(N / np.einsum("sbi,sbi->sb", x, x))[..., None]
    if not np.isfinite(out_e).all():
        raise FloatingPointError(f"simulation produced non-finite energies (dt={dt}); reduce dt or eta0")
    return SimResult(
        t=t_grid[rec],
        eta=out_eta,
        energy=out_e,
        m=out_m,
        t_switch=t_switch,
        labels=tuple(s.name for s in schedules),
        dt=dt,
        N=N,
    )


def simulate_pspin(
    p: int,
    T: float,
    schedules: Schedule | Sequence[Schedule],
    N: int = 500,
    dt: float = 0.05,
    t_max: float = 20.0,
    n_samples: int = 4,
    *,
    seed: int = 0,
    record_every: int = 1,
    progress: bool = False,
) -> SimResult:
    """Spherical p-spin (p = 2 SK, p = 3 dense tensor) at finite N; see ``simulate``."""
    land = pspin_landscape(p, N, n_samples, seed)
    return simulate(land, T, schedules, dt, t_max, seed=seed, record_every=record_every, progress=progress)


def simulate_spiked(
    delta2: float,
    deltap: float,
    T: float,
    schedules: Schedule | Sequence[Schedule],
    N: int = 500,
    dt: float = 0.05,
    t_max: float = 20.0,
    n_samples: int = 4,
    *,
    m0: float | None = None,
    seed: int = 0,
    record_every: int = 1,
    progress: bool = False,
) -> SimResult:
    """Spiked matrix (deltap = inf) or matrix-tensor (p = 3) model at finite N; see ``simulate``.

    m0 = None starts uniformly at random (|m| ~ 1/sqrt(N), random sign); pass
    m0 = 1/sqrt(N) to compare with the DMFT started at the same overlap.
    """
    land = spiked_landscape(delta2, deltap, N, n_samples, seed)
    return simulate(land, T, schedules, dt, t_max, seed=seed, m0=m0, record_every=record_every, progress=progress)


# ----------------------------------------------------------------------------------------
# The reference "fig4" experiment: finite-N SK with a gap-scaled learning rate


@dataclass(frozen=True)
class GapScaledRun:
    """Finite-N SK runs whose eta0 is set from each sample's spectral gap.

    Fields (S samples, B schedules, n_rec records):
        result:       SimResult of all samples (energies are absolute, per spin)
        ground_state: (S,) -lambda_max / 2 of each sample
        gap:          (S,) lambda_1 - lambda_2 of each sample (~ N^-2/3)
        eta0:         (S,) 1 / (gap_factor * gap)
    """

    result: SimResult
    ground_state: np.ndarray
    gap: np.ndarray
    eta0: np.ndarray

    @property
    def excess_energy(self) -> np.ndarray:
        """Energy above each sample's ground state; (S, B, n_rec)."""
        return self.result.energy - self.ground_state[:, None, None]


def simulate_sk_gap_scaled(
    N: int = 500,
    T: float = 3.0,
    betas: Sequence[float] = (0.5, 1.0),
    n_steps: int = 10_000,
    n_samples: int = 3,
    *,
    t_protocol: float | None = None,
    gap_factor: float = 3.8,
    seed: int = 0,
    record_every: int = 100,
) -> GapScaledRun:
    """The reference script's finite-N SK experiment (SimulateSKModel.py), in iteration units (dt = 1).

    eta0 = 1 / (gap_factor * gap) per sample (the script's default, "eta0 > 1/(4 gap)"),
    schedules eta0 (1 + k)^-beta for each beta, plus, if ``t_protocol`` is given,
    eta0 until iteration t_protocol then eta0 (1 + k - t_protocol)^-1 (the "tl" protocol).
    At finite N the landscape is effectively convex beyond k ~ N^(2/3), where the
    convex rule beta = 1 wins.
    """
    lam = pspin_landscape(2, N, n_samples, seed).lam  # (S, N), ascending
    gap = lam[:, -1] - lam[:, -2]
    eta0 = 1.0 / (gap_factor * gap)
    runs = []
    for s in range(n_samples):
        one = SpectralLandscape(lam=lam[s : s + 1], s2=0.0, x_star=None)
        scheds = [PowerLaw(float(eta0[s]), float(b)) for b in betas]
        if t_protocol is not None:
            scheds.append(ConstantThenPowerLaw(float(eta0[s]), 1.0, float(t_protocol)))
        runs.append(simulate(one, T, scheds, dt=1.0, t_max=float(n_steps), seed=seed + 1000 * s,
                             record_every=record_every))
    first = runs[0]
    result = SimResult(
        t=first.t,
        eta=np.concatenate([r.eta for r in runs]),
        energy=np.concatenate([r.energy for r in runs]),
        m=None,
        t_switch=np.concatenate([r.t_switch for r in runs]),
        labels=first.labels,
        dt=1.0,
        N=N,
    )
    return GapScaledRun(result=result, ground_state=-0.5 * lam[:, -1], gap=gap, eta0=eta0)
