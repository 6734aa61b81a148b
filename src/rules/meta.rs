//! Meta rules: boolean expressions over other rules' results.
//!
//! Grammar (SpamAssassin-like, with a function for "at least N of"):
//! ```text
//! or      := and ('||' and)*
//! and     := unary ('&&' unary)*
//! unary   := '!' unary | primary
//! primary := '(' or ')' | 'atleast' '(' NUMBER (',' or)+ ')' | RULE_ID
//! ```

/// A boolean expression whose leaves are `L` (rule ids when parsed, symbol
/// indices once the engine has resolved them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr<L> {
    /// True when the symbol fired.
    Leaf(L),
    /// `!e`
    Not(Box<Expr<L>>),
    /// `a && b && …`
    And(Vec<Expr<L>>),
    /// `a || b || …`
    Or(Vec<Expr<L>>),
    /// `atleast(N, a, b, …)`: at least N of them hold.
    AtLeast(usize, Vec<Expr<L>>),
}

/// A parsed meta expression over rule ids.
pub type MetaExpr = Expr<String>;

const MAX_DEPTH: usize = 64;

impl<L> Expr<L> {
    /// Every leaf, in order.
    pub fn leaves(&self) -> Vec<&L> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'s>(&'s self, out: &mut Vec<&'s L>) {
        match self {
            Expr::Leaf(l) => out.push(l),
            Expr::Not(e) => e.collect(out),
            Expr::And(es) | Expr::Or(es) | Expr::AtLeast(_, es) => {
                es.iter().for_each(|e| e.collect(out))
            }
        }
    }

    /// The same expression with every leaf mapped (e.g. id → index).
    pub fn try_map<M, E>(&self, f: &mut impl FnMut(&L) -> Result<M, E>) -> Result<Expr<M>, E> {
        Ok(match self {
            Expr::Leaf(l) => Expr::Leaf(f(l)?),
            Expr::Not(e) => Expr::Not(Box::new(e.try_map(f)?)),
            Expr::And(es) => Expr::And(es.iter().map(|e| e.try_map(f)).collect::<Result<_, _>>()?),
            Expr::Or(es) => Expr::Or(es.iter().map(|e| e.try_map(f)).collect::<Result<_, _>>()?),
            Expr::AtLeast(n, es) => Expr::AtLeast(
                *n,
                es.iter().map(|e| e.try_map(f)).collect::<Result<_, _>>()?,
            ),
        })
    }

    /// Evaluates with `fired` telling whether a leaf is true.
    pub fn eval(&self, fired: &impl Fn(&L) -> bool) -> bool {
        match self {
            Expr::Leaf(l) => fired(l),
            Expr::Not(e) => !e.eval(fired),
            Expr::And(es) => es.iter().all(|e| e.eval(fired)),
            Expr::Or(es) => es.iter().any(|e| e.eval(fired)),
            Expr::AtLeast(n, es) => es.iter().filter(|e| e.eval(fired)).count() >= *n,
        }
    }
}

impl MetaExpr {
    /// Parses an expression; the error says what was expected and where.
    pub fn parse(text: &str) -> Result<MetaExpr, String> {
        let tokens = tokenize(text)?;
        let mut parser = Parser {
            tokens,
            pos: 0,
            depth: 0,
        };
        let expr = parser.or()?;
        match parser.tokens.get(parser.pos) {
            None => Ok(expr),
            Some((tok, at)) => Err(format!("unexpected '{tok}' at column {}", at + 1)),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Ident(String),
    Number(usize),
    And,
    Or,
    Not,
    Open,
    Close,
    Comma,
}

impl std::fmt::Display for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Token::Ident(s) => f.write_str(s),
            Token::Number(n) => write!(f, "{n}"),
            Token::And => f.write_str("&&"),
            Token::Or => f.write_str("||"),
            Token::Not => f.write_str("!"),
            Token::Open => f.write_str("("),
            Token::Close => f.write_str(")"),
            Token::Comma => f.write_str(","),
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<(Token, usize)>, String> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let token = match bytes[i] {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'&' if bytes.get(i + 1) == Some(&b'&') => Token::And,
            b'|' if bytes.get(i + 1) == Some(&b'|') => Token::Or,
            b'!' => Token::Not,
            b'(' => Token::Open,
            b')' => Token::Close,
            b',' => Token::Comma,
            b if b.is_ascii_digit() => {
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                let n = text[start..i]
                    .parse()
                    .map_err(|_| format!("number too large at column {}", start + 1))?;
                tokens.push((Token::Number(n), start));
                continue;
            }
            b if b.is_ascii_alphabetic() || b == b'_' => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                tokens.push((Token::Ident(text[start..i].to_string()), start));
                continue;
            }
            _ => return Err(format!("unexpected character at column {}", start + 1)),
        };
        i += if matches!(token, Token::And | Token::Or) {
            2
        } else {
            1
        };
        tokens.push((token, start));
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos).map(|(t, _)| t)
    }

    fn expect(&mut self, want: Token) -> Result<(), String> {
        match self.tokens.get(self.pos) {
            Some((tok, _)) if *tok == want => {
                self.pos += 1;
                Ok(())
            }
            Some((tok, at)) => Err(format!(
                "expected '{want}' but found '{tok}' at column {}",
                at + 1
            )),
            None => Err(format!("expected '{want}' but the expression ended")),
        }
    }

    fn or(&mut self) -> Result<MetaExpr, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("nested deeper than {MAX_DEPTH}"));
        }
        let mut items = vec![self.and()?];
        while self.peek() == Some(&Token::Or) {
            self.pos += 1;
            items.push(self.and()?);
        }
        self.depth -= 1;
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::Or(items)
        })
    }

    fn and(&mut self) -> Result<MetaExpr, String> {
        let mut items = vec![self.unary()?];
        while self.peek() == Some(&Token::And) {
            self.pos += 1;
            items.push(self.unary()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::And(items)
        })
    }

    fn unary(&mut self) -> Result<MetaExpr, String> {
        if self.peek() == Some(&Token::Not) {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<MetaExpr, String> {
        let Some((token, at)) = self.tokens.get(self.pos).cloned() else {
            return Err("expression ended where a rule id was expected".into());
        };
        self.pos += 1;
        match token {
            Token::Open => {
                let inner = self.or()?;
                self.expect(Token::Close)?;
                Ok(inner)
            }
            Token::Ident(name) if name == "atleast" => {
                self.expect(Token::Open)?;
                let n = match self.tokens.get(self.pos) {
                    Some((Token::Number(n), _)) => *n,
                    _ => return Err("atleast( needs a count first".into()),
                };
                self.pos += 1;
                let mut items = Vec::new();
                while self.peek() == Some(&Token::Comma) {
                    self.pos += 1;
                    items.push(self.or()?);
                }
                self.expect(Token::Close)?;
                if items.is_empty() || n == 0 || n > items.len() {
                    return Err(format!(
                        "atleast({n}, …) needs between 1 and {n} or more rule ids",
                        n = n.max(1)
                    ));
                }
                Ok(Expr::AtLeast(n, items))
            }
            Token::Ident(name) => Ok(Expr::Leaf(name)),
            other => Err(format!("unexpected '{other}' at column {}", at + 1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(expr: &str, on: &[&str]) -> bool {
        MetaExpr::parse(expr)
            .unwrap()
            .eval(&|id: &String| on.contains(&id.as_str()))
    }

    #[test]
    fn precedence_and_not() {
        assert!(eval("A || B && C", &["A"]));
        assert!(!eval("(A || B) && C", &["A"]));
        assert!(eval("A && !B", &["A"]));
        assert!(!eval("!!A", &[]));
    }

    #[test]
    fn at_least_counts() {
        assert!(eval("atleast(2, A, B, C)", &["A", "C"]));
        assert!(!eval("atleast(2, A, B, C)", &["B"]));
        assert!(eval("X && atleast(1, A || B, C)", &["X", "B"]));
    }

    #[test]
    fn errors_name_the_column() {
        assert_eq!(
            MetaExpr::parse("A && && B").unwrap_err(),
            "unexpected '&&' at column 6"
        );
        assert!(MetaExpr::parse("A & B").is_err());
        assert!(MetaExpr::parse("atleast(3, A, B)").is_err());
        assert!(MetaExpr::parse("(A").is_err());
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = format!("{}A{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(MetaExpr::parse(&deep).is_err());
    }
}
