//! What a model reads: a message turned into a set of hashed features.
//!
//! Features are binary (present or not) and each message's vector has unit
//! length (every present feature is worth `1/sqrt(n)`), so a long mail does
//! not outvote a short one by its length alone. Tokens are hashed while they
//! are read (see [`super::hashing`]); a [`Features`] value is the reusable
//! scratch they are collected in, so extracting allocates nothing once its
//! buffers have grown to the size of the traffic.
//!
//! Which tokens are read is a [`FeatureKinds`] mask stored in the model
//! file. [`FeatureKinds::TRANSPORT`] (header names present, the number of
//! `Received` hops, `List-*` headers, decode problems, recipient domain)
//! is off in every default: in the corpora we have, those say where a mail
//! was collected (pipermail archives keep five headers, honeypot spam came
//! through Outlook.com, list ham carries `List-*`), not whether it is spam.
//! The study in [`super`] measures what turning it on does.

use crate::message::Message;

use super::hashing::{self, step};
use super::Family;

/// A set of feature kinds, stored as a bit mask in the model file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FeatureKinds(
    /// The mask, as stored in the model file.
    pub u32,
);

impl FeatureKinds {
    /// Words of the subject and the text parts (digits read as `0`).
    pub const WORDS: FeatureKinds = FeatureKinds(1);
    /// Pairs of adjacent words.
    pub const BIGRAMS: FeatureKinds = FeatureKinds(1 << 1);
    /// Character 3- to 5-grams of the text: short texts (SMS) have too few
    /// words to go on, and misspelt or run-together spam words still share
    /// most of their n-grams.
    pub const CHAR_NGRAMS: FeatureKinds = FeatureKinds(1 << 2);
    /// The sender: From domain, display-name words, a Reply-To elsewhere,
    /// the mailer.
    pub const SENDER: FeatureKinds = FeatureKinds(1 << 3);
    /// URL hosts, registrable domains, top-level domains and shapes.
    pub const URLS: FeatureKinds = FeatureKinds(1 << 4);
    /// MIME structure: the text part types, HTML only, attachment types and
    /// file name extensions, body size.
    pub const STRUCTURE: FeatureKinds = FeatureKinds(1 << 5);
    /// Marks of the transport and the collection (see the module doc):
    /// never on in a shipped model.
    pub const TRANSPORT: FeatureKinds = FeatureKinds(1 << 6);
    /// Every kind this version knows; a model file with another bit set is
    /// refused at load.
    pub const KNOWN: FeatureKinds = FeatureKinds((1 << 7) - 1);

    /// The default for short texts (SMS, MMS text).
    pub const TEXT_DEFAULT: FeatureKinds =
        FeatureKinds(Self::WORDS.0 | Self::BIGRAMS.0 | Self::CHAR_NGRAMS.0 | Self::URLS.0);
    /// The default for mail.
    pub const EMAIL_DEFAULT: FeatureKinds = FeatureKinds(
        Self::WORDS.0 | Self::BIGRAMS.0 | Self::SENDER.0 | Self::URLS.0 | Self::STRUCTURE.0,
    );

    /// Whether every kind of `other` is in this set.
    pub fn contains(self, other: FeatureKinds) -> bool {
        self.0 & other.0 == other.0
    }

    /// This set with the kinds of `other` added.
    pub fn with(self, other: FeatureKinds) -> FeatureKinds {
        FeatureKinds(self.0 | other.0)
    }

    /// This set without the kinds of `other`.
    pub fn without(self, other: FeatureKinds) -> FeatureKinds {
        FeatureKinds(self.0 & !other.0)
    }
}

/// How tokens become weight indices; stored in the model file, and a
/// model is only ever fed features extracted with its own parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FeatureParams {
    /// The model has `2^bits` weights.
    pub bits: u8,
    /// Seeds the token hash: two models with different seeds collide on
    /// different tokens.
    pub seed: u32,
    /// Which tokens are read.
    pub kinds: FeatureKinds,
}

impl FeatureParams {
    /// The smallest and largest table sizes a model may have: below 2^10
    /// collisions swamp the weights, above 2^26 a model file is a quarter
    /// of a gigabyte.
    pub const BITS: std::ops::RangeInclusive<u8> = 10..=26;

    /// The parameters the study chose for a family (see [`super`]).
    pub fn default_for(family: Family) -> FeatureParams {
        match family {
            Family::Text => FeatureParams {
                bits: 18,
                seed: 0,
                kinds: FeatureKinds::TEXT_DEFAULT,
            },
            Family::Email => FeatureParams {
                bits: 20,
                seed: 0,
                kinds: FeatureKinds::EMAIL_DEFAULT,
            },
        }
    }
}

/// At most this many words of a message's text are read: the spam signal of
/// a mail is in its first screens, and the cost of scoring stays bounded.
/// In the study 1,000 words caught as much as 3,000 (SC at BH ≤ 0.5%
/// 92.76% against 92.74%) and cost less: 14–16 against 19–20 µs of CPU
/// to extract and score a mail (two interleaved runs, busy machine).
const MAX_WORDS: usize = 1000;
/// Characters of a short text read for character n-grams.
const MAX_NGRAM_CHARS: usize = 1000;
/// Characters of one word hashed; longer runs (base64, hex) add nothing.
const MAX_WORD_CHARS: usize = 40;
/// URLs read per message.
const MAX_URLS: usize = 64;

/// Namespaces: one byte per kind of token.
mod space {
    pub const SUBJECT: u8 = b'S';
    pub const BODY: u8 = b'B';
    pub const NAME: u8 = b'n';
    pub const PAIR: u8 = b'2';
    pub const NGRAM: u8 = b'g';
    pub const FROM_HOST: u8 = b'f';
    pub const FROM_DOMAIN: u8 = b'F';
    pub const REPLY_TO: u8 = b'r';
    pub const MAILER: u8 = b'm';
    pub const URL_HOST: u8 = b'h';
    pub const URL_DOMAIN: u8 = b'd';
    pub const URL_TLD: u8 = b't';
    pub const URL_SHAPE: u8 = b'u';
    pub const PART: u8 = b'p';
    pub const ATTACHMENT: u8 = b'a';
    pub const EXTENSION: u8 = b'e';
    pub const SHAPE: u8 = b's';
    pub const HEADER_NAME: u8 = b'N';
    pub const TRANSPORT: u8 = b'T';
    pub const BIAS: u8 = b'0';
}

/// The feature set of one message, and the buffers to build it in.
///
/// ```
/// use floodwall::classifier::{Family, FeatureParams, Features};
///
/// let record = floodwall::ingest::record::SmsRecord {
///     from: None,
///     to: Default::default(),
///     text: "WIN a prize! Call 0906".into(),
///     subject: None,
///     channel: None,
///     time: None,
/// };
/// let msg = record.into_message();
/// let mut features = Features::default();
/// features.extract(&msg, Family::Text, FeatureParams::default_for(Family::Text));
/// assert!(!features.indices().is_empty());
/// ```
#[derive(Clone, Debug, Default)]
pub struct Features {
    indices: Vec<u32>,
    chars: Vec<u32>,
    words: usize,
    /// One bit per weight, set for the indices kept: de-duplicating with it
    /// is linear, where sorting the few thousand indices of a mail cost more
    /// than extracting them. Every set bit is cleared again after use.
    seen: Vec<u64>,
}

impl Features {
    /// Replaces the features with those of `msg`.
    pub fn extract(&mut self, msg: &Message<'_>, family: Family, params: FeatureParams) {
        self.indices.clear();
        self.words = 0;
        let mut sink = Sink {
            out: &mut self.indices,
            params,
        };
        sink.push(space::BIAS, b"bias");
        if let Some(subject) = &msg.subject {
            words(&mut sink, space::SUBJECT, subject, &mut self.words);
        }
        for part in &msg.text_parts {
            words(&mut sink, space::BODY, &part.text, &mut self.words);
        }
        if params.kinds.contains(FeatureKinds::CHAR_NGRAMS) {
            let text = msg.text_parts.iter().map(|p| p.text.as_str());
            char_ngrams(&mut sink, &mut self.chars, msg.subject.as_deref(), text);
        }
        if params.kinds.contains(FeatureKinds::URLS) {
            urls(&mut sink, &msg.urls);
        }
        if family == Family::Email {
            if params.kinds.contains(FeatureKinds::SENDER) {
                sender(&mut sink, msg, &mut self.words);
            }
            if params.kinds.contains(FeatureKinds::STRUCTURE) {
                structure(&mut sink, msg);
            }
            if params.kinds.contains(FeatureKinds::TRANSPORT) {
                transport(&mut sink, msg);
            }
        }
        self.dedup(params.bits);
    }

    /// Drops repeated indices, keeping the first of each in place.
    fn dedup(&mut self, bits: u8) {
        let words = (1usize << bits).div_ceil(64);
        if self.seen.len() < words {
            self.seen.resize(words, 0);
        }
        let seen = &mut self.seen;
        self.indices.retain(|&i| {
            let (word, bit) = ((i / 64) as usize, 1u64 << (i % 64));
            match seen.get_mut(word) {
                Some(w) if *w & bit == 0 => {
                    *w |= bit;
                    true
                }
                _ => false,
            }
        });
        for &i in &self.indices {
            if let Some(w) = seen.get_mut((i / 64) as usize) {
                *w = 0;
            }
        }
    }

    /// The weight indices of the present features, distinct, in the order
    /// they were found.
    pub fn indices(&self) -> &[u32] {
        &self.indices
    }

    /// The value of each present feature: the vector has unit length.
    pub fn value(&self) -> f32 {
        1.0 / (self.indices.len().max(1) as f32).sqrt()
    }

    /// A hash of the feature set: two messages the model cannot tell apart
    /// have the same one, which is what `learn` needs to refuse learning a
    /// message twice. A sum of mixed indices, so the order they were found
    /// in does not matter.
    pub fn content_hash(&self) -> u64 {
        let sum = self
            .indices
            .iter()
            .fold(self.indices.len() as u64, |h, &i| {
                h.wrapping_add(hashing::finish(step(0x6a09_e667_f3bc_c909, u64::from(i))))
            });
        hashing::finish(sum)
    }

    /// Sets the feature indices directly (tests and tools that cache
    /// extracted features); repeats are dropped. Indices must be below
    /// `2^bits` of the model they are scored with; others are ignored.
    pub fn set_indices(&mut self, indices: &[u32]) {
        self.indices.clear();
        self.indices.extend_from_slice(indices);
        let top = indices.iter().copied().max().unwrap_or(0);
        let bits = (32 - top.leading_zeros()).max(1) as u8;
        self.dedup(bits);
    }
}

/// Where finished token hashes go.
struct Sink<'a> {
    out: &'a mut Vec<u32>,
    params: FeatureParams,
}

impl Sink<'_> {
    fn start(&self, space: u8) -> u64 {
        hashing::namespace(self.params.seed, space)
    }

    fn hash(&mut self, hash: u64) {
        self.out.push(hashing::index(hash, self.params.bits));
    }

    fn push(&mut self, space: u8, token: &[u8]) {
        let hash = hashing::bytes(self.params.seed, space, token);
        self.hash(hash);
    }

    fn push_lower(&mut self, space: u8, token: &str) {
        let hash = token.bytes().fold(self.start(space), |h, b| {
            step(h, u64::from(b.to_ascii_lowercase()))
        });
        self.hash(hash);
    }
}

/// A character as tokens read it: lower case (the first character of its
/// lower-case form), digits as `0`. ASCII, most of the text, takes the
/// short path.
#[inline]
fn fold_char(c: char) -> char {
    if c.is_ascii() {
        return if c.is_ascii_digit() {
            '0'
        } else {
            c.to_ascii_lowercase()
        };
    }
    if c.is_numeric() {
        return '0';
    }
    c.to_lowercase().next().unwrap_or(c)
}

/// Currency signs, read as words of their own: "£1000" is a sign and a
/// number, and the sign is the signal.
fn is_currency(c: char) -> bool {
    matches!(c, '$' | '£' | '€' | '¥' | '₦' | '₹' | '₩')
}

/// Words and adjacent pairs of `text` in namespace `space`.
fn words(sink: &mut Sink<'_>, space: u8, text: &str, count: &mut usize) {
    let bigrams = sink.params.kinds.contains(FeatureKinds::BIGRAMS);
    let unigrams = sink.params.kinds.contains(FeatureKinds::WORDS);
    let start = sink.start(space);
    let pair_start = sink.start(space::PAIR);
    let mut previous: Option<u64> = None;
    let mut emit = |sink: &mut Sink<'_>, word: u64| {
        if unigrams {
            sink.hash(word);
        }
        if let (true, Some(prev)) = (bigrams, previous) {
            sink.hash(step(step(pair_start, prev), word));
        }
        previous = Some(word);
    };
    let mut hash = start;
    let mut len = 0;
    for c in text.chars() {
        if *count >= MAX_WORDS {
            return;
        }
        if c.is_alphanumeric() {
            if len < MAX_WORD_CHARS {
                hash = step(hash, u64::from(fold_char(c)));
            }
            len += 1;
            continue;
        }
        if len > 0 {
            emit(sink, hash);
            *count += 1;
            hash = start;
            len = 0;
        }
        if is_currency(c) {
            emit(sink, step(start, u64::from(c)));
            *count += 1;
        }
    }
    if len > 0 && *count < MAX_WORDS {
        emit(sink, hash);
        *count += 1;
    }
}

/// Character 3-, 4- and 5-grams of the subject and text, lower-cased, digits
/// read as `0`, white space runs as one space.
fn char_ngrams<'t>(
    sink: &mut Sink<'_>,
    chars: &mut Vec<u32>,
    subject: Option<&'t str>,
    text: impl Iterator<Item = &'t str>,
) {
    chars.clear();
    let mut last_space = true;
    for piece in subject.into_iter().chain(text) {
        for c in piece.chars() {
            if chars.len() >= MAX_NGRAM_CHARS {
                break;
            }
            if c.is_whitespace() {
                if !last_space {
                    chars.push(u32::from(' '));
                }
                last_space = true;
                continue;
            }
            last_space = false;
            chars.push(u32::from(fold_char(c)));
        }
        if !last_space {
            chars.push(u32::from(' '));
            last_space = true;
        }
    }
    let start = sink.start(space::NGRAM);
    for i in 0..chars.len() {
        let mut hash = start;
        for (n, &c) in chars[i..].iter().take(5).enumerate() {
            hash = step(hash, u64::from(c));
            if n >= 2 {
                sink.hash(step(hash, n as u64));
            }
        }
    }
}

/// The host of a URL, lower case in the caller's hands: after the scheme,
/// without user information and port.
fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.starts_with('[') {
        return host.split_once(']').map_or(host, |(h, _)| h);
    }
    host.split(':').next().unwrap_or(host)
}

/// The last two labels of a host name: the part of it a sender registers,
/// near enough (a public-suffix list would name `example.co.uk` exactly).
fn registrable(host: &str) -> &str {
    let host = host.trim_end_matches('.');
    let mut dots = host.rmatch_indices('.');
    dots.next();
    match dots.next() {
        Some((i, _)) => &host[i + 1..],
        None => host,
    }
}

fn urls(sink: &mut Sink<'_>, urls: &[String]) {
    for url in urls.iter().take(MAX_URLS) {
        let host = url_host(url);
        if host.is_empty() {
            continue;
        }
        let is_ip = host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[');
        if is_ip {
            sink.push(space::URL_SHAPE, b"ip-host");
            continue;
        }
        sink.push_lower(space::URL_HOST, host);
        sink.push_lower(space::URL_DOMAIN, registrable(host));
        if let Some((_, tld)) = host.rsplit_once('.') {
            sink.push_lower(space::URL_TLD, tld);
        }
        let path_depth = url.matches('/').count().saturating_sub(2).min(6) as u8;
        sink.push(space::URL_SHAPE, &[b'p', b'0' + path_depth]);
        if url.contains('?') {
            sink.push(space::URL_SHAPE, b"query");
        }
        if url.contains('@') {
            sink.push(space::URL_SHAPE, b"userinfo");
        }
    }
    let count = bucket(urls.len());
    sink.push(space::URL_SHAPE, &[b'n', count]);
}

/// A small number as one of a few buckets (0, 1, 2-3, 4-7, …), as a digit.
fn bucket(n: usize) -> u8 {
    b'0' + (usize::BITS - n.leading_zeros()).min(9) as u8
}

/// The domain of the first address in a header value: `a@b.example` in any
/// of its spellings, or `a at b.example` as pipermail archives write it.
fn address_domain(value: &str) -> Option<&str> {
    let after = match value.find('@') {
        Some(i) => &value[i + 1..],
        None => &value[value.find(" at ")? + 4..],
    };
    let end = after
        .find(|c: char| !(c.is_alphanumeric() || c == '.' || c == '-'))
        .unwrap_or(after.len());
    let domain = after[..end].trim_end_matches('.');
    (!domain.is_empty()).then_some(domain)
}

/// The display name of a From value: what comes before `<`, or inside the
/// parentheses pipermail writes it in.
fn display_name(value: &str) -> &str {
    if let Some((name, _)) = value.split_once('<') {
        return name;
    }
    match (value.find('('), value.rfind(')')) {
        (Some(a), Some(b)) if a < b => &value[a + 1..b],
        _ => "",
    }
}

fn sender(sink: &mut Sink<'_>, msg: &Message<'_>, count: &mut usize) {
    let from = msg.header_values("from").next().unwrap_or("");
    let from_domain = address_domain(from);
    match from_domain {
        Some(domain) => {
            sink.push_lower(space::FROM_HOST, domain);
            sink.push_lower(space::FROM_DOMAIN, registrable(domain));
        }
        None => sink.push(space::FROM_DOMAIN, b"(none)"),
    }
    let mut name_words = 0;
    words(sink, space::NAME, display_name(from), &mut name_words);
    *count += name_words;
    if let Some(reply_to) = msg.header_values("reply-to").next() {
        let same = match (address_domain(reply_to), from_domain) {
            (Some(r), Some(f)) => registrable(r).eq_ignore_ascii_case(registrable(f)),
            _ => false,
        };
        sink.push(space::REPLY_TO, if same { b"same" } else { b"elsewhere" });
    }
    let mailer = msg
        .header_values("x-mailer")
        .chain(msg.header_values("user-agent"))
        .next();
    if let Some(mailer) = mailer {
        let product = mailer
            .split(|c: char| !c.is_alphanumeric() && c != '-')
            .find(|w| !w.is_empty())
            .unwrap_or("");
        sink.push_lower(space::MAILER, product);
    }
}

fn structure(sink: &mut Sink<'_>, msg: &Message<'_>) {
    let mut html = false;
    let mut plain = false;
    let mut text_len = 0;
    for part in &msg.text_parts {
        html |= part.content_type == "text/html";
        plain |= part.content_type == "text/plain";
        text_len += part.text.len();
        sink.push_lower(space::PART, &part.content_type);
    }
    if html && !plain {
        sink.push(space::SHAPE, b"html-only");
    }
    if msg.text_parts.is_empty() {
        sink.push(space::SHAPE, b"no-text");
    }
    sink.push(space::SHAPE, &[b'l', bucket(text_len / 64)]);
    for attachment in &msg.attachments {
        sink.push_lower(space::ATTACHMENT, &attachment.content_type);
        let extension = attachment
            .filename
            .as_deref()
            .and_then(|name| name.rsplit_once('.'))
            .map(|(_, ext)| ext);
        if let Some(ext) = extension {
            sink.push_lower(space::EXTENSION, ext);
        }
    }
}

fn transport(sink: &mut Sink<'_>, msg: &Message<'_>) {
    for header in &msg.headers {
        sink.push_lower(space::HEADER_NAME, &header.name);
    }
    let hops = msg.header_values("received").count();
    sink.push(space::TRANSPORT, &[b'r', bucket(hops)]);
    if let Some(domain) = msg.header_values("to").next().and_then(address_domain) {
        sink.push_lower(space::TRANSPORT, registrable(domain));
    }
    for problem in &msg.problems {
        sink.push(space::TRANSPORT, problem.kind.symbol().as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{email, IngestConfig};

    fn email_features(raw: &str, kinds: FeatureKinds) -> Vec<u32> {
        let msg = email::parse(raw.as_bytes(), &IngestConfig::default());
        let mut f = Features::default();
        let params = FeatureParams {
            bits: 20,
            seed: 0,
            kinds,
        };
        f.extract(&msg, Family::Email, params);
        f.indices().to_vec()
    }

    #[test]
    fn hosts_and_domains_are_read_from_every_spelling() {
        assert_eq!(
            url_host("http://u:p@Www.Example.com:80/x?y"),
            "Www.Example.com"
        );
        assert_eq!(url_host("https://[2001:db8::1]/"), "[2001:db8::1");
        assert_eq!(registrable("a.b.example.com"), "example.com");
        assert_eq!(registrable("localhost"), "localhost");
        assert_eq!(
            address_domain("Bank <x@Bank.example>"),
            Some("Bank.example")
        );
        assert_eq!(
            address_domain("joe at lists.example (Joe)"),
            Some("lists.example")
        );
        assert_eq!(address_domain("nobody"), None);
        assert_eq!(display_name("joe at x.example (Joe Bloggs)"), "Joe Bloggs");
    }

    #[test]
    fn transport_marks_are_read_only_when_asked_for() {
        let mail = "Received: from a\r\nList-Id: <l.example>\r\nSubject: hi\r\n\r\nbody\r\n";
        let plain = email_features(mail, FeatureKinds::EMAIL_DEFAULT);
        let marked = email_features(
            mail,
            FeatureKinds::EMAIL_DEFAULT.with(FeatureKinds::TRANSPORT),
        );
        assert!(marked.len() > plain.len());
        let without_headers =
            email_features("Subject: hi\r\n\r\nbody\r\n", FeatureKinds::EMAIL_DEFAULT);
        assert_eq!(plain, without_headers);
    }

    #[test]
    fn digits_and_case_do_not_make_new_words() {
        let a = email_features("Subject: x\r\n\r\nCall 0906 NOW\r\n", FeatureKinds::WORDS);
        let b = email_features("Subject: x\r\n\r\ncall 1234 now\r\n", FeatureKinds::WORDS);
        assert_eq!(a, b);
    }

    #[test]
    fn word_budget_bounds_the_features() {
        let body = "word ".repeat(10) + &(0..10_000).map(|i| format!("w{i}x ")).collect::<String>();
        let mail = format!("Subject: x\r\n\r\n{body}\r\n");
        let f = email_features(&mail, FeatureKinds::WORDS);
        assert!(f.len() <= MAX_WORDS + 1, "{}", f.len());
    }

    #[test]
    fn content_hash_follows_the_feature_set() {
        let mut a = Features::default();
        let mut b = Features::default();
        a.set_indices(&[3, 1, 2]);
        b.set_indices(&[1, 2, 3, 3]);
        assert_eq!(a.content_hash(), b.content_hash());
        b.set_indices(&[1, 2]);
        assert_ne!(a.content_hash(), b.content_hash());
    }
}
