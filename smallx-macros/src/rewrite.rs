//! The walk over a model body: each statement macro is parsed, validated and expanded into a
//! call on the hidden context; `Real` becomes `Real<S>` for the body's scalar type, and
//! `return x` becomes `return Ok(x)`. Misuses found on the way are collected as errors.

use crate::statement::{self, Kind};
use crate::{expand, valid};
use proc_macro2::{Span, TokenStream};
use quote::quote;
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
    names: valid::SiteNames,
}

impl Rewriter {
    pub fn new() -> Self {
        Rewriter {
            errors: Vec::new(),
            closure_depth: 0,
            branch_depth: 0,
            names: valid::SiteNames::default(),
        }
    }

    /// Parse, validate and expand one statement macro into an expression.
    fn expand(&mut self, kind: Kind, mac: &Macro) -> Expr {
        match self.try_expand(kind, mac) {
            Ok(e) => e,
            Err(e) => {
                self.errors.push(e);
                parse_quote!(::core::unreachable!())
            }
        }
    }

    fn try_expand(&mut self, kind: Kind, mac: &Macro) -> syn::Result<Expr> {
        valid::outside_closures(kind, mac, self.closure_depth)?;
        let mut statement = statement::parse(kind, mac)?;
        valid::statement(&statement)?;
        if self.branch_depth == 0 {
            self.names.record(&statement)?;
        }
        // A markov! body runs once per step, as a loop's does.
        let looped = matches!(statement, statement::Statement::Markov { .. });
        self.branch_depth += usize::from(looped);
        statement.visit_exprs(|e| self.visit_expr_mut(e));
        self.branch_depth -= usize::from(looped);
        Ok(expand::statement(statement, mac.span()))
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
            Expr::MethodCall(m) => {
                if let Err(err) = valid::method_call(m) {
                    self.errors.push(err);
                }
                visit_mut::visit_expr_mut(self, e);
            }
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
