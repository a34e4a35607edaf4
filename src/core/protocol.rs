//! The one message protocol between the extension's pages and the core.
//!
//! Requests are serde tagged enums (`{"type": "summarize", ...}`); every reply is `{"ok": true, ...}` or
//! `{"ok": false, "error": {"code", "message"}}`. The JavaScript side gets its constants from
//! [`js_constants`], generated into `protocol.js` at build time, so names are defined only here.

use serde::{Deserialize, Serialize};

use super::error::{ErrorCode, ScoutError};
use super::hardware::{BackendChoice, BackendPreference, HardwareProfile};
use super::phrase::Phrase;
use super::text::SummaryOptions;

/// Bumped on any incompatible change of the messages below.
pub const PROTOCOL_VERSION: u32 = 1;

/// What the page capture script sends: what the user sees of a page.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct PageContent {
    pub url: String,
    #[serde(default)]
    pub title: String,
    /// The serialized live DOM with CSS-hidden elements removed (see `extension/page_capture.js`).
    #[serde(default)]
    pub html: Option<String>,
    /// The visible text, used when no HTML is given (e.g. a selection).
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub lang: Option<String>,
    /// True when the text is the user's selection rather than the whole page.
    #[serde(default)]
    pub is_selection: bool,
}

impl PageContent {
    /// A whole page from its HTML (no title or language given: the extractor reads them).
    pub fn from_html(url: impl Into<String>, html: impl Into<String>) -> Self {
        PageContent {
            url: url.into(),
            title: String::new(),
            html: Some(html.into()),
            text: None,
            lang: None,
            is_selection: false,
        }
    }
}

/// Which tier the user allows for this request. `Auto` picks the best tier available.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TierRequest {
    #[default]
    Auto,
    T0,
    T1,
}

/// The tier that actually answered.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum Tier {
    T0,
    T1,
    T2,
    T3,
}

/// Engine settings the service worker passes with each request (the offscreen document has no `chrome.storage`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct EngineSettings {
    #[serde(default)]
    pub backend: BackendPreference,
    /// The user's limit on Scout's storage in MB (None: only the browser's quota).
    #[serde(default)]
    pub storage_cap_mb: Option<u32>,
    /// Keep history entries this many days (None: keep all).
    #[serde(default)]
    pub retention_days: Option<u32>,
    /// Base URL of the model hub (`{hub}/{repo}/resolve/{revision}/{path}`); default the Hugging Face hub.
    #[serde(default)]
    pub hub: Option<String>,
    /// Unload the T2 model after this many minutes without a job (None or 0: keep it while the engine runs).
    #[serde(default)]
    pub idle_unload_minutes: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    /// Is the engine up, which backend runs it.
    Status,
    /// Measure WASM against WebGPU on this device now, keep the result and load the engine on the faster one
    /// (the service worker gives it a fresh engine first: the runtime bundle is fixed once loaded).
    MeasureBackends,
    /// Stop the running summary / classification / question (answered at once, without waiting for it).
    Cancel,
    /// Summarize a page (or a selection).
    Summarize {
        page: PageContent,
        #[serde(default)]
        options: SummaryOptions,
        #[serde(default)]
        tier: TierRequest,
        /// Recompute even if a stored result exists.
        #[serde(default)]
        refresh: bool,
        /// Only a stored result, computing nothing (answered at once, without waiting for the engine): what the
        /// popup shows when it opens. `not_stored` when there is none.
        #[serde(default)]
        stored_only: bool,
    },
    /// Classify a page: topic, content type, tone, and the user's own labels (at least two) if given (T1).
    Classify {
        page: PageContent,
        #[serde(default)]
        custom_labels: Vec<String>,
    },
    /// Answer a question about a page from its passages (T1).
    Ask {
        page: PageContent,
        question: String,
        #[serde(default)]
        top_k: Option<usize>,
    },
    /// Extract the article of an HTML document (T0, no model).
    Extract {
        html: String,
        #[serde(default)]
        url: Option<String>,
    },
    /// The model catalog with what is stored, and the storage usage.
    Models,
    /// Download a catalog model; needs the user's consent for this model. Returns at once; progress is broadcast
    /// on `BroadcastChannel("scout-progress")`.
    Download {
        model: String,
        #[serde(default)]
        consent: bool,
    },
    CancelDownload {
        model: String,
    },
    DeleteModel {
        model: String,
    },
    DeleteAllModels,
    /// Create an inference session from a downloaded model (checks it is usable).
    LoadModel {
        model: String,
    },
    /// History entries matching `query` (all words), newest first.
    History {
        #[serde(default)]
        query: Option<String>,
        #[serde(default)]
        limit: Option<usize>,
    },
    DeleteHistory {
        id: String,
    },
    ClearHistory,
    /// The whole history as a JSON export.
    ExportHistory,
    ImportHistory {
        json: String,
    },
    /// T2: a downloaded local LLM writes a summary of the page or answers a question about it from the passages
    /// T1 retrieves. Text streams as it is written on `BroadcastChannel("scout-stream")` as
    /// `{stream, kind: "text", text}` (and `{stream, kind: "reading", part, parts}` while a long page is read in
    /// parts); the reply holds the final, shaped text.
    Write {
        /// Chosen by the sender, to tell its stream from others.
        stream: String,
        model: String,
        page: PageContent,
        job: WriteJob,
        /// Sample with this seed instead of decoding greedily (Regenerate: another wording of the answer).
        #[serde(default)]
        variant: Option<u64>,
        /// T3: send the job to this endpoint instead of a local model (`model` is then ignored). Only the user's
        /// pages send it, after the user chose the endpoint for this kind of job and confirmed it for this site.
        #[serde(default)]
        endpoint: Option<crate::core::endpoint::Endpoint>,
    },
    /// T3's "Test connection": the endpoint's model list (`GET {base}/models`).
    EndpointModels {
        endpoint: crate::core::endpoint::Endpoint,
    },
    /// Benchmarks: a downloaded LLM replies to these chat messages (rendered by its own template), decoding greedily
    /// at least `min_new_tokens` and at most `max_new_tokens`, timed.
    Generate {
        model: String,
        messages: Vec<crate::core::generate::ChatMessage>,
        #[serde(default = "default_new_tokens")]
        max_new_tokens: usize,
        #[serde(default)]
        min_new_tokens: usize,
    },
    /// Embed texts with the bundled embedder (used by tests and benchmarks).
    Embed {
        texts: Vec<String>,
        /// Embed on this execution provider instead of the engine's default one ("wasm" or "webgpu").
        #[serde(default)]
        ep: Option<String>,
        /// Texts per model run (default: the embedder's, one).
        #[serde(default)]
        batch_size: Option<usize>,
    },
}

/// What a T2 model is asked to write.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WriteJob {
    Summary {
        #[serde(default)]
        options: SummaryOptions,
    },
    Chat {
        question: String,
        /// Earlier turns of this conversation, oldest first.
        #[serde(default)]
        history: Vec<ChatTurn>,
    },
}

/// An earlier turn of a chat about a page (its answer as shown, citations included).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ChatTurn {
    pub question: String,
    pub answer: String,
}

fn default_new_tokens() -> usize {
    64
}

/// A timed generation (the `generate` benchmark request).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GeneratedReply {
    pub model: String,
    pub ep: String,
    pub text: String,
    pub stop: crate::core::generate::StopReason,
    pub prompt_tokens: usize,
    /// Prompt tokens whose key/value cache was kept from the previous request (a shared prefix).
    #[serde(default)]
    pub reused_tokens: usize,
    pub generated_tokens: usize,
    /// Loading the model in this request (0 when it was loaded already).
    pub load_ms: f64,
    /// Its steps, in order (ms).
    #[serde(default)]
    pub load_steps_ms: Vec<(String, f64)>,
    /// The key/value cache stayed in the runtime's memory between steps (the WASM bridge), rather than being
    /// copied out and back in at every step.
    #[serde(default)]
    pub cache_in_runtime: bool,
    /// Threads of Scout's int8 decoder (1 or 2); 0 where ONNX Runtime runs the model.
    #[serde(default)]
    pub decoder_threads: usize,
    /// Which decoder ran: "scout-gpu (ADAPTER)", "scout-int8" or "onnxruntime".
    #[serde(default)]
    pub decoder: String,
    /// Time inside the runtime's `run` over this generation (ms) and how many runs, where the runner counts them
    /// (WebGPU): what the loop around the runtime costs is the rest.
    #[serde(default)]
    pub runtime_ms: Option<f64>,
    #[serde(default)]
    pub runtime_runs: Option<u32>,
    /// Why a graph made for WebGPU runs on WASM (its GPU session failed), if it does.
    #[serde(default)]
    pub gpu_error: Option<String>,
    pub time_to_first_token_ms: f64,
    pub decode_tokens_per_s: f64,
    pub total_ms: f64,
}

/// A passage an answer cites, checked against those the model was given.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Citation {
    /// The number the answer uses (`[n]`).
    pub n: usize,
    pub passage: String,
    pub text: String,
    /// `data-scout-node` ids of the passage in the live page.
    pub nodes: Vec<u32>,
    /// The model cited nothing; Scout found that this passage holds most of the answer's words (the UI says so).
    #[serde(default)]
    pub matched: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WrittenReply {
    pub url: String,
    pub title: String,
    pub tier: Tier,
    pub model: String,
    pub ep: String,
    /// The summary in the requested shape, or the answer with only valid citation markers.
    pub text: String,
    #[serde(default)]
    pub citations: Vec<Citation>,
    /// Passage numbers the model cited that it was never given (removed from the text).
    #[serde(default)]
    pub invalid_citations: Vec<usize>,
    /// Share of the page the model read (summaries of long pages read in parts).
    pub coverage: f64,
    pub parts: usize,
    pub stop: crate::core::generate::StopReason,
    pub prompt_tokens: usize,
    /// Prompt tokens whose keys/values were reused from the previous job.
    pub reused_tokens: usize,
    pub generated_tokens: usize,
    pub time_to_first_token_ms: f64,
    pub decode_tokens_per_s: f64,
    pub total_ms: f64,
    /// T3: exactly the messages the endpoint was sent (the UI shows them under "What was sent").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sent: Vec<crate::core::generate::ChatMessage>,
    /// T2 chat: the messages the local model read (the grounded prompt), so that what a page can put in front of
    /// the model is auditable (`tests/e2e/hostile.test.mjs`); not shown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prompt: Vec<crate::core::generate::ChatMessage>,
    /// Advice on a better reading of the page (a chat turn about a page not in English, retrieved by the English
    /// embedder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<Phrase>,
}

/// A request as it travels: version, settings and the request itself.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Envelope {
    pub v: u32,
    #[serde(default)]
    pub settings: EngineSettings,
    /// Facts about this device, collected by the offscreen page.
    #[serde(default)]
    pub hardware: Option<HardwareProfile>,
    pub request: Request,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Timings {
    pub extract_ms: f64,
    pub embed_ms: f64,
    pub rank_ms: f64,
    pub total_ms: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Coverage {
    /// Sentences the ranking looked at / sentences on the page.
    pub sentences_used: usize,
    pub sentences_total: usize,
    pub percent: f32,
}

/// Where a reply's embeddings came from.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct VectorUse {
    /// Texts the model ran on for this reply.
    pub computed: usize,
    /// Vectors taken from the page's record stored in an earlier session (IndexedDB) instead of running the model.
    pub stored: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SummaryReply {
    pub url: String,
    pub title: String,
    pub tier: Tier,
    /// Execution provider that ran the model ("wasm", "webgpu"), or "none" for T0.
    pub ep: String,
    pub model: Option<String>,
    pub summary: super::text::Summary,
    pub keywords: Vec<String>,
    pub lang: Option<String>,
    pub reading_minutes: f32,
    pub word_count: usize,
    pub readerable: bool,
    pub content_hash: String,
    pub coverage: Coverage,
    pub timings: Timings,
    /// True when this reply came from the result store.
    pub cached: bool,
    /// When it was computed (ms since the epoch), to show a stored result's age.
    #[serde(default)]
    pub created_ms: Option<f64>,
    /// Why a lower tier answered than requested, if it did.
    pub fallback_reason: Option<Phrase>,
    #[serde(default)]
    pub vectors: VectorUse,
}

/// One step of the engine's start and its duration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InitPhase {
    pub name: String,
    pub ms: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StatusReply {
    pub ready: bool,
    /// The stored WASM/WebGPU measurement of this device, if one was made.
    #[serde(default)]
    pub probe: Option<super::hardware::BackendProbe>,
    /// What this device can run, with the reason (from the hardware facts).
    pub recommendation: Option<super::hardware::Recommendation>,
    pub hardware: Option<HardwareProfile>,
    pub backend: Option<BackendChoice>,
    pub model: Option<String>,
    pub init_ms: Option<f64>,
    /// Where the engine's start went (runtime, model, first run), in order; empty before it started.
    #[serde(default)]
    pub init_phases: Vec<InitPhase>,
    pub error: Option<ScoutError>,
    /// Size of the engine's own WebAssembly memory (it never shrinks: this is the peak so far).
    #[serde(default)]
    pub wasm_memory_bytes: u64,
    /// The T2 model loaded now, if any.
    #[serde(default)]
    pub writer: Option<String>,
    /// The multilingual embedder, when it is loaded now.
    #[serde(default)]
    pub multilingual: Option<String>,
    /// Threads the bundled embedder computes on when it runs on the CPU (Scout's encoder: 1, or 2 once its second
    /// thread is ready); 0 on WebGPU or before the engine started.
    #[serde(default)]
    pub encoder_threads: u32,
    /// The GPU adapter the bundled embedder runs on (Scout's WebGPU encoder), if it runs on one.
    #[serde(default)]
    pub encoder_gpu: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EmbedReply {
    pub ep: String,
    pub dims: usize,
    pub vectors: Vec<Vec<f32>>,
    pub ms: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExtractReply {
    pub article: super::extract::Article,
    pub ms: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ModelsReply {
    pub models: Vec<super::download::ModelStatus>,
    pub usage_bytes: f64,
    pub quota_bytes: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ModelLoadedReply {
    pub model: String,
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    pub ms: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HistoryReply {
    pub entries: Vec<super::history::HistoryEntry>,
    /// Entries matching the query before the limit.
    pub total: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AnswerOut {
    pub id: String,
    pub heading: Option<String>,
    pub text: String,
    /// The sentence(s) that answer, verbatim from `text`: shown as a quote and highlighted in the page.
    pub quote: String,
    /// `data-scout-node` ids of the passage in the live page.
    pub nodes: Vec<u32>,
    pub score: f32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct QaTimings {
    pub index_ms: f64,
    pub query_ms: f64,
    pub total_ms: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AnswersReply {
    pub url: String,
    pub title: String,
    pub question: String,
    pub tier: Tier,
    /// The embedder that read the page and the question (its display name).
    #[serde(default)]
    pub model: String,
    pub ep: String,
    /// Best first; empty when `no_answer` says why.
    pub answers: Vec<AnswerOut>,
    pub no_answer: Option<Phrase>,
    /// Set when the answers are only the closest passages: the page may not answer the question.
    #[serde(default)]
    pub caution: Option<Phrase>,
    /// Advice on a better reading (e.g. a page not in English read by the English embedder).
    #[serde(default)]
    pub hint: Option<Phrase>,
    /// The page's passages were already indexed (a follow-up question).
    pub index_cached: bool,
    pub timings: QaTimings,
    #[serde(default)]
    pub vectors: VectorUse,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ClassifyReply {
    pub url: String,
    pub title: String,
    pub lang: Option<String>,
    pub tier: Tier,
    pub ep: String,
    pub results: Vec<super::classify::Classification>,
    pub ms: f64,
    #[serde(default)]
    pub vectors: VectorUse,
}

/// The body of a successful reply.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReplyBody {
    Summary(SummaryReply),
    Status(StatusReply),
    Embed(EmbedReply),
    Extract(ExtractReply),
    Answers(AnswersReply),
    Classification(ClassifyReply),
    Models(ModelsReply),
    ModelLoaded(ModelLoadedReply),
    Written(WrittenReply),
    Generated(GeneratedReply),
    History(HistoryReply),
    HistoryExport {
        json: String,
    },
    EndpointModels {
        models: Vec<String>,
    },
    /// A command was carried out (download started, deleted, cancelled).
    Ack {
        message: Phrase,
    },
}

/// `{ok:true, type, ...}` or `{ok:false, error:{code,message}}`.
// Replies are built once per request and serialized at once: boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Reply {
    Ok {
        ok: True,
        #[serde(flatten)]
        body: ReplyBody,
    },
    Err {
        ok: False,
        error: ScoutError,
    },
}

/// A `true` that serializes as the JSON literal and accepts only it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct True;
/// A `false` that serializes as the JSON literal and accepts only it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct False;

macro_rules! bool_literal {
    ($ty:ident, $val:literal) => {
        impl Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bool($val)
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                if bool::deserialize(d)? == $val {
                    Ok($ty)
                } else {
                    Err(serde::de::Error::custom(concat!("expected ", stringify!($val))))
                }
            }
        }
    };
}
bool_literal!(True, true);
bool_literal!(False, false);

impl Reply {
    pub fn ok(body: ReplyBody) -> Reply {
        Reply::Ok { ok: True, body }
    }

    pub fn err(error: ScoutError) -> Reply {
        Reply::Err { ok: False, error }
    }

    pub fn from_result(r: Result<ReplyBody, ScoutError>) -> Reply {
        match r {
            Ok(b) => Reply::ok(b),
            Err(e) => Reply::err(e),
        }
    }

    /// Serialize; serialization of these types cannot fail, but if it ever did the caller still gets a valid reply.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| {
            format!(
                "{{\"ok\":false,\"error\":{{\"code\":\"internal\",\"message\":{}}}}}",
                serde_json::Value::String(format!("reply serialization failed: {e}"))
            )
        })
    }
}

/// Run an extraction request (shared by the browser engine and the CLI).
pub fn extract_reply(html: &str, url: Option<String>, elapsed_ms: impl Fn() -> f64) -> Result<ReplyBody, ScoutError> {
    let opts = super::extract::ExtractOptions {
        url,
        ..Default::default()
    };
    let article = super::extract::extract(html, &opts).map_err(|e| match e {
        super::extract::ExtractError::Empty => ScoutError::new(ErrorCode::EmptyPage, e.to_string()),
        super::extract::ExtractError::TooLarge { .. } => ScoutError::new(ErrorCode::UnreadablePage, e.to_string()),
    })?;
    Ok(ReplyBody::Extract(ExtractReply {
        article,
        ms: elapsed_ms(),
    }))
}

/// Parse an envelope, checking the version, with errors worded for the developer who sent it.
pub fn parse_envelope(json: &str) -> Result<Envelope, ScoutError> {
    let value: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| ScoutError::new(ErrorCode::BadRequest, format!("request is not JSON: {e}")))?;
    match value.get("v").and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(PROTOCOL_VERSION) => {}
        Some(v) => {
            return Err(ScoutError::new(
                ErrorCode::VersionMismatch,
                format!("protocol version {v} sent, this engine speaks {PROTOCOL_VERSION}; reload the extension"),
            ));
        }
        None => {
            return Err(ScoutError::new(
                ErrorCode::BadRequest,
                "request has no protocol version \"v\"",
            ));
        }
    }
    serde_json::from_value(value).map_err(|e| ScoutError::new(ErrorCode::BadRequest, format!("malformed request: {e}")))
}

/// The JavaScript module the extension imports as `protocol.js`: version, request types, error codes.
pub fn js_constants() -> String {
    let codes: Vec<String> = ErrorCode::ALL
        .iter()
        .map(|c| format!("  {}: '{}',", c.as_str().to_uppercase(), c.as_str()))
        .collect();
    format!(
        "// @ts-check\n// Generated from src/core/protocol.rs by `cargo xtask dist`. Do not edit.\n\n\
         export const PROTOCOL_VERSION = {PROTOCOL_VERSION};\n\n\
         export const RequestType = Object.freeze({{\n  STATUS: 'status',\n  CANCEL: 'cancel',\n  SUMMARIZE: 'summarize',\n  ASK: 'ask',\n  CLASSIFY: 'classify',\n  HIGHLIGHT: 'highlight',\n  CLEAR_HIGHLIGHT: 'clear_highlight',\n  PREPARE: 'prepare',\n  EXTRACT: 'extract',\n  EMBED: 'embed',\n  MODELS: 'models',\n  DOWNLOAD: 'download',\n  CANCEL_DOWNLOAD: 'cancel_download',\n  DELETE_MODEL: 'delete_model',\n  DELETE_ALL_MODELS: 'delete_all_models',\n  LOAD_MODEL: 'load_model',\n  WRITE: 'write',\n  ENDPOINT_MODELS: 'endpoint_models',\n  GENERATE: 'generate',\n  HISTORY: 'history',\n  DELETE_HISTORY: 'delete_history',\n  CLEAR_HISTORY: 'clear_history',\n  EXPORT_HISTORY: 'export_history',\n  IMPORT_HISTORY: 'import_history',\n  MEASURE_BACKENDS: 'measure_backends',\n}});\n\n\
         export const ErrorCode = Object.freeze({{\n{}\n}});\n",
        codes.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summarize_request_roundtrip() {
        let json = r#"{"v":1,"request":{"type":"summarize","page":{"url":"http://x/","title":"T","text":"Hello."}}}"#;
        let env = parse_envelope(json).unwrap();
        match env.request {
            Request::Summarize {
                page, tier, refresh, ..
            } => {
                assert_eq!(page.url, "http://x/");
                assert_eq!(tier, TierRequest::Auto);
                assert!(!refresh);
            }
            other => panic!("wrong request {other:?}"),
        }
    }

    #[test]
    fn version_and_shape_errors_are_typed() {
        assert_eq!(parse_envelope("{").unwrap_err().code, ErrorCode::BadRequest);
        assert_eq!(
            parse_envelope(r#"{"v":99,"request":{"type":"status"}}"#)
                .unwrap_err()
                .code,
            ErrorCode::VersionMismatch
        );
        assert_eq!(
            parse_envelope(r#"{"v":1,"request":{"type":"nope"}}"#).unwrap_err().code,
            ErrorCode::BadRequest
        );
    }

    #[test]
    fn replies_have_ok_flag() {
        let r = Reply::err(ScoutError::new(ErrorCode::EmptyPage, "empty"));
        let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(v["ok"], false);
        assert_eq!(v["error"]["code"], "empty_page");
        let r = Reply::ok(ReplyBody::Embed(EmbedReply {
            ep: "wasm".into(),
            dims: 2,
            vectors: vec![],
            ms: 1.0,
        }));
        let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(v["ok"], true);
        assert_eq!(v["type"], "embed");
        let back: Reply = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn js_constants_list_every_code() {
        let js = js_constants();
        for c in ErrorCode::ALL {
            assert!(js.contains(&format!("'{}'", c.as_str())));
        }
        assert!(js.contains(&format!("PROTOCOL_VERSION = {PROTOCOL_VERSION}")));
    }
}
