//! Parsing the arguments of the statement macros: `sample!`, `observe!`, `param!`, `plate!`.

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
    Factor,
}

impl Kind {
    pub fn from_ident(ident: &Ident) -> Option<Kind> {
        match ident.to_string().as_str() {
            "sample" => Some(Kind::Sample),
            "observe" => Some(Kind::Observe),
            "param" => Some(Kind::Param),
            "plate" => Some(Kind::Plate),
            "factor" => Some(Kind::Factor),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Sample => "sample!",
            Kind::Observe => "observe!",
            Kind::Param => "param!",
            Kind::Plate => "plate!",
            Kind::Factor => "factor!",
        }
    }

    fn usage(self) -> &'static str {
        match self {
            Kind::Sample => {
                "sample! takes a site name and a distribution, and optionally an observation: \
                 `sample!(\"x\", Normal::new(0.0, 1.0))` or `sample!(\"x\", Normal::new(0.0, 1.0), obs = 0.5)`"
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
            Kind::Factor => {
                "factor! takes a name and a log-density term: `factor!(\"penalty\", -0.5 * x * x)`"
            }
        }
    }
}

/// A parsed statement macro.
pub enum Statement {
    Sample {
        name: Expr,
        dist: Expr,
        obs: Option<Expr>,
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
    Factor {
        name: Expr,
        log_factor: Expr,
    },
}

impl Statement {
    pub fn name(&self) -> &Expr {
        match self {
            Statement::Sample { name, .. }
            | Statement::Param { name, .. }
            | Statement::Plate { name, .. }
            | Statement::Factor { name, .. } => name,
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
        Kind::Sample => &["obs"],
        Kind::Plate => &["subsample"],
        _ => &[],
    };
    for (k, _) in &keywords {
        if !allowed.contains(&k.to_string().as_str()) {
            let hint = match allowed.first() {
                Some(a) => format!(
                    "unknown option `{k}` for {}: the only option is `{a} = …`",
                    kind.name()
                ),
                None => format!(
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
            Statement::Sample { name, dist, obs }
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
    };
    check_name(statement.name())?;
    Ok(statement)
}

/// A site name must be a string: reject other literals at compile time.
fn check_name(name: &Expr) -> syn::Result<()> {
    if let Expr::Lit(lit) = name
        && !matches!(lit.lit, Lit::Str(_))
    {
        return Err(syn::Error::new(
            lit.span(),
            "a site name must be a string: a literal like \"weight\", or a String built at run time such as `format!(\"z_{i}\")`",
        ));
    }
    Ok(())
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
