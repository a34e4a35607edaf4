//! Requests that need none of the engine's state: the history, the model list and downloads, extraction, an
//! endpoint's model list. They are answered without waiting for the engine's lock, so the history page, the options'
//! model list, download progress and Cancel stay responsive while a long job (a T2 summary, a chat answer) holds the
//! engine.

use super::download;
use super::js::PerfClock;
use super::shared::{catalog, shared_store};
use crate::core::download::DEFAULT_HUB;
use crate::core::error::{ErrorCode, ScoutError};
use crate::core::history;
use crate::core::phrase::Phrase;
use crate::core::protocol::{EngineSettings, HistoryReply, ModelsReply, ReplyBody, Request};
use crate::core::store::Clock;

/// Whether [`answer`] answers this request (without the engine).
pub(super) fn handles(request: &Request) -> bool {
    matches!(
        request,
        Request::Extract { .. }
            | Request::History { .. }
            | Request::DeleteHistory { .. }
            | Request::ClearHistory
            | Request::ExportHistory
            | Request::ImportHistory { .. }
            | Request::Models
            | Request::Download { .. }
            | Request::CancelDownload { .. }
            | Request::EndpointModels { .. }
    )
}

/// Answer a request that [`handles`] accepts; any other is an internal error.
pub(super) async fn answer(request: Request, settings: &EngineSettings) -> Result<ReplyBody, ScoutError> {
    match request {
        Request::Extract { html, url } => {
            let clock = PerfClock;
            let t = clock.now_ms();
            crate::core::protocol::extract_reply(&html, url, || clock.now_ms() - t)
        }
        Request::History { query, limit } => {
            let store = shared_store().await?;
            if let Some(cutoff) = history::retention_cutoff(js_sys::Date::now(), settings.retention_days) {
                store.prune_history(cutoff).await?;
            }
            let q = query.unwrap_or_default();
            let mut entries: Vec<_> = store
                .history()
                .await?
                .into_iter()
                .filter(|e| history::matches(e, &q))
                .collect();
            let total = entries.len();
            entries.truncate(limit.unwrap_or(usize::MAX));
            Ok(ReplyBody::History(HistoryReply { entries, total }))
        }
        Request::DeleteHistory { id } => {
            shared_store().await?.delete_history(&id).await?;
            Ok(ReplyBody::Ack {
                message: Phrase::plain(&format!("deleted {id}")),
            })
        }
        Request::ClearHistory => {
            shared_store().await?.clear_history().await?;
            Ok(ReplyBody::Ack {
                message: Phrase::plain("history cleared"),
            })
        }
        Request::ExportHistory => {
            let store = shared_store().await?;
            Ok(ReplyBody::HistoryExport {
                json: history::export_json(store.history().await?),
            })
        }
        Request::ImportHistory { json } => {
            let entries = history::import_json(&json)?;
            shared_store().await?.put_history_many(&entries).await?;
            Ok(ReplyBody::Ack {
                message: Phrase::new("engHistoryImported", vec![entries.len().to_string().into()]),
            })
        }
        Request::Models => {
            let store = shared_store().await?;
            let (usage_bytes, quota_bytes) = download::estimate().await.unwrap_or((0.0, 0.0));
            Ok(ReplyBody::Models(ModelsReply {
                models: download::list(&store, &catalog()).await?,
                usage_bytes,
                quota_bytes,
            }))
        }
        Request::Download { model, consent } => {
            let store = shared_store().await?;
            let hub = settings.hub.clone().unwrap_or_else(|| DEFAULT_HUB.to_string());
            let cap = settings.storage_cap_mb.map(|mb| f64::from(mb) * 1e6);
            download::start(store, &catalog(), &model, &hub, consent, cap).await?;
            Ok(ReplyBody::Ack {
                message: Phrase::plain(&format!("downloading {model} from {hub}")),
            })
        }
        Request::CancelDownload { model } => {
            let found = download::cancel(&model);
            Ok(ReplyBody::Ack {
                message: Phrase::plain(if found { "cancelling" } else { "no such download" }),
            })
        }
        Request::EndpointModels { endpoint } => Ok(ReplyBody::EndpointModels {
            models: super::t3::models(&endpoint).await?,
        }),
        _ => Err(ScoutError::new(
            ErrorCode::Internal,
            "a request for the engine reached no_engine",
        )),
    }
}
