//! Parse: the arguments of the statement macros (`sample!`, `observe!`, `param!`, `plate!`,
//! `markov!`, `factor!`, `deterministic!`, `call!`) into a [`Statement`].

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Expr, ExprClosure, Ident, Lit, Token};

/// Which statement macro.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sample,
    Observe,
    Param,
    Plate,
    Markov,
    Factor,
    Deterministic,
    Call,
}

impl Kind {
    pub fn from_ident(ident: &Ident) -> Option<Kind> {
        match ident.to_string().as_str() {
            "sample" => Some(Kind::Sample),
            "observe" => Some(Kind::Observe),
            "param" => Some(Kind::Param),
            "plate" => Some(Kind::Plate),
            "markov" => Some(Kind::Markov),
            "factor" => Some(Kind::Factor),
            "deterministic" => Some(Kind::Deterministic),
            "call" => Some(Kind::Call),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Sample => "sample!",
            Kind::Observe => "observe!",
            Kind::Param => "param!",
            Kind::Plate => "plate!",
            Kind::Markov => "markov!",
            Kind::Factor => "factor!",
            Kind::Deterministic => "deterministic!",
            Kind::Call => "call!",
        }
    }

    fn usage(self) -> &'static str {
        match self {
            Kind::Sample => {
                "sample! takes a site name and a distribution, and optionally an observation or \
                 `infer = enumerate`: `sample!(\"x\", Normal::new(0.0, 1.0))`, \
                 `sample!(\"x\", Normal::new(0.0, 1.0), obs = 0.5)` or \
                 `sample!(\"z\", Bernoulli::new(0.3), infer = enumerate)`"
            }
            Kind::Observe => {
                "observe! takes a site name, a distribution and the observed value: \
                 `observe!(\"y\", Normal::new(mu, 1.0), 0.5)`"
            }
            Kind::Param => {
                "param! takes a name, an initial value and optionally a constraint: \
                 `param!(\"a\", 0.0)` or `param!(\"b\", 1.0, Constraint::Positive)`"
            }
            Kind::Plate => {
                "plate! takes a name, a size, optionally `subsample = m`, and a closure over the \
                 indices: `plate!(\"data\", n, |idx| { ... })`"
            }
            Kind::Markov => {
                "markov! takes a name, a number of steps, optionally `history = h` (default 1), \
                 and a closure over the step: `markov!(\"chain\", n, |t| { ... })`"
            }
            Kind::Factor => {
                "factor! takes a name and a log-density term: `factor!(\"penalty\", -0.5 * x * x)`"
            }
            Kind::Deterministic => {
                "deterministic! takes a name and a value computed from other sites: \
                 `deterministic!(\"mu\", a + b * x)`"
            }
            Kind::Call => {
                "call! takes a call of another model, and optionally a name prefix for its sites: \
                 `call!(group(y))` or `call!(group(y), prefix = \"school\")`"
            }
        }
    }
}

/// A parsed statement macro.
pub enum Statement {
    /// `sample!` (whose `obs =` may be an `Option`), or `observe!` (whose value may not).
    Sample {
        name: Expr,
        dist: Expr,
        obs: Option<Expr>,
        observe: bool,
        /// `infer = enumerate` was given.
        enumerate: bool,
    },
    Param {
        name: Expr,
        init: Expr,
        constraint: Option<Expr>,
    },
    Plate {
        name: Expr,
        size: Expr,
        subsample: Option<Expr>,
        body: ExprClosure,
    },
    /// `markov!(name, steps, history = h, |t| body)`.
    Markov {
        name: Expr,
        steps: Expr,
        history: Option<Expr>,
        body: ExprClosure,
    },
    Factor {
        name: Expr,
        log_factor: Expr,
    },
    Deterministic {
        name: Expr,
        value: Expr,
    },
    Call {
        /// The model, `group` in `call!(group(y))`.
        model: Expr,
        /// Its arguments.
        args: Vec<Expr>,
        prefix: Option<Expr>,
    },
}

impl Statement {
    /// Visit every expression the statement holds (for the plate, its closure's body, which
    /// runs in the model and not as a closure).
    pub fn visit_exprs(&mut self, mut f: impl FnMut(&mut Expr)) {
        match self {
            Statement::Sample {
                name, dist, obs, ..
            } => {
                f(name);
                f(dist);
                if let Some(obs) = obs {
                    f(obs);
                }
            }
            Statement::Param {
                name,
                init,
                constraint,
            } => {
                f(name);
                f(init);
                if let Some(c) = constraint {
                    f(c);
                }
            }
            Statement::Plate {
                name,
                size,
                subsample,
                body,
            } => {
                f(name);
                f(size);
                if let Some(m) = subsample {
                    f(m);
                }
                f(&mut body.body);
            }
            Statement::Markov {
                name,
                steps,
                history,
                body,
            } => {
                f(name);
                f(steps);
                if let Some(h) = history {
                    f(h);
                }
                f(&mut body.body);
            }
            Statement::Factor { name, log_factor } => {
                f(name);
                f(log_factor);
            }
            Statement::Deterministic { name, value } => {
                f(name);
                f(value);
            }
            Statement::Call {
                model,
                args,
                prefix,
            } => {
                f(model);
                args.iter_mut().for_each(&mut f);
                if let Some(p) = prefix {
                    f(p);
                }
            }
        }
    }

    /// The site name, for statements that make a site.
    pub fn name(&self) -> Option<&Expr> {
        match self {
            Statement::Sample { name, .. }
            | Statement::Param { name, .. }
            | Statement::Plate { name, .. }
            | Statement::Factor { name, .. }
            | Statement::Deterministic { name, .. } => Some(name),
            Statement::Call { .. } | Statement::Markov { .. } => None,
        }
    }
}

/// One argument: an expression, or `key = expression`.
enum Arg {
    Positional(Expr),
    Keyword(Ident, Expr),
}

impl Parse for Arg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(Ident) && input.peek2(Token![=]) && !input.peek2(Token![==]) {
            let key: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            return Ok(Arg::Keyword(key, input.parse()?));
        }
        Ok(Arg::Positional(input.parse()?))
    }
}

/// Parse the tokens of a statement macro of `kind`.
pub fn parse(kind: Kind, mac: &syn::Macro) -> syn::Result<Statement> {
    let args = syn::parse::Parser::parse2(
        syn::punctuated::Punctuated::<Arg, Token![,]>::parse_terminated,
        mac.tokens.clone(),
    )
    .map_err(|e| syn::Error::new(e.span(), format!("{}; {}", e, kind.usage())))?;
    let mut positional = Vec::new();
    let mut keywords = Vec::new();
    for arg in args {
        match arg {
            Arg::Positional(e) => positional.push(e),
            Arg::Keyword(k, e) => keywords.push((k, e)),
        }
    }
    let allowed: &[&str] = match kind {
        Kind::Sample => &["obs", "infer"],
        Kind::Plate => &["subsample"],
        Kind::Markov => &["history"],
        Kind::Call => &["prefix"],
        _ => &[],
    };
    for (k, _) in &keywords {
        if !allowed.contains(&k.to_string().as_str()) {
            let hint = match allowed {
                [a] => format!(
                    "unknown option `{k}` for {}: the only option is `{a} = …`",
                    kind.name()
                ),
                [_, ..] => format!(
                    "unknown option `{k}` for {}: the options are {}",
                    kind.name(),
                    allowed
                        .iter()
                        .map(|a| format!("`{a} = …`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                [] => format!(
                    "{} takes no `{k} = …` option; {}",
                    kind.name(),
                    kind.usage()
                ),
            };
            return Err(syn::Error::new(k.span(), hint));
        }
    }
    let keyword = |name: &str| {
        keywords
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, e)| e.clone())
    };
    let arity_error = |what: &str| {
        syn::Error::new_spanned(mac, format!("{} {what}; {}", kind.name(), kind.usage()))
    };
    let statement = match kind {
        Kind::Sample | Kind::Observe => {
            let obs = keyword("obs");
            let enumerate = match keywords.iter().find(|(k, _)| k == "infer") {
                None => false,
                Some((_, Expr::Path(p))) if p.path.is_ident("enumerate") => true,
                Some((_, other)) => {
                    return Err(syn::Error::new(
                        other.span(),
                        "the only inference option of a site is `infer = enumerate` (sum the \
                         site out over its finite support instead of drawing it)",
                    ));
                }
            };
            if let (true, Some(o)) = (enumerate, &obs) {
                return Err(syn::Error::new(
                    o.span(),
                    "an observed site is not enumerated: `infer = enumerate` marks a latent \
                     discrete site to be summed out; remove one of `obs = …` and \
                     `infer = enumerate`",
                ));
            }
            let (name, dist, obs) = match (kind, positional.len(), obs) {
                (_, 0, _) => return Err(arity_error("needs a site name")),
                (_, 1, _) => return Err(arity_error("is missing its distribution")),
                (Kind::Sample, 2, obs) => (positional[0].clone(), positional[1].clone(), obs),
                (Kind::Observe, 2, None) => {
                    return Err(arity_error("is missing the observed value"));
                }
                (Kind::Observe, 3, None) => (
                    positional[0].clone(),
                    positional[1].clone(),
                    Some(positional[2].clone()),
                ),
                (Kind::Sample, 3, None) => {
                    return Err(syn::Error::new(
                        positional[2].span(),
                        "a third argument to sample! must be written `obs = value`; \
                         or use `observe!(name, dist, value)`",
                    ));
                }
                _ => return Err(arity_error("has too many arguments")),
            };
            Statement::Sample {
                name,
                dist,
                obs,
                observe: kind == Kind::Observe,
                enumerate,
            }
        }
        Kind::Param => match positional.len() {
            0 => return Err(arity_error("needs a name")),
            1 => return Err(arity_error("is missing the initial value")),
            2 | 3 => Statement::Param {
                name: positional[0].clone(),
                init: positional[1].clone(),
                constraint: positional.get(2).cloned(),
            },
            _ => return Err(arity_error("has too many arguments")),
        },
        Kind::Deterministic => match positional.len() {
            0 => return Err(arity_error("needs a name")),
            1 => return Err(arity_error("is missing the value")),
            2 => Statement::Deterministic {
                name: positional[0].clone(),
                value: positional[1].clone(),
            },
            _ => return Err(arity_error("has too many arguments")),
        },
        Kind::Call => match positional.as_slice() {
            [] => return Err(arity_error("needs a call of a model")),
            [Expr::Call(call)] => Statement::Call {
                model: (*call.func).clone(),
                args: call.args.iter().cloned().collect(),
                prefix: keyword("prefix"),
            },
            [Expr::MethodCall(m)] if m.method == "call" || m.method == "call_with" => {
                return Err(syn::Error::new(
                    m.method.span(),
                    format!(
                        "write the model's arguments directly: `call!(model(args..))`, not \
                         `.{}(..)`; {}",
                        m.method,
                        kind.usage()
                    ),
                ));
            }
            [other] => {
                return Err(syn::Error::new(
                    other.span(),
                    format!(
                        "expected a call of a model with its arguments, like `group(y)`; {}",
                        kind.usage()
                    ),
                ));
            }
            [_, extra, ..] => {
                return Err(syn::Error::new(
                    extra.span(),
                    format!(
                        "call! takes one call: put the model's arguments inside its parentheses; {}",
                        kind.usage()
                    ),
                ));
            }
        },
        Kind::Factor => match positional.len() {
            0 => return Err(arity_error("needs a name")),
            1 => return Err(arity_error("is missing the log-density term")),
            2 => Statement::Factor {
                name: positional[0].clone(),
                log_factor: positional[1].clone(),
            },
            _ => return Err(arity_error("has too many arguments")),
        },
        Kind::Plate => {
            let subsample = keyword("subsample");
            let body = match (positional.len(), positional.last()) {
                (3, Some(Expr::Closure(c))) => c.clone(),
                (3, Some(other)) => {
                    return Err(syn::Error::new(
                        other.span(),
                        format!(
                            "the last argument of plate! must be a closure over the indices, like `|idx| {{ ... }}`; {}",
                            kind.usage()
                        ),
                    ));
                }
                (n, _) if n < 3 => return Err(arity_error("needs a name, a size and a closure")),
                _ => return Err(arity_error("has too many arguments")),
            };
            if body.inputs.len() > 1 {
                return Err(syn::Error::new(
                    body.inputs.span(),
                    "the plate closure takes at most one argument, the plate's indices",
                ));
            }
            Statement::Plate {
                name: positional[0].clone(),
                size: positional[1].clone(),
                subsample,
                body,
            }
        }
        Kind::Markov => {
            let body = match (positional.len(), positional.last()) {
                (3, Some(Expr::Closure(c))) => c.clone(),
                (3, Some(other)) => {
                    return Err(syn::Error::new(
                        other.span(),
                        format!(
                            "the last argument of markov! must be a closure over the step, like `|t| {{ ... }}`; {}",
                            kind.usage()
                        ),
                    ));
                }
                (n, _) if n < 3 => {
                    return Err(arity_error("needs a name, a number of steps and a closure"));
                }
                _ => return Err(arity_error("has too many arguments")),
            };
            if body.inputs.len() > 1 {
                return Err(syn::Error::new(
                    body.inputs.span(),
                    "the markov closure takes at most one argument, the step (0, 1, ...)",
                ));
            }
            Statement::Markov {
                name: positional[0].clone(),
                steps: positional[1].clone(),
                history: keyword("history"),
                body,
            }
        }
    };
    Ok(statement)
}

/// The literal text of a site name, when it is a string literal.
pub fn literal_name(name: &Expr) -> Option<(String, Span)> {
    match name {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(s), ..
        }) => Some((s.value(), s.span())),
        _ => None,
    }
}
