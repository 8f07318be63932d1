//! The `compat` option and the options it brings: `hash` and `avalanche`, and Envoy's ring options.

use super::fields::{get, parse_int};
use super::Config;
use crate::base::error::{Code, Error, Result};
use crate::base::value::Value;
use crate::compat::envoy::{MAX_MAGLEV_TABLE, MAX_RING_SIZE};
use crate::compat::varnish::MAX_REPLICAS;
use crate::compat::Compat;
use crate::strategy::kind::StrategyKind;
use crate::strategy::ring::DEFAULT_VNODES;

/// `compat`, checked against the options it constrains.
pub(super) fn parse_compat(v: &Value, cfg: &Config) -> Result<Compat> {
    let names = || Compat::ALL.map(|c| format!("{:?}", c.name())).join(", ");
    let c = match v {
        Value::Str(s) => Compat::from_name(s).ok_or_else(|| {
            Error::new(
                Code::InvalidOption,
                format!("unknown options.compat {s:?}; the profiles are {}", names()),
            )
        })?,
        other => {
            return Err(Error::new(
                Code::InvalidOption,
                format!(
                    "options.compat must be a string, one of {}; got {}",
                    names(),
                    other.kind()
                ),
            ))
        }
    };
    if !c.strategies().contains(&cfg.strategy) {
        let list: Vec<String> = c.strategies().iter().map(|k| format!("{:?}", k.name())).collect();
        return Err(Error::new(
            Code::InvalidOption,
            format!(
                "options.compat {:?} reproduces strategy {}, not {:?}",
                c.name(),
                list.join(" or "),
                cfg.strategy.name()
            ),
        ));
    }
    if c != Compat::Redis {
        let fixed = [
            ("seed", cfg.seed.is_some()),
            ("secret", cfg.secret.is_some()),
            ("vnodes", cfg.vnodes != DEFAULT_VNODES),
            ("boundedLoad", cfg.bounded_load.is_some()),
        ];
        if let Some((opt, _)) = fixed.iter().find(|f| f.1) {
            return Err(Error::new(
                Code::InvalidOption,
                format!(
                    "options.{opt} cannot be used with compat {:?}: the profile fixes the hashes and points to match {}; remove it",
                    c.name(),
                    c.name()
                ),
            ));
        }
    }
    match c {
        Compat::Nginx
        | Compat::Twemproxy
        | Compat::Libketama
        | Compat::Haproxy
        | Compat::Squid
        | Compat::Caddy
        | Compat::Varnish
        | Compat::Ats => {}
        Compat::Envoy => {
            if cfg.strategy == StrategyKind::Maglev && cfg.table_size > MAX_MAGLEV_TABLE {
                return Err(Error::new(
                    Code::InvalidOption,
                    format!(
                        "options.tableSize is {}, but Envoy's maglev table_size is at most {MAX_MAGLEV_TABLE}",
                        cfg.table_size
                    ),
                ));
            }
        }
        Compat::Redis => {
            if cfg.strategy != StrategyKind::Rendezvous {
                return Err(Error::new(
                    Code::InvalidOption,
                    format!(
                        "options.compat \"redis\" reproduces the Lua script's weighted rendezvous; use it with strategy \"rendezvous\", not {:?}",
                        cfg.strategy.name()
                    ),
                ));
            }
            if cfg.secret.is_some() {
                return Err(Error::new(
                    Code::InvalidOption,
                    "options.compat \"redis\" hashes keys with MurmurHash3 as the Lua script does, so it cannot take a secret; remove one of them",
                ));
            }
            if cfg.seed.is_some_and(|s| s > u32::MAX as u64) {
                return Err(Error::new(
                    Code::InvalidOption,
                    format!(
                        "options.seed is {}, but compat \"redis\" uses 32-bit hashes: give a seed from 0 to 4294967295",
                        cfg.seed.unwrap_or(0)
                    ),
                ));
            }
        }
    }
    Ok(c)
}

/// `hash` and `avalanche`, which name a compat profile's key hash.
pub(super) fn parse_compat_hash(entries: &[(String, Value)], cfg: &mut Config) -> Result<()> {
    if let Some(v) = get(entries, "hash") {
        if cfg.compat == Some(Compat::Varnish) && cfg.strategy == StrategyKind::Hash {
            return Err(Error::new(
                Code::UnknownOption,
                "option \"hash\" names the shard director's key (by=HASH or by=URL); Varnish's hash director (compat \"varnish\", strategy \"hash\") always hashes the string given to h.backend() with VRT_HashStrands32, so remove it",
            ));
        }
        let c = cfg.compat.filter(|c| !c.hashes().is_empty()).ok_or_else(|| {
            Error::new(
                Code::UnknownOption,
                format!(
                    "option \"hash\" names the key hash of compat \"twemproxy\", \"haproxy\" or \"varnish\"; {}",
                    match cfg.compat {
                        Some(c) => format!("compat {:?} has one fixed hash, so remove it", c.name()),
                        None => "without compat, keys are hashed with XXH3 (or SipHash with secret); remove it".into(),
                    }
                ),
            )
        })?;
        let names = || {
            c.hashes()
                .iter()
                .map(|h| format!("{:?}", h.0))
                .collect::<Vec<_>>()
                .join(", ")
        };
        cfg.hash = Some(match v {
            Value::Str(s) => c.hashes().iter().find(|h| h.0 == s).map(|h| h.1).ok_or_else(|| {
                Error::new(
                    Code::InvalidOption,
                    format!(
                        "unknown options.hash {s:?} for compat {:?}; use one of {}",
                        c.name(),
                        names()
                    ),
                )
            })?,
            other => {
                return Err(Error::new(
                    Code::InvalidOption,
                    format!(
                        "options.hash must be a string, one of {}; got {}",
                        names(),
                        other.kind()
                    ),
                ))
            }
        });
    }
    if let Some(v) = get(entries, "avalanche") {
        if cfg.compat != Some(Compat::Haproxy) {
            return Err(Error::new(
                Code::UnknownOption,
                "option \"avalanche\" is HAProxy's hash modifier and applies only with compat \"haproxy\"; remove it",
            ));
        }
        cfg.avalanche = Some(match v {
            Value::Bool(b) => *b,
            other => {
                return Err(Error::new(
                    Code::InvalidOption,
                    format!("options.avalanche must be true or false, got {}", other.kind()),
                ))
            }
        });
    }
    Ok(())
}

/// `minRingSize`, `maxRingSize` and `hashFunction`: Envoy's `RingHash` `minimum_ring_size`, `maximum_ring_size`
/// and `hash_function`, with Envoy's defaults and limits (ring_hash.proto).
pub(super) fn parse_envoy_ring(entries: &[(String, Value)], cfg: &mut Config) -> Result<()> {
    let names = ["minRingSize", "maxRingSize", "hashFunction"];
    let envoy_ring = cfg.compat == Some(Compat::Envoy) && cfg.strategy == StrategyKind::Ring;
    if let Some(n) = names.iter().find(|n| get(entries, n).is_some()) {
        if !envoy_ring {
            return Err(Error::new(
                Code::UnknownOption,
                format!("option {n:?} is an option of Envoy's ring hash and applies only with compat \"envoy\" and strategy \"ring\"; remove it"),
            ));
        }
    }
    let r = &mut cfg.envoy_ring;
    if let Some(v) = get(entries, "minRingSize") {
        r.min = parse_int(v, "options.minRingSize", 1, MAX_RING_SIZE)?;
    }
    if let Some(v) = get(entries, "maxRingSize") {
        r.max = parse_int(v, "options.maxRingSize", 1, MAX_RING_SIZE)?;
    }
    if r.min > r.max {
        return Err(Error::new(
            Code::InvalidOption,
            format!(
                "options.minRingSize ({}) is above options.maxRingSize ({}); Envoy refuses such a ring",
                r.min, r.max
            ),
        ));
    }
    if let Some(v) = get(entries, "hashFunction") {
        r.murmur2 = match v {
            Value::Str(s) if s == "xxhash" => false,
            Value::Str(s) if s == "murmur2" => true,
            other => {
                return Err(Error::new(
                    Code::InvalidOption,
                    format!(
                        "options.hashFunction must be \"xxhash\" (Envoy's XX_HASH, the default) or \"murmur2\" (MURMUR_HASH_2), got {}",
                        match other {
                            Value::Str(s) => format!("{s:?}"),
                            _ => other.kind().to_string(),
                        }
                    ),
                ))
            }
        };
    }
    Ok(())
}

/// `replicas`: the Varnish shard director's `reconfigure(replicas = N)`, whole and ≥ 1 as Varnish requires,
/// at most [`MAX_REPLICAS`] (one backend of weight 1 then fills the largest ring supported).
pub(super) fn parse_varnish_replicas(entries: &[(String, Value)], cfg: &mut Config) -> Result<()> {
    if let Some(v) = get(entries, "replicas") {
        if cfg.compat != Some(Compat::Varnish) || cfg.strategy != StrategyKind::Ring {
            return Err(Error::new(
                Code::UnknownOption,
                "option \"replicas\" is the Varnish shard director's reconfigure(replicas = N) and applies only with compat \"varnish\" and strategy \"ring\"; remove it",
            ));
        }
        cfg.replicas = parse_int(v, "options.replicas", 1, MAX_REPLICAS)? as u32;
    }
    Ok(())
}
