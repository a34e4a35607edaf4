//! Model download bookkeeping, pure: where files come from, what is left to fetch, how progress is reported, when
//! to retry, and whether there is room. The browser layer does the fetching and the storing.

use serde::{Deserialize, Serialize};

use super::catalog::{ModelEntry, ModelFile};
use super::error::{ErrorCode, ScoutError};
use super::phrase::Phrase;

/// The public Hugging Face hub; users may point Scout at a mirror, tests at 127.0.0.1.
pub const DEFAULT_HUB: &str = "https://huggingface.co";

/// Bytes per stored chunk: big enough that IndexedDB writes are few, small enough to bound memory.
pub const CHUNK_BYTES: usize = 4 << 20;

/// `{base}/{repo}/resolve/{revision}/{path}`.
pub fn file_url(base: &str, model: &ModelEntry, file: &ModelFile) -> String {
    format!(
        "{}/{}/resolve/{}/{}",
        base.trim_end_matches('/'),
        model.repo,
        model.revision,
        file.path
    )
}

/// A catalog model with its storage state, as the options page lists it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ModelStatus {
    pub id: String,
    pub display_name: String,
    pub description: String,
    pub license: String,
    pub repo: String,
    pub revision: String,
    pub size: u64,
    pub bundled: bool,
    /// The catalog pins the files' sha256 (else they are checked against the hashes the hub declares).
    pub verified: bool,
    /// Downloaded and checked against the hub's declared hashes (the catalog pins none).
    #[serde(default)]
    pub hub_verified: bool,
    /// What the model does (the UI offers a "generate" model for writing).
    #[serde(default)]
    pub tasks: Vec<super::catalog::Task>,
    #[serde(default)]
    pub requires: super::catalog::Requirements,
    /// An embedder for pages and questions that are not in English.
    #[serde(default)]
    pub multilingual: bool,
    /// "bundled", "ready", "downloading", "partial", "absent".
    pub state: String,
    pub stored_bytes: u64,
}

/// Where a file download stands; persisted with the chunks so an interrupted download resumes.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct FileProgress {
    pub path: String,
    pub size: u64,
    /// Bytes stored so far (always a whole number of stored chunks).
    pub done: u64,
    pub chunks: u32,
    pub verified: bool,
}

impl FileProgress {
    pub fn new(file: &ModelFile) -> Self {
        FileProgress {
            path: file.path.clone(),
            size: file.size,
            ..Default::default()
        }
    }

    /// The HTTP `Range` header to resume with, if any bytes are stored.
    pub fn range_header(&self) -> Option<String> {
        (self.done > 0).then(|| format!("bytes={}-", self.done))
    }

    pub fn complete(&self) -> bool {
        self.done >= self.size
    }
}

/// How the server answered a (possibly ranged) request, and what to do with the stored bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResumeAction {
    /// 206 from the right offset: append.
    Append,
    /// 200: the server ignored the range; drop what we had and start over.
    Restart,
}

/// Decide from the status and `Content-Range` header whether a response continues the stored bytes.
pub fn resume_action(status: u16, content_range: Option<&str>, done: u64) -> Result<ResumeAction, ScoutError> {
    match status {
        200 => Ok(ResumeAction::Restart),
        206 => {
            let start = content_range
                .and_then(|r| r.strip_prefix("bytes "))
                .and_then(|r| r.split('-').next())
                .and_then(|s| s.trim().parse::<u64>().ok());
            match start {
                Some(s) if s == done => Ok(ResumeAction::Append),
                _ => Err(ScoutError::new(
                    ErrorCode::BackendFailed,
                    format!("the server resumed at the wrong byte (Content-Range {content_range:?}, expected {done})"),
                )),
            }
        }
        404 => Err(ScoutError::new(
            ErrorCode::ModelUnavailable,
            "the model file was not found on the server (404)",
        )),
        s => Err(ScoutError::new(
            ErrorCode::BackendFailed,
            format!("the server answered HTTP {s}"),
        )),
    }
}

/// Whether an error is worth retrying (network trouble, 5xx) rather than final (404, bad hash, no space).
pub fn retryable(status: Option<u16>) -> bool {
    match status {
        None => true,
        Some(s) => s == 408 || s == 429 || s >= 500,
    }
}

/// Exponential backoff with a cap: 1 s, 2 s, 4 s, … 30 s.
pub fn backoff_ms(attempt: u32) -> u32 {
    1000u32.saturating_mul(1u32 << attempt.min(5)).min(30_000)
}

pub const MAX_ATTEMPTS: u32 = 5;

/// Progress as the UI shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Progress {
    pub model: String,
    pub done: u64,
    pub total: u64,
    pub percent: f32,
    pub bytes_per_s: f64,
    pub eta_s: Option<f64>,
    pub state: DownloadState,
    /// What the state means (the file being fetched, why it failed, that it is verified).
    pub message: Option<Phrase>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DownloadState {
    Downloading,
    Verifying,
    Retrying,
    Ready,
    Failed,
    Cancelled,
}

/// Progress from bytes done, and the bytes and milliseconds of this session (for the speed).
pub fn progress(
    model: &str,
    done: u64,
    total: u64,
    session_bytes: u64,
    session_ms: f64,
    state: DownloadState,
) -> Progress {
    let bytes_per_s = if session_ms > 0.0 {
        session_bytes as f64 * 1000.0 / session_ms
    } else {
        0.0
    };
    let left = total.saturating_sub(done);
    Progress {
        model: model.to_string(),
        done,
        total,
        percent: if total == 0 {
            100.0
        } else {
            (done as f64 * 100.0 / total as f64) as f32
        },
        bytes_per_s,
        eta_s: (bytes_per_s > 0.0).then(|| left as f64 / bytes_per_s),
        state,
        message: None,
    }
}

/// Refuse before downloading when storage cannot hold the model (with a margin for the browser's own use).
pub fn check_quota(needed: u64, usage: f64, quota: f64) -> Result<(), ScoutError> {
    let free = (quota - usage).max(0.0);
    let margin = 50.0 * 1024.0 * 1024.0;
    if (needed as f64) + margin > free {
        return Err(ScoutError::new(
            ErrorCode::StorageFailed,
            format!(
                "Not enough storage: this model needs {}, and Scout may use only {} more (the browser's quota, or \
                 your limit in the options). Free some space, raise the limit or delete other models first.",
                human_bytes(needed as f64),
                human_bytes(free)
            ),
        ));
    }
    Ok(())
}

pub fn human_bytes(b: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = b.max(0.0);
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{v:.0} {}", UNITS[u])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::catalog::Catalog;

    #[test]
    fn hub_urls() {
        let c = Catalog::builtin();
        let m = c.get("smollm2-135m-instruct-int8").unwrap();
        let f = m.file("model").unwrap();
        assert_eq!(
            file_url("http://127.0.0.1:8000/", m, f),
            "http://127.0.0.1:8000/HuggingFaceTB/SmolLM2-135M-Instruct/resolve/main/onnx/model_quantized.onnx"
        );
    }

    #[test]
    fn resume_decisions() {
        assert_eq!(
            resume_action(206, Some("bytes 100-199/200"), 100).unwrap(),
            ResumeAction::Append
        );
        assert_eq!(resume_action(200, None, 100).unwrap(), ResumeAction::Restart);
        assert!(resume_action(206, Some("bytes 50-199/200"), 100).is_err());
        assert_eq!(
            resume_action(404, None, 0).unwrap_err().code,
            ErrorCode::ModelUnavailable
        );
        assert!(resume_action(500, None, 0).is_err());
        let mut p = FileProgress {
            size: 10,
            ..Default::default()
        };
        assert_eq!(p.range_header(), None);
        p.done = 4;
        assert_eq!(p.range_header().as_deref(), Some("bytes=4-"));
        assert!(!p.complete());
    }

    #[test]
    fn retry_policy() {
        assert!(retryable(None) && retryable(Some(503)) && retryable(Some(429)));
        assert!(!retryable(Some(404)) && !retryable(Some(403)));
        assert_eq!(backoff_ms(0), 1000);
        assert_eq!(backoff_ms(2), 4000);
        assert_eq!(backoff_ms(30), 30_000);
    }

    #[test]
    fn progress_and_eta() {
        let p = progress("m", 50, 200, 100, 1000.0, DownloadState::Downloading);
        assert_eq!(p.percent, 25.0);
        assert_eq!(p.bytes_per_s, 100.0);
        assert_eq!(p.eta_s, Some(1.5));
        assert_eq!(progress("m", 0, 0, 0, 0.0, DownloadState::Ready).eta_s, None);
    }

    #[test]
    fn quota() {
        assert!(check_quota(100 << 20, 0.0, 10e9).is_ok());
        let e = check_quota(200 << 20, 0.0, 100e6).unwrap_err();
        assert_eq!(e.code, ErrorCode::StorageFailed);
        assert!(e.message.contains("209.7 MB"), "{}", e.message);
        assert_eq!(human_bytes(22_928_619.0), "22.9 MB");
    }
}
