//! `#[db_test]`: one async test, run once on SQLite and once on PostgreSQL.

use proc_macro::TokenStream;
use quote::quote;
use syn::{parse_macro_input, FnArg, ItemFn};

/// Expands `async fn name(fixture: T) { … }` into a module `name` with two tests,
/// `sqlite` and `postgres`, each building `T` through `shegong_testkit::Fixture` on its engine.
#[proc_macro_attribute]
pub fn db_test(_attr: TokenStream, item: TokenStream) -> TokenStream {
    let f = parse_macro_input!(item as ItemFn);
    let name = &f.sig.ident;
    let ty = match f.sig.inputs.first() {
        Some(FnArg::Typed(p)) => p.ty.clone(),
        _ => {
            return syn::Error::new_spanned(&f.sig, "a #[db_test] takes one fixture argument, e.g. `app: TestApp`")
                .to_compile_error()
                .into()
        }
    };
    let out = quote! {
        #f

        mod #name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(fx) = <#ty as ::shegong_testkit::Fixture>::setup(::shegong_testkit::Backend::Sqlite).await {
                    super::#name(fx).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(fx) = <#ty as ::shegong_testkit::Fixture>::setup(::shegong_testkit::Backend::Postgres).await {
                    super::#name(fx).await;
                }
            }
        }
    };
    out.into()
}
