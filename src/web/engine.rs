//! The offscreen document's engine: one per document, created lazily on the first request.
//!
//! Exposed to JavaScript as two functions: `configure(config)` (extension URLs of the runtime and model files) and
//! `handle(envelope) -> reply`, both JSON strings.

use std::rc::Rc;

use ort::environment::Environment;
use serde::Deserialize;
use wasm_bindgen::prelude::*;

use super::bundled;
use super::download;
use super::encoder::WebEncoder;
use super::js::PerfClock;
use super::multilingual::{self, Multilingual};
use super::no_engine;
use super::ort_backend::{init_runtime, loaded_bundle};
use super::shared::{catalog, set_catalog, shared_store};
use super::store::RequestStore;
use super::stream::Stream;
use super::writing::{Retrieval, Writing};
use crate::core::catalog::Catalog;
use crate::core::classify::{LabelIndex, classify_page};
use crate::core::embed::Embedder;
use crate::core::error::{ErrorCode, ScoutError};
use crate::core::fair_lock::FairLock;
use crate::core::hardware::{
    BackendChoice, BackendPreference, BackendProbe, Ep, HardwareProfile, PROBE_STORE_KEY, choose_backend, should_probe,
    uses_probe,
};
use crate::core::history;
use crate::core::phrase::Phrase;
use crate::core::pipeline::{SummarizeContext, summarize};
use crate::core::protocol::{
    EmbedReply, Envelope, InitPhase, ModelLoadedReply, PageContent, Reply, ReplyBody, Request, StatusReply,
    parse_envelope,
};
use crate::core::qa;
use crate::core::retrieve::AskOptions;
use crate::core::store::{Clock, MemoryStore, ResultStore};

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Config {
    /// URL of the folder with the onnxruntime-web files, ending in `/`.
    ort_base: String,
    /// URL of the folder the bundle paths of the catalog are relative to, ending in `/`.
    package_base: String,
    /// Models a build adds to the catalog (the test build's large synthetic file), as catalog JSON.
    #[serde(default)]
    extra_catalog: Option<String>,
}

struct Loaded {
    /// ONNX Runtime, started when something first needs it (a WebGPU session, a downloaded model): the bundled
    /// embedder on the CPU is Scout's own encoder and does not.
    runtime: Option<Environment>,
    choice: BackendChoice,
    /// The device's logical cores (the CPU encoder uses a second thread when there are two or more).
    cores: u32,
    embedder: Embedder<WebEncoder>,
    /// A second session on the other EP, created on demand for parity checks.
    alt: Option<Embedder<WebEncoder>>,
    /// The steps of the start, back to back: their sum is the start's duration.
    init_phases: Vec<InitPhase>,
}

impl Loaded {
    /// ONNX Runtime, started now if nothing needed it before (its bundle is the one the backend choice names).
    async fn runtime(&mut self, config: Option<&Config>) -> Result<&Environment, ScoutError> {
        if self.runtime.is_none() {
            let config = config.ok_or_else(not_configured)?;
            self.runtime = Some(init_runtime(&config.ort_base, self.choice.ep, self.choice.threads).await?);
        }
        self.runtime
            .as_ref()
            .ok_or_else(|| ScoutError::new(ErrorCode::Internal, "ONNX Runtime not started"))
    }
}

#[derive(Default)]
struct State {
    config: Option<Config>,
    loaded: Option<Loaded>,
    load_error: Option<ScoutError>,
    qa_cache: qa::IndexCache,
    /// Label descriptions embedded once per label set.
    labels: LabelIndex,
    /// The backend measurement of this device, once read from the store (outer None: not read yet).
    probe: Option<Option<BackendProbe>>,
    /// The T2 model last used, kept loaded (with its key/value cache) for the next job.
    writer: Option<super::t2::Writer>,
    /// T2 jobs run so far: an idle unload scheduled after one drops the model only if no job came since.
    writer_uses: u64,
    /// A writer's GPU failed in the middle of a job (device lost, out of memory): later writers of this document
    /// run on WASM.
    writer_gpu_failed: bool,
    /// The downloaded multilingual embedder, once a page or a question not in English needed it.
    multilingual: Option<Multilingual>,
    /// Questions it read so far: an idle unload scheduled after one drops it only if none came since.
    multilingual_uses: u64,
}

/// What the request's sender knows about the device and the user's backend preference.
#[derive(Clone)]
struct Want {
    hw: HardwareProfile,
    pref: BackendPreference,
    /// Measure the backends even if this device was measured (or has only a software adapter).
    measure: bool,
}

thread_local! {
    /// Set by a `cancel` request, which is answered without waiting for the engine's lock; read between batches.
    static CANCEL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// The engine, one request at a time, in the order they arrived (`core::fair_lock`).
    static STATE: Rc<FairLock<State>> = Rc::new(FairLock::new(State::default()));
}

/// Set the URLs of the packaged files. Call once before `handle`.
#[wasm_bindgen]
pub async fn configure(config_json: String) -> Result<(), JsError> {
    let config: Config = serde_json::from_str(&config_json).map_err(|e| JsError::new(&format!("bad config: {e}")))?;
    let merged = match config.extra_catalog.as_deref() {
        Some(extra) => Catalog::with_extra(extra).map_err(|e| JsError::new(&e.message))?,
        None => Catalog::builtin(),
    };
    set_catalog(merged);
    let state = STATE.with(Rc::clone);
    state.lock().await.config = Some(config);
    Ok(())
}

/// Handle one request envelope; always resolves to a `{ok,...}` reply.
#[wasm_bindgen]
pub async fn handle(envelope_json: String) -> String {
    let reply = match parse_envelope(&envelope_json) {
        Ok(env) if env.request == Request::Cancel => {
            CANCEL.with(|c| c.set(true));
            Reply::ok(ReplyBody::Ack {
                message: Phrase::plain("cancelling"),
            })
        }
        Ok(Envelope {
            request:
                Request::Summarize {
                    page,
                    options,
                    stored_only: true,
                    ..
                },
            ..
        }) => Reply::from_result(stored_summary_reply(&page, &options).await),
        Ok(env) if no_engine::handles(&env.request) => {
            Reply::from_result(no_engine::answer(env.request, &env.settings).await)
        }
        Ok(env) => {
            let long_job = matches!(
                env.request,
                Request::Summarize { .. }
                    | Request::Ask { .. }
                    | Request::Classify { .. }
                    | Request::Write { .. }
                    | Request::Generate { .. }
            );
            if long_job {
                CANCEL.with(|c| c.set(false));
            }
            let result = match dispatch(env).await {
                // The GPU failed under the bundled embedder: it moves to the CPU, and the request runs again there,
                // read again from its JSON (rare: every request copying its page for it would cost more).
                Err(e) if moved_off_failed_gpu(&e).await => match parse_envelope(&envelope_json) {
                    Ok(env) => dispatch(env).await,
                    Err(e) => Err(e),
                },
                result => result,
            };
            Reply::from_result(result)
        }
        Err(e) => Reply::err(e),
    };
    reply.to_json()
}

/// If the bundled embedder's GPU failed a run, put Scout's CPU encoder in its place (the reason in the backend's
/// choice, for the UI) and say so; false when the GPU did not fail or the CPU encoder cannot start either.
async fn moved_off_failed_gpu(error: &ScoutError) -> bool {
    let state = STATE.with(Rc::clone);
    let mut st = state.lock().await;
    let Some(config) = st.config.clone() else { return false };
    let Some(loaded) = st.loaded.as_mut().filter(|l| l.embedder.backend.gpu_failed()) else {
        return false;
    };
    let Ok(cpu) = bundled::make_embedder(&config.package_base, Ep::Wasm, loaded.cores).await else {
        return false;
    };
    loaded.embedder = cpu;
    loaded.alt = None;
    loaded.choice.ep = Ep::Wasm;
    loaded.choice.reason = Phrase::new("engBackendFellBack", vec![error.message.clone().into()]);
    true
}

fn cancelled() -> bool {
    CANCEL.with(|c| c.get())
}

async fn dispatch(env: Envelope) -> Result<ReplyBody, ScoutError> {
    let state = STATE.with(Rc::clone);
    let mut st = state.lock().await;
    let hw = env.hardware.clone().unwrap_or_default();
    let want = Want {
        hw: hw.clone(),
        pref: env.settings.backend,
        measure: env.request == Request::MeasureBackends,
    };
    match env.request {
        Request::Cancel => Ok(ReplyBody::Ack {
            message: Phrase::plain("nothing to cancel"),
        }),
        Request::MeasureBackends => {
            if st.loaded.is_some() || loaded_bundle().is_some() {
                return Err(ScoutError::new(
                    ErrorCode::BadRequest,
                    "the engine is already running: measuring needs a fresh one (the service worker restarts it)",
                ));
            }
            if !hw.webgpu.available {
                return Err(ScoutError::new(
                    ErrorCode::BadRequest,
                    "this browser exposes no WebGPU adapter: there is nothing to compare WASM with",
                ));
            }
            st.load_error = None;
            ensure_loaded(&mut st, &want).await;
            if let Some(e) = &st.load_error {
                return Err(e.clone());
            }
            let mut reply = status(&st);
            reply.hardware = Some(hw);
            Ok(ReplyBody::Status(reply))
        }
        Request::Status => {
            ensure_loaded(&mut st, &want).await;
            // Shown in the options even where it does not decide (a forced backend, no adapter).
            stored_probe(&mut st).await;
            let mut reply = status(&st);
            let gpu_in_use = st.loaded.as_ref().is_some_and(|l| l.choice.ep == Ep::Webgpu);
            reply.recommendation = Some(crate::core::hardware::recommend(&hw, &catalog(), gpu_in_use));
            reply.hardware = Some(hw);
            Ok(ReplyBody::Status(reply))
        }
        Request::Summarize {
            page,
            options,
            tier,
            refresh,
            ..
        } => {
            let store = request_store().await;
            if tier != crate::core::protocol::TierRequest::T0 {
                ensure_loaded(&mut st, &want).await;
            }
            let model_id = bundled_model_id();
            let embedder_error = st.load_error.as_ref().map(|e| e.message.clone());
            let ctx = SummarizeContext {
                embedder: st.loaded.as_mut().map(|l| &mut l.embedder),
                embedder_error,
                model_id: model_id.as_deref(),
                store: &store,
                clock: &PerfClock,
                wall_ms: js_sys::Date::now(),
                cancelled: &cancelled,
            };
            let reply = summarize(ctx, &page, &options, tier, refresh).await?;
            if !reply.cached {
                let options_json = serde_json::to_string(&options).unwrap_or_default();
                record_history(&history::entry_for_summary(&reply, &options_json, js_sys::Date::now())).await;
            }
            Ok(ReplyBody::Summary(reply))
        }
        Request::Classify { page, custom_labels } => {
            require_model(&mut st, &want, "Classifying").await?;
            let store = request_store().await;
            let State { loaded, labels, .. } = &mut *st;
            let loaded = loaded
                .as_mut()
                .ok_or_else(|| ScoutError::new(ErrorCode::Internal, "engine not loaded"))?;
            let reply = classify_page(&mut loaded.embedder, labels, &store, &PerfClock, &page, &custom_labels).await?;
            let entry = history::entry_for_classification(&reply, bundled_model_id().as_deref(), js_sys::Date::now());
            record_history(&entry).await;
            Ok(ReplyBody::Classification(reply))
        }
        Request::Ask { page, question, top_k } => {
            require_model(&mut st, &want, "Answering questions").await?;
            let store = request_store().await;
            let (use_multilingual, hint) = choose_reader(&mut st, &page, Some(&question)).await;
            let State {
                loaded,
                qa_cache,
                multilingual,
                ..
            } = &mut *st;
            let loaded = loaded
                .as_mut()
                .ok_or_else(|| ScoutError::new(ErrorCode::Internal, "engine not loaded"))?;
            let reader = reader(loaded, multilingual, use_multilingual, top_k.unwrap_or(3));
            let mut reply = qa::answer(
                reader.embedder,
                qa_cache,
                &store,
                &PerfClock,
                &page,
                &question,
                &reader.opts,
                &reader.name,
            )
            .await?;
            reply.hint = hint;
            let entry = history::entry_for_answers(&reply, Some(&reader.id), js_sys::Date::now());
            record_history(&entry).await;
            if use_multilingual {
                unload_when_idle(&mut st, Held::Multilingual, env.settings.idle_unload_minutes);
            }
            Ok(ReplyBody::Answers(reply))
        }
        Request::Write {
            stream,
            model,
            page,
            job,
            variant,
            endpoint,
        } => {
            // Chat turns need the embedder for retrieval.
            require_model(&mut st, &want, "Writing").await?;
            let store = request_store().await;
            if endpoint.is_none() {
                ensure_writer(&mut st, &model).await?;
            }
            // Only a chat turn retrieves passages.
            let (use_multilingual, hint) = match &job {
                crate::core::protocol::WriteJob::Chat { question, .. } => {
                    choose_reader(&mut st, &page, Some(question)).await
                }
                _ => (false, None),
            };
            let State {
                loaded,
                qa_cache,
                writer,
                multilingual,
                ..
            } = &mut *st;
            let loaded = loaded
                .as_mut()
                .ok_or_else(|| ScoutError::new(ErrorCode::Internal, "engine not loaded"))?;
            let reader = reader(loaded, multilingual, use_multilingual, super::writing::CHAT_PASSAGES);
            let mut retrieval = Retrieval {
                embedder: reader.embedder,
                opts: reader.opts,
                model: reader.name,
                qa_cache,
                store: &store,
            };
            let writing = Writing {
                page: &page,
                job: &job,
                variant,
                stream: Stream::new(&stream),
            };
            let reply = match (endpoint, writer.as_mut()) {
                (Some(endpoint), _) => super::t3::write(&endpoint, &mut retrieval, &writing, &cancelled).await,
                (None, Some(writer)) => {
                    let reply = super::t2::write(writer, &mut retrieval, &writing, &cancelled).await;
                    unload_when_idle(&mut st, Held::Writer, env.settings.idle_unload_minutes);
                    after_writer_job(&mut st, reply)
                }
                (None, None) => return Err(ScoutError::new(ErrorCode::Internal, "no writer")),
            };
            if use_multilingual {
                unload_when_idle(&mut st, Held::Multilingual, env.settings.idle_unload_minutes);
            }
            let mut reply = reply?;
            reply.hint = hint;
            Ok(ReplyBody::Written(reply))
        }
        Request::Generate {
            model,
            messages,
            max_new_tokens,
            min_new_tokens,
        } => {
            require_model(&mut st, &want, "Writing with a local model").await?;
            let load_ms = ensure_writer(&mut st, &model).await?;
            let writer = st
                .writer
                .as_mut()
                .ok_or_else(|| ScoutError::new(ErrorCode::Internal, "no writer"))?;
            let reply =
                super::t2::generate(writer, &messages, max_new_tokens, min_new_tokens, load_ms, &cancelled).await;
            unload_when_idle(&mut st, Held::Writer, env.settings.idle_unload_minutes);
            Ok(ReplyBody::Generated(after_writer_job(&mut st, reply)?))
        }
        Request::DeleteModel { model } => {
            let store = shared_store().await?;
            download::cancel(&model);
            if st.multilingual.as_ref().is_some_and(|m| m.entry.id == model) {
                st.multilingual = None;
            }
            store.delete_model(&model).await?;
            Ok(ReplyBody::Ack {
                message: Phrase::plain(&format!("deleted {model}")),
            })
        }
        Request::DeleteAllModels => {
            let store = shared_store().await?;
            st.multilingual = None;
            for m in catalog().models.iter().filter(|m| !m.bundled) {
                download::cancel(&m.id);
                store.delete_model(&m.id).await?;
            }
            Ok(ReplyBody::Ack {
                message: Phrase::plain("deleted all downloaded models"),
            })
        }
        Request::LoadModel { model } => {
            let store = shared_store().await?;
            ensure_loaded(&mut st, &want).await;
            let config = st.config.clone();
            let load_error = st.load_error.clone();
            let loaded = st.loaded.as_mut().ok_or_else(|| {
                load_error.unwrap_or_else(|| ScoutError::new(ErrorCode::Internal, "runtime not loaded"))
            })?;
            let env = loaded.runtime(config.as_ref()).await?;
            let entry = catalog()
                .get(&model)
                .cloned()
                .ok_or_else(|| ScoutError::new(ErrorCode::BadRequest, format!("no model {model}")))?;
            let path = entry.file("model").map(|f| f.path.clone()).unwrap_or_default();
            let clock = PerfClock;
            let t = clock.now_ms();
            let url = download::file_blob_url(&store, &model, &path).await?;
            let session = super::ort_backend::session_from_url(env, &url, Ep::Wasm).await;
            let _ = web_sys::Url::revoke_object_url(&url);
            let session = session?;
            Ok(ReplyBody::ModelLoaded(ModelLoadedReply {
                model,
                inputs: session.inputs().iter().map(|i| i.name().to_string()).collect(),
                outputs: session.outputs().iter().map(|o| o.name().to_string()).collect(),
                ms: clock.now_ms() - t,
            }))
        }
        Request::Embed { texts, ep, batch_size } => {
            ensure_loaded(&mut st, &want).await;
            if let Some(e) = &st.load_error {
                return Err(e.clone());
            }
            let config = st.config.clone();
            let loaded = st
                .loaded
                .as_mut()
                .ok_or_else(|| ScoutError::new(ErrorCode::Internal, "engine not loaded"))?;
            let want = match ep.as_deref() {
                None => loaded.choice.ep,
                Some("wasm") => Ep::Wasm,
                Some("webgpu") => Ep::Webgpu,
                Some(other) => return Err(ScoutError::new(ErrorCode::BadRequest, format!("unknown ep {other}"))),
            };
            let clock = PerfClock;
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let t = clock.now_ms();
            let embedder = if want == loaded.choice.ep {
                &mut loaded.embedder
            } else {
                if loaded.alt.is_none() {
                    let config = config.ok_or_else(not_configured)?;
                    loaded.alt = Some(bundled::make_embedder(&config.package_base, want, loaded.cores).await?);
                }
                loaded
                    .alt
                    .as_mut()
                    .ok_or_else(|| ScoutError::new(ErrorCode::Internal, "alt session missing"))?
            };
            let default_batch = embedder.batch_size;
            embedder.batch_size = batch_size.unwrap_or(default_batch).clamp(1, 256);
            let vectors = embedder.embed(&refs).await;
            embedder.batch_size = default_batch;
            let vectors = vectors?;
            Ok(ReplyBody::Embed(EmbedReply {
                ep: want.as_str().into(),
                dims: embedder.dims,
                vectors,
                ms: clock.now_ms() - t,
            }))
        }
        // The requests `handle` gives `no_engine` without the lock (the list is `no_engine::handles`).
        request => no_engine::answer(request, &env.settings).await,
    }
}

/// The embedder a question is read with, how its scores are read, and its names (display, catalog id).
struct Reader<'a> {
    embedder: &'a mut Embedder<WebEncoder>,
    opts: AskOptions,
    name: String,
    id: String,
}

fn reader<'a>(
    loaded: &'a mut Loaded,
    multilingual: &'a mut Option<Multilingual>,
    use_multilingual: bool,
    top_k: usize,
) -> Reader<'a> {
    let (embedder, entry) = match multilingual.as_mut().filter(|_| use_multilingual) {
        Some(m) => (&mut m.embedder, Some(m.entry.clone())),
        None => (&mut loaded.embedder, catalog().bundled_embedder().cloned()),
    };
    let opts = AskOptions {
        top_k,
        ..AskOptions::calibrated(entry.as_ref().and_then(|e| e.retrieval.as_ref()))
    };
    Reader {
        embedder,
        opts,
        name: entry.as_ref().map(|e| e.display_name.clone()).unwrap_or_default(),
        id: entry.map(|e| e.id).unwrap_or_default(),
    }
}

/// Whether the multilingual embedder reads this page (and question): when either is not in English
/// (`core::embedder_choice`) and the user downloaded it (loaded now if it is not yet). Otherwise the bundled one
/// does, with a hint when the multilingual one would have read better (not downloaded, or failed to start).
async fn choose_reader(st: &mut State, page: &PageContent, question: Option<&str>) -> (bool, Option<Phrase>) {
    let Some(entry) = catalog().multilingual_embedder().cloned() else {
        return (false, None);
    };
    if !crate::core::embedder_choice::wants_multilingual(page, question) {
        return (false, None);
    }
    if st.multilingual.as_ref().is_some_and(|m| m.entry.id == entry.id) {
        return (true, None);
    }
    let config = st.config.clone();
    let (Some(loaded), Ok(store)) = (st.loaded.as_mut(), shared_store().await) else {
        return (false, None);
    };
    let loaded = match loaded.runtime(config.as_ref()).await {
        Ok(env) => multilingual::load(env, &store, &entry).await,
        Err(e) => Err(e),
    };
    match loaded {
        Ok(Some(m)) => {
            st.multilingual = Some(m);
            (true, None)
        }
        Ok(None) => (
            false,
            Some(Phrase::new("engHintMultilingual", vec![entry.display_name.into()])),
        ),
        Err(e) => (
            false,
            Some(Phrase::new(
                "engMultilingualFailed",
                vec![entry.display_name.into(), e.message.into()],
            )),
        ),
    }
}

fn bundled_model_id() -> Option<String> {
    Catalog::builtin().bundled_embedder().map(|m| m.id.clone())
}

/// History is a convenience: failing to record an entry must not cost the user the answer.
async fn record_history(entry: &history::HistoryEntry) {
    if let Ok(store) = shared_store().await {
        let _ = store.put_history(entry).await;
    }
}

/// IndexedDB for a request's results and vectors, or memory when it cannot be opened.
async fn request_store() -> RequestStore {
    match shared_store().await {
        Ok(s) => RequestStore::Idb(s),
        Err(_) => RequestStore::Memory(MemoryStore::default()),
    }
}

/// Load the embedder for a T1-only job, or say clearly that `what` needs it.
async fn require_model(st: &mut State, want: &Want, what: &str) -> Result<(), ScoutError> {
    ensure_loaded(st, want).await;
    match &st.load_error {
        Some(e) => Err(ScoutError::new(
            ErrorCode::ModelUnavailable,
            format!("{what} needs the embedding model, which did not load: {}", e.message),
        )),
        None => Ok(()),
    }
}

fn not_configured() -> ScoutError {
    ScoutError::new(ErrorCode::Internal, "engine not configured: call configure() first")
}

fn status(st: &State) -> StatusReply {
    StatusReply {
        ready: st.loaded.is_some(),
        probe: st.probe.clone().flatten(),
        recommendation: None,
        hardware: None,
        backend: st.loaded.as_ref().map(|l| l.choice.clone()),
        model: bundled_model_id(),
        init_ms: st.loaded.as_ref().map(|l| l.init_phases.iter().map(|p| p.ms).sum()),
        init_phases: st.loaded.as_ref().map(|l| l.init_phases.clone()).unwrap_or_default(),
        wasm_memory_bytes: (core::arch::wasm32::memory_size(0) as u64) * 65_536,
        writer: st.writer.as_ref().map(|w| w.model.clone()),
        multilingual: st.multilingual.as_ref().map(|m| m.entry.id.clone()),
        encoder_threads: st.loaded.as_ref().map_or(0, |l| l.embedder.backend.cpu_threads()),
        encoder_gpu: st.loaded.as_ref().and_then(|l| l.embedder.backend.gpu_adapter()),
        error: st.load_error.clone(),
    }
}

/// The no-model summary of a captured page where it is asked for: the popup and the side panel run their own
/// instance of this module for it (no `configure`, no runtime, no store), so the quick answer never waits for the
/// engine's document, whose only thread creating a model session holds for most of a second on a cold start. Not
/// recorded in history. Takes a `summarize` envelope; always resolves to a `{ok,...}` reply.
#[wasm_bindgen]
pub async fn preview(envelope_json: String) -> String {
    let reply = match parse_envelope(&envelope_json) {
        Ok(Envelope {
            request: Request::Summarize { page, options, .. },
            ..
        }) => Reply::from_result(preview_summary(&page, &options).await),
        Ok(_) => Reply::err(ScoutError::new(
            ErrorCode::BadRequest,
            "preview takes a summarize request",
        )),
        Err(e) => Reply::err(e),
    };
    reply.to_json()
}

async fn preview_summary(
    page: &crate::core::protocol::PageContent,
    options: &crate::core::text::SummaryOptions,
) -> Result<ReplyBody, ScoutError> {
    let store = MemoryStore::default();
    let ctx = SummarizeContext::<WebEncoder, _, _> {
        embedder: None,
        embedder_error: None,
        model_id: None,
        store: &store,
        clock: &PerfClock,
        wall_ms: js_sys::Date::now(),
        cancelled: &|| false,
    };
    let reply = summarize(ctx, page, options, crate::core::protocol::TierRequest::T0, true).await?;
    Ok(ReplyBody::Summary(reply))
}

/// The downloaded models the engine holds beside the bundled embedder.
#[derive(Clone, Copy)]
enum Held {
    Writer,
    Multilingual,
}

/// Drop a downloaded model (the T2 model's session, weights and cache, or the multilingual embedder: hundreds of MB)
/// once it has not been used for `minutes`; the bundled embedder stays (keep-ready keeps the document, so the
/// service worker's idle close does not free it). `None` or 0: kept until the document closes.
fn unload_when_idle(st: &mut State, held: Held, minutes: Option<f64>) {
    let uses = match held {
        Held::Writer => &mut st.writer_uses,
        Held::Multilingual => &mut st.multilingual_uses,
    };
    *uses += 1;
    let this_use = *uses;
    let Some(minutes) = minutes.filter(|m| *m > 0.0) else {
        return;
    };
    wasm_bindgen_futures::spawn_local(async move {
        super::js::sleep((minutes * 60_000.0).min(f64::from(i32::MAX)) as i32).await;
        let state = STATE.with(Rc::clone);
        let mut st = state.lock().await;
        match held {
            Held::Writer if st.writer_uses == this_use => st.writer = None,
            Held::Multilingual if st.multilingual_uses == this_use => st.multilingual = None,
            _ => {}
        }
    });
}

/// A writer whose GPU failed in the middle of a job is dropped, and later ones run on WASM: the next request writes
/// (slower) instead of failing the same way. A stopped job is not a failure. A writer that cannot run any more (its
/// second thread stopped) is dropped too: the next request loads the model again.
fn after_writer_job<T>(st: &mut State, reply: Result<T, ScoutError>) -> Result<T, ScoutError> {
    let Err(e) = &reply else { return reply };
    if st.writer.as_ref().is_some_and(|w| !w.usable()) {
        st.writer = None;
        return reply;
    }
    let on_gpu = st.writer.as_ref().is_some_and(|w| w.on_gpu());
    if !on_gpu || e.code == ErrorCode::Cancelled {
        return reply;
    }
    st.writer = None;
    st.writer_gpu_failed = true;
    Err(ScoutError::new(
        e.code,
        format!(
            "WebGPU failed while writing ({}); the next request writes on the CPU",
            e.message
        ),
    ))
}

/// Load `model` as the engine's writer unless it is already (one writer at a time: another model replaces it).
/// Returns the time the load took (0 when it was loaded).
async fn ensure_writer(st: &mut State, model: &str) -> Result<f64, ScoutError> {
    if st.writer.as_ref().is_some_and(|w| w.model != model) {
        st.writer = None;
    }
    if st.writer.is_some() {
        return Ok(0.0);
    }
    let config = st.config.clone();
    let loaded = st
        .loaded
        .as_mut()
        .ok_or_else(|| ScoutError::new(ErrorCode::Internal, "engine not loaded"))?;
    let entry = catalog()
        .get(model)
        .filter(|m| m.tasks.contains(&crate::core::catalog::Task::Generate))
        .cloned()
        .ok_or_else(|| ScoutError::new(ErrorCode::BadRequest, format!("{model} is not a text model")))?;
    let t = PerfClock.now_ms();
    let ep = if st.writer_gpu_failed {
        Ep::Wasm
    } else {
        loaded.choice.ep
    };
    let store = shared_store().await?;
    let package_base = config.as_ref().map(|c| c.package_base.clone()).unwrap_or_default();
    // Scout's own decoder first, on the GPU of a WebGPU engine, else on the CPU: it needs no ONNX Runtime at all. It
    // reads the 4-bit graphs made for WebGPU too; ONNX Runtime runs the graphs it cannot read.
    let mut gpu_error = None;
    if ep == Ep::Webgpu {
        match super::t2::load_gpu(&store, &entry).await {
            Ok(Some(writer)) => {
                st.writer = Some(writer);
                return Ok(PerfClock.now_ms() - t);
            }
            Ok(None) => {}
            Err(e) => gpu_error = Some(e.message),
        }
    }
    if (!super::t2::runs_on_gpu(&entry, ep) || gpu_error.is_some())
        && let Some(mut writer) = super::t2::load_int8(&store, &entry, &package_base, loaded.cores).await?
    {
        writer.gpu_error = gpu_error;
        st.writer = Some(writer);
        return Ok(PerfClock.now_ms() - t);
    }
    let env = loaded.runtime(config.as_ref()).await?;
    st.writer = Some(super::t2::load(env, ep, &store, &entry).await?);
    Ok(PerfClock.now_ms() - t)
}

/// The stored summary of a page, without waiting for the engine (whose lock a long job may hold).
async fn stored_summary_reply(
    page: &crate::core::protocol::PageContent,
    options: &crate::core::text::SummaryOptions,
) -> Result<ReplyBody, ScoutError> {
    let store = request_store().await;
    let model = bundled_model_id();
    match crate::core::pipeline::stored_summary(&store, &PerfClock, page, options, model.as_deref()).await? {
        Some(reply) => Ok(ReplyBody::Summary(reply)),
        None => Err(ScoutError::new(ErrorCode::NotStored, "no stored summary of this page")),
    }
}

/// The stored backend measurement of this device (read once per document).
async fn stored_probe(st: &mut State) -> Option<BackendProbe> {
    if st.probe.is_none() {
        let stored = match shared_store().await {
            Ok(store) => store.get(PROBE_STORE_KEY).await.ok().flatten(),
            Err(_) => None,
        };
        st.probe = Some(stored.and_then(|j| serde_json::from_str(&j).ok()));
    }
    st.probe.clone().flatten()
}

/// Load the runtime and the bundled embedder once, on the backend chosen by the user, by a measurement of this
/// device (made now if there is none), or by its facts. A failure is remembered and reported; T0 keeps working.
async fn ensure_loaded(st: &mut State, want: &Want) {
    if st.loaded.is_some() || st.load_error.is_some() {
        return;
    }
    let clock = PerfClock;
    let t = clock.now_ms();
    let Some(config) = st.config.clone() else {
        st.load_error = Some(not_configured());
        return;
    };
    let mut phases = Phases::new(t);
    // The stored measurement can only change an automatic choice on a device with a WebGPU adapter; elsewhere it is
    // not read first, and the database (which the request needs next) opens beside the runtime's start.
    let probe_matters = uses_probe(&want.hw, want.pref);
    let stored = if probe_matters { stored_probe(st).await } else { None };
    phases.end("stored measurement");
    // On Automatic with a hardware adapter this device has not been measured on, the first answer does not wait for
    // the measurement: the adapter's facts choose the GPU encoder now, and both backends are timed once the engine
    // is idle (`measure_when_idle`). Asked for ("Measure on this device"), the measurement is made now.
    let measure_later = !want.measure && should_probe(&want.hw, want.pref, stored.as_ref());
    // The runtime bundle is fixed once loaded; the service worker recreates the document when the preference changes.
    let measure = want.measure && loaded_bundle() != Some(Ep::Wasm);
    let mut choice = choose_backend(&want.hw, want.pref, stored.as_ref());
    if loaded_bundle() == Some(Ep::Wasm) && choice.ep == Ep::Webgpu {
        choice.ep = Ep::Wasm;
        choice.reason = Phrase::new("engBackendWasmLoaded", vec![choice.reason.into()]);
    }
    let cores = want.hw.hardware_concurrency.unwrap_or(1);
    let result = async {
        // The bundled embedder is Scout's own encoder on either backend, in the module that is already running: ONNX
        // Runtime starts later, only for what needs it (a downloaded model). The database opens beside the model.
        let open_store = async {
            if !probe_matters {
                let _ = shared_store().await;
            }
        };
        // Reading the weights and the warm-up run hold the document's only thread for a while: let the requests that
        // need no model (a stored result) that arrived meanwhile go first.
        super::js::yield_to_event_loop().await;
        if measure {
            open_store.await;
            let (probe, wasm, webgpu) = bundled::measure_backends(&config.package_base, &want.hw).await?;
            phases.end("backend measurement and models");
            let choice = choose_backend(&want.hw, want.pref, Some(&probe));
            let embedder = match webgpu {
                Some(gpu) if choice.ep == Ep::Webgpu => gpu,
                _ => wasm,
            };
            return Ok::<_, ScoutError>((embedder, choice, Some(probe)));
        }
        let (made, ()) = futures_util::future::join(
            bundled::make_embedder(&config.package_base, choice.ep, cores),
            open_store,
        )
        .await;
        let embedder = match made {
            Ok(e) => e,
            Err(e) if choice.ep == Ep::Webgpu => {
                // Fall back, never crash: Scout's CPU encoder runs wherever the extension does.
                choice.ep = Ep::Wasm;
                choice.reason = Phrase::new("engBackendFellBack", vec![e.message.into()]);
                bundled::make_embedder(&config.package_base, Ep::Wasm, cores).await?
            }
            Err(e) => return Err(e),
        };
        phases.end("tokenizer, model");
        Ok((embedder, choice, None))
    }
    .await;
    match result {
        Ok((mut embedder, choice, probe)) => {
            if let Some(probe) = probe {
                keep_probe(st, probe).await;
            }
            // The first run after creation is much slower than later ones: pay it now, not on the user's click,
            // unless a request is already waiting for the engine (its own first run pays it, sooner).
            super::js::yield_to_event_loop().await;
            if STATE.with(|s| s.waiting()) == 0 {
                let _ = embedder.embed(&["Scout warms up the model."]).await;
                phases.end("first run");
            }
            st.loaded = Some(Loaded {
                runtime: None,
                choice,
                cores,
                embedder,
                alt: None,
                init_phases: phases.done,
            });
            if measure_later {
                measure_when_idle(want.clone());
            }
        }
        Err(e) => st.load_error = Some(e),
    }
}

/// Keep the measurement of this device, so the next start skips it (losing it only costs measuring again).
async fn keep_probe(st: &mut State, probe: BackendProbe) {
    if let (Ok(store), Ok(json)) = (shared_store().await, serde_json::to_string(&probe)) {
        let _ = store.put(PROBE_STORE_KEY, &json).await;
    }
    st.probe = Some(Some(probe));
}

/// Quiet time before the deferred measurement starts, and between its checks for waiting requests.
const MEASURE_AFTER_MS: i32 = 1500;

/// Time both backends once no request is waiting, keep the result, and move the bundled embedder to the backend it
/// chooses (the embedder it timed there, already warm). Requests that arrive during it wait for it (~0.5 s).
fn measure_when_idle(want: Want) {
    wasm_bindgen_futures::spawn_local(async move {
        loop {
            super::js::sleep(MEASURE_AFTER_MS).await;
            if STATE.with(|s| s.waiting()) == 0 {
                break;
            }
        }
        let state = STATE.with(Rc::clone);
        let mut st = state.lock().await;
        let measured = stored_probe(&mut st)
            .await
            .is_some_and(|p| p.device == crate::core::hardware::device_key(&want.hw));
        let Some(config) = st.config.clone().filter(|_| st.loaded.is_some() && !measured) else {
            return;
        };
        let Ok((probe, wasm, webgpu)) = bundled::measure_backends(&config.package_base, &want.hw).await else {
            return;
        };
        let choice = choose_backend(&want.hw, want.pref, Some(&probe));
        keep_probe(&mut st, probe).await;
        if let Some(loaded) = st.loaded.as_mut() {
            loaded.embedder = match webgpu {
                Some(gpu) if choice.ep == Ep::Webgpu => gpu,
                _ => wasm,
            };
            loaded.choice = choice;
            loaded.alt = None;
        }
    });
}

/// The named steps of the engine's start, each timed from the end of the one before.
struct Phases {
    last: f64,
    done: Vec<InitPhase>,
}

impl Phases {
    fn new(start: f64) -> Self {
        Phases {
            last: start,
            done: Vec::new(),
        }
    }

    fn end(&mut self, name: &str) {
        let now = PerfClock.now_ms();
        self.done.push(InitPhase {
            name: name.to_string(),
            ms: now - self.last,
        });
        self.last = now;
    }
}
