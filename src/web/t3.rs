//! T3 in the offscreen document: the user's OpenAI-compatible endpoint writes a summary or a chat answer. The core
//! builds the same fenced prompts as T2 and checks the citations; this file only fetches, streams the text on
//! `BroadcastChannel("scout-stream")` and stops when asked. Requests carry no cookies and no referrer; the key goes
//! only into the `Authorization` header.

use futures_util::future::{Either, select};
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::js::{PerfClock, js_err, sleep};
use super::stream::Stream;
use super::writing::{Retrieval, Writing};
use crate::core::embed::EncoderBackend;
use crate::core::endpoint::{self, Delta, Endpoint, SseReader};
use crate::core::error::{ErrorCode, ScoutError};
use crate::core::generate::{ChatMessage, StopReason};
use crate::core::page::read_page;
use crate::core::protocol::{Tier, WriteJob, WrittenReply};
use crate::core::store::Clock;
use crate::core::text::lang::detect_language;
use crate::core::vectors::VectorStore;
use crate::core::writer::chat::chat_messages;
use crate::core::writer::run::{Progress, WrittenAnswer, page_within, reply_tokens};
use crate::core::writer::summary::{shape_summary, summary_messages};

/// Characters of a long page sent for a summary (about 6,000 tokens: what small local servers hold by default).
const MAX_PAGE_CHARS: usize = 24_000;
/// Tokens a chat answer may take.
const ANSWER_TOKENS: usize = 400;
/// No reply headers, or no new bytes, for this long: the request is given up.
const IDLE_MS: f64 = 60_000.0;
/// How often a waiting request looks at the cancel flag.
const POLL_MS: i32 = 100;

/// What the endpoint wrote.
struct Completion {
    text: String,
    stop: StopReason,
    first_text_ms: f64,
}

/// Run a job on the endpoint. Chat questions are answered from passages T1 retrieval finds; when it finds none, the
/// endpoint is not asked and nothing is sent.
pub async fn write<B: EncoderBackend, V: VectorStore>(
    endpoint: &Endpoint,
    retrieval: &mut Retrieval<'_, B, V>,
    w: &Writing<'_>,
    cancelled: &dyn Fn() -> bool,
) -> Result<WrittenReply, ScoutError> {
    let clock = PerfClock;
    let t0 = clock.now_ms();
    let stream = &w.stream;
    // Regenerate asks for another wording.
    let temperature = if w.variant.is_some() { 0.8 } else { 0.2 };
    let (title, text, citations, invalid, coverage, sent, done) = match w.job {
        WriteJob::Summary { options } => {
            let read = read_page(w.page)?;
            let language = detect_language(&read.text()).map(|l| l.code).filter(|c| c != "en");
            let (source, coverage) = page_within(&read, MAX_PAGE_CHARS);
            let messages = summary_messages(&read.title, &source, options, language.as_deref());
            let out = complete(
                endpoint,
                &messages,
                reply_tokens(options) * 2,
                temperature,
                stream,
                cancelled,
            )
            .await?;
            let text = shape_summary(&out.text, options);
            (read.title, text, vec![], vec![], coverage, messages, out)
        }
        WriteJob::Chat { question, history } => {
            let (title, sources) = retrieval.passages(w.page, question).await?;
            if sources.is_empty() {
                let answer = WrittenAnswer::not_found();
                stream.post(&Progress::Text {
                    text: answer.answer.text.clone(),
                });
                let none = Completion {
                    text: String::new(),
                    stop: StopReason::Eos,
                    first_text_ms: 0.0,
                };
                (title, answer.answer.text, vec![], vec![], 1.0, vec![], none)
            } else {
                let messages = chat_messages(&title, history, question, &sources);
                let out = complete(endpoint, &messages, ANSWER_TOKENS, temperature, stream, cancelled).await?;
                let answer = WrittenAnswer::checked(&out.text, sources, None);
                let citations = answer.citations();
                (
                    title,
                    answer.answer.text,
                    citations,
                    answer.answer.invalid,
                    1.0,
                    messages,
                    out,
                )
            }
        }
    };
    Ok(WrittenReply {
        url: w.page.url.clone(),
        title,
        tier: Tier::T3,
        model: endpoint.model.clone(),
        ep: endpoint.host(),
        text,
        citations,
        invalid_citations: invalid,
        coverage,
        parts: 1,
        stop: done.stop,
        prompt_tokens: 0,
        reused_tokens: 0,
        generated_tokens: 0,
        time_to_first_token_ms: done.first_text_ms,
        decode_tokens_per_s: 0.0,
        total_ms: clock.now_ms() - t0,
        sent,
        prompt: Vec::new(),
        hint: None,
    })
}

/// "Test connection": the endpoint's models.
pub async fn models(endpoint: &Endpoint) -> Result<Vec<String>, ScoutError> {
    let url = endpoint.models_url()?;
    let init = request_init(endpoint, None)?;
    let never = || false;
    let (resp, _abort) = send(endpoint, &url, &init, &never).await?;
    let body = read_text(&resp)
        .await
        .map_err(|e| endpoint::unreachable(endpoint, &e))?;
    if !resp.ok() {
        return Err(http_error(endpoint, &resp, &body));
    }
    endpoint::model_ids(&body)
}

/// A request to the endpoint: no cookies, no referrer, no cache; the key (if any) as a bearer token; `body` as JSON.
fn request_init(endpoint: &Endpoint, body: Option<&str>) -> Result<web_sys::RequestInit, ScoutError> {
    let js = |e: JsValue| ScoutError::new(ErrorCode::Internal, js_err(&e));
    let headers = web_sys::Headers::new().map_err(js)?;
    headers
        .set("Accept", "application/json, text/event-stream")
        .map_err(js)?;
    if let Some(key) = endpoint.api_key.as_deref().filter(|k| !k.is_empty()) {
        headers.set("Authorization", &format!("Bearer {key}")).map_err(js)?;
    }
    let init = web_sys::RequestInit::new();
    match body {
        Some(body) => {
            headers.set("Content-Type", "application/json").map_err(js)?;
            init.set_method("POST");
            init.set_body(&JsValue::from_str(body));
        }
        None => init.set_method("GET"),
    }
    init.set_headers(&headers);
    init.set_credentials(web_sys::RequestCredentials::Omit);
    init.set_referrer_policy(web_sys::ReferrerPolicy::NoReferrer);
    init.set_cache(web_sys::RequestCache::NoStore);
    Ok(init)
}

fn http_error(endpoint: &Endpoint, resp: &web_sys::Response, body: &str) -> ScoutError {
    let retry_after = resp.headers().get("Retry-After").ok().flatten();
    endpoint::http_error(resp.status(), retry_after.as_deref(), body, endpoint)
}

/// Resolves when `cancelled()` turns true, or after `ms` (then `false`).
async fn watch(cancelled: &dyn Fn() -> bool, ms: f64) -> bool {
    let clock = PerfClock;
    let end = clock.now_ms() + ms;
    while clock.now_ms() < end {
        if cancelled() {
            return true;
        }
        sleep(POLL_MS).await;
    }
    false
}

/// Fetch with the request's own abort controller, given up when idle too long or cancelled.
async fn send(
    endpoint: &Endpoint,
    url: &str,
    init: &web_sys::RequestInit,
    cancelled: &dyn Fn() -> bool,
) -> Result<(web_sys::Response, web_sys::AbortController), ScoutError> {
    let abort = web_sys::AbortController::new().map_err(|e| ScoutError::new(ErrorCode::Internal, js_err(&e)))?;
    init.set_signal(Some(&abort.signal()));
    let window = web_sys::window().ok_or_else(|| ScoutError::new(ErrorCode::Internal, "no window"))?;
    let fetch = JsFuture::from(window.fetch_with_str_and_init(url, init));
    let resp = match select(Box::pin(fetch), Box::pin(watch(cancelled, IDLE_MS))).await {
        Either::Left((r, _)) => r.map_err(|e| endpoint::unreachable(endpoint, &js_err(&e)))?,
        Either::Right((was_cancelled, _)) => {
            abort.abort();
            return Err(if was_cancelled {
                ScoutError::new(ErrorCode::Cancelled, "cancelled")
            } else {
                endpoint::unreachable(endpoint, "no reply within 60 s")
            });
        }
    };
    let resp: web_sys::Response = resp
        .dyn_into()
        .map_err(|_| ScoutError::new(ErrorCode::Internal, "fetch gave no Response"))?;
    Ok((resp, abort))
}

async fn read_text(resp: &web_sys::Response) -> Result<String, String> {
    let p = resp.text().map_err(|e| js_err(&e))?;
    let v = JsFuture::from(p).await.map_err(|e| js_err(&e))?;
    Ok(v.as_string().unwrap_or_default())
}

/// Post the chat and stream its reply, a text delta at a time.
async fn complete(
    endpoint: &Endpoint,
    messages: &[ChatMessage],
    max_tokens: usize,
    temperature: f32,
    stream: &Stream,
    cancelled: &dyn Fn() -> bool,
) -> Result<Completion, ScoutError> {
    let clock = PerfClock;
    let t0 = clock.now_ms();
    let url = endpoint.chat_url()?;
    let body = endpoint::chat_body(&endpoint.model, messages, max_tokens, temperature);
    let init = request_init(endpoint, Some(&body))?;
    let (resp, abort) = send(endpoint, &url, &init, cancelled).await?;
    if !resp.ok() {
        let body = read_text(&resp).await.unwrap_or_default();
        return Err(http_error(endpoint, &resp, &body));
    }
    let broken = |e: String| endpoint::unreachable(endpoint, &format!("the reply broke off: {e}"));
    let body = resp
        .body()
        .ok_or_else(|| ScoutError::new(ErrorCode::EndpointFailed, "the endpoint sent an empty reply"))?;
    let reader: web_sys::ReadableStreamDefaultReader = body
        .get_reader()
        .dyn_into()
        .map_err(|_| broken("no stream reader".into()))?;
    let mut sse = SseReader::default();
    let mut pending: Vec<u8> = Vec::new();
    let mut out = Completion {
        text: String::new(),
        stop: StopReason::Eos,
        first_text_ms: 0.0,
    };
    let mut finished = false;
    while !finished {
        let read = JsFuture::from(reader.read());
        let step = match select(Box::pin(read), Box::pin(watch(cancelled, IDLE_MS))).await {
            Either::Left((step, _)) => step.map_err(|e| broken(js_err(&e)))?,
            Either::Right((was_cancelled, _)) => {
                abort.abort();
                if was_cancelled {
                    out.stop = StopReason::Cancelled;
                    return Ok(out);
                }
                return Err(broken("no new text for 60 s".into()));
            }
        };
        let done = Reflect::get(&step, &JsValue::from_str("done"))
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        let mut events = Vec::new();
        if done {
            events.extend(sse.finish());
        } else {
            let value = Reflect::get(&step, &JsValue::from_str("value")).map_err(|e| broken(js_err(&e)))?;
            let bytes: Uint8Array = value
                .dyn_into()
                .map_err(|_| broken("the stream gave no bytes".into()))?;
            pending.extend_from_slice(&bytes.to_vec());
            // Decode what is whole; a character split across chunks waits for its last bytes.
            let valid = match std::str::from_utf8(&pending) {
                Ok(_) => pending.len(),
                Err(e) if e.error_len().is_none() => e.valid_up_to(),
                Err(_) => return Err(broken("the reply is not UTF-8".into())),
            };
            let text: Vec<u8> = pending.drain(..valid).collect();
            events.extend(sse.push(&String::from_utf8_lossy(&text)));
        }
        for data in events {
            match endpoint::read_event(&data, endpoint)? {
                Delta::Text(t) => {
                    if out.text.is_empty() {
                        out.first_text_ms = clock.now_ms() - t0;
                    }
                    out.text.push_str(&t);
                    stream.post(&Progress::Text { text: t });
                }
                Delta::Finished(reason) => {
                    if reason == "length" {
                        out.stop = StopReason::MaxTokens;
                    }
                }
                Delta::Done => finished = true,
                Delta::Nothing => {}
            }
        }
        if done && !finished {
            // Some servers end the stream without `[DONE]`; what they sent is the answer.
            finished = true;
        }
        if cancelled() && !finished {
            abort.abort();
            out.stop = StopReason::Cancelled;
            return Ok(out);
        }
    }
    let _ = reader.cancel();
    Ok(out)
}
