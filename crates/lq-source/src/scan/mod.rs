//! Scanning: the pieces of the inputs, the partitions that take them, and the decoding of each
//! piece's lines into Arrow rows.

pub(crate) mod ahead;
pub(crate) mod field_value;
pub(crate) mod lines;
pub(crate) mod partition;
pub(crate) mod pieces;
pub(crate) mod range;
pub(crate) mod rows;
pub(crate) mod streamed;

#[cfg(test)]
mod tests;
