//! Consistency rules declared in a schema and checked on every data file: amounts that must add
//! up, dates that must be in order. A rule is a comparison of two arithmetic expressions over
//! data paths:
//!
//! ```toml
//! [[rule]]
//! name = "payments add up"
//! check = "payment.first.amount + payment.monthly.count * payment.monthly.amount == payment.total"
//! message = "the first payment and the monthly instalments must add up to the total"
//! ```
//!
//! Operators: `+ - *`, parentheses, decimal literals, and `== != < <= > >=`; dates compare with
//! dates. A rule whose paths are not all set in the data (optional fields) is skipped.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Deserialize;

use super::Value;

/// A rule as declared in a schema.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// A short name, shown in messages.
    pub name: String,
    /// The comparison that must hold.
    pub check: String,
    /// What it means, for people.
    pub message: String,
    /// `error` (default) or `warning`.
    #[serde(default)]
    pub severity: RuleSeverity,
    /// The comparison, parsed once when the schema is loaded.
    #[serde(skip)]
    pub parsed: Option<Check>,
}

/// How a broken rule is reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleSeverity {
    /// The data is refused (the default).
    #[default]
    Error,
    /// The data is rendered and `check` says what is wrong.
    Warning,
}

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A number.
    Number(Decimal),
    /// A data path.
    Path(String),
    /// A binary operation.
    Op(Box<Expr>, char, Box<Expr>),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl fmt::Display for Cmp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Cmp::Eq => "==",
            Cmp::Ne => "!=",
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
        })
    }
}

/// A parsed rule: `left cmp right`.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// Left side.
    pub left: Expr,
    /// The comparison.
    pub cmp: Cmp,
    /// Right side.
    pub right: Expr,
}

/// How deeply parentheses may nest in a rule: the parser recurses once per level.
pub const MAX_DEPTH: usize = 32;

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn skip(&mut self) {
        while self.s.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i = self.i.saturating_add(1);
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip();
        self.s.get(self.i).copied()
    }

    fn sum(&mut self) -> Result<Expr, String> {
        let mut left = self.product()?;
        while let Some(c @ (b'+' | b'-')) = self.peek() {
            self.bump(1);
            let right = self.product()?;
            left = Expr::Op(Box::new(left), c as char, Box::new(right));
        }
        Ok(left)
    }

    fn product(&mut self) -> Result<Expr, String> {
        let mut left = self.atom()?;
        while let Some(b'*') = self.peek() {
            self.bump(1);
            let right = self.atom()?;
            left = Expr::Op(Box::new(left), '*', Box::new(right));
        }
        Ok(left)
    }

    /// Move past `n` bytes.
    fn bump(&mut self, n: usize) {
        self.i = self.i.saturating_add(n).min(self.s.len());
    }

    /// The 1-based column of the current byte, for messages.
    fn column(&self) -> usize {
        self.i.saturating_add(1)
    }

    /// The bytes from `start` to the current one.
    fn taken(&self, start: usize) -> &[u8] {
        self.s.get(start..self.i).unwrap_or_default()
    }

    /// Move past every byte that `keep` accepts.
    fn take_while(&mut self, keep: impl Fn(u8) -> bool) {
        while self.s.get(self.i).is_some_and(|&b| keep(b)) {
            self.bump(1);
        }
    }

    fn atom(&mut self) -> Result<Expr, String> {
        match self.peek() {
            Some(b'(') => {
                if self.depth >= MAX_DEPTH {
                    return Err(format!(
                        "parentheses nested more than {MAX_DEPTH} deep at {}",
                        self.column()
                    ));
                }
                self.bump(1);
                self.depth = self.depth.saturating_add(1);
                let e = self.sum()?;
                self.depth = self.depth.saturating_sub(1);
                if self.peek() != Some(b')') {
                    return Err(format!("expected `)` at {}", self.column()));
                }
                self.bump(1);
                Ok(e)
            }
            Some(c) if c.is_ascii_digit() => {
                let start = self.i;
                self.take_while(|b| b.is_ascii_digit() || b == b'.');
                let text = std::str::from_utf8(self.taken(start)).unwrap_or("");
                Decimal::from_str(text)
                    .map(Expr::Number)
                    .map_err(|_| format!("bad number `{text}`"))
            }
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                let start = self.i;
                self.take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
                Ok(Expr::Path(
                    String::from_utf8_lossy(self.taken(start)).to_string(),
                ))
            }
            Some(c) => Err(format!("unexpected `{}` at {}", c as char, self.column())),
            None => Err("unexpected end".into()),
        }
    }

    fn cmp(&mut self) -> Result<Cmp, String> {
        self.skip();
        let rest = self.s.get(self.i..).unwrap_or_default();
        let (cmp, len) = if rest.starts_with(b"==") {
            (Cmp::Eq, 2)
        } else if rest.starts_with(b"!=") {
            (Cmp::Ne, 2)
        } else if rest.starts_with(b"<=") {
            (Cmp::Le, 2)
        } else if rest.starts_with(b">=") {
            (Cmp::Ge, 2)
        } else if rest.starts_with(b"<") {
            (Cmp::Lt, 1)
        } else if rest.starts_with(b">") {
            (Cmp::Gt, 1)
        } else {
            return Err(format!(
                "expected a comparison (==, <=, …) at {}",
                self.column()
            ));
        };
        self.bump(len);
        Ok(cmp)
    }
}

/// The longest rule accepted, in bytes (evaluation recurses once per operator).
pub const MAX_LEN: usize = 1_000;

/// Run `parse` over the whole of `text` (a rule or an expression, `what` in messages): within
/// the length limit, and nothing left over.
fn whole<T>(
    text: &str,
    what: &str,
    parse: impl FnOnce(&mut Parser<'_>) -> Result<T, String>,
) -> Result<T, String> {
    if text.len() > MAX_LEN {
        return Err(format!(
            "the {what} is {} bytes long; the limit is {MAX_LEN}",
            text.len()
        ));
    }
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
        depth: 0,
    };
    let out = parse(&mut p)?;
    if p.peek().is_some() {
        return Err(format!("unexpected text at {}", p.column()));
    }
    Ok(out)
}

/// Parse an arithmetic expression over data paths (`shares * price_per_share`), as a computed
/// field declares it.
pub fn parse_expr(expr: &str) -> Result<Expr, String> {
    whole(expr, "expression", |p| p.sum())
}

/// Parse `left cmp right`.
pub fn parse(check: &str) -> Result<Check, String> {
    whole(check, "rule", |p| {
        let left = p.sum()?;
        let cmp = p.cmp()?;
        let right = p.sum()?;
        Ok(Check { left, cmp, right })
    })
}

impl fmt::Display for Expr {
    /// The expression as written (parenthesised where an operand is itself an operation).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Number(d) => write!(f, "{d}"),
            Expr::Path(p) => f.write_str(p),
            Expr::Op(a, op, b) => {
                let side = |f: &mut fmt::Formatter<'_>, e: &Expr| match e {
                    Expr::Op(..) => write!(f, "({e})"),
                    _ => write!(f, "{e}"),
                };
                side(f, a)?;
                write!(f, " {op} ")?;
                side(f, b)
            }
        }
    }
}

impl Expr {
    /// Every path the expression reads, left to right.
    pub fn paths(&self, out: &mut Vec<String>) {
        match self {
            Expr::Number(_) => {}
            Expr::Path(p) => out.push(p.clone()),
            Expr::Op(a, _, b) => {
                a.paths(out);
                b.paths(out);
            }
        }
    }
}

/// A value a rule computes with.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub enum Quantity {
    /// A number.
    Number(Decimal),
    /// A date.
    Date(jiff::civil::Date),
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Quantity::Number(d) => write!(f, "{}", crate::words::format_number(*d, None)),
            Quantity::Date(d) => write!(f, "{d}"),
        }
    }
}

/// Why a rule could not be evaluated.
#[derive(Debug, Clone, PartialEq)]
pub enum Skip {
    /// A path is not set in the data: the rule does not apply.
    Missing(String),
    /// The rule itself is wrong (e.g. adds dates).
    Invalid(String),
    /// The data's numbers are too large for the rule's arithmetic: the sub-expression that
    /// overflowed, as written.
    Overflow(String),
}

impl Expr {
    /// The expression's value on a data table: exact decimal arithmetic, checked for overflow.
    pub fn value(&self, data: &Value) -> Result<Quantity, Skip> {
        eval(self, data)
    }
}

fn eval(e: &Expr, data: &Value) -> Result<Quantity, Skip> {
    match e {
        Expr::Number(d) => Ok(Quantity::Number(*d)),
        Expr::Path(p) => match data.at_path(p) {
            None => Err(Skip::Missing(p.clone())),
            Some(Value::Date(d)) => Ok(Quantity::Date(*d)),
            Some(v) => v
                .as_decimal()
                .map(Quantity::Number)
                .ok_or_else(|| Skip::Invalid(format!("`{p}` is not a number or a date"))),
        },
        Expr::Op(a, op, b) => match (eval(a, data)?, eval(b, data)?) {
            (Quantity::Number(x), Quantity::Number(y)) => match op {
                '+' => x.checked_add(y),
                '-' => x.checked_sub(y),
                _ => x.checked_mul(y),
            }
            .map(Quantity::Number)
            .ok_or_else(|| Skip::Overflow(e.to_string())),
            _ => Err(Skip::Invalid("dates cannot be added or multiplied".into())),
        },
    }
}

/// The outcome of a rule on some data.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// It holds.
    Holds,
    /// It does not: the two sides' values.
    Broken(Quantity, Quantity),
    /// It does not apply, or cannot be evaluated.
    Skipped(Skip),
}

impl Check {
    /// Evaluate on a data table.
    pub fn evaluate(&self, data: &Value) -> Outcome {
        let (l, r) = match (eval(&self.left, data), eval(&self.right, data)) {
            (Ok(l), Ok(r)) => (l, r),
            (Err(e), _) | (_, Err(e)) => return Outcome::Skipped(e),
        };
        let ordering = match (l, r) {
            (Quantity::Number(a), Quantity::Number(b)) => a.cmp(&b),
            (Quantity::Date(a), Quantity::Date(b)) => a.cmp(&b),
            _ => {
                return Outcome::Skipped(Skip::Invalid("a number is compared with a date".into()));
            }
        };
        use std::cmp::Ordering::*;
        let holds = match self.cmp {
            Cmp::Eq => ordering == Equal,
            Cmp::Ne => ordering != Equal,
            Cmp::Lt => ordering == Less,
            Cmp::Le => ordering != Greater,
            Cmp::Gt => ordering == Greater,
            Cmp::Ge => ordering != Less,
        };
        if holds {
            Outcome::Holds
        } else {
            Outcome::Broken(l, r)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(entries: &[(&str, Value)]) -> Value {
        Value::Table(
            entries
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn sums_and_dates() {
        let data = table(&[
            ("first", Value::Decimal(Decimal::from(10_000))),
            ("count", Value::Integer(11)),
            ("each", Value::Decimal(Decimal::from(10_000))),
            ("total", Value::Decimal(Decimal::from(120_000))),
            ("signed", Value::Date(jiff::civil::date(2007, 2, 28))),
            ("leaves", Value::Date(jiff::civil::date(2007, 3, 1))),
        ]);
        let c = parse("first + count * each == total").unwrap();
        assert_eq!(c.evaluate(&data), Outcome::Holds);
        let c = parse("first + (count + 1) * each == total").unwrap();
        assert!(matches!(c.evaluate(&data), Outcome::Broken(_, _)));
        assert_eq!(
            parse("signed <= leaves").unwrap().evaluate(&data),
            Outcome::Holds
        );
        assert!(matches!(
            parse("signed > leaves").unwrap().evaluate(&data),
            Outcome::Broken(_, _)
        ));
        assert_eq!(
            parse("missing == total").unwrap().evaluate(&data),
            Outcome::Skipped(Skip::Missing("missing".into()))
        );
        assert!(matches!(
            parse("signed + 1 == leaves").unwrap().evaluate(&data),
            Outcome::Skipped(Skip::Invalid(_))
        ));
    }

    #[test]
    fn overflow_is_an_outcome_not_a_panic() {
        let data = table(&[
            ("shares", Value::Integer(i64::MAX)),
            ("price", Value::Decimal(Decimal::from(10_000_000_000i64))),
            ("total", Value::Decimal(Decimal::from(1))),
        ]);
        let c = parse("shares * price == total").unwrap();
        assert_eq!(
            c.evaluate(&data),
            Outcome::Skipped(Skip::Overflow("shares * price".into()))
        );
        let c = parse("(shares * price) * 2 - 1 == total").unwrap();
        assert!(matches!(
            c.evaluate(&data),
            Outcome::Skipped(Skip::Overflow(_))
        ));
    }

    #[test]
    fn nesting_and_length_are_bounded() {
        let deep = format!("{}a{} == b", "(".repeat(100), ")".repeat(100));
        assert!(parse(&deep).unwrap_err().contains("nested more than"));
        let ok = format!("{}a{} == b", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
        let long = format!("{} == b", vec!["a"; 600].join(" + "));
        assert!(parse(&long).unwrap_err().contains("limit"));
    }

    #[test]
    fn syntax_errors_say_where() {
        assert!(parse("a + == b").unwrap_err().contains("unexpected"));
        assert!(parse("a b").unwrap_err().contains("comparison"));
        assert!(parse("(a == b").is_err());
    }
}
