//! Layer 6, options: reading a Router's configuration from JSON-shaped input and writing it back.
//!
//! The single source of truth for what input is accepted. Every rejection carries a stable [`Code`] and a
//! message naming the offending path and what to do instead. Nothing unknown is silently ignored. What a value
//! may be is decided where the concept lives (limits in `base::limits`, each strategy's in its file, each
//! profile's rules in `compat/`); this layer reads the input and calls those checks.
//!
//! - this file: [`Config`], the top-level options, and their serialisation (`toJSON`);
//! - `node.rs`: node specs and outcomes; `compat.rs`: `compat`, `hash`, `avalanche`; `fields.rs`: scalar
//!   fields (seed, secret, whole numbers, durations, weights) and the entry helpers; `health.rs`: the options of
//!   passive health.

mod compat;
mod fields;
pub mod health;
mod node;

pub use fields::parse_weight;
pub use node::NODE_FIELDS;

use self::compat::{parse_compat, parse_compat_hash, parse_envoy_ring, parse_varnish_replicas};
use self::fields::{
    check_no_duplicates, get, not_for, only_for, parse_int, parse_ms, parse_secret, parse_seed, strategy_list,
};
use crate::base::error::{Code, Error, Result};
use crate::base::limits::{validate_whole_weight, DEFAULT_MAX_MEMORY, MAX_MAX_MEMORY, MAX_NODES, MIN_MAX_MEMORY};
use crate::base::numfmt::fmt_num;
use crate::base::value::Value;
use crate::compat::envoy::RingOptions;
use crate::compat::{check_node_fields, Compat};
use crate::hash::systems::Hash32;
use crate::hash::Secret;
use crate::node::health::HealthConfig;
use crate::node::ramp::{SlowStart, DEFAULT_MIN_PERCENT};
use crate::node::NodeSpec;
use crate::strategy::bounded_load::{DEFAULT_LOAD_FACTOR, MAX_LOAD_FACTOR};
use crate::strategy::kind::StrategyKind;
use crate::strategy::least_latency::DEFAULT_DECAY_MS;
use crate::strategy::maglev::{is_prime, maglev_too_small, DEFAULT_TABLE_SIZE, MAX_TABLE_SIZE};
use crate::strategy::ring::{DEFAULT_VNODES, MAX_VNODES};

/// A validated Router configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub strategy: StrategyKind,
    pub nodes: Vec<NodeSpec>,
    /// For hashing strategies, the xxh3 seed of key and point hashes (0 when absent).
    /// For random strategies, the PRNG seed (fresh entropy when absent).
    pub seed: Option<u64>,
    /// Ring points per unit of weight.
    pub vnodes: u32,
    /// Time constant of the latency EWMA, in ms.
    pub decay_ms: f64,
    /// With a secret, keys are hashed with keyed SipHash-2-4 instead of seeded XXH3.
    pub secret: Option<Secret>,
    /// Maglev lookup table size (prime).
    pub table_size: u32,
    /// Bounded loads: the load factor c, or `None` for unbounded.
    pub bounded_load: Option<f64>,
    /// Passive health and its limits.
    pub health: HealthConfig,
    /// A compatibility profile that fixes hashes and scoring.
    pub compat: Option<Compat>,
    /// The key hash a compat profile uses, where the system lets you choose (`hash`); `None` = its default.
    pub hash: Option<Hash32>,
    /// HAProxy's `avalanche` modifier; `None` = HAProxy's default.
    pub avalanche: Option<bool>,
    /// The most memory this Router's tables and node table may take at their peak (`maxMemoryBytes`).
    pub max_memory_bytes: u64,
    /// Envoy's ring hash options (`minRingSize`, `maxRingSize`, `hashFunction`; compat envoy, ring).
    pub envoy_ring: RingOptions,
    /// The Varnish shard director's `reconfigure(replicas = N)` (`replicas`; compat varnish, ring).
    pub replicas: u32,
    /// Slow start (`slowStartMs`, `slowStartMinPercent`; the keyless strategies).
    pub slow_start: Option<SlowStart>,
}

impl Config {
    pub fn new(strategy: StrategyKind, nodes: Vec<NodeSpec>) -> Config {
        Config {
            strategy,
            nodes,
            seed: None,
            vnodes: DEFAULT_VNODES,
            decay_ms: DEFAULT_DECAY_MS,
            secret: None,
            table_size: DEFAULT_TABLE_SIZE,
            bounded_load: None,
            health: HealthConfig::default(),
            compat: None,
            hash: None,
            avalanche: None,
            max_memory_bytes: DEFAULT_MAX_MEMORY,
            envoy_ring: RingOptions::default(),
            replicas: crate::compat::varnish::REPLICAS,
            slow_start: None,
        }
    }

    /// Validates an options object.
    pub fn from_value(v: &Value) -> Result<Config> {
        Config::parse(v, false)
    }

    /// As [`Config::from_value`], but `nodes` may be empty: the options of a snapshot of a Router whose nodes
    /// were all removed.
    pub fn from_snapshot_value(v: &Value) -> Result<Config> {
        Config::parse(v, true)
    }

    fn parse(v: &Value, allow_empty: bool) -> Result<Config> {
        let entries = match v {
            Value::Obj(e) => e,
            other => {
                return Err(Error::new(
                    Code::InvalidOptions,
                    format!(
                    "Router options must be an object like {{ strategy: \"ring\", nodes: [{{ id: \"a\" }}] }}, got {}",
                    other.kind()
                ),
                ))
            }
        };
        check_no_duplicates(entries, &"options", Code::InvalidOptions)?;
        for (k, _) in entries {
            if !OPTIONS.contains(&k.as_str()) {
                return Err(Error::new(
                    Code::UnknownOption,
                    format!(
                        "unknown option {k:?}; the options are strategy, nodes, seed, vnodes (ring), decayMs (least-latency), secret (hashing strategies), tableSize (maglev), boundedLoad (ring, rendezvous, maglev), health, maxMemoryBytes, compat, hash and avalanche (with compat), minRingSize, maxRingSize and hashFunction (compat envoy), replicas (compat varnish), and slowStartMs and slowStartMinPercent (random, round-robin, weighted-round-robin, least-latency, least-outstanding)"
                    ),
                ));
            }
        }
        let strategy = match get(entries, "strategy") {
            None => {
                return Err(Error::new(
                    Code::InvalidOptions,
                    format!("options.strategy is required: one of {}", strategy_list()),
                ))
            }
            Some(Value::Str(s)) => StrategyKind::from_name(s).ok_or_else(|| {
                Error::new(
                    Code::UnknownStrategy,
                    format!("unknown strategy {s:?}; use one of {}", strategy_list()),
                )
            })?,
            Some(other) => {
                return Err(Error::new(
                    Code::InvalidOption,
                    format!(
                        "options.strategy must be a string, one of {}; got {}",
                        strategy_list(),
                        other.kind()
                    ),
                ))
            }
        };
        let mut cfg = Config::new(strategy, Vec::new());

        let nodes = match get(entries, "nodes") {
            None => {
                return Err(Error::new(
                    Code::NoNodes,
                    "options.nodes is required: an array of { id, weight? } with at least one node",
                ))
            }
            Some(Value::Arr(a)) => a,
            Some(other) => {
                return Err(Error::new(
                    Code::InvalidOption,
                    format!(
                        "options.nodes must be an array of {{ id, weight? }}, got {}",
                        other.kind()
                    ),
                ))
            }
        };
        if nodes.is_empty() && !allow_empty {
            return Err(Error::new(
                Code::NoNodes,
                "options.nodes is empty; give at least one node (nodes can be removed later, and pick then returns undefined)",
            ));
        }
        if nodes.len() > MAX_NODES {
            return Err(Error::new(
                Code::TooLarge,
                format!(
                    "options.nodes has {} nodes; at most {MAX_NODES} are supported",
                    nodes.len()
                ),
            ));
        }
        let mut seen: Vec<&str> = Vec::with_capacity(nodes.len());
        for (i, n) in nodes.iter().enumerate() {
            let spec = NodeSpec::from_value(n, &format_args!("nodes[{i}]"))?;
            cfg.nodes.push(spec);
        }
        for n in &cfg.nodes {
            seen.push(&n.id);
        }
        crate::base::sort::sort_by(&mut seen, &|a, b| a.cmp(b));
        if let Some(w) = seen.windows(2).find(|w| w[0] == w[1]) {
            return Err(Error::new(
                Code::DuplicateId,
                format!(
                    "node id {:?} appears more than once in options.nodes; ids must be unique",
                    w[0]
                ),
            ));
        }

        if let Some(v) = get(entries, "seed") {
            cfg.seed = Some(parse_seed(v)?);
        }
        if let Some(v) = get(entries, "vnodes") {
            only_for(strategy, "vnodes")?;
            cfg.vnodes = parse_int(v, "options.vnodes", 1, MAX_VNODES as u64)? as u32;
        }
        if let Some(v) = get(entries, "decayMs") {
            only_for(strategy, "decayMs")?;
            cfg.decay_ms = parse_ms(v, "options.decayMs", false, Code::InvalidOption)?;
        }
        if let Some(v) = get(entries, "secret") {
            if !strategy.needs_key() {
                return Err(not_for(
                    "secret",
                    "the hashing strategies (ring, rendezvous, maglev, jump)",
                    strategy,
                ));
            }
            cfg.secret = Some(parse_secret(v)?);
        }
        if let Some(v) = get(entries, "tableSize") {
            only_for(strategy, "tableSize")?;
            let m = parse_int(v, "options.tableSize", 2, MAX_TABLE_SIZE as u64)? as u32;
            if !is_prime(m) {
                return Err(Error::new(
                    Code::InvalidOption,
                    format!("options.tableSize must be a prime number (maglev needs it so every skip visits every slot), got {m}; 65537 is the default"),
                ));
            }
            cfg.table_size = m;
        }
        if let Some(v) = get(entries, "boundedLoad") {
            if !strategy.can_bound() {
                return Err(not_for("boundedLoad", "ring, rendezvous and maglev", strategy));
            }
            cfg.bounded_load = match v {
                Value::Bool(true) => Some(DEFAULT_LOAD_FACTOR),
                Value::Bool(false) => None,
                Value::Num(c) if c.is_finite() && *c > 1.0 && *c <= MAX_LOAD_FACTOR => Some(*c),
                Value::Num(c) => {
                    return Err(Error::new(
                        Code::InvalidOption,
                        format!(
                            "options.boundedLoad must be true (c = {}) or a load factor c > 1 and <= {}, got {}",
                            fmt_num(DEFAULT_LOAD_FACTOR),
                            fmt_num(MAX_LOAD_FACTOR),
                            fmt_num(*c)
                        ),
                    ))
                }
                other => {
                    return Err(Error::new(
                        Code::InvalidOption,
                        format!(
                            "options.boundedLoad must be true or a load factor c > 1, got {}",
                            other.kind()
                        ),
                    ))
                }
            };
        }
        if let Some(v) = get(entries, "health") {
            cfg.health = HealthConfig::from_value(v)?;
        }
        if let Some(v) = get(entries, "maxMemoryBytes") {
            cfg.max_memory_bytes = parse_int(v, "options.maxMemoryBytes", MIN_MAX_MEMORY, MAX_MAX_MEMORY)?;
        }
        if let Some(v) = get(entries, "compat") {
            cfg.compat = Some(parse_compat(v, &cfg)?);
        }
        parse_compat_hash(entries, &mut cfg)?;
        parse_envoy_ring(entries, &mut cfg)?;
        parse_varnish_replicas(entries, &mut cfg)?;
        parse_slow_start(entries, &mut cfg)?;
        for (i, n) in cfg.nodes.iter().enumerate() {
            check_node_fields(n, cfg.compat, &format_args!("nodes[{i}]"))?;
        }
        // A profile checks its own weights when it builds, in its own words (what the system it copies does
        // with a weight).
        if let (Some(why), None) = (strategy.caps().whole_weights, cfg.compat) {
            for (i, n) in cfg.nodes.iter().enumerate() {
                validate_whole_weight(n.weight, &format!("nodes[{i}].weight"), why)?;
            }
        }
        if strategy == StrategyKind::Maglev && cfg.nodes.len() >= cfg.table_size as usize {
            return Err(maglev_too_small(cfg.nodes.len(), cfg.table_size));
        }
        Ok(cfg)
    }
}

impl Config {
    /// The options as a value that [`Config::from_value`] accepts back, with these nodes.
    pub fn to_value(&self, nodes: &[NodeSpec]) -> Value {
        let mut o: Vec<(&str, Value)> = vec![
            ("strategy", self.strategy.name().into()),
            ("nodes", Value::Arr(nodes.iter().map(NodeSpec::to_value).collect())),
        ];
        if let Some(seed) = self.seed {
            o.push(("seed", (seed as f64).into()));
        }
        match self.strategy {
            StrategyKind::Ring => o.push(("vnodes", (self.vnodes as f64).into())),
            StrategyKind::LeastLatency => o.push(("decayMs", self.decay_ms.into())),
            StrategyKind::Maglev => o.push(("tableSize", (self.table_size as f64).into())),
            _ => {}
        }
        if let Some(s) = &self.secret {
            let hex: String = s.0.iter().map(|b| format!("{b:02x}")).collect();
            o.push(("secret", Value::Str(hex)));
        }
        if let Some(c) = self.bounded_load {
            o.push(("boundedLoad", c.into()));
        }
        if let Some(s) = self.slow_start {
            o.push(("slowStartMs", s.window_ms.into()));
            o.push(("slowStartMinPercent", s.min_percent.into()));
        }
        if let Some(c) = self.compat {
            o.push(("compat", c.name().into()));
            if let Some(name) = self.hash.and_then(|h| c.hash_name(h)) {
                o.push(("hash", name.into()));
            }
            if c == Compat::Envoy && self.strategy == StrategyKind::Ring {
                let r = &self.envoy_ring;
                o.push(("minRingSize", (r.min as f64).into()));
                o.push(("maxRingSize", (r.max as f64).into()));
                o.push(("hashFunction", (if r.murmur2 { "murmur2" } else { "xxhash" }).into()));
            }
            if c == Compat::Varnish && self.strategy == StrategyKind::Ring {
                o.push(("replicas", (self.replicas as f64).into()));
            }
        }
        if let Some(a) = self.avalanche {
            o.push(("avalanche", Value::Bool(a)));
        }
        if self.max_memory_bytes != DEFAULT_MAX_MEMORY {
            o.push(("maxMemoryBytes", (self.max_memory_bytes as f64).into()));
        }
        let h = &self.health;
        o.push((
            "health",
            if h.passive {
                Value::obj(vec![
                    ("consecutiveFailures", (h.consecutive_failures as f64).into()),
                    ("failureRate", h.failure_rate.into()),
                    ("minRequests", (h.min_requests as f64).into()),
                    ("windowMs", h.window_ms.into()),
                    ("baseEjectionMs", h.base_ejection_ms.into()),
                    ("maxEjectionMs", h.max_ejection_ms.into()),
                    ("maxEjectedShare", h.max_ejected_share.into()),
                    ("panicThreshold", h.panic_threshold.into()),
                    ("probeTimeoutMs", h.probe_timeout_ms.into()),
                ])
            } else {
                Value::Bool(false)
            },
        ));
        Value::obj(o)
    }
}

/// Every option name `new Router(options)` reads.
pub const OPTIONS: [&str; 19] = [
    "maxMemoryBytes",
    "compat",
    "hash",
    "avalanche",
    "strategy",
    "nodes",
    "seed",
    "vnodes",
    "decayMs",
    "secret",
    "tableSize",
    "boundedLoad",
    "health",
    "minRingSize",
    "maxRingSize",
    "hashFunction",
    "replicas",
    "slowStartMs",
    "slowStartMinPercent",
];

/// `slowStartMs` and `slowStartMinPercent`: for the strategies that weigh nodes per request (the keyless ones).
/// A hashing strategy would have to move keys onto the node and back off it as its weight ramps, so the
/// option is refused there.
fn parse_slow_start(entries: &[(String, Value)], cfg: &mut Config) -> Result<()> {
    let window = get(entries, "slowStartMs");
    let min = get(entries, "slowStartMinPercent");
    if window.is_none() && min.is_none() {
        return Ok(());
    }
    if cfg.strategy.needs_key() {
        let which = if window.is_some() {
            "slowStartMs"
        } else {
            "slowStartMinPercent"
        };
        return Err(Error::new(
            Code::UnknownOption,
            format!(
                "option {which:?} applies only to random, round-robin, weighted-round-robin, least-latency and least-outstanding, not {:?}: a hashing strategy maps keys by weight, so ramping a weight would move keys onto a node and off it again; remove it",
                cfg.strategy.name()
            ),
        ));
    }
    let Some(window) = window else {
        return Err(Error::new(
            Code::InvalidOption,
            "options.slowStartMinPercent needs options.slowStartMs (the window the weight ramps over)",
        ));
    };
    let window_ms = parse_ms(window, "options.slowStartMs", false, Code::InvalidOption)?;
    let min_percent = match min {
        None => DEFAULT_MIN_PERCENT,
        Some(&Value::Num(p)) if p > 0.0 && p <= 100.0 => p,
        Some(other) => {
            return Err(Error::new(
                Code::InvalidOption,
                format!(
                    "options.slowStartMinPercent must be a number > 0 and <= 100 (the share of its weight a node starts at; {} by default), got {}",
                    fmt_num(DEFAULT_MIN_PERCENT),
                    match other {
                        Value::Num(n) => fmt_num(*n),
                        _ => other.kind().to_string(),
                    }
                ),
            ))
        }
    };
    cfg.slow_start = Some(SlowStart { window_ms, min_percent });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::limits::validate_id;
    use crate::node::Outcome;

    fn node(id: &str) -> Value {
        Value::obj(vec![("id", id.into())])
    }

    fn opts(extra: Vec<(&str, Value)>) -> Value {
        let mut e = vec![
            ("strategy", Value::from("ring")),
            ("nodes", Value::Arr(vec![node("a"), node("b")])),
        ];
        e.extend(extra);
        Value::obj(e)
    }

    fn code_of(v: &Value) -> Code {
        Config::from_value(v).unwrap_err().code
    }

    #[test]
    fn accepts_minimal_ring() {
        let c = Config::from_value(&opts(vec![])).unwrap();
        assert_eq!(c.strategy, StrategyKind::Ring);
        assert_eq!(c.nodes, vec![NodeSpec::new("a", 1.0), NodeSpec::new("b", 1.0)]);
        assert_eq!(c.vnodes, DEFAULT_VNODES);
        assert_eq!(c.seed, None);
    }

    #[test]
    fn rejects_each_bad_input_with_its_code() {
        assert_eq!(code_of(&Value::Num(1.0)), Code::InvalidOptions);
        assert_eq!(code_of(&opts(vec![("bogus", Value::Bool(true))])), Code::UnknownOption);
        assert_eq!(
            code_of(&opts(vec![("__proto__", Value::obj(vec![]))])),
            Code::UnknownOption
        );
        assert_eq!(code_of(&opts(vec![("decayMs", 5.0.into())])), Code::UnknownOption);
        assert_eq!(code_of(&opts(vec![("vnodes", 0.0.into())])), Code::InvalidOption);
        assert_eq!(code_of(&opts(vec![("vnodes", 1.5.into())])), Code::InvalidOption);
        assert_eq!(code_of(&opts(vec![("seed", (-1.0).into())])), Code::InvalidOption);
        assert_eq!(code_of(&opts(vec![("seed", 9.1e15.into())])), Code::InvalidOption);
        assert_eq!(code_of(&opts(vec![("seed", "7".into())])), Code::InvalidOption);
        // opts() is a ring: compat "redis" needs rendezvous.
        assert_eq!(code_of(&opts(vec![("compat", "redis".into())])), Code::InvalidOption);
        let rdv = |extra: Vec<(&str, Value)>| {
            let mut o = vec![
                ("strategy", "rendezvous".into()),
                ("nodes", Value::Arr(vec![node("a")])),
            ];
            o.extend(extra);
            Value::obj(o)
        };
        assert!(Config::from_value(&rdv(vec![("compat", "redis".into()), ("seed", 4294967295.0.into())])).is_ok());
        assert_eq!(
            code_of(&rdv(vec![("compat", "redis".into()), ("seed", 4294967296.0.into())])),
            Code::InvalidOption
        );
        assert_eq!(
            code_of(&rdv(vec![("compat", "nginx-typo".into())])),
            Code::InvalidOption
        );
        assert_eq!(code_of(&rdv(vec![("compat", 1.0.into())])), Code::InvalidOption);
        let with_nodes =
            |nodes: Vec<Value>| Value::obj(vec![("strategy", "ring".into()), ("nodes", Value::Arr(nodes))]);
        assert_eq!(code_of(&with_nodes(vec![])), Code::NoNodes);
        assert_eq!(code_of(&Value::obj(vec![("strategy", "ring".into())])), Code::NoNodes);
        assert_eq!(code_of(&with_nodes(vec![node("")])), Code::InvalidId);
        assert_eq!(code_of(&with_nodes(vec![node(&"x".repeat(257))])), Code::InvalidId);
        assert_eq!(
            code_of(&with_nodes(vec![Value::obj(vec![("id", 3.0.into())])])),
            Code::InvalidId
        );
        assert_eq!(code_of(&with_nodes(vec![node("a"), node("a")])), Code::DuplicateId);
        for w in [f64::NAN, f64::INFINITY, -1.0, 0.0, -0.0, 2e6] {
            let n = Value::obj(vec![("id", "a".into()), ("weight", w.into())]);
            assert_eq!(code_of(&with_nodes(vec![n])), Code::InvalidWeight, "weight {w}");
        }
        let n = Value::obj(vec![("id", "a".into()), ("wieght", 2.0.into())]);
        assert_eq!(code_of(&with_nodes(vec![n])), Code::UnknownField);
        let bad = Value::obj(vec![
            ("strategy", "fastest".into()),
            ("nodes", Value::Arr(vec![node("a")])),
        ]);
        assert_eq!(code_of(&bad), Code::UnknownStrategy);
        let bad = Value::obj(vec![("strategy", 1.0.into()), ("nodes", Value::Arr(vec![node("a")]))]);
        assert_eq!(code_of(&bad), Code::InvalidOption);
    }

    #[test]
    fn id_limit_counts_utf8_bytes() {
        assert!(validate_id(&"é".repeat(128), "id").is_ok());
        assert_eq!(validate_id(&"é".repeat(129), "id").unwrap_err().code, Code::InvalidId);
    }

    #[test]
    fn messages_name_the_path() {
        let n = Value::obj(vec![("id", "a".into()), ("weight", f64::NAN.into())]);
        let v = Value::obj(vec![
            ("strategy", "ring".into()),
            ("nodes", Value::Arr(vec![node("z"), n])),
        ]);
        let e = Config::from_value(&v).unwrap_err();
        assert!(e.message.contains("nodes[1].weight"), "{}", e.message);
        assert!(e.message.contains("NaN"), "{}", e.message);
    }

    #[test]
    fn outcome_validation() {
        let ok = Outcome::from_value(&Value::obj(vec![("ok", Value::Bool(true)), ("latencyMs", 3.5.into())])).unwrap();
        assert_eq!(
            ok,
            Outcome {
                ok: true,
                latency_ms: Some(3.5)
            }
        );
        for bad in [
            Value::obj(vec![]),
            Value::obj(vec![("ok", 1.0.into())]),
            Value::obj(vec![("ok", Value::Bool(true)), ("latencyMs", (-1.0).into())]),
            Value::obj(vec![("ok", Value::Bool(true)), ("latencyMs", f64::NAN.into())]),
        ] {
            assert_eq!(Outcome::from_value(&bad).unwrap_err().code, Code::InvalidReport);
        }
        let extra = Value::obj(vec![("ok", Value::Bool(true)), ("status", 200.0.into())]);
        assert_eq!(Outcome::from_value(&extra).unwrap_err().code, Code::UnknownField);
    }
}
