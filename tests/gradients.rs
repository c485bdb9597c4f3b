//! The gradient of a log-joint, computed with dual numbers in one forward pass, against
//! central finite differences. Three latent sites feed the parameters of every distribution
//! and every special function, so each one's derivative is exercised.
//!
//! Central differences with step h = 1e-5 have truncation error O(h²·f''') ≈ 1e-10 and
//! round-off ≈ ε·|f|/h ≈ 1e-9 here; the tolerance is 1e-6 relative (absolute below 1).

use smallx::prelude::*;
use smallx::{DualSVec64, Scalar, log_density, scalar::log_sum_exp};

#[model]
fn every_distribution() {
    let a = sample!("a", Normal::new(0.0, 1.0));
    let b = sample!("b", Normal::new(0.0, 1.0));
    let c = sample!("c", Normal::new(0.0, 1.0));
    let pos = b.exp();
    let prob = c.sigmoid();
    observe!("normal", Normal::new(a, pos), 0.3);
    observe!("half_normal", HalfNormal::new(pos), 0.7);
    observe!("log_normal", LogNormal::new(a, pos), 1.3);
    observe!("exponential", Exponential::new(pos), 0.4);
    observe!("gamma", Gamma::new(pos + 0.5, prob + 0.2), 1.1);
    observe!("beta", Beta::new(pos, prob + 0.5), 0.35);
    observe!("uniform", Uniform::new(a - 5.0, 5.0 + a + pos), 0.2);
    observe!("student_t", StudentT::new(pos + 1.0, a, prob + 0.3), 0.9);
    observe!("cauchy", Cauchy::new(a, pos), -0.4);
    observe!("half_cauchy", HalfCauchy::new(pos), 0.6);
    observe!("laplace", Laplace::new(a, pos), 0.25);
    observe!("weibull", Weibull::new(pos, prob + 0.5), 0.8);
    observe!("pareto", Pareto::new(0.1 * pos, prob + 1.0), 0.9);
    observe!(
        "truncated_normal",
        TruncatedNormal::new(a, pos, a - 2.0, 1.5 + pos),
        0.3
    );
    observe!(
        "truncated_normal_tail",
        TruncatedNormal::new(a - 3.0, 0.2 * prob + 0.3, 0.25, f64::INFINITY),
        0.3
    );
    let l_corr = DMatrix::from_row_slice(3, 3, &[1.0, 0.0, 0.0, 0.6, 0.8, 0.0, -0.36, 0.48, 0.8]);
    observe!("lkj_cholesky", LkjCholesky::new(3, pos + 0.5), l_corr);
    observe!("von_mises", VonMises::new(a, pos), 0.4);
    observe!(
        "improper_uniform",
        ImproperUniform::new(Constraint::Positive),
        0.5
    );
    observe!("delta", Delta::new(a), a);
    observe!("bernoulli", Bernoulli::new(prob), true);
    observe!("bernoulli_logits", Bernoulli::logits(a * b), false);
    observe!("binomial", Binomial::new(10, prob), 3_i64);
    observe!(
        "categorical_logits",
        Categorical::logits(&[a, b, c]),
        1_usize
    );
    observe!(
        "categorical_probs",
        Categorical::new(&[prob, 1.0 - prob]),
        0_usize
    );
    observe!("poisson", Poisson::new(pos), 2_i64);
    observe!("negative_binomial", NegativeBinomial::new(pos, prob), 3_i64);
    observe!(
        "negative_binomial_0",
        NegativeBinomial::new(pos, prob),
        0_i64
    );
    observe!("nb_logits", NegativeBinomial::from_logits(pos, a), 4_i64);
    observe!(
        "nb_mean",
        NegativeBinomial::from_mean(pos, prob + 0.5),
        2_i64
    );
    observe!("gamma_poisson", GammaPoisson::new(pos, prob + 0.1), 5_i64);
    observe!("geometric", Geometric::new(prob), 3_i64);
    observe!("zip_zero", ZeroInflatedPoisson::new(prob, pos), 0_i64);
    observe!("zip", ZeroInflatedPoisson::new(prob, pos), 3_i64);
    observe!(
        "beta_binomial",
        BetaBinomial::new(pos, prob + 0.5, 8),
        3_i64
    );
    observe!(
        "multinomial",
        Multinomial::new(5, &[prob * 0.5, Real::new(0.5), 0.5 - prob * 0.5]),
        vec![2_i64, 0, 3]
    );
    let cutpoints = [b - 1.0, b + pos, b + pos + 0.5];
    for k in 0..4_usize {
        observe!(
            format!("ordered_logistic_{k}"),
            OrderedLogistic::new(a, &cutpoints),
            k
        );
    }
    let alpha = DVector::from_vec(vec![pos, prob + 1.0, Real::new(2.0)]);
    observe!("dirichlet", Dirichlet::new(alpha), [0.2, 0.3, 0.5]);
    let loc = DVector::from_vec(vec![a, b]);
    let tril = DMatrix::from_row_slice(2, 2, &[pos, Real::new(0.0), c, prob + 0.5]);
    observe!(
        "mvn",
        MultivariateNormal::new(loc.clone(), tril),
        [0.1, -0.2]
    );
    let cov = DMatrix::from_row_slice(2, 2, &[pos + 1.0, prob, prob, Real::new(2.0)]);
    observe!(
        "mvn_cov",
        MultivariateNormal::from_covariance(loc, &cov),
        [0.3, 0.4]
    );
    observe!("iid", Normal::new(a, pos).iid(3), [0.1, 0.5, -0.3]);
    observe!(
        "batch",
        Batch::new([a, b, c].map(|m| Laplace::new(m, 1.5))),
        [0.0, 1.0, 2.0]
    );
    let special = a.erf()
        + b.erfc()
        + c.normal_log_cdf()
        + c.softplus()
        + a.log_sigmoid()
        + pos.digamma()
        + pos.ln_gamma()
        + pos.ln_beta(prob)
        + log_sum_exp(&[a, b, c])
        + (2.0 * a).tanh()
        + pos.powf(1.5)
        + pos.sqrt()
        + (1.0 / pos)
        - b.atan();
    observe!("special", Normal::new(special, 1.0), 0.5);
}

fn log_joint<S: Scalar>(x: [Real<S>; 3]) -> f64
where
    Real<S>: Copy,
{
    let values = [
        ("a", Value::Real(x[0])),
        ("b", Value::Real(x[1])),
        ("c", Value::Real(x[2])),
    ];
    log_density(
        &every_distribution,
        &(),
        &values,
        &mut SmallRng::seed_from_u64(0),
    )
    .unwrap()
    .value()
}

fn gradient(x: [f64; 3]) -> (f64, [f64; 3]) {
    let values: Vec<(&str, Value<DualSVec64<3>>)> = ["a", "b", "c"]
        .iter()
        .enumerate()
        .map(|(i, &n)| (n, Value::Real(Real::variable(x[i], i))))
        .collect();
    let lp = log_density(
        &every_distribution,
        &(),
        &values,
        &mut SmallRng::seed_from_u64(0),
    )
    .unwrap();
    (
        lp.value(),
        [lp.derivative(0), lp.derivative(1), lp.derivative(2)],
    )
}

#[test]
fn the_dual_gradient_of_the_log_joint_matches_central_differences() {
    let h = 1e-5;
    for x in [[0.3, -0.2, 0.5], [-0.7, 0.4, -1.1], [1.2, 0.9, 0.1]] {
        let (value, grad) = gradient(x);
        let plain = log_joint::<f64>(x.map(Real));
        assert!(
            (value - plain).abs() < 1e-12 * plain.abs().max(1.0),
            "dual value {value} vs f64 {plain}"
        );
        for i in 0..3 {
            let mut up = x;
            let mut down = x;
            up[i] += h;
            down[i] -= h;
            let fd =
                (log_joint::<f64>(up.map(Real)) - log_joint::<f64>(down.map(Real))) / (2.0 * h);
            let tol = 1e-6 * fd.abs().max(1.0);
            assert!(
                (grad[i] - fd).abs() < tol,
                "d/d{} at {x:?}: dual {} vs finite difference {fd}",
                ["a", "b", "c"][i],
                grad[i]
            );
        }
    }
}

#[test]
fn scalar_and_vector_duals_agree() {
    let x = [0.3, -0.2, 0.5];
    let (_, grad) = gradient(x);
    for (i, name) in ["a", "b", "c"].iter().enumerate() {
        let values: Vec<(&str, Value<smallx::Dual64>)> = ["a", "b", "c"]
            .iter()
            .enumerate()
            .map(|(j, &n)| {
                (
                    n,
                    Value::Real(if i == j {
                        Real::variable(x[j], 0)
                    } else {
                        Real::new(x[j])
                    }),
                )
            })
            .collect();
        let lp = log_density(
            &every_distribution,
            &(),
            &values,
            &mut SmallRng::seed_from_u64(0),
        )
        .unwrap();
        assert!(
            (lp.derivative(0) - grad[i]).abs() < 1e-12 * grad[i].abs().max(1.0),
            "d/d{name}"
        );
    }
}
