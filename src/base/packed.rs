//! Plain data packed as one text plus its numbers: how `js/router.js` passes a large options object or node list
//! to wasm in two arguments instead of one boundary call per value (1,000 nodes took 2.1 ms read value by value).
//!
//! The text is JSON with every number replaced by `#`; the numbers, in the order their `#`s appear, come beside it
//! as `f64`s, so NaN, ±Infinity and -0 arrive exactly as JS had them and no decimal is parsed here. Strings are
//! JSON strings (`JSON.stringify` of a well-formed string). The result is the same [`Value`] reading the data
//! value by value gives, so every message stays the same.

use super::protocol::MAX_DEPTH;
use super::value::Value;

/// Parses packed data; `Err` names what was wrong (a bug in the packer, not a caller's mistake).
pub fn unpack(text: &str, numbers: &[f64]) -> Result<Value, &'static str> {
    let mut p = Parser {
        s: text.as_bytes(),
        at: 0,
        numbers,
        next: 0,
    };
    let v = p.value(0)?;
    if p.at != p.s.len() || p.next != numbers.len() {
        return Err("trailing data");
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u8],
    at: usize,
    numbers: &'a [f64],
    next: usize,
}

impl Parser<'_> {
    fn eat(&mut self, b: u8) -> Result<(), &'static str> {
        if self.s.get(self.at) == Some(&b) {
            self.at += 1;
            Ok(())
        } else {
            Err("unexpected byte")
        }
    }

    fn word(&mut self, w: &[u8], v: Value) -> Result<Value, &'static str> {
        if self.s[self.at..].starts_with(w) {
            self.at += w.len();
            Ok(v)
        } else {
            Err("unknown word")
        }
    }

    fn value(&mut self, depth: u32) -> Result<Value, &'static str> {
        if depth > MAX_DEPTH + 1 {
            return Err("too deep");
        }
        match self.s.get(self.at) {
            Some(b'#') => {
                self.at += 1;
                let n = *self.numbers.get(self.next).ok_or("missing number")?;
                self.next += 1;
                Ok(Value::Num(n))
            }
            Some(b'"') => Ok(Value::Str(self.string()?)),
            Some(b'n') => self.word(b"null", Value::Null),
            Some(b't') => self.word(b"true", Value::Bool(true)),
            Some(b'f') => self.word(b"false", Value::Bool(false)),
            Some(b'[') => {
                self.at += 1;
                let mut out = Vec::new();
                if self.s.get(self.at) == Some(&b']') {
                    self.at += 1;
                    return Ok(Value::Arr(out));
                }
                loop {
                    out.push(self.value(depth + 1)?);
                    match self.s.get(self.at) {
                        Some(b',') => self.at += 1,
                        Some(b']') => {
                            self.at += 1;
                            return Ok(Value::Arr(out));
                        }
                        _ => return Err("bad array"),
                    }
                }
            }
            Some(b'{') => {
                self.at += 1;
                let mut out = Vec::new();
                if self.s.get(self.at) == Some(&b'}') {
                    self.at += 1;
                    return Ok(Value::Obj(out));
                }
                loop {
                    let k = self.string()?;
                    self.eat(b':')?;
                    out.push((k, self.value(depth + 1)?));
                    match self.s.get(self.at) {
                        Some(b',') => self.at += 1,
                        Some(b'}') => {
                            self.at += 1;
                            return Ok(Value::Obj(out));
                        }
                        _ => return Err("bad object"),
                    }
                }
            }
            _ => Err("unexpected byte"),
        }
    }

    /// A JSON string. A lone surrogate escape becomes U+FFFD, as reading it value by value would (the packer
    /// sends no such string: it reads those value by value, so ids keep their own message).
    fn string(&mut self) -> Result<String, &'static str> {
        self.eat(b'"')?;
        let mut out = String::new();
        loop {
            let start = self.at;
            while let Some(&b) = self.s.get(self.at) {
                if b == b'"' || b == b'\\' {
                    break;
                }
                self.at += 1;
            }
            // The text came from a &str, and `"` and `\` are ASCII, so this slice is whole characters.
            out.push_str(core::str::from_utf8(&self.s[start..self.at]).map_err(|_| "bad UTF-8")?);
            match self.s.get(self.at) {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    let e = *self.s.get(self.at).ok_or("bad escape")?;
                    self.at += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e as char),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let c = if (0xd800..0xdc00).contains(&hi) && self.s[self.at..].starts_with(b"\\u") {
                                let save = self.at;
                                self.at += 2;
                                let lo = self.hex4()?;
                                if (0xdc00..0xe000).contains(&lo) {
                                    char::from_u32(0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00))
                                } else {
                                    self.at = save;
                                    None
                                }
                            } else {
                                char::from_u32(hi)
                            };
                            out.push(c.unwrap_or('\u{fffd}'));
                        }
                        _ => return Err("bad escape"),
                    }
                }
                _ => return Err("unterminated string"),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, &'static str> {
        let digits = self.s.get(self.at..self.at + 4).ok_or("bad \\u escape")?;
        self.at += 4;
        digits.iter().try_fold(0u32, |acc, &d| {
            let v = (d as char).to_digit(16).ok_or("bad \\u escape")?;
            Ok(acc * 16 + v)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_the_packer_writes() {
        let v = unpack(
            r#"{"strategy":"ring","nodes":[{"id":"a\"b\\c\u00e9\ud83d\ude00","weight":#},{"id":"x"}],"seed":#,"x":[true,false,null,[]],"o":{}}"#,
            &[2.5, f64::NAN],
        )
        .unwrap();
        let Value::Obj(top) = &v else { panic!() };
        assert_eq!(top[0], ("strategy".into(), Value::Str("ring".into())));
        let Value::Arr(nodes) = &top[1].1 else { panic!() };
        let Value::Obj(n0) = &nodes[0] else { panic!() };
        assert_eq!(n0[0].1, Value::Str("a\"b\\cé😀".into()));
        assert_eq!(n0[1].1, Value::Num(2.5));
        assert!(matches!(top[2].1, Value::Num(n) if n.is_nan()));
        assert_eq!(
            top[3].1,
            Value::Arr(vec![
                Value::Bool(true),
                Value::Bool(false),
                Value::Null,
                Value::Arr(vec![])
            ])
        );
        assert_eq!(top[4].1, Value::Obj(vec![]));
    }

    #[test]
    fn lone_surrogate_escapes_read_as_the_replacement_character() {
        assert_eq!(
            unpack(r#""\ud800x\udc00""#, &[]).unwrap(),
            Value::Str("\u{fffd}x\u{fffd}".into())
        );
        assert_eq!(
            unpack(r#""\ud800\u0041""#, &[]).unwrap(),
            Value::Str("\u{fffd}A".into())
        );
    }

    #[test]
    fn refuses_malformed_text_and_unused_or_missing_numbers() {
        for (t, n) in [
            ("{", &[][..]),
            ("[#", &[1.0][..]),
            ("#", &[][..]),
            ("#", &[1.0, 2.0][..]),
            (r#""\x""#, &[][..]),
            (r#""\u12""#, &[][..]),
            ("nul", &[][..]),
            ("1", &[][..]),
            ("[1,]", &[][..]),
            (r#"{"a"#, &[][..]),
        ] {
            assert!(unpack(t, n).is_err(), "{t}");
        }
        let deep = "[".repeat(100) + &"]".repeat(100);
        assert!(unpack(&deep, &[]).is_err());
    }
}
