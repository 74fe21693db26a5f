//! Memory shared by many queries (a server's): each query keeps its own limit and its fair shares
//! between operators, and every reservation is also taken from one total, so the queries running
//! together never hold more than it.

use std::sync::Arc;

use datafusion::common::{DataFusionError, Result};
use datafusion::execution::memory_pool::{
    FairSpillPool, GreedyMemoryPool, MemoryConsumer, MemoryLimit, MemoryPool, MemoryReservation,
};

/// A total of memory that the queries of engines holding it share (see
/// [`crate::EngineOptions::shared_memory`]). Clones share the same total.
#[derive(Debug, Clone)]
pub struct SharedMemory(Arc<GreedyMemoryPool>);

impl SharedMemory {
    /// A total of `bytes`.
    pub fn new(bytes: usize) -> Self {
        SharedMemory(Arc::new(GreedyMemoryPool::new(bytes)))
    }

    /// Bytes reserved now by all queries together.
    pub fn reserved(&self) -> usize {
        self.0.reserved()
    }

    /// The total.
    pub fn limit(&self) -> usize {
        match self.0.memory_limit() {
            MemoryLimit::Finite(n) => n,
            _ => usize::MAX,
        }
    }
}

/// One query's pool: its own fair-spill limit, and the shared total.
#[derive(Debug)]
pub(crate) struct QueryPool {
    own: FairSpillPool,
    total: SharedMemory,
}

impl QueryPool {
    pub(crate) fn new(limit: usize, total: SharedMemory) -> Self {
        QueryPool {
            own: FairSpillPool::new(limit),
            total,
        }
    }
}

impl std::fmt::Display for QueryPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} within a shared {} bytes",
            self.own,
            self.total.limit()
        )
    }
}

impl MemoryPool for QueryPool {
    fn name(&self) -> &str {
        "QueryPool"
    }

    fn register(&self, consumer: &MemoryConsumer) {
        self.own.register(consumer);
    }

    fn unregister(&self, consumer: &MemoryConsumer) {
        self.own.unregister(consumer);
    }

    fn grow(&self, reservation: &MemoryReservation, additional: usize) {
        self.own.grow(reservation, additional);
        self.total.0.grow(reservation, additional);
    }

    fn shrink(&self, reservation: &MemoryReservation, shrink: usize) {
        self.own.shrink(reservation, shrink);
        self.total.0.shrink(reservation, shrink);
    }

    fn try_grow(&self, reservation: &MemoryReservation, additional: usize) -> Result<()> {
        self.own.try_grow(reservation, additional)?;
        if let Err(e) = self.total.0.try_grow(reservation, additional) {
            self.own.shrink(reservation, additional);
            return Err(DataFusionError::ResourcesExhausted(format!(
                "the memory shared by all running queries ({} bytes) is in use: {e}",
                self.total.limit()
            )));
        }
        Ok(())
    }

    fn reserved(&self) -> usize {
        self.own.reserved()
    }

    fn memory_limit(&self) -> MemoryLimit {
        self.own.memory_limit()
    }
}
