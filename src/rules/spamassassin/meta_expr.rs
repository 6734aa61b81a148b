//! SpamAssassin meta expressions into floodwall's boolean ones.
//!
//! SpamAssassin evaluates a meta rule as Perl arithmetic over the rules'
//! hit counts (`(A + B + C) > 1`, `A && !B`, `(A || B) + C >= 2`) and fires
//! it when the result is not zero. floodwall's meta rules are boolean with
//! `atleast(N, ...)`. For boolean operands the two say the same: a sum of
//! rules compared with a constant is "at least k of them" (a weight w
//! repeats an operand w times; `-w*A` is `w*!A - w`), `!` of a sum is "none
//! of them", `*` of two operands is `&&`. The translation keeps that
//! meaning exactly and refuses what it cannot keep (fractional weights,
//! products of sums).
//!
//! Operands that SpamAssassin would see as 0 on every message (rules not
//! defined, not imported, or disabled by a zero score) fold away as
//! constants, so the written expression names only rules that exist.
//! One difference remains, documented: a rule with `tflags multiple` counts
//! its hits in SpamAssassin's arithmetic; floodwall counts it once.

use crate::rules::meta::Expr;

/// A boolean expression with constants, folded as it is built.
#[derive(Clone, Debug, PartialEq)]
pub enum Cond {
    /// A constant.
    Const(bool),
    /// A floodwall expression (no constants inside).
    Expr(Expr<String>),
}

impl Cond {
    fn not(self) -> Cond {
        match self {
            Cond::Const(b) => Cond::Const(!b),
            Cond::Expr(Expr::Not(inner)) => Cond::Expr(*inner),
            Cond::Expr(e) => Cond::Expr(Expr::Not(Box::new(e))),
        }
    }

    /// At least `k` of `items` hold.
    pub fn at_least(k: i64, items: Vec<Cond>) -> Cond {
        let mut k = k;
        let mut rest = Vec::new();
        for item in items {
            match item {
                Cond::Const(true) => k -= 1,
                Cond::Const(false) => {}
                Cond::Expr(e) => rest.push(e),
            }
        }
        if k <= 0 {
            return Cond::Const(true);
        }
        let k = k as usize;
        if k > rest.len() {
            return Cond::Const(false);
        }
        Cond::Expr(match (k, rest.len()) {
            (_, 1) => rest.remove(0),
            (1, _) if all_distinct(&rest) => Expr::Or(flatten(rest, true)),
            (k, n) if k == n && all_distinct(&rest) => Expr::And(flatten(rest, false)),
            (k, _) => Expr::AtLeast(k, rest),
        })
    }

    fn and(a: Cond, b: Cond) -> Cond {
        Cond::at_least(2, vec![a, b])
    }

    fn or(a: Cond, b: Cond) -> Cond {
        Cond::at_least(1, vec![a, b])
    }
}

/// `a || (b || c)` as `a || b || c` (and the same for `&&`), so that long
/// chains do not nest deeper than floodwall's parser allows.
fn flatten(items: Vec<Expr<String>>, or: bool) -> Vec<Expr<String>> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Expr::Or(inner) if or => out.extend(inner),
            Expr::And(inner) if !or => out.extend(inner),
            other => out.push(other),
        }
    }
    out
}

fn all_distinct(items: &[Expr<String>]) -> bool {
    items
        .iter()
        .enumerate()
        .all(|(i, a)| items[..i].iter().all(|b| a != b))
}

/// A value in SpamAssassin's arithmetic: `constant + Σ weight·operand`.
#[derive(Clone, Debug, PartialEq)]
struct Linear {
    constant: f64,
    terms: Vec<(f64, Cond)>,
}

impl Linear {
    fn constant(c: f64) -> Linear {
        Linear {
            constant: c,
            terms: Vec::new(),
        }
    }

    fn of(cond: Cond) -> Linear {
        match cond {
            Cond::Const(b) => Linear::constant(f64::from(u8::from(b))),
            c => Linear {
                constant: 0.0,
                terms: vec![(1.0, c)],
            },
        }
    }

    fn scale(mut self, by: f64) -> Linear {
        self.constant *= by;
        self.terms.iter_mut().for_each(|(w, _)| *w *= by);
        self
    }

    fn add(mut self, other: Linear) -> Linear {
        self.constant += other.constant;
        self.terms.extend(other.terms);
        self
    }

    /// `self > 0`, `>= 0` and so on, as "at least k" of repeated operands.
    fn compare_zero(self, op: &str) -> Result<Cond, String> {
        // Make every weight positive: -w·A = w·!A - w.
        let mut constant = self.constant;
        let mut weighted = Vec::new();
        for (w, cond) in self.terms {
            if w == 0.0 {
                continue;
            }
            if w < 0.0 {
                constant += w;
                weighted.push((-w, cond.not()));
            } else {
                weighted.push((w, cond));
            }
        }
        // Scale fractional weights (0.5, 1.4) to whole ones; the comparison
        // with 0 keeps its truth under a positive factor.
        let whole = |x: f64| (x - x.round()).abs() < 1e-9;
        let scale = (1..=100u32)
            .map(f64::from)
            .find(|d| weighted.iter().all(|(w, _)| whole(w * d)))
            .ok_or("weights are not fractions with a small denominator")?;
        constant *= scale;
        let mut items = Vec::new();
        for (w, cond) in weighted {
            let times = (w * scale).round() as usize;
            if items.len() + times > 256 {
                return Err("weights too large to spell as atleast()".into());
            }
            items.extend(std::iter::repeat_n(cond, times));
        }
        // Σ items + constant OP 0  ⇔  Σ items OP -constant.
        let bound = -constant;
        let at_least = |k: f64| Cond::at_least(k as i64, items.clone());
        Ok(match op {
            ">" => at_least(bound.floor() + 1.0),
            ">=" => at_least(bound.ceil()),
            "<" => at_least(bound.ceil()).not(),
            "<=" => at_least(bound.floor() + 1.0).not(),
            "==" | "!=" => {
                let equal = if bound.fract() != 0.0 {
                    Cond::Const(false)
                } else {
                    Cond::and(at_least(bound), at_least(bound + 1.0).not())
                };
                if op == "==" {
                    equal
                } else {
                    equal.not()
                }
            }
            other => return Err(format!("unknown comparison '{other}'")),
        })
    }

    fn truthy(self) -> Result<Cond, String> {
        match self.terms.as_slice() {
            [] => Ok(Cond::Const(self.constant != 0.0)),
            [(w, c)] if self.constant == 0.0 && *w != 0.0 => Ok(c.clone()),
            _ => self.compare_zero("!="),
        }
    }
}

/// A parsed value: boolean operations keep [`Cond`]s, arithmetic keeps sums.
enum Value {
    Cond(Cond),
    Linear(Linear),
}

impl Value {
    fn cond(self) -> Result<Cond, String> {
        match self {
            Value::Cond(c) => Ok(c),
            Value::Linear(l) => l.truthy(),
        }
    }

    fn linear(self) -> Linear {
        match self {
            Value::Cond(c) => Linear::of(c),
            Value::Linear(l) => l,
        }
    }
}

/// Translates `expr`; `operand` gives each rule name's condition
/// (`Const(false)` for rules SpamAssassin would not have run).
pub fn translate(expr: &str, operand: &mut dyn FnMut(&str) -> Cond) -> Result<Cond, String> {
    let tokens = tokenize(expr)?;
    let mut parser = Parser {
        tokens,
        pos: 0,
        depth: 0,
        operand,
    };
    let value = parser.binary(0)?;
    if parser.pos != parser.tokens.len() {
        return Err(format!(
            "unexpected '{}' in meta expression",
            parser.tokens[parser.pos]
        ));
    }
    value.cond()
}

fn tokenize(text: &str) -> Result<Vec<String>, String> {
    const OPS: &[&str] = &[
        "&&", "||", ">=", "<=", "==", "!=", "(", ")", "<", ">", "!", "+", "-", "*", "/",
    ];
    let mut out = Vec::new();
    let mut rest = text.trim_start();
    'next: while !rest.is_empty() {
        for op in OPS {
            if let Some(after) = rest.strip_prefix(op) {
                out.push(op.to_string());
                rest = after.trim_start();
                continue 'next;
            }
        }
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(rest.len());
        if len == 0 {
            return Err(format!("unexpected '{}' in meta expression", &rest[..1]));
        }
        out.push(rest[..len].to_string());
        rest = rest[len..].trim_start();
    }
    Ok(out)
}

struct Parser<'f> {
    tokens: Vec<String>,
    pos: usize,
    depth: usize,
    operand: &'f mut dyn FnMut(&str) -> Cond,
}

/// Perl's precedence, loosest first.
const LEVELS: &[&[&str]] = &[
    &["||"],
    &["&&"],
    &["==", "!="],
    &["<", ">", "<=", ">="],
    &["+", "-"],
    &["*", "/"],
];

impl Parser<'_> {
    fn binary(&mut self, level: usize) -> Result<Value, String> {
        if level == LEVELS.len() {
            return self.unary();
        }
        let mut lhs = self.binary(level + 1)?;
        while let Some(op) = self
            .tokens
            .get(self.pos)
            .filter(|t| LEVELS[level].contains(&t.as_str()))
            .cloned()
        {
            self.pos += 1;
            let rhs = self.binary(level + 1)?;
            lhs = combine(&op, lhs, rhs)?;
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Value, String> {
        self.depth += 1;
        if self.depth > 128 {
            return Err("meta expression nested too deeply".into());
        }
        let token = self
            .tokens
            .get(self.pos)
            .cloned()
            .ok_or("meta expression ends too early")?;
        self.pos += 1;
        let value = match token.as_str() {
            "!" => Value::Cond(self.unary()?.cond()?.not()),
            "-" => Value::Linear(self.unary()?.linear().scale(-1.0)),
            "(" => {
                let inner = self.binary(0)?;
                if self.tokens.get(self.pos).map(String::as_str) != Some(")") {
                    return Err("missing ')' in meta expression".into());
                }
                self.pos += 1;
                inner
            }
            t if t.starts_with(|c: char| c.is_ascii_digit() || c == '.') => {
                let n: f64 = t.parse().map_err(|_| format!("bad number '{t}'"))?;
                Value::Linear(Linear::constant(n))
            }
            t if t.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') => {
                Value::Cond((self.operand)(t))
            }
            t => return Err(format!("unexpected '{t}' in meta expression")),
        };
        self.depth -= 1;
        Ok(value)
    }
}

fn combine(op: &str, lhs: Value, rhs: Value) -> Result<Value, String> {
    Ok(match op {
        "||" => Value::Cond(Cond::or(lhs.cond()?, rhs.cond()?)),
        "&&" => Value::Cond(Cond::and(lhs.cond()?, rhs.cond()?)),
        "+" => Value::Linear(lhs.linear().add(rhs.linear())),
        "-" => Value::Linear(lhs.linear().add(rhs.linear().scale(-1.0))),
        "*" | "/" => {
            let (a, b) = (lhs.linear(), rhs.linear());
            match (a.terms.is_empty(), b.terms.is_empty(), op) {
                (_, true, "/") if b.constant != 0.0 => Value::Linear(a.scale(1.0 / b.constant)),
                (true, _, "*") => Value::Linear(b.scale(a.constant)),
                (_, true, "*") => Value::Linear(a.scale(b.constant)),
                (false, false, "*") if is_single(&a) && is_single(&b) => {
                    Value::Cond(Cond::and(a.truthy()?, b.truthy()?))
                }
                _ => return Err(format!("'{op}' of two rule sums is not supported")),
            }
        }
        cmp => Value::Cond(
            lhs.linear()
                .add(rhs.linear().scale(-1.0))
                .compare_zero(cmp)?,
        ),
    })
}

fn is_single(l: &Linear) -> bool {
    l.constant == 0.0 && l.terms.len() == 1 && l.terms[0].0 == 1.0
}

/// The expression as floodwall's meta syntax writes it.
pub fn to_text(expr: &Expr<String>) -> String {
    fn write(e: &Expr<String>, out: &mut String, nested: bool) {
        let list = |es: &[Expr<String>], sep: &str, out: &mut String| {
            for (i, e) in es.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                write(e, out, true);
            }
        };
        match e {
            Expr::Leaf(id) => out.push_str(id),
            Expr::Not(inner) => {
                out.push('!');
                write(inner, out, true);
            }
            Expr::And(es) | Expr::Or(es) => {
                let sep = if matches!(e, Expr::And(_)) {
                    " && "
                } else {
                    " || "
                };
                if nested {
                    out.push('(');
                }
                list(es, sep, out);
                if nested {
                    out.push(')');
                }
            }
            Expr::AtLeast(n, es) => {
                out.push_str(&format!("atleast({n}, "));
                list(es, ", ", out);
                out.push(')');
            }
        }
    }
    let mut out = String::new();
    write(expr, &mut out, false);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::MetaExpr;

    /// Translates with `OFF` as a rule SpamAssassin would not run.
    fn tr(expr: &str) -> Result<String, String> {
        let cond = translate(expr, &mut |name| match name {
            "OFF" => Cond::Const(false),
            n => Cond::Expr(Expr::Leaf(n.to_string())),
        })?;
        Ok(match cond {
            Cond::Const(b) => b.to_string(),
            Cond::Expr(e) => to_text(&e),
        })
    }

    /// Evaluates an expression as Perl would, on 0/1 operands.
    fn perl_eval(expr: &str, on: &[&str]) -> bool {
        let names = ["A", "B", "C", "D"];
        let mut text = expr.to_string();
        for n in names {
            text = text.replace(n, if on.contains(&n) { "1" } else { "0" });
        }
        text = text.replace("OFF", "0");
        // A tiny evaluator of the translated-free form via our own parser
        // over constants: every operand is now a number.
        match translate(&text, &mut |_| Cond::Const(false)).unwrap() {
            Cond::Const(b) => b,
            Cond::Expr(_) => unreachable!("constants fold"),
        }
    }

    #[test]
    fn translations_read_as_expected() {
        assert_eq!(tr("A && !B").unwrap(), "A && !B");
        assert_eq!(tr("(A + B + C) > 1").unwrap(), "atleast(2, A, B, C)");
        assert_eq!(tr("A + B + C >= 3").unwrap(), "A && B && C");
        assert_eq!(tr("(A || B) + C > 1").unwrap(), "(A || B) && C");
        assert_eq!(tr("A && OFF").unwrap(), "false");
        assert_eq!(tr("A || OFF").unwrap(), "A");
        assert_eq!(tr("!OFF").unwrap(), "true");
        assert_eq!(tr("(A + OFF + B) > 1").unwrap(), "A && B");
        assert_eq!(tr("A - B > 0").unwrap(), "A && !B");
        assert_eq!(tr("2 * A + B > 1").unwrap(), "atleast(2, A, A, B)");
        assert_eq!(tr("(A + B) < 1").unwrap(), "!(A || B)");
        assert_eq!(tr("0.5 * A + 0.5 * B > 0.6").unwrap(), "A && B");
        assert!(tr("A / 3.14159 > 0").is_err());
        assert!(tr("(A + B) * (C + D) > 1").is_err());
        assert!(tr("A &").is_err());
        assert!(tr(&"(".repeat(300)).is_err());
    }

    #[test]
    fn translations_agree_with_perl_arithmetic_on_every_assignment() {
        let exprs = [
            "(A + B + C) > 1",
            "A + B + C + D >= 2",
            "(A || B) + C + !D > 1",
            "A - B + C == 1",
            "A + B != 1",
            "(A + B) < 2 && (C || D)",
            "2 * A + B - C >= 2",
            "A * B || !(C + D)",
            "(A + OFF + B) <= 1",
            "A + B / 2 > 0",
        ];
        let names = ["A", "B", "C", "D"];
        for expr in exprs {
            let cond = translate(expr, &mut |name| match name {
                "OFF" => Cond::Const(false),
                n => Cond::Expr(Expr::Leaf(n.to_string())),
            })
            .unwrap();
            // Round-trip through floodwall's own parser and evaluator.
            let parsed = match &cond {
                Cond::Expr(e) => Some(MetaExpr::parse(&to_text(e)).unwrap()),
                Cond::Const(_) => None,
            };
            for mask in 0..16u32 {
                let on: Vec<&str> = (0..4)
                    .filter(|i| mask & (1 << i) != 0)
                    .map(|i| names[i])
                    .collect();
                let ours = match (&cond, &parsed) {
                    (Cond::Const(b), _) => *b,
                    (_, Some(p)) => p.eval(&|id: &String| on.contains(&id.as_str())),
                    _ => unreachable!(),
                };
                assert_eq!(ours, perl_eval(expr, &on), "{expr} on {on:?}");
            }
        }
    }
}
