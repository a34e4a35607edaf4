//! Chat templates: the Jinja template a model ships in `tokenizer_config.json`, rendered by a real Jinja engine
//! (minijinja with Python's string methods), never by string concatenation, so every model gets exactly the prompt
//! format it was trained on.

use minijinja::{Environment, Error, ErrorKind, Value, context};
use serde::{Deserialize, Serialize};

use crate::core::error::{ErrorCode, ScoutError};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: String,
    pub content: String,
}

impl ChatMessage {
    pub fn new(role: &str, content: impl Into<String>) -> Self {
        ChatMessage {
            role: role.to_string(),
            content: content.into(),
        }
    }
}

pub struct ChatTemplate {
    env: Environment<'static>,
    bos: String,
    eos: String,
}

fn bad(what: impl std::fmt::Display) -> ScoutError {
    ScoutError::new(ErrorCode::ModelUnavailable, format!("chat template: {what}"))
}

/// A `tokenizer_config.json` token: a string or an AddedToken object (`{"content": ...}`).
fn token_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Object(o) => o
            .get("content")
            .and_then(|c| c.as_str())
            .unwrap_or_default()
            .to_string(),
        _ => String::new(),
    }
}

/// Today's date for templates that print it (Llama 3's `strftime_now`); the core has no clock, the caller gives it.
#[derive(Debug, Clone, Copy)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The subset of strftime that chat templates use for dates.
fn strftime(date: Date, fmt: &str) -> String {
    let month = MONTHS[(date.month.clamp(1, 12) - 1) as usize];
    let mut out = String::new();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('d') => out.push_str(&format!("{:02}", date.day)),
            Some('m') => out.push_str(&format!("{:02}", date.month)),
            Some('Y') => out.push_str(&date.year.to_string()),
            Some('y') => out.push_str(&format!("{:02}", date.year.rem_euclid(100))),
            Some('B') => out.push_str(month),
            Some('b') => out.push_str(&month[..3]),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

impl ChatTemplate {
    /// The template and its special tokens from `tokenizer_config.json`.
    pub fn from_tokenizer_config(json: &str, today: Date) -> Result<Self, ScoutError> {
        let v: serde_json::Value =
            serde_json::from_str(json).map_err(|e| bad(format!("tokenizer_config.json: {e}")))?;
        let source = match &v["chat_template"] {
            serde_json::Value::String(s) => s.clone(),
            // A list of named templates: the default one.
            serde_json::Value::Array(list) => list
                .iter()
                .find(|t| t["name"] == "default")
                .and_then(|t| t["template"].as_str())
                .ok_or_else(|| bad("no default template"))?
                .to_string(),
            _ => return Err(bad("tokenizer_config.json has no chat_template")),
        };
        Self::new(
            &source,
            &token_text(&v["bos_token"]),
            &token_text(&v["eos_token"]),
            today,
        )
    }

    pub fn new(source: &str, bos: &str, eos: &str, today: Date) -> Result<Self, ScoutError> {
        let mut env = Environment::new();
        // As transformers renders them.
        env.set_syntax(
            minijinja::syntax::SyntaxConfig::builder()
                .trim_blocks(true)
                .lstrip_blocks(true)
                .build()
                .map_err(bad)?,
        );
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function("raise_exception", |msg: String| -> Result<Value, Error> {
            Err(Error::new(ErrorKind::InvalidOperation, msg))
        });
        env.add_function("strftime_now", move |fmt: String| strftime(today, &fmt));
        env.add_template_owned("chat", source.to_string()).map_err(bad)?;
        Ok(ChatTemplate {
            env,
            bos: bos.to_string(),
            eos: eos.to_string(),
        })
    }

    /// The prompt text for `messages`; with `add_generation_prompt` it ends where the assistant's reply begins.
    pub fn render(&self, messages: &[ChatMessage], add_generation_prompt: bool) -> Result<String, ScoutError> {
        let t = self.env.get_template("chat").map_err(bad)?;
        t.render(context! {
            messages => Value::from(minijinja::value::Serde(messages)),
            add_generation_prompt => add_generation_prompt,
            bos_token => &self.bos,
            eos_token => &self.eos,
        })
        .map_err(bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: Date = Date {
        year: 2026,
        month: 12,
        day: 4,
    };

    #[test]
    fn strftime_covers_template_dates() {
        assert_eq!(strftime(TODAY, "%d %b %Y"), "04 Dec 2026");
        assert_eq!(strftime(TODAY, "%B %-d"), "December %-d");
    }

    #[test]
    fn python_methods_loops_and_exceptions_work() {
        let src = "{% for m in messages %}{% if m.role not in ['user','assistant'] %}{{ raise_exception('bad role') }}\
                   {% endif %}{{ m.role.upper() }}: {{ m.content.strip() }}|{% endfor %}{{ strftime_now('%Y') }}";
        let t = ChatTemplate::new(src, "", "", TODAY).unwrap();
        let ok = t.render(&[ChatMessage::new("user", "  hi  ")], true).unwrap();
        assert_eq!(ok, "USER: hi|2026");
        let err = t.render(&[ChatMessage::new("tool", "x")], true).unwrap_err();
        assert!(err.message.contains("bad role"), "{}", err.message);
    }
}
