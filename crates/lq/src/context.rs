//! The DataFusion `SessionContext` a query runs in: partitions, memory pool and spill directory, the
//! optimizer rules lq keeps, and the planner of lq's whole-table commands.

use std::sync::Arc;

use datafusion::execution::SessionStateBuilder;
use datafusion::execution::memory_pool::{FairSpillPool, TrackConsumersPool};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::memory::QueryPool;
use crate::{EngineOptions, Error};

/// A `SessionContext` with the engine's partitions, memory limit and spill directory.
pub(crate) fn session_context(options: &EngineOptions) -> Result<SessionContext, Error> {
    let mut config = SessionConfig::new()
        .with_target_partitions(options.target_partitions.max(1))
        .with_batch_size(8192);
    // Store files: filters are applied while Parquet is decoded, so the other columns of rows
    // that fail them are never decoded.
    let parquet = &mut config.options_mut().execution.parquet;
    parquet.pushdown_filters = true;
    parquet.reorder_filters = true;
    let mut runtime = RuntimeEnvBuilder::new();
    let top = std::num::NonZeroUsize::MIN.saturating_add(4);
    match (options.memory_limit, &options.shared_memory) {
        // Fair shares let every spilling operator (aggregate, sort, join) get its part.
        (Some(limit), None) => {
            runtime = runtime.with_memory_pool(Arc::new(TrackConsumersPool::new(
                FairSpillPool::new(limit),
                top,
            )));
        }
        (limit, Some(total)) => {
            let limit = limit.unwrap_or(total.limit());
            runtime = runtime.with_memory_pool(Arc::new(TrackConsumersPool::new(
                QueryPool::new(limit, total.clone()),
                top,
            )));
        }
        (None, None) => {}
    }
    if let Some(dir) = &options.spill_dir {
        runtime = runtime.with_temp_file_path(dir.clone());
    }
    let state = SessionStateBuilder::new()
        .with_config(config)
        .with_runtime_env(runtime.build_arc()?)
        .with_optimizer_rules(optimizer_rules())
        .with_query_planner(Arc::new(lq_plan::table_ops::LqQueryPlanner))
        .build();
    Ok(SessionContext::new_with_state(state))
}

/// DataFusion's logical optimizer rules without the leaf-expression push-down pair: it moves each
/// `get_field(helper, name)` below the projection that computes `helper`, so `parse ... as a, b`
/// would run its regex once per output field instead of once per record (measured: Q8 of the
/// benchmark spent twice the time in `lq_parse`).
///
/// Then lq's own: loose number functions of numbers stored as numbers skip their text
/// ([`lq_plan::native_numbers`]).
fn optimizer_rules() -> Vec<Arc<dyn datafusion::optimizer::OptimizerRule + Send + Sync>> {
    let mut rules: Vec<Arc<dyn datafusion::optimizer::OptimizerRule + Send + Sync>> =
        datafusion::optimizer::Optimizer::new()
            .rules
            .into_iter()
            .filter(|r| {
                !matches!(
                    r.name(),
                    "extract_leaf_expressions" | "push_down_leaf_projections"
                )
            })
            .collect();
    rules.push(Arc::new(lq_plan::native_numbers::NativeNumbers));
    rules
}
