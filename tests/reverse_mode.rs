//! Reverse-mode gradients against forward-mode dual numbers and central finite differences.
//!
//! Every log-density, special function and bijection below is a function of four variables
//! `v = (a, b, c, t)`: the parameters are smooth functions of `a, b, c` and continuous values
//! move with `t`, so every parameter's partial derivative (and the value's) is exercised.
//! Tolerances: reverse and forward mode compute the same partials in a different order, so
//! they agree to 1e-10 relative; central differences with step h = 1e-5 have truncation error
//! O(h²·f''') ≈ 1e-10 and round-off ≈ ε·|f|/h ≈ 1e-10 here, so they agree to 1e-6 relative.

use smallx::dist::{Distribution, Mixture};
use smallx::infer::autoguide::{NormalScale, TransformedNormal};
use smallx::infer::grad::{GradMode, Objective, value_and_gradient};
use smallx::infer::{Adam, AutoNormal, Svi, TraceElbo, TraceMeanFieldElbo};
use smallx::prelude::*;
use smallx::scalar::{Recording, Rev, log_sum_exp};
use smallx::{DualSVec64, Scalar, ValueKind};

const POINTS: [[f64; 4]; 3] = [
    [0.3, -0.2, 0.5, 0.1],
    [-0.7, 0.4, -1.1, -0.3],
    [1.2, 0.9, 0.1, 0.4],
];

type Named<S> = Vec<(&'static str, Real<S>)>;

fn rv<S: Scalar>(xs: &[Real<S>]) -> DVector<Real<S>> {
    DVector::from_vec(xs.to_vec())
}

/// The log-density of every distribution at a value, each a function of `v`.
fn log_densities<S: Scalar>(v: [Real<S>; 4]) -> Named<S> {
    let [a, b, c, t] = v;
    let pos = b.exp();
    let prob = c.sigmoid();
    let x = 0.3 + t;
    let px = 0.7 + t;
    let unit = 0.35 + 0.5 * t;
    let mut out: Named<S> = vec![
        ("Normal", Normal::new(a, pos).unwrap().log_prob(&x)),
        ("HalfNormal", HalfNormal::new(pos).unwrap().log_prob(&px)),
        ("LogNormal", LogNormal::new(a, pos).unwrap().log_prob(&px)),
        ("Exponential", Exponential::new(pos).unwrap().log_prob(&px)),
        (
            "Gamma",
            Gamma::new(pos + 0.5, prob + 0.2).unwrap().log_prob(&px),
        ),
        ("Beta", Beta::new(pos, prob + 0.5).unwrap().log_prob(&unit)),
        (
            "Uniform",
            Uniform::new(a - 5.0, 5.0 + a + pos).unwrap().log_prob(&x),
        ),
        (
            "StudentT",
            StudentT::new(pos + 1.0, a, prob + 0.3)
                .unwrap()
                .log_prob(&x),
        ),
        ("Cauchy", Cauchy::new(a, pos).unwrap().log_prob(&x)),
        ("HalfCauchy", HalfCauchy::new(pos).unwrap().log_prob(&px)),
        ("Laplace", Laplace::new(a, pos).unwrap().log_prob(&x)),
        (
            "Weibull",
            Weibull::new(pos, prob + 0.5).unwrap().log_prob(&px),
        ),
        (
            "Pareto",
            Pareto::new(0.1 * pos, prob + 1.0).unwrap().log_prob(&px),
        ),
        (
            "TruncatedNormal",
            TruncatedNormal::new(a, pos, a - 2.0, 1.5 + pos)
                .unwrap()
                .log_prob(&x),
        ),
        (
            "TruncatedNormal(one-sided)",
            TruncatedNormal::new(a, pos, f64::NEG_INFINITY, 2.0 + c)
                .unwrap()
                .log_prob(&x),
        ),
        (
            // About 8 sd into the upper tail, the lower bound moving with the value.
            "TruncatedNormal(tail)",
            TruncatedNormal::new(a - 3.0, 0.2 * prob + 0.3, x - 0.05, f64::INFINITY)
                .unwrap()
                .log_prob(&x),
        ),
        ("VonMises", VonMises::new(a, pos).unwrap().log_prob(&x)),
        (
            "VonMises(concentrated)",
            VonMises::new(a, 30.0 * pos).unwrap().log_prob(&x),
        ),
        (
            "ImproperUniform",
            ImproperUniform::new(Constraint::Positive)
                .unwrap()
                .log_prob(&px),
        ),
        ("Delta", Delta::new(a).unwrap().log_prob(&a)),
        ("Bernoulli", Bernoulli::new(prob).unwrap().log_prob(&true)),
        (
            "Bernoulli(logits)",
            Bernoulli::logits(a * b).unwrap().log_prob(&false),
        ),
        ("Binomial", Binomial::new(10, prob).unwrap().log_prob(&3)),
        (
            "Binomial(k = 0)",
            Binomial::new(10, prob).unwrap().log_prob(&0),
        ),
        (
            "Binomial(k = n)",
            Binomial::new(10, prob).unwrap().log_prob(&10),
        ),
        ("Poisson(k = 0)", Poisson::new(pos).unwrap().log_prob(&0)),
        (
            "Categorical(logits)",
            Categorical::logits(&[a, b, c]).unwrap().log_prob(&1),
        ),
        (
            "Categorical",
            Categorical::new(&[prob, 1.0 - prob]).unwrap().log_prob(&0),
        ),
        ("Poisson", Poisson::new(pos).unwrap().log_prob(&2)),
        (
            "NegativeBinomial",
            NegativeBinomial::new(pos, prob).unwrap().log_prob(&3),
        ),
        (
            "NegativeBinomial(k = 0)",
            NegativeBinomial::new(pos, prob).unwrap().log_prob(&0),
        ),
        (
            "NegativeBinomial(logits)",
            NegativeBinomial::from_logits(pos, a).unwrap().log_prob(&4),
        ),
        (
            "NegativeBinomial(mean)",
            NegativeBinomial::from_mean(pos, prob + 0.5)
                .unwrap()
                .log_prob(&2),
        ),
        (
            "GammaPoisson",
            GammaPoisson::new(pos, prob + 0.1).unwrap().log_prob(&5),
        ),
        ("Geometric", Geometric::new(prob).unwrap().log_prob(&3)),
        (
            "Geometric(k = 0)",
            Geometric::new(prob).unwrap().log_prob(&0),
        ),
        (
            "ZeroInflatedPoisson(k = 0)",
            ZeroInflatedPoisson::new(prob, pos).unwrap().log_prob(&0),
        ),
        (
            "ZeroInflatedPoisson",
            ZeroInflatedPoisson::new(prob, pos).unwrap().log_prob(&3),
        ),
        (
            "BetaBinomial",
            BetaBinomial::new(pos, prob + 0.5, 8).unwrap().log_prob(&3),
        ),
        (
            "Multinomial",
            Multinomial::new(5, &[prob * 0.5, Real::new(0.5), 0.5 - prob * 0.5])
                .unwrap()
                .log_prob(&vec![2, 0, 3]),
        ),
        (
            "Dirichlet",
            Dirichlet::new(rv(&[pos, prob + 1.0, Real::new(2.0)]))
                .unwrap()
                .log_prob(&rv(&[unit * 0.5, 0.3 + 0.0 * t, 0.7 - unit * 0.5])),
        ),
        ("Factor", Factor::new(a * b).log_prob(&Real::new(0.0))),
    ];
    let cutpoints = [b - 1.0, b + pos, b + pos + 0.5];
    let ordered = OrderedLogistic::new(a, &cutpoints).unwrap();
    for (k, name) in [
        "OrderedLogistic(k = 0)",
        "OrderedLogistic(k = 1)",
        "OrderedLogistic(k = 2)",
        "OrderedLogistic(k = K)",
    ]
    .into_iter()
    .enumerate()
    {
        out.push((name, ordered.log_prob(&k)));
    }
    // A correlation factor that moves with every variable, and an η that moves too.
    let (corr, _) = Constraint::CorrCholesky
        .forward(&[a * 0.5, t, c - t], ValueKind::Matrix(3, 3))
        .unwrap();
    let Value::Matrix(corr) = corr else {
        unreachable!()
    };
    out.push((
        "LkjCholesky",
        LkjCholesky::new(3, pos + 0.5).unwrap().log_prob(&corr),
    ));
    out.push((
        "LkjCholesky(η < 1)",
        LkjCholesky::new(3, 0.3 * prob + 0.2)
            .unwrap()
            .log_prob(&corr),
    ));
    let loc = rv(&[a, b]);
    let tril = DMatrix::from_row_slice(2, 2, &[pos, Real::new(0.0), c, prob + 0.5]);
    let mvn_x = rv(&[0.1 + t, -0.2 * t]);
    out.push((
        "MultivariateNormal",
        MultivariateNormal::new(loc.clone(), tril)
            .unwrap()
            .log_prob(&mvn_x),
    ));
    let cov = DMatrix::from_row_slice(2, 2, &[pos + 1.0, prob, prob, Real::new(2.0)]);
    out.push((
        "MultivariateNormal(covariance)",
        MultivariateNormal::from_covariance(loc, &cov)
            .unwrap()
            .log_prob(&mvn_x),
    ));
    // i.i.d. normals over observed (constant) values and over values that move with t.
    let iid = Normal::new(a, pos).iid(3).unwrap();
    out.push((
        "Iid(observed)",
        iid.log_prob(&DVector::from_vec(vec![
            Real::new(0.1),
            Real::new(0.5),
            Real::new(-0.3),
        ])),
    ));
    out.push(("Iid(latent)", iid.log_prob(&rv(&[x, 2.0 * t, -t]))));
    out.push((
        "Batch",
        Batch::new([a, b, c].map(|m| Normal::new(m, pos)))
            .unwrap()
            .log_prob(&rv(&[x, Real::new(1.0), t])),
    ));
    let observed = DVector::from_vec(vec![Real::new(0.2), Real::new(-1.0), Real::new(0.7)]);
    out.push((
        "Batch(observed, one scale)",
        Batch::new([a, b, c].map(|m| Normal::new(m, pos)))
            .unwrap()
            .log_prob(&observed),
    ));
    out.push((
        "Batch(observed, scales)",
        Batch::new([(a, pos), (b, prob + 0.5), (c, pos)].map(|(m, s)| Normal::new(m, s)))
            .unwrap()
            .log_prob(&observed),
    ));
    out.push((
        "Batch(StudentT)",
        Batch::new([a, b, c].map(|m| StudentT::new(pos + 2.0, m, prob + 0.1)))
            .unwrap()
            .log_prob(&observed),
    ));
    out.push((
        "Mixture",
        Mixture::new(
            &[0.3, 0.7],
            [Normal::new(a, pos), Normal::new(b, 1.0 + prob)],
        )
        .unwrap()
        .log_prob(&x),
    ));
    out.push((
        "Mixture(latent weights)",
        Mixture::new(
            &rv(&[prob * 0.5, 1.0 - prob, prob * 0.5]),
            [
                Normal::new(a, pos),
                Normal::new(b, 1.0 + prob),
                Normal::new(c, 0.5),
            ],
        )
        .unwrap()
        .log_prob(&x),
    ));
    out.push((
        "Masked(kept)",
        Normal::new(a, pos).mask(true).unwrap().log_prob(&x),
    ));
    out.push((
        "Masked(dropped)",
        Gamma::new(pos, prob + 0.5)
            .mask(false)
            .unwrap()
            .log_prob(&px),
    ));
    let design = Design::new(DMatrix::from_row_slice(
        3,
        2,
        &[0.5, -1.0, 1.5, 0.2, -0.3, 0.8],
    ));
    let beta = rv(&[a, b]);
    out.push((
        "BernoulliGlm",
        BernoulliGlm::new(&design, &beta, c)
            .unwrap()
            .log_prob(&vec![true, false, true]),
    ));
    out.push((
        "NormalGlm",
        NormalGlm::new(&design, &beta, c, pos)
            .unwrap()
            .log_prob(&rv(&[x, Real::new(-0.4), t])),
    ));
    let diag = TransformedNormal::new(
        rv(&[a, b]),
        NormalScale::Diagonal(rv(&[pos, prob + 0.2])),
        Constraint::Positive,
        ValueKind::RealVec(2),
    )
    .unwrap();
    out.push((
        "TransformedNormal(diagonal)",
        diag.log_prob(&Value::RealVec(rv(&[px, 1.0 + t * t]))),
    ));
    let chol = TransformedNormal::new(
        rv(&[a, c]),
        NormalScale::Cholesky(DMatrix::from_row_slice(
            2,
            2,
            &[pos, Real::new(0.0), b, prob + 0.3],
        )),
        Constraint::Real,
        ValueKind::RealVec(2),
    )
    .unwrap();
    out.push((
        "TransformedNormal(Cholesky)",
        chol.log_prob(&Value::RealVec(rv(&[x, t]))),
    ));
    out
}

/// Every special and elementary function, each a function of `v`.
fn functions<S: Scalar>(v: [Real<S>; 4]) -> Named<S> {
    let [a, b, c, t] = v;
    let pos = b.exp() + 0.1;
    vec![
        ("erf", a.erf()),
        ("erfc", b.erfc()),
        ("normal_log_cdf", (c * 3.0 - 4.0).normal_log_cdf()),
        ("softplus", c.softplus()),
        ("ln_bessel_i0", (pos * 3.0).ln_bessel_i0()),
        ("ln_bessel_i0(large)", (pos * 40.0 + a).ln_bessel_i0()),
        ("log_sigmoid", a.log_sigmoid()),
        ("sigmoid", t.sigmoid()),
        ("ln_gamma", pos.ln_gamma()),
        ("digamma", pos.digamma()),
        ("ln_beta", pos.ln_beta(c.exp())),
        ("log_sum_exp", log_sum_exp(&[a, b, c, t])),
        ("exp", a.exp()),
        ("ln", pos.ln()),
        ("ln_1p", pos.ln_1p()),
        ("exp_m1", t.exp_m1()),
        ("sqrt", pos.sqrt()),
        ("recip", pos.recip()),
        ("abs", (a - 2.0).abs()),
        ("sin", a.sin()),
        ("cos", b.cos()),
        ("tan", c.tan()),
        ("atan", t.atan()),
        ("sinh", a.sinh()),
        ("cosh", b.cosh()),
        ("tanh", (2.0 * c).tanh()),
        ("powi", pos.powi(3)),
        ("powf", pos.powf(1.5)),
        ("powr", pos.powr(c)),
        (
            "arithmetic",
            (a * b - c / pos + 2.0 - t) / (1.0 + a * a) * -1.0,
        ),
        ("max_min", a.max(b) + b.min(c)),
        ("sum", [a, b * c, t].iter().sum()),
    ]
}

/// Every constraint's bijection and log-Jacobian, weighted into one number per constraint.
fn bijections<S: Scalar>(v: [Real<S>; 4]) -> Named<S> {
    let [a, b, c, t] = v;
    let cases: [(&'static str, Constraint, ValueKind, Vec<Real<S>>); 8] = [
        ("Real", Constraint::Real, ValueKind::Real, vec![a]),
        ("Positive", Constraint::Positive, ValueKind::Real, vec![b]),
        (
            "GreaterThan",
            Constraint::GreaterThan(1.5),
            ValueKind::Real,
            vec![c],
        ),
        (
            "LessThan",
            Constraint::LessThan(-2.0),
            ValueKind::Real,
            vec![t],
        ),
        (
            "Interval",
            Constraint::Interval(-1.0, 3.0),
            ValueKind::RealVec(2),
            vec![a, c],
        ),
        (
            "Simplex",
            Constraint::Simplex,
            ValueKind::RealVec(4),
            vec![a, b, c],
        ),
        (
            "LowerCholesky",
            Constraint::LowerCholesky,
            ValueKind::Matrix(3, 3),
            vec![a, b, c, t, a * t, b - c],
        ),
        (
            "CorrCholesky",
            Constraint::CorrCholesky,
            ValueKind::Matrix(3, 3),
            vec![a, b - t, c],
        ),
    ];
    cases
        .into_iter()
        .map(|(name, constraint, kind, u)| {
            let (value, ladj) = constraint.forward(&u, kind).unwrap();
            let weighted: Real<S> = match value {
                Value::Real(x) => x,
                Value::RealVec(xs) => xs
                    .iter()
                    .enumerate()
                    .map(|(i, &x)| x * (i as f64 + 1.0))
                    .sum(),
                Value::Matrix(m) => m
                    .iter()
                    .enumerate()
                    .map(|(i, &x)| x * (0.5 + i as f64))
                    .sum(),
                other => panic!("{name}: unexpected value {other:?}"),
            };
            (name, weighted + ladj * 1.7)
        })
        .collect()
}

/// Compare reverse mode with forward mode and central differences for each named output of
/// `$f`, at each of `POINTS`.
macro_rules! check_all {
    ($family:literal, $f:ident) => {{
        let h = 1e-5;
        for x in POINTS {
            // Forward mode: four directions in one pass.
            let fwd: Named<DualSVec64<4>> = $f(std::array::from_fn(|i| Real::variable(x[i], i)));
            let plain: Named<f64> = $f(x.map(Real));
            for (k, (name, fy)) in fwd.iter().enumerate() {
                // Reverse mode: one recording per output, so every output is its own gradient.
                let recording = Recording::start();
                let rev: Named<Rev> = $f(std::array::from_fn(|i| Real::variable(x[i], i)));
                let (_, ry) = rev[k];
                let mut grad = [0.0; 4];
                recording.gradient(ry.0, &mut grad);
                drop(recording);
                assert!(
                    (ry.value() - plain[k].1.value()).abs()
                        <= 1e-12 * plain[k].1.value().abs().max(1.0),
                    "{} {name} at {x:?}: reverse value {} vs f64 {}",
                    $family,
                    ry.value(),
                    plain[k].1.value()
                );
                for i in 0..4 {
                    let forward = fy.derivative(i);
                    assert!(
                        (grad[i] - forward).abs() <= 1e-10 * forward.abs().max(1.0),
                        "{} {name} at {x:?}, d/dv{i}: reverse {} vs forward {forward}",
                        $family,
                        grad[i]
                    );
                    let (mut up, mut down) = (x, x);
                    up[i] += h;
                    down[i] -= h;
                    let fd = ($f(up.map(Real))[k].1.value() - $f(down.map(Real))[k].1.value())
                        / (2.0 * h);
                    assert!(
                        (grad[i] - fd).abs() <= 1e-6 * fd.abs().max(1.0),
                        "{} {name} at {x:?}, d/dv{i}: reverse {} vs central difference {fd}",
                        $family,
                        grad[i]
                    );
                }
            }
        }
    }};
}

#[test]
fn every_distribution_has_the_forward_mode_gradient_in_reverse_mode() {
    check_all!("log-density", log_densities);
}

#[test]
fn every_special_function_has_the_forward_mode_gradient_in_reverse_mode() {
    check_all!("function", functions);
}

#[test]
fn every_bijection_and_log_jacobian_has_the_forward_mode_gradient_in_reverse_mode() {
    check_all!("bijection", bijections);
}

/// A model with reparameterised sites (`loc`, and `rate`, a gamma with implicit
/// reparameterisation gradients) and one the guide cannot reparameterise (`coin`, a
/// Bernoulli): the ELBO's surrogate has a score-function term.
#[model]
fn mixed(data: &[f64]) {
    let loc = sample!("loc", Normal::new(0.0, 2.0));
    let rate = sample!("rate", Gamma::new(2.0, 1.0));
    let coin = sample!("coin", Bernoulli::new(0.3));
    let shift = if coin { 1.0 } else { 0.0 };
    observe!(
        "y",
        Normal::new(loc + shift, 1.0 / rate.sqrt()).iid(data.len()),
        data
    );
}

#[model]
fn mixed_guide(data: &[f64]) {
    let m = param!("m", 0.5);
    let s = param!("s", 0.8, Constraint::Positive);
    sample!("loc", Normal::new(m, s));
    let a = param!("a", 3.0, Constraint::Positive);
    let b = param!("b", 2.0, Constraint::Positive);
    sample!("rate", Gamma::new(a, b));
    let p = param!("p", 0.4, Constraint::Interval(0.0, 1.0));
    sample!("coin", Bernoulli::new(p));
}

/// A varying-intercept regression, every site reparameterisable.
#[model]
fn hier(group: &[usize], x: &[f64], y: &[f64]) {
    let mu_a = sample!("mu_a", Normal::new(0.0, 5.0));
    let sigma_a = sample!("sigma_a", HalfNormal::new(2.5));
    let beta = sample!("beta", Normal::new(0.0, 5.0));
    let sigma = sample!("sigma", HalfNormal::new(2.5));
    let z = sample!("z", Normal::new(0.0, 1.0).iid(4));
    let means = group
        .iter()
        .zip(x)
        .map(|(&g, &xi)| Normal::new(mu_a + sigma_a * z[g] + beta * xi, sigma));
    observe!("y", Batch::new(means), y);
}

const DATA: [f64; 5] = [0.4, 1.9, -0.3, 1.2, 0.8];
const GROUP: [usize; 8] = [0, 0, 1, 1, 2, 2, 3, 3];
const X: [f64; 8] = [0.1, -0.5, 1.2, 0.3, -0.8, 0.9, 0.0, 1.5];
const Y: [f64; 8] = [1.0, 1.4, 0.2, 0.9, 2.1, 0.5, 1.1, -0.2];

fn loss_and_gradient<M, G>(
    model: M,
    guide: G,
    args: &M::Args<'_>,
    mode: GradMode,
    seed: u64,
    params: Option<&ParamStore>,
) -> (f64, Vec<f64>, ParamStore)
where
    M: Model,
    G: for<'a> Model<Args<'a> = M::Args<'a>>,
{
    let mut svi = Svi::new(
        model,
        guide,
        Adam::new(0.01),
        TraceElbo::new().num_particles(3),
    )
    .seed(seed)
    .progress(false)
    .grad_mode(mode);
    if let Some(p) = params {
        svi = svi.with_params(p.clone());
    }
    let (loss, grad) = svi.loss_and_gradient(args).unwrap();
    (loss, grad, svi.into_params())
}

fn assert_close(what: &str, a: f64, b: f64, rel: f64) {
    assert!(
        (a - b).abs() <= rel * b.abs().max(1.0),
        "{what}: {a} vs {b}"
    );
}

#[test]
fn the_elbo_with_score_function_sites_has_the_same_gradient_in_both_modes() {
    let data = condition(mixed, data! { "y" => DATA.to_vec() });
    let args = (&DATA[..],);
    for seed in [0, 1, 2] {
        let (lf, gf, _) = loss_and_gradient(
            data.clone(),
            mixed_guide,
            &args,
            GradMode::Forward,
            seed,
            None,
        );
        let (lr, gr, _) = loss_and_gradient(
            data.clone(),
            mixed_guide,
            &args,
            GradMode::Reverse,
            seed,
            None,
        );
        assert_eq!(gf.len(), 5);
        assert_close("loss", lr, lf, 1e-12);
        for (i, (r, f)) in gr.iter().zip(&gf).enumerate() {
            assert_close(&format!("seed {seed}, coordinate {i}"), *r, *f, 1e-10);
        }
    }
    // TraceMeanFieldElbo (an analytic KL term for `loc`) too.
    let run = |mode| {
        Svi::new(
            data.clone(),
            mixed_guide,
            Adam::new(0.01),
            TraceMeanFieldElbo::new(),
        )
        .seed(3)
        .progress(false)
        .grad_mode(mode)
        .loss_and_gradient(&args)
        .unwrap()
    };
    let ((lf, gf), (lr, gr)) = (run(GradMode::Forward), run(GradMode::Reverse));
    assert_close("mean-field loss", lr, lf, 1e-12);
    for (r, f) in gr.iter().zip(&gf) {
        assert_close("mean-field gradient", *r, *f, 1e-10);
    }
}

#[test]
fn the_reparameterised_elbo_gradient_matches_central_differences_in_both_modes() {
    let model = condition(hier, data! { "y" => Y.to_vec() });
    let args = (&GROUP[..], &X[..], &Y[..]);
    let (_, _, store) = loss_and_gradient(
        model.clone(),
        AutoNormal::new(model.clone()),
        &args,
        GradMode::Forward,
        5,
        None,
    );
    // Move away from the initial point so that no partial is special.
    let mut store = store;
    for (i, u) in store.unconstrained_mut().iter_mut().enumerate() {
        *u += 0.05 * ((i as f64) * 1.3).sin();
    }
    let (lf, gf, _) = loss_and_gradient(
        model.clone(),
        AutoNormal::new(model.clone()),
        &args,
        GradMode::Forward,
        5,
        Some(&store),
    );
    let (lr, gr, _) = loss_and_gradient(
        model.clone(),
        AutoNormal::new(model.clone()),
        &args,
        GradMode::Reverse,
        5,
        Some(&store),
    );
    assert_eq!(gr.len(), 2 * 8);
    assert_close("loss", lr, lf, 1e-12);
    let h = 1e-5;
    for i in 0..gr.len() {
        assert_close(
            &format!("coordinate {i}, reverse vs forward"),
            gr[i],
            gf[i],
            1e-10,
        );
        let shifted = |d: f64| {
            let mut s = store.clone();
            s.unconstrained_mut()[i] += d;
            loss_and_gradient(
                model.clone(),
                AutoNormal::new(model.clone()),
                &args,
                GradMode::Reverse,
                5,
                Some(&s),
            )
            .0
        };
        let fd = (shifted(h) - shifted(-h)) / (2.0 * h);
        assert_close(
            &format!("coordinate {i}, reverse vs central difference"),
            gr[i],
            fd,
            1e-6,
        );
    }
}

/// What `fragile` does: 0 runs normally, 1 panics, 2 fails with an invalid scale.
static FRAGILE_MODE: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// A model that panics or fails half-way through, after recording part of its tape.
#[model]
fn fragile() {
    let a = sample!("a", Normal::new(0.0, 1.0));
    let b = sample!("b", Gamma::new(2.0, 1.0));
    let c = a * b + a.exp();
    let mode = FRAGILE_MODE.load(std::sync::atomic::Ordering::SeqCst);
    if mode == 1 {
        panic!("a model that panics");
    }
    // mode 2: an invalid scale is an error naming the site.
    let scale = if mode == 2 { -b } else { b };
    observe!("y", Normal::new(c, scale), 0.7);
}

#[test]
fn a_panic_or_an_error_inside_a_model_leaves_the_next_gradient_correct() {
    use smallx::infer::Potential;
    use std::sync::atomic::Ordering;
    let (potential, _) =
        Potential::discover(&fragile, &(), &mut SmallRng::seed_from_u64(0)).unwrap();
    let u = [0.4, -0.2];
    let gradient = |mode: GradMode, flag: u8| {
        FRAGILE_MODE.store(flag, Ordering::SeqCst);
        let mut grad = [0.0; 2];
        let result = potential
            .grad_mode_ref(mode)
            .log_density_and_gradient(&u, &mut grad)
            .map(|v| (v, grad));
        FRAGILE_MODE.store(0, Ordering::SeqCst);
        result
    };
    let expected = gradient(GradMode::Forward, 0).unwrap();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        gradient(GradMode::Reverse, 1)
    }));
    assert!(panicked.is_err());
    FRAGILE_MODE.store(0, Ordering::SeqCst);
    let (value, grad) = gradient(GradMode::Reverse, 0).unwrap();
    assert_close("value after a panic", value, expected.0, 1e-12);
    for (g, e) in grad.iter().zip(expected.1) {
        assert_close("gradient after a panic", *g, e, 1e-10);
    }
    let err = gradient(GradMode::Reverse, 2).unwrap_err();
    assert!(err.to_string().contains("`y`"), "{err}");
    let (value, grad) = gradient(GradMode::Reverse, 0).unwrap();
    assert_close("value after an error", value, expected.0, 1e-12);
    for (g, e) in grad.iter().zip(expected.1) {
        assert_close("gradient after an error", *g, e, 1e-10);
    }
    // Nothing was left recorded: a fresh recording starts empty.
    assert_eq!(Recording::start().nodes(), 0);
}

/// An objective whose dimension exceeds what forward mode does in one pass, to check that
/// `GradMode::Auto` agrees with both explicit modes whichever it picks.
struct Quadratic(Vec<f64>);

impl Objective for Quadratic {
    fn eval<S: Scalar>(&mut self, first: Option<usize>) -> smallx::Result<Real<S>> {
        let x = smallx::infer::latent::lift_coordinates::<S>(&self.0, first);
        Ok(x.iter()
            .enumerate()
            .map(|(i, &xi)| xi * xi * (i as f64 + 1.0) + xi.sin())
            .sum())
    }
}

#[test]
fn auto_mode_agrees_with_both_modes_below_and_above_the_crossover() {
    for d in [3, 4, 5, 64, 300] {
        let mut q = Quadratic((0..d).map(|i| (i as f64 * 0.37).cos()).collect());
        let mut grads = [GradMode::Auto, GradMode::Forward, GradMode::Reverse].map(|mode| {
            let mut g = vec![0.0; d];
            let v = value_and_gradient(mode, &mut q, &mut g).unwrap();
            (v, g)
        });
        let (auto, rest) = grads.split_first_mut().unwrap();
        for (v, g) in rest.iter() {
            assert_close("value", auto.0, *v, 1e-12);
            for (i, gi) in g.iter().enumerate() {
                assert_close("gradient", auto.1[i], *gi, 1e-10);
                let exact = 2.0 * (i as f64 + 1.0) * q.0[i] + q.0[i].cos();
                assert_close("exact gradient", *gi, exact, 1e-12);
            }
        }
    }
}

#[test]
fn parallel_svi_runs_each_record_on_their_own_tape() {
    let model = condition(hier, data! { "y" => Y.to_vec() });
    let args = (&GROUP[..], &X[..], &Y[..]);
    let fit = |seed: u64| {
        let mut svi = Svi::new(
            model.clone(),
            AutoNormal::new(model.clone()),
            Adam::new(0.02),
            TraceElbo::new(),
        )
        .seed(seed)
        .progress(false)
        .grad_mode(GradMode::Reverse);
        let losses = svi.run(200, &args).unwrap();
        (losses, svi.into_params().unconstrained_vec())
    };
    let sequential: Vec<_> = (0..4).map(fit).collect();
    let parallel: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4).map(|seed| scope.spawn(move || fit(seed))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(sequential, parallel);
}

#[test]
fn map_finds_the_same_mode_in_both_modes() {
    let model = condition(hier, data! { "y" => Y.to_vec() });
    let args = (&GROUP[..], &X[..], &Y[..]);
    let run = |mode| {
        smallx::infer::Map::new(model.clone())
            .grad_mode(mode)
            .max_steps(3000)
            .tolerance(1e-9)
            .run(&args)
            .unwrap()
    };
    // Gradients that agree to round-off may stop L-BFGS an iteration apart; converged as
    // tightly as the log-joint's round-off allows, both runs end at the same mode.
    let (forward, reverse) = (run(GradMode::Forward), run(GradMode::Reverse));
    assert!(forward.steps.abs_diff(reverse.steps) <= 3);
    for (f, r) in forward.unconstrained.iter().zip(&reverse.unconstrained) {
        assert_close("MAP coordinate", *r, *f, 1e-6);
    }
}
