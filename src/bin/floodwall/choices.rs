//! The command line's closed choices over library types (`--format`,
//! `--smpp-default-alphabet`): the library parses the names
//! ([`FromStr`](std::str::FromStr)), this module only lists them, with a
//! line of help each, so that `--help` shows what may be typed.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use floodwall::ingest::sms::DefaultAlphabet;
use floodwall::ingest::Format;

/// `--format`: every [`Format`], parsed by the library.
pub fn format() -> impl TypedValueParser<Value = Format> {
    let values = Format::ALL.map(|format| {
        let help = match format {
            Format::Auto => "Guess from the first bytes of each file",
            Format::Eml => "One RFC 5322 message",
            Format::Mbox => "An mbox file of RFC 5322 messages",
            Format::Smpp => "SMPP PDUs: binary (back to back) or hex, one per line",
            Format::Tpdu => {
                "3GPP TS 23.040 TPDUs as hex, one per line (with or without SMSC address)"
            }
            Format::Mms => "One binary OMA MMS encapsulation PDU",
            Format::Jsonl => "JSON lines of SMS records: {\"from\", \"to\", \"text\"}",
        };
        PossibleValue::new(format.as_str()).help(help)
    });
    PossibleValuesParser::new(values).try_map(|name| name.parse::<Format>())
}

/// `--smpp-default-alphabet`: every [`DefaultAlphabet`], parsed by the library.
pub fn default_alphabet() -> impl TypedValueParser<Value = DefaultAlphabet> {
    let values = DefaultAlphabet::ALL.map(|alphabet| {
        let help = match alphabet {
            DefaultAlphabet::GsmUnpacked => {
                "GSM 7-bit, one septet per octet: what common SMPP client libraries send"
            }
            DefaultAlphabet::GsmPacked => "GSM 7-bit packed, as in a TPDU",
            DefaultAlphabet::Latin1 => "ISO-8859-1, as some SMSCs configure it",
        };
        PossibleValue::new(alphabet.as_str()).help(help)
    });
    PossibleValuesParser::new(values).try_map(|name| name.parse::<DefaultAlphabet>())
}
