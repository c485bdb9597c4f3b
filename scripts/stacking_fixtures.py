"""Stacking weights of random problems, computed by az.compare, for tests/criteria.rs.

Writes tests/fixtures/criteria/stacking.expected.json: for each case, the pointwise elpd of
its models in the order az.compare ranks them (highest elpd first) and the weights
az.compare(method="stacking") gives them, with how SciPy's SLSQP stopped (status, iterations)
when run on the same problem as ArviZ runs it. The pointwise elpd are those of normal models
of random data (a model that is another shifted down by a constant everywhere gets weight 0).
Also stacking_edge.expected.json: one problem of the sweep below where SciPy's result is not
stable under perturbations of its inputs at the level of rounding, with SciPy's weights on ten
such perturbations.

Run with a Python that has arviz 0.23 (numpy, scipy):
    python scripts/stacking_fixtures.py            # the fixture
    python scripts/stacking_fixtures.py 500 PATH   # 500 random problems written to PATH
"""

import copy
import json
import pathlib
import sys
import warnings

import arviz as az
import numpy as np
import xarray as xr
from scipy.optimize import Bounds, LinearConstraint, minimize

warnings.simplefilter("ignore")
DIR = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "criteria"

# A template ELPDData: az.compare reads elpd_loo, p_loo, se, loo_i, warning and scale.
_rng = np.random.default_rng(0)
_TEMPLATE = az.loo(
    az.from_dict(
        posterior={"a": _rng.normal(size=(2, 50))},
        log_likelihood={"ll": _rng.normal(size=(2, 50, 5))},
    ),
    pointwise=True,
)


def elpd_data(pointwise):
    d = copy.deepcopy(_TEMPLATE)
    d["loo_i"] = xr.DataArray(np.asarray(pointwise, dtype=float))
    d["elpd_loo"] = float(np.sum(pointwise))
    d["se"] = float(np.sqrt(len(pointwise) * np.var(pointwise)))
    d["p_loo"] = 1.0
    d["n_data_points"] = len(pointwise)
    d["warning"] = False
    return d


def slsqp_status(pointwise):
    """ArviZ's call to SciPy on the models in the given order, for its status."""
    exp_ic_i = np.exp(np.column_stack(pointwise))
    k = exp_ic_i.shape[1]
    res = minimize(
        fun=lambda w: -np.sum(np.log(exp_ic_i @ w)),
        x0=np.full(k, 1.0 / k),
        jac=lambda w: -np.sum(exp_ic_i / (exp_ic_i @ w)[:, np.newaxis], axis=0),
        bounds=Bounds(lb=np.zeros(k), ub=np.ones(k)),
        constraints=LinearConstraint(np.ones(k), lb=1.0, ub=1.0),
    )
    return res


def normal_elpd(y, mu, sigma):
    return -0.5 * np.log(2 * np.pi * sigma**2) - (y - mu) ** 2 / (2 * sigma**2)


def problem(rng, k, n, dominated=False):
    """Pointwise elpd of k normal models of n observations from a mixture."""
    y = np.where(rng.random(n) < 0.7, rng.normal(0, 1, n), rng.normal(2, 1.5, n))
    models = []
    for j in range(k):
        if dominated and j == k - 1:
            # A copy of the first model, worse everywhere: its weight is 0.
            models.append(models[0] - rng.uniform(0.05, 0.5))
            continue
        mu = rng.normal(0.5, 1.0)
        sigma = rng.uniform(0.7, 2.0)
        models.append(normal_elpd(y, mu, sigma))
    return models


def case(name, models):
    table = az.compare(
        {f"m{j}": elpd_data(p) for j, p in enumerate(models)},
        ic="loo",
        method="stacking",
        scale="log",
    )
    order = [int(m[1:]) for m in table.index]
    ranked = [models[j] for j in order]
    res = slsqp_status(ranked)
    weights = table["weight"].to_numpy(dtype=float)
    assert np.array_equal(weights, res.x), (name, weights, res.x)
    return {
        "name": name,
        "pointwise": [np.asarray(p).tolist() for p in ranked],
        "weights": weights.tolist(),
        "status": int(res.status),
        "iterations": int(res.nit),
    }


def sweep(count):
    """The problems of the sweep, in order."""
    rng = np.random.default_rng(12345)
    for _ in range(count):
        k = int(rng.choice([2, 3, 4, 5, 7]))
        n = int(rng.integers(20, 201))
        yield problem(rng, k, n, dominated=rng.random() < 0.3)


def perturbed_weights(models, runs):
    """SciPy's weights with each exp(elpd) multiplied by 1 + 1e-15·N(0, 1), `runs` times."""
    exp_ic_i = np.exp(np.column_stack(models))
    k = exp_ic_i.shape[1]
    rng = np.random.default_rng(1)
    out = []
    for _ in range(runs):
        e = exp_ic_i * (1 + 1e-15 * rng.standard_normal(exp_ic_i.shape))
        res = minimize(
            fun=lambda w: -np.sum(np.log(e @ w)),
            x0=np.full(k, 1.0 / k),
            jac=lambda w: -np.sum(e / (e @ w)[:, np.newaxis], axis=0),
            bounds=Bounds(lb=np.zeros(k), ub=np.ones(k)),
            constraints=LinearConstraint(np.ones(k), lb=1.0, ub=1.0),
        )
        out.append(res.x.tolist())
    return out


def main():
    if len(sys.argv) == 3:
        count, path = int(sys.argv[1]), pathlib.Path(sys.argv[2])
        cases = [case(f"random{c}", models) for c, models in enumerate(sweep(count))]
        path.write_text(json.dumps(cases) + "\n")
        return
    rng = np.random.default_rng(2024)
    cases = [
        case("k2_n20", problem(rng, 2, 20)),
        case("k2_n200", problem(rng, 2, 200)),
        case("k3_n60", problem(rng, 3, 60)),
        case("k3_n100_dominated", problem(rng, 3, 100, dominated=True)),
        case("k5_n80", problem(rng, 5, 80)),
        case("k5_n150_dominated", problem(rng, 5, 150, dominated=True)),
        case("k5_n200", problem(rng, 5, 200)),
    ]
    for c in cases:
        print(c["name"], c["weights"], "status", c["status"], "nit", c["iterations"])
    (DIR / "stacking.expected.json").write_text(json.dumps(cases, indent=1) + "\n")

    # Problem 690 of the sweep: SciPy's stopping test |∇fᵀs| < 1e-6 is on its edge there, and
    # perturbing the inputs at the level of rounding moves its weights by 1.5e-4. Recorded
    # with SciPy's weights on ten such perturbations of the inputs.
    *_, models = sweep(691)
    edge = case("sweep690", models)
    edge["weights_perturbed"] = perturbed_weights(edge["pointwise"], 10)
    for w in edge["weights_perturbed"]:
        print("perturbed:", np.abs(np.array(w) - edge["weights"]).max())
    (DIR / "stacking_edge.expected.json").write_text(json.dumps(edge, indent=1) + "\n")


main()
