//! Rewriting a model body: statement macros become calls on the hidden context, `Real`
//! becomes `Real<S>` for the body's scalar type, and `return x` becomes `return Ok(x)`.
//! Misuses found on the way are collected as errors with spans.

use crate::statements::{self, Kind, Statement};
use proc_macro2::{Span, TokenStream};
use quote::quote;
use std::collections::HashMap;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Ident, Macro, Path, Stmt, Token, parse_quote, parse_quote_spanned};

/// The name of the hidden context argument in generated code.
pub const CX: &str = "__smallx_cx";
/// The name of the body's scalar type parameter.
pub const SCALAR: &str = "__S";

pub struct Rewriter {
    pub errors: Vec<syn::Error>,
    closure_depth: usize,
    branch_depth: usize,
    literal_names: HashMap<String, Span>,
}

impl Rewriter {
    pub fn new() -> Self {
        Rewriter {
            errors: Vec::new(),
            closure_depth: 0,
            branch_depth: 0,
            literal_names: HashMap::new(),
        }
    }

    fn cx() -> Ident {
        Ident::new(CX, Span::call_site())
    }

    /// Expand one statement macro into an expression.
    fn expand(&mut self, kind: Kind, mac: &Macro) -> Expr {
        let span = mac.span();
        if self.closure_depth > 0 {
            self.errors.push(syn::Error::new_spanned(
                mac,
                format!(
                    "{} cannot be used inside a closure or async block: the model's context \
                     cannot be captured there; use a `for` loop instead",
                    kind.name()
                ),
            ));
            return parse_quote!(::core::unreachable!());
        }
        let statement = match statements::parse(kind, mac) {
            Ok(s) => s,
            Err(e) => {
                self.errors.push(e);
                return parse_quote!(::core::unreachable!());
            }
        };
        self.check_duplicate(statement.name());
        let cx = Self::cx();
        match statement {
            Statement::Sample {
                mut name,
                mut dist,
                obs,
            } => {
                self.visit_expr_mut(&mut name);
                self.visit_expr_mut(&mut dist);
                match obs {
                    None => parse_quote_spanned! {span=>
                        ::smallx::Ctx::sample(#cx, ::core::convert::AsRef::<str>::as_ref(&(#name)), #dist)?
                    },
                    Some(mut obs) => {
                        self.visit_expr_mut(&mut obs);
                        parse_quote_spanned! {span=>
                            ::smallx::Ctx::observe(#cx, ::core::convert::AsRef::<str>::as_ref(&(#name)), #dist, #obs)?
                        }
                    }
                }
            }
            Statement::Param {
                mut name,
                mut init,
                constraint,
            } => {
                self.visit_expr_mut(&mut name);
                self.visit_expr_mut(&mut init);
                let constraint = match constraint {
                    Some(mut c) => {
                        self.visit_expr_mut(&mut c);
                        quote!(#c)
                    }
                    None => quote!(::smallx::Constraint::Real),
                };
                parse_quote_spanned! {span=>
                    ::smallx::Ctx::param(#cx, ::core::convert::AsRef::<str>::as_ref(&(#name)), || #init, #constraint)?
                }
            }
            Statement::Factor {
                mut name,
                mut log_factor,
            } => {
                self.visit_expr_mut(&mut name);
                self.visit_expr_mut(&mut log_factor);
                parse_quote_spanned! {span=>
                    ::smallx::Ctx::factor(#cx, ::core::convert::AsRef::<str>::as_ref(&(#name)), #log_factor)?
                }
            }
            Statement::Plate {
                mut name,
                mut size,
                subsample,
                mut body,
            } => {
                self.visit_expr_mut(&mut name);
                self.visit_expr_mut(&mut size);
                let subsample = match subsample {
                    Some(mut m) => {
                        self.visit_expr_mut(&mut m);
                        quote!(::core::option::Option::Some(#m))
                    }
                    None => quote!(::core::option::Option::None),
                };
                self.visit_expr_mut(&mut body.body);
                let inner = &body.body;
                let bind = match body.inputs.first() {
                    Some(pat) => quote!(let #pat = __smallx_plate;),
                    None => quote!(let _ = __smallx_plate;),
                };
                parse_quote_spanned! {span=> {
                    let __smallx_plate = ::smallx::Ctx::enter_plate(
                        #cx, ::core::convert::AsRef::<str>::as_ref(&(#name)), #size, #subsample)?;
                    #bind
                    let __smallx_out = #inner;
                    ::smallx::Ctx::exit_plate(#cx);
                    __smallx_out
                }}
            }
        }
    }

    /// A literal name used twice in straight-line code is a compile error.
    fn check_duplicate(&mut self, name: &Expr) {
        if self.branch_depth > 0 {
            return;
        }
        let Some((text, span)) = statements::literal_name(name) else {
            return;
        };
        match self.literal_names.get(&text) {
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
                self.errors.push(e);
            }
            None => {
                self.literal_names.insert(text, span);
            }
        }
    }

    /// Rewrite inside another macro's tokens when they parse as a list of expressions
    /// (`vec![..]`, `println!(..)`, `assert!(..)`); leave them alone otherwise.
    fn visit_foreign_macro(&mut self, mac: &mut Macro) {
        let parser = Punctuated::<Expr, Token![,]>::parse_terminated;
        let Ok(mut exprs) = syn::parse::Parser::parse2(parser, mac.tokens.clone()) else {
            return;
        };
        for e in exprs.iter_mut() {
            self.visit_expr_mut(e);
        }
        mac.tokens = quote!(#exprs);
    }
}

fn statement_kind(path: &Path) -> Option<Kind> {
    if path.segments.len() > 2 {
        return None;
    }
    let last = path.segments.last()?;
    if path.segments.len() == 2 && path.segments[0].ident != "smallx" {
        return None;
    }
    Kind::from_ident(&last.ident)
}

impl VisitMut for Rewriter {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        match e {
            Expr::Macro(m) => match statement_kind(&m.mac.path) {
                Some(kind) => *e = self.expand(kind, &m.mac),
                None => self.visit_foreign_macro(&mut m.mac),
            },
            Expr::Closure(_) | Expr::Async(_) => {
                self.closure_depth += 1;
                visit_mut::visit_expr_mut(self, e);
                self.closure_depth -= 1;
            }
            Expr::If(_) | Expr::Match(_) | Expr::While(_) | Expr::ForLoop(_) | Expr::Loop(_) => {
                self.branch_depth += 1;
                visit_mut::visit_expr_mut(self, e);
                self.branch_depth -= 1;
            }
            Expr::Return(r) if self.closure_depth == 0 => {
                visit_mut::visit_expr_return_mut(self, r);
                let span = r.span();
                let value: TokenStream = match &r.expr {
                    Some(v) => quote!(#v),
                    None => quote!(()),
                };
                r.expr = Some(Box::new(
                    parse_quote_spanned!(span=> ::core::result::Result::Ok(#value)),
                ));
            }
            _ => visit_mut::visit_expr_mut(self, e),
        }
    }

    fn visit_stmt_mut(&mut self, s: &mut Stmt) {
        if let Stmt::Macro(m) = s {
            match statement_kind(&m.mac.path) {
                Some(kind) => {
                    let expr = self.expand(kind, &m.mac);
                    *s = Stmt::Expr(expr, m.semi_token);
                }
                None => self.visit_foreign_macro(&mut m.mac),
            }
            return;
        }
        visit_mut::visit_stmt_mut(self, s);
    }

    fn visit_item_mut(&mut self, _item: &mut syn::Item) {
        // Nested items are not part of the model: statement macros there stay unexpanded and
        // report that they are outside a model.
    }

    fn visit_path_mut(&mut self, path: &mut Path) {
        rewrite_real(path);
        visit_mut::visit_path_mut(self, path);
    }
}

/// `Real` (with no generic arguments, not qualified) → `::smallx::Real::<__S>`.
pub fn rewrite_real(path: &mut Path) -> bool {
    let is_bare_real = path.leading_colon.is_none()
        && path
            .segments
            .first()
            .is_some_and(|s| s.ident == "Real" && s.arguments.is_none());
    if !is_bare_real {
        return false;
    }
    let span = path.segments[0].ident.span();
    let scalar = Ident::new(SCALAR, Span::call_site());
    let prefix: Path = parse_quote_spanned!(span=> ::smallx::Real::<#scalar>);
    let rest: Vec<_> = path.segments.iter().skip(1).cloned().collect();
    *path = prefix;
    path.segments.extend(rest);
    true
}

/// Rewrites `Real` in a type (return types).
pub struct RealInTypes;

impl VisitMut for RealInTypes {
    fn visit_path_mut(&mut self, path: &mut Path) {
        rewrite_real(path);
        visit_mut::visit_path_mut(self, path);
    }
}

/// Finds `Real` in a type (argument types may not use it).
pub fn mentions_real(ty: &syn::Type) -> Option<Span> {
    struct Finder(Option<Span>);
    impl<'a> syn::visit::Visit<'a> for Finder {
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
    syn::visit::Visit::visit_type(&mut f, ty);
    f.0
}

/// Puts the lifetime `'__a` on every elided reference and `'_` in an argument type; returns
/// the span of an explicit named lifetime, which models do not support.
pub fn with_arg_lifetime(ty: &mut syn::Type) -> Option<Span> {
    struct Lifetimes(Option<Span>);
    impl VisitMut for Lifetimes {
        fn visit_type_reference_mut(&mut self, r: &mut syn::TypeReference) {
            if r.lifetime.is_none() {
                r.lifetime = Some(syn::Lifetime::new("'__a", r.and_token.span));
            }
            visit_mut::visit_type_reference_mut(self, r);
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
