//! The MCMC driver's `thin` and `Init::Map` options do what they say: thinning keeps every
//! k-th iteration of the very chain `thin(1)` runs, and `Init::Map` starts at the MAP.

use smallx::infer::{Init, Map, Mcmc, Metropolis, Nuts, Samples};
use smallx::prelude::*;

/// Normal data with unknown mean and scale: a constrained site, so the start goes through the
/// unconstrained transform.
#[model]
fn normal(y: &[f64]) {
    let mu = sample!("mu", Normal::new(0.0, 10.0));
    let sigma = sample!("sigma", HalfNormal::new(5.0));
    for (i, &yi) in y.iter().enumerate() {
        observe!(format!("y_{i}"), Normal::new(mu, sigma), yi);
    }
}

const Y: [f64; 6] = [19.2, 21.5, 20.3, 18.7, 22.1, 20.9];

fn draws(samples: &Samples, site: &str) -> Vec<f64> {
    samples.values(site).unwrap()
}

#[test]
fn thin_three_keeps_every_third_iteration_of_the_unthinned_chain() {
    let args = (&Y[..],);
    let n = 200;
    let metropolis = |thin: usize, samples: usize| {
        Metropolis::new(normal)
            .warmup(300)
            .samples(samples)
            .thin(thin)
            .seed(5)
            .progress(false)
            .run(&args)
            .unwrap()
    };
    let nuts = |thin: usize, samples: usize| {
        Mcmc::new(Nuts::new(normal))
            .warmup(300)
            .samples(samples)
            .thin(thin)
            .seed(5)
            .progress(false)
            .run(&args)
            .unwrap()
    };
    for (name, all, thinned) in [
        ("Metropolis", metropolis(1, 3 * n), metropolis(3, n)),
        ("NUTS", nuts(1, 3 * n), nuts(3, n)),
    ] {
        assert_eq!(thinned.num_draws(), n, "{name}");
        assert_eq!(thinned.stats()[0].log_joint.len(), n, "{name}");
        for site in ["mu", "sigma"] {
            let (all, thinned) = (draws(&all, site), draws(&thinned, site));
            // Thinning keeps the last iteration of each block of three.
            let every_third: Vec<f64> = all.iter().skip(2).step_by(3).copied().collect();
            assert_eq!(thinned, every_third, "{name}: {site}");
            // And it is not the unthinned chain's first n draws.
            assert_ne!(thinned[..], all[..n], "{name}: {site}");
        }
        let lp: Vec<f64> = all.stats()[0]
            .log_joint
            .iter()
            .skip(2)
            .step_by(3)
            .copied()
            .collect();
        assert_eq!(thinned.stats()[0].log_joint, lp, "{name}");
    }
}

#[test]
fn init_map_starts_the_chain_at_the_map_estimate() {
    let args = (&Y[..],);
    let map = Map::new(normal).run(&args).unwrap();
    let mode = |site: &str| map.point.get(site).unwrap().as_f64().unwrap();
    // No warm-up, one draw, proposals of scale 1e-9: the first draw is the start to 1e-8.
    let first = |init: Init| {
        let samples = Metropolis::new(normal)
            .init(init)
            .warmup(0)
            .samples(1)
            .initial_scale(1e-9)
            .seed(9)
            .progress(false)
            .run(&args)
            .unwrap();
        (draws(&samples, "mu")[0], draws(&samples, "sigma")[0])
    };
    let (mu, sigma) = first(Init::Map);
    assert!((mu - mode("mu")).abs() < 1e-6, "{mu} vs {}", mode("mu"));
    assert!(
        (sigma - mode("sigma")).abs() < 1e-6,
        "{sigma} vs {}",
        mode("sigma")
    );
    // The MAP is near the data (mean 20.45), which a prior draw is not.
    assert!((mode("mu") - 20.45).abs() < 0.5, "{}", mode("mu"));
    let (mu_prior, _) = first(Init::Prior);
    assert!((mu_prior - mode("mu")).abs() > 1e-3, "{mu_prior}");

    // NUTS from `Init::Map` runs exactly the chain it runs from the MAP point given as values.
    let nuts = |init: Init| {
        Mcmc::new(Nuts::new(normal))
            .init(init)
            .warmup(50)
            .samples(20)
            .seed(3)
            .progress(false)
            .run(&args)
            .unwrap()
    };
    let from_map = nuts(Init::Map);
    let from_values = nuts(Init::Values(map.point.clone()));
    let from_uniform = nuts(Init::Uniform { radius: 2.0 });
    assert_eq!(draws(&from_map, "mu"), draws(&from_values, "mu"));
    assert_eq!(draws(&from_map, "sigma"), draws(&from_values, "sigma"));
    assert_ne!(draws(&from_map, "mu"), draws(&from_uniform, "mu"));
}
