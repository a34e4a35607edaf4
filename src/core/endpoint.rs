//! T3: an OpenAI-compatible endpoint the user chose (a local Ollama, LM Studio or llama.cpp server, or a hosted
//! one). Pure: the endpoint's settings and URLs, the streaming Chat Completions request body, the server-sent-events
//! reply read chunk by chunk, and every way it can fail in words. The web layer does the fetch.
//!
//! Invariant: the API key goes only into the `Authorization` header of requests to the endpoint; it is never in a
//! reply, an error message, a log line or history (`Debug` masks it; errors are scrubbed of it).

use serde::{Deserialize, Serialize};

use super::error::{ErrorCode, ScoutError};
use super::generate::ChatMessage;

/// The endpoint as the options page saved it.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Endpoint {
    /// The API's base URL, e.g. `http://127.0.0.1:11434/v1` (Ollama) or `https://api.example.com/v1`.
    pub base_url: String,
    pub model: String,
    #[serde(default)]
    pub api_key: Option<String>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "…"))
            .finish()
    }
}

fn failed(message: impl Into<String>) -> ScoutError {
    ScoutError::new(ErrorCode::EndpointFailed, message)
}

impl Endpoint {
    /// The base URL without a trailing slash, checked: http or https, a host, no user name or password in it (the
    /// key has its own field), no query or fragment.
    pub fn base(&self) -> Result<String, ScoutError> {
        let base = self.base_url.trim().trim_end_matches('/');
        let rest = base
            .strip_prefix("http://")
            .or_else(|| base.strip_prefix("https://"))
            .ok_or_else(|| {
                failed(format!(
                    "the endpoint URL must start with http:// or https:// (got {base:?})"
                ))
            })?;
        let authority = rest.split('/').next().unwrap_or("");
        if authority.is_empty() || authority.contains('@') || rest.contains(['?', '#', ' ']) {
            return Err(failed(format!(
                "the endpoint URL needs a host and no user name, query or fragment (got {base:?})"
            )));
        }
        if self.model.trim().is_empty() {
            return Err(failed("choose the endpoint's model"));
        }
        Ok(base.to_string())
    }

    /// Where chat completions are posted.
    pub fn chat_url(&self) -> Result<String, ScoutError> {
        Ok(format!("{}/chat/completions", self.base()?))
    }

    /// Where the model list is read.
    pub fn models_url(&self) -> Result<String, ScoutError> {
        Ok(format!("{}/models", self.base()?))
    }

    /// The host (and port) that answers are sent to, as the UI names it: "127.0.0.1:11434".
    pub fn host(&self) -> String {
        let base = self.base_url.trim();
        let rest = base.split_once("://").map_or(base, |(_, r)| r);
        rest.split('/').next().unwrap_or(rest).to_string()
    }

    /// `text` with the key replaced, for anything shown or logged (a server may echo the header back).
    pub fn scrub(&self, text: &str) -> String {
        match self.api_key.as_deref().filter(|k| k.len() >= 4) {
            Some(key) => text.replace(key, "…"),
            None => text.to_string(),
        }
    }
}

/// The streaming Chat Completions request for `messages`.
pub fn chat_body(model: &str, messages: &[ChatMessage], max_tokens: usize, temperature: f32) -> String {
    serde_json::json!({
        "model": model,
        "messages": messages,
        "stream": true,
        "max_tokens": max_tokens,
        "temperature": temperature,
    })
    .to_string()
}

/// Server-sent events read from chunks as they arrive: lines may be split anywhere, end in `\n` or `\r\n`, and an
/// event's `data:` lines are joined with `\n`; comments (`:`) and other fields are skipped.
#[derive(Debug, Default)]
pub struct SseReader {
    line: String,
    data: Vec<String>,
}

impl SseReader {
    /// The data of every event completed by this chunk.
    pub fn push(&mut self, chunk: &str) -> Vec<String> {
        let mut events = Vec::new();
        for c in chunk.chars() {
            if c != '\n' {
                self.line.push(c);
                continue;
            }
            let line = std::mem::take(&mut self.line);
            let line = line.strip_suffix('\r').unwrap_or(&line);
            if line.is_empty() {
                if !self.data.is_empty() {
                    events.push(std::mem::take(&mut self.data).join("\n"));
                }
            } else if let Some(v) = line.strip_prefix("data:") {
                self.data.push(v.strip_prefix(' ').unwrap_or(v).to_string());
            }
        }
        events
    }

    /// An event the stream ended without the blank line after it.
    pub fn finish(&mut self) -> Option<String> {
        let mut tail = self.push("\n\n");
        tail.pop()
    }
}

/// What one event of a Chat Completions stream says.
#[derive(Debug, Clone, PartialEq)]
pub enum Delta {
    /// More of the answer.
    Text(String),
    /// The model stopped (`finish_reason`, e.g. "stop" or "length").
    Finished(String),
    /// `[DONE]`: the stream is over.
    Done,
    /// Nothing to show (a role-only first chunk, a keep-alive).
    Nothing,
}

/// Read one event's data.
pub fn read_event(data: &str, endpoint: &Endpoint) -> Result<Delta, ScoutError> {
    let data = data.trim();
    if data == "[DONE]" {
        return Ok(Delta::Done);
    }
    let v: serde_json::Value = serde_json::from_str(data).map_err(|_| {
        failed(format!(
            "the endpoint's stream is malformed (not JSON: {:?})",
            endpoint.scrub(&clip(data, 120))
        ))
    })?;
    if let Some(message) = error_message(&v) {
        return Err(failed(format!(
            "the endpoint stopped with an error: {}",
            endpoint.scrub(&message)
        )));
    }
    let choice = v
        .get("choices")
        .and_then(|c| c.get(0))
        .ok_or_else(|| failed("the endpoint's stream is malformed (an event without choices)"))?;
    if let Some(text) = choice
        .pointer("/delta/content")
        .and_then(|t| t.as_str())
        .filter(|t| !t.is_empty())
    {
        return Ok(Delta::Text(text.to_string()));
    }
    match choice.get("finish_reason").and_then(|f| f.as_str()) {
        Some(reason) => Ok(Delta::Finished(reason.to_string())),
        None => Ok(Delta::Nothing),
    }
}

/// `{"error": {"message": …}}` or `{"error": "…"}` (OpenAI, llama.cpp and Ollama say it one of these ways).
fn error_message(v: &serde_json::Value) -> Option<String> {
    let e = v.get("error")?;
    e.get("message")
        .and_then(|m| m.as_str())
        .or_else(|| e.as_str())
        .map(|m| clip(m, 300))
}

fn clip(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

/// A reply that is not 2xx, in words: what the status means for the user and what the server said.
pub fn http_error(status: u16, retry_after: Option<&str>, body: &str, endpoint: &Endpoint) -> ScoutError {
    let said = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| error_message(&v))
        .or_else(|| (!body.trim().is_empty()).then(|| clip(body.trim(), 200)))
        .map(|m| format!(": {}", endpoint.scrub(&m)))
        .unwrap_or_default();
    let host = endpoint.host();
    let message = match status {
        401 | 403 => format!("{host} refused the API key (HTTP {status}){said}"),
        404 => format!(
            "{host} has no model {:?} or no Chat Completions API at this URL (HTTP 404){said}",
            endpoint.model
        ),
        429 => {
            let wait = retry_after
                .and_then(|r| r.trim().parse::<f64>().ok())
                .map(|s| format!("; try again in {s:.0} s"))
                .unwrap_or_else(|| "; try again later".to_string());
            format!("{host} is limiting requests (HTTP 429){wait}{said}")
        }
        500..=599 => format!("{host} failed (HTTP {status}){said}"),
        _ => format!("{host} answered HTTP {status}{said}"),
    };
    failed(message)
}

/// A fetch that got no reply at all (refused connection, DNS, CORS, or the permission withdrawn).
pub fn unreachable(endpoint: &Endpoint, why: &str) -> ScoutError {
    failed(format!(
        "{} cannot be reached ({}); is the server running, and is Scout allowed to reach it?",
        endpoint.host(),
        endpoint.scrub(why)
    ))
}

/// The model ids of a `GET /models` reply (OpenAI's `{"data":[{"id":…}]}`; Ollama's `{"models":[{"name":…}]}`).
pub fn model_ids(body: &str) -> Result<Vec<String>, ScoutError> {
    let v: serde_json::Value =
        serde_json::from_str(body).map_err(|_| failed("the endpoint's model list is not JSON"))?;
    let list = v
        .get("data")
        .or_else(|| v.get("models"))
        .and_then(|d| d.as_array())
        .ok_or_else(|| failed("the endpoint's model list has no data"))?;
    Ok(list
        .iter()
        .filter_map(|m| m.get("id").or_else(|| m.get("name")).and_then(|i| i.as_str()))
        .map(str::to_string)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep() -> Endpoint {
        Endpoint {
            base_url: "http://127.0.0.1:8080/v1/".into(),
            model: "smollm2".into(),
            api_key: Some("sk-secret-123".into()),
        }
    }

    #[test]
    fn urls_and_host() {
        let e = ep();
        assert_eq!(e.chat_url().unwrap(), "http://127.0.0.1:8080/v1/chat/completions");
        assert_eq!(e.models_url().unwrap(), "http://127.0.0.1:8080/v1/models");
        assert_eq!(e.host(), "127.0.0.1:8080");
        for bad in [
            "ftp://x/v1",
            "http://",
            "http://user:pw@x/v1",
            "http://x/v1?k=1",
            "127.0.0.1:8080",
        ] {
            let e = Endpoint {
                base_url: bad.into(),
                ..ep()
            };
            assert_eq!(e.base().unwrap_err().code, ErrorCode::EndpointFailed, "{bad}");
        }
        assert!(
            Endpoint {
                model: " ".into(),
                ..ep()
            }
            .base()
            .is_err()
        );
    }

    #[test]
    fn the_key_never_shows() {
        let e = ep();
        assert!(!format!("{e:?}").contains("sk-secret"));
        let err = http_error(401, None, r#"{"error":{"message":"bad key sk-secret-123"}}"#, &e);
        assert!(!err.message.contains("sk-secret"), "{}", err.message);
        assert!(
            err.message.contains("refused the API key (HTTP 401): bad key …"),
            "{}",
            err.message
        );
    }

    #[test]
    fn events_split_anywhere_are_read_whole() {
        let stream = "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\r\n\r\n: keep-alive\n\n\
                      data: {\"choices\":[{\"delta\":{\"content\":\"Héllo\"}}]}\n\n\
                      data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
        for size in [1, 2, 3, 7, 50, stream.len()] {
            let mut r = SseReader::default();
            let mut events = Vec::new();
            let chars: Vec<char> = stream.chars().collect();
            for piece in chars.chunks(size) {
                events.extend(r.push(&piece.iter().collect::<String>()));
            }
            events.extend(r.finish());
            let deltas: Vec<Delta> = events.iter().map(|d| read_event(d, &ep()).unwrap()).collect();
            assert_eq!(
                deltas,
                vec![
                    Delta::Nothing,
                    Delta::Text("Héllo".into()),
                    Delta::Finished("stop".into()),
                    Delta::Done
                ],
                "chunks of {size}"
            );
        }
    }

    #[test]
    fn multi_line_data_and_a_last_event_without_blank_line() {
        let mut r = SseReader::default();
        assert_eq!(r.push("data: a\ndata: b\n\ndata: [DONE]"), vec!["a\nb".to_string()]);
        assert_eq!(r.finish().as_deref(), Some("[DONE]"));
    }

    #[test]
    fn errors_say_what_happened() {
        let e = ep();
        let m = |status, retry: Option<&str>, body: &str| http_error(status, retry, body, &e).message;
        assert!(m(404, None, "").contains("no model \"smollm2\""));
        assert!(
            m(429, Some("17"), "").contains("try again in 17 s"),
            "{}",
            m(429, Some("17"), "")
        );
        assert!(m(503, None, "{\"error\":\"loading model\"}").ends_with("failed (HTTP 503): loading model"));
        assert!(
            read_event("{\"choices\": [", &e)
                .unwrap_err()
                .message
                .contains("malformed")
        );
        assert!(
            read_event("{\"error\":{\"message\":\"context too long\"}}", &e)
                .unwrap_err()
                .message
                .contains("context too long")
        );
        assert!(
            unreachable(&e, "Failed to fetch")
                .message
                .contains("127.0.0.1:8080 cannot be reached")
        );
    }

    #[test]
    fn model_lists_of_openai_and_ollama() {
        assert_eq!(
            model_ids(r#"{"object":"list","data":[{"id":"a"},{"id":"b"}]}"#).unwrap(),
            vec!["a", "b"]
        );
        assert_eq!(
            model_ids(r#"{"models":[{"name":"llama3.2"}]}"#).unwrap(),
            vec!["llama3.2"]
        );
        assert!(model_ids("<html>").is_err());
    }

    #[test]
    fn the_body_streams() {
        let body = chat_body("m", &[ChatMessage::new("user", "hi")], 300, 0.2);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["stream"], true);
        assert_eq!(v["messages"][0]["content"], "hi");
        assert_eq!(v["max_tokens"], 300);
    }
}
