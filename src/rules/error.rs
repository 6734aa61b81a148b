//! Rule loading errors: every one names file, line and rule id.

use std::fmt;

/// One problem in a rules directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    /// The file, relative to the rules directory.
    pub file: String,
    /// The line in it (1-based; 0 where no line applies).
    pub line: usize,
    /// The rule's id, where the problem is in one rule.
    pub rule: Option<String>,
    /// What is wrong, and what to do where that is not plain.
    pub message: String,
}

impl RuleError {
    /// An error at `file:line`, in rule `rule` if any.
    pub fn new(
        file: &str,
        line: usize,
        rule: Option<&str>,
        message: impl Into<String>,
    ) -> RuleError {
        RuleError {
            file: file.to_string(),
            line,
            rule: rule.map(str::to_string),
            message: message.into(),
        }
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.file, self.line)?;
        if let Some(rule) = &self.rule {
            write!(f, "rule {rule}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// All problems found in a rules directory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleErrors(pub Vec<RuleError>);

impl fmt::Display for RuleErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, err) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{err}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RuleErrors {}

impl From<RuleError> for RuleErrors {
    fn from(err: RuleError) -> Self {
        RuleErrors(vec![err])
    }
}
