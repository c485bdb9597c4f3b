"""Expected values for tests/criteria.rs, computed with ArviZ.

Reads the log-likelihood arrays that `cargo test --test criteria -- --ignored
export_log_likelihoods` writes to tests/fixtures/criteria/*.loglik.json (chains x draws x
observations) and writes *.expected.json next to them: az.waic and az.loo (reff=1.0, scale
"log", pointwise) for each case, az.compare(method="stacking") for the three models of the
outlier data, and for the fixed case of Pyro's WAIC test the loo package's numbers (variance
with one degree of freedom, deviance scale).

Run with a Python that has arviz 0.23 (numpy, scipy):
    python scripts/criteria_fixtures.py
"""

import json
import pathlib
import warnings

import arviz as az
import numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp

warnings.simplefilter("ignore")
DIR = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "criteria"


def load(case):
    doc = json.loads((DIR / f"{case}.loglik.json").read_text())
    values = np.array(doc["values"], dtype=float)
    return az.from_dict(log_likelihood={"ll": values}), values


def waic_loo(idata):
    w = az.waic(idata, pointwise=True, scale="log")
    l = az.loo(idata, pointwise=True, reff=1.0, scale="log")
    return w, l, {
        "waic": {
            "elpd": float(w["elpd_waic"]),
            "p": float(w["p_waic"]),
            "se": float(w["se"]),
            "pointwise": w["waic_i"].values.tolist(),
            "warning": bool(w["warning"]),
        },
        "loo": {
            "elpd": float(l["elpd_loo"]),
            "p": float(l["p_loo"]),
            "se": float(l["se"]),
            "pointwise": l["loo_i"].values.tolist(),
            "k_hat": np.asarray(l["pareto_k"]).tolist(),
            "good_k": float(l["good_k"]),
            "warning": bool(l["warning"]),
        },
    }


def tight_stacking(pointwise):
    """The stacking optimum to a tight tolerance, to check ArviZ's weights against."""
    p = np.exp(pointwise - pointwise.max(axis=1, keepdims=True))
    k = p.shape[1]

    def negative(z):
        w = np.exp(z - logsumexp(z))
        return -np.sum(np.log(p @ w))

    res = minimize(negative, np.zeros(k), method="BFGS", options={"gtol": 1e-12})
    return np.exp(res.x - logsumexp(res.x))


def write(case, doc):
    (DIR / f"{case}.expected.json").write_text(json.dumps(doc, indent=1) + "\n")


for case in ["best", "outlier", "pyro"]:
    idata, values = load(case)
    _, _, doc = waic_loo(idata)
    if case == "pyro":
        x = values.reshape(-1, values.shape[-1])
        lpd = logsumexp(x, axis=0) - np.log(x.shape[0])
        p = x.var(axis=0, ddof=1)
        doc["pyro_waic_deviance"] = (-2 * (lpd - p)).tolist()
        doc["pyro_p_waic"] = p.tolist()
    write(case, doc)

names = ["known_scale", "unknown_scale", "robust"]
results = {"waic": {}, "loo": {}}
for name in names:
    idata, _ = load(f"compare_{name}")
    w, l, _ = waic_loo(idata)
    results["waic"][name] = w
    results["loo"][name] = l
doc = {}
for ic, res in results.items():
    table = az.compare(res, ic=ic, method="stacking", scale="log")
    pointwise = np.column_stack(
        [res[n][f"{ic}_i"].values.flatten() for n in table.index]
    )
    tight = tight_stacking(pointwise)
    # ArviZ's SLSQP stops at its default tolerance on the objective, where the objective is
    # flat: its weights can be ~1e-4 from the optimum. Record how far, and check that the
    # tight optimum is at least as good.
    p = np.exp(pointwise - pointwise.max(axis=1, keepdims=True))
    arviz_w = table["weight"].to_numpy(dtype=float)
    score = lambda w: float(np.sum(np.log(p @ w)))
    assert score(tight) >= score(arviz_w) - 1e-12, (score(tight), score(arviz_w))
    print(ic, "max |ArviZ - tight| weight:", np.abs(arviz_w - tight).max(),
          "objective gain of tight:", score(tight) - score(arviz_w))
    doc[ic] = {}
    for j, name in enumerate(table.index):
        row = table.loc[name]
        doc[ic][name] = {
            "rank": int(row["rank"]),
            "elpd": float(row[f"elpd_{ic}"]),
            "p": float(row[f"p_{ic}"]),
            "elpd_diff": float(row["elpd_diff"]),
            "weight": float(row["weight"]),
            "weight_tight": float(tight[j]),
            "se": float(row["se"]),
            "dse": float(row["dse"]),
            "warning": bool(row["warning"]),
        }
write("compare", doc)
