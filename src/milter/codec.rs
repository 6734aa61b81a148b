//! The milter wire format: frames, the commands an MTA sends and the replies
//! a milter answers with.
//!
//! Every packet, in either direction, is a 4-byte big-endian length (counting
//! what follows it), one command byte and the command's data
//! (milter-protocol.txt; Sendmail `mfdef.h`, `MILTER_LEN_BYTES`). Strings are
//! NUL-terminated; integers are big-endian. [`decode`] reads one command from
//! the front of a buffer without copying: a [`Command`] borrows its strings
//! and body chunks from the caller's buffer. [`Reply::encode`] appends one
//! packet to an output buffer.
//!
//! The peer is an MTA, but a broken or hostile one must not crash or starve
//! the service: every malformed case is a [`CodecError`], and a frame longer
//! than the configured maximum is refused from its length alone, before any
//! of it is buffered.

use super::negotiation::{Actions, OptNeg, Protocol};

/// The default maximum frame length: a 1 MiB body chunk (the largest an MTA
/// sends, with `SMFIP_MDS_1M`) plus its command byte. The MTA sends 64 KiB
/// chunks unless the milter asks for more.
pub const DEFAULT_MAX_FRAME: u32 = 1024 * 1024 + 1;

/// One command from the MTA (`SMFIC_*`), borrowing its data from the frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command<'a> {
    /// `O`: the MTA's protocol version, actions and steps on offer.
    OptNeg(OptNeg),
    /// `D`: macros for the command `stage` (its command byte) as name/value pairs.
    Macro {
        /// The command byte of the step the macros belong to (`C`, `M`, …).
        stage: u8,
        /// Names as sent (long ones in braces, `{client_addr}`) and values.
        pairs: Vec<(&'a [u8], &'a [u8])>,
    },
    /// `C`: the SMTP client.
    Connect {
        /// The client's name as the MTA resolved it (or `[address]`).
        hostname: &'a [u8],
        /// The client's address by family.
        address: ConnectAddress<'a>,
    },
    /// `H`: the HELO/EHLO argument.
    Helo {
        /// The name the client gave.
        name: &'a [u8],
    },
    /// `M`: the reverse path (`<sender>`) then any ESMTP arguments.
    Mail {
        /// Never empty: the codec refuses a MAIL without its path.
        args: Vec<&'a [u8]>,
    },
    /// `R`: the forward path (`<recipient>`) then any ESMTP arguments.
    Rcpt {
        /// Never empty: the codec refuses a RCPT without its path.
        args: Vec<&'a [u8]>,
    },
    /// `T`: the DATA command (protocol version 4 and later).
    Data,
    /// `L`: one header field; the value without its leading space unless
    /// `SMFIP_HDR_LEADSPC` was negotiated, folded lines joined by `\n`.
    Header {
        /// The field name, without the colon.
        name: &'a [u8],
        /// The field value.
        value: &'a [u8],
    },
    /// `N`: end of the header section.
    EndOfHeaders,
    /// `B`: a chunk of the body, CRLF line ends, not NUL-terminated.
    Body {
        /// At most 64 KiB unless larger chunks were negotiated.
        chunk: &'a [u8],
    },
    /// `E`: end of message, possibly with a last body chunk; always answered.
    EndOfBody {
        /// Usually empty.
        chunk: &'a [u8],
    },
    /// `A`: forget the current message; the connection stays.
    Abort,
    /// `Q`: close the connection.
    Quit,
    /// `K`: quit this SMTP connection, a new one follows on the same socket.
    QuitNewConnection,
    /// `U`: an SMTP command the MTA did not recognise.
    Unknown {
        /// The command line as the client sent it.
        line: &'a [u8],
    },
}

impl Command<'_> {
    /// The command byte, for error messages and logs.
    pub fn code(&self) -> u8 {
        match self {
            Command::OptNeg(_) => b'O',
            Command::Macro { .. } => b'D',
            Command::Connect { .. } => b'C',
            Command::Helo { .. } => b'H',
            Command::Mail { .. } => b'M',
            Command::Rcpt { .. } => b'R',
            Command::Data => b'T',
            Command::Header { .. } => b'L',
            Command::EndOfHeaders => b'N',
            Command::Body { .. } => b'B',
            Command::EndOfBody { .. } => b'E',
            Command::Abort => b'A',
            Command::Quit => b'Q',
            Command::QuitNewConnection => b'K',
            Command::Unknown { .. } => b'U',
        }
    }
}

/// The client's address in a CONNECT command, by family (`SMFIA_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectAddress<'a> {
    /// `4`: an IPv4 address in dotted form.
    Inet {
        /// The client's port.
        port: u16,
        /// The address as text.
        address: &'a [u8],
    },
    /// `6`: an IPv6 address, possibly with Sendmail's `IPv6:` prefix.
    Inet6 {
        /// The client's port.
        port: u16,
        /// The address as text.
        address: &'a [u8],
    },
    /// `L`: a Unix socket path.
    Unix {
        /// The socket's path.
        address: &'a [u8],
    },
    /// `U`: the MTA does not know (a local submission).
    Unknown,
}

/// A malformed frame or command. Each names the command byte where one was
/// read, so that a log line says which step of which MTA went wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// A length prefix of 0: not even a command byte follows.
    #[error("milter frame of length 0: every frame carries at least a command byte")]
    EmptyFrame,
    /// A length prefix over the configured maximum, refused before reading on.
    #[error("milter frame of {len} bytes exceeds the maximum of {max} bytes")]
    Oversized {
        /// The length the frame claims.
        len: u32,
        /// The configured maximum.
        max: u32,
    },
    /// A command byte that is no `SMFIC_*` command.
    #[error("unknown milter command byte 0x{code:02x}")]
    UnknownCommand {
        /// The byte.
        code: u8,
    },
    /// A string that runs to the end of the frame without its NUL.
    #[error("milter command '{}': {field} is not NUL-terminated", char::from(*.code))]
    MissingNul {
        /// The command byte.
        code: u8,
        /// Which of the command's fields.
        field: &'static str,
    },
    /// The frame ends before a field the command must carry.
    #[error("milter command '{}': {field} is missing", char::from(*.code))]
    MissingField {
        /// The command byte.
        code: u8,
        /// Which of the command's fields.
        field: &'static str,
    },
    /// An OPTNEG shorter than its three 32-bit words.
    #[error("milter OPTNEG of {len} data bytes; it needs 12 (version, actions, protocol)")]
    BadOptNeg {
        /// The data bytes it had.
        len: usize,
    },
    /// A CONNECT whose family is none of `4`, `6`, `L`, `U`.
    #[error("milter CONNECT with unknown address family 0x{family:02x}")]
    BadAddressFamily {
        /// The family byte.
        family: u8,
    },
    /// A MACRO list with a name but no value after it.
    #[error("milter MACRO for '{}': macro {name:?} has no value", char::from(*.stage))]
    MacroWithoutValue {
        /// The command byte the macros were for.
        stage: u8,
        /// The macro's name.
        name: String,
    },
    /// A reply string with a NUL byte, which the MTA would cut short.
    #[error("milter reply {field} contains a NUL byte, which would end it early")]
    NulInReply {
        /// Which of the reply's fields.
        field: &'static str,
    },
}

/// Reads one frame from the front of `buf`.
///
/// Returns `Ok(None)` while the frame is incomplete (read more and call
/// again), or the command and how many bytes of `buf` it took. A length over
/// `max_frame` is refused as soon as the four length bytes are in.
pub fn decode(buf: &[u8], max_frame: u32) -> Result<Option<(Command<'_>, usize)>, CodecError> {
    let Some(len_bytes) = buf.first_chunk::<4>() else {
        return Ok(None);
    };
    let len = u32::from_be_bytes(*len_bytes);
    if len == 0 {
        return Err(CodecError::EmptyFrame);
    }
    if len > max_frame {
        return Err(CodecError::Oversized {
            len,
            max: max_frame,
        });
    }
    let total = 4 + len as usize;
    let Some(frame) = buf.get(4..total) else {
        return Ok(None);
    };
    let command = parse_command(frame[0], &frame[1..])?;
    Ok(Some((command, total)))
}

fn parse_command(code: u8, data: &[u8]) -> Result<Command<'_>, CodecError> {
    let command = match code {
        b'O' => Command::OptNeg(parse_optneg(data)?),
        b'D' => parse_macros(data)?,
        b'C' => parse_connect(data)?,
        b'H' => Command::Helo {
            name: one_string(code, data, "HELO name")?,
        },
        b'M' => Command::Mail {
            args: string_list(code, data, "sender")?,
        },
        b'R' => Command::Rcpt {
            args: string_list(code, data, "recipient")?,
        },
        // Commands without data: libmilter ignores trailing bytes, so do we.
        b'T' => Command::Data,
        b'N' => Command::EndOfHeaders,
        b'A' => Command::Abort,
        b'Q' => Command::Quit,
        b'K' => Command::QuitNewConnection,
        b'L' => {
            let mut fields = Strings { code, rest: data };
            let name = fields.next_required("header name")?;
            let value = fields.next_required("header value")?;
            Command::Header { name, value }
        }
        b'B' => Command::Body { chunk: data },
        b'E' => Command::EndOfBody { chunk: data },
        b'U' => Command::Unknown {
            line: one_string(code, data, "command line")?,
        },
        _ => return Err(CodecError::UnknownCommand { code }),
    };
    Ok(command)
}

fn parse_optneg(data: &[u8]) -> Result<OptNeg, CodecError> {
    let bad = || CodecError::BadOptNeg { len: data.len() };
    let word = |i: usize| -> Result<u32, CodecError> {
        let bytes = data.get(i * 4..i * 4 + 4).ok_or_else(bad)?;
        Ok(u32::from_be_bytes(bytes.try_into().map_err(|_| bad())?))
    };
    // An MTA sends exactly three words; later protocol versions may append,
    // and libmilter reads only the first three.
    Ok(OptNeg {
        version: word(0)?,
        actions: Actions(word(1)?),
        protocol: Protocol(word(2)?),
        macros: Vec::new(),
    })
}

fn parse_macros(data: &[u8]) -> Result<Command<'_>, CodecError> {
    let (&stage, rest) = data.split_first().ok_or(CodecError::MissingField {
        code: b'D',
        field: "macro stage",
    })?;
    let mut strings = Strings { code: b'D', rest };
    let mut pairs = Vec::new();
    while let Some(name) = strings.next("macro name")? {
        let Some(value) = strings.next("macro value")? else {
            return Err(CodecError::MacroWithoutValue {
                stage,
                name: String::from_utf8_lossy(name).into_owned(),
            });
        };
        pairs.push((name, value));
    }
    Ok(Command::Macro { stage, pairs })
}

fn parse_connect(data: &[u8]) -> Result<Command<'_>, CodecError> {
    const CODE: u8 = b'C';
    let mut strings = Strings {
        code: CODE,
        rest: data,
    };
    let hostname = strings.next_required("hostname")?;
    let (&family, rest) = strings.rest.split_first().ok_or(CodecError::MissingField {
        code: CODE,
        field: "address family",
    })?;
    if family == b'U' {
        return Ok(Command::Connect {
            hostname,
            address: ConnectAddress::Unknown,
        });
    }
    let port_bytes = rest.first_chunk::<2>().ok_or(CodecError::MissingField {
        code: CODE,
        field: "port",
    })?;
    let port = u16::from_be_bytes(*port_bytes);
    let address = one_string(CODE, &rest[2..], "address")?;
    let address = match family {
        b'4' => ConnectAddress::Inet { port, address },
        b'6' => ConnectAddress::Inet6 { port, address },
        b'L' => ConnectAddress::Unix { address },
        _ => return Err(CodecError::BadAddressFamily { family }),
    };
    Ok(Command::Connect { hostname, address })
}

/// The one NUL-terminated string a command carries (trailing bytes after it
/// are ignored, as libmilter does).
fn one_string<'a>(code: u8, data: &'a [u8], field: &'static str) -> Result<&'a [u8], CodecError> {
    Strings { code, rest: data }.next_required(field)
}

/// A list of at least one NUL-terminated string running to the end of the data.
fn string_list<'a>(
    code: u8,
    data: &'a [u8],
    field: &'static str,
) -> Result<Vec<&'a [u8]>, CodecError> {
    let mut strings = Strings { code, rest: data };
    let mut list = vec![strings.next_required(field)?];
    while let Some(arg) = strings.next("ESMTP argument")? {
        list.push(arg);
    }
    Ok(list)
}

/// Splits data into NUL-terminated strings.
struct Strings<'a> {
    code: u8,
    rest: &'a [u8],
}

impl<'a> Strings<'a> {
    /// The next string, `None` at the end of the data.
    fn next(&mut self, field: &'static str) -> Result<Option<&'a [u8]>, CodecError> {
        if self.rest.is_empty() {
            return Ok(None);
        }
        let end = memchr::memchr(0, self.rest).ok_or(CodecError::MissingNul {
            code: self.code,
            field,
        })?;
        let string = &self.rest[..end];
        self.rest = &self.rest[end + 1..];
        Ok(Some(string))
    }

    fn next_required(&mut self, field: &'static str) -> Result<&'a [u8], CodecError> {
        self.next(field)?.ok_or(CodecError::MissingField {
            code: self.code,
            field,
        })
    }
}

/// One packet from the milter to the MTA (`SMFIR_*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// `c`: go on to the next step (at end of message: accept).
    Continue,
    /// `a`: accept the message, no more steps for it.
    Accept,
    /// `r`: reject with the MTA's default 5xx.
    Reject,
    /// `t`: fail temporarily with the MTA's default 4xx.
    Tempfail,
    /// `d`: accept and silently drop.
    Discard,
    /// `y`: reject or tempfail with our own SMTP reply (`NNN x.y.z text`);
    /// [`Reply::encode`] doubles `%` as the MTA's format expects.
    ReplyCode(String),
    /// `h`: append a header field.
    AddHeader {
        /// The field name.
        name: String,
        /// The value; folded lines joined by LF and a tab.
        value: String,
    },
    /// `m`: change the `index`th (1-based, per name) header of that name; an
    /// empty value deletes it.
    ChangeHeader {
        /// Which occurrence of the name, from 1.
        index: u32,
        /// The field name.
        name: String,
        /// The new value; empty deletes the field.
        value: String,
    },
    /// `i`: insert a header field at position `index` (0 = first).
    InsertHeader {
        /// The position among all header fields, from 0.
        index: u32,
        /// The field name.
        name: String,
        /// The value.
        value: String,
    },
    /// `q`: put the message on hold (Postfix's hold queue) with a reason.
    Quarantine(String),
    /// `p`: keep-alive while a scan is running; resets the MTA's timer.
    Progress,
    /// `s`: stop sending body chunks (only when `SMFIP_SKIP` was negotiated).
    Skip,
    /// `O`: our answer to the MTA's offer.
    OptNeg(OptNeg),
}

impl Reply {
    /// Appends this reply as one frame to `out`. A string with a NUL byte
    /// would be cut short by the MTA and misread as the next field, so it is
    /// refused and nothing is appended.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        let start = out.len();
        out.extend_from_slice(&[0; 4]);
        let result = self.encode_body(out);
        if result.is_err() {
            out.truncate(start);
            return result;
        }
        let len = u32::try_from(out.len() - start - 4)
            .expect("a reply is built from strings far below 4 GiB");
        out[start..start + 4].copy_from_slice(&len.to_be_bytes());
        Ok(())
    }

    fn encode_body(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        match self {
            Reply::Continue => out.push(b'c'),
            Reply::Accept => out.push(b'a'),
            Reply::Reject => out.push(b'r'),
            Reply::Tempfail => out.push(b't'),
            Reply::Discard => out.push(b'd'),
            Reply::Progress => out.push(b'p'),
            Reply::Skip => out.push(b's'),
            Reply::ReplyCode(text) => {
                out.push(b'y');
                let doubled = text.replace('%', "%%");
                put_string(out, &doubled, "SMTP reply")?;
            }
            Reply::AddHeader { name, value } => {
                out.push(b'h');
                put_string(out, name, "header name")?;
                put_string(out, value, "header value")?;
            }
            Reply::ChangeHeader { index, name, value } => {
                out.push(b'm');
                out.extend_from_slice(&index.to_be_bytes());
                put_string(out, name, "header name")?;
                put_string(out, value, "header value")?;
            }
            Reply::InsertHeader { index, name, value } => {
                out.push(b'i');
                out.extend_from_slice(&index.to_be_bytes());
                put_string(out, name, "header name")?;
                put_string(out, value, "header value")?;
            }
            Reply::Quarantine(reason) => {
                out.push(b'q');
                put_string(out, reason, "quarantine reason")?;
            }
            Reply::OptNeg(optneg) => {
                out.push(b'O');
                out.extend_from_slice(&optneg.version.to_be_bytes());
                out.extend_from_slice(&optneg.actions.0.to_be_bytes());
                out.extend_from_slice(&optneg.protocol.0.to_be_bytes());
                for (stage, names) in &optneg.macros {
                    out.extend_from_slice(&(*stage as u32).to_be_bytes());
                    put_string(out, names, "macro list")?;
                }
            }
        }
        Ok(())
    }
}

fn put_string(out: &mut Vec<u8>, s: &str, field: &'static str) -> Result<(), CodecError> {
    if s.as_bytes().contains(&0) {
        return Err(CodecError::NulInReply { field });
    }
    out.extend_from_slice(s.as_bytes());
    out.push(0);
    Ok(())
}

#[cfg(test)]
mod tests;
