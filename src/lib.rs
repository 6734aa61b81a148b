//! floodwall: a spam and bulk-messaging filter engine for email, SMS and MMS.

pub mod ingest;
pub mod message;

pub use message::{Address, Channel, Envelope, Message};
