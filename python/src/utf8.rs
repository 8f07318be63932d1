//! A str key's UTF-8 bytes without a copy.
//!
//! pyo3's `to_cow` on the limited API before 3.10 encodes every str into a new bytes object and then copies it
//! into a `String`: two allocations per pick. `PyUnicode_AsUTF8AndSize` lends the UTF-8 form CPython keeps with
//! the str (for an ASCII str, its own storage). It is in the limited API from 3.10 and exported by CPython 3.9
//! as well (from its full API, with the same signature), so the abi3-py39 wheel declares it itself.

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyString;
use std::os::raw::c_char;

use crate::convert::Key;

extern "C" {
    fn PyUnicode_AsUTF8AndSize(unicode: *mut ffi::PyObject, size: *mut ffi::Py_ssize_t) -> *const c_char;
}

/// The UTF-8 bytes of `s`, borrowed for as long as `s` lives; `None` when `s` holds a lone surrogate.
pub fn str_bytes<'a>(s: &'a Bound<'_, PyString>) -> Option<Key<'a>> {
    let mut n: ffi::Py_ssize_t = 0;
    // SAFETY: `s` is a live str (the GIL is held: we have a Bound); the returned buffer belongs to it and lives
    // until it is freed, which `'a` prevents. On failure (a lone surrogate) CPython sets UnicodeEncodeError,
    // which we clear and report in our own words.
    unsafe {
        let p = PyUnicode_AsUTF8AndSize(s.as_ptr(), &mut n);
        if p.is_null() {
            ffi::PyErr_Clear();
            return None;
        }
        Some(Key::Borrowed(std::slice::from_raw_parts(p as *const u8, n as usize)))
    }
}
