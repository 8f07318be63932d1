//! `options.health`: the options of passive health (`node::health`), read from options.

use crate::base::error::{Code, Error, Result};
use crate::base::numfmt::fmt_num;
use crate::base::value::Value;
use crate::node::health::HealthConfig;

/// The fields `options.health` may hold.
pub const FIELDS: [&str; 9] = [
    "consecutiveFailures",
    "failureRate",
    "minRequests",
    "windowMs",
    "baseEjectionMs",
    "maxEjectionMs",
    "maxEjectedShare",
    "panicThreshold",
    "probeTimeoutMs",
];

impl HealthConfig {
    /// Parses `options.health`: `false` (passive ejection off), `true` (defaults) or an object of overrides.
    pub fn from_value(v: &Value) -> Result<HealthConfig> {
        let mut h = HealthConfig::default();
        let entries = match v {
            Value::Bool(b) => {
                h.passive = *b;
                return Ok(h);
            }
            Value::Obj(e) => e,
            other => {
                return Err(Error::new(
                    Code::InvalidOption,
                    format!(
                        "options.health must be true, false or an object like {{ consecutiveFailures: 3 }}, got {}",
                        other.kind()
                    ),
                ))
            }
        };
        for (k, v) in entries {
            if !FIELDS.contains(&k.as_str()) {
                return Err(Error::new(
                    Code::UnknownOption,
                    format!("unknown option health.{k}; health takes {}", FIELDS.join(", ")),
                ));
            }
            let Value::Num(n) = v else {
                return Err(Error::new(
                    Code::InvalidOption,
                    format!("options.health.{k} must be a number, got {}", v.kind()),
                ));
            };
            let n = *n;
            let bad = |range: &str| {
                Error::new(
                    Code::InvalidOption,
                    format!("options.health.{k} must be {range}, got {}", fmt_num(n)),
                )
            };
            let whole = |lo: f64, hi: f64| n.fract() == 0.0 && n >= lo && n <= hi;
            let ms =
                |zero_ok: bool| n.is_finite() && n <= crate::base::limits::MAX_MS && (n > 0.0 || (zero_ok && n == 0.0));
            let share = n.is_finite() && (0.0..=1.0).contains(&n);
            match k.as_str() {
                "consecutiveFailures" if whole(0.0, 1e6) => h.consecutive_failures = n as u32,
                "consecutiveFailures" => return Err(bad("a whole number from 0 (off) to 1000000")),
                "failureRate" if share => h.failure_rate = n,
                "failureRate" => return Err(bad("a share from 0 (off) to 1")),
                "minRequests" if whole(1.0, 1e9) => h.min_requests = n as u32,
                "minRequests" => return Err(bad("a whole number >= 1")),
                "windowMs" if ms(false) => h.window_ms = n,
                "baseEjectionMs" if ms(false) => h.base_ejection_ms = n,
                "maxEjectionMs" if ms(false) => h.max_ejection_ms = n,
                "probeTimeoutMs" if ms(false) => h.probe_timeout_ms = n,
                "windowMs" | "baseEjectionMs" | "maxEjectionMs" | "probeTimeoutMs" => {
                    return Err(bad("a finite number of milliseconds > 0"))
                }
                "maxEjectedShare" if share => h.max_ejected_share = n,
                "panicThreshold" if share => h.panic_threshold = n,
                _ => return Err(bad("a share from 0 to 1")),
            }
        }
        if h.base_ejection_ms > h.max_ejection_ms {
            return Err(Error::new(
                Code::InvalidOption,
                format!(
                    "options.health.baseEjectionMs ({}) is above maxEjectionMs ({})",
                    fmt_num(h.base_ejection_ms),
                    fmt_num(h.max_ejection_ms)
                ),
            ));
        }
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_and_reject() {
        let v = Value::obj(vec![
            ("consecutiveFailures", 3.0.into()),
            ("panicThreshold", 0.2.into()),
        ]);
        let h = HealthConfig::from_value(&v).unwrap();
        assert_eq!((h.consecutive_failures, h.panic_threshold), (3, 0.2));
        assert!(!HealthConfig::from_value(&Value::Bool(false)).unwrap().passive);
        for bad in [
            Value::obj(vec![("consecutiveFailure", 3.0.into())]),
            Value::obj(vec![("failureRate", 1.5.into())]),
            Value::obj(vec![("baseEjectionMs", 0.0.into())]),
            Value::obj(vec![("baseEjectionMs", 10.0.into()), ("maxEjectionMs", 5.0.into())]),
            Value::Num(3.0),
        ] {
            assert!(HealthConfig::from_value(&bad).is_err(), "{bad:?}");
        }
    }
}
