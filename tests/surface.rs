//! The JS surface against the core. `js/index.d.ts` (the hand-written types), `js/protocol.js` (the JS half of
//! the wasm protocol) and `js/errors.js` (the one list of error codes) are read as text and compared with the
//! names the core exports in [`edgeroute::names`], and with what a Router built from options really accepts and
//! returns. A difference fails with the names that differ, in both directions. (`scripts/errors-doc.mjs --check`
//! keeps `js/errors.js`, `ErrorCode` and the README's table equal to each other; this test ties them to the core.)
//!
//! Run: `cargo test --release --test surface`.
//!
//! How the TypeScript is read: simple text matching on purpose (no TypeScript parser in a Rust test), with rules
//! strict enough that a file these rules no longer fit fails the test rather than compares nothing:
//! - comments (`//` to the end of the line, `/* ... */`) are removed first, outside quoted strings; the one
//!   check that reads a doc comment (`seed`) finds it in the raw text, just before the property;
//! - `type X = A | B;` is the text from `type X =` to the first `;`, split at `|`. A string-literal union must have
//!   only `"..."` members, so a union widened to `string` fails; `RouterOptions`'s members are interface names;
//! - `interface X extends A, B { ... }` (exported or not) is found by `interface X`; its body runs to the matching
//!   `}`; its properties are the `name: type`, `name?: type` and `readonly name: type` entries at brace depth 0
//!   between `;`s (methods `name(...)` are skipped), plus those of the interfaces it extends, recursively;
//! - the string literals a property allows (`strategy: "ring" | "hash"`) are the `"..."` in its type.
//!
//! The JS files: in `js/protocol.js`, each top-level `const NAME = <integer>;` with an upper-case name (an integer
//! is `-4`, `32` or `1 << 20`) that the final `export { ... };` exports; in `js/errors.js`, the `ERR_...:` keys of
//! `const ERROR_CODES = Object.freeze({ ... });`.
//!
//! To see a check fail, change one name in the file it reads (a strategy in the `Strategy` union, a field of
//! `HealthOptions`, a value in `js/protocol.js`, ...) and run this test.

use std::collections::BTreeSet;

use edgeroute::{names, Outcome, Router, Value};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{ROOT}/{path}")).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// Panics unless `ts` holds exactly the names of `rust`, each once, naming what is missing and what is extra.
fn same_names<R: AsRef<str>, T: AsRef<str>>(what: &str, rust: &[R], ts: &[T]) {
    let rust: Vec<&str> = rust.iter().map(|s| s.as_ref()).collect();
    let ts: Vec<&str> = ts.iter().map(|s| s.as_ref()).collect();
    let repeated: BTreeSet<&str> = ts
        .iter()
        .enumerate()
        .filter(|(i, s)| ts[..*i].contains(s))
        .map(|(_, s)| *s)
        .collect();
    let missing: Vec<&str> = rust.iter().filter(|s| !ts.contains(s)).copied().collect();
    let extra: Vec<&str> = ts.iter().filter(|s| !rust.contains(s)).copied().collect();
    assert!(
        missing.is_empty() && extra.is_empty() && repeated.is_empty(),
        "{what} drifted from the core: missing {missing:?}, not in the core {extra:?}, repeated {repeated:?}\n  core: {rust:?}\n  JS:   {ts:?}"
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Reading the text.

/// `s` without `//` and `/* */` comments; quoted strings ("", '', ``) are kept as they are.
fn strip_comments(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            q @ (b'"' | b'\'' | b'`') => {
                let start = i;
                i += 1;
                while i < b.len() && b[i] != q {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(b.len());
                out.extend_from_slice(&b[start..i]);
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let end = s[i + 2..]
                    .find("*/")
                    .unwrap_or_else(|| panic!("an unclosed /* comment at byte {i}"));
                i += 2 + end + 2;
                out.push(b' ');
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).expect("stripping comments keeps UTF-8")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// Byte offsets of `word` in `s` where it is a whole word (no identifier character on either side).
fn find_word(s: &str, word: &str) -> Vec<usize> {
    s.match_indices(word)
        .map(|(i, _)| i)
        .filter(|&i| {
            !s[..i].chars().next_back().is_some_and(is_ident)
                && !s[i + word.len()..].chars().next().is_some_and(is_ident)
        })
        .collect()
}

/// The characters of `s` with their byte offsets, each with its bracket depth ((), [] and {} open before it) and
/// whether it is inside a quoted string ("", '', ``; a quote character itself counts as inside).
fn scan(s: &str) -> impl Iterator<Item = (usize, char, i32, bool)> + '_ {
    let (mut depth, mut quote, mut escaped) = (0i32, None, false);
    s.char_indices().map(move |(i, c)| {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            return (i, c, depth, true);
        }
        match c {
            '"' | '\'' | '`' => {
                quote = Some(c);
                return (i, c, depth, true);
            }
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            _ => {}
        }
        (i, c, depth, false)
    })
}

/// The text between the `{` at `open` and its matching `}`.
fn braced(s: &str, open: usize) -> &str {
    assert_eq!(&s[open..open + 1], "{");
    scan(&s[open..])
        .find(|&(_, c, depth, quoted)| c == '}' && depth == 0 && !quoted)
        .map(|(i, ..)| &s[open + 1..open + i])
        .unwrap_or_else(|| panic!("unbalanced braces after byte {open}"))
}

/// Splits `s` at `sep` where no (), [] or {} is open, outside quoted strings.
fn split_top(s: &str, sep: char) -> Vec<&str> {
    let (mut from, mut out) = (0, Vec::new());
    for (i, c, depth, quoted) in scan(s) {
        if c == sep && depth == 0 && !quoted {
            out.push(&s[from..i]);
            from = i + c.len_utf8();
        }
    }
    out.push(&s[from..]);
    out
}

/// The `"..."` literals in `s`, in order.
fn literals(s: &str) -> Vec<String> {
    s.split('"').skip(1).step_by(2).map(str::to_owned).collect()
}

/// A TypeScript file with its comments removed.
struct Types {
    text: String,
}

/// One property of an interface: its name and the text of its type.
struct Prop {
    name: String,
    ty: String,
}

impl Types {
    fn new(raw: &str) -> Types {
        Types {
            text: strip_comments(raw),
        }
    }

    /// The members of `type name = A | B | ...;`, trimmed.
    fn union(&self, name: &str) -> Vec<String> {
        let at = find_word(&self.text, &format!("type {name}"))
            .into_iter()
            .find(|&i| self.text[i + 5 + name.len()..].trim_start().starts_with('='))
            .unwrap_or_else(|| panic!("js/index.d.ts has no `type {name} = ...;`"));
        let rest = &self.text[at..];
        let body = &rest[rest.find('=').unwrap() + 1..rest.find(';').expect("a type alias ends with ;")];
        let members: Vec<String> = split_top(body, '|')
            .into_iter()
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(str::to_owned)
            .collect();
        assert!(!members.is_empty(), "type {name} has no members");
        members
    }

    /// The string literals of a union of string literals; any other member fails.
    fn literal_union(&self, name: &str) -> Vec<String> {
        self.union(name)
            .into_iter()
            .map(|m| {
                let lit = literals(&m);
                assert!(
                    lit.len() == 1 && m == format!("\"{}\"", lit[0]),
                    "type {name} has the member {m}, which is not a string literal"
                );
                lit[0].clone()
            })
            .collect()
    }

    /// The properties of interface `name`, its own first, then those it inherits (`extends`, recursively).
    fn props(&self, name: &str) -> Vec<Prop> {
        let at = find_word(&self.text, &format!("interface {name}"));
        assert_eq!(at.len(), 1, "js/index.d.ts should declare `interface {name}` once");
        let header_start = at[0] + "interface ".len() + name.len();
        let open = header_start + self.text[header_start..].find('{').expect("an interface has a body");
        let header = &self.text[header_start..open];
        let mut props = Vec::new();
        for entry in split_top(braced(&self.text, open), ';') {
            let entry = entry.trim();
            let entry = entry.strip_prefix("readonly ").unwrap_or(entry).trim_start();
            let name_len = entry.find(|c: char| !is_ident(c)).unwrap_or(entry.len());
            if name_len == 0 {
                assert!(entry.is_empty(), "interface {name}: cannot read the member `{entry}`");
                continue;
            }
            let after = entry[name_len..].trim_start();
            let after = after.strip_prefix('?').unwrap_or(after).trim_start();
            match after.strip_prefix(':') {
                Some(ty) => props.push(Prop {
                    name: entry[..name_len].to_owned(),
                    ty: ty.trim().to_owned(),
                }),
                None => assert!(
                    after.starts_with('(') || after.starts_with('<'),
                    "interface {name}: cannot read `{entry}`"
                ),
            }
        }
        if let Some(list) = header.trim().strip_prefix("extends") {
            for parent in list.split(',') {
                props.extend(self.props(parent.trim()));
            }
        } else {
            assert!(
                header.trim().is_empty(),
                "interface {name}: cannot read its header `{header}`"
            );
        }
        props
    }

    /// The property names of interface `name`, inherited ones included.
    fn fields(&self, name: &str) -> Vec<String> {
        self.props(name).into_iter().map(|p| p.name).collect()
    }

    /// The string literals property `prop` of interface `name` allows (inherited properties included), or `None`
    /// when it has no such property. `Some(empty)` when the property's type names no literal.
    fn prop_literals(&self, name: &str, prop: &str) -> Option<Vec<String>> {
        self.props(name)
            .into_iter()
            .find(|p| p.name == prop)
            .map(|p| literals(&p.ty))
    }
}

fn index_d_ts() -> Types {
    Types::new(&read("js/index.d.ts"))
}

/// The interfaces `RouterOptions` is a union of.
fn option_interfaces(t: &Types) -> Vec<String> {
    let members = t.union("RouterOptions");
    for m in &members {
        assert!(
            m.chars().all(is_ident),
            "RouterOptions has the member {m}, which is not an interface name"
        );
    }
    members
}

/// Sorted and without repeats.
fn set(v: impl IntoIterator<Item = String>) -> Vec<String> {
    v.into_iter().collect::<BTreeSet<_>>().into_iter().collect()
}

// ---------------------------------------------------------------------------------------------------------------
// Routers, built the way JS builds them: options as a value, validated by the core.

fn options(json: &str) -> Value {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("test options {json}: {e}"))
}

fn router(json: &str) -> Router {
    Router::from_value(&options(json), || 42).unwrap_or_else(|e| panic!("{json}: {e:?}"))
}

fn accepts(json: &str) -> bool {
    Router::from_value(&options(json), || 42).is_ok()
}

/// Three nodes whose ids every compat profile takes (twemproxy wants `host:port`), weight 1 (whole, for jump).
const NODES: &str = r#"[{ "id": "10.0.0.1:11211" }, { "id": "10.0.0.2:11211" }, { "id": "10.0.0.3:11211" }]"#;

/// A valid value of each option that needs no compat profile, to ask the core whether a strategy takes it.
const PLAIN_OPTIONS: [(&str, &str); 8] = [
    ("seed", "7"),
    ("vnodes", "10"),
    ("decayMs", "1000"),
    ("secret", r#""0123456789abcdef0123456789abcdef""#),
    ("tableSize", "1009"),
    ("boundedLoad", "true"),
    ("health", "true"),
    ("maxMemoryBytes", "67108864"),
];

fn keys(v: &Value) -> Vec<String> {
    match v {
        Value::Obj(entries) => entries.iter().map(|(k, _)| k.clone()).collect(),
        other => panic!("expected an object, got {}", other.kind()),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The names.

#[test]
fn strategy_union_is_the_core_strategies() {
    let t = index_d_ts();
    same_names(
        "index.d.ts `Strategy`",
        &names::strategies(),
        &t.literal_union("Strategy"),
    );
}

#[test]
fn router_options_cover_every_strategy() {
    let t = index_d_ts();
    let mut covered = Vec::new();
    for i in option_interfaces(&t) {
        let lits = t
            .prop_literals(&i, "strategy")
            .unwrap_or_else(|| panic!("{i} has no `strategy`"));
        assert!(!lits.is_empty(), "{i}.strategy names no strategy");
        covered.extend(lits);
    }
    same_names(
        "the strategies RouterOptions' members name",
        &names::strategies(),
        &set(covered),
    );
}

#[test]
fn compat_names_are_the_core_profiles() {
    let t = index_d_ts();
    let compats = option_interfaces(&t)
        .into_iter()
        .flat_map(|i| t.prop_literals(&i, "compat").unwrap_or_default());
    same_names("the `compat` values of RouterOptions", &names::compats(), &set(compats));
}

#[test]
fn hash_unions_are_the_core_hashes() {
    let t = index_d_ts();
    same_names(
        "index.d.ts `TwemproxyHash`",
        &names::twemproxy_hashes(),
        &t.literal_union("TwemproxyHash"),
    );
    same_names(
        "index.d.ts `HaproxyHash`",
        &names::haproxy_hashes(),
        &t.literal_union("HaproxyHash"),
    );
    same_names(
        "index.d.ts `VarnishHash`",
        &names::varnish_hashes(),
        &t.literal_union("VarnishHash"),
    );
}

#[test]
fn router_options_are_the_core_options() {
    let t = index_d_ts();
    let all = option_interfaces(&t).into_iter().flat_map(|i| t.fields(&i));
    same_names("the options of RouterOptions' members", &names::options(), &set(all));
}

#[test]
fn node_fields_are_the_core_node_fields() {
    let t = index_d_ts();
    same_names("index.d.ts `NodeSpec`", &names::node_fields(), &t.fields("NodeSpec"));
    // nodes() returns the specs back (serde skips the absent ones), so NodeInfo has the same fields.
    same_names("index.d.ts `NodeInfo`", &names::node_fields(), &t.fields("NodeInfo"));
}

#[test]
fn health_options_are_the_core_health_fields() {
    let t = index_d_ts();
    same_names(
        "index.d.ts `HealthOptions`",
        &names::health_fields(),
        &t.fields("HealthOptions"),
    );
}

#[test]
fn node_stats_are_what_stats_returns() {
    let t = index_d_ts();
    let r = router(&format!(r#"{{ "strategy": "ring", "nodes": {NODES} }}"#));
    let stats = r.stats(1000.0);
    // js/router.js adds `check`, the active health checks' view (js/checks.js), which the core does not keep.
    let mut core = keys(&stats[0].to_value());
    core.push("check".to_owned());
    same_names("index.d.ts `NodeStats`", &core, &t.fields("NodeStats"));
}

#[test]
fn snapshot_types_are_what_to_json_returns() {
    let t = index_d_ts();
    // One node in each health state a snapshot records, so every field of a node's health entry appears.
    let mut r = router(&format!(
        r#"{{ "strategy": "ring", "nodes": {NODES},
             "health": {{ "consecutiveFailures": 2, "maxEjectedShare": 1, "panicThreshold": 0 }} }}"#
    ));
    let fail = Outcome {
        ok: false,
        latency_ms: None,
    };
    for _ in 0..2 {
        r.report("10.0.0.1:11211", fail, 1000.0).unwrap();
    }
    r.mark_down("10.0.0.2:11211", Some(5000.0), 1000.0).unwrap();
    r.report("10.0.0.3:11211", fail, 1000.0).unwrap();
    let mut forever = router(&format!(r#"{{ "strategy": "ring", "nodes": {NODES} }}"#));
    forever.mark_down("10.0.0.1:11211", None, 1000.0).unwrap();

    let snap = r.snapshot();
    same_names("index.d.ts `RouterSnapshot`", &keys(&snap), &t.fields("RouterSnapshot"));
    let mut seen = Vec::new();
    for s in [snap, forever.snapshot()] {
        let Value::Obj(top) = s else { unreachable!() };
        let Some((_, Value::Arr(health))) = top.into_iter().find(|(k, _)| k == "health") else {
            panic!("a snapshot has a health array")
        };
        seen.extend(health.iter().flat_map(keys));
    }
    same_names(
        "index.d.ts `NodeHealthSnapshot`",
        &set(seen),
        &t.fields("NodeHealthSnapshot"),
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Which strategy takes which option, and what the docs say about it.

/// For each strategy, the options the types allow with it (no compat profile) must be those the core accepts.
#[test]
fn each_strategy_takes_the_options_its_type_allows() {
    let t = index_d_ts();
    let interfaces = option_interfaces(&t);
    let plain: Vec<&str> = PLAIN_OPTIONS.iter().map(|(o, _)| *o).collect();
    for s in names::strategies() {
        let mut typed = Vec::new();
        for i in &interfaces {
            let props = t.props(i);
            let names_s = props
                .iter()
                .any(|p| p.name == "strategy" && literals(&p.ty).iter().any(|l| l == s));
            // A member whose `compat` is required describes a compat profile: see the next test.
            let needs_compat = props.iter().any(|p| p.name == "compat") && !optional(&t, i, "compat");
            if names_s && !needs_compat {
                typed.extend(
                    props
                        .into_iter()
                        .map(|p| p.name)
                        .filter(|n| plain.contains(&n.as_str())),
                );
            }
        }
        let core: Vec<&str> = PLAIN_OPTIONS
            .iter()
            .filter(|(o, v)| accepts(&format!(r#"{{ "strategy": "{s}", "nodes": {NODES}, "{o}": {v} }}"#)))
            .map(|(o, _)| *o)
            .collect();
        same_names(
            &format!("the options RouterOptions allows with strategy \"{s}\""),
            &core,
            &set(typed),
        );
    }
}

/// Whether property `prop` of interface `name` (or an interface it extends) is declared `prop?:`.
fn optional(t: &Types, name: &str, prop: &str) -> bool {
    let at = find_word(&t.text, &format!("interface {name}"))[0];
    let open = at + t.text[at..].find('{').unwrap();
    let body = braced(&t.text, open);
    if split_top(body, ';')
        .iter()
        .any(|e| e.trim().starts_with(&format!("{prop}?")))
    {
        return true;
    }
    if split_top(body, ';')
        .iter()
        .any(|e| e.trim().starts_with(&format!("{prop}:")))
    {
        return false;
    }
    let header = &t.text[at..open];
    header
        .split("extends")
        .nth(1)
        .is_some_and(|l| l.split(',').any(|p| optional(t, p.trim(), prop)))
}

/// For each compat profile, the strategies and options its types allow must be those the core accepts with it.
#[test]
fn each_compat_profile_takes_what_its_type_allows() {
    let t = index_d_ts();
    let interfaces = option_interfaces(&t);
    for c in names::compats() {
        let mut typed_strategies = Vec::new();
        for i in &interfaces {
            if t.prop_literals(i, "compat").unwrap_or_default().iter().any(|l| l == c) {
                typed_strategies.extend(t.prop_literals(i, "strategy").unwrap_or_default());
                if optional(&t, i, "compat") {
                    continue; // an optional profile (rendezvous + "redis") shares its type's options
                }
                let typed: Vec<String> = t
                    .fields(i)
                    .into_iter()
                    .filter(|f| !["strategy", "nodes", "compat"].contains(&f.as_str()))
                    .collect();
                let hashes = match c {
                    "twemproxy" => names::twemproxy_hashes(),
                    "varnish" => names::varnish_hashes(),
                    _ => names::haproxy_hashes(),
                };
                let candidates: Vec<(&str, String)> = PLAIN_OPTIONS
                    .iter()
                    .map(|(o, v)| (*o, v.to_string()))
                    .chain([("hash", format!("\"{}\"", hashes[0])), ("avalanche", "true".into())])
                    // Envoy's ring options.
                    .chain([
                        ("minRingSize", "12".into()),
                        ("maxRingSize", "4096".into()),
                        ("hashFunction", "\"murmur2\"".into()),
                    ])
                    // The Varnish shard director's replicas.
                    .chain([("replicas", "5".into())])
                    .collect();
                for s in t.prop_literals(i, "strategy").unwrap_or_default() {
                    let core: Vec<&str> = candidates
                        .iter()
                        .filter(|(o, v)| {
                            accepts(&format!(
                                r#"{{ "strategy": "{s}", "compat": "{c}", "nodes": {NODES}, "{o}": {v} }}"#
                            ))
                        })
                        .map(|(o, _)| *o)
                        .collect();
                    same_names(
                        &format!("the options {i} allows with strategy \"{s}\""),
                        &core,
                        &set(typed.clone()),
                    );
                }
            }
        }
        let core: Vec<&str> = names::strategies()
            .into_iter()
            .filter(|s| {
                accepts(&format!(
                    r#"{{ "strategy": "{s}", "compat": "{c}", "nodes": {NODES} }}"#
                ))
            })
            .collect();
        same_names(
            &format!("the strategies RouterOptions allows with compat \"{c}\""),
            &core,
            &set(typed_strategies),
        );
    }
}

/// The strategies whose picks depend on `seed`: two Routers that differ only in the seed, asked the same, answer
/// differently. (A hashing strategy seeds its key and node hashes; a random one its PRNG.)
fn strategies_that_read_the_seed() -> Vec<&'static str> {
    names::strategies()
        .into_iter()
        .filter(|s| {
            let nodes: Vec<String> = (0..16).map(|i| format!(r#"{{ "id": "n{i}" }}"#)).collect();
            let picks = |seed: u32| {
                let mut r = router(&format!(
                    r#"{{ "strategy": "{s}", "nodes": [{}], "seed": {seed} }}"#,
                    nodes.join(",")
                ));
                (0..64)
                    .map(|k| r.pick(Some(format!("key-{k}").as_bytes()), 1000.0).unwrap())
                    .collect::<Vec<_>>()
            };
            picks(1) != picks(2)
        })
        .collect()
}

/// The `seed` option's doc comment must name every strategy that reads the seed, and may name another only in
/// a sentence that says it does not read it.
#[test]
fn seed_doc_names_the_strategies_that_read_it() {
    let raw = read("js/index.d.ts");
    let at = raw.find("interface CommonOptions").expect("interface CommonOptions");
    let body = &raw[at..];
    let prop = body.find("seed?:").expect("CommonOptions has seed?:");
    let doc = &body[body[..prop].rfind("/**").expect("seed has a doc comment")..prop];
    let readers = strategies_that_read_the_seed();
    assert!(!readers.is_empty(), "no strategy reads the seed? the probe is broken");
    let missing: Vec<&str> = readers
        .iter()
        .filter(|s| !doc.contains(&format!("\"{s}\"")))
        .copied()
        .collect();
    assert!(
        missing.is_empty(),
        "the seed option's doc does not name {missing:?}, which read the seed\n{doc}"
    );
    for s in names::strategies().into_iter().filter(|s| !readers.contains(s)) {
        for sentence in doc.split(". ").filter(|x| x.contains(&format!("\"{s}\""))) {
            assert!(
                sentence.contains("not read"),
                "the seed option's doc names \"{s}\", which does not read the seed, in: {sentence}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The protocol and the error codes.

/// An integer as js/protocol.js writes one: `-4`, `32`, `1 << 20`.
fn js_integer(expr: &str) -> Option<i64> {
    let expr = expr.trim();
    if let Some((a, b)) = expr.split_once("<<") {
        return Some(js_integer(a)? << js_integer(b)?);
    }
    expr.parse().ok()
}

/// The upper-case constants of js/protocol.js that its final `export { ... };` exports, with their values.
fn protocol_constants() -> Vec<(String, i64)> {
    let text = strip_comments(&read("js/protocol.js"));
    let export = text
        .rfind("export {")
        .expect("js/protocol.js ends with export { ... };");
    let exported: Vec<&str> = text[export + 8..text[export..].find('}').unwrap() + export]
        .split(',')
        .map(str::trim)
        .collect();
    let mut out = Vec::new();
    for stmt in text.split(';') {
        let Some(decl) = stmt.trim().strip_prefix("const ") else {
            continue;
        };
        let Some((name, expr)) = decl.split_once('=') else {
            continue;
        };
        let name = name.trim();
        if !name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            continue; // a helper (align4), not a constant
        }
        assert!(
            exported.contains(&name),
            "js/protocol.js defines {name} but does not export it"
        );
        let value =
            js_integer(expr).unwrap_or_else(|| panic!("js/protocol.js: {name} = {} is not an integer", expr.trim()));
        out.push((name.to_owned(), value));
    }
    assert!(
        exported.contains(&"align4"),
        "js/protocol.js exports align4 (the scratch layout's word offset)"
    );
    out
}

/// Constants js/protocol.js has that src/base/protocol.rs spells out only in prose, with the value it states there.
const JS_ONLY_PROTOCOL: [(&str, i64); 1] = [
    // pick_n_scratch's `len` for no key: "the key is [0, len) (no key when len is -1)".
    ("NO_KEY", -1),
];

#[test]
fn protocol_js_mirrors_src_protocol() {
    let js = protocol_constants();
    let rust = names::protocol();
    let js_names: Vec<&str> = js
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| !JS_ONLY_PROTOCOL.iter().any(|(o, _)| o == n))
        .collect();
    same_names(
        "js/protocol.js's constants",
        &rust.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        &js_names,
    );
    for (name, value) in rust.iter().chain(JS_ONLY_PROTOCOL.iter()) {
        let got = js.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
        assert_eq!(
            got,
            Some(*value),
            "js/protocol.js {name} is {got:?}; src/base/protocol.rs has {value}"
        );
    }
}

/// The protocol has one JS copy: no other js/ file declares a constant of it.
#[test]
fn no_other_js_file_copies_the_protocol() {
    for entry in std::fs::read_dir(format!("{ROOT}/js")).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        if file == "protocol.js" || file.ends_with(".d.ts") {
            continue;
        }
        let text = strip_comments(&std::fs::read_to_string(&path).unwrap());
        for (name, _) in names::protocol().into_iter().chain(JS_ONLY_PROTOCOL) {
            assert!(
                !find_word(&text, name)
                    .iter()
                    .any(|&i| text[..i].trim_end().ends_with("const")),
                "js/{file} declares its own {name}; import it from ./protocol.js"
            );
        }
    }
}

/// The codes of js/errors.js's ERROR_CODES, in order.
fn js_error_codes() -> Vec<String> {
    let text = strip_comments(&read("js/errors.js"));
    let at = text
        .find("const ERROR_CODES = Object.freeze(")
        .expect("js/errors.js has const ERROR_CODES = Object.freeze({...})");
    let open = at + text[at..].find('{').unwrap();
    split_top(braced(&text, open), ',')
        .into_iter()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|e| {
            let (code, _) = e
                .split_once(':')
                .unwrap_or_else(|| panic!("ERROR_CODES: cannot read `{e}`"));
            assert!(code.starts_with("ERR_"), "ERROR_CODES: {code} is not an ERR_ code");
            code.to_owned()
        })
        .collect()
}

#[test]
fn every_core_error_code_is_in_the_js_list_and_error_code() {
    let list = js_error_codes();
    let t = index_d_ts();
    let union = t.literal_union("ErrorCode");
    let rust = names::error_codes();
    let missing: Vec<&str> = rust.iter().filter(|c| !list.iter().any(|l| l == *c)).copied().collect();
    assert!(
        missing.is_empty(),
        "js/errors.js ERROR_CODES lacks the core's {missing:?}"
    );
    let missing: Vec<&str> = rust
        .iter()
        .filter(|c| !union.iter().any(|l| l == *c))
        .copied()
        .collect();
    assert!(missing.is_empty(), "index.d.ts ErrorCode lacks the core's {missing:?}");
}

/// The codes that start a quoted string in `text` (`"ERR_X"`, `'ERR_X message'`, `` `ERR_X ${..}` ``).
fn quoted_codes(text: &str) -> Vec<String> {
    text.match_indices("ERR_")
        .filter(|(i, _)| text[..*i].ends_with(['"', '\'', '`']))
        .map(|(i, _)| {
            text[i..]
                .chars()
                .take_while(|&c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                .collect()
        })
        .collect()
}

/// Every code of the list is raised somewhere: by the core, or as a quoted literal in js/ (comments removed) or
/// lua/ (the Registry's scripts reply `ERR_<CODE> message`). A code nobody raises is a stale entry.
#[test]
fn every_listed_error_code_is_raised_somewhere() {
    let mut raised: Vec<String> = names::error_codes().into_iter().map(str::to_owned).collect();
    for (dir, ext) in [("js", ".js"), ("lua", ".lua")] {
        for entry in std::fs::read_dir(format!("{ROOT}/{dir}")).unwrap() {
            let path = entry.unwrap().path();
            let file = path.file_name().unwrap().to_string_lossy().into_owned();
            if !file.ends_with(ext) || file == "errors.js" {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            // Lua comments start with --, which strip_comments does not know; a code there would only be lenient.
            raised.extend(quoted_codes(&if ext == ".js" { strip_comments(&text) } else { text }));
        }
    }
    let stale: Vec<String> = js_error_codes().into_iter().filter(|c| !raised.contains(c)).collect();
    assert!(
        stale.is_empty(),
        "js/errors.js lists {stale:?}, which neither the core nor js/ nor lua/ raises"
    );
}
