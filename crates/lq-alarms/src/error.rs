//! Errors of alarm definitions and their evaluation.

/// Why an alarm could not be defined or evaluated.
#[derive(Debug, thiserror::Error)]
pub enum AlarmError {
    /// A field of the definition is missing or wrong; the message says what is allowed.
    #[error("alarm `{alarm}`: {message}")]
    Definition {
        /// The alarm's name.
        alarm: String,
        /// What is wrong, and what would be right.
        message: String,
    },
    /// A metric's query does not compile (the error points into the query).
    #[error("alarm `{alarm}`, metric `{metric}`:\n{source}")]
    Query {
        /// The alarm's name.
        alarm: String,
        /// The metric's name.
        metric: String,
        /// The engine's error, located in the query.
        #[source]
        source: Box<lq::Error>,
    },
    /// The metric math expression does not parse; `column` is 1-based.
    #[error("alarm `{alarm}`: {what} at column {column}: {message}\n  {text}\n  {caret:>column$}")]
    Expression {
        /// The alarm's name.
        alarm: String,
        /// Which expression: the metric math or the condition.
        what: &'static str,
        /// The expression's text.
        text: String,
        /// Where the problem starts (1-based).
        column: usize,
        /// What is wrong.
        message: String,
        /// A caret under the column.
        caret: &'static str,
    },
    /// A metric's query ran but its result is not a series of one value per period.
    #[error("alarm `{alarm}`, metric `{metric}`: {message}")]
    Series {
        /// The alarm's name.
        alarm: String,
        /// The metric's name.
        metric: String,
        /// What the result lacks.
        message: String,
    },
    /// Running a metric's query failed.
    #[error("alarm `{alarm}`, metric `{metric}`: {source}")]
    Run {
        /// The alarm's name.
        alarm: String,
        /// The metric's name.
        metric: String,
        /// The engine's error.
        #[source]
        source: Box<lq::Error>,
    },
    /// Evaluating the metric math failed (e.g. it gives several series, or none).
    #[error("alarm `{alarm}`: {message}")]
    Evaluation {
        /// The alarm's name.
        alarm: String,
        /// What went wrong.
        message: String,
    },
    /// The saved alarm state could not be read or written.
    #[error("alarm state file {path}: {source}")]
    StateFile {
        /// The file.
        path: String,
        /// The I/O or JSON error.
        #[source]
        source: std::io::Error,
    },
}
