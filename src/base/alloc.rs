//! Fallible allocation for the large tables (ring points, maglev and HAProxy tables). In wasm an allocation that
//! fails aborts, which traps: the Router is lost and, in a Worker, the isolate with it. The memory limit
//! (`maxMemoryBytes`) bounds each Router, but many Routers, or a raised limit, can still exhaust the 4 GiB a
//! wasm32 memory can hold; these helpers turn that into `ERR_TOO_LARGE`.

use crate::base::error::{Code, Error, Result};

fn exhausted(what: &str, n: usize) -> Error {
    Error::new(
        Code::TooLarge,
        format!(
            "out of memory: could not allocate {what} for {n} entries (the module's memory is full: free Routers you no longer use, or lower vnodes, tableSize or the weights)"
        ),
    )
}

/// Makes room for `n` more elements in `v`, or fails with `ERR_TOO_LARGE`.
pub fn reserve<T>(v: &mut Vec<T>, n: usize, what: &str) -> Result<()> {
    v.try_reserve_exact(n).map_err(|_| exhausted(what, n))
}

/// A vector of `n` copies of `x`, or `ERR_TOO_LARGE`.
pub fn filled<T: Clone>(n: usize, x: T, what: &str) -> Result<Vec<T>> {
    let mut v = Vec::new();
    reserve(&mut v, n, what)?;
    v.resize(n, x);
    Ok(v)
}
