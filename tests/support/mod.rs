//! Real components the integration tests start on loopback.

pub mod milter_loop;
pub mod miltertest;
pub mod postfix;
