//! Invalid distribution parameters: a `DistError` outside a model, an error naming the site
//! inside one.

use super::*;
use smallx::DistError;

#[test]
fn normal_negative_scale() {
    assert_err!(
        Normal::<f64>::new(0.0, -1.0),
        DistError::NotPositive { param: "scale", .. },
        "scale",
        "-1"
    );
}

#[test]
fn normal_zero_scale() {
    assert_err!(
        Normal::<f64>::new(0.0, 0.0),
        DistError::NotPositive { .. },
        "scale",
        "0"
    );
}

#[test]
fn normal_nan_loc() {
    assert_err!(
        Normal::<f64>::new(f64::NAN, 1.0),
        DistError::NotFinite { .. },
        "loc",
        "NaN"
    );
}

#[test]
fn normal_infinite_loc() {
    assert_err!(
        Normal::<f64>::new(f64::INFINITY, 1.0),
        DistError::NotFinite { .. },
        "loc",
        "inf"
    );
}

#[test]
fn normal_nan_scale() {
    assert_err!(
        Normal::<f64>::new(0.0, f64::NAN),
        DistError::NotPositive { .. } | DistError::NotFinite { .. },
        "scale",
        "NaN"
    );
}

#[test]
fn half_normal_negative_scale() {
    assert_err!(
        HalfNormal::<f64>::new(-2.0),
        DistError::NotPositive { .. },
        "scale",
        "-2"
    );
}

#[test]
fn exponential_zero_rate() {
    assert_err!(
        Exponential::<f64>::new(0.0),
        DistError::NotPositive { .. },
        "rate",
        "0"
    );
}

#[test]
fn gamma_negative_concentration() {
    assert_err!(
        Gamma::<f64>::new(-1.0, 1.0),
        DistError::NotPositive { .. },
        "concentration",
        "-1"
    );
}

#[test]
fn gamma_infinite_rate() {
    assert_err!(
        Gamma::<f64>::new(1.0, f64::INFINITY),
        DistError::NotPositive { .. } | DistError::NotFinite { .. },
        "rate",
        "inf"
    );
}

#[test]
fn beta_zero_alpha() {
    assert_err!(
        Beta::<f64>::new(0.0, 1.0),
        DistError::NotPositive { .. },
        "0"
    );
}

#[test]
fn uniform_empty_interval() {
    assert_err!(
        Uniform::<f64>::new(2.0, 1.0),
        DistError::EmptyInterval { .. },
        "low",
        "high",
        "2",
        "1"
    );
}

#[test]
fn uniform_nan_bound() {
    assert!(Uniform::<f64>::new(f64::NAN, 1.0).is_err());
}

#[test]
fn student_t_negative_df() {
    assert_err!(
        StudentT::<f64>::new(-3.0, 0.0, 1.0),
        DistError::NotPositive { .. },
        "df",
        "-3"
    );
}

#[test]
fn bernoulli_probability_above_one() {
    assert_err!(
        Bernoulli::<f64>::new(1.5),
        DistError::OutOfRange { .. },
        "probs",
        "1.5"
    );
}

#[test]
fn bernoulli_nan_probability() {
    assert!(matches!(
        Bernoulli::<f64>::new(f64::NAN),
        Err(DistError::OutOfRange { .. } | DistError::NotFinite { .. })
    ));
}

#[test]
fn binomial_count_wrapped_from_a_negative_number() {
    // `-1_i64 as u64` is u64::MAX: a count no i64 draw can reach is refused.
    assert_err!(
        Binomial::<f64>::new(-1_i64 as u64, 0.5),
        DistError::OutOfRange {
            param: "total_count",
            ..
        },
        "total_count",
        "i64::MAX"
    );
}

#[test]
fn binomial_probability_negative() {
    assert_err!(
        Binomial::<f64>::new(10, -0.1),
        DistError::OutOfRange { .. },
        "probs",
        "-0.1"
    );
}

#[test]
fn categorical_probabilities_not_summing_to_one() {
    assert_err!(
        Categorical::<f64>::from_probs(&[0.2, 0.2]),
        DistError::NotNormalized { .. },
        "0.4"
    );
}

#[test]
fn categorical_empty() {
    assert!(Categorical::<f64>::from_probs(&[]).is_err());
}

#[test]
fn poisson_negative_rate() {
    assert_err!(
        Poisson::<f64>::new(-1.0),
        DistError::NotPositive { .. } | DistError::OutOfRange { .. },
        "rate",
        "-1"
    );
}

#[test]
fn dirichlet_zero_concentration() {
    assert_err!(
        Dirichlet::<f64>::from_f64(&[1.0, 0.0]),
        DistError::NotPositive { .. },
        "concentration",
        "0"
    );
}

#[test]
fn dirichlet_empty() {
    assert!(Dirichlet::<f64>::from_f64(&[]).is_err());
}

#[test]
fn multivariate_normal_mismatched_sizes() {
    let loc = DVector::from_vec(vec![Real::from(0.0); 2]);
    let tril = DMatrix::from_element(3, 3, Real::from(0.0));
    assert!(matches!(
        MultivariateNormal::<f64>::new(loc, tril),
        Err(DistError::Shape { .. } | DistError::NotPositiveDefinite(_))
    ));
}

#[test]
fn ordered_logistic_decreasing_cutpoints() {
    assert_err!(
        OrderedLogistic::<f64>::from_f64(0.0, &[1.0, 0.5]),
        DistError::NotIncreasing { .. },
        "cutpoints",
        "0.5"
    );
}

#[test]
fn truncated_normal_empty_interval() {
    assert!(TruncatedNormal::<f64>::new(0.0, 1.0, 1.0, -1.0).is_err());
}

#[test]
fn von_mises_negative_concentration() {
    assert!(VonMises::<f64>::new(0.0, -1.0).is_err());
}

#[test]
fn lkj_zero_concentration() {
    assert!(LkjCholesky::<f64>::new(3, 0.0).is_err());
}

#[model]
fn bad_scale_inside(scale: f64) {
    sample!("theta", Normal::new(0.0, scale));
}

#[test]
fn inside_a_model_the_error_names_the_site() {
    let mut rng = SmallRng::seed_from_u64(0);
    assert_err!(
        get_trace(&bad_scale_inside, &(-1.0,), &mut rng),
        smallx::Error::InvalidDistribution { .. },
        "`theta`",
        "Normal",
        "scale",
        "-1"
    );
}

#[test]
fn inside_a_model_nan_parameter_names_the_site() {
    let mut rng = SmallRng::seed_from_u64(0);
    assert_err!(
        get_trace(&bad_scale_inside, &(f64::NAN,), &mut rng),
        smallx::Error::InvalidDistribution { .. },
        "`theta`",
        "NaN"
    );
}

#[test]
fn outside_a_model_the_error_converts_to_the_one_error_type() {
    let e: smallx::Error = Normal::<f64>::new(0.0, -1.0).unwrap_err().into();
    assert_err!(
        Err::<(), _>(e),
        smallx::Error::Distribution(_),
        "scale",
        "-1"
    );
}
