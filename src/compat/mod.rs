//! Compatibility profiles: mappings defined by a system outside this crate, reproduced key for key.
//!
//! A profile fixes the key hash, the node identity that is hashed and the placement rules, so a Router with
//! `compat: "<name>"` sends every key where that system would.
//!
//! - `"redis"` (with `strategy: "rendezvous"`): the keyed selection of the Lua scripts shipped in the package
//!   (`lua/pick.lua`), which run inside Redis: 32-bit rendezvous ([`crate::strategy::rendezvous::score32`] over
//!   [`crate::hash::murmur3`]); this profile has no file of its own here, only its row in [`Compat`].
//! - [`nginx`] (`"nginx"`): `hash $key consistent;` (ring) and `hash $key;` (hash).
//! - [`ketama`] (`"twemproxy"`, `"libketama"`): twemproxy's `ketama` distribution (ring) and `modula` (hash,
//!   [`crate::strategy::modulo`] over nutcracker's server order, [`twemproxy`]), and libketama's continuum (ring).
//! - [`haproxy`] (`"haproxy"`): `hash-type consistent` (ring) and `map-based` (hash).
//! - [`squid`] (`"squid"`, with rendezvous): Squid's CARP parent selection (`cache_peer ... carp`).
//! - [`varnish`] (`"varnish"`): Varnish's shard director (`directors.shard()`, ring) and hash director
//!   (`directors.hash()`, hash).
//! - [`caddy`] (`"caddy"`, with rendezvous): Caddy's `reverse_proxy` hashing policies (`uri_hash`, `header`,
//!   `ip_hash`).
//! - [`ats`] (`"ats"`, with ring): Apache Traffic Server's `round_robin=consistent_hash` parent selection.
//! - [`envoy`] (`"envoy"`, with ring or maglev): Envoy's ring hash and Maglev load balancers.
//!
//! The 32-bit rings share [`continuum`], the 64-bit ones (ats, envoy's ring) [`ring64`]; the key hashes are in [`crate::hash::systems`]. A profile's rules live here:
//! which strategies it reproduces ([`Compat::strategies`]), which key hashes it offers, which node fields it
//! reads ([`check_node_fields`]). docs/compat.md is the user's guide.

pub mod ats;
pub mod caddy;
pub mod continuum;
pub mod envoy;
pub mod haproxy;
pub mod ketama;
pub mod nginx;
pub mod ring64;
pub mod squid;
pub mod twemproxy;
pub mod varnish;

use crate::base::error::{Code, Error, Result};
use crate::hash::systems::{Hash32, SystemHash, HAPROXY_HASHES, TWEMPROXY_HASHES, VARNISH_HASHES};
use crate::node::NodeSpec;
use crate::strategy::kind::StrategyKind;
use core::fmt;

/// A compatibility profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compat {
    /// The rendezvous mapping of `lua/pick.lua`, computable in Lua 5.1 with 32-bit bit operations and doubles.
    Redis,
    Nginx,
    Twemproxy,
    Libketama,
    Haproxy,
    Squid,
    Caddy,
    Varnish,
    Ats,
    Envoy,
}

impl Compat {
    pub const ALL: [Compat; 10] = [
        Compat::Redis,
        Compat::Nginx,
        Compat::Twemproxy,
        Compat::Libketama,
        Compat::Haproxy,
        Compat::Squid,
        Compat::Caddy,
        Compat::Varnish,
        Compat::Ats,
        Compat::Envoy,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Compat::Redis => "redis",
            Compat::Nginx => "nginx",
            Compat::Twemproxy => "twemproxy",
            Compat::Libketama => "libketama",
            Compat::Haproxy => "haproxy",
            Compat::Squid => "squid",
            Compat::Caddy => "caddy",
            Compat::Varnish => "varnish",
            Compat::Ats => "ats",
            Compat::Envoy => "envoy",
        }
    }

    pub fn from_name(s: &str) -> Option<Compat> {
        Compat::ALL.into_iter().find(|c| c.name() == s)
    }

    /// The strategies this profile reproduces.
    pub fn strategies(self) -> &'static [StrategyKind] {
        match self {
            Compat::Redis | Compat::Squid | Compat::Caddy => &[StrategyKind::Rendezvous],
            Compat::Libketama | Compat::Ats => &[StrategyKind::Ring],
            Compat::Envoy => &[StrategyKind::Ring, StrategyKind::Maglev],
            _ => &[StrategyKind::Ring, StrategyKind::Hash],
        }
    }

    /// The key hashes a `hash` option may name, or empty when the system has one fixed hash.
    pub fn hashes(self) -> &'static [(&'static str, Hash32)] {
        match self {
            Compat::Twemproxy => &TWEMPROXY_HASHES,
            Compat::Haproxy => &HAPROXY_HASHES,
            Compat::Varnish => &VARNISH_HASHES,
            _ => &[],
        }
    }

    /// The name of `h` in this profile's `hash` option.
    pub fn hash_name(self, h: Hash32) -> Option<&'static str> {
        self.hashes().iter().find(|e| e.1 == h).map(|e| e.0)
    }

    /// The 32-bit key hash for a strategy, given the `hash` and `avalanche` options (`None` = the system's
    /// default); `None` for `redis`, whose hash is seeded MurmurHash3, and for `ats` and `envoy`, whose key hashes
    /// are 64 bits wide (the Router picks them: [`crate::hash::KeyHasher`]).
    pub fn system_hash(
        self,
        strategy: StrategyKind,
        hash: Option<Hash32>,
        avalanche: Option<bool>,
    ) -> Option<SystemHash> {
        let (f, avalanche, empty_is_zero) = match self {
            Compat::Redis | Compat::Ats | Compat::Envoy => return None,
            Compat::Nginx => (Hash32::Crc32, false, false),
            Compat::Libketama => (Hash32::Md5, false, false),
            // The first pass of the URL hash; `squid::SquidCarp` continues it per peer.
            Compat::Squid => (Hash32::Carp, false, false),
            // FNV-1a's state after the key; `caddy::CaddyHash` continues it over each address.
            Compat::Caddy => (Hash32::Fnv1a32Go, false, false),
            // The hash director hashes its string argument; the shard director `by=HASH` (the request digest)
            // unless `hash: "url"`.
            Compat::Varnish if strategy == StrategyKind::Hash => (Hash32::Sha256Tail, false, false),
            Compat::Varnish => (hash.unwrap_or(Hash32::Sha256Head), false, false),
            // `server_pool_hash`: an empty key hashes to 0 whatever the function.
            Compat::Twemproxy => (hash.unwrap_or(Hash32::Fnv1a64), false, true),
            // `hash-type consistent` with no function is sdbm + avalanche; anything else has no avalanche
            // unless it is named.
            Compat::Haproxy => {
                let default_avalanche = strategy == StrategyKind::Ring && hash.is_none();
                (
                    hash.unwrap_or(Hash32::Sdbm),
                    avalanche.unwrap_or(default_avalanche),
                    false,
                )
            }
        };
        Some(SystemHash {
            f,
            avalanche,
            empty_is_zero,
        })
    }
}

/// Checks the node fields that only a compat profile reads: `name` (twemproxy, squid), `serverId` (haproxy) and
/// `hashString` (ats).
pub fn check_node_fields(spec: &NodeSpec, compat: Option<Compat>, path: &dyn fmt::Display) -> Result<()> {
    let only = |field: &str, profile: &str| {
        Error::new(
            Code::UnknownField,
            format!("{path} has field {field:?}, which only compat {profile} reads; remove it"),
        )
    };
    if spec.name.is_some() && !matches!(compat, Some(Compat::Twemproxy | Compat::Squid)) {
        return Err(only("name", "\"twemproxy\" or \"squid\""));
    }
    if spec.server_id.is_some() && compat != Some(Compat::Haproxy) {
        return Err(only("serverId", "\"haproxy\""));
    }
    if spec.hash_string.is_some() && compat != Some(Compat::Ats) {
        return Err(only("hashString", "\"ats\""));
    }
    if let Some(c) = compat {
        // A profile reproduces a daemon's mapping, which has no zones or priority levels to spill between.
        let field = match (&spec.zone, spec.priority) {
            (Some(_), _) => "zone",
            (None, 0) => return Ok(()),
            (None, _) => "priority",
        };
        return Err(Error::new(
            Code::UnknownField,
            format!(
                "{path} has field {field:?}, which compat {:?} does not read (a profile reproduces {}'s mapping, which has no zones or priority levels); remove it, or drop compat",
                c.name(),
                c.name()
            ),
        ));
    }
    Ok(())
}
