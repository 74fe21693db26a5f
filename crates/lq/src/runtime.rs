//! The engine's own async runtime: started on first use, shared by the engine's clones, and
//! usable from blocking calls even when the caller is itself inside an async runtime.

use std::future::Future;
use std::sync::{Arc, OnceLock};

use crate::Error;

/// A Tokio runtime shut down without waiting when dropped, so that dropping the last engine
/// inside async code (where blocking is not allowed) does not panic.
#[derive(Debug)]
struct OwnedRuntime(Option<tokio::runtime::Runtime>);

impl Drop for OwnedRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// One runtime per engine (and its clones), started when a blocking call first needs it.
#[derive(Debug, Clone, Default)]
pub(crate) struct EngineRuntime(Arc<OnceLock<OwnedRuntime>>);

impl EngineRuntime {
    fn get(&self) -> Result<&tokio::runtime::Runtime, Error> {
        if self.0.get().is_none() {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(datafusion::common::utils::get_available_parallelism())
                .enable_all()
                .build()
                .map_err(Error::Runtime)?;
            // Another thread may have won the race; its runtime is used and this one dropped.
            let _ = self.0.set(OwnedRuntime(Some(runtime)));
        }
        self.0
            .get()
            .and_then(|r| r.0.as_ref())
            .ok_or(Error::Blocking)
    }

    /// Runs `future` to completion on the engine's runtime. From a thread that is inside an
    /// async runtime (where blocking on another runtime panics), it blocks a thread of its own.
    pub(crate) fn block_on<F>(&self, future: F) -> Result<F::Output, Error>
    where
        F: Future + Send,
        F::Output: Send,
    {
        let runtime = self.get()?;
        if tokio::runtime::Handle::try_current().is_err() {
            return Ok(runtime.block_on(future));
        }
        std::thread::scope(|scope| {
            scope
                .spawn(|| runtime.block_on(future))
                .join()
                .map_err(|_| Error::Blocking)
        })
    }
}
