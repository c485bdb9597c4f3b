//! The `#[model]` attribute of smallx.
//!
//! `#[model]` turns a function into a model value: a unit struct named after the function
//! that implements `smallx::Model`, whose body is generic over the scalar type. Inside the
//! body, `sample!`, `observe!`, `param!`, `plate!`, `factor!`, `deterministic!` and `call!`
//! are rewritten into calls on a hidden context argument; `Real` names the body's number type.
//! See the `smallx` crate for the user documentation.
//!
//! The crate is laid out as parse ([`ast`] for the function, [`statement`] for the statement
//! macros), validate ([`valid`]), expand ([`expand`]), with [`rewrite`] walking the body.

mod ast;
mod expand;
mod rewrite;
mod statement;
mod valid;

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{ReturnType, Type};

/// Turn a function into a model. See the `smallx` crate documentation.
#[proc_macro_attribute]
pub fn model(attr: TokenStream, item: TokenStream) -> TokenStream {
    match model_item(attr.into(), item.into()) {
        Ok(tokens) => tokens.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

fn model_item(attr: TokenStream2, item: TokenStream2) -> syn::Result<TokenStream2> {
    if !attr.is_empty() {
        return Err(syn::Error::new(
            attr.span(),
            "#[model] takes no arguments: write `#[model]`",
        ));
    }
    let function = ast::ModelFn::parse(item)?;
    valid::signature(&function)?;

    let mut errors: Option<syn::Error> = None;
    let mut push = |e: syn::Error| match &mut errors {
        Some(all) => all.combine(e),
        None => errors = Some(e),
    };

    let mut args = Vec::new();
    let mut sub_model = false;
    for arg in function.args() {
        match arg.and_then(|a| valid::argument(&a).map(|ty| (a, ty))) {
            Ok((a, ty)) => {
                sub_model |= valid::uses_real(&a);
                let mut scalar_ty = a.ty.clone();
                rewrite::RealInTypes.visit_type_mut(&mut scalar_ty);
                args.push(expand::Arg {
                    ident: a.ident.clone(),
                    mutable: a.mutable,
                    ty: scalar_ty,
                    args_ty: ty,
                    span: a.span,
                });
            }
            Err(e) => push(e),
        }
    }

    let ret_ty: Type = match &function.sig.output {
        ReturnType::Default => syn::parse_quote!(()),
        ReturnType::Type(_, ty) => {
            let mut ty = (**ty).clone();
            rewrite::RealInTypes.visit_type_mut(&mut ty);
            ty
        }
    };

    let mut body = function.body.clone();
    let mut rewriter = rewrite::Rewriter::new();
    rewriter.visit_block_mut(&mut body);
    for e in rewriter.errors {
        push(e);
    }

    let body = errors.is_none().then_some(&body);
    let tokens = if sub_model {
        expand::sub_model(&function, &args, &ret_ty, body)
    } else {
        expand::model(&function, &args, &ret_ty, body)
    };
    Ok(match errors {
        Some(e) => {
            let compile_errors = e.to_compile_error();
            quote::quote!(#compile_errors #tokens)
        }
        None => tokens,
    })
}
