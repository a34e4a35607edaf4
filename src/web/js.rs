//! Small bridges to browser APIs: timers, clock, fetch.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{Promise, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::core::error::{ErrorCode, ScoutError};
use crate::core::store::Clock;

pub fn js_err(e: &JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return String::from(err.message());
    }
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

fn window() -> Result<web_sys::Window, ScoutError> {
    web_sys::window()
        .ok_or_else(|| ScoutError::new(ErrorCode::Internal, "no window: the engine must run in a document"))
}

/// Resolve after `ms` milliseconds.
pub async fn sleep(ms: i32) {
    let p = Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(p).await;
}

/// Resolvers of pending yields, oldest first.
type Waiting = Rc<RefCell<VecDeque<js_sys::Function>>>;

thread_local! {
    /// One long-lived channel for all yields (a dropped channel may be collected with its message pending, which
    /// would leave the waiting future hanging), and the resolvers waiting on it, in order.
    static YIELD: RefCell<Option<(web_sys::MessageChannel, Waiting)>> = const { RefCell::new(None) };
}

fn yield_channel() -> Option<(web_sys::MessagePort, Waiting)> {
    YIELD.with(|y| {
        let mut y = y.borrow_mut();
        if y.is_none() {
            let ch = web_sys::MessageChannel::new().ok()?;
            let waiting: Waiting = Rc::default();
            let queue = Rc::clone(&waiting);
            let on_message = Closure::<dyn FnMut()>::new(move || {
                let next = queue.borrow_mut().pop_front();
                if let Some(resolve) = next {
                    let _ = resolve.call0(&JsValue::UNDEFINED);
                }
            });
            ch.port1().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            // Lives as long as the document, like the channel.
            on_message.forget();
            *y = Some((ch, waiting));
        }
        y.as_ref().map(|(ch, w)| (ch.port2(), Rc::clone(w)))
    })
}

/// Give the event loop a turn (a macrotask), so messages queued during a long job are handled.
/// A `MessageChannel` message rather than `setTimeout(0)`: timers are clamped and, in hidden documents, throttled;
/// channel messages are not. (`scheduler.yield()` is no good here: its continuation outranks queued messages.)
pub async fn yield_to_event_loop() {
    let Some((port, waiting)) = yield_channel() else {
        sleep(0).await;
        return;
    };
    let p = Promise::new(&mut |resolve, _| {
        waiting.borrow_mut().push_back(resolve.clone());
        if port.post_message(&JsValue::NULL).is_err() {
            waiting.borrow_mut().pop_back();
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    });
    let _ = JsFuture::from(p).await;
}

/// Run `fut`, or fail with a `BackendTimeout` error after `ms` milliseconds.
pub async fn with_timeout<T>(
    ms: i32,
    what: &str,
    fut: impl std::future::Future<Output = Result<T, ScoutError>>,
) -> Result<T, ScoutError> {
    use futures_util::future::{Either, select};
    let fut = Box::pin(fut);
    let timer = Box::pin(sleep(ms));
    match select(fut, timer).await {
        Either::Left((r, _)) => r,
        Either::Right(_) => Err(ScoutError::new(
            ErrorCode::BackendTimeout,
            format!("{what} did not finish within {} s", ms / 1000),
        )),
    }
}

/// Fetch a URL as bytes (extension files, the hub's file listings).
pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, ScoutError> {
    let unavailable = |m: String| ScoutError::new(ErrorCode::ModelUnavailable, m);
    let resp = JsFuture::from(window()?.fetch_with_str(url))
        .await
        .map_err(|e| unavailable(format!("cannot fetch {url}: {}", js_err(&e))))?;
    let resp: web_sys::Response = resp
        .dyn_into()
        .map_err(|_| unavailable(format!("fetch {url}: not a Response")))?;
    if !resp.ok() {
        return Err(unavailable(format!("cannot fetch {url}: HTTP {}", resp.status())));
    }
    let buf = JsFuture::from(resp.array_buffer().map_err(|e| unavailable(js_err(&e)))?)
        .await
        .map_err(|e| unavailable(format!("reading {url}: {}", js_err(&e))))?;
    Ok(Uint8Array::new(&buf).to_vec())
}

/// `performance.now()`.
pub struct PerfClock;

impl Clock for PerfClock {
    fn now_ms(&self) -> f64 {
        web_sys::window()
            .and_then(|w| w.performance())
            .map(|p| p.now())
            .unwrap_or(0.0)
    }
}
