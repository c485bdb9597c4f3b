//! Validate: the checks on a parsed model and its statements, each an error with a span on
//! the offending tokens. Nothing here generates code.

use crate::ast::{ModelArg, ModelFn};
use crate::statement::{self, Kind, Statement};
use proc_macro2::Span;
use std::collections::HashMap;
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{Expr, ExprMethodCall, FnArg, Lit, Path, Type};

/// Reject signatures a model cannot have.
pub fn signature(f: &ModelFn) -> syn::Result<()> {
    let sig = &f.sig;
    if let Some(t) = &sig.asyncness {
        return Err(syn::Error::new(
            t.span(),
            "a model cannot be `async`: inference runs model bodies synchronously, many times",
        ));
    }
    if let Some(t) = &sig.constness {
        return Err(syn::Error::new(t.span(), "a model cannot be `const`"));
    }
    if let Some(t) = &sig.unsafety {
        return Err(syn::Error::new(t.span(), "a model cannot be `unsafe`"));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        return Err(syn::Error::new_spanned(
            &sig.generics,
            "a model cannot declare generic parameters: its body is already generic over the \
             scalar type, which it names `Real`",
        ));
    }
    if let Some(FnArg::Receiver(r)) = sig.inputs.first() {
        return Err(syn::Error::new(
            r.span(),
            "a model is a free function: it cannot take `self`",
        ));
    }
    if let Some(v) = &sig.variadic {
        return Err(syn::Error::new(v.span(), "a model cannot be variadic"));
    }
    if sig.ident.to_string().starts_with("__smallx") {
        return Err(syn::Error::new(
            sig.ident.span(),
            "names starting with `__smallx` are reserved",
        ));
    }
    Ok(())
}

/// An argument's type, with references given the lifetime of `Args<'a>`; or why the
/// argument cannot be a model argument.
pub fn argument(arg: &ModelArg<'_>) -> syn::Result<Type> {
    if let Type::ImplTrait(t) = arg.ty {
        return Err(syn::Error::new(
            t.span(),
            "model arguments cannot be `impl Trait`: give a concrete type",
        ));
    }
    let mut ty = arg.ty.clone();
    if let Some(span) = with_arg_lifetime(&mut ty) {
        return Err(syn::Error::new(
            span,
            "model arguments cannot name lifetimes: write `&[f64]`, not `&'a [f64]`",
        ));
    }
    Ok(ty)
}

/// True when an argument's type uses `Real`: the function is then a sub-model, whose
/// arguments carry the caller's scalar type, callable only with `call!` inside a model.
pub fn uses_real(arg: &ModelArg<'_>) -> bool {
    mentions_real(arg.ty).is_some()
}

/// The checks on one statement that need no context: site names and prefixes that are
/// literals must be strings (and a prefix non-empty, without `/` at its end).
pub fn statement(statement: &Statement) -> syn::Result<()> {
    if let Some(name) = statement.name()
        && let Expr::Lit(lit) = name
        && !matches!(lit.lit, Lit::Str(_))
    {
        return Err(syn::Error::new(
            lit.span(),
            "a site name must be a string: a literal like \"weight\", or a String built at run time such as `format!(\"z_{i}\")`",
        ));
    }
    if let Statement::Call {
        prefix: Some(Expr::Lit(lit)),
        ..
    } = statement
    {
        let ok =
            matches!(&lit.lit, Lit::Str(s) if !s.value().is_empty() && !s.value().ends_with('/'));
        if !ok {
            return Err(syn::Error::new(
                lit.span(),
                "a prefix must be a non-empty string without a trailing `/`, like \
                 `prefix = \"school\"`: the sub-model's sites are then named `school/<name>`",
            ));
        }
    }
    Ok(())
}

/// Site names written as literals in straight-line code, to refuse a second use.
#[derive(Default)]
pub struct SiteNames {
    first_use: HashMap<String, Span>,
}

impl SiteNames {
    /// Record the literal name of `statement`; an error if it was used before.
    pub fn record(&mut self, statement: &Statement) -> syn::Result<()> {
        let Some((text, span)) = statement.name().and_then(statement::literal_name) else {
            return Ok(());
        };
        match self.first_use.get(&text) {
            Some(&first) => {
                let mut e = syn::Error::new(
                    span,
                    format!(
                        "duplicate site name \"{text}\": each site needs its own name in one run \
                         (to draw several values, build names at run time, e.g. `format!(\"{text}_{{i}}\")`)"
                    ),
                );
                e.combine(syn::Error::new(
                    first,
                    format!("\"{text}\" is first used here"),
                ));
                Err(e)
            }
            None => {
                self.first_use.insert(text, span);
                Ok(())
            }
        }
    }
}

/// A statement macro inside a closure or async block cannot reach the model's context.
pub fn outside_closures(kind: Kind, mac: &syn::Macro, closure_depth: usize) -> syn::Result<()> {
    if closure_depth == 0 {
        return Ok(());
    }
    Err(syn::Error::new_spanned(
        mac,
        format!(
            "{} cannot be used inside a closure or async block: the model's context \
             cannot be captured there; use a `for` loop instead",
            kind.name()
        ),
    ))
}

/// `helper.call(..)` or `helper.call_with(..)` inside a model runs `helper` on its own, outside
/// this model's trace and generator: refuse it and point to `call!`.
pub fn method_call(m: &ExprMethodCall) -> syn::Result<()> {
    let is_run = m.method == "call" || m.method == "call_with";
    let Expr::Path(receiver) = &*m.receiver else {
        return Ok(());
    };
    if !is_run || receiver.qself.is_some() {
        return Ok(());
    }
    let model = path_text(&receiver.path);
    Err(syn::Error::new(
        m.method.span(),
        format!(
            "`{model}.{}(..)` inside a model runs `{model}` on its own: its sites would be \
             invisible to handlers and inference, and its draws would not follow the seed. \
             Write `call!({model}(..))` to run it as part of this model \
             (`call!({model}(..), prefix = \"name\")` to prefix its site names)",
            m.method
        ),
    ))
}

fn path_text(path: &Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

/// Finds `Real` in a type (argument types may not use it).
fn mentions_real(ty: &Type) -> Option<Span> {
    struct Finder(Option<Span>);
    impl<'a> Visit<'a> for Finder {
        fn visit_path(&mut self, path: &'a Path) {
            if path.leading_colon.is_none()
                && path.segments.first().is_some_and(|s| s.ident == "Real")
            {
                self.0.get_or_insert(path.span());
            }
            syn::visit::visit_path(self, path);
        }
    }
    let mut f = Finder(None);
    f.visit_type(ty);
    f.0
}

/// Puts the lifetime `'__a` on every elided reference and `'_` in an argument type; returns
/// the span of an explicit named lifetime, which models do not support.
fn with_arg_lifetime(ty: &mut Type) -> Option<Span> {
    struct Lifetimes(Option<Span>);
    impl VisitMut for Lifetimes {
        fn visit_type_reference_mut(&mut self, r: &mut syn::TypeReference) {
            if r.lifetime.is_none() {
                r.lifetime = Some(syn::Lifetime::new("'__a", r.and_token.span));
            }
            syn::visit_mut::visit_type_reference_mut(self, r);
        }
        fn visit_lifetime_mut(&mut self, l: &mut syn::Lifetime) {
            if l.ident == "_" {
                *l = syn::Lifetime::new("'__a", l.span());
            } else if l.ident != "__a" && l.ident != "static" {
                self.0.get_or_insert(l.span());
            }
        }
    }
    let mut v = Lifetimes(None);
    v.visit_type_mut(ty);
    v.0
}
