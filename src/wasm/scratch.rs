//! The scratch buffer of the JS/wasm protocol (layout: `crate::base::protocol`): where JS writes keys and
//! reads pickN's and pickMany's answers.

use wasm_bindgen::prelude::*;

use crate::base::error::{Code, Error};

use core::cell::UnsafeCell;

thread_local! {
    /// Where JS writes a string key's UTF-8 bytes before a `*_scratch` call, so a pick passes no string through
    /// wasm-bindgen (which would allocate, copy and free per call). Words, so JS can view it as a `Uint32Array`
    /// too (pickN's and pickMany's indices); wasm memory is little-endian.
    static SCRATCH: ScratchCell = const { ScratchCell(UnsafeCell::new(Vec::new())) };
}

/// The scratch words, without a `RefCell`'s borrow flag on purpose: a call that the JS stack running out cuts
/// short inside wasm unwinds without running any Rust code, so a `RefCell` borrowed at that moment would stay
/// borrowed for good and every later pick of every Router of the module would panic.
struct ScratchCell(UnsafeCell<Vec<u32>>);

/// Runs `f` on the scratch words. Sound because the uses never overlap: the module is single-threaded, the
/// facade calls this only from the body of an export and never inside `f`, and JS refuses a call into the
/// module while another is inside it (`busy` in `js/router.js`), so a cut-short call leaves no live reference.
pub(super) fn with_scratch<R>(f: impl FnOnce(&mut Vec<u32>) -> R) -> R {
    // SAFETY: see above: no other reference to the words is live while `f` runs.
    SCRATCH.with(|c| f(unsafe { &mut *c.0.get() }))
}

/// The scratch words as bytes.
pub(super) fn bytes_of(words: &[u32]) -> &[u8] {
    // SAFETY: u8 has no alignment or validity requirement, and the length covers exactly the same memory.
    unsafe { core::slice::from_raw_parts(words.as_ptr().cast::<u8>(), words.len() * 4) }
}

/// Checks that JS made the scratch hold `len` bytes before a call that reads them.
pub(super) fn scratch_bytes(len: usize) -> Result<(), Error> {
    if with_scratch(|s| s.len() * 4) >= len {
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
    with_scratch(|s| {
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
