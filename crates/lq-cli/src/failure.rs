//! How the command fails: the kinds of failure, and the message and exit status of each.

use std::process::ExitCode;

use lq::Error;

/// Why a run of `lq` failed.
pub enum Failure {
    /// The command line is wrong.
    Usage(String),
    /// Output that could not be written (a file, a chart, the terminal).
    Output(String),
    /// Ctrl-C (exit status 130, as shells expect).
    Interrupted,
    /// The library refused the query or could not answer it.
    Lq(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Lq(e)
    }
}

impl From<lq::store::StoreError> for Failure {
    fn from(e: lq::store::StoreError) -> Self {
        Failure::Lq(Error::Store(e))
    }
}

impl Failure {
    /// Prints the failure on stderr and gives the exit status: 2 for a wrong command line or
    /// query, 130 after Ctrl-C, 1 for the rest.
    pub fn report(self) -> ExitCode {
        match self {
            Failure::Interrupted => ExitCode::from(130),
            Failure::Usage(msg) => {
                eprintln!("error: {msg}");
                ExitCode::from(2)
            }
            Failure::Output(msg) => {
                eprintln!("error: {msg}");
                ExitCode::from(1)
            }
            Failure::Lq(e @ Error::Options(_)) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
            Failure::Lq(e @ Error::Query { .. }) => {
                eprintln!("{e}");
                ExitCode::from(2)
            }
            Failure::Lq(e) => {
                eprintln!("error: {e}");
                ExitCode::from(1)
            }
        }
    }
}
