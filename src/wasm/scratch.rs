//! The scratch buffer of the JS/wasm protocol (layout: `crate::base::protocol`): where JS writes keys and
//! reads pickN's and pickMany's answers.

use wasm_bindgen::prelude::*;

use crate::base::error::{Code, Error};

thread_local! {
    /// Where JS writes a string key's UTF-8 bytes before a `*_scratch` call, so a pick passes no string through
    /// wasm-bindgen (which would allocate, copy and free per call). Words, so JS can view it as a `Uint32Array`
    /// too (pickN's and pickMany's indices); wasm memory is little-endian.
    pub(super) static SCRATCH: core::cell::RefCell<Vec<u32>> = const { core::cell::RefCell::new(Vec::new()) };
}

/// The scratch words as bytes.
pub(super) fn bytes_of(words: &[u32]) -> &[u8] {
    // SAFETY: u8 has no alignment or validity requirement, and the length covers exactly the same memory.
    unsafe { core::slice::from_raw_parts(words.as_ptr().cast::<u8>(), words.len() * 4) }
}

/// Checks that JS made the scratch hold `len` bytes before a call that reads them.
pub(super) fn scratch_bytes(len: usize) -> Result<(), Error> {
    if SCRATCH.with(|s| s.borrow().len() * 4) >= len {
        Ok(())
    } else {
        Err(Error::new(
            Code::Internal,
            "internal: the key was not written to the scratch buffer",
        ))
    }
}

/// Makes the scratch buffer hold at least `len` bytes and returns where it starts (4-byte aligned). JS calls
/// this only when a key does not fit; the address changes when the buffer grows, and JS re-reads it then.
/// Returns null when the memory is full (JS then throws ERR_TOO_LARGE): an allocation failure here would
/// otherwise abort with the scratch borrowed, and every Router of the module would trap from then on.
#[wasm_bindgen]
pub fn scratch(len: usize) -> *mut u8 {
    SCRATCH.with(|s| {
        let mut s = s.borrow_mut();
        let words = len.div_ceil(4);
        let have = s.len();
        if have < words {
            if s.try_reserve_exact(words - have).is_err() {
                return core::ptr::null_mut();
            }
            s.resize(words, 0);
        }
        s.as_mut_ptr().cast::<u8>()
    })
}

/// The module's memory, for JS to write keys into the scratch buffer.
#[wasm_bindgen]
pub fn wasm_memory() -> JsValue {
    wasm_bindgen::memory()
}
