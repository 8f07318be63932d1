//! Panics: a debug-build hook that keeps the message for JS, and the debug-only panic key the tests use.

use wasm_bindgen::prelude::*;

/// In debug builds, picking this key panics (test-js/panic/ checks what JS then sees).
#[cfg(debug_assertions)]
pub(super) const DEBUG_PANIC_KEY: &[u8] = b"__edgeroute_debug_panic__";

/// The message of the last panic, kept by the debug-build panic hook until JS takes it.
#[cfg(debug_assertions)]
pub(super) static LAST_PANIC: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Debug builds: record each panic's message, so the JS error that follows the trap can carry it. (Release builds
/// abort without one: the message formatting would cost size, and a trap is a bug to report either way.)
pub(super) fn install_panic_hook() {
    #[cfg(debug_assertions)]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            std::panic::set_hook(Box::new(|info| {
                if let Ok(mut last) = LAST_PANIC.lock() {
                    *last = Some(info.to_string());
                }
            }))
        });
    }
}

/// The message of the last panic, once (debug builds; always `undefined` in release builds).
#[wasm_bindgen]
pub fn take_panic_message() -> Option<String> {
    #[cfg(debug_assertions)]
    {
        LAST_PANIC.lock().ok().and_then(|mut m| m.take())
    }
    #[cfg(not(debug_assertions))]
    {
        None
    }
}
