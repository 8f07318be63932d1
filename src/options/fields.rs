//! Scalar option fields and the helpers every options file uses.

use crate::base::error::{Code, Error, Result};
use crate::base::limits::{validate_weight, MAX_MS, MAX_SEED, MAX_WEIGHT};
use crate::base::numfmt::fmt_num;
use crate::base::value::Value;
use crate::hash::Secret;
use crate::strategy::kind::StrategyKind;
use core::fmt;

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

pub(super) fn parse_secret(v: &Value) -> Result<Secret> {
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

pub(super) fn not_for(option: &str, who: &str, strategy: StrategyKind) -> Error {
    Error::new(
        Code::UnknownOption,
        format!(
            "option {option:?} applies only to {who}, not {:?}; remove it",
            strategy.name()
        ),
    )
}

pub(super) fn strategy_list() -> String {
    let names: Vec<String> = StrategyKind::ALL.iter().map(|k| format!("{:?}", k.name())).collect();
    names.join(", ")
}

pub(super) fn get<'a>(entries: &'a [(String, Value)], key: &str) -> Option<&'a Value> {
    entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

pub(super) fn check_no_duplicates(entries: &[(String, Value)], what: &dyn fmt::Display, code: Code) -> Result<()> {
    for (i, (k, _)) in entries.iter().enumerate() {
        if entries[..i].iter().any(|(k2, _)| k2 == k) {
            return Err(Error::new(code, format!("{what} has {k:?} more than once")));
        }
    }
    Ok(())
}

/// Checks that `option` is the strategy's own option (the capability table names each option's one owner).
pub(super) fn only_for(strategy: StrategyKind, option: &str) -> Result<()> {
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

pub(super) fn parse_seed(v: &Value) -> Result<u64> {
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

pub(super) fn parse_int(v: &Value, what: &str, lo: u64, hi: u64) -> Result<u64> {
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

pub(super) fn parse_ms(v: &Value, what: &str, zero_ok: bool, code: Code) -> Result<f64> {
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
