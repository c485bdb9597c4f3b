//! The `#[model]` attribute of smallx.
//!
//! `#[model]` turns a function into a model value: a unit struct named after the function
//! that implements `smallx::Model`, whose body is generic over the scalar type. Inside the
//! body, `sample!`, `observe!`, `param!` and `plate!` are rewritten into calls on a hidden
//! context argument; `Real` names the body's number type. See the `smallx` crate for the
//! user documentation.

mod rewrite;
mod statements;

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{FnArg, Ident, Item, ItemFn, Pat, ReturnType, Type};

/// Turn a function into a model. See the `smallx` crate documentation.
#[proc_macro_attribute]
pub fn model(attr: TokenStream, item: TokenStream) -> TokenStream {
    match expand(attr.into(), item.into()) {
        Ok(tokens) => tokens.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

fn expand(attr: TokenStream2, item: TokenStream2) -> syn::Result<TokenStream2> {
    if !attr.is_empty() {
        return Err(syn::Error::new(
            attr.span(),
            "#[model] takes no arguments: write `#[model]`",
        ));
    }
    let function = match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Fn(f)) => f,
        Ok(other) => {
            return Err(syn::Error::new(
                item_keyword_span(&other),
                "#[model] applies to a function: `#[model] fn my_model(x: f64) -> Real { ... }`",
            ));
        }
        Err(e) => return Err(e),
    };
    check_signature(&function)?;

    let mut errors: Option<syn::Error> = None;
    let mut push = |e: syn::Error| match &mut errors {
        Some(all) => all.combine(e),
        None => errors = Some(e),
    };

    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = function;
    let name = &sig.ident;
    let name_str = name.to_string();
    let scalar = Ident::new(rewrite::SCALAR, Span::call_site());
    let cx = Ident::new(rewrite::CX, Span::call_site());

    // Arguments: a tuple type with references bound to `'__a`, and one binding per argument.
    let mut arg_types = Vec::new();
    let mut arg_bindings = Vec::new();
    let mut call_params = Vec::new();
    let mut call_names = Vec::new();
    for (i, input) in sig.inputs.iter().enumerate() {
        let FnArg::Typed(arg) = input else { continue };
        let Pat::Ident(pat) = &*arg.pat else {
            push(syn::Error::new(
                arg.pat.span(),
                "model arguments must be plain names like `x: f64`",
            ));
            continue;
        };
        if let Some(span) = rewrite::mentions_real(&arg.ty) {
            push(syn::Error::new(
                span,
                "model arguments cannot use `Real`, the scalar type of the body: pass `f64` (or vectors of `f64`) and convert inside",
            ));
            continue;
        }
        if let Type::ImplTrait(t) = &*arg.ty {
            push(syn::Error::new(
                t.span(),
                "model arguments cannot be `impl Trait`: give a concrete type",
            ));
            continue;
        }
        let mut ty = (*arg.ty).clone();
        if let Some(span) = rewrite::with_arg_lifetime(&mut ty) {
            push(syn::Error::new(
                span,
                "model arguments cannot name lifetimes: write `&[f64]`, not `&'a [f64]`",
            ));
            continue;
        }
        let index = syn::Index::from(i);
        let ident = &pat.ident;
        let mutability = &pat.mutability;
        let user_ty = &arg.ty;
        arg_types.push(ty);
        arg_bindings.push(quote_spanned! {arg.span()=>
            let #mutability #ident: #user_ty = ::core::clone::Clone::clone(&__smallx_args.#index);
        });
        call_params.push(quote!(#ident: #user_ty));
        call_names.push(quote!(#ident));
    }

    // Return type, with `Real` meaning `Real<S>`.
    let ret_ty: Type = match &sig.output {
        ReturnType::Default => syn::parse_quote!(()),
        ReturnType::Type(_, ty) => {
            let mut ty = (**ty).clone();
            rewrite::RealInTypes.visit_type_mut(&mut ty);
            ty
        }
    };

    // Body.
    let mut body = (*block).clone();
    let mut rewriter = rewrite::Rewriter::new();
    rewriter.visit_block_mut(&mut body);
    for e in rewriter.errors {
        push(e);
    }

    let docs: Vec<_> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc") || a.path().is_ident("cfg"))
        .collect();
    let run_body = match &errors {
        Some(_) => quote!(::core::unreachable!()),
        None => quote! {
            #(#arg_bindings)*
            #[allow(unreachable_code, clippy::needless_return)]
            ::core::result::Result::Ok(#body)
        },
    };
    let call_doc = format!(
        "Run `{name_str}` once, drawing from the operating system's generator, and return its value."
    );
    let call_with_doc = format!("Run `{name_str}` once, drawing from `rng`, and return its value.");
    let tokens = quote! {
        #(#docs)*
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
        #vis struct #name;

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
            #vis fn call(&self, #(#call_params),*) -> ::smallx::Result<<Self as ::smallx::Model>::Ret<f64>> {
                ::smallx::call(self, &(#(#call_names,)*))
            }
            #[doc = #call_with_doc]
            #[allow(dead_code)]
            #vis fn call_with(
                &self,
                rng: &mut dyn ::smallx::rand::Rng,
                #(#call_params),*
            ) -> ::smallx::Result<<Self as ::smallx::Model>::Ret<f64>> {
                ::smallx::call_with(self, &(#(#call_names,)*), rng)
            }
        }
    };
    Ok(match errors {
        Some(e) => {
            let compile_errors = e.to_compile_error();
            quote!(#compile_errors #tokens)
        }
        None => tokens,
    })
}

/// Reject signatures a model cannot have, pointing at the offending tokens.
fn check_signature(f: &ItemFn) -> syn::Result<()> {
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

fn item_keyword_span(item: &Item) -> Span {
    match item {
        Item::Struct(s) => s.struct_token.span,
        Item::Enum(e) => e.enum_token.span,
        Item::Impl(i) => i.impl_token.span,
        Item::Trait(t) => t.trait_token.span,
        Item::Const(c) => c.const_token.span,
        Item::Static(s) => s.static_token.span,
        Item::Mod(m) => m.mod_token.span,
        Item::Type(t) => t.type_token.span,
        Item::Use(u) => u.use_token.span,
        other => other.span(),
    }
}
