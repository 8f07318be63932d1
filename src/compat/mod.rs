//! Compatibility profiles: mappings defined by a system outside this crate, reproduced key for key.
//!
//! A profile fixes the key hash, the node identity that is hashed and the scoring, so a Router with
//! `compat: "<name>"` sends every key where that system would.
//!
//! - [`redis_lua`] (`compat: "redis"`, with `strategy: "rendezvous"`): the keyed selection of the Lua scripts
//!   shipped in the package (`lua/pick.lua`), which run inside Redis.

pub mod redis_lua;

/// A compatibility profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compat {
    /// The rendezvous mapping of `lua/pick.lua`, computable in Lua 5.1 with 32-bit bit operations and doubles.
    Redis,
}

impl Compat {
    pub const ALL: [Compat; 1] = [Compat::Redis];

    pub fn name(self) -> &'static str {
        match self {
            Compat::Redis => "redis",
        }
    }

    pub fn from_name(s: &str) -> Option<Compat> {
        Compat::ALL.into_iter().find(|c| c.name() == s)
    }
}
