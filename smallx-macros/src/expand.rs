//! Expand: the generated code, for the model item and for each statement. Inputs are already
//! parsed and validated; sub-expressions of statements are already rewritten.

use crate::ast::ModelFn;
use crate::rewrite::{CX, SCALAR};
use crate::statement::Statement;
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::{Expr, Ident, Type, parse_quote_spanned};

/// A checked argument of a model function.
pub struct Arg {
    pub ident: Ident,
    pub mutable: bool,
    /// The type as written, with `Real` meaning the body's `Real<S>`.
    pub ty: Type,
    /// The type in `Model::Args<'__a>`: references get the lifetime `'__a`.
    pub args_ty: Type,
    pub span: Span,
}

/// The model's unit struct, its `Model` impl, its `call`/`call_with` methods and the hidden
/// method `call!` expands to. `body` is the rewritten body, or `None` when errors were
/// reported (the impl then has a stub body, so that uses of the model elsewhere still
/// type-check).
pub fn model(f: &ModelFn, args: &[Arg], ret_ty: &Type, body: Option<&syn::Block>) -> TokenStream {
    let vis = &f.vis;
    let name = &f.sig.ident;
    let name_str = name.to_string();
    let scalar = Ident::new(SCALAR, Span::call_site());
    let cx = Ident::new(CX, Span::call_site());
    let arg_types = args.iter().map(|a| &a.args_ty);
    let bindings = args.iter().enumerate().map(|(i, a)| {
        let index = syn::Index::from(i);
        let (ident, ty) = (&a.ident, &a.ty);
        let mutability = a.mutable.then(|| quote!(mut));
        quote_spanned! {a.span=>
            let #mutability #ident: #ty = ::core::clone::Clone::clone(&__smallx_args.#index);
        }
    });
    let params: Vec<_> = args
        .iter()
        .map(|a| {
            let (ident, ty) = (&a.ident, &a.ty);
            quote!(#ident: #ty)
        })
        .collect();
    let names: Vec<_> = args.iter().map(|a| &a.ident).collect();
    let run_body = match body {
        None => quote!(::core::unreachable!()),
        Some(body) => quote! {
            #(#bindings)*
            #[allow(unreachable_code, clippy::needless_return)]
            ::core::result::Result::Ok(#body)
        },
    };
    let call_doc = format!(
        "Run `{name_str}` once, drawing from the operating system's generator, and return its value. \
         Inside another model, write `call!({name_str}(..))` instead."
    );
    let call_with_doc = format!(
        "Run `{name_str}` once, drawing from `rng`, and return its value. Inside another model, \
         write `call!({name_str}(..))` instead."
    );
    let item = unit_struct(f);
    quote! {
        #item

        impl ::smallx::Model for #name {
            type Args<'__a> = (#(#arg_types,)*);
            type Ret<#scalar: ::smallx::Scalar> = #ret_ty;
            fn name(&self) -> &str {
                #name_str
            }
            #[allow(unused_variables, unused_mut, clippy::let_unit_value, clippy::unit_arg)]
            fn run<#scalar: ::smallx::Scalar>(
                &self,
                #cx: &mut ::smallx::Ctx<'_, #scalar>,
                __smallx_args: &Self::Args<'_>,
            ) -> ::smallx::Result<Self::Ret<#scalar>> {
                #run_body
            }
        }

        impl #name {
            #[doc = #call_doc]
            #[allow(dead_code)]
            #vis fn call(&self, #(#params),*) -> ::smallx::Result<<Self as ::smallx::Model>::Ret<f64>> {
                ::smallx::call(self, &(#(#names,)*))
            }
            #[doc = #call_with_doc]
            #[allow(dead_code)]
            #vis fn call_with(
                &self,
                #(#params,)*
                rng: &mut dyn ::smallx::rand::Rng,
            ) -> ::smallx::Result<<Self as ::smallx::Model>::Ret<f64>> {
                ::smallx::call_with(self, &(#(#names,)*), rng)
            }
            #[doc(hidden)]
            #[allow(dead_code, clippy::too_many_arguments)]
            #vis fn __smallx_call<#scalar: ::smallx::Scalar>(
                &self,
                #cx: &mut ::smallx::Ctx<'_, #scalar>,
                __smallx_prefix: ::core::option::Option<&str>,
                #(#params,)*
            ) -> ::smallx::Result<<Self as ::smallx::Model>::Ret<#scalar>> {
                ::smallx::Ctx::call(#cx, self, &(#(#names,)*), __smallx_prefix)
            }
        }
    }
}

/// A sub-model (a model function whose arguments use `Real`): its unit struct and the hidden
/// generic method `call!` expands to, which runs the body on the caller's context. It is not
/// a `Model` (its arguments depend on the caller's scalar type), so it cannot be run on its
/// own or given to inference.
pub fn sub_model(
    f: &ModelFn,
    args: &[Arg],
    ret_ty: &Type,
    body: Option<&syn::Block>,
) -> TokenStream {
    let vis = &f.vis;
    let name = &f.sig.ident;
    let name_str = name.to_string();
    let scalar = Ident::new(SCALAR, Span::call_site());
    let cx = Ident::new(CX, Span::call_site());
    let params = args.iter().map(|a| {
        let (ident, ty) = (&a.ident, &a.ty);
        let mutability = a.mutable.then(|| quote!(mut));
        quote_spanned!(a.span=> #mutability #ident: #ty)
    });
    let run_body = match body {
        None => quote!(::core::unreachable!()),
        Some(body) => quote! {
            ::smallx::Ctx::scope(#cx, #name_str, __smallx_prefix, |#cx| {
                #[allow(unreachable_code, clippy::needless_return)]
                ::core::result::Result::Ok(#body)
            })
        },
    };
    let item = unit_struct(f);
    quote! {
        #item

        impl #name {
            #[doc(hidden)]
            #[allow(dead_code, unused_variables, unused_mut, clippy::too_many_arguments, clippy::let_unit_value, clippy::unit_arg)]
            #vis fn __smallx_call<#scalar: ::smallx::Scalar>(
                &self,
                #cx: &mut ::smallx::Ctx<'_, #scalar>,
                __smallx_prefix: ::core::option::Option<&str>,
                #(#params,)*
            ) -> ::smallx::Result<#ret_ty> {
                #run_body
            }
        }
    }
}

fn unit_struct(f: &ModelFn) -> TokenStream {
    let (attrs, vis, name) = (&f.attrs, &f.vis, &f.sig.ident);
    quote! {
        #(#attrs)*
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
        #vis struct #name;
    }
}

/// The call on the hidden context that a statement becomes.
pub fn statement(statement: Statement, span: Span) -> Expr {
    let cx = Ident::new(CX, Span::call_site());
    let name_of = |name: &Expr| quote!(::core::convert::AsRef::<str>::as_ref(&(#name)));
    match statement {
        Statement::Sample {
            name,
            dist,
            obs: None,
            enumerate: false,
            ..
        } => {
            let name = name_of(&name);
            parse_quote_spanned! {span=> ::smallx::Ctx::sample(#cx, #name, #dist)? }
        }
        Statement::Sample {
            name,
            dist,
            obs: None,
            enumerate: true,
            ..
        } => {
            let name = name_of(&name);
            parse_quote_spanned! {span=> ::smallx::Ctx::sample_enumerated(#cx, #name, #dist)? }
        }
        Statement::Sample {
            name,
            dist,
            obs: Some(obs),
            observe: true,
            ..
        } => {
            let name = name_of(&name);
            parse_quote_spanned! {span=> ::smallx::Ctx::observe(#cx, #name, #dist, #obs)? }
        }
        Statement::Sample {
            name,
            dist,
            obs: Some(obs),
            observe: false,
            ..
        } => {
            let name = name_of(&name);
            parse_quote_spanned! {span=> ::smallx::Ctx::sample_observed(#cx, #name, #dist, #obs)? }
        }
        Statement::Param {
            name,
            init,
            constraint,
        } => {
            let name = name_of(&name);
            let constraint = match constraint {
                Some(c) => quote!(#c),
                None => quote!(::smallx::Constraint::Real),
            };
            parse_quote_spanned! {span=>
                ::smallx::Ctx::param(#cx, #name, || #init, #constraint)?
            }
        }
        Statement::Factor { name, log_factor } => {
            let name = name_of(&name);
            parse_quote_spanned! {span=> ::smallx::Ctx::factor(#cx, #name, #log_factor)? }
        }
        Statement::Deterministic { name, value } => {
            let name = name_of(&name);
            parse_quote_spanned! {span=> ::smallx::Ctx::deterministic(#cx, #name, #value)? }
        }
        Statement::Call {
            model,
            args,
            prefix,
        } => {
            let prefix = match prefix {
                Some(p) => {
                    quote!(::core::option::Option::Some(::core::convert::AsRef::<str>::as_ref(&(#p))))
                }
                None => quote!(::core::option::Option::None),
            };
            parse_quote_spanned! {span=>
                (#model).__smallx_call(#cx, #prefix, #(#args),*)?
            }
        }
        Statement::Markov {
            name,
            steps,
            history,
            body,
        } => {
            let name = name_of(&name);
            let history = match history {
                Some(h) => quote!(#h),
                None => quote!(1),
            };
            let inner = &body.body;
            let bind = match body.inputs.first() {
                Some(pat) => quote!(let #pat = __smallx_step;),
                None => quote!(let _ = __smallx_step;),
            };
            parse_quote_spanned! {span=> {
                ::smallx::Ctx::enter_markov(#cx, #name, #history)?;
                for __smallx_step in 0..(#steps) {
                    ::smallx::Ctx::markov_step(#cx, __smallx_step);
                    #bind
                    #inner;
                }
                ::smallx::Ctx::exit_markov(#cx);
            }}
        }
        Statement::Plate {
            name,
            size,
            subsample,
            body,
        } => {
            let name = name_of(&name);
            let subsample = match subsample {
                Some(m) => quote!(::core::option::Option::Some(#m)),
                None => quote!(::core::option::Option::None),
            };
            let inner = &body.body;
            let bind = match body.inputs.first() {
                Some(pat) => quote!(let #pat = __smallx_plate;),
                None => quote!(let _ = __smallx_plate;),
            };
            parse_quote_spanned! {span=> {
                let __smallx_plate = ::smallx::Ctx::enter_plate(#cx, #name, #size, #subsample)?;
                #bind
                let __smallx_out = #inner;
                ::smallx::Ctx::exit_plate(#cx);
                __smallx_out
            }}
        }
    }
}
