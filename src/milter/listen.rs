//! Listener addresses as Sendmail and Postfix write them, and the sockets
//! bound to them.
//!
//! `inet:PORT@HOST` and `inet6:PORT@HOST` (Sendmail's `S=` and libmilter's
//! `smfi_setconn` syntax; a missing `@HOST` means every address) and
//! `unix:/path` (also `local:/path`). An operator copies the same string
//! into the MTA's configuration, so the service accepts exactly that form.
//! The parser is the library's (and fuzzed) so that any server, not only
//! `floodwall milter`, reads the same strings the same way.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;

/// Where the milter listens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListenAddr {
    /// A TCP socket (`inet:` or `inet6:`).
    Tcp(SocketAddr),
    /// A Unix domain socket at this path.
    Unix(PathBuf),
}

/// Why a listener string is not one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ListenError {
    /// No `inet:`, `inet6:`, `unix:` or `local:` in front.
    #[error("listener {0:?}: expected inet:PORT@HOST, inet6:PORT@HOST or unix:/path")]
    UnknownScheme(String),
    /// The port is not a number from 0 to 65535.
    #[error("listener {spec:?}: port {port:?} is not a number from 0 to 65535")]
    BadPort {
        /// The whole string.
        spec: String,
        /// The port part.
        port: String,
    },
    /// The host is not an address of the scheme's family.
    #[error("listener {spec:?}: {host:?} is not an {family} address")]
    BadHost {
        /// The whole string.
        spec: String,
        /// The host part.
        host: String,
        /// `IPv4` or `IPv6`.
        family: &'static str,
    },
    /// `unix:` with an empty or relative path.
    #[error("listener {0:?}: a unix socket needs an absolute path")]
    BadPath(String),
}

impl FromStr for ListenAddr {
    type Err = ListenError;

    fn from_str(spec: &str) -> Result<ListenAddr, ListenError> {
        let (scheme, rest) = spec
            .split_once(':')
            .ok_or_else(|| ListenError::UnknownScheme(spec.to_string()))?;
        match scheme {
            "inet" => inet(spec, rest, false),
            "inet6" => inet(spec, rest, true),
            "unix" | "local" => {
                let path = PathBuf::from(rest);
                if path.is_absolute() {
                    Ok(ListenAddr::Unix(path))
                } else {
                    Err(ListenError::BadPath(spec.to_string()))
                }
            }
            _ => Err(ListenError::UnknownScheme(spec.to_string())),
        }
    }
}

/// `PORT[@HOST]`; `localhost` names the loopback address of the family.
fn inet(spec: &str, rest: &str, v6: bool) -> Result<ListenAddr, ListenError> {
    let (port, host) = match rest.split_once('@') {
        Some((port, host)) => (port, Some(host)),
        None => (rest, None),
    };
    let port: u16 = port.parse().map_err(|_| ListenError::BadPort {
        spec: spec.to_string(),
        port: port.to_string(),
    })?;
    let bad_host = |host: &str| ListenError::BadHost {
        spec: spec.to_string(),
        host: host.to_string(),
        family: if v6 { "IPv6" } else { "IPv4" },
    };
    let ip = match (host, v6) {
        (None, false) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        (None, true) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        (Some("localhost"), false) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        (Some("localhost"), true) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        (Some(host), false) => IpAddr::V4(host.parse().map_err(|_| bad_host(host))?),
        (Some(host), true) => {
            let bare = host
                .strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .unwrap_or(host);
            IpAddr::V6(bare.parse().map_err(|_| bad_host(host))?)
        }
    };
    Ok(ListenAddr::Tcp(SocketAddr::new(ip, port)))
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListenAddr::Tcp(SocketAddr::V4(a)) => write!(f, "inet:{}@{}", a.port(), a.ip()),
            ListenAddr::Tcp(SocketAddr::V6(a)) => write!(f, "inet6:{}@{}", a.port(), a.ip()),
            ListenAddr::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

impl serde::Serialize for ListenAddr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ListenAddr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<ListenAddr, ListenError> {
        s.parse()
    }

    #[test]
    fn inet_forms() {
        assert_eq!(
            parse("inet:8891@127.0.0.1"),
            Ok(ListenAddr::Tcp("127.0.0.1:8891".parse().unwrap()))
        );
        assert_eq!(
            parse("inet:8891@localhost"),
            Ok(ListenAddr::Tcp("127.0.0.1:8891".parse().unwrap()))
        );
        assert_eq!(
            parse("inet:8891"),
            Ok(ListenAddr::Tcp("0.0.0.0:8891".parse().unwrap()))
        );
        assert_eq!(
            parse("inet6:8891@::1"),
            Ok(ListenAddr::Tcp("[::1]:8891".parse().unwrap()))
        );
        assert_eq!(
            parse("inet6:8891@[::1]"),
            Ok(ListenAddr::Tcp("[::1]:8891".parse().unwrap()))
        );
        assert_eq!(
            parse("inet6:25"),
            Ok(ListenAddr::Tcp("[::]:25".parse().unwrap()))
        );
    }

    #[test]
    fn unix_forms() {
        assert_eq!(
            parse("unix:/run/floodwall/milter.sock"),
            Ok(ListenAddr::Unix("/run/floodwall/milter.sock".into()))
        );
        assert_eq!(
            parse("local:/tmp/m.sock"),
            Ok(ListenAddr::Unix("/tmp/m.sock".into()))
        );
        assert!(matches!(parse("unix:"), Err(ListenError::BadPath(_))));
        assert!(matches!(
            parse("unix:relative.sock"),
            Err(ListenError::BadPath(_))
        ));
    }

    #[test]
    fn bad_forms_say_what_is_wrong() {
        assert!(matches!(
            parse("127.0.0.1:8891"),
            Err(ListenError::UnknownScheme(_))
        ));
        assert!(matches!(
            parse("tcp:1@x"),
            Err(ListenError::UnknownScheme(_))
        ));
        assert!(matches!(parse(""), Err(ListenError::UnknownScheme(_))));
        assert!(matches!(
            parse("inet:99999@127.0.0.1"),
            Err(ListenError::BadPort { .. })
        ));
        assert!(matches!(
            parse("inet:@127.0.0.1"),
            Err(ListenError::BadPort { .. })
        ));
        assert!(matches!(
            parse("inet:25@::1"),
            Err(ListenError::BadHost { family: "IPv4", .. })
        ));
        assert!(matches!(
            parse("inet6:25@127.0.0.1"),
            Err(ListenError::BadHost { family: "IPv6", .. })
        ));
        let message = parse("inet:x@h").unwrap_err().to_string();
        assert!(message.contains("\"x\""), "{message}");
    }

    #[test]
    fn display_round_trips() {
        for spec in ["inet:8891@127.0.0.1", "inet6:8891@::1", "unix:/tmp/m.sock"] {
            assert_eq!(parse(spec).unwrap().to_string(), spec);
        }
    }
}
