//! The facade under wasm-bindgen-test, in Node (default) and headless Chromium (WASM_BINDGEN_USE_BROWSER=1).
//! It asserts the same golden vectors as the native tests, through the JS-facing `WasmRouter`, and checks that
//! bad input becomes an Error with a code instead of a trap.
#![cfg(target_arch = "wasm32")]

use edgeroute::wasm::WasmRouter;
use js_sys::{Reflect, JSON};
use serde_json::Value as Json;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

const GOLDEN: &str = include_str!("golden/vectors.json");

fn js(v: &Json) -> JsValue {
    JSON::parse(&v.to_string()).unwrap()
}

fn code(e: JsValue) -> String {
    let err: js_sys::Error = e.dyn_into().expect("an Error object");
    assert_eq!(String::from(err.name()), "EdgerouteError");
    Reflect::get(&err, &"code".into()).unwrap().as_string().unwrap()
}

fn pick(r: &mut WasmRouter, ids: &[String], key: &Json) -> String {
    let i = match key {
        Json::String(s) => r.pick_bytes(s.as_bytes()),
        Json::Object(o) => {
            let hex = o["hex"].as_str().unwrap();
            let bytes: Vec<u8> = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            r.pick_bytes(&bytes)
        }
        _ => unreachable!(),
    };
    assert!(i >= 0, "pick returned {i}");
    ids[i as usize].clone()
}

#[wasm_bindgen_test]
fn golden_ring_vectors() {
    let doc: Json = serde_json::from_str(GOLDEN).unwrap();
    let mut checked = 0;
    for case in doc["cases"].as_array().unwrap() {
        let mut r = WasmRouter::new(js(&case["options"])).unwrap();
        for op in case["ops"].as_array().unwrap() {
            match op["op"].as_str().unwrap() {
                "add" => r.add(js(&op["node"])).unwrap(),
                "remove" => assert!(r.remove(js(&op["id"])).unwrap()),
                "setWeight" => r.set_weight(js(&op["id"]), js(&op["weight"])).unwrap(),
                other => panic!("{other}"),
            }
        }
        // The ids as js/router.js slices them out of ids_joined.
        let joined: Vec<u16> = r.ids_joined().encode_utf16().collect();
        let mut at = 0;
        let ids: Vec<String> = r
            .id_lengths()
            .iter()
            .map(|&l| {
                at += l as usize;
                String::from_utf16(&joined[at - l as usize..at]).unwrap()
            })
            .collect();
        for p in case["picks"].as_array().unwrap() {
            assert_eq!(
                pick(&mut r, &ids, &p[0]),
                p[1].as_str().unwrap(),
                "{} {}",
                case["name"],
                p[0]
            );
            checked += 1;
        }
        for p in case["pickN"].as_array().unwrap() {
            let got = r
                .pick_n_bytes(p[0].as_str().unwrap().as_bytes(), JsValue::from(p[1].as_f64().unwrap()))
                .unwrap()
                .to_vec();
            let got: Vec<&str> = got.iter().map(|&i| ids[i as usize].as_str()).collect();
            let want: Vec<&str> = p[2].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
            assert_eq!(got, want);
        }
    }
    assert!(checked > 100);
}

#[wasm_bindgen_test]
fn bad_input_is_an_error_with_a_code_and_the_router_survives() {
    let opts = serde_json::json!({ "strategy": "ring", "nodes": [{ "id": "a" }, { "id": "b" }] });
    let mut r = WasmRouter::new(js(&opts)).unwrap();
    let before = r.pick_bytes(b"k");
    assert_eq!(
        code(WasmRouter::new(JsValue::from(3)).err().unwrap()),
        "ERR_INVALID_OPTIONS"
    );
    assert_eq!(
        code(
            WasmRouter::new(js(&serde_json::json!({ "strategy": "ring", "nodes": [] })))
                .err()
                .unwrap()
        ),
        "ERR_NO_NODES"
    );
    assert_eq!(
        code(
            WasmRouter::new(js(&serde_json::json!({ "strategy": "nope", "nodes": [{ "id": "a" }] })))
                .err()
                .unwrap()
        ),
        "ERR_UNKNOWN_STRATEGY"
    );
    let lone = js_sys::Object::new();
    Reflect::set(&lone, &"strategy".into(), &"ring".into()).unwrap();
    let node = js_sys::Object::new();
    Reflect::set(
        &node,
        &"id".into(),
        &JsValue::from(js_sys::JsString::from_char_code1(0xD800)),
    )
    .unwrap();
    Reflect::set(&lone, &"nodes".into(), &js_sys::Array::of1(&node)).unwrap();
    assert_eq!(code(WasmRouter::new(lone.into()).err().unwrap()), "ERR_INVALID_ID");
    // Pick exports return -2 for an error and hand it over through take_error.
    assert_eq!(r.pick_none(-1, f64::NAN), -2);
    assert_eq!(code(r.take_error()), "ERR_INVALID_KEY");
    assert_eq!(
        code(r.pick_n_bytes(b"k", JsValue::from(0)).unwrap_err()),
        "ERR_INVALID_COUNT"
    );
    assert_eq!(
        code(r.pick_n_bytes(b"k", JsValue::from("2")).unwrap_err()),
        "ERR_INVALID_COUNT"
    );
    assert_eq!(
        code(r.set_weight("a".into(), JsValue::from(f64::NAN)).unwrap_err()),
        "ERR_INVALID_WEIGHT"
    );
    assert_eq!(
        code(r.set_weight("zz".into(), JsValue::from(1)).unwrap_err()),
        "ERR_UNKNOWN_NODE"
    );
    assert_eq!(
        code(r.add(js(&serde_json::json!({ "id": "a" }))).unwrap_err()),
        "ERR_DUPLICATE_ID"
    );
    assert_eq!(code(r.remove(JsValue::from(1)).unwrap_err()), "ERR_INVALID_ID");
    assert!(!r.remove("zz".into()).unwrap());
    assert_eq!(
        code(
            r.report("a".into(), js(&serde_json::json!({ "ok": "yes" })), 1.0)
                .unwrap_err()
        ),
        "ERR_INVALID_REPORT"
    );
    assert_eq!(r.pick_bytes(b"k"), before);
}

#[wasm_bindgen_test]
fn unseeded_random_asks_js_for_entropy_before_its_first_pick() {
    let opts = serde_json::json!({ "strategy": "random", "nodes": [{ "id": "a" }, { "id": "b" }, { "id": "c" }] });
    let mut seqs = vec![];
    for seed in [1u32, 2] {
        let mut r = WasmRouter::new(js(&opts)).unwrap();
        // -4: no entropy yet; JS draws it (outside wasm) and seeds.
        assert_eq!(r.pick_none(-1, f64::NAN), -4);
        r.seed_entropy(seed, 0x9e37_79b9);
        seqs.push((0..64).map(|_| r.pick_none(-1, f64::NAN)).collect::<Vec<_>>());
    }
    assert!(seqs.iter().flatten().all(|&i| (0..3).contains(&i)));
    assert_ne!(seqs[0], seqs[1], "two seeds gave the same 64 picks");
}

/// Numbers in messages read as the runtime's own `String(x)`: every bit-pattern family (subnormals, powers of
/// two, exact halves, huge and tiny) against the engine's Number::toString.
#[wasm_bindgen_test]
fn message_numbers_match_js_number_to_string() {
    let mut s = 0x2545_F491_4F6C_DD1Du64;
    let mut xs = vec![
        999999.9999999999,
        1e-300,
        0.1 + 0.2,
        1e21,
        2f64.powi(60),
        5e-324,
        -0.0,
        f64::from_bits(0x42EE_217D_3CD9_4E34),
    ];
    for i in 0..20_000u32 {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        xs.push(match i % 4 {
            0 => f64::from_bits(s),
            1 => f64::from_bits(s & 0x800F_FFFF_FFFF_FFFF | ((s >> 52) % 80 + 1000) << 52),
            2 => f64::from_bits(s & 0x8000_0000_000F_FFFF),
            _ => f64::from_bits(s & 0xFFF0_0000_0000_0000),
        });
    }
    for x in xs {
        let js = String::from(js_sys::Number::from(x).to_string_with_radix(10).unwrap());
        assert_eq!(edgeroute::base::numfmt::fmt_num(x), js, "bits {:#x}", x.to_bits());
    }
}
