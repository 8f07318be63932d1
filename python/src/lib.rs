//! The Python package `edgeroute`, from the same Rust core as the npm package: this crate is to Python what
//! `src/wasm/` is to JS, a facade that converts values and errors and adds nothing to the routing.
//!
//! - `router.rs`: `Router` and `Lease` (the core Router behind a mutex, shareable between threads)
//! - `convert.rs`: Python data into the core's `Value` (snake_case keywords into the JS option names), keys,
//!   and values back into Python data
//! - `errors.rs`: `EdgerouteError` (a `ValueError` with the JS error's `code`)
//! - `utf8.rs`: a str key's UTF-8 bytes without a copy
//!
//! The Registry is pure Python (`python/edgeroute/registry.py`) over the Lua scripts embedded here.

mod convert;
mod errors;
mod router;
mod utf8;

use pyo3::prelude::*;

/// The Redis scripts of the npm package, from the one source `lua/`: `lua/lib.lua` (the shared prelude), a
/// newline, then the script, exactly as `scripts/build-pkg.mjs` writes `pkg/lua/*.lua`.
macro_rules! script {
    ($name:literal) => {
        (
            $name,
            concat!(
                include_str!("../../lua/lib.lua"),
                "\n",
                include_str!(concat!("../../lua/", $name, ".lua"))
            ),
        )
    };
}
const SCRIPTS: [(&str, &str); 4] = [script!("pick"), script!("random"), script!("read"), script!("write")];

/// `{name: source}` of the Registry's Lua scripts (pick, random, read, write).
#[pyfunction]
fn _scripts() -> std::collections::HashMap<&'static str, &'static str> {
    SCRIPTS.into_iter().collect()
}

#[pymodule]
fn _edgeroute(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<router::PyRouter>()?;
    m.add_class::<router::Lease>()?;
    m.add("EdgerouteError", m.py().get_type::<errors::EdgerouteError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(_scripts, m)?)?;
    Ok(())
}
