//! What every request shares, engine or not, outside the engine's lock: the model catalog of this build and the
//! IndexedDB handle.

use std::cell::RefCell;
use std::rc::Rc;

use super::store::IdbStore;
use crate::core::catalog::Catalog;
use crate::core::error::ScoutError;

thread_local! {
    /// The built-in catalog, plus the build's extra models once `configure` has read them.
    static CATALOG: RefCell<Option<Catalog>> = const { RefCell::new(None) };
    /// IndexedDB, opened once; outside the engine's state so that requests that need no model do not wait for its
    /// lock.
    static STORE: RefCell<Option<Rc<IdbStore>>> = const { RefCell::new(None) };
}

/// The model catalog of this build.
pub(super) fn catalog() -> Catalog {
    CATALOG.with(|c| c.borrow().clone()).unwrap_or_else(Catalog::builtin)
}

/// Set the catalog (`configure`: the built-in one plus the build's extra models).
pub(super) fn set_catalog(catalog: Catalog) {
    CATALOG.with(|c| *c.borrow_mut() = Some(catalog));
}

/// The IndexedDB store, opened by the first request that needs it.
pub(super) async fn shared_store() -> Result<Rc<IdbStore>, ScoutError> {
    if let Some(s) = STORE.with(|s| s.borrow().clone()) {
        return Ok(s);
    }
    let s = Rc::new(IdbStore::open().await?);
    // Two first requests may both open it; either handle works, the last one is kept.
    STORE.with(|cell| *cell.borrow_mut() = Some(Rc::clone(&s)));
    Ok(s)
}
