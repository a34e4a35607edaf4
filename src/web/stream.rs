//! Job progress streamed to every Scout page on `BroadcastChannel("scout-stream")`: the text as it is written (T2's
//! local model, T3's endpoint) and the parts of a long page being read.

use wasm_bindgen::JsValue;

use crate::core::writer::run::Progress;

/// Posts a job's progress to every Scout page; the sender's `stream` id tells its own.
pub struct Stream {
    id: String,
    channel: Option<web_sys::BroadcastChannel>,
}

impl Stream {
    pub fn new(id: &str) -> Self {
        Stream {
            id: id.to_string(),
            channel: web_sys::BroadcastChannel::new("scout-stream").ok(),
        }
    }

    pub fn post(&self, p: &Progress) {
        let mut v = serde_json::to_value(p).unwrap_or_default();
        v["stream"] = serde_json::Value::String(self.id.clone());
        if let Some(ch) = &self.channel {
            let _ = ch.post_message(&JsValue::from_str(&v.to_string()));
        }
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        if let Some(ch) = &self.channel {
            ch.close();
        }
    }
}
