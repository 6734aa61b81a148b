//! Errors reading SpamAssassin configuration: each names the file and line.

use std::path::PathBuf;

/// What went wrong on a line of a `.cf` or `.pre` file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CfErrorKind {
    /// A file or directory could not be read.
    #[error("cannot read: {0}")]
    Read(String),
    /// An `include` names a file that includes it again.
    #[error("include loop through '{0}'")]
    IncludeLoop(String),
    /// `else` or `endif` without an open `if`/`ifplugin`.
    #[error("'{0}' without an open 'if' or 'ifplugin'")]
    Unopened(&'static str),
    /// A file ended inside an `if`/`ifplugin` block.
    #[error("'if'/'ifplugin' opened on line {0} is not closed in its file")]
    Unclosed(usize),
    /// An `if` expression the importer does not understand.
    #[error("condition: {0}")]
    Condition(String),
    /// A command lacks its arguments (`body` with no rule name, `score` with no value).
    #[error("'{command}': {detail}")]
    Malformed {
        /// The command word.
        command: String,
        /// What is missing or wrong.
        detail: String,
    },
}

/// An error at a place in SpamAssassin's configuration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}: {kind}", file.display())]
pub struct CfError {
    /// The file.
    pub file: PathBuf,
    /// The 1-based line (0: the file as a whole).
    pub line: usize,
    /// What went wrong.
    pub kind: CfErrorKind,
}

/// Every error one read found, because an operator fixing a configuration
/// wants the whole list at once.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct CfErrors(pub Vec<CfError>);
