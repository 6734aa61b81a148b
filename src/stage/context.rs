//! What a stage sees of a scan besides the message: the time, the
//! subscriber the message is for, and the services the engine shares.

use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::message::{Address, Message};
use crate::state::{EmbeddedStore, StateStore};

/// Handles every stage of an engine shares: the clock, and the state store
/// of the stream stages. They belong to whoever runs the
/// engine, not to one engine: a rules reload builds a new engine with the
/// same services, so counters in a store survive it.
///
/// Built with [`Services::new`] and its `with_*` methods; fields are added
/// as new shared services arrive, so it is not built by struct literal.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Services {
    /// Where "now" comes from; the system clock by default.
    pub clock: Arc<dyn Clock>,
    /// Where the stream stages (bulk, velocity) keep their counts; an
    /// [`EmbeddedStore`] with the default memory bound unless set.
    pub state: Arc<dyn StateStore>,
}

impl Services {
    /// The system clock and an empty embedded store.
    pub fn new() -> Services {
        Services {
            clock: Arc::new(SystemClock),
            state: Arc::new(EmbeddedStore::default()),
        }
    }

    /// Keeps stream state in `store` (a Redis store shared by several
    /// nodes, an embedded one with another bound or loaded from a
    /// snapshot).
    pub fn with_state(mut self, store: Arc<dyn StateStore>) -> Services {
        self.state = store;
        self
    }

    /// Takes time from `clock` (a [`SimulatedClock`](crate::clock::SimulatedClock)
    /// in tests and replays).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Services {
        self.clock = clock;
        self
    }
}

impl Default for Services {
    fn default() -> Services {
        Services::new()
    }
}

/// One message's scan as a stage sees it besides the message itself.
#[derive(Clone, Copy, Debug)]
pub struct ScanContext<'a> {
    /// When the scan happens, in milliseconds since the Unix epoch, from
    /// the engine's clock (read once per batch).
    pub now_ms: u64,
    /// The subscriber the message is for, where there is one (see
    /// [`subscriber_of`]): per-subscriber rules and counters key on it.
    pub subscriber: Option<&'a Address>,
    /// The engine's shared services.
    pub services: &'a Services,
}

/// The subscriber a message is for: its one recipient. A message to several
/// recipients (a mail with many RCPT TOs) has no single subscriber: rules
/// per subscriber apply when the transport splits it, as an MTA does per
/// recipient.
pub fn subscriber_of<'m>(msg: &'m Message<'_>) -> Option<&'m Address> {
    match msg.envelope.recipients.as_slice() {
        [one] => Some(one),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Channel;
    use std::borrow::Cow;

    #[test]
    fn only_a_message_to_one_recipient_has_a_subscriber() {
        let mut msg = Message::new(Channel::Sms, Cow::Borrowed(b""), Default::default());
        assert!(subscriber_of(&msg).is_none());
        msg.envelope.recipients.push(Address::new("+447700900456"));
        assert_eq!(
            subscriber_of(&msg).map(|a| a.value.as_str()),
            Some("+447700900456")
        );
        msg.envelope.recipients.push(Address::new("+447700900457"));
        assert!(subscriber_of(&msg).is_none());
    }
}
