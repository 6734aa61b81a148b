//! SMS and MMS texts: ham from everyday phrases, spam from the templates
//! operators see most (prizes, premium-rate calls to action, parcel and bank
//! phishing with shortened or throw-away links).

use super::{sms_payload, Rng, Sample};
use crate::encode::mms::{PartSpec, Pdu};
use crate::ingest::mms::MessageType;
use crate::ingest::Format;

const HAM: &[&str] = &[
    "Running 10 min late, save me a seat",
    "Can you pick up milk and bread on the way home?",
    "Happy birthday! Hope you have a lovely day, see you Saturday",
    "Meeting moved to 3pm, room 2.14. Bring the slides please",
    "Your appointment with Dr Patel is confirmed for Tue 14:30",
    "Ok see you at the station. Text me when the train leaves",
    "Thanks for dinner last night, it was great to catch up",
    "Did you feed the cat? She keeps meowing at the door",
    "Your verification code is 482913. Do not share it with anyone",
    "The plumber says he can come Thursday morning between 8 and 10",
];

const FILLER: &[&str] = &[
    "ok", "thanks", "later", "tomorrow", "love", "call", "when", "home", "work", "soon", "weekend",
    "dinner", "train", "bus", "cheers", "xx", "sure", "maybe", "tonight", "again",
];

const UCS2: &[&str] = &[
    "Привет! Встречаемся завтра в семь у метро, не опаздывай пожалуйста",
    "Καλημέρα! Θα είμαι στο γραφείο μετά τις δέκα, τα λέμε εκεί",
    "明天下午三点在公司楼下见面，记得带上合同和发票，谢谢你",
    "مرحبا، سأصل متأخرا قليلا اليوم بسبب الزحام، انتظرني من فضلك",
    "नमस्ते, कल शाम की बैठक सात बजे होगी, कृपया समय पर आइए",
];

const UCS2_SPAM: &[&str] = &[
    "Поздравляем! Вы выиграли приз 50000 руб. Заберите сейчас: http://{host}/{path}",
    "恭喜您中奖了！请点击 http://{host}/{path} 领取您的奖金，名额有限",
];

/// Spam templates: `{amount}`, `{phone}`, `{short}`, `{host}`, `{path}`, `{code}`.
const SPAM: &[&str] = &[
    "WINNER!! You have won a £{amount} cash prize. To claim call 09{phone} now. T&C apply, 150p/min, 18+ only",
    "URGENT! Your mobile number has been awarded a £{amount} bonus. Claim code {code}. Call 0871{phone} before midnight",
    "Royal Mail: your parcel is on hold due to an unpaid £1.{short} shipping fee. Pay now at http://{host}/{path}",
    "Your bank account has been suspended. Verify your details immediately at https://{host}/login?id={code}",
    "Txt WIN to {short} to claim ur FREE ringtone! Reply STOP to opt out. 150p/msg",
    "You have been pre-approved for a £{amount} loan with no credit check. Apply today: bit.ly/{code}",
    "Hot singles in your area are waiting to chat! Text DATE to {short} now, £3/week",
    "Congratulations, your number won our weekly draw! Claim your gift card at {host}/{path}",
];

const SPAM_TLDS: &[&str] = &["top", "xyz", "click", "info", "shop", "live"];
const SPAM_WORDS: &[&str] = &[
    "now", "free", "urgent", "claim", "today", "offer", "limited", "win", "cash", "prize",
];

pub(super) fn sample(rng: &mut Rng) -> Sample {
    let spam = rng.chance(20);
    let ucs2 = rng.chance(25);
    let (templates, words, len) = match (spam, ucs2) {
        (false, false) => (HAM, FILLER, 160),
        (true, false) => (SPAM, SPAM_WORDS, 160),
        (false, true) => (UCS2, FILLER, 70),
        (true, true) => (UCS2_SPAM, SPAM_WORDS, 70),
    };
    let template = rng.pick(templates).to_string();
    let base = expand(rng, template);
    let text = fill(rng, base, words, len);
    let from = if spam && rng.chance(40) {
        rng.pick(&["PRIZEDESK", "RoyalMail", "SecureBank", "INFO"])
            .to_string()
    } else {
        format!("+4477009{}", rng.digits(5))
    };
    let to = format!("+4477009{}", rng.digits(5));
    let (bytes, format) = sms_payload(&from, &to, &text);
    Sample {
        bytes,
        format,
        spam,
    }
}

/// An MMS as an OMA MMS m-retrieve-conf PDU (what an MMSC hands to the
/// filter): a subject, a short SMIL-less text part of about 480 characters,
/// and for half of them a small image part.
pub(super) fn mms_sample(rng: &mut Rng) -> Sample {
    let spam = rng.chance(20);
    let (subject, templates, words) = if spam {
        ("You are a winner!", SPAM, SPAM_WORDS)
    } else {
        ("Photos from Saturday", HAM, FILLER)
    };
    let template = rng.pick(templates).to_string();
    let base = expand(rng, template);
    let text = fill(rng, base, words, 480);
    let mut pdu = Pdu::new(MessageType::RetrieveConf);
    pdu.from = Some(format!("+4477009{}/TYPE=PLMN", rng.digits(5)));
    pdu.to = vec![format!("+4477009{}/TYPE=PLMN", rng.digits(5))];
    pdu.subject = Some(subject.to_string());
    pdu.parts = vec![PartSpec::text(&text)];
    if rng.chance(50) {
        pdu.parts
            .push(PartSpec::media("image/jpeg", "photo.jpg", vec![0xFF; 64]));
    }
    Sample {
        bytes: pdu.encode(),
        format: Format::Mms,
        spam,
    }
}

/// Fills a template's placeholders with varied values (ham has none).
fn expand(rng: &mut Rng, template: String) -> String {
    let host = format!("{}-{}.{}", rng.token(6), rng.token(4), rng.pick(SPAM_TLDS));
    template
        .replace("{amount}", &format!("{},000", 1 + rng.below(9)))
        .replace("{phone}", &rng.digits(7))
        .replace("{short}", &format!("8{}", rng.digits(4)))
        .replace("{host}", &host)
        .replace("{path}", &rng.token(8))
        .replace("{code}", &rng.token(6).to_uppercase())
}

/// Pads `text` with words to exactly `len` characters (a full segment).
fn fill(rng: &mut Rng, mut text: String, words: &[&str], len: usize) -> String {
    while text.chars().count() < len {
        text.push(' ');
        text.push_str(rng.pick(words));
    }
    let mut text: String = text.chars().take(len).collect();
    if text.ends_with(' ') {
        text.pop();
        text.push('.');
    }
    text
}
