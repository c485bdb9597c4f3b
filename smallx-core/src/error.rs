//! Errors: one enum for the runtime, one for distribution parameters.

use crate::value::ValueKind;

/// Result with smallx's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An invalid distribution parameter, carrying the offending value.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DistError {
    /// A parameter that must be positive is not (or is NaN).
    #[error("{param} must be positive, got {value}")]
    NotPositive {
        /// Parameter name.
        param: &'static str,
        /// Offending value.
        value: f64,
    },
    /// A parameter that must be finite is not.
    #[error("{param} must be finite, got {value}")]
    NotFinite {
        /// Parameter name.
        param: &'static str,
        /// Offending value.
        value: f64,
    },
    /// A parameter outside its allowed range.
    #[error("{param} must lie in {range}, got {value}")]
    OutOfRange {
        /// Parameter name.
        param: &'static str,
        /// The allowed range, written out.
        range: &'static str,
        /// Offending value.
        value: f64,
    },
    /// Lower bound not below the upper bound.
    #[error("low must be below high, got low = {low}, high = {high}")]
    EmptyInterval {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// Probabilities that do not sum to one.
    #[error("probs must sum to 1, got a sum of {sum}")]
    NotNormalized {
        /// The sum found.
        sum: f64,
    },
    /// An empty vector parameter.
    #[error("{param} must not be empty")]
    Empty {
        /// Parameter name.
        param: &'static str,
    },
    /// Vector and matrix parameters whose sizes disagree.
    #[error("{what}: {detail}")]
    Shape {
        /// What disagrees.
        what: &'static str,
        /// The sizes involved.
        detail: String,
    },
    /// A covariance that is not positive definite, or a Cholesky factor that is not lower
    /// triangular with a positive diagonal.
    #[error("{0}")]
    NotPositiveDefinite(String),
    /// A vector parameter that must be strictly increasing (ordinal cutpoints) is not.
    #[error("{param} must be strictly increasing, got {param}[{index}] = {value} after {previous}")]
    NotIncreasing {
        /// Parameter name.
        param: &'static str,
        /// The index of the first entry not above its predecessor.
        index: usize,
        /// The entry before it.
        previous: f64,
        /// The offending entry.
        value: f64,
    },
}

/// Everything that can go wrong when running a model or a handler.
///
/// Each variant names the site involved and says what was expected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Two sites with one name in one run.
    #[error(
        "duplicate site name `{0}`: every sample, observe, param and plate site in one run needs its own name"
    )]
    DuplicateSite(String),
    /// Data given to a handler names a site the model does not have.
    #[error("{handler}: the model has no site named `{name}`; its sites are: {known}")]
    UnknownSite {
        /// Which handler received the data.
        handler: &'static str,
        /// The unknown name.
        name: String,
        /// The sites the model did run, comma separated.
        known: String,
    },
    /// A value of the wrong type or shape for a site.
    #[error("site `{site}`: expected {expected} for {dist}, got {got}")]
    WrongValue {
        /// The site.
        site: String,
        /// The distribution or parameter at the site.
        dist: String,
        /// What the site needs.
        expected: ValueKind,
        /// What it was given.
        got: ValueKind,
    },
    /// A distribution built with invalid parameters.
    #[error("site `{site}`: invalid {dist}: {source}")]
    InvalidDistribution {
        /// The site.
        site: String,
        /// The distribution.
        dist: &'static str,
        /// What was wrong.
        source: DistError,
    },
    /// A parameter declared again with another shape or constraint.
    #[error("param `{site}`: {detail}")]
    Param {
        /// The parameter.
        site: String,
        /// What was wrong.
        detail: String,
    },
    /// A plate whose subsample size exceeds its size, or another plate misuse.
    #[error("plate `{site}`: {detail}")]
    Plate {
        /// The plate.
        site: String,
        /// What was wrong.
        detail: String,
    },
    /// A site looked up in a trace that does not have it.
    #[error("site `{0}` is not in the trace")]
    MissingSite(String),
    /// Replaying a trace whose site is observed there.
    #[error("replay: site `{0}` is observed in the trace being replayed, but latent in the model")]
    ReplayObserved(String),
    /// A site value or log-probability that is NaN or infinite where it must be finite.
    #[error("site `{site}`: {what} is not finite ({value})")]
    NonFinite {
        /// The site.
        site: String,
        /// What is not finite.
        what: &'static str,
        /// Its value.
        value: f64,
    },
    /// No initial point of a sampler or optimiser had a finite log-density (and gradient).
    #[error(
        "no valid initial point after {attempts} attempts: at the last one, {what} was not finite ({value}) at site `{site}`; give initial values (init_to_value) inside the support, or check the model's parameters"
    )]
    InitFailed {
        /// How many points were tried.
        attempts: usize,
        /// The first site whose log-density (or gradient) was not finite at the last attempt.
        site: String,
        /// What was not finite.
        what: &'static str,
        /// Its value.
        value: f64,
    },
    /// A handler left a site in a state the runtime cannot finish.
    #[error("site `{site}`: {detail}")]
    InvalidSite {
        /// The site.
        site: String,
        /// What is wrong with it.
        detail: String,
    },
    /// A handler configured with invalid options.
    #[error("{handler}: {detail}")]
    Handler {
        /// The handler.
        handler: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// A guide that does not fit its model.
    #[error("model/guide mismatch: {0}")]
    ModelGuideMismatch(String),
    /// A loss or gradient that went NaN or infinite during inference.
    #[error("step {step}: {what} is not finite ({value}); {culprit}")]
    NonFiniteLoss {
        /// The step (0-based).
        step: usize,
        /// The loss or the gradient.
        what: &'static str,
        /// The offending value.
        value: f64,
        /// The site or parameter responsible, when one is found: "the first non-finite site is
        /// `y` (log-probability -inf)".
        culprit: String,
    },
    /// A site an algorithm cannot handle.
    #[error("{algorithm}: site `{site}`: {detail}")]
    Unsupported {
        /// The algorithm.
        algorithm: &'static str,
        /// The site.
        site: String,
        /// Why, and what to do instead.
        detail: String,
    },
    /// An iterative algorithm that stopped before meeting its convergence criterion (its
    /// step limit, or no further progress): the estimate is not trustworthy.
    #[error("{algorithm} did not converge after {steps} steps: {detail}")]
    NotConverged {
        /// The algorithm.
        algorithm: &'static str,
        /// How many steps it took.
        steps: usize,
        /// Why it stopped, and how far from converged it was.
        detail: String,
    },
    /// An algorithm configured with invalid options.
    #[error("{algorithm}: {detail}")]
    Config {
        /// The algorithm.
        algorithm: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// A data file or string that could not be read.
    #[error("data: {0}")]
    Data(String),
    /// A constraint applied to a value it cannot hold.
    #[error("constraint {constraint}: {detail}")]
    Constraint {
        /// The constraint.
        constraint: String,
        /// What was wrong.
        detail: String,
    },
    /// A distribution built outside a model (to simulate data, say) with an invalid
    /// parameter; inside a model the same mistake is [`Error::InvalidDistribution`], which
    /// names the site.
    #[error("invalid distribution: {0}")]
    Distribution(#[from] DistError),
    /// An option of an algorithm, optimiser or tool set to a value outside its valid range
    /// (a learning rate of 0, a target acceptance of 1.5, zero chains): checked where the
    /// option is set or when the run starts, before any work is done.
    #[error("{algorithm}: option `{option}` must be {expected}, got {value}")]
    InvalidOption {
        /// The algorithm, optimiser or tool (`Adam`, `NUTS`, `Importance`).
        algorithm: &'static str,
        /// The option (`lr`, `target_accept`, `num_samples`).
        option: &'static str,
        /// The value given, written out.
        value: String,
        /// The valid range, written out (`a finite number in (0, 1)`).
        expected: &'static str,
    },
    /// An index beyond what a collection of draws holds: a chain, a draw, or an element of a
    /// site's value.
    #[error(
        "site `{site}`: {what} {index} is out of range: there are {len} {what}s, numbered from 0"
    )]
    IndexOutOfRange {
        /// The site whose draws were indexed.
        site: String,
        /// What was indexed: `chain`, `draw` or `element`.
        what: &'static str,
        /// The index given.
        index: usize,
        /// How many there are.
        len: usize,
    },
    /// A model that cannot be enumerated as asked: a continuous or unbounded site marked for
    /// enumeration, a support or a table too large, sites that change with an enumerated
    /// value, a site depending on an enumerated value it cannot see.
    #[error("enumerating `{site}`: {detail}")]
    Enumeration {
        /// The site.
        site: String,
        /// What was wrong, and what to do instead.
        detail: String,
    },
}
