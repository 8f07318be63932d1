//! Errors with stable codes.
//!
//! Every failure that input can cause is an [`Error`] value, never a panic. The JS facade turns it into an
//! `EdgerouteError` whose `code` property is [`Code::as_str`]; those strings are part of the public API
//! (see the README's error table) and never change meaning.

use core::fmt;

/// A stable error code. The string form is what JS callers see as `err.code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    /// The options object itself is not an object, or a required option is missing.
    InvalidOptions,
    /// An option that the Router does not know, or one that does not apply to the chosen strategy.
    UnknownOption,
    /// A field in a node spec or an outcome object that is not part of its shape.
    UnknownField,
    /// A known option with a value of the wrong type or out of range.
    InvalidOption,
    /// `strategy` names no strategy this build has.
    UnknownStrategy,
    /// The Router was created with no nodes.
    NoNodes,
    /// A node id that is not a string, is empty, too long, or not valid Unicode.
    InvalidId,
    /// Two nodes with the same id.
    DuplicateId,
    /// A weight that is not a number in [MIN_WEIGHT, MAX_WEIGHT].
    InvalidWeight,
    /// A node id that the Router does not hold (for calls other than `remove`).
    UnknownNode,
    /// A key of the wrong type, or no key for a strategy that needs one.
    InvalidKey,
    /// `pickN`'s count is not a whole number >= 1.
    InvalidCount,
    /// An outcome passed to `report` that is malformed.
    InvalidReport,
    /// The configuration would exceed a size limit (nodes, ring points).
    TooLarge,
    /// A bug: an internal invariant did not hold (a trap becomes this code in JS too).
    Internal,
}

impl Code {
    /// Every code, in documentation order.
    pub const ALL: [Code; 15] = [
        Code::InvalidOptions,
        Code::UnknownOption,
        Code::UnknownField,
        Code::InvalidOption,
        Code::UnknownStrategy,
        Code::NoNodes,
        Code::InvalidId,
        Code::DuplicateId,
        Code::InvalidWeight,
        Code::UnknownNode,
        Code::InvalidKey,
        Code::InvalidCount,
        Code::InvalidReport,
        Code::TooLarge,
        Code::Internal,
    ];

    /// The stable string form, as seen by JS in `err.code`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::InvalidOptions => "ERR_INVALID_OPTIONS",
            Code::UnknownOption => "ERR_UNKNOWN_OPTION",
            Code::UnknownField => "ERR_UNKNOWN_FIELD",
            Code::InvalidOption => "ERR_INVALID_OPTION",
            Code::UnknownStrategy => "ERR_UNKNOWN_STRATEGY",
            Code::NoNodes => "ERR_NO_NODES",
            Code::InvalidId => "ERR_INVALID_ID",
            Code::DuplicateId => "ERR_DUPLICATE_ID",
            Code::InvalidWeight => "ERR_INVALID_WEIGHT",
            Code::UnknownNode => "ERR_UNKNOWN_NODE",
            Code::InvalidKey => "ERR_INVALID_KEY",
            Code::InvalidCount => "ERR_INVALID_COUNT",
            Code::InvalidReport => "ERR_INVALID_REPORT",
            Code::TooLarge => "ERR_TOO_LARGE",
            Code::Internal => "ERR_INTERNAL",
        }
    }
}

/// An error with a stable [`Code`] and a message that says what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub code: Code,
    pub message: String,
}

impl Error {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = core::result::Result<T, Error>;
