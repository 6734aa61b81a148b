//! Real components the integration tests start on loopback.

pub mod postfix;
