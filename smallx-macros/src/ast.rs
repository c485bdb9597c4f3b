//! Parse: the model function as the macro sees it, before any check.

use proc_macro2::TokenStream;
use syn::spanned::Spanned;
use syn::{Attribute, Block, FnArg, Ident, Item, ItemFn, Pat, Signature, Type, Visibility};

/// A function under `#[model]`.
pub struct ModelFn {
    /// `doc` and `cfg` attributes, carried to the generated struct.
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub sig: Signature,
    pub body: Block,
}

/// One argument of the model function.
pub struct ModelArg<'f> {
    pub ident: &'f Ident,
    pub mutable: bool,
    /// The type as written.
    pub ty: &'f Type,
    /// The whole `name: Type`.
    pub span: proc_macro2::Span,
}

impl ModelFn {
    /// Parse the attribute's item; anything but a function is an error on its keyword.
    pub fn parse(item: TokenStream) -> syn::Result<Self> {
        match syn::parse2::<Item>(item)? {
            Item::Fn(ItemFn {
                attrs,
                vis,
                sig,
                block,
            }) => Ok(ModelFn {
                attrs: attrs
                    .into_iter()
                    .filter(|a| a.path().is_ident("doc") || a.path().is_ident("cfg"))
                    .collect(),
                vis,
                sig,
                body: *block,
            }),
            other => Err(syn::Error::new(
                item_keyword_span(&other),
                "#[model] applies to a function: `#[model] fn my_model(x: f64) -> Real { ... }`",
            )),
        }
    }

    /// The arguments, or an error for each that is not a plain `name: Type` (receivers are
    /// refused by validation).
    pub fn args(&self) -> Vec<syn::Result<ModelArg<'_>>> {
        self.sig
            .inputs
            .iter()
            .filter_map(|input| match input {
                FnArg::Receiver(_) => None,
                FnArg::Typed(arg) => Some(match &*arg.pat {
                    Pat::Ident(pat) => Ok(ModelArg {
                        ident: &pat.ident,
                        mutable: pat.mutability.is_some(),
                        ty: &arg.ty,
                        span: arg.span(),
                    }),
                    other => Err(syn::Error::new(
                        other.span(),
                        "model arguments must be plain names like `x: f64`",
                    )),
                }),
            })
            .collect()
    }
}

fn item_keyword_span(item: &Item) -> proc_macro2::Span {
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
