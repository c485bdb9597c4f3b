"""Reference particles for smallx's SVGD, computed with Pyro's SVGD.

Runs Pyro's mean-and-variance protocol (200 particles, Adam with learning rate 0.05, one
step, the particles moved to 1.3 x + 0.7 in unconstrained space, then 301 steps with the
bandwidth factor annealed linearly from 1 to 5) in float64 from initial particles that this
script draws and hands to Pyro as the `svgd_particles` parameter, and writes the initial and
final unconstrained particles to tests/fixtures/svgd/<target>.json for tests/svgd.rs.

Usage: python scripts/svgd_fixtures.py   (needs torch and pyro-ppl; writes the fixtures)
       python scripts/svgd_fixtures.py --pass-rate SEEDS   (Pyro's own test protocol, its
       initial particles drawn after pyro.set_rng_seed(seed), for seeds 0..SEEDS-1 and every
       configuration of its test; prints the misses of its tolerances. float32, torch's
       default, unless PYRO_DTYPE=float64, the dtype Pyro's own test suite sets)
"""

import json
import os
import sys

import torch

import pyro
import pyro.distributions as dist
from pyro.infer import SVGD, IMQSteinKernel, RBFSteinKernel
from pyro.optim import Adam

NUM_PARTICLES = 200
STEPS = 301
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "svgd")

KERNELS = {"rbf": RBFSteinKernel, "imq": IMQSteinKernel}


def targets():
    return {
        "normal_2d": dist.Normal(torch.zeros(2), torch.ones(2)).to_event(1),
        "lognormal_vector": dist.LogNormal(
            torch.tensor([-1.0]), torch.tensor([0.7])
        ).to_event(1),
        "lognormal": dist.LogNormal(torch.tensor(-1.0), torch.tensor(0.7)),
        "beta": dist.Beta(torch.tensor([0.3]), torch.tensor([0.7])).to_event(1),
    }


def run(latent_dist, kernel_name, mode, init=None):
    """Pyro's test_mean_variance protocol; `init` (N x d, unconstrained) replaces the draw
    of the initial particles. Returns (final constrained particles, final unconstrained)."""
    pyro.clear_param_store()

    def model():
        pyro.sample("z", latent_dist)

    if init is not None:
        pyro.param("svgd_particles", init.reshape(-1).clone())
    kernel = KERNELS[kernel_name]()
    svgd = SVGD(model, kernel, Adam({"lr": 0.05}), NUM_PARTICLES, 0, mode=mode)
    svgd.step()
    pyro.param("svgd_particles").unconstrained().data *= 1.3
    pyro.param("svgd_particles").unconstrained().data += 0.7
    for step in range(STEPS):
        kernel.bandwidth_factor = 1.0 + (step / STEPS) * (5.0 - 1.0)
        svgd.step()
    final = svgd.get_named_particles()["z"]
    unconstrained = pyro.param("svgd_particles").unconstrained().detach()
    return final, unconstrained.reshape(NUM_PARTICLES, -1)


def fixtures():
    torch.set_default_dtype(torch.float64)
    os.makedirs(OUT, exist_ok=True)
    # The initial particles: draws of the target itself in unconstrained space (what Pyro's
    # init_to_sample gives), the same for every kernel and mode.
    inits = {
        "lognormal": lambda g: -1.0
        + 0.7 * torch.randn(NUM_PARTICLES, 1, generator=g),
        "normal_2d": lambda g: torch.randn(NUM_PARTICLES, 2, generator=g),
        # The logit of Beta draws (torch's gamma sampler takes no generator: the global one).
        "beta": lambda g: torch.logit(
            torch.distributions.Beta(0.3, 0.7).sample((NUM_PARTICLES, 1))
        ),
    }
    for name, draw in inits.items():
        latent_dist = targets()[name]
        torch.manual_seed(0)
        init = draw(torch.Generator().manual_seed(0))
        out = {
            "description": (
                "Pyro %s SVGD, float64: Pyro's mean-and-variance protocol from `initial`; "
                "unconstrained particles, one row per particle" % pyro.__version__
            ),
            "num_particles": NUM_PARTICLES,
            "steps": STEPS,
            "initial": init.tolist(),
            "final": {},
        }
        for kernel_name, mode in [
            ("rbf", "univariate"),
            ("rbf", "multivariate"),
            ("imq", "univariate"),
            ("imq", "multivariate"),
        ]:
            _, final = run(latent_dist, kernel_name, mode, init)
            out["final"]["%s_%s" % (kernel_name, mode)] = final.tolist()
        path = os.path.join(OUT, name + ".json")
        with open(path, "w") as f:
            json.dump(out, f, separators=(",", ":"))
            f.write("\n")
        print("wrote", os.path.normpath(path))


def pass_rate(seeds):
    torch.set_num_threads(1)
    # Pyro's test suite runs in float64 unless PYRO_DTYPE says otherwise (its conftest);
    # PYRO_DTYPE=float32 gives torch's own default.
    dtype = os.environ.get("PYRO_DTYPE", "float32")
    torch.set_default_dtype(getattr(torch, dtype))
    print("dtype", dtype)
    for name in targets():
        for mode in ["univariate", "multivariate"]:
            for kernel_name in KERNELS:
                misses, worst_mean, worst_var = [], 0.0, 0.0
                for seed in range(seeds):
                    pyro.set_rng_seed(seed)
                    latent_dist = targets()[name]
                    final, _ = run(latent_dist, kernel_name, mode)
                    mean_err = (final.mean(0) - latent_dist.mean).abs().max().item()
                    var_err = (final.var(0) - latent_dist.variance).abs().max().item()
                    var_tol = 0.05 if mode == "multivariate" else 0.02
                    worst_mean = max(worst_mean, mean_err)
                    worst_var = max(worst_var, var_err)
                    if not (mean_err <= 0.01 and var_err <= var_tol):
                        misses.append((seed, round(mean_err, 4), round(var_err, 4)))
                print(
                    "%-16s %-6s %-12s misses %2d/%d  worst mean err %.4f  worst var err %.4f  %s"
                    % (name, kernel_name, mode, len(misses), seeds, worst_mean, worst_var, misses),
                    flush=True,
                )


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--pass-rate":
        pass_rate(int(sys.argv[2]))
    else:
        fixtures()
