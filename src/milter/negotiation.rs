//! Option negotiation: which actions the milter may take and which protocol
//! steps the MTA sends, and the `OPTNEG` exchange that settles them.
//!
//! The MTA offers a set of action bits (`SMFIF_*`) and protocol bits
//! (`SMFIP_*`); the milter answers with a subset of each. A milter must never
//! ask for a bit the MTA did not offer (milter-protocol.txt; Postfix closes
//! the connection when it does), so [`Negotiated::answer`] intersects what we
//! want with what was offered.
//!
//! floodwall decides once per message, at end of body. Every other step is
//! either not needed at all (DATA, EOH, UNKNOWN: we ask the MTA to skip it)
//! or needed for its data only (CONNECT, HELO, MAIL, RCPT, headers, body: we
//! ask the MTA not to wait for a reply). Each avoided reply is one round trip
//! fewer per message.

/// The milter protocol version we speak (Sendmail 8.14 / Postfix ≥ 2.6).
pub const PROTOCOL_VERSION: u32 = 6;

/// The oldest MTA protocol version we answer: version 2 has every command
/// we need except DATA, UNKNOWN and QUIT_NC, which we do not depend on.
pub const MIN_PROTOCOL_VERSION: u32 = 2;

/// Action bits (`SMFIF_*`, Sendmail `mfapi.h`): what the milter may change.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Actions(pub u32);

impl Actions {
    /// `SMFIF_ADDHDRS`: add header fields (our `X-Spam-*`).
    pub const ADD_HEADERS: Actions = Actions(0x01);
    /// `SMFIF_CHGBODY`: replace the body.
    pub const CHANGE_BODY: Actions = Actions(0x02);
    /// `SMFIF_ADDRCPT`: add recipients.
    pub const ADD_RECIPIENT: Actions = Actions(0x04);
    /// `SMFIF_DELRCPT`: remove recipients.
    pub const DELETE_RECIPIENT: Actions = Actions(0x08);
    /// `SMFIF_CHGHDRS`: change or delete header fields (forged `X-Spam-*`, the Subject).
    pub const CHANGE_HEADERS: Actions = Actions(0x10);
    /// `SMFIF_QUARANTINE`: put the message on hold.
    pub const QUARANTINE: Actions = Actions(0x20);
    /// `SMFIF_CHGFROM`: change the envelope sender.
    pub const CHANGE_FROM: Actions = Actions(0x40);
    /// `SMFIF_ADDRCPT_PAR`: add recipients with ESMTP arguments.
    pub const ADD_RECIPIENT_PARAMS: Actions = Actions(0x80);
    /// `SMFIF_SETSYMLIST`: name the macros wanted per stage in the OPTNEG answer.
    pub const SET_SYMBOL_LIST: Actions = Actions(0x100);

    /// Whether every bit of `other` is set here.
    pub fn contains(self, other: Actions) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for Actions {
    type Output = Actions;
    fn bitor(self, rhs: Actions) -> Actions {
        Actions(self.0 | rhs.0)
    }
}

/// Protocol bits (`SMFIP_*`, Sendmail `mfdef.h`): steps the milter drops
/// (`NO_*`) and steps it will not answer (`NR_*`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Protocol(pub u32);

impl Protocol {
    /// `SMFIP_NOCONNECT`: do not send CONNECT.
    pub const NO_CONNECT: Protocol = Protocol(0x1);
    /// `SMFIP_NOHELO`: do not send HELO.
    pub const NO_HELO: Protocol = Protocol(0x2);
    /// `SMFIP_NOMAIL`: do not send MAIL.
    pub const NO_MAIL: Protocol = Protocol(0x4);
    /// `SMFIP_NORCPT`: do not send RCPT.
    pub const NO_RCPT: Protocol = Protocol(0x8);
    /// `SMFIP_NOBODY`: do not send body chunks.
    pub const NO_BODY: Protocol = Protocol(0x10);
    /// `SMFIP_NOHDRS`: do not send header fields.
    pub const NO_HEADERS: Protocol = Protocol(0x20);
    /// `SMFIP_NOEOH`: do not send end of headers.
    pub const NO_EOH: Protocol = Protocol(0x40);
    /// `SMFIP_NR_HDR`: no reply to header fields.
    pub const NR_HEADER: Protocol = Protocol(0x80);
    /// `SMFIP_NOUNKNOWN`: do not send unknown SMTP commands.
    pub const NO_UNKNOWN: Protocol = Protocol(0x100);
    /// `SMFIP_NODATA`: do not send DATA.
    pub const NO_DATA: Protocol = Protocol(0x200);
    /// `SMFIP_SKIP`: the MTA understands a SKIP reply to a body chunk.
    pub const SKIP: Protocol = Protocol(0x400);
    /// `SMFIP_RCPT_REJ`: also send recipients the MTA rejected.
    pub const RCPT_REJECTED: Protocol = Protocol(0x800);
    /// `SMFIP_NR_CONN`: no reply to CONNECT.
    pub const NR_CONNECT: Protocol = Protocol(0x1000);
    /// `SMFIP_NR_HELO`: no reply to HELO.
    pub const NR_HELO: Protocol = Protocol(0x2000);
    /// `SMFIP_NR_MAIL`: no reply to MAIL.
    pub const NR_MAIL: Protocol = Protocol(0x4000);
    /// `SMFIP_NR_RCPT`: no reply to RCPT.
    pub const NR_RCPT: Protocol = Protocol(0x8000);
    /// `SMFIP_NR_DATA`: no reply to DATA.
    pub const NR_DATA: Protocol = Protocol(0x10000);
    /// `SMFIP_NR_UNKN`: no reply to unknown commands.
    pub const NR_UNKNOWN: Protocol = Protocol(0x20000);
    /// `SMFIP_NR_EOH`: no reply to end of headers.
    pub const NR_EOH: Protocol = Protocol(0x40000);
    /// `SMFIP_NR_BODY`: no reply to body chunks.
    pub const NR_BODY: Protocol = Protocol(0x80000);
    /// `SMFIP_HDR_LEADSPC`: header values keep their leading space.
    pub const HEADER_LEADING_SPACE: Protocol = Protocol(0x100000);
    /// `SMFIP_MDS_256K`: body chunks up to 256 KiB.
    pub const MAX_DATA_256K: Protocol = Protocol(0x1000_0000);
    /// `SMFIP_MDS_1M`: body chunks up to 1 MiB.
    pub const MAX_DATA_1M: Protocol = Protocol(0x2000_0000);

    /// Whether every bit of `other` is set here.
    pub fn contains(self, other: Protocol) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for Protocol {
    type Output = Protocol;
    fn bitor(self, rhs: Protocol) -> Protocol {
        Protocol(self.0 | rhs.0)
    }
}

/// The payload of an `OPTNEG` packet, in either direction.
///
/// From the MTA, `macros` is empty. In the milter's answer it may carry, per
/// macro stage, the space-separated macro names the milter wants (how
/// `smfi_setsymlist` travels in practice; only when the MTA offered
/// [`Actions::SET_SYMBOL_LIST`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OptNeg {
    /// The protocol version (6 today).
    pub version: u32,
    /// Offered by the MTA, or asked for by the milter.
    pub actions: Actions,
    /// Offered by the MTA, or asked for by the milter.
    pub protocol: Protocol,
    /// Per stage, the macro names wanted (milter's answer only).
    pub macros: Vec<(MacroStage, String)>,
}

/// Where a requested macro list applies (`SMFIM_*`, Sendmail `mfdef.h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MacroStage {
    /// Sent with CONNECT.
    Connect = 0,
    /// Sent with HELO.
    Helo = 1,
    /// Sent with MAIL.
    Mail = 2,
    /// Sent with each RCPT.
    Rcpt = 3,
    /// Sent with DATA.
    Data = 4,
    /// Sent with end of message.
    EndOfMessage = 5,
    /// Sent with end of headers.
    EndOfHeaders = 6,
}

/// The macros floodwall asks for, per stage: the client's address and name,
/// the MTA's and daemon's names at connect; the authenticated user and the
/// canonical sender and recipient; the queue id at the end of the message
/// (Postfix assigns it only once a recipient is accepted).
const WANTED_MACROS: [(MacroStage, &str); 4] = [
    (MacroStage::Connect, "j {daemon_name} {client_addr} _"),
    (MacroStage::Mail, "i {auth_authen} {mail_addr}"),
    (MacroStage::Rcpt, "i {rcpt_addr}"),
    (MacroStage::EndOfMessage, "i"),
];

/// What the session wants from negotiation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NegotiationConfig {
    /// Send macro lists in the answer when the MTA allows it. Off leaves the
    /// MTA's own macro configuration (Postfix `milter_*_macros`) in charge.
    pub request_macros: bool,
}

impl Default for NegotiationConfig {
    fn default() -> Self {
        NegotiationConfig {
            request_macros: true,
        }
    }
}

/// The outcome of negotiation: what both sides agreed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Negotiated {
    /// The lower of the MTA's version and ours.
    pub version: u32,
    /// What we may do at end of message.
    pub actions: Actions,
    /// The steps the MTA skips and the replies it does not wait for.
    pub protocol: Protocol,
}

impl Negotiated {
    /// Settles an MTA's offer: the version both speak, the actions we use
    /// (headers, quarantine, macro lists) and the protocol bits that spare
    /// us steps and replies, each only where the MTA offered it.
    pub fn answer(
        offer: &OptNeg,
        config: NegotiationConfig,
    ) -> Result<(Negotiated, OptNeg), NegotiationError> {
        if offer.version < MIN_PROTOCOL_VERSION {
            return Err(NegotiationError::UnsupportedVersion {
                offered: offer.version,
            });
        }
        let version = offer.version.min(PROTOCOL_VERSION);
        let mut wanted = Actions::ADD_HEADERS | Actions::CHANGE_HEADERS | Actions::QUARANTINE;
        if config.request_macros {
            wanted = wanted | Actions::SET_SYMBOL_LIST;
        }
        let actions = Actions(wanted.0 & offer.actions.0);
        let skip_and_silence = Protocol::NO_DATA
            | Protocol::NO_EOH
            | Protocol::NO_UNKNOWN
            | Protocol::NR_CONNECT
            | Protocol::NR_HELO
            | Protocol::NR_MAIL
            | Protocol::NR_RCPT
            | Protocol::NR_DATA
            | Protocol::NR_UNKNOWN
            | Protocol::NR_EOH
            | Protocol::NR_HEADER
            | Protocol::NR_BODY
            | Protocol::SKIP;
        let protocol = Protocol(skip_and_silence.0 & offer.protocol.0);
        let macros = if actions.contains(Actions::SET_SYMBOL_LIST) {
            WANTED_MACROS
                .iter()
                .map(|&(stage, names)| (stage, names.to_string()))
                .collect()
        } else {
            Vec::new()
        };
        let negotiated = Negotiated {
            version,
            actions,
            protocol,
        };
        let reply = OptNeg {
            version,
            actions,
            protocol,
            macros,
        };
        Ok((negotiated, reply))
    }

    /// Whether the MTA waits for our reply to a step whose no-reply bit is `nr`.
    pub fn expects_reply(&self, nr: Protocol) -> bool {
        !self.protocol.contains(nr)
    }
}

/// Why an MTA's offer cannot be answered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NegotiationError {
    /// A version before 2, which lacks what the session relies on.
    #[error("the MTA offers milter protocol version {offered}; floodwall needs version {MIN_PROTOCOL_VERSION} or later (Postfix: milter_protocol = 6)")]
    UnsupportedVersion {
        /// The version the MTA offered.
        offered: u32,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(version: u32, actions: u32, protocol: u32) -> OptNeg {
        OptNeg {
            version,
            actions: Actions(actions),
            protocol: Protocol(protocol),
            macros: Vec::new(),
        }
    }

    #[test]
    fn full_offer_gets_our_actions_skips_and_no_replies() {
        let (n, reply) =
            Negotiated::answer(&offer(6, 0x1FF, 0x1F_FFFF), NegotiationConfig::default()).unwrap();
        assert_eq!(n.version, 6);
        assert_eq!(n.actions, Actions(0x01 | 0x10 | 0x20 | 0x100));
        for bit in [
            Protocol::NO_DATA,
            Protocol::NO_EOH,
            Protocol::NO_UNKNOWN,
            Protocol::NR_HEADER,
            Protocol::NR_BODY,
            Protocol::NR_CONNECT,
            Protocol::NR_RCPT,
            Protocol::SKIP,
        ] {
            assert!(n.protocol.contains(bit), "{bit:?}");
        }
        // We need these steps' data: never ask the MTA to drop them.
        for bit in [
            Protocol::NO_CONNECT,
            Protocol::NO_HELO,
            Protocol::NO_MAIL,
            Protocol::NO_RCPT,
            Protocol::NO_HEADERS,
            Protocol::NO_BODY,
            Protocol::HEADER_LEADING_SPACE,
        ] {
            assert!(!n.protocol.contains(bit), "{bit:?}");
        }
        assert_eq!(reply.macros.len(), 4);
        assert!(!n.expects_reply(Protocol::NR_BODY));
    }

    #[test]
    fn never_asks_for_what_was_not_offered() {
        // Postfix with milter_protocol = 2 offers the version 2 sets.
        let (n, reply) =
            Negotiated::answer(&offer(2, 0x3F, 0x7F), NegotiationConfig::default()).unwrap();
        assert_eq!(n.version, 2);
        assert_eq!(n.actions, Actions(0x01 | 0x10 | 0x20));
        assert_eq!(n.protocol, Protocol(0x40));
        assert!(reply.macros.is_empty(), "no SETSYMLIST offered");
        assert!(n.expects_reply(Protocol::NR_BODY));
        let (n, _) = Negotiated::answer(&offer(6, 0, 0), NegotiationConfig::default()).unwrap();
        assert_eq!((n.actions, n.protocol), (Actions(0), Protocol(0)));
    }

    #[test]
    fn newer_mta_gets_our_version() {
        let (n, reply) =
            Negotiated::answer(&offer(9, 0x1FF, 0), NegotiationConfig::default()).unwrap();
        assert_eq!((n.version, reply.version), (6, 6));
    }

    #[test]
    fn macro_lists_only_when_configured() {
        let config = NegotiationConfig {
            request_macros: false,
        };
        let (n, reply) = Negotiated::answer(&offer(6, 0x1FF, 0x1F_FFFF), config).unwrap();
        assert!(!n.actions.contains(Actions::SET_SYMBOL_LIST));
        assert!(reply.macros.is_empty());
    }

    #[test]
    fn version_one_is_refused() {
        let err =
            Negotiated::answer(&offer(1, 0x1FF, 0), NegotiationConfig::default()).unwrap_err();
        assert_eq!(err, NegotiationError::UnsupportedVersion { offered: 1 });
        assert!(err.to_string().contains("version 1"));
    }
}
