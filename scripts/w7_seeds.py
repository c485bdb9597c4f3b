"""W7 (AutoNormal SVI on the varying-intercept regression) in NumPyro over seeds 0..7.

After 2000 one-particle Adam steps the location of `mu_a` is still moving, so one seed's value
varies by about 0.01 from seed to seed. This prints NumPyro's final `mu_a` and `beta` locations
for PRNGKey(0..7) with the benchmark's settings (AutoNormal with init_to_feasible, Adam 0.01,
Trace_ELBO with one particle), and their mean and sd, to set beside smallx's
(`cargo bench --bench workloads -- w7`, fields `*_seeds0to7_*`).

    ~/.cache/smallx-peers-venv/bin/python scripts/w7_seeds.py
"""
import json
import os
import sys

import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from jax import random
from numpyro import optim
from numpyro.infer import SVI, Trace_ELBO
from numpyro.infer.autoguide import AutoNormal
from numpyro.infer.initialization import init_to_feasible

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")


def hier_model(J, group, x, y=None):
    mu_a = numpyro.sample("mu_a", dist.Normal(0.0, 5.0))
    sigma_a = numpyro.sample("sigma_a", dist.HalfNormal(2.5))
    beta = numpyro.sample("beta", dist.Normal(0.0, 5.0))
    sigma = numpyro.sample("sigma", dist.HalfNormal(2.5))
    with numpyro.plate("groups", J):
        z = numpyro.sample("z", dist.Normal(0.0, 1.0))
    alpha = mu_a + sigma_a * z
    with numpyro.plate("N", x.shape[0]):
        numpyro.sample("y", dist.Normal(alpha[group] + beta * x, sigma), obs=y)


def main():
    for J in (100, 400):
        with open(os.path.join(DATA, "hier%d.json" % J)) as f:
            d = json.load(f)
        g, x, y = (jnp.asarray(d[k]) for k in ("group", "x", "y"))
        locs = {"mu_a": [], "beta": []}
        for seed in range(8):
            guide = AutoNormal(hier_model, init_loc_fn=init_to_feasible)
            svi = SVI(hier_model, guide, optim.Adam(0.01), Trace_ELBO(num_particles=1))
            res = svi.run(random.PRNGKey(seed), 2000, J, g, x, y, progress_bar=False)
            for k in locs:
                locs[k].append(float(res.params[k + "_auto_loc"]))
        out = {"workload": "hier%d_svi" % J, "framework": "numpyro", "seeds": list(range(8))}
        for k, v in locs.items():
            out[k + "_loc"] = [round(a, 4) for a in v]
            out[k + "_loc_mean"] = round(float(np.mean(v)), 4)
            out[k + "_loc_sd"] = round(float(np.std(v, ddof=1)), 4)
        print(json.dumps(out))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
