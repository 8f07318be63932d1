//! `edgeroute.EdgerouteError`: a `ValueError` with the stable `code` of the JS package's errors.

use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;

create_exception!(
    edgeroute,
    EdgerouteError,
    PyValueError,
    "Bad input or a refused call. `code` is the stable code of the JS package's error for the same input (ERR_INVALID_OPTION, ERR_UNKNOWN_NODE...), `str(err)` its message."
);

/// An EdgerouteError with this code and message.
pub fn coded(code: &str, message: impl Into<String>) -> PyErr {
    Python::attach(|py| {
        let err = EdgerouteError::new_err(message.into());
        // Setting an attribute on a fresh exception instance cannot fail.
        let _ = err.value(py).setattr(intern!(py, "code"), code);
        err
    })
}

/// The core's error, as JS gets it: the same code and message.
pub fn core_error(e: edgeroute::Error) -> PyErr {
    coded(e.code.as_str(), e.message)
}
