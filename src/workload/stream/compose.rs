//! Who sends what: each planned message made into a sender, a recipient, a
//! text and its truth, as the stream is written.
//!
//! Every choice derives from the seed and the message's position (or the
//! campaign and copy), never from what was drawn for an earlier message, so
//! a message is the same whatever else the stream holds.

use std::borrow::Cow;
use std::fmt::Write as _;

use super::super::Rng;
use super::timeline::{Event, Kind};
use super::{mix, mutate, Stream};
use crate::message::Channel;

/// The A2P sender ids of solicited SMS, and what each sends (`{code}` a
/// fresh six-digit code, `{ref}` a parcel reference): what an operator
/// registers and exempts from bulk detection.
pub const A2P_SENDERS: &[(&str, &str)] = &[
    (
        "VERIFY",
        "Your verification code is {code}. It expires in 10 minutes. Do not share it with anyone.",
    ),
    (
        "MyBank",
        "MyBank: {code} is your one-time passcode to approve a card payment. Not you? Call us on the number on your card.",
    ),
    (
        "ParcelCo",
        "ParcelCo: parcel {ref} arrives today. Your delivery PIN is {code}. Manage it at parcelco.example/d/{ref}",
    ),
];

/// The mailing lists that send solicited mail: name and List-Id.
const LISTS: &[(&str, &str)] = &[
    ("announce", "announce.lists.example"),
    ("digest", "digest.lists.example"),
    ("community", "community.lists.example"),
];

/// Random recipients are drawn from this many subscribers.
const POPULATION: u64 = 50_000_000;

/// What the fan-out flood's one sender sends to everyone.
const FANOUT_TEXT: &str =
    "Hi! A friend sent you a gift card. Claim it before midnight at https://gift-card.example/claim";

/// One message's content and truth (sender and recipient are in the
/// [`Composer`], reused from message to message).
pub struct Composed<'a> {
    /// `ham` or `campaign`.
    pub label: &'static str,
    /// Campaign id from 1; 0 for ham.
    pub campaign: u64,
    /// Copy number from 1 (campaigns only).
    pub copy: u64,
    /// The truth file's kind column.
    pub kind: &'static str,
    pub subject: Option<Cow<'a, str>>,
    pub text: Cow<'a, str>,
    /// The List-Id of a list post.
    pub list: Option<&'static str>,
    /// A number unique to the message (its Message-ID).
    pub id: u64,
}

/// Makes the messages of one stream in order, keeping what the order needs:
/// which ham texts were sent already.
pub struct Composer<'a> {
    stream: &'a Stream,
    /// The current message's sender and recipient.
    pub sender: String,
    pub recipient: String,
    /// Which supply texts were sent already: a second use is a repeat.
    used: Vec<bool>,
    /// Ordinary ham messages made so far.
    ham_seen: usize,
    /// Ham messages (and list posts) that repeated a text.
    pub repeats: usize,
}

impl<'a> Composer<'a> {
    pub fn new(stream: &'a Stream) -> Composer<'a> {
        Composer {
            stream,
            sender: String::new(),
            recipient: String::new(),
            used: vec![false; stream.supply.ham.len()],
            ham_seen: 0,
            repeats: 0,
        }
    }

    /// Message `index` of the stream, planned as `event`.
    pub fn compose(&mut self, index: usize, event: &Event) -> Composed<'a> {
        self.sender.clear();
        self.recipient.clear();
        let id = mix(self.stream.config.seed ^ (index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let email = self.email();
        match event.kind {
            Kind::Ham { pair, reverse } => self.ham(id, pair, reverse),
            Kind::Solicited { post, member } if email => self.list_post(id, post, member),
            Kind::Solicited { .. } => self.one_time_password(id),
            Kind::Copy { copy, .. } if self.stream.config.flood.is_some() => self.fanout(id, copy),
            Kind::Copy { campaign, copy } => self.copy(id, campaign, copy),
            Kind::Flood => self.flood(id, index),
        }
    }

    fn email(&self) -> bool {
        self.stream.config.channel == Channel::Email
    }

    fn ham(&mut self, id: u64, pair: u32, reverse: bool) -> Composed<'a> {
        let (a, b) = self.pair(u64::from(pair));
        let (from, to) = if reverse { (b, a) } else { (a, b) };
        address(self.email(), subscriber(from), &mut self.sender);
        address(self.email(), subscriber(to), &mut self.recipient);
        let slot = self.stream.ham_slots[self.ham_seen] as usize;
        self.ham_seen += 1;
        let repeat = std::mem::replace(&mut self.used[slot], true);
        self.repeats += usize::from(repeat);
        let text = &self.stream.supply.ham[slot];
        Composed {
            label: "ham",
            campaign: 0,
            copy: 0,
            kind: if repeat { "repeat" } else { "subscriber" },
            subject: text.subject.as_deref().map(Cow::Borrowed),
            text: Cow::Borrowed(&text.body),
            list: None,
            id,
        }
    }

    /// Delivery `member` of list post `post`: a ham mail (taken from the
    /// supply after the ordinary ham's) to each of a list's members.
    fn list_post(&mut self, id: u64, post: u32, member: u32) -> Composed<'a> {
        let seed = self.stream.config.seed;
        let list = post as usize % LISTS.len();
        let (name, list_id) = LISTS[list];
        let _ = write!(self.sender, "{name}-bounces@lists.example");
        let who = mix(seed ^ (list as u64) << 40 ^ u64::from(member));
        address(true, subscriber(who % POPULATION), &mut self.recipient);
        let supply = &self.stream.supply.ham;
        let slot = (self.stream.plan.ham + post as usize) % supply.len();
        if member == 0 && std::mem::replace(&mut self.used[slot], true) {
            self.repeats += 1;
        }
        let text = &supply[slot];
        let subject = format!("[{name}] {}", text.subject.as_deref().unwrap_or(""));
        Composed {
            label: "ham",
            campaign: 0,
            copy: 0,
            kind: "solicited",
            subject: Some(Cow::Owned(subject)),
            text: Cow::Borrowed(&text.body),
            list: Some(list_id),
            id,
        }
    }

    fn one_time_password(&mut self, id: u64) -> Composed<'a> {
        let mut rng = Rng::new(id);
        let (name, template) = A2P_SENDERS[rng.below(A2P_SENDERS.len())];
        self.sender.push_str(name);
        address(false, subscriber(id % POPULATION), &mut self.recipient);
        let text = template
            .replace("{code}", &rng.digits(6))
            .replace("{ref}", &rng.token(10).to_uppercase());
        Composed {
            label: "ham",
            campaign: 0,
            copy: 0,
            kind: "solicited",
            subject: None,
            text: Cow::Owned(text),
            list: None,
            id,
        }
    }

    fn copy(&mut self, id: u64, campaign: u16, copy: u32) -> Composed<'a> {
        let seed = self.stream.config.seed;
        let plan = &self.stream.plan.campaigns[campaign as usize];
        let copy = u64::from(copy);
        // Every sender of the pool sends, then any of them.
        let senders = plan.senders as u64;
        let who = match copy < senders {
            true => copy,
            false => mix(seed ^ u64::from(campaign) << 48 ^ copy) % senders,
        };
        self.campaign_sender(campaign, who);
        let number = match plan.sequential {
            true => (plan.recipient_base + copy) % 1_000_000_000,
            false => subscriber(id % POPULATION),
        };
        address(self.email(), number, &mut self.recipient);
        let template = &self.stream.supply.spam[campaign as usize];
        let synonyms = &self.stream.synonyms;
        let mut rng = Rng::new(mix(seed ^ 0xc0b1 ^ u64::from(campaign) << 40 ^ copy));
        let text = mutate::copy(&template.body, &mut rng, synonyms);
        let subject = template.subject.as_deref().map(|s| {
            let s = mutate::swap_synonyms(s, &mut rng, synonyms, 50);
            Cow::Owned(mutate::personalise_numbers(&s, &mut rng))
        });
        Composed {
            label: "campaign",
            campaign: u64::from(campaign) + 1,
            copy: copy + 1,
            kind: if plan.sequential {
                "sequential"
            } else {
                "random"
            },
            subject,
            text: Cow::Owned(text),
            list: None,
            id,
        }
    }

    fn fanout(&mut self, id: u64, copy: u32) -> Composed<'a> {
        address(self.email(), subscriber(999_999_999), &mut self.sender);
        address(
            self.email(),
            subscriber(u64::from(copy)),
            &mut self.recipient,
        );
        Composed {
            label: "campaign",
            campaign: 1,
            copy: u64::from(copy) + 1,
            kind: "fanout",
            subject: self.email().then_some(Cow::Borrowed("A gift for you")),
            text: Cow::Borrowed(FANOUT_TEXT),
            list: None,
            id,
        }
    }

    fn flood(&mut self, id: u64, index: usize) -> Composed<'a> {
        address(self.email(), subscriber(id % POPULATION), &mut self.sender);
        address(
            self.email(),
            subscriber(mix(id) % POPULATION),
            &mut self.recipient,
        );
        Composed {
            label: "ham",
            campaign: 0,
            copy: 0,
            kind: "flood",
            subject: self.email().then_some(Cow::Borrowed("hello")),
            text: Cow::Owned(random_text(&mut Rng::new(id), index)),
            list: None,
            id,
        }
    }

    /// The two subscribers of conversation pair `pair`.
    fn pair(&self, pair: u64) -> (u64, u64) {
        let (seed, n) = (self.stream.config.seed, self.stream.plan.subscribers);
        let a = mix(seed ^ pair << 1) % n;
        let b = mix(seed ^ (pair << 1 | 1)) % n;
        (a, if a == b { (b + 1) % n } else { b })
    }

    /// Sender `who` of `campaign`: SIM-farm numbers for SMS, throw-away
    /// addresses (about fifty to a domain) for mail.
    fn campaign_sender(&mut self, campaign: u16, who: u64) {
        let base = 200_000_000 + u64::from(campaign) * 10_000 + who;
        if !self.email() {
            let _ = write!(self.sender, "+447{:09}", subscriber(base));
            return;
        }
        let seed = self.stream.config.seed;
        let mut local = Rng::new(mix(seed ^ 0x10ca1 ^ base));
        let mut domain = Rng::new(mix(seed ^ 0xd0a1 ^ (base / 50)));
        let (l, d) = (5 + local.below(6), 5 + domain.below(8));
        let _ = write!(
            self.sender,
            "{}@{}.{}",
            local.token(l),
            domain.token(d),
            domain.pick(&["top", "xyz", "info", "online", "site"])
        );
    }
}

/// Subscriber `id`'s number: ids map one-to-one onto nine digits (3^18 is
/// prime to 10^9), so distinct ids never share a number and neighbours
/// are not adjacent numbers.
fn subscriber(id: u64) -> u64 {
    (id % 1_000_000_000 * 387_420_489 + 12_345) % 1_000_000_000
}

/// Number `n` as an MSISDN or, for mail, as an ordinary mailbox.
fn address(email: bool, n: u64, out: &mut String) {
    let _ = match email {
        true => write!(out, "user{n:09}@mail{}.example", n / 1000 % 7),
        false => write!(out, "+447{n:09}"),
    };
}

/// A random text of 20 to 160 characters, distinct from every other by the
/// message number written into it.
fn random_text(rng: &mut Rng, n: usize) -> String {
    let target = 20 + rng.below(141);
    let mut text = String::with_capacity(target + 12);
    let mut mark = n;
    loop {
        text.push(char::from(b'a' + (mark % 26) as u8));
        mark /= 26;
        if mark == 0 {
            break;
        }
    }
    while text.len() < target {
        text.push(' ');
        let len = 2 + rng.below(8);
        text.push_str(&rng.token(len));
    }
    text
}
