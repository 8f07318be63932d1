//! The Router: a node table, a strategy, and the checks between the caller and both.
//!
//! Flow of a pick: [`Router::pick`] checks the key against the strategy, hashes it once with
//! [`crate::hash::KeyHasher`], seeds the PRNG on first use if the strategy draws random numbers, and hands the
//! node table plus a [`Ctx`] to the strategy, which returns an index into the table. The caller maps that index
//! to an id (the JS wrapper keeps the ids in an array, so no string crosses the boundary per pick).

mod health;
mod ids;
mod membership;
mod snapshot;
mod stats;
mod traffic;

pub use health::for_ms_error;
use ids::IdIndex;
pub use membership::NodeChanges;
use membership::{check_spec, dup};
pub use snapshot::SNAPSHOT_FORMAT;
pub use stats::{NodeStats, RequestResult, RequestStats, Totals};
use traffic::{key_draws, Part, Traffic};
pub use traffic::{NO_ZONE, OVERPROVISIONING};

use crate::base::error::{Code, Error, Result};
use crate::base::limits::MAX_NODES;
use crate::base::protocol::MAX_KEY_BYTES;
use crate::base::rng::Rng;
use crate::compat::caddy::CaddyHash;
use crate::compat::continuum::{Continuum, RingProfile};
use crate::compat::envoy::EnvoyMaglev;
use crate::compat::haproxy::HaproxyMap;
use crate::compat::nginx::NginxHash;
use crate::compat::ring64::{Ring64, Ring64Profile};
use crate::compat::squid::SquidCarp;
use crate::compat::twemproxy;
use crate::compat::varnish::VarnishHash;
use crate::compat::Compat;
use crate::hash::{KeyHasher, DEFAULT_SEED};
use crate::node::health::HealthConfig;
use crate::node::NodeState;
use crate::node::{NodeSpec, Outcome};
use crate::options::Config;
use crate::strategy::bounded_load::BoundedLoad;
use crate::strategy::jump::Jump;
use crate::strategy::kind::StrategyKind;
use crate::strategy::least_latency::LeastLatency;
use crate::strategy::least_outstanding::LeastOutstanding;
use crate::strategy::maglev::Maglev;
use crate::strategy::modulo::Modulo;
use crate::strategy::rendezvous::Rendezvous;
use crate::strategy::ring::HashRing;
use crate::strategy::round_robin::RoundRobin;
use crate::strategy::smooth_wrr::SmoothWrr;
use crate::strategy::weighted_random::WeightedRandom;
use crate::strategy::{walk_n, Ctx, Strategy};

/// A source of fresh entropy for unseeded random strategies; called at most once per Router, lazily.
pub type Entropy = fn() -> u64;

pub struct Router {
    kind: StrategyKind,
    nodes: Vec<NodeState>,
    by_id: IdIndex,
    strategy: Box<dyn Strategy>,
    hasher: KeyHasher,
    rng: Rng,
    /// False until `rng` holds a real seed (the `seed` option, or entropy drawn on first use).
    rng_seeded: bool,
    entropy: Entropy,
    decay_ms: f64,
    scratch: Vec<usize>,
    /// The validated options (nodes excluded; the table holds them), for `snapshot`.
    cfg: Config,
    health: HealthConfig,
    /// Nodes with `usable == false`.
    unusable: usize,
    /// The earliest time at which some node's usability changes by itself (an ejection or mark ending).
    next_change: f64,
    /// Usability must be recomputed before the next pick.
    dirty: bool,
    /// Too few nodes are healthy: route as if all were (except nodes marked down by hand).
    panic: bool,
    /// Nodes whose ejection ended and whose probe is not out yet: the next pick of one takes its probe.
    probing: usize,
    /// What removed nodes had counted, so the pool's totals stay monotonic across `remove`.
    removed: Totals,
    /// `routedFetch`'s requests, as it records them.
    requests: RequestStats,
    /// When the counters started (ms): the first report or export, or as restored from a snapshot; 0 before.
    counters_since: f64,
    /// Zones, priority levels and slow start (docs/traffic.md).
    traffic: Traffic,
}

impl core::fmt::Debug for Router {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Router")
            .field("strategy", &self.kind.name())
            .field("nodes", &self.nodes.len())
            .finish()
    }
}

impl Router {
    /// Builds a Router from a validated config. `entropy` seeds random strategies when `cfg.seed` is `None`.
    pub fn new(cfg: Config, entropy: Entropy) -> Result<Router> {
        if cfg.nodes.is_empty() {
            return Err(Error::new(Code::NoNodes, "a Router needs at least one node"));
        }
        Router::build(cfg, entropy)
    }

    /// [`Router::new`] without the at-least-one-node rule: a snapshot of an emptied Router restores empty.
    fn build(cfg: Config, entropy: Entropy) -> Result<Router> {
        if cfg.nodes.len() > MAX_NODES {
            return Err(Error::new(
                Code::TooLarge,
                format!("at most {MAX_NODES} nodes are supported"),
            ));
        }
        let seed = cfg.seed.unwrap_or(DEFAULT_SEED);
        let hasher = match (cfg.compat, cfg.secret) {
            (Some(Compat::Redis), _) => KeyHasher::Murmur3(seed as u32),
            (Some(Compat::Ats), _) => KeyHasher::Sip(crate::hash::wide::ATS_SIP_KEY),
            (Some(Compat::Envoy), _) => KeyHasher::Xxh64,
            (Some(c), _) => match c.system_hash(cfg.strategy, cfg.hash, cfg.avalanche) {
                Some(h) => KeyHasher::System(h),
                None => KeyHasher::Xxh3(seed),
            },
            (None, Some(s)) => KeyHasher::Sip(s),
            (None, None) => KeyHasher::Xxh3(seed),
        };
        let rendezvous = || match cfg.compat {
            Some(Compat::Redis) => Rendezvous::redis_lua(seed as u32),
            _ => Rendezvous::new(seed),
        };
        let compat_ring = |p| -> Box<dyn Strategy> { Box::new(Continuum::new(p)) };
        let strategy: Box<dyn Strategy> = match (cfg.compat, cfg.strategy, cfg.bounded_load) {
            // Config allows each profile only with the strategies it reproduces, and no bounded loads.
            (Some(Compat::Nginx), StrategyKind::Hash, _) => Box::<NginxHash>::default(),
            (Some(Compat::Haproxy), StrategyKind::Hash, _) => Box::<HaproxyMap>::default(),
            (Some(Compat::Nginx), _, _) => compat_ring(RingProfile::Nginx),
            (Some(Compat::Twemproxy), StrategyKind::Hash, _) => Box::new(twemproxy::modula()),
            (Some(Compat::Twemproxy), _, _) => compat_ring(RingProfile::Twemproxy),
            (Some(Compat::Libketama), _, _) => compat_ring(RingProfile::Libketama),
            (Some(Compat::Haproxy), _, _) => compat_ring(RingProfile::Haproxy),
            (Some(Compat::Varnish), StrategyKind::Hash, _) => Box::<VarnishHash>::default(),
            (Some(Compat::Varnish), _, _) => compat_ring(RingProfile::Varnish(cfg.replicas)),
            (Some(Compat::Squid), _, _) => Box::<SquidCarp>::default(),
            (Some(Compat::Ats), _, _) => Box::new(Ring64::new(Ring64Profile::Ats)),
            (Some(Compat::Envoy), StrategyKind::Maglev, _) => Box::new(EnvoyMaglev::new(cfg.table_size)),
            (Some(Compat::Envoy), _, _) => Box::new(Ring64::new(Ring64Profile::Envoy(cfg.envoy_ring))),
            (Some(Compat::Caddy), _, _) => Box::<CaddyHash>::default(),
            (_, StrategyKind::Random, _) => Box::<WeightedRandom>::default(),
            (_, StrategyKind::RoundRobin, _) => Box::<RoundRobin>::default(),
            (_, StrategyKind::WeightedRoundRobin, _) => Box::<SmoothWrr>::default(),
            (_, StrategyKind::LeastLatency, _) => Box::new(LeastLatency::new(cfg.decay_ms)),
            (_, StrategyKind::LeastOutstanding, _) => Box::<LeastOutstanding>::default(),
            (_, StrategyKind::Jump, _) => Box::new(Jump::new(seed)),
            (_, StrategyKind::Hash, _) => Box::<Modulo>::default(),
            (_, StrategyKind::Ring, None) => Box::new(HashRing::new(cfg.vnodes, seed)),
            (_, StrategyKind::Ring, Some(c)) => Box::new(BoundedLoad::new(HashRing::new(cfg.vnodes, seed), c)),
            (_, StrategyKind::Rendezvous, None) => Box::new(rendezvous()),
            (_, StrategyKind::Rendezvous, Some(c)) => Box::new(BoundedLoad::new(rendezvous(), c)),
            (_, StrategyKind::Maglev, None) => Box::new(Maglev::new(cfg.table_size, seed)),
            (_, StrategyKind::Maglev, Some(c)) => Box::new(BoundedLoad::new(Maglev::new(cfg.table_size, seed), c)),
        };
        let mut r = Router {
            kind: cfg.strategy,
            nodes: Vec::with_capacity(cfg.nodes.len()),
            by_id: IdIndex::default(),
            strategy,
            hasher,
            rng: Rng::new(cfg.seed.unwrap_or(0)),
            rng_seeded: cfg.seed.is_some(),
            entropy,
            decay_ms: cfg.decay_ms,
            scratch: Vec::new(),
            cfg: Config {
                nodes: Vec::new(),
                ..cfg.clone()
            },
            health: cfg.health,
            unusable: 0,
            next_change: f64::INFINITY,
            dirty: false,
            panic: false,
            probing: 0,
            removed: Totals::default(),
            requests: RequestStats::default(),
            counters_since: 0.0,
            traffic: Traffic::default(),
        };
        let (index, first_dup) = IdIndex::build(cfg.nodes.len(), &|i| &cfg.nodes[i].id);
        // Errors in node order: the first node that fails its checks or repeats an earlier id.
        for (i, spec) in cfg.nodes.iter().enumerate() {
            check_spec(spec, cfg.compat)?;
            if first_dup == Some(i) {
                return Err(dup(&spec.id));
            }
            r.nodes.push(NodeState::from_spec(spec));
        }
        r.by_id = index;
        r.check_memory(&r.nodes)?;
        r.strategy.build(&r.nodes)?;
        r.traffic.reindex(&r.nodes);
        Ok(r)
    }

    /// Validates options given as a [`Value`](crate::base::value::Value) and builds the Router.
    pub fn from_value(v: &crate::base::value::Value, entropy: Entropy) -> Result<Router> {
        Router::new(Config::from_value(v)?, entropy)
    }

    pub fn strategy(&self) -> StrategyKind {
        self.kind
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The id of the node at `idx` (as returned by `pick`).
    pub fn id(&self, idx: usize) -> &str {
        &self.nodes[idx].id
    }

    /// Node ids in table order; index i is what `pick` returns for that node.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.nodes.iter().map(|n| &*n.id)
    }

    /// The current pool, as node specs.
    pub fn nodes(&self) -> Vec<NodeSpec> {
        self.nodes
            .iter()
            .map(|n| NodeSpec {
                name: n.name.as_deref().map(Into::into),
                server_id: n.server_id,
                hash_string: n.hash_string.as_deref().map(Into::into),
                zone: n.zone.as_deref().map(Into::into),
                priority: n.priority,
                ..NodeSpec::new(&n.id, n.weight)
            })
            .collect()
    }

    /// Whether a pick on this Router reads the clock (the facade then passes one in): for least-latency, and
    /// while any node's health is not plain healthy. A healthy pool never reads the clock.
    pub fn needs_clock(&self) -> bool {
        self.kind.caps().reads_clock
            || self.traffic.ramping > 0
            || self.dirty
            || self.unusable > 0
            || self.probing > 0
            || self.next_change.is_finite()
    }

    /// The in-flight count of the node at `idx`.
    pub fn inflight(&self, idx: usize) -> u32 {
        self.nodes[idx].inflight
    }

    /// The key's hash (`hashed`, when a direct attempt computed it already) and the lazy PRNG seeding.
    fn ctx_parts(&mut self, key: Option<&[u8]>, hashed: Option<u64>) -> Result<u64> {
        let needs_key = self.kind.needs_key();
        let h = match key {
            Some(k) if k.len() > MAX_KEY_BYTES as usize => {
                return Err(Error::new(
                    Code::InvalidKey,
                    format!("the key is {} bytes; keys are at most {MAX_KEY_BYTES} bytes (1 MiB): route by a shorter key, such as a hash of it", k.len()),
                ))
            }
            Some(k) if needs_key => hashed.unwrap_or_else(|| self.hasher.hash(k)),
            Some(_) => 0,
            None if needs_key => {
                return Err(Error::new(
                    Code::InvalidKey,
                    format!(
                        "strategy {:?} routes by key: pass a string or Uint8Array key to pick/pickN",
                        self.kind.name()
                    ),
                ))
            }
            None => 0,
        };
        if self.needs_entropy() {
            // Lazily: Workers forbid drawing randomness while a module is being evaluated.
            self.seed_rng((self.entropy)());
        }
        Ok(h)
    }

    /// Whether the next pick draws fresh entropy: an unseeded strategy that draws random numbers, before its
    /// first pick. A caller that supplies entropy itself (the JS facade) calls [`Router::seed_rng`] first.
    pub fn needs_entropy(&self) -> bool {
        !self.rng_seeded && self.kind.caps().random
    }

    /// Seeds the PRNG of an unseeded Router with fresh entropy (once; later calls do nothing).
    pub fn seed_rng(&mut self, entropy: u64) {
        if !self.rng_seeded {
            self.rng = Rng::new(entropy);
            self.rng_seeded = true;
        }
    }

    /// The hash a hashing strategy routes `key` by (XXH3, SipHash under a secret, or a compat profile's hash);
    /// on a ring, the key goes to the first point at or after it. For inspection and visualisation.
    pub fn key_hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash(key)
    }

    /// The ring's points as (hash, node index), ascending; `None` for strategies without a ring.
    pub fn ring_points(&self) -> Option<Vec<(u64, usize)>> {
        self.strategy.ring_points()
    }

    /// The node for this request, as an index (see [`Router::id`]); `None` when the pool is empty.
    pub fn pick(&mut self, key: Option<&[u8]>, now_ms: f64) -> Result<Option<usize>> {
        self.pick_in(key, NO_ZONE, now_ms)
    }

    /// [`Router::pick`] for a caller in zone `zone` (an index from [`Router::zone_index`], or [`NO_ZONE`]):
    /// the caller's zone and priority level first, spilling as docs/traffic.md describes.
    pub fn pick_in(&mut self, key: Option<&[u8]>, zone: u32, now_ms: f64) -> Result<Option<usize>> {
        let hashed = match key.map(|k| self.try_direct(k, zone)) {
            Some(Ok(i)) => return Ok(Some(i)),
            Some(Err(h)) => h,
            None => None,
        };
        self.pick_hashed(key, zone, now_ms, hashed)
    }

    /// [`Router::pick_in`] through a `Ctx` and the strategy's `pick`, the path taken whenever
    /// [`Router::pick_direct`] does not apply. Public so that tests can check that both paths agree.
    #[doc(hidden)]
    pub fn pick_by_ctx(&mut self, key: Option<&[u8]>, zone: u32, now_ms: f64) -> Result<Option<usize>> {
        self.pick_hashed(key, zone, now_ms, None)
    }

    /// [`Router::pick_by_ctx`] with the key's hash when [`Router::try_direct`] computed it already, so that a
    /// strategy without a direct lookup hashes each key once.
    pub(crate) fn pick_hashed(
        &mut self,
        key: Option<&[u8]>,
        zone: u32,
        now_ms: f64,
        hashed: Option<u64>,
    ) -> Result<Option<usize>> {
        let now_ms = clock(now_ms);
        let key_hash = self.ctx_parts(key, hashed)?;
        self.before_pick(now_ms);
        let key = key.unwrap_or(&[]);
        let got = match self.part(key_hash, zone) {
            None => self.pick_from(None, key, key_hash, now_ms),
            Some(p) => {
                let mut got = self.pick_from(Some(p), key, key_hash, now_ms);
                if got.is_none() {
                    for f in self.traffic.fallbacks(p) {
                        self.traffic.ensure_mask(f);
                        got = self.pick_from(Some(f), key, key_hash, now_ms);
                        if got.is_some() {
                            break;
                        }
                    }
                }
                got
            }
        };
        if let Some(i) = got {
            self.note_pick(i, now_ms);
        }
        Ok(got)
    }

    /// [`Router::pick_in`] of `key` by the strategy's [`Strategy::direct`] lookup, while the Router's state is
    /// plain: nothing for `refresh` to bring up to date (no health event pending, no node down, probing or
    /// ramping), no randomness to seed, and no zone or level to choose (so every node may be picked). Then
    /// `pick_in` gives the same node by the same code, through a `Ctx`; this skips building one (a wasm pick
    /// took 48 ns that way and 19 ns this way). `None`: not plain, or the strategy has no direct lookup; take
    /// `pick_in`.
    #[inline]
    pub fn pick_direct(&mut self, key: &[u8], zone: u32) -> Option<usize> {
        self.try_direct(key, zone).ok()
    }

    /// [`Router::pick_direct`], and when it does not pick, the key's hash if it computed one (for
    /// [`Router::pick_hashed`]): `Err(None)` when the state is not plain.
    #[inline]
    pub(crate) fn try_direct(&mut self, key: &[u8], zone: u32) -> core::result::Result<usize, Option<u64>> {
        if !self.plain(key, zone) {
            return Err(None);
        }
        let h = self.hasher.hash(key);
        let i = self.strategy.direct(&self.nodes, h).ok_or(Some(h))?;
        self.nodes[i].picks += 1;
        Ok(i)
    }

    /// [`Router::pick_n_in`] the way [`Router::pick_direct`] takes `pick_in`: in the plain state, for a strategy
    /// whose `pick_n` is its preference walk, the walk's first `n` nodes without a `Ctx`. False: take the full
    /// path (`out` untouched).
    pub fn pick_n_direct(&mut self, key: &[u8], zone: u32, n: usize, out: &mut Vec<usize>) -> bool {
        if n == 0 || !self.plain(key, zone) {
            return false;
        }
        // The strategy first: one without the walk leaves the key to the full path, which hashes it.
        let Some(p) = self.strategy.walk_picks() else {
            return false;
        };
        let h = self.hasher.hash(key);
        out.clear();
        walk_n(p, &self.nodes, h, n, out);
        if let Some(&i) = out.first() {
            self.nodes[i].picks += 1;
        }
        true
    }

    /// Nothing for `refresh` or slow start to bring up to date, every node usable, no randomness to seed, no
    /// zone or priority level to choose, and a key within the limit: a pick is the strategy's lookup alone.
    fn plain(&self, key: &[u8], zone: u32) -> bool {
        !(self.needs_clock() || self.needs_entropy() || self.traffic.active(zone) || key.len() > MAX_KEY_BYTES as usize)
    }

    /// Health and slow start brought up to `now` before a pick.
    fn before_pick(&mut self, now_ms: f64) {
        self.refresh(now_ms);
        if let (Some(slow), true) = (self.cfg.slow_start, self.traffic.ramping > 0) {
            self.traffic.update_ramp(&mut self.nodes, &slow, now_ms);
        }
    }

    /// The part of the pool a pick in `zone` chooses from (`None`: all of it), by the key's draws or the PRNG's.
    fn part(&mut self, key_hash: u64, zone: u32) -> Option<Part> {
        // An index no zone has (a caller's stale index) is no zone.
        let zone = if (zone as usize) < self.traffic.zones().len() {
            zone
        } else {
            NO_ZONE
        };
        if !self.traffic.active(zone) {
            return None;
        }
        let (u_level, u_zone) = if self.kind.needs_key() {
            key_draws(key_hash)
        } else {
            (self.rng.next_f64(), self.rng.next_f64())
        };
        let part = self.traffic.choose(&self.nodes, zone, u_level, u_zone)?;
        self.traffic.ensure_mask(part);
        Some(part)
    }

    fn pick_from(&mut self, part: Option<Part>, key: &[u8], key_hash: u64, now_ms: f64) -> Option<usize> {
        let mut cx = ctx(&self.traffic, &mut self.rng, self.unusable, part, key, key_hash, now_ms);
        self.strategy.pick(&self.nodes, &mut cx)
    }

    /// Up to `n` distinct nodes in preference (failover) order, written to `out` (cleared first).
    pub fn pick_n(&mut self, key: Option<&[u8]>, n: usize, now_ms: f64, out: &mut Vec<usize>) -> Result<()> {
        self.pick_n_in(key, NO_ZONE, n, now_ms, out)
    }

    /// [`Router::pick_n`] for a caller in `zone`: the part [`Router::pick_in`] chooses from first, then the
    /// rest of its level, then the other levels from the lowest (docs/traffic.md).
    pub fn pick_n_in(
        &mut self,
        key: Option<&[u8]>,
        zone: u32,
        n: usize,
        now_ms: f64,
        out: &mut Vec<usize>,
    ) -> Result<()> {
        if key.is_some_and(|k| self.pick_n_direct(k, zone, n, out)) {
            return Ok(());
        }
        self.pick_n_by_ctx(key, zone, n, now_ms, out)
    }

    /// [`Router::pick_n_in`] through a `Ctx` and the strategy's `pick_n`, the path taken whenever
    /// [`Router::pick_n_direct`] does not apply. Public so that tests can check that both paths agree.
    #[doc(hidden)]
    pub fn pick_n_by_ctx(
        &mut self,
        key: Option<&[u8]>,
        zone: u32,
        n: usize,
        now_ms: f64,
        out: &mut Vec<usize>,
    ) -> Result<()> {
        let now_ms = clock(now_ms);
        if n == 0 {
            return Err(Error::new(Code::InvalidCount, "pickN needs n >= 1"));
        }
        let key_hash = self.ctx_parts(key, None)?;
        self.before_pick(now_ms);
        out.clear();
        let key = key.unwrap_or(&[]);
        let part = self.part(key_hash, zone);
        self.pick_n_from(part, key, key_hash, now_ms, n, out);
        if let Some(p) = part {
            let want = n.min(self.nodes.len());
            let keyed = self.kind.needs_key();
            let mut more = Vec::new();
            for f in self.traffic.fallbacks(p) {
                if out.len() >= want {
                    break;
                }
                if keyed || out.is_empty() {
                    self.pick_n_from(Some(f), key, key_hash, now_ms, want - out.len(), &mut more);
                    out.append(&mut more);
                } else {
                    // A keyless strategy's later choices: the part's usable nodes in table order (a second
                    // pick would move a rotation or a smooth-WRR state that only the first choice may move).
                    self.traffic.ensure_mask(f);
                    let mask = self.traffic.mask(f);
                    let left = want - out.len();
                    out.extend(
                        (0..self.nodes.len())
                            .filter(|&i| mask[i] && self.nodes[i].usable)
                            .take(left),
                    );
                }
            }
        }
        debug_assert!(out.len() <= n.min(self.nodes.len()));
        if let Some(&i) = out.first() {
            self.note_pick(i, now_ms);
        }
        Ok(())
    }

    fn pick_n_from(
        &mut self,
        part: Option<Part>,
        key: &[u8],
        key_hash: u64,
        now_ms: f64,
        n: usize,
        out: &mut Vec<usize>,
    ) {
        if let Some(p) = part {
            self.traffic.ensure_mask(p);
        }
        let mut cx = ctx(&self.traffic, &mut self.rng, self.unusable, part, key, key_hash, now_ms);
        self.strategy.pick_n(&self.nodes, &mut cx, n, out);
    }

    /// Zone names, in the order of their indices.
    pub fn zones(&self) -> &[Box<str>] {
        self.traffic.zones()
    }

    /// The index of zone `name` for [`Router::pick_in`], or `None` when no node is in it (pick with
    /// [`NO_ZONE`] then: a caller in a zone of no node picks from every zone).
    pub fn zone_index(&self, name: &str) -> Option<u32> {
        self.traffic.zone_index(name)
    }

    /// Convenience over [`Router::pick_n`] returning ids.
    pub fn pick_n_ids(&mut self, key: Option<&[u8]>, n: usize, now_ms: f64) -> Result<Vec<String>> {
        let mut out = core::mem::take(&mut self.scratch);
        let r = self.pick_n(key, n, now_ms, &mut out);
        let ids = out.iter().map(|&i| self.nodes[i].id.to_string()).collect();
        self.scratch = out;
        r.map(|_| ids)
    }

    fn note_pick(&mut self, i: usize, now_ms: f64) {
        self.nodes[i].picks += 1;
        if self.probing > 0 {
            self.take_probe(i, now_ms);
        }
    }

    /// `pick`, then [`Router::begin`] on the node: the request now counts as in flight until `end`.
    pub fn acquire(&mut self, key: Option<&[u8]>, now_ms: f64) -> Result<Option<usize>> {
        self.acquire_in(key, NO_ZONE, now_ms)
    }

    /// [`Router::acquire`] for a caller in `zone` (see [`Router::pick_in`]).
    pub fn acquire_in(&mut self, key: Option<&[u8]>, zone: u32, now_ms: f64) -> Result<Option<usize>> {
        let now_ms = clock(now_ms);
        let got = self.pick_in(key, zone, now_ms)?;
        if let Some(i) = got {
            self.nodes[i].inflight = self.nodes[i].inflight.saturating_add(1);
        }
        Ok(got)
    }

    /// One more request in flight to `id` (read by least-latency and bounded loads).
    pub fn begin(&mut self, id: &str) -> Result<()> {
        let idx = self.index_of(id)?;
        let n = &mut self.nodes[idx];
        n.inflight = n.inflight.saturating_add(1);
        Ok(())
    }

    /// One request to `id` finished; with an outcome, also [`Router::report`]s it. Ending more requests than
    /// were begun leaves the count at 0.
    pub fn end(&mut self, id: &str, outcome: Option<Outcome>, now_ms: f64) -> Result<()> {
        let now_ms = clock(now_ms);
        let idx = self.index_of(id)?;
        let n = &mut self.nodes[idx];
        n.inflight = n.inflight.saturating_sub(1);
        match outcome {
            Some(o) => self.report(id, o, now_ms),
            None => Ok(()),
        }
    }
}

/// A pick's context: the part's mask (built by `Traffic::ensure_mask`) and the slow-start factors.
fn ctx<'a>(
    traffic: &'a Traffic,
    rng: &'a mut Rng,
    unusable: usize,
    part: Option<Part>,
    key: &'a [u8],
    key_hash: u64,
    now_ms: f64,
) -> Ctx<'a> {
    let only = part.map(|p| traffic.mask(p));
    Ctx {
        key_hash,
        key,
        now_ms,
        rng,
        all_usable: unusable == 0 && only.is_none(),
        only,
        part: part.map_or(0, traffic::tag),
        ramp: traffic.ramp(),
    }
}

/// The caller's clock, kept above 0: health state uses 0 for "no mark" and "not ejected", so a clock at or
/// below 0 (or NaN) would make every node look marked down. Real clocks (`Date.now()`) are far above.
pub(crate) fn clock(now_ms: f64) -> f64 {
    now_ms.max(1.0)
}
