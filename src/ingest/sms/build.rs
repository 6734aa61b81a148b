//! From decoded PDUs to [`Message`]s: the fragment a PDU contributes, and the
//! message built from one fragment or from a reassembled set.

use std::borrow::Cow;

use super::concat::{Incomplete, Key};
use super::dcs::{Alphabet, Dcs};
use super::gsm7::Tables;
use super::smpp::{self, EsmClass, SmppError};
use super::tpdu::{self, TpduType};
use super::user_data::{self, DecodeProblem, UserData};
use super::SmsConfig;
use crate::ingest::{mms, urls};
use crate::message::protocol::sms::{SegmentInfo, SmppDetails, SmsDetails, TlvInfo, TpduDetails};
use crate::message::protocol::Protocol;
use crate::message::{Address, Channel, Message, Problem, ProblemKind, TextPart};

/// WAP Push connectionless port (WAP-259 WDP, 3GPP TS 23.040 §9.2.3.24.4).
const WAP_PUSH_PORT: u16 = 2948;

/// What one PDU contributes to a message.
#[derive(Debug, Default)]
pub struct Fragment {
    details: SmsDetails,
    sender: Option<Address>,
    recipients: Vec<Address>,
    alphabet: Alphabet,
    tables: Tables,
    compressed: bool,
    /// Whether there is user data to decode (false for undecodable PDUs
    /// and status reports).
    has_content: bool,
    units: Vec<u8>,
    /// Offset of the units in the PDU, for problem offsets.
    units_offset: usize,
    port: Option<u16>,
    problems: Vec<Problem>,
    is_notification: bool,
    /// The PDU bytes, kept only while the fragment waits for its siblings.
    raw: Vec<u8>,
}

impl Fragment {
    /// The reassembly key and segment numbers, for a segment.
    pub fn concat_key(&self) -> Option<(Key, SegmentInfo)> {
        let seg = self.details.segment?;
        Some((
            Key {
                source: self
                    .sender
                    .as_ref()
                    .map(|a| a.value.clone())
                    .unwrap_or_default(),
                destination: self
                    .recipients
                    .first()
                    .map(|a| a.value.clone())
                    .unwrap_or_default(),
                reference: seg.reference,
            },
            seg,
        ))
    }

    /// Whether two segments carry the same content (a retransmission).
    pub fn same_content(&self, other: &Fragment) -> bool {
        self.units == other.units && self.alphabet == other.alphabet
    }

    /// Bytes this fragment holds while buffered.
    pub fn weight(&self) -> usize {
        self.raw.len() + self.units.len() + std::mem::size_of::<Fragment>()
    }

    pub fn with_raw(mut self, raw: Vec<u8>) -> Fragment {
        self.raw = raw;
        self
    }

    /// A reserved or undecodable coding: the text is read in the fallback
    /// alphabet and the choice is reported (3GPP TS 23.038 §4).
    fn reserved_coding(&mut self, field: &str, dcs: Dcs) {
        self.problem(
            ProblemKind::BadCharset,
            None,
            format!(
                "{field} 0x{:02X} is reserved or has no decoder here; read as {:?}",
                dcs.raw, dcs.alphabet
            ),
        );
    }

    fn problem(&mut self, kind: ProblemKind, offset: Option<usize>, detail: impl Into<String>) {
        self.problems.push(Problem::new(kind, offset, detail));
    }

    /// Splits user data (UDH, units) and records header-derived details.
    fn user_data(&mut self, split: Result<UserData, user_data::UserDataError>, data_offset: usize) {
        match split {
            Ok(ud) => {
                if let Some(e) = &ud.udh_error {
                    self.problem(
                        ProblemKind::ProtocolViolation,
                        Some(data_offset + e.offset()),
                        format!("UDH: {e}; header skipped"),
                    );
                }
                self.units_offset = data_offset + ud.udh_len;
                if let Some(udh) = ud.udh {
                    let (tables, unknown) = udh.tables();
                    self.tables = tables;
                    if let Some(id) = unknown {
                        self.problem(
                            ProblemKind::BadCharset,
                            Some(data_offset),
                            format!(
                                "national language table {id} not supported; default alphabet used"
                            ),
                        );
                    }
                    self.port = self.port.or(udh.destination_port());
                    if let Some(c) = udh.concat() {
                        self.details.segment = Some(SegmentInfo {
                            reference: c.reference,
                            total: c.total,
                            seq: c.seq,
                            via: "udh",
                        });
                    }
                    self.details.udh = udh.elements;
                }
                self.units = ud.units;
                self.has_content = true;
            }
            Err(e) => {
                let offset = match &e {
                    user_data::UserDataError::Udh(u) => Some(data_offset + u.offset()),
                    _ => Some(data_offset),
                };
                let kind = match e {
                    user_data::UserDataError::Gsm7(_) => ProblemKind::Truncated,
                    _ => ProblemKind::ProtocolViolation,
                };
                self.problem(kind, offset, format!("user data: {e}"));
            }
        }
    }
}

fn smpp_problem_kind(e: &SmppError) -> ProblemKind {
    match e {
        SmppError::LengthMismatch { declared, actual } if *declared > *actual as u64 => {
            ProblemKind::Truncated
        }
        SmppError::LengthMismatch { .. } | SmppError::UnknownCommand { .. } => {
            ProblemKind::Unparseable
        }
        e if e.is_truncation() => ProblemKind::Truncated,
        _ => ProblemKind::ProtocolViolation,
    }
}

/// The fragment of an SMPP PDU; `None` for session and response PDUs.
pub fn from_smpp(pdu: &[u8], config: &SmsConfig) -> Option<Fragment> {
    let mut f = Fragment::default();
    f.details.protocol = "smpp";
    let mut pdu = match smpp::decode_salvage(pdu) {
        Ok((p, None)) => p,
        Ok((p, Some(e))) => {
            f.problem(
                ProblemKind::ProtocolViolation,
                e.offset(),
                format!("SMPP: {e}"),
            );
            p
        }
        Err(e) => {
            if let Some(h) = pdu.get(..16) {
                let word = |i: usize| u32::from_be_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
                f.details.smpp = Some(Box::new(SmppDetails {
                    command: smpp::command_name(word(4)),
                    command_id: word(4),
                    command_status: word(8),
                    sequence: word(12),
                    ..SmppDetails::default()
                }));
            }
            f.problem(smpp_problem_kind(&e), e.offset(), format!("SMPP: {e}"));
            return Some(f);
        }
    };
    // Taken out of the PDU so that its addresses move into the message
    // rather than being copied.
    let smpp::Body::Message(mut m) = std::mem::replace(&mut pdu.body, smpp::Body::Empty) else {
        return None;
    };
    let esm = EsmClass::new(m.esm_class);
    let data_sm = pdu.command_id == smpp::DATA_SM;
    // replace_sm has no data_coding: the original's is unknown here, so the
    // bind's default alphabet is assumed.
    let replace = pdu.command_id == smpp::REPLACE_SM;
    let nonempty = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
    f.details.smpp = Some(Box::new(SmppDetails {
        command: Some(pdu.command_name()),
        command_id: pdu.command_id,
        sequence: pdu.sequence,
        command_status: pdu.command_status,
        service_type: nonempty(&m.service_type),
        esm_class: Some(esm),
        data_coding: (!replace).then_some(m.data_coding),
        protocol_id: (!data_sm && !replace).then_some(m.protocol_id),
        priority_flag: (!data_sm && !replace).then_some(m.priority_flag),
        registered_delivery: Some(m.registered_delivery),
        schedule_delivery_time: nonempty(&m.schedule_delivery_time),
        validity_period: nonempty(&m.validity_period),
        tlvs: pdu.tlvs.iter().map(TlvInfo::from).collect(),
    }));
    let d = &mut f.details;
    let dcs = Dcs::from_smpp(m.data_coding, config.default_alphabet);
    d.dcs = Some(dcs);
    d.alphabet = Some(dcs.alphabet);
    f.alphabet = dcs.alphabet;
    f.compressed = dcs.compressed;
    f.is_notification = esm.is_notification();
    let source = std::mem::take(&mut m.source);
    f.sender = Some(Address::with_type(source.addr, source.ton, source.npi));
    f.recipients = std::mem::take(&mut m.destinations)
        .into_iter()
        .map(|a| Address::with_type(a.addr, a.ton, a.npi))
        .collect();
    if dcs.reserved {
        f.reserved_coding("data_coding", dcs);
    }
    // message_payload carries the content when sm_length is 0 (SMPP 3.4 §5.3.2.32).
    // The content moves out of the PDU: its buffer becomes the units.
    let payload = pdu
        .tlvs
        .iter_mut()
        .find(|t| t.tag == smpp::TLV_MESSAGE_PAYLOAD);
    let (content, offset) = match payload {
        Some(t) if m.short_message.is_empty() => (std::mem::take(&mut t.value), None),
        Some(_) => {
            f.problem(
                ProblemKind::ProtocolViolation,
                Some(m.short_message_offset),
                "both short_message and message_payload present; short_message used",
            );
            (
                std::mem::take(&mut m.short_message),
                Some(m.short_message_offset),
            )
        }
        None => (
            std::mem::take(&mut m.short_message),
            Some(m.short_message_offset),
        ),
    };
    let int = |tag| pdu.tlv(tag).and_then(smpp::Tlv::as_int);
    f.port = int(smpp::TLV_DESTINATION_PORT).and_then(|p| u16::try_from(p).ok());
    let split = user_data::split_octets(content, esm.udhi, f.alphabet);
    f.user_data(split, offset.unwrap_or(0));
    if offset.is_none() {
        f.units_offset = usize::MAX; // payload offsets are not tracked
    }
    if f.details.segment.is_none() {
        if let (Some(r), Some(t), Some(s)) = (
            int(smpp::TLV_SAR_MSG_REF_NUM),
            int(smpp::TLV_SAR_TOTAL_SEGMENTS),
            int(smpp::TLV_SAR_SEGMENT_SEQNUM),
        ) {
            f.details.segment = Some(SegmentInfo {
                reference: r as u16,
                total: t as u8,
                seq: s as u8,
                via: "sar",
            });
        }
    }
    f.details.destination_port = f.port;
    Some(f)
}

/// The fragment of a TPDU (always one: undecodable TPDUs carry a problem).
pub fn from_tpdu(bytes: &[u8]) -> Option<Fragment> {
    let mut f = Fragment::default();
    f.details.protocol = "tpdu";
    let t = match tpdu::decode_lenient(bytes) {
        Ok((t, None)) => t,
        Ok((t, Some(e))) => {
            let kind = if e.is_truncation() {
                ProblemKind::Truncated
            } else {
                ProblemKind::ProtocolViolation
            };
            f.problem(
                kind,
                e.offset(),
                format!("TPDU: {e}; user data read as present"),
            );
            t
        }
        Err(e) => {
            let kind = if e.is_truncation() {
                ProblemKind::Truncated
            } else {
                ProblemKind::ProtocolViolation
            };
            f.problem(kind, e.offset(), format!("TPDU: {e}"));
            return Some(f);
        }
    };
    f.details.tpdu = Some(Box::new(TpduDetails {
        tpdu_type: t.kind.name(),
        first_octet: t.first_octet,
        message_reference: t.message_reference,
        smsc: t.smsc.as_ref().map(|a| a.value.clone()),
        protocol_id: t.pid,
        scts: t.scts.map(|s| s.to_string()),
        validity: (t.kind == TpduType::Submit).then_some(t.validity),
        discharge_time: t.discharge_time.map(|s| s.to_string()),
        status: t.status,
    }));
    let d = &mut f.details;
    d.dcs = Some(t.dcs);
    d.alphabet = Some(t.dcs.alphabet);
    let addr = Address::with_type(&t.address.value, t.address.ton, t.address.npi);
    match t.kind {
        TpduType::Submit => f.recipients.push(addr),
        TpduType::Deliver | TpduType::StatusReport => f.sender = Some(addr),
    }
    f.alphabet = t.dcs.alphabet;
    f.compressed = t.dcs.compressed;
    if t.dcs.reserved {
        f.reserved_coding("TP-DCS", t.dcs);
    }
    if t.kind == TpduType::StatusReport {
        f.is_notification = true;
        if t.udl == 0 {
            return Some(f);
        }
    }
    let split = if t.dcs.compressed {
        // Compressed data has no septet structure: keep the octets.
        user_data::split_tpdu(&t.user_data, t.udl, t.udhi, Alphabet::Binary)
    } else {
        user_data::split_tpdu(&t.user_data, t.udl, t.udhi, t.dcs.alphabet)
    };
    f.user_data(split, t.user_data_offset);
    f.details.destination_port = f.port;
    Some(f)
}

/// A message from one fragment that is not part of a concatenation, over
/// the PDU bytes it came from.
pub fn single(f: Fragment, raw: Cow<'_, [u8]>) -> Message<'_> {
    finish(f, Vec::new(), raw, None)
}

/// A fragment whose concatenation numbers cannot be used; its PDU bytes
/// (see [`Fragment::with_raw`]) become the message's.
pub fn unusable_segment(mut f: Fragment) -> Message<'static> {
    if let Some(s) = f.details.segment {
        if s.total > 1 && s.seq >= 1 && s.seq <= s.total {
            f.problem(
                ProblemKind::LimitExceeded,
                None,
                format!(
                    "{} segments is over the reassembly limit; segment scanned alone",
                    s.total
                ),
            );
        } else if s.total > 1 || s.seq != 1 {
            f.problem(
                ProblemKind::ProtocolViolation,
                None,
                format!(
                    "concatenation segment {} of {} is not a valid position",
                    s.seq, s.total
                ),
            );
        }
    }
    let raw = std::mem::take(&mut f.raw);
    finish(f, Vec::new(), Cow::Owned(raw), None)
}

/// A reassembled message.
pub fn joined(parts: Vec<Fragment>) -> Message<'static> {
    let raw: Vec<u8> = parts.iter().flat_map(|f| f.raw.iter().copied()).collect();
    let (first, rest) = first_and_rest(parts);
    finish(first, rest, Cow::Owned(raw), None)
}

/// A partial message given up by the reassembler.
pub fn incomplete(inc: Incomplete<Fragment>) -> Message<'static> {
    let arrived = inc.parts.len();
    let parts: Vec<Fragment> = inc.parts.into_iter().map(|(_, f)| f).collect();
    let raw: Vec<u8> = parts.iter().flat_map(|f| f.raw.iter().copied()).collect();
    let detail = format!(
        "concatenated message ref {}: {arrived} of {} segments arrived ({})",
        inc.key.reference,
        inc.total,
        inc.reason.as_str()
    );
    let (first, rest) = first_and_rest(parts);
    finish(first, rest, Cow::Owned(raw), Some(detail))
}

/// The first segment of a set and the others, in order (a set given up on
/// may be empty: its message then has no content).
fn first_and_rest(mut parts: Vec<Fragment>) -> (Fragment, Vec<Fragment>) {
    let first = if parts.is_empty() {
        Fragment::default()
    } else {
        parts.remove(0)
    };
    (first, parts)
}

/// The message of `first` (envelope, details, alphabet) with the units and
/// problems of `rest` after its own. A single PDU passes no `rest`, which
/// spares the per-message `Vec` a set of one would be.
fn finish(
    mut first: Fragment,
    rest: Vec<Fragment>,
    raw: Cow<'_, [u8]>,
    incomplete: Option<String>,
) -> Message<'_> {
    let joined = !rest.is_empty() || incomplete.is_some();
    let mut units = std::mem::take(&mut first.units);
    let mut problems = std::mem::take(&mut first.problems);
    let mut segments: Vec<SegmentInfo> = first.details.segment.into_iter().collect();
    for p in rest {
        units.extend_from_slice(&p.units);
        problems.extend(p.problems);
        segments.extend(p.details.segment);
    }
    let mut details = first.details;
    if joined {
        details.segments = segments;
    }
    let mut msg = Message::new(Channel::Sms, raw, Protocol::None);
    msg.envelope.sender = first.sender;
    msg.envelope.recipients = first.recipients;
    msg.is_notification = first.is_notification;
    msg.problems = problems;
    if let Some(detail) = incomplete {
        msg.problem(ProblemKind::IncompleteConcatenation, None, detail);
    }
    if first.has_content {
        if first.port == Some(WAP_PUSH_PORT) {
            wap_push(&mut msg, &units, first.units_offset);
        } else if first.compressed {
            msg.problem(
                ProblemKind::BadCharset,
                None,
                "compressed user data (3GPP TS 23.042) is not decoded",
            );
        } else {
            let mut errs = Vec::new();
            let text = user_data::decode_text(&units, first.alphabet, first.tables, &mut errs);
            for e in errs {
                let offset = (!joined && first.units_offset != usize::MAX)
                    .then(|| first.units_offset + problem_position(&e, first.alphabet));
                msg.problem(ProblemKind::BadCharset, offset, format!("text: {e}"));
            }
            urls::extract(&text, &mut msg.urls);
            msg.text_parts.push(TextPart {
                content_type: "text/plain".into(),
                text,
            });
        }
    }
    msg.protocol = Protocol::Sms(details);
    msg
}

/// Octet position within the units of a text problem.
fn problem_position(e: &DecodeProblem, alphabet: Alphabet) -> usize {
    use super::dcs::TextError;
    use super::gsm7::Gsm7Error;
    let septet = match e {
        DecodeProblem::Gsm7(
            Gsm7Error::InvalidSeptet { index, .. }
            | Gsm7Error::UnknownExtension { index, .. }
            | Gsm7Error::DanglingEscape { index }
            | Gsm7Error::Unencodable { index, .. },
        ) => *index,
        DecodeProblem::Gsm7(Gsm7Error::Truncated { .. }) => 0,
        DecodeProblem::Text(TextError::OddLength { len }) => return len.saturating_sub(1),
        DecodeProblem::Text(
            TextError::UnpairedSurrogate { offset, .. } | TextError::NotIa5 { offset, .. },
        ) => return *offset,
    };
    if alphabet == Alphabet::Gsm7Packed {
        septet * 7 / 8
    } else {
        septet
    }
}

/// A WAP Push to port 2948 carries an MMS m-notification-ind (WSP); the MMS
/// decoder reads it, this side keeps the URL and subject.
fn wap_push(msg: &mut Message<'_>, units: &[u8], offset: usize) {
    match mms::decode_wap_push(units) {
        Ok(m) => {
            for u in m.urls {
                if !msg.urls.contains(&u) {
                    msg.urls.push(u);
                }
            }
            msg.subject = m.subject.clone();
            let mut text = String::from("MMS notification");
            if let Some(s) = &m.subject {
                text.push_str(": ");
                text.push_str(s);
            }
            if let Some(u) = msg.urls.first() {
                text.push(' ');
                text.push_str(u);
            }
            msg.text_parts.extend(m.text_parts);
            if msg.text_parts.is_empty() {
                msg.text_parts.push(TextPart {
                    content_type: "text/plain".into(),
                    text,
                });
            }
        }
        Err(e) => {
            let at = e
                .offset()
                .and_then(|o| (offset != usize::MAX).then(|| offset + o));
            msg.problem(ProblemKind::ProtocolViolation, at, format!("WAP push: {e}"));
        }
    }
}
