//! Node specs and outcomes, read from options.

use super::fields::{check_no_duplicates, get, parse_ms, parse_weight};
use crate::base::error::{Code, Error, Result};
use crate::base::limits::{validate_id, MAX_ID_BYTES, MAX_PRIORITY, MAX_WEIGHT, MIN_WEIGHT};
use crate::base::numfmt::fmt_num;
use crate::base::value::Value;
use crate::compat::haproxy::MAX_SERVER_ID;
use crate::node::{NodeSpec, Outcome};
use core::fmt;

/// The fields of a node spec (`name` for compat twemproxy and squid, `serverId` for haproxy, `hashString` for ats;
/// `zone` and `priority` without a compat profile).
pub const NODE_FIELDS: [&str; 7] = ["id", "weight", "name", "serverId", "hashString", "zone", "priority"];

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
                    format!("{path} has unknown field {k:?}; a node has id, weight, zone and priority, and with a compat profile name (twemproxy, squid), serverId (haproxy) or hashString (ats)"),
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
                        "{path}.name must be a server name (twemproxy's, or Squid's cache_peer name=): a non-empty string of at most {MAX_ID_BYTES} bytes without spaces, got {}",
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
        let hash_string = short_string(
            get(entries, "hashString"),
            &format_args!("{path}.hashString must be ATS's &hash_string"),
            Code::InvalidId,
        )?;
        let zone = short_string(
            get(entries, "zone"),
            &format_args!("{path}.zone must be a zone name"),
            Code::InvalidOption,
        )?;
        let priority = match get(entries, "priority") {
            None => 0,
            Some(Value::Num(p)) if p.fract() == 0.0 && (0.0..=f64::from(MAX_PRIORITY)).contains(p) => *p as u8,
            Some(other) => {
                return Err(Error::new(
                    Code::InvalidOption,
                    format!(
                        "{path}.priority must be a whole number from 0 (primary) to {MAX_PRIORITY} (backups), got {}",
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
            hash_string,
            zone,
            priority,
        })
    }
}

/// An optional string field of 1 to [`MAX_ID_BYTES`] bytes; `what` starts the message that refuses another value.
fn short_string(v: Option<&Value>, what: &dyn fmt::Display, code: Code) -> Result<Option<String>> {
    match v {
        None => Ok(None),
        Some(Value::Str(s)) if !s.is_empty() && s.len() <= MAX_ID_BYTES => Ok(Some(s.clone())),
        Some(other) => Err(Error::new(
            code,
            format!(
                "{what}: a non-empty string of at most {MAX_ID_BYTES} bytes, got {}",
                match other {
                    Value::Str(s) => format!("{s:?}"),
                    _ => other.kind().to_string(),
                }
            ),
        )),
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
