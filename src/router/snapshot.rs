//! `toJSON`/`fromJSON`: a Router's config, nodes and health state as one JSON-shaped value.

use super::stats::{RequestStats, Totals};
use super::{clock, Entropy, Router};
use crate::base::error::{Code, Error, Result};
use crate::base::limits::MAX_MS;
use crate::base::value::Value;
use crate::node::health::Health;
use crate::options::Config;

/// The format tag of [`Router::snapshot`].
pub const SNAPSHOT_FORMAT: &str = "edgeroute/1";

impl Router {
    /// The options, nodes and each node's health as a plain value (`toJSON`), to persist or share between
    /// isolates (KV, a Durable Object, Redis) and restore with [`Router::from_snapshot`]. Times are absolute
    /// (`Date.now()` milliseconds), so an ejection keeps its end time across isolates. It contains the secret,
    /// if any. The counters `metrics()` exports travel too (`counters`), so they stay monotonic across a round
    /// trip; latency estimates do not.
    pub fn snapshot(&self) -> Value {
        let health: Vec<Value> = self
            .nodes
            .iter()
            .filter(|n| n.health != Health::default())
            .map(|n| {
                let h = &n.health;
                let mut e: Vec<(&str, Value)> = vec![("id", (*n.id).into())];
                if h.ejections > 0 {
                    e.push(("ejections", (h.ejections as f64).into()));
                }
                if h.ejected_until > 0.0 {
                    e.push(("ejectedUntil", h.ejected_until.into()));
                }
                if h.down_until.is_infinite() {
                    e.push(("down", Value::Bool(true)));
                } else if h.down_until > 0.0 {
                    e.push(("downUntil", h.down_until.into()));
                }
                if h.consecutive > 0 {
                    e.push(("consecutiveFailures", (h.consecutive as f64).into()));
                }
                Value::obj(e)
            })
            .collect();
        Value::obj(vec![
            ("format", SNAPSHOT_FORMAT.into()),
            ("options", self.cfg.to_value(&self.nodes())),
            ("health", Value::Arr(health)),
            ("counters", self.counters_value()),
        ])
    }

    fn counters_value(&self) -> Value {
        let nums = |v: Vec<f64>| Value::Arr(v.into_iter().map(Value::Num).collect());
        let nodes: Vec<Value> = self
            .nodes
            .iter()
            .map(|n| (n, Totals::of(n)))
            .filter(|(_, t)| !t.is_zero())
            .map(|(n, t)| Value::obj(vec![("id", (*n.id).into()), ("counts", nums(t.to_vec()))]))
            .collect();
        Value::obj(vec![
            ("since", self.counters_since.into()),
            ("nodes", Value::Arr(nodes)),
            ("removed", nums(self.removed.to_vec())),
            ("requests", nums(self.requests.to_vec())),
        ])
    }

    /// Rebuilds a Router from [`Router::snapshot`]'s value (`Router.fromJSON`) at time `now_ms`. A Router
    /// emptied by `remove` round-trips (empty). Restored times are bounded from `now_ms`: an ejection ends
    /// within `maxEjectionMs`, a timed mark within the longest `markDown` (1e9 ms), whatever the snapshot says,
    /// so a corrupt or hostile snapshot cannot take a node out for ever (`down: true`, a mark until `markUp`,
    /// is the one unbounded state, as it is live).
    pub fn from_snapshot(v: &Value, entropy: Entropy, now_ms: f64) -> Result<Router> {
        let now_ms = clock(now_ms);
        let bad = |msg: String| Error::new(Code::InvalidOptions, msg);
        let Value::Obj(top) = v else {
            return Err(bad(format!(
                "a snapshot must be the object toJSON() returned, got {}",
                v.kind()
            )));
        };
        let field = |k: &str| top.iter().find(|(key, _)| key == k).map(|(_, v)| v);
        for (k, _) in top {
            if !["format", "options", "health", "counters"].contains(&k.as_str()) {
                return Err(Error::new(
                    Code::UnknownField,
                    format!("snapshot has unknown field {k:?}"),
                ));
            }
        }
        if field("format") != Some(&Value::Str(SNAPSHOT_FORMAT.into())) {
            return Err(bad(format!(
                "snapshot.format must be {SNAPSHOT_FORMAT:?} (made by toJSON() of this version)"
            )));
        }
        let options = field("options").ok_or_else(|| bad("snapshot.options is missing".into()))?;
        let mut r = Router::build(Config::from_snapshot_value(options)?, entropy)?;
        if let Some(c) = field("counters") {
            r.restore_counters(c)?;
        }
        let entries = match field("health") {
            None => return Ok(r),
            Some(Value::Arr(a)) => a,
            Some(other) => return Err(bad(format!("snapshot.health must be an array, got {}", other.kind()))),
        };
        for e in entries {
            let Value::Obj(e) = e else {
                return Err(bad("snapshot.health entries must be objects".into()));
            };
            let get = |k: &str| e.iter().find(|(key, _)| key == k).map(|(_, v)| v);
            let Some(Value::Str(id)) = get("id") else {
                return Err(bad("snapshot.health entry without an id".into()));
            };
            let idx = r.index_of(id)?;
            let max_ejection = r.health.max_ejection_ms;
            let h = &mut r.nodes[idx].health;
            for (k, v) in e {
                let num = || match v {
                    Value::Num(n) if n.is_finite() && *n >= 0.0 => Ok(*n),
                    _ => Err(bad(format!("snapshot.health[{id:?}].{k} must be a finite number >= 0"))),
                };
                match k.as_str() {
                    "id" => {}
                    "ejections" => h.ejections = num()?.min(u32::MAX as f64) as u32,
                    "ejectedUntil" => h.ejected_until = num()?.min(now_ms + max_ejection),
                    "downUntil" => h.down_until = num()?.min(now_ms + MAX_MS),
                    "consecutiveFailures" => h.consecutive = num()?.min(u32::MAX as f64) as u32,
                    "down" if *v == Value::Bool(true) => h.down_until = f64::INFINITY,
                    "down" => return Err(bad(format!("snapshot.health[{id:?}].down must be true"))),
                    other => {
                        return Err(Error::new(
                            Code::UnknownField,
                            format!("snapshot.health entry has unknown field {other:?}"),
                        ))
                    }
                }
            }
        }
        r.dirty = true;
        Ok(r)
    }
}

impl Router {
    /// Restores `snapshot.counters` (as [`Router::snapshot`] wrote it: each set of counters a flat array, in
    /// the order of [`Totals::to_vec`] and [`RequestStats::to_vec`]). Counts are whole numbers up to 2^53.
    fn restore_counters(&mut self, v: &Value) -> Result<()> {
        let bad = |msg: String| Error::new(Code::InvalidOptions, msg);
        let Value::Obj(top) = v else {
            return Err(bad(format!("snapshot.counters must be an object, got {}", v.kind())));
        };
        for (k, v) in top {
            match (k.as_str(), v) {
                ("since", Value::Num(s)) if s.is_finite() && *s >= 0.0 => self.counters_since = *s,
                ("removed", _) => self.removed = Totals::from_slice(&counts(v, Totals::LEN, "removed")?),
                ("requests", _) => self.requests = RequestStats::from_slice(&counts(v, RequestStats::LEN, "requests")?),
                ("nodes", Value::Arr(a)) => {
                    for e in a {
                        let (Value::Obj(f), Some(Value::Str(id))) = (e, e.get("id")) else {
                            return Err(bad("snapshot.counters.nodes entries must be { id, counts }".into()));
                        };
                        if f.len() != 2 {
                            return Err(bad(format!(
                                "snapshot.counters.nodes[{id:?}] must have just id and counts"
                            )));
                        }
                        let c = counts(
                            e.get("counts").unwrap_or(&Value::Null),
                            Totals::LEN,
                            &format!("nodes[{id:?}].counts"),
                        )?;
                        let idx = self.index_of(id)?;
                        Totals::from_slice(&c).apply(&mut self.nodes[idx]);
                    }
                }
                ("since" | "nodes", _) => {
                    return Err(bad(format!("snapshot.counters.{k} is not what toJSON() writes")))
                }
                (other, _) => {
                    return Err(Error::new(
                        Code::UnknownField,
                        format!("snapshot.counters has unknown field {other:?}"),
                    ))
                }
            }
        }
        Ok(())
    }
}

/// `len` counts: whole numbers in [0, 2^53], the last (a sum of latencies in ms) any finite number >= 0.
fn counts(v: &Value, len: usize, what: &str) -> Result<Vec<f64>> {
    let ok = |i: usize, n: f64| {
        n >= 0.0 && n.is_finite() && (i + 1 == len || (n.fract() == 0.0 && n <= 9_007_199_254_740_992.0))
    };
    match v {
        Value::Arr(a) if a.len() == len => a
            .iter()
            .enumerate()
            .map(|(i, x)| match x {
                Value::Num(n) if ok(i, *n) => Ok(*n),
                _ => Err(Error::new(
                    Code::InvalidOptions,
                    format!("snapshot.counters.{what}[{i}] must be a count (a whole number >= 0)"),
                )),
            })
            .collect(),
        _ => Err(Error::new(
            Code::InvalidOptions,
            format!("snapshot.counters.{what} must be an array of {len} counts"),
        )),
    }
}
