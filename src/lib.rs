//! edgeroute: request routing for the edge.
//!
//! The core is plain Rust with no JS dependency, in layers that import only downwards (`make test` checks it,
//! `scripts/check-layers.mjs`): [`base`] → [`hash`] → [`load`] → [`node`] → [`strategy`] → [`compat`] →
//! [`options`] → [`router`] → the WebAssembly facade (`src/wasm/`, built only for `wasm32`), the one place that
//! talks to JS. Every input is validated into stable [`Code`]s. See `docs/architecture.md`.
//!
//! ```
//! use edgeroute::{Config, NodeSpec, Router, StrategyKind};
//! let cfg = Config::new(StrategyKind::Ring, vec![NodeSpec::new("a", 2.0), NodeSpec::new("b", 1.0)]);
//! let mut r = Router::new(cfg, || 0).unwrap();
//! let i = r.pick(Some(b"/user/42"), 0.0).unwrap().unwrap();
//! assert!(["a", "b"].contains(&r.id(i)));
//! ```

pub mod base;
pub mod compat;
pub mod hash;
pub mod load;
pub mod node;
pub mod options;
pub mod router;
pub mod strategy;

/// The JS facade (wasm32 only). Public for the wasm-bindgen tests; JS users reach it through the npm package.
#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod wasm;

pub use base::error::{Code, Error, Result};
pub use base::value::Value;
pub use node::{NodeSpec, Outcome};
pub use options::Config;
pub use router::{NodeChanges, NodeStats, Router};
pub use strategy::kind::StrategyKind;

/// The names the JS API is made of, gathered from their homes in the core: the test that keeps `js/index.d.ts`
/// and the JS error list from drifting compares against these. Paths inside the crate may move; these stay.
pub mod names {
    /// Strategy names, as `options.strategy` takes them.
    pub fn strategies() -> Vec<&'static str> {
        crate::StrategyKind::ALL.iter().map(|k| k.name()).collect()
    }
    /// Compat profile names, as `options.compat` takes them.
    pub fn compats() -> Vec<&'static str> {
        crate::compat::Compat::ALL.iter().map(|c| c.name()).collect()
    }
    /// `options.hash` under compat twemproxy.
    pub fn twemproxy_hashes() -> Vec<&'static str> {
        crate::hash::systems::TWEMPROXY_HASHES.iter().map(|(n, _)| *n).collect()
    }
    /// `options.hash` under compat haproxy.
    pub fn haproxy_hashes() -> Vec<&'static str> {
        crate::hash::systems::HAPROXY_HASHES.iter().map(|(n, _)| *n).collect()
    }
    /// `options.hash` under compat varnish.
    pub fn varnish_hashes() -> Vec<&'static str> {
        crate::hash::systems::VARNISH_HASHES.iter().map(|(n, _)| *n).collect()
    }
    /// Every top-level option.
    pub fn options() -> Vec<&'static str> {
        crate::options::OPTIONS.to_vec()
    }
    /// The fields of a node spec.
    pub fn node_fields() -> Vec<&'static str> {
        crate::options::NODE_FIELDS.to_vec()
    }
    /// The fields of `options.health`.
    pub fn health_fields() -> Vec<&'static str> {
        crate::options::health::FIELDS.to_vec()
    }
    /// The JS/wasm protocol's constants by name, as `js/protocol.js` must export them.
    pub fn protocol() -> Vec<(&'static str, i64)> {
        crate::base::protocol::CONSTANTS.to_vec()
    }
    /// The error codes the core raises (`err.code`).
    pub fn error_codes() -> Vec<&'static str> {
        crate::Code::ALL.iter().map(|c| c.as_str()).collect()
    }
}
