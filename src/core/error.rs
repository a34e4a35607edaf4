//! The error type every reply carries: a stable machine code plus a message meant for the user.

use serde::{Deserialize, Serialize};

/// Stable error codes shared with the extension's JavaScript (generated into `protocol.js`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The message was malformed or of an unknown type.
    BadRequest,
    /// The message was written for another protocol version.
    VersionMismatch,
    /// The page cannot be read at all (browser pages, the web store, PDFs viewed by the browser).
    UnreadablePage,
    /// The page was read but has no text to work on.
    EmptyPage,
    /// A model or runtime file is missing or corrupt.
    ModelUnavailable,
    /// The inference runtime did not start in time.
    BackendTimeout,
    /// The inference runtime failed.
    BackendFailed,
    /// Storage (IndexedDB) failed; the answer may still be computed.
    StorageFailed,
    /// The user stopped the job.
    Cancelled,
    /// Nothing stored for this request (a `stored_only` summary).
    NotStored,
    /// The user's T3 endpoint could not be reached or refused or broke off the request.
    EndpointFailed,
    /// A bug: something that should not happen.
    Internal,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 12] = [
        ErrorCode::BadRequest,
        ErrorCode::VersionMismatch,
        ErrorCode::UnreadablePage,
        ErrorCode::EmptyPage,
        ErrorCode::ModelUnavailable,
        ErrorCode::BackendTimeout,
        ErrorCode::BackendFailed,
        ErrorCode::StorageFailed,
        ErrorCode::Cancelled,
        ErrorCode::NotStored,
        ErrorCode::EndpointFailed,
        ErrorCode::Internal,
    ];

    /// The wire name of this code.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::VersionMismatch => "version_mismatch",
            ErrorCode::UnreadablePage => "unreadable_page",
            ErrorCode::EmptyPage => "empty_page",
            ErrorCode::ModelUnavailable => "model_unavailable",
            ErrorCode::BackendTimeout => "backend_timeout",
            ErrorCode::BackendFailed => "backend_failed",
            ErrorCode::StorageFailed => "storage_failed",
            ErrorCode::Cancelled => "cancelled",
            ErrorCode::NotStored => "not_stored",
            ErrorCode::EndpointFailed => "endpoint_failed",
            ErrorCode::Internal => "internal",
        }
    }
}

/// An error with a code and a human-readable message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct ScoutError {
    pub code: ErrorCode,
    /// The engine's messages are English details (the UI heads them with its own words for `code`); errors made by
    /// the extension's scripts are in the UI's language and say so with `localized`.
    pub message: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub localized: bool,
}

impl ScoutError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ScoutError {
            code,
            message: message.into(),
            localized: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_match_serde() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }
}
