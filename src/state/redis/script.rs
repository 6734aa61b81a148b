//! The two op scripts: their text, how an op becomes an `EVALSHA` call and
//! how a script's answer becomes a [`Reply`].

use std::sync::LazyLock;

use redis::{Pipeline, Value};

use crate::state::embedded::founder_key;
use crate::state::{ClusterOp, ClusterReply, Op, Reply, SenderOp, SenderReply, ADJACENT_GAP};

/// A script: its text (the window functions, then the op's body) and the
/// SHA-1 that `EVALSHA` names it by.
pub(super) struct OpScript {
    pub(super) code: &'static str,
    pub(super) hash: String,
}

/// The two op scripts.
pub(super) struct Scripts {
    pub(super) cluster: OpScript,
    pub(super) sender: OpScript,
}

impl OpScript {
    fn new(code: &'static str) -> OpScript {
        OpScript {
            code,
            hash: redis::Script::new(code).get_hash().to_string(),
        }
    }
}

pub(super) static SCRIPTS: LazyLock<Scripts> = LazyLock::new(|| Scripts {
    cluster: OpScript::new(concat!(
        include_str!("window.lua"),
        include_str!("cluster.lua")
    )),
    sender: OpScript::new(concat!(
        include_str!("window.lua"),
        include_str!("sender.lua")
    )),
});

/// Appends the `EVALSHA` call that applies `op`.
pub(super) fn push(pipe: &mut Pipeline, prefix: &str, op: &Op) {
    match op {
        Op::Cluster(op) => push_cluster(pipe, prefix, op),
        Op::Sender(op) => push_sender(pipe, prefix, op),
    }
}

fn push_cluster(pipe: &mut Pipeline, prefix: &str, op: &ClusterOp) {
    let mut signature = [0u8; 4 * crate::state::SIGNATURE_LEN];
    for (bytes, value) in signature.chunks_exact_mut(4).zip(op.signature) {
        bytes.copy_from_slice(&value.to_le_bytes());
    }
    let cmd = pipe
        .cmd("EVALSHA")
        .arg(&SCRIPTS.cluster.hash)
        .arg(0)
        .arg(prefix)
        .arg(op.time_ms)
        .arg(op.window.span_ms)
        .arg(op.min_matches)
        .arg(op.cap)
        .arg(member(op.sender))
        .arg(member(op.recipient))
        .arg(&signature[..])
        .arg(hex(founder_key(&op.signature)));
    for &band in &op.bands {
        cmd.arg(hex(band));
    }
}

fn push_sender(pipe: &mut Pipeline, prefix: &str, op: &SenderOp) {
    pipe.cmd("EVALSHA")
        .arg(&SCRIPTS.sender.hash)
        .arg(0)
        .arg(prefix)
        .arg(op.time_ms)
        .arg(hex(op.key))
        .arg(member(op.recipient))
        .arg(
            op.recipient_number
                .map_or_else(String::new, |n| n.to_string()),
        )
        .arg(op.short.span_ms)
        .arg(op.long.span_ms)
        .arg(op.cap)
        .arg(ADJACENT_GAP);
}

/// A key as the schema writes it: 16 hex digits.
fn hex(key: u64) -> String {
    format!("{key:016x}")
}

/// A member of a recent set: the 32-bit slice of its key that the
/// embedded store keeps, or empty for none.
fn member(key: Option<u64>) -> String {
    key.map_or_else(String::new, |k| ((k >> 32) as u32 ^ k as u32).to_string())
}

/// The reply to `op` from the script's answer.
pub(super) fn decode(op: &Op, value: &Value) -> Result<Reply, String> {
    let Value::Array(items) = value else {
        return Err(format!("expected an array, got {value:?}"));
    };
    match op {
        Op::Cluster(_) => {
            let [id, messages, senders, recipients, first] = &items[..] else {
                return Err(format!("expected 5 values, got {items:?}"));
            };
            let id = match id {
                Value::BulkString(b) => std::str::from_utf8(b)
                    .ok()
                    .and_then(|s| u64::from_str_radix(s, 16).ok()),
                _ => None,
            }
            .ok_or_else(|| format!("cluster id {id:?} is not hex"))?;
            Ok(Reply::Cluster(ClusterReply {
                id,
                messages: count(messages)?,
                senders: count(senders)?,
                recipients: count(recipients)?,
                first_seen_ms: integer(first)?,
            }))
        }
        Op::Sender(_) => {
            let [short, long, recipients, walk] = &items[..] else {
                return Err(format!("expected 4 values, got {items:?}"));
            };
            Ok(Reply::Sender(SenderReply {
                short_messages: count(short)?,
                long_messages: count(long)?,
                recipients: count(recipients)?,
                walk: count(walk)?,
            }))
        }
    }
}

fn integer(value: &Value) -> Result<u64, String> {
    match value {
        Value::Int(n) => u64::try_from(*n).map_err(|_| format!("negative count {n}")),
        other => Err(format!("expected an integer, got {other:?}")),
    }
}

fn count(value: &Value) -> Result<u32, String> {
    integer(value).map(|n| u32::try_from(n).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_and_keys_are_written_as_the_schema_says() {
        assert_eq!(hex(0xab), "00000000000000ab");
        assert_eq!(member(None), "");
        assert_eq!(member(Some(0x0000_0001_0000_0003)), "2");
    }

    #[test]
    fn answers_of_the_wrong_shape_are_errors_not_panics() {
        let op = crate::state::conformance::cluster_op(1, 0, 1, 1, 0);
        for bad in [
            Value::Nil,
            Value::Array(vec![Value::Int(1)]),
            Value::Array(vec![
                Value::BulkString(b"zz".to_vec()),
                Value::Int(1),
                Value::Int(1),
                Value::Int(1),
                Value::Int(1),
            ]),
            Value::Array(vec![
                Value::BulkString(b"ff".to_vec()),
                Value::Int(-1),
                Value::Int(1),
                Value::Int(1),
                Value::Int(1),
            ]),
        ] {
            assert!(decode(&op, &bad).is_err(), "{bad:?}");
        }
    }
}
