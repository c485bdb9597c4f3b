//! Each handler, pinned down by the site fields it writes; plates, params and vector sites.

use smallx::prelude::*;
use smallx::{Ctx, DualSVec64, ParamHandler, Root, SiteKind};

#[model]
fn scale_model(guess: f64) -> Real {
    let weight = sample!("weight", Normal::new(guess, 1.0));
    sample!("measurement", Normal::new(weight, 0.75))
}

fn rng(seed: u64) -> SmallRng {
    SmallRng::seed_from_u64(seed)
}

#[test]
fn substitute_sets_values_but_keeps_sites_latent() {
    let t = get_trace(
        &substitute(scale_model, data! { "weight" => 9.0 }),
        &(8.5,),
        &mut rng(1),
    )
    .unwrap();
    let w = t.get("weight").unwrap();
    assert_eq!(t.real("weight").unwrap(), 9.0);
    assert!(w.is_latent());
    assert!(
        (w.log_prob.value()
            - Normal::<f64>::new(8.5, 1.0)
                .unwrap()
                .log_prob(&Real(9.0))
                .value())
        .abs()
            < 1e-15
    );
}

#[test]
fn replay_reproduces_the_latent_values_of_a_trace() {
    let first = get_trace(&scale_model, &(8.5,), &mut rng(1)).unwrap();
    let again = get_trace(&replay(scale_model, &first), &(8.5,), &mut rng(99)).unwrap();
    assert_eq!(first.real("weight").unwrap(), again.real("weight").unwrap());
    assert_eq!(
        first.real("measurement").unwrap(),
        again.real("measurement").unwrap()
    );
    // Sites the trace lacks run as usual; observed sites keep their data.
    let guide_like = get_trace(
        &block_names(scale_model, &["measurement"]),
        &(8.5,),
        &mut rng(3),
    )
    .unwrap();
    assert!(!guide_like.contains("measurement"));
    let conditioned = condition(
        replay(scale_model, &guide_like),
        data! { "measurement" => 9.5 },
    );
    let t = get_trace(&conditioned, &(8.5,), &mut rng(4)).unwrap();
    assert_eq!(
        t.real("weight").unwrap(),
        guide_like.real("weight").unwrap()
    );
    assert_eq!(t.real("measurement").unwrap(), 9.5);
}

#[test]
fn block_hides_sites_from_outer_handlers() {
    let t = get_trace(&block_all(scale_model), &(8.5,), &mut rng(1)).unwrap();
    assert!(t.is_empty());
    let t = get_trace(
        &block_except(scale_model, &["weight"]),
        &(8.5,),
        &mut rng(1),
    )
    .unwrap();
    assert_eq!(t.names().collect::<Vec<_>>(), ["weight"]);
    // An outer condition does not reach a blocked site: it is unknown to it.
    let err = get_trace(
        &condition(
            block_names(scale_model, &["weight"]),
            data! { "weight" => 1.0 },
        ),
        &(8.5,),
        &mut rng(1),
    );
    assert!(err.is_err());
    let t = get_trace(
        &block(scale_model, |_, kind| kind == SiteKind::Param),
        &(8.5,),
        &mut rng(1),
    )
    .unwrap();
    assert_eq!(t.len(), 2);
}

#[test]
fn seed_makes_runs_reproducible_whatever_the_callers_generator() {
    let seeded = seed(scale_model, 42);
    let a = get_trace(&seeded, &(8.5,), &mut rng(1)).unwrap();
    let b = get_trace(&seeded, &(8.5,), &mut rng(2)).unwrap();
    assert_eq!(a.real("weight").unwrap(), b.real("weight").unwrap());
    let c = get_trace(&seed(scale_model, 43), &(8.5,), &mut rng(1)).unwrap();
    assert_ne!(a.real("weight").unwrap(), c.real("weight").unwrap());
    // The innermost seed wins.
    let d = get_trace(&seed(seed(scale_model, 42), 7), &(8.5,), &mut rng(1)).unwrap();
    assert_eq!(a.real("weight").unwrap(), d.real("weight").unwrap());
}

#[test]
fn scale_and_mask_reweight_the_log_joint() {
    let base = get_trace(&seed(scale_model, 5), &(8.5,), &mut rng(1)).unwrap();
    let scaled = get_trace(
        &smallx::scale(seed(scale_model, 5), 3.0),
        &(8.5,),
        &mut rng(1),
    )
    .unwrap();
    assert!((scaled.log_joint().value() - 3.0 * base.log_joint().value()).abs() < 1e-12);
    assert_eq!(scaled.get("weight").unwrap().scale, 3.0);
    let masked = get_trace(&mask(seed(scale_model, 5), false), &(8.5,), &mut rng(1)).unwrap();
    assert_eq!(masked.log_joint().value(), 0.0);
    assert_eq!(masked.real("weight").unwrap(), base.real("weight").unwrap());
}

#[test]
fn a_trace_handler_can_sit_anywhere_in_a_composition() {
    // A trace records in postprocess, after every handler (inside or outside it) has
    // processed the site, as in Pyro: the inner trace also sees the conditioned value.
    let inner = trace(scale_model);
    let outer = condition(&inner, data! { "measurement" => 9.5 });
    let t_outer = get_trace(&outer, &(8.5,), &mut rng(1)).unwrap();
    let t_inner: Trace<f64> = inner.take_trace().unwrap();
    assert!(t_outer.get("measurement").unwrap().is_observed);
    assert!(t_inner.get("measurement").unwrap().is_observed);
    assert_eq!(t_inner.real("measurement").unwrap(), 9.5);
    assert_eq!(
        t_inner.real("weight").unwrap(),
        t_outer.real("weight").unwrap()
    );
    // Blocking between the two traces hides the sites from the outer one only.
    let inner = trace(scale_model);
    let t_outer = get_trace(&block_all(&inner), &(8.5,), &mut rng(1)).unwrap();
    assert!(t_outer.is_empty());
    assert_eq!(inner.take_trace::<f64>().unwrap().len(), 2);
}

#[model]
fn regression(x: &[f64], n: usize) -> Real {
    let slope = sample!("slope", Normal::new(0.0, 10.0));
    let noise = sample!("noise", HalfNormal::new(1.0));
    plate!("data", n, |idx| {
        for i in idx.indices() {
            // Runtime names, and f64 literals on either side of a site value.
            let mu = 2.0 * slope * x[i] - 1.0 + slope * 0.0 + (1.0 - slope) * 0.0;
            sample!(format!("y_{i}"), Normal::new(mu / 2.0 + 0.5, noise + 0.1));
        }
    });
    slope
}

#[test]
fn plates_scale_subsampled_sites_and_record_their_indices() {
    let x = [0.0, 1.0, 2.0, 3.0, 4.0];
    let t = get_trace(&regression, &(&x[..], 5), &mut rng(1)).unwrap();
    assert_eq!(t.len(), 7);
    assert!(
        t.iter()
            .filter(|s| s.name.starts_with("y_"))
            .all(|s| s.scale == 1.0 && s.plates.len() == 1)
    );

    #[model]
    fn minibatch(y: &[f64], m: usize) {
        let mu = sample!("mu", Normal::new(0.0, 1.0));
        plate!("obs", y.len(), subsample = m, |batch| {
            let ys = batch.select(y);
            observe!("y", Normal::new(mu, 1.0).iid(ys.len()), &ys);
        });
    }
    let y: Vec<f64> = (0..100).map(|i| i as f64 / 100.0).collect();
    let t = get_trace(&minibatch, &(&y[..], 10), &mut rng(2)).unwrap();
    let plate = t.get("obs").unwrap();
    assert_eq!(plate.kind, SiteKind::Plate);
    assert_eq!(plate.value.kind().to_string(), "a vector of 10 integers");
    assert_eq!(t.get("y").unwrap().scale, 10.0);
    // Replaying the trace reuses the subsample, so model and guide can share it.
    let again = get_trace(&replay(minibatch, &t), &(&y[..], 10), &mut rng(3)).unwrap();
    assert_eq!(again.value("obs").unwrap(), &plate.value);
    assert_eq!(again.get("y").unwrap().value, t.get("y").unwrap().value);
}

#[model]
fn guide(guess: f64) -> Real {
    let a = param!("a", guess);
    let b = param!("b", 1.0, Constraint::Positive);
    let w = param!("w", vec![0.5, 0.25, 0.25], Constraint::Simplex);
    sample!("weight", Normal::new(a + 0.0 * w[0], b))
}

#[test]
fn params_live_in_an_explicit_store_and_are_stored_unconstrained() {
    // Without a store, a param takes its initial value.
    let t = get_trace(&guide, &(8.5,), &mut rng(1)).unwrap();
    assert_eq!(t.real("a").unwrap(), 8.5);
    assert_eq!(t.params().count(), 3);
    let mut store = ParamStore::new();
    get_trace_with_params(&guide, &(8.5,), &mut rng(1), &mut store).unwrap();
    assert_eq!(store.num_params(), 3);
    assert_eq!(store.len(), 1 + 1 + 2);
    assert_eq!(store.real("b"), Some(1.0));
    assert!((store.unconstrained_of("b").unwrap()[0] - 0.0).abs() < 1e-15);
    // A later run with another guess keeps the stored value (Pyro's setdefault semantics).
    let t = get_trace_with_params(&guide, &(0.0,), &mut rng(1), &mut store).unwrap();
    assert_eq!(t.real("a").unwrap(), 8.5);
    // Moving the unconstrained vector moves the constrained values.
    let mut flat = store.unconstrained_vec();
    flat[1] = 2.0_f64.ln();
    store.set_unconstrained(&flat).unwrap();
    assert!((store.real("b").unwrap() - 2.0).abs() < 1e-12);
    let w = store.value("w").unwrap().real_values().unwrap();
    assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12 && (w[0] - 0.5).abs() < 1e-12);
}

#[test]
fn a_differentiating_param_handler_seeds_derivatives_in_unconstrained_space() {
    let mut store = ParamStore::new();
    get_trace_with_params(&guide, &(8.5,), &mut rng(1), &mut store).unwrap();
    // d weight / d (a, log b) with weight = a + b·ε: (1, b·ε) = (1, weight − a).
    let mut generator = rng(5);
    let mut root = Root::new(&mut generator);
    let mut cx = Ctx::<DualSVec64<2>>::new(&mut root);
    let w = cx
        .with_handler(ParamHandler::differentiating(&mut store, 0), |cx| {
            guide.run(cx, &(8.5,))
        })
        .unwrap();
    assert_eq!(w.derivative(0), 1.0);
    assert!((w.derivative(1) - (w.value() - 8.5)).abs() < 1e-12);
}

#[model]
fn vector_sites(k: usize) -> DVector<Real> {
    let z = sample!("z", Normal::new(0.0, 1.0).iid(k));
    let p = sample!("p", Dirichlet::from_f64(&[1.0, 1.0, 1.0]));
    let c = sample!("c", Categorical::new(p.as_slice()));
    let flips = sample!("flips", Bernoulli::new(0.5).iid(4));
    let n = sample!("n", Poisson::new(3.0));
    observe!("obs", Normal::new(z[0], 1.0).iid(2), [0.1, 0.2]);
    let _ = (c, flips, n);
    z
}

#[test]
fn site_values_are_typed_by_their_distribution() {
    let t = get_trace(&vector_sites, &(3,), &mut rng(1)).unwrap();
    let kinds: Vec<String> = t.iter().map(|s| s.value.kind().to_string()).collect();
    assert_eq!(
        kinds,
        [
            "a vector of 3 reals",
            "a vector of 3 reals",
            "an integer",
            "a vector of 4 booleans",
            "an integer",
            "a vector of 2 reals"
        ]
    );
    assert_eq!(t.ret().len(), 3);
}

#[test]
fn data_loads_from_json_and_csv() {
    let d = Data::from_json(
        r#"{"J": 8, "y": [28, 8, -3], "sigma": [15.0, 10.5], "ok": true, "m": [[1, 2], [3, 4]]}"#,
    )
    .unwrap();
    assert_eq!(d.get("J"), Some(&Value::Int(8)));
    assert_eq!(d.get("y"), Some(&Value::IntVec(vec![28, 8, -3])));
    assert_eq!(
        d.get("sigma").unwrap().kind().to_string(),
        "a vector of 2 reals"
    );
    assert_eq!(d.get("m").unwrap().kind().to_string(), "a 2x2 matrix");
    let err = Data::from_json(r#"{"description": "text"}"#)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("field `description`: a string is not a site value"),
        "{err}"
    );
    let d = Data::from_json_keys(r#"{"description": "text", "x": 1.5}"#, &["x"]).unwrap();
    assert_eq!(d.len(), 1);
    let c = Data::from_csv("x,y\n1,0.5\n2,1.5\n").unwrap();
    assert_eq!(c.get("x"), Some(&Value::IntVec(vec![1, 2])));
    assert_eq!(c.get("y").unwrap().real_values(), Some(vec![0.5, 1.5]));
}

#[model]
fn penalised(strength: f64) -> Real {
    let x = sample!("x", Normal::new(0.0, 1.0));
    factor!("penalty", -strength * x * x);
    x
}

#[test]
fn factor_adds_a_term_to_the_log_joint() {
    let t = get_trace(&penalised, &(3.0,), &mut rng(1)).unwrap();
    let x = t.real("x").unwrap();
    let site = t.get("penalty").unwrap();
    assert!(site.is_observed);
    assert!((site.log_prob.value() + 3.0 * x * x).abs() < 1e-12);
    assert!((t.log_likelihood().value() + 3.0 * x * x).abs() < 1e-12);
}
