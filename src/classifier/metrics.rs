//! How well a classifier separates spam from ham, in the terms the spam
//! filtering literature reports: SC (spam caught, the true-positive rate),
//! BH (ham blocked, the false-positive rate), accuracy, Matthews correlation
//! and the area under the ROC curve, and SC at the best threshold whose BH
//! stays within a bound, which is how an operator sets a filter.

/// Counts at one threshold. Spam is the positive class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Confusion {
    /// Spam called spam.
    pub spam_caught: u64,
    /// Spam let through.
    pub spam_missed: u64,
    /// Ham called spam.
    pub ham_blocked: u64,
    /// Ham let through.
    pub ham_passed: u64,
}

impl Confusion {
    /// Counts the labelled scores (`true` = spam) at `threshold`: a score
    /// at or above it is called spam.
    pub fn at(scored: &[(f32, bool)], threshold: f32) -> Confusion {
        let mut c = Confusion::default();
        for &(score, spam) in scored {
            match (spam, score >= threshold) {
                (true, true) => c.spam_caught += 1,
                (true, false) => c.spam_missed += 1,
                (false, true) => c.ham_blocked += 1,
                (false, false) => c.ham_passed += 1,
            }
        }
        c
    }

    /// Spam caught, as a fraction of spam (SC; recall).
    pub fn sc(&self) -> f64 {
        ratio(self.spam_caught, self.spam_caught + self.spam_missed)
    }

    /// Ham blocked, as a fraction of ham (BH; false-positive rate).
    pub fn bh(&self) -> f64 {
        ratio(self.ham_blocked, self.ham_blocked + self.ham_passed)
    }

    /// Messages called right, as a fraction of all.
    pub fn accuracy(&self) -> f64 {
        let right = self.spam_caught + self.ham_passed;
        ratio(right, right + self.spam_missed + self.ham_blocked)
    }

    /// Matthews correlation coefficient: 1 perfect, 0 no better than
    /// chance; 0 where a row or column is empty.
    pub fn mcc(&self) -> f64 {
        let (tp, fn_, fp, tn) = (
            self.spam_caught as f64,
            self.spam_missed as f64,
            self.ham_blocked as f64,
            self.ham_passed as f64,
        );
        let denominator = ((tp + fp) * (tp + fn_) * (tn + fp) * (tn + fn_)).sqrt();
        if denominator == 0.0 {
            0.0
        } else {
            (tp * tn - fp * fn_) / denominator
        }
    }
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Area under the ROC curve: the chance that a random spam scores above a
/// random ham, ties counting half. `None` without both classes.
pub fn roc_auc(scored: &[(f32, bool)]) -> Option<f64> {
    let mut sorted: Vec<(f32, bool)> = scored.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let spam = sorted.iter().filter(|s| s.1).count() as f64;
    let ham = sorted.len() as f64 - spam;
    if spam == 0.0 || ham == 0.0 {
        return None;
    }
    // Mann-Whitney U with mid-ranks for ties.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j < sorted.len() && sorted[j].0 == sorted[i].0 {
            j += 1;
        }
        let mid_rank = (i + j + 1) as f64 / 2.0;
        rank_sum += mid_rank * sorted[i..j].iter().filter(|s| s.1).count() as f64;
        i = j;
    }
    Some((rank_sum - spam * (spam + 1.0) / 2.0) / (spam * ham))
}

/// The operating point that catches the most spam while blocking at most
/// `max_bh` of the ham: the lowest threshold whose BH is within the bound.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OperatingPoint {
    /// Scores at or above it are called spam.
    pub threshold: f32,
    /// The counts at that threshold.
    pub confusion: Confusion,
}

/// The best [`OperatingPoint`] with BH ≤ `max_bh`. Thresholds are the
/// scores just above a ham's (a score ≥ threshold is spam), or minus
/// infinity where the bound allows blocking every ham.
pub fn sc_at_bh(scored: &[(f32, bool)], max_bh: f64) -> OperatingPoint {
    let mut ham: Vec<f32> = scored.iter().filter(|s| !s.1).map(|s| s.0).collect();
    ham.sort_by(|a, b| b.total_cmp(a));
    // Blocking the k highest-scoring hams is allowed when k / ham ≤ max_bh;
    // the threshold sits just above the (k+1)-th highest ham score.
    let allowed = (max_bh * ham.len() as f64 + 1e-9).floor() as usize;
    let threshold = ham
        .get(allowed)
        .map_or(f32::NEG_INFINITY, |&score| next_up(score));
    OperatingPoint {
        threshold,
        confusion: Confusion::at(scored, threshold),
    }
}

/// The smallest `f32` above `x` (`f32::next_up` needs Rust 1.86).
fn next_up(x: f32) -> f32 {
    if x.is_nan() || x == f32::INFINITY {
        return x;
    }
    if x == 0.0 {
        return f32::from_bits(1);
    }
    let bits = x.to_bits();
    f32::from_bits(if x > 0.0 { bits + 1 } else { bits - 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confusion_counts_and_rates() {
        let scored = [
            (0.9, true),
            (0.2, true),
            (0.7, false),
            (0.1, false),
            (0.3, false),
        ];
        let c = Confusion::at(&scored, 0.5);
        assert_eq!(
            c,
            Confusion {
                spam_caught: 1,
                spam_missed: 1,
                ham_blocked: 1,
                ham_passed: 2
            }
        );
        assert_eq!(c.sc(), 0.5);
        assert!((c.bh() - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(c.accuracy(), 0.6);
        // (1*2 - 1*1) / sqrt(2*2*3*3)
        assert!((c.mcc() - 1.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn mcc_of_perfect_and_degenerate_splits() {
        let perfect = Confusion {
            spam_caught: 5,
            ham_passed: 5,
            ..Confusion::default()
        };
        assert_eq!(perfect.mcc(), 1.0);
        assert_eq!(Confusion::default().mcc(), 0.0);
    }

    #[test]
    fn auc_of_separated_reversed_and_tied_scores() {
        let separated = [(0.9, true), (0.8, true), (0.1, false), (0.2, false)];
        assert_eq!(roc_auc(&separated), Some(1.0));
        let reversed = [(0.1, true), (0.9, false)];
        assert_eq!(roc_auc(&reversed), Some(0.0));
        let tied = [(0.5, true), (0.5, false)];
        assert_eq!(roc_auc(&tied), Some(0.5));
        // One spam above two of three hams: 2/3.
        let partial = [(0.5, true), (0.4, false), (0.3, false), (0.6, false)];
        assert!((roc_auc(&partial).unwrap() - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(roc_auc(&[(0.5, true)]), None);
    }

    #[test]
    fn sc_at_bh_respects_the_bound() {
        // 10 hams 0.0..0.9, spams at 0.95, 0.85, 0.5.
        let mut scored: Vec<(f32, bool)> = (0..10).map(|i| (i as f32 / 10.0, false)).collect();
        scored.extend([(0.95, true), (0.85, true), (0.5, true)]);
        let strict = sc_at_bh(&scored, 0.0);
        assert_eq!(strict.confusion.ham_blocked, 0);
        assert_eq!(strict.confusion.spam_caught, 1);
        let one_in_ten = sc_at_bh(&scored, 0.1);
        assert_eq!(one_in_ten.confusion.ham_blocked, 1);
        assert_eq!(one_in_ten.confusion.spam_caught, 2);
        let all = sc_at_bh(&scored, 1.0);
        assert_eq!(all.confusion.spam_caught, 3);
    }

    #[test]
    fn sc_at_bh_with_tied_ham_never_exceeds_the_bound() {
        let scored = [(0.9, false), (0.9, false), (0.9, true), (0.1, false)];
        let point = sc_at_bh(&scored, 0.4);
        assert!(point.confusion.bh() <= 0.4);
        assert_eq!(point.confusion.spam_caught, 0);
    }
}
