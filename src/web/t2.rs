//! T2 in the offscreen document: loads a downloaded LLM (its JSON files and tokenizer from IndexedDB, the ONNX file's
//! weights into Scout's int8 decoder, or the file into ort-web) into a [`Generator`], runs the core's summary and
//! chat jobs, and streams their text on `BroadcastChannel("scout-stream")`.

use ort::environment::Environment;

use super::decoder::{KERNEL_TOKENS_PER_TURN, WebDecoder};
use super::decoder_helper::DecoderHelper;
use super::download;
use super::gpu_decoder::GpuDecoder;
use super::js::PerfClock;
use super::ort_backend::loaded_bundle;
use super::ort_decoder::{ModelSource, OrtDecoder};
use super::store::IdbStore;
use super::writing::{Retrieval, Writing};
use crate::core::catalog::ModelEntry;
use crate::core::embed::EncoderBackend;
use crate::core::error::{ErrorCode, ScoutError};
use crate::core::generate::kernel::{KernelDecoder, llm_config};
use crate::core::generate::last_logits::last_position_logits;
use crate::core::generate::{
    ChatMessage, ChatTemplate, Date, DecoderBackend, DecoderConfig, GenerateOptions, Generator,
};
use crate::core::hardware::Ep;
use crate::core::page::read_page;
use crate::core::protocol::{GeneratedReply, Tier, WriteJob, WrittenReply};
use crate::core::store::Clock;
use crate::core::text::lang::detect_language;
use crate::core::vectors::VectorStore;
use crate::core::writer::chat::chat_messages;
use crate::core::writer::run::{Budget, Progress, write_answer, write_summary};

/// A loaded LLM.
pub struct Writer {
    pub model: String,
    generator: Generator<WebDecoder>,
    /// What loading took, step by step (ms), for the benchmark.
    load_steps: Vec<(String, f64)>,
    /// Why a graph made for WebGPU runs on WASM instead (its GPU session failed), if it does.
    pub gpu_error: Option<String>,
}

impl Writer {
    /// Whether it can still run (see [`WebDecoder::usable`]).
    pub fn usable(&self) -> bool {
        self.generator.backend().usable()
    }

    /// Whether it runs on the WebGPU EP.
    pub fn on_gpu(&self) -> bool {
        self.generator.backend().ep() == Ep::Webgpu.as_str()
    }

    /// The writer of `entry` on `decoder`, its tokenizer made last (a step of `laps`).
    fn new(
        entry: &ModelEntry,
        config: DecoderConfig,
        tokenizer: &str,
        template: ChatTemplate,
        decoder: WebDecoder,
        mut laps: Laps,
    ) -> Result<Self, ScoutError> {
        let generator = Generator::new(config, tokenizer.as_bytes(), template, decoder)?;
        laps.lap("tokenizer");
        Ok(Writer {
            model: entry.id.clone(),
            generator,
            load_steps: laps.steps,
            gpu_error: None,
        })
    }
}

fn today() -> Date {
    let d = js_sys::Date::new_0();
    Date {
        year: d.get_full_year() as i32,
        month: d.get_month() + 1,
        day: d.get_date(),
    }
}

/// Load steps' times (ms), for the benchmark.
struct Laps {
    steps: Vec<(String, f64)>,
    last: f64,
}

impl Laps {
    fn new() -> Self {
        Laps {
            steps: Vec::new(),
            last: PerfClock.now_ms(),
        }
    }

    fn lap(&mut self, name: &str) {
        let now = PerfClock.now_ms();
        self.steps.push((name.to_string(), now - self.last));
        self.last = now;
    }
}

/// The model's config, chat template and tokenizer (`tokenizer.json`'s text) from the store.
async fn hub_files(store: &IdbStore, entry: &ModelEntry) -> Result<(DecoderConfig, ChatTemplate, String), ScoutError> {
    let text = |role: &'static str| async move {
        let f = entry
            .file(role)
            .ok_or_else(|| ScoutError::new(ErrorCode::ModelUnavailable, format!("{} has no {role} file", entry.id)))?;
        let bytes = download::file_bytes(store, &entry.id, &f.path).await?;
        String::from_utf8(bytes).map_err(|_| {
            ScoutError::new(
                ErrorCode::ModelUnavailable,
                format!("{}/{} is not UTF-8", entry.id, f.path),
            )
        })
    };
    let config = DecoderConfig::from_json(&text("config").await?, text("generation_config").await.ok().as_deref())?;
    let template = ChatTemplate::from_tokenizer_config(&text("tokenizer_config").await?, today())?;
    Ok((config, template, text("tokenizer").await?))
}

/// The path of `entry`'s ONNX file in its repository.
fn model_path(entry: &ModelEntry) -> String {
    entry.file("model").map(|f| f.path.clone()).unwrap_or_default()
}

/// Whether `entry` runs on ONNX Runtime's WebGPU EP for an engine on `ep`: a graph made for WebGPU (the catalog's
/// entry needs a GPU), when the engine runs on WebGPU (the user's choice or the measured one).
pub fn runs_on_gpu(entry: &ModelEntry, ep: Ep) -> bool {
    entry.requires.webgpu && ep == Ep::Webgpu
}

/// Load `entry` (downloaded and verified) into Scout's int8 decoder on this thread's CPU, which needs no ONNX
/// Runtime. `Ok(None)` when the decoder cannot run this graph (another architecture, 4-bit weights, another RoPE
/// scaling): the caller loads it into ONNX Runtime instead ([`load`]).
pub async fn load_int8(
    store: &IdbStore,
    entry: &ModelEntry,
    package_base: &str,
    threads: u32,
) -> Result<Option<Writer>, ScoutError> {
    let mut laps = Laps::new();
    let (config, template, tokenizer) = hub_files(store, entry).await?;
    laps.lap("files");
    let model_path = model_path(entry);
    let chunks = download::verified_chunks(store, &entry.id, &model_path).await?;
    laps.lap("model file");
    let cannot = |why: &str| {
        let text = format!(
            "{}: Scout's int8 decoder cannot run it ({why}); ONNX Runtime will",
            entry.id
        );
        web_sys::console::warn_1(&text.into());
        Ok(None)
    };
    let settings = match llm_config(&config) {
        Ok(s) => s,
        Err(e) => return cannot(&e.message),
    };
    let bytes = download::chunks_bytes(&chunks);
    laps.lap("model bytes");
    // The second thread reads its half of the model from the stored chunks, handed over (transferred, not copied:
    // a copy of 139 MB held this thread 0.65 s) once this thread has its own copy, while this one reads the rest.
    let starting = (threads > 1)
        .then(|| serde_json::to_string(&settings).ok())
        .flatten()
        .map(|json| DecoderHelper::start(package_base, chunks, &json, KERNEL_TOKENS_PER_TURN * config.hidden));
    laps.lap("second thread started");
    let mut decoder = match KernelDecoder::<DecoderHelper>::without_shard_1(&bytes, &config, Ep::Wasm.as_str()) {
        Ok(d) => d,
        Err(e) => {
            if let Some(starting) = starting {
                // Stopped once it answers (a worker that loaded its half is dropped, which stops it).
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = starting.ready().await;
                });
            }
            return cannot(&e.message);
        }
    };
    laps.lap("int8 decoder");
    let helper = match starting {
        Some(starting) => {
            let ready = starting.ready().await;
            laps.lap("second thread");
            ready
                .map_err(|e| web_sys::console::warn_1(&format!("{}; one thread", e.message).into()))
                .ok()
        }
        None => None,
    };
    match helper {
        Some(helper) => decoder.set_helper(helper),
        None => {
            decoder.load_shard_1(&bytes)?;
            laps.lap("int8 decoder, second half");
        }
    }
    drop(bytes);
    Writer::new(entry, config, &tokenizer, template, WebDecoder::Int8(decoder), laps).map(Some)
}

/// Load `entry` (downloaded and verified) into Scout's decoder on WebGPU (a device of its own, the weights copied
/// there once). `Ok(None)` when the decoder cannot read this graph (as [`load_int8`]); an error when the GPU cannot
/// run it (no adapter, buffers refused): the caller loads the CPU decoder with that reason.
pub async fn load_gpu(store: &IdbStore, entry: &ModelEntry) -> Result<Option<Writer>, ScoutError> {
    let mut laps = Laps::new();
    let (config, template, tokenizer) = hub_files(store, entry).await?;
    laps.lap("files");
    let Ok(settings) = llm_config(&config) else {
        return Ok(None);
    };
    let model_path = model_path(entry);
    let chunks = download::verified_chunks(store, &entry.id, &model_path).await?;
    let bytes = download::chunks_bytes(&chunks);
    drop(chunks);
    laps.lap("model file");
    let decoder = match GpuDecoder::load(&bytes, settings, &config).await {
        Ok(d) => d,
        Err(e) if e.code == ErrorCode::ModelUnavailable => {
            web_sys::console::warn_1(&format!("{}: {}; not on the GPU decoder", entry.id, e.message).into());
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    drop(bytes);
    laps.lap("gpu decoder");
    Writer::new(entry, config, &tokenizer, template, WebDecoder::Gpu(decoder), laps).map(Some)
}

/// Load `entry` (downloaded and verified) into ONNX Runtime for an engine running on `ep`. Int8 graphs run on the
/// WASM EP: their `MatMulInteger` has no WebGPU kernel, so WebGPU would run them on the CPU with copies in every
/// layer. Graphs made for WebGPU (4-bit `MatMulNBits`) run there, with the cache on the GPU.
pub async fn load(env: &Environment, ep: Ep, store: &IdbStore, entry: &ModelEntry) -> Result<Writer, ScoutError> {
    let mut laps = Laps::new();
    let (config, template, tokenizer) = hub_files(store, entry).await?;
    laps.lap("files");
    let model_path = model_path(entry);
    // Any graph but a WebGPU one on a WebGPU engine, and a GPU session that cannot start, runs on WASM.
    let on_gpu = runs_on_gpu(entry, ep) && loaded_bundle() == Some(Ep::Webgpu);
    let mut gpu_error = None;
    let mut backend = Err(ScoutError::new(ErrorCode::BackendFailed, "no session"));
    if on_gpu {
        // The head computes the last position only (`core::generate::last_logits`): less work in prefill, and only
        // one row of logits read back.
        let bytes = download::edited_bytes(store, &entry.id, &model_path, last_position_logits).await?;
        laps.lap("model file");
        backend = OrtDecoder::create(env, ModelSource::Bytes(bytes), Ep::Webgpu, config.clone()).await;
        if let Err(e) = &backend {
            gpu_error = Some(e.message.clone());
            laps.lap("webgpu failed");
        }
    }
    if backend.is_err() {
        backend = if OrtDecoder::takes_bytes(Ep::Wasm) {
            let bytes = download::edited_bytes(store, &entry.id, &model_path, last_position_logits).await?;
            laps.lap("model file");
            OrtDecoder::create(env, ModelSource::Bytes(bytes), Ep::Wasm, config.clone()).await
        } else {
            let url = download::edited_blob_url(store, &entry.id, &model_path, last_position_logits).await?;
            laps.lap("model file");
            let made = OrtDecoder::create(env, ModelSource::Url(url.clone()), Ep::Wasm, config.clone()).await;
            let _ = web_sys::Url::revoke_object_url(&url);
            made
        };
    }
    laps.lap("session");
    let mut writer = Writer::new(entry, config, &tokenizer, template, WebDecoder::Ort(backend?), laps)?;
    writer.gpu_error = gpu_error;
    Ok(writer)
}

/// Run a job. Chat questions are answered from the passages T1 retrieval finds.
pub async fn write<B: EncoderBackend, V: VectorStore>(
    writer: &mut Writer,
    retrieval: &mut Retrieval<'_, B, V>,
    w: &Writing<'_>,
    cancelled: &dyn Fn() -> bool,
) -> Result<WrittenReply, ScoutError> {
    let clock = PerfClock;
    let t0 = clock.now_ms();
    let mut post = |p: Progress| w.stream.post(&p);
    let budget = w.variant.map_or_else(Budget::default, Budget::sampled);
    let g = &mut writer.generator;
    let mut prompt = Vec::new();
    let (title, text, citations, invalid, coverage, parts, last) = match w.job {
        WriteJob::Summary { options } => {
            let read = read_page(w.page)?;
            let language = detect_language(&read.text()).map(|l| l.code).filter(|c| c != "en");
            let out = write_summary(
                g,
                &read,
                options,
                language.as_deref(),
                &budget,
                &clock,
                cancelled,
                &mut post,
            )
            .await?;
            (
                read.title,
                out.text,
                vec![],
                vec![],
                out.coverage,
                out.parts,
                Some(out.last),
            )
        }
        WriteJob::Chat { question, history } => {
            let (title, sources) = retrieval.passages(w.page, question).await?;
            let out = write_answer(
                g, &title, history, question, sources, &budget, &clock, cancelled, &mut post,
            )
            .await?;
            let citations = out.citations();
            if out.generation.is_some() {
                prompt = chat_messages(&title, history, question, &out.sources);
            }
            (
                title,
                out.answer.text,
                citations,
                out.answer.invalid,
                1.0,
                1,
                out.generation,
            )
        }
    };
    Ok(WrittenReply {
        url: w.page.url.clone(),
        title,
        tier: Tier::T2,
        model: writer.model.clone(),
        ep: writer.generator.backend().ep(),
        text,
        citations,
        invalid_citations: invalid,
        coverage,
        parts,
        stop: last
            .as_ref()
            .map(|l| l.stop)
            .unwrap_or(crate::core::generate::StopReason::Eos),
        prompt_tokens: last.as_ref().map_or(0, |l| l.prompt_tokens),
        reused_tokens: last.as_ref().map_or(0, |l| l.reused_tokens),
        generated_tokens: last.as_ref().map_or(0, |l| l.tokens.len()),
        time_to_first_token_ms: last.as_ref().map_or(0.0, |l| l.first_token_ms),
        decode_tokens_per_s: last.as_ref().map_or(0.0, |l| l.decode_tokens_per_s()),
        total_ms: clock.now_ms() - t0,
        sent: Vec::new(),
        prompt,
        hint: None,
    })
}

/// The `generate` benchmark request: reply to `messages`, greedily, timed (no streaming, no page). `load_ms`: what
/// loading the model took in this request (0 when it was loaded).
pub async fn generate(
    writer: &mut Writer,
    messages: &[ChatMessage],
    max_new_tokens: usize,
    min_new_tokens: usize,
    load_ms: f64,
    cancelled: &dyn Fn() -> bool,
) -> Result<GeneratedReply, ScoutError> {
    let clock = PerfClock;
    let t0 = clock.now_ms();
    let opts = GenerateOptions {
        max_new_tokens,
        min_new_tokens,
        ..GenerateOptions::default()
    };
    let _ = writer.generator.backend().runtime_stats(); // counts from here
    let out = writer
        .generator
        .chat(messages, &opts, &clock, cancelled, &mut |_| {})
        .await?;
    let stats = writer.generator.backend().runtime_stats();
    Ok(GeneratedReply {
        model: writer.model.clone(),
        ep: writer.generator.backend().ep(),
        text: out.text.clone(),
        stop: out.stop,
        prompt_tokens: out.prompt_tokens,
        reused_tokens: out.reused_tokens,
        generated_tokens: out.tokens.len(),
        load_ms,
        load_steps_ms: if load_ms > 0.0 {
            writer.load_steps.clone()
        } else {
            Vec::new()
        },
        cache_in_runtime: writer.generator.backend().cache_in_runtime(),
        decoder_threads: writer.generator.backend().threads(),
        decoder: writer.generator.backend().name(),
        runtime_ms: stats.map(|s| s.0),
        runtime_runs: stats.map(|s| s.1),
        gpu_error: writer.gpu_error.clone(),
        time_to_first_token_ms: out.first_token_ms,
        decode_tokens_per_s: out.decode_tokens_per_s(),
        total_ms: clock.now_ms() - t0,
    })
}
