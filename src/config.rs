//! Validation of Router options, node specs and outcomes.
//!
//! The single source of truth for what input is accepted. Every rejection carries a stable [`Code`] and a
//! message naming the offending path and what to do instead. Nothing unknown is silently ignored.

use crate::base::error::{Code, Error, Result};
use crate::base::limits::{
    validate_id, validate_weight, validate_whole_weight, DEFAULT_MAX_MEMORY, MAX_ID_BYTES, MAX_MAX_MEMORY, MAX_MS,
    MAX_NODES, MAX_SEED, MAX_WEIGHT, MIN_MAX_MEMORY, MIN_WEIGHT,
};
use crate::base::numfmt::fmt_num;
use crate::base::value::Value;
use crate::compat::haproxy::MAX_SERVER_ID;
use crate::compat::{check_node_fields, Compat};
use crate::hash::systems::Hash32;
use crate::hash::Secret;
use crate::node::health::HealthConfig;
use crate::node::{NodeSpec, Outcome};
use crate::strategy::bounded_load::{DEFAULT_LOAD_FACTOR, MAX_LOAD_FACTOR};
use crate::strategy::kind::StrategyKind;
use crate::strategy::least_latency::DEFAULT_DECAY_MS;
use crate::strategy::maglev::{is_prime, maglev_too_small, DEFAULT_TABLE_SIZE, MAX_TABLE_SIZE};
use crate::strategy::ring::{DEFAULT_VNODES, MAX_VNODES};
use core::fmt;

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
                        "unknown option {k:?}; the options are strategy, nodes, seed, vnodes (ring), decayMs (least-latency), secret (hashing strategies), tableSize (maglev), boundedLoad (ring, rendezvous, maglev), health, maxMemoryBytes, compat, and hash and avalanche (with compat)"
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
        for (i, n) in cfg.nodes.iter().enumerate() {
            check_node_fields(n, cfg.compat, &format_args!("nodes[{i}]"))?;
        }
        if strategy.caps().whole_weights {
            for (i, n) in cfg.nodes.iter().enumerate() {
                validate_whole_weight(n.weight, &format!("nodes[{i}].weight"), strategy.name())?;
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
        if let Some(c) = self.compat {
            o.push(("compat", c.name().into()));
            if let Some(name) = self.hash.and_then(|h| c.hash_name(h)) {
                o.push(("hash", name.into()));
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

impl NodeSpec {
    /// Validates a node spec `{ id, weight? }`. `path` names it in messages (e.g. `nodes[3]`); it is formatted
    /// only for an error, since a 1000-node config would otherwise format thousands of unused messages.
    pub fn from_value(v: &Value, path: &dyn fmt::Display) -> Result<NodeSpec> {
        let entries = match v {
            Value::Obj(e) => e,
            other => {
                return Err(Error::new(
                    Code::InvalidOption,
                    format!(
                        "{path} must be an object like {{ id: \"origin-1\", weight: 2 }}, got {}",
                        other.kind()
                    ),
                ))
            }
        };
        check_no_duplicates(entries, path, Code::InvalidOption)?;
        for (k, _) in entries {
            if !NODE_FIELDS.contains(&k.as_str()) {
                return Err(Error::new(
                    Code::UnknownField,
                    format!("{path} has unknown field {k:?}; a node has id, weight, and with a compat profile name (twemproxy) or serverId (haproxy)"),
                ));
            }
        }
        let id = match get(entries, "id") {
            Some(Value::Str(s)) => s.clone(),
            None => return Err(Error::new(Code::InvalidId, format!("{path}.id is required"))),
            Some(other) => {
                return Err(Error::new(
                    Code::InvalidId,
                    format!("{path}.id must be a string, got {}", other.kind()),
                ))
            }
        };
        if id.is_empty() || id.len() > MAX_ID_BYTES {
            validate_id(&id, &format!("{path}.id"))?;
        }
        let weight = match get(entries, "weight") {
            None => 1.0,
            Some(&Value::Num(w)) if (MIN_WEIGHT..=MAX_WEIGHT).contains(&w) => w,
            Some(w) => parse_weight(w, &format!("{path}.weight"))?,
        };
        let name = match get(entries, "name") {
            None => None,
            Some(Value::Str(s)) if !s.is_empty() && s.len() <= MAX_ID_BYTES && !s.contains([' ', '\t', '\n', '\r']) => {
                Some(s.clone())
            }
            Some(other) => {
                return Err(Error::new(
                    Code::InvalidId,
                    format!(
                        "{path}.name must be twemproxy's server name: a non-empty string of at most {MAX_ID_BYTES} bytes without spaces, got {}",
                        match other {
                            Value::Str(s) => format!("{s:?}"),
                            _ => other.kind().to_string(),
                        }
                    ),
                ))
            }
        };
        let server_id = match get(entries, "serverId") {
            None => None,
            Some(Value::Num(s)) if s.fract() == 0.0 && *s >= 1.0 && *s <= MAX_SERVER_ID as f64 => Some(*s as u32),
            Some(other) => {
                return Err(Error::new(
                    Code::InvalidId,
                    format!(
                        "{path}.serverId must be HAProxy's server id, a whole number from 1 to {MAX_SERVER_ID}, got {}",
                        match other {
                            Value::Num(n) => fmt_num(*n),
                            _ => other.kind().to_string(),
                        }
                    ),
                ))
            }
        };
        Ok(NodeSpec {
            id,
            weight,
            name,
            server_id,
        })
    }
}

impl Outcome {
    pub fn from_value(v: &Value) -> Result<Outcome> {
        let entries = match v {
            Value::Obj(e) => e,
            other => {
                return Err(Error::new(
                    Code::InvalidReport,
                    format!(
                        "an outcome must be an object like {{ ok: true, latencyMs: 12.5 }}, got {}",
                        other.kind()
                    ),
                ))
            }
        };
        check_no_duplicates(entries, &"outcome", Code::InvalidReport)?;
        for (k, _) in entries {
            if k != "ok" && k != "latencyMs" {
                return Err(Error::new(
                    Code::UnknownField,
                    format!("outcome has unknown field {k:?}; an outcome has only ok and latencyMs"),
                ));
            }
        }
        let ok = match get(entries, "ok") {
            Some(Value::Bool(b)) => *b,
            None => {
                return Err(Error::new(
                    Code::InvalidReport,
                    "outcome.ok is required: true when the request succeeded, false when it failed",
                ))
            }
            Some(other) => {
                return Err(Error::new(
                    Code::InvalidReport,
                    format!("outcome.ok must be a boolean, got {}", other.kind()),
                ))
            }
        };
        let latency_ms = match get(entries, "latencyMs") {
            None => None,
            Some(v) => Some(parse_ms(v, "outcome.latencyMs", true, Code::InvalidReport)?),
        };
        Ok(Outcome { ok, latency_ms })
    }
}

/// Checks a weight given as a value.
pub fn parse_weight(v: &Value, what: &str) -> Result<f64> {
    match v {
        Value::Num(w) => validate_weight(*w, what),
        other => Err(Error::new(
            Code::InvalidWeight,
            format!(
                "{what} must be a number from 0.000001 to {}, got {}",
                fmt_num(MAX_WEIGHT),
                other.kind()
            ),
        )),
    }
}

/// The fields of a node spec (`name` for compat twemproxy, `serverId` for haproxy).
pub const NODE_FIELDS: [&str; 4] = ["id", "weight", "name", "serverId"];

/// Every option name `new Router(options)` reads.
pub const OPTIONS: [&str; 13] = [
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
];

fn parse_secret(v: &Value) -> Result<Secret> {
    let bad = |got: &str| {
        Error::new(
            Code::InvalidOption,
            format!("options.secret must be 32 hexadecimal digits (a 128-bit SipHash key, e.g. from crypto.getRandomValues), got {got}"),
        )
    };
    let Value::Str(s) = v else {
        return Err(bad(v.kind()));
    };
    if s.len() != 32 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad(&format!("a string of {} characters", s.chars().count())));
    }
    let mut key = [0u8; 16];
    for (i, k) in key.iter_mut().enumerate() {
        *k = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|_| bad("a non-hex string"))?;
    }
    Ok(Secret(key))
}

fn not_for(option: &str, who: &str, strategy: StrategyKind) -> Error {
    Error::new(
        Code::UnknownOption,
        format!(
            "option {option:?} applies only to {who}, not {:?}; remove it",
            strategy.name()
        ),
    )
}

fn strategy_list() -> String {
    let names: Vec<String> = StrategyKind::ALL.iter().map(|k| format!("{:?}", k.name())).collect();
    names.join(", ")
}

fn get<'a>(entries: &'a [(String, Value)], key: &str) -> Option<&'a Value> {
    entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn check_no_duplicates(entries: &[(String, Value)], what: &dyn fmt::Display, code: Code) -> Result<()> {
    for (i, (k, _)) in entries.iter().enumerate() {
        if entries[..i].iter().any(|(k2, _)| k2 == k) {
            return Err(Error::new(code, format!("{what} has {k:?} more than once")));
        }
    }
    Ok(())
}

/// Checks that `option` is the strategy's own option (the capability table names each option's one owner).
fn only_for(strategy: StrategyKind, option: &str) -> Result<()> {
    if strategy.caps().own_option == Some(option) {
        return Ok(());
    }
    let owner = StrategyKind::ALL
        .into_iter()
        .find(|k| k.caps().own_option == Some(option));
    Err(Error::new(
        Code::UnknownOption,
        format!(
            "option {option:?} applies only to strategy {:?}, not {:?}; remove it",
            owner.map_or("", StrategyKind::name),
            strategy.name()
        ),
    ))
}

/// `compat`, checked against the options it constrains.
fn parse_compat(v: &Value, cfg: &Config) -> Result<Compat> {
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
        Compat::Nginx | Compat::Twemproxy | Compat::Libketama | Compat::Haproxy => {}
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
fn parse_compat_hash(entries: &[(String, Value)], cfg: &mut Config) -> Result<()> {
    if let Some(v) = get(entries, "hash") {
        let c = cfg.compat.filter(|c| !c.hashes().is_empty()).ok_or_else(|| {
            Error::new(
                Code::UnknownOption,
                format!(
                    "option \"hash\" names the key hash of compat \"twemproxy\" or \"haproxy\"; {}",
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

fn parse_seed(v: &Value) -> Result<u64> {
    match v {
        Value::Num(n) if n.fract() == 0.0 && *n >= 0.0 && *n <= MAX_SEED => Ok(*n as u64),
        Value::Num(n) => Err(Error::new(
            Code::InvalidOption,
            format!(
                "options.seed must be a whole number from 0 to 2^53-1 (Number.MAX_SAFE_INTEGER), got {}",
                fmt_num(*n)
            ),
        )),
        other => Err(Error::new(
            Code::InvalidOption,
            format!(
                "options.seed must be a whole number from 0 to 2^53-1, got {}",
                other.kind()
            ),
        )),
    }
}

fn parse_int(v: &Value, what: &str, lo: u64, hi: u64) -> Result<u64> {
    match v {
        Value::Num(n) if n.fract() == 0.0 && *n >= lo as f64 && *n <= hi as f64 => Ok(*n as u64),
        Value::Num(n) => Err(Error::new(
            Code::InvalidOption,
            format!("{what} must be a whole number from {lo} to {hi}, got {}", fmt_num(*n)),
        )),
        other => Err(Error::new(
            Code::InvalidOption,
            format!("{what} must be a whole number from {lo} to {hi}, got {}", other.kind()),
        )),
    }
}

fn parse_ms(v: &Value, what: &str, zero_ok: bool, code: Code) -> Result<f64> {
    let lo = if zero_ok { ">= 0" } else { "> 0" };
    match v {
        Value::Num(n) if n.is_finite() && *n <= MAX_MS && (*n > 0.0 || (zero_ok && *n == 0.0)) => Ok(n.abs()),
        Value::Num(n) => Err(Error::new(
            code,
            format!(
                "{what} must be a finite number of milliseconds {lo} and <= {}, got {}",
                fmt_num(MAX_MS),
                fmt_num(*n)
            ),
        )),
        other => Err(Error::new(
            code,
            format!("{what} must be a number of milliseconds, got {}", other.kind()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
