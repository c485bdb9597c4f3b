//! The ArviZ InferenceData export has the layout `arviz.from_json` reads: groups as keys,
//! arrays with leading (chain, draw) dimensions, observed data without them, and one
//! log-likelihood entry per observation. (The `best` example's file was also loaded in ArviZ
//! 0.23.4, whose `summary` gave the same means to 1e-6 and the same bulk ESS; see the note on
//! the issue.)

use smallx::infer::arviz::{InferenceData, to_csv};
use smallx::infer::{Mcmc, Metropolis, Nuts, Predictive, Samples};
use smallx::prelude::*;

#[model]
fn best(group1: &[f64], group2: &[f64]) {
    let mu = sample!("mu", Normal::new(0.0, 1.0).iid(2));
    let sigma = sample!("sigma", Uniform::new(0.0, 100.0).iid(2));
    observe!(
        "group1",
        Normal::new(mu[0], sigma[0]).iid(group1.len()),
        group1
    );
    observe!(
        "group2",
        Normal::new(mu[1], sigma[1]).iid(group2.len()),
        group2
    );
}

fn shape(v: &serde_json::Value) -> Vec<usize> {
    let mut dims = Vec::new();
    let mut cur = v;
    while let serde_json::Value::Array(items) = cur {
        dims.push(items.len());
        match items.first() {
            Some(first) => cur = first,
            None => break,
        }
    }
    dims
}

#[test]
fn inference_data_has_the_layout_arviz_reads() {
    let g1 = [0.5, 1.2, 0.9];
    let g2 = [-0.1, 0.3, 0.0, 0.2];
    let args = (&g1[..], &g2[..]);
    let samples = Metropolis::new(best)
        .warmup(200)
        .samples(50)
        .chains(2)
        .seed(3)
        .progress(false)
        .run(&args)
        .unwrap();
    let doc = InferenceData::new(&samples)
        .with_model(&best, &args)
        .unwrap()
        .to_json()
        .unwrap();
    assert_eq!(shape(&doc["posterior"]["mu"]), [2, 50, 2]);
    assert_eq!(shape(&doc["posterior"]["sigma"]), [2, 50, 2]);
    assert_eq!(shape(&doc["sample_stats"]["lp"]), [2, 50]);
    assert_eq!(shape(&doc["sample_stats"]["accepted"]), [2, 50]);
    assert_eq!(shape(&doc["log_likelihood"]["group1"]), [2, 50, 3]);
    assert_eq!(shape(&doc["log_likelihood"]["group2"]), [2, 50, 4]);
    assert_eq!(
        doc["observed_data"]["group2"],
        serde_json::json!([-0.1, 0.3, 0.0, 0.2])
    );
    assert_eq!(doc["attrs"]["inference_library"], "smallx");
    // The per-observation log-likelihoods sum to the site's log-probability at that draw.
    let draw = samples.draw(1, 7).unwrap();
    let trace = get_trace(
        &substitute(best, draw),
        &args,
        &mut SmallRng::seed_from_u64(0),
    )
    .unwrap();
    let total: f64 = doc["log_likelihood"]["group1"][1][7]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .sum();
    assert!((total - trace.get("group1").unwrap().log_prob.value()).abs() < 1e-12);
    // The posterior arrays hold the draws.
    assert_eq!(
        doc["posterior"]["mu"][1][7][0].as_f64().unwrap(),
        samples.site("mu").unwrap().draw(1, 7).unwrap()[0]
    );
}

#[test]
fn draws_are_written_as_csv() {
    let g1 = [0.5, 1.2, 0.9];
    let g2 = [-0.1, 0.3];
    let samples = Metropolis::new(best)
        .warmup(100)
        .samples(10)
        .seed(4)
        .progress(false)
        .run(&(&g1[..], &g2[..]))
        .unwrap();
    let csv = to_csv(&samples);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "chain,draw,mu[0],mu[1],sigma[0],sigma[1]");
    assert_eq!(lines.len(), 11);
    assert!(lines[1].starts_with("0,0,"));
}

#[test]
fn nuts_statistics_are_in_sample_stats_under_arviz_names() {
    let g1 = [0.5, 1.2, 0.9];
    let g2 = [-0.1, 0.3, 0.0, 0.2];
    let args = (&g1[..], &g2[..]);
    let samples = smallx::infer::Mcmc::new(smallx::infer::Nuts::new(best))
        .warmup(100)
        .samples(30)
        .chains(2)
        .seed(1)
        .progress(false)
        .run(&args)
        .unwrap();
    let doc = InferenceData::new(&samples).to_json().unwrap();
    for name in [
        "lp",
        "diverging",
        "tree_depth",
        "n_steps",
        "step_size",
        "acceptance_rate",
        "energy",
    ] {
        assert_eq!(shape(&doc["sample_stats"][name]), [2, 30], "{name}");
    }
    assert!(doc["sample_stats"]["diverging"][0][0].is_boolean());
    assert!(
        doc["sample_stats"]["energy"][1][29]
            .as_f64()
            .unwrap()
            .is_finite()
    );
    // The summary counts divergences for samplers that report them.
    assert!(samples.summary().to_string().contains("divergences:"));
}

/// `y ~ N(a + b x, 1)`, observed when given, predicted when `None`; `mu` is derived.
#[model]
fn line(x: &[f64], y: Option<&[f64]>) {
    let a = sample!("a", Normal::new(0.0, 10.0));
    let b = sample!("b", Normal::new(0.0, 10.0));
    let mu: Vec<Real> = x.iter().map(|&xi| a + b * xi).collect();
    let mu = deterministic!("mu", mu);
    sample!(
        "y",
        Batch::new(mu.iter().map(|&m| Normal::new(m, 1.0))),
        obs = y
    );
}

const X: [f64; 4] = [0.0, 1.0, 2.0, 3.0];
const Y: [f64; 4] = [0.2, 1.1, 1.9, 3.2];

/// NUTS draws of `line` and its posterior predictive at the observed inputs.
fn line_fit() -> (Samples, Samples) {
    let samples = Mcmc::new(Nuts::new(line))
        .warmup(200)
        .samples(100)
        .chains(2)
        .seed(5)
        .progress(false)
        .run(&(&X[..], Some(&Y[..])))
        .unwrap();
    let predictive = Predictive::new(line)
        .seed(6)
        .posterior(&(&X[..], None), &samples)
        .unwrap()
        .samples;
    (samples, predictive)
}

fn line_document<'a>(samples: &'a Samples, predictive: &'a Samples) -> InferenceData<'a> {
    InferenceData::new(samples)
        .with_model(&line, &(&X[..], Some(&Y[..])))
        .unwrap()
        .with_posterior_predictive(predictive)
        .dims("y", &["obs_id"])
        .dims("mu", &["obs_id"])
        .coords("obs_id", ["p", "q", "r", "s"])
}

#[test]
fn posterior_predictive_and_named_dimensions_have_the_layout_arviz_reads() {
    let (samples, predictive) = line_fit();
    let doc = line_document(&samples, &predictive).to_json().unwrap();
    // The derived `mu` is in the posterior; the predicted `y` (not a posterior site) is the
    // posterior predictive, with the posterior's chains and draws.
    assert_eq!(shape(&doc["posterior"]["mu"]), [2, 100, 4]);
    assert_eq!(shape(&doc["posterior_predictive"]["y"]), [2, 100, 4]);
    assert!(doc["posterior_predictive"].get("mu").is_none());
    assert!(doc["posterior_predictive"].get("a").is_none());
    assert_eq!(shape(&doc["observed_data"]["y"]), [4]);
    assert!(doc["log_likelihood"].get("mu").is_none());
    assert_eq!(doc["dims"]["y"], serde_json::json!(["obs_id"]));
    assert_eq!(
        doc["coords"]["obs_id"],
        serde_json::json!(["p", "q", "r", "s"])
    );
}

#[test]
fn named_dimensions_that_do_not_fit_the_sites_are_errors_naming_them() {
    let (samples, predictive) = line_fit();
    let message = |doc: InferenceData<'_>| doc.to_json().unwrap_err().to_string();
    let rank = message(InferenceData::new(&samples).dims("a", &["obs_id"]));
    assert!(
        rank.contains("`a`") && rank.contains("0 dimension"),
        "{rank}"
    );
    let unknown = message(InferenceData::new(&samples).dims("z", &["obs_id"]));
    assert!(unknown.contains("no site `z`"), "{unknown}");
    let labels = message(line_document(&samples, &predictive).coords("obs_id", [1, 2, 3]));
    assert!(
        labels.contains("`obs_id` has 3 labels but length 4"),
        "{labels}"
    );
    let orphan = message(InferenceData::new(&samples).coords("school", ["A"]));
    assert!(orphan.contains("`school`"), "{orphan}");
}

/// With the peers' virtualenv (made by their `setup.sh`), ArviZ itself reads the file:
/// `az.summary` and `az.plot_ppc` run, and the named dimension is there. Without it, the
/// layout checks above stand alone.
#[test]
fn arviz_reads_the_posterior_predictive_when_it_is_installed() {
    let python = std::env::var("PEERS_PY")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            std::path::PathBuf::from(std::env::var("HOME").unwrap_or_default())
                .join(".cache/smallx-peers-venv/bin/python")
        });
    if !python.exists() {
        eprintln!(
            "no ArviZ virtualenv at {}: only the layout is checked",
            python.display()
        );
        return;
    }
    let (samples, predictive) = line_fit();
    let path = std::env::temp_dir().join(format!("smallx-ppc-{}.json", std::process::id()));
    line_document(&samples, &predictive).write(&path).unwrap();
    let script = format!(
        "import matplotlib; matplotlib.use('Agg')\n\
         import arviz as az\n\
         d = az.from_json({:?})\n\
         print(az.summary(d, var_names=['a', 'b', 'mu']))\n\
         az.plot_ppc(d)\n\
         assert d.posterior_predictive['y'].dims == ('chain', 'draw', 'obs_id'), d.posterior_predictive['y'].dims\n\
         assert list(d.posterior['mu'].coords['obs_id'].values) == ['p', 'q', 'r', 's']\n\
         print('ok')\n",
        path.display().to_string()
    );
    let out = std::process::Command::new(&python)
        .args(["-c", &script])
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.trim_end().ends_with("ok"),
        "ArviZ could not use the file:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
