"""Side-by-side table of smallx and peer benchmark results (JSON lines), with the ratio
peer / smallx of the time per unit (above 1: smallx is faster)."""
import json
import sys

WORKLOADS = ["scale_svi", "scale_importance", "best_mh", "logreg_svi", "eight_schools_nuts", "logreg_nuts",
             "hier100_svi", "hier400_svi", "hier100_nuts", "hier400_nuts"]


def load(path):
    rows = []
    try:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    rows.append(json.loads(line))
    except FileNotFoundError:
        pass
    return rows


def key_result(r):
    res = r.get("result", {})
    keys = ["a", "b", "mean", "log_normalizer", "log_normalizer_est", "logZ", "ess", "mu", "sigma", "min_ess_per_s",
            "final_loss", "max_abs_err_beta", "mu_a_loc", "beta_loc"]
    parts = []
    for k in keys:
        if k in res:
            v = res[k]
            if isinstance(v, float):
                v = round(v, 4)
            parts.append(f"{k}={v}")
    return "; ".join(parts)[:110]


def main():
    ours = [r for r in load(sys.argv[1]) if "per_unit_us" in r]
    peers = [r for r in load(sys.argv[2]) if "per_unit_us" in r and r.get("per_unit_us") is not None]
    print("| workload | framework | variant | µs per unit | peer / smallx | key results |")
    print("|---|---|---|---:|---:|---|")
    for w in WORKLOADS:
        mine = [r for r in ours if r["workload"] == w]
        if not mine:
            continue
        base = mine[0]["per_unit_us"]
        for r in mine + [p for p in peers if p["workload"] == w]:
            ratio = "" if r["framework"] == "smallx" else f"{r['per_unit_us'] / base:.3g}"
            variant = str(r.get("variant", ""))[:70]
            print(f"| {w} | {r['framework']} | {variant} | {r['per_unit_us']:.3f} | {ratio} | {key_result(r)} |")
    seeds_table(ours, sys.argv[3] if len(sys.argv) > 3 else None)


def seeds_table(ours, numpyro_seeds_path):
    """W7's final locations over seeds 0..7, smallx beside NumPyro (scripts/w7_seeds.py)."""
    theirs = {r["workload"]: r for r in load(numpyro_seeds_path)} if numpyro_seeds_path else {}
    rows = [r for r in ours if "mu_a_loc_seeds0to7_mean" in r.get("result", {})]
    if not rows:
        return
    print()
    print("| workload | location over seeds 0-7 | smallx mean (sd) | NumPyro mean (sd) | difference |")
    print("|---|---|---:|---:|---:|")
    for r in rows:
        res, np_ = r["result"], theirs.get(r["workload"], {})
        for k in ("mu_a", "beta"):
            m, s = res[f"{k}_loc_seeds0to7_mean"], res[f"{k}_loc_seeds0to7_sd"]
            if f"{k}_loc_mean" in np_:
                pm, ps = np_[f"{k}_loc_mean"], np_[f"{k}_loc_sd"]
                print(f"| {r['workload']} | {k} | {m:.4f} ({s:.4f}) | {pm:.4f} ({ps:.4f}) | {abs(m - pm):.4f} |")
            else:
                print(f"| {r['workload']} | {k} | {m:.4f} ({s:.4f}) | | |")


if __name__ == "__main__":
    main()
