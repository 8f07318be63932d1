//! `toJSON`/`fromJSON`: a Router's config, nodes and health state as one JSON-shaped value.

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
    /// if any. Counters and latency estimates are not included.
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
            if !["format", "options", "health"].contains(&k.as_str()) {
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
