//! Ingest into a log store with lq's inputs: directories expand to their files, as for queries.

use crate::{Error, Input, sources};

/// Appends `inputs` to the store at `location` (see [`lq_store::ingest`]); `progress` sees the
/// report after each chunk.
pub async fn ingest(
    location: &lq_store::Location,
    inputs: Vec<Input>,
    options: &lq_store::IngestOptions,
    progress: &(dyn Fn(&lq_store::IngestReport) + Send + Sync),
) -> Result<lq_store::IngestReport, Error> {
    let located = sources::expand(inputs.into_iter().map(|i| i.0).collect())?;
    let inputs = located.into_iter().map(|l| l.input).collect();
    Ok(lq_store::ingest(location, inputs, options, progress).await?)
}
