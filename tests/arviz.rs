//! The ArviZ InferenceData export has the layout `arviz.from_json` reads: groups as keys,
//! arrays with leading (chain, draw) dimensions, observed data without them, and one
//! log-likelihood entry per observation. (The `best` example's file was also loaded in ArviZ
//! 0.23.4, whose `summary` gave the same means to 1e-6 and the same bulk ESS; see the note on
//! the issue.)

use smallx::infer::Metropolis;
use smallx::infer::arviz::{InferenceData, to_csv};
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
    let draw = samples.draw(1, 7);
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
        samples.site("mu").unwrap().draw(1, 7)[0]
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
