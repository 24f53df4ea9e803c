//! Reading one value of a schema type back from the words a template printed for it:
//! figures or words for counts ("One Hundred Thousand (100,000)"), amounts as exact decimal
//! strings ("$1.25" → `"1.25"`), percentages, and dates in the styles legal drafting uses
//! ("March 16, 2005", "the 16th day of March, 2005", "3/16/2005", "2005-03-16").
// No panic reachable from input: no unchecked indexing or arithmetic.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use std::str::FromStr;

use rust_decimal::Decimal;

use crate::data::{FieldType, Value};

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Read a value of type `ty` from `text`, or say why not.
pub fn value(ty: FieldType, text: &str) -> Result<Value, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("the text at its place is empty".into());
    }
    match ty {
        FieldType::Text | FieldType::Enum => Ok(Value::Text(text.to_string())),
        FieldType::Integer | FieldType::Shares => integer(text)
            .map(Value::Integer)
            .ok_or_else(|| format!("\"{}\" holds no whole number", short(text))),
        FieldType::Money | FieldType::Percent => decimal(text)
            .map(Value::Decimal)
            .ok_or_else(|| format!("\"{}\" holds no amount", short(text))),
        FieldType::Date => date(text)
            .map(Value::Date)
            .ok_or_else(|| format!("\"{}\" holds no date", short(text))),
        FieldType::Bool => match text.to_ascii_lowercase().as_str() {
            "true" | "yes" => Ok(Value::Bool(true)),
            "false" | "no" => Ok(Value::Bool(false)),
            _ => Err(format!("\"{}\" is not yes or no", short(text))),
        },
        FieldType::Party | FieldType::Table | FieldType::List => {
            Err("a table or list is read field by field".into())
        }
    }
}

/// At most 60 characters of a text, for messages.
pub fn short(text: &str) -> String {
    let mut s: String = text.chars().take(60).collect();
    if text.chars().nth(60).is_some() {
        s.push('…');
    }
    s
}

/// The figures in a text: each run of digits with thousands commas and a decimal part, as
/// (start, digits without commas).
pub fn figures(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0usize;
    while let Some(&(start, c)) = chars.get(i) {
        if !c.is_ascii_digit() {
            i = i.saturating_add(1);
            continue;
        }
        let mut digits = String::new();
        let mut seen_point = false;
        while let Some(&(_, d)) = chars.get(i) {
            let next_digit = chars
                .get(i.saturating_add(1))
                .is_some_and(|(_, n)| n.is_ascii_digit());
            if d.is_ascii_digit() {
                digits.push(d);
            } else if d == ',' && next_digit && !seen_point {
            } else if d == '.' && next_digit && !seen_point {
                seen_point = true;
                digits.push('.');
            } else {
                break;
            }
            i = i.saturating_add(1);
        }
        out.push((start, digits));
    }
    out
}

/// The text after the first `n` figures (and the word each ends in).
pub fn after_figures(text: &str, n: usize) -> Option<&str> {
    if n == 0 {
        return Some(text);
    }
    let (start, _) = figures(text).into_iter().nth(n.saturating_sub(1))?;
    let rest = text.get(start..)?;
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    rest.get(end..)
}

/// A whole number: the first figure (ordinals such as "7th" included), else number words.
pub fn integer(text: &str) -> Option<i64> {
    if let Some((_, digits)) = figures(text).into_iter().next() {
        return digits.parse().ok();
    }
    words(text)
}

/// An exact decimal, keeping the written precision: the first figure, else number words.
pub fn decimal(text: &str) -> Option<Decimal> {
    if let Some((_, digits)) = figures(text).into_iter().next() {
        return Decimal::from_str(&digits).ok();
    }
    words(text).map(Decimal::from)
}

fn unit(word: &str) -> Option<i64> {
    crate::words::word_value(word).and_then(|n| i64::try_from(n).ok())
}

/// A number written in words ("One Hundred Forty Million Two Hundred Fifty Thousand",
/// "twenty-one"): the first run of number words in the text.
pub fn words(text: &str) -> Option<i64> {
    let mut total: i64 = 0;
    let mut group: i64 = 0;
    let mut any = false;
    for raw in text.split(|c: char| c.is_whitespace() || c == '-') {
        let w: String = raw
            .chars()
            .filter(|c| c.is_alphabetic())
            .flat_map(char::to_lowercase)
            .collect();
        if w.is_empty() {
            continue;
        }
        if let Some(n) = unit(&w) {
            group = group.saturating_add(n);
            any = true;
        } else if w == "hundred" && any {
            group = group.saturating_mul(100);
        } else if let Some(scale) = match w.as_str() {
            "thousand" => Some(1_000i64),
            "million" => Some(1_000_000),
            "billion" => Some(1_000_000_000),
            _ => None,
        } {
            if !any {
                break;
            }
            total = total.saturating_add(group.saturating_mul(scale));
            group = 0;
        } else if w == "and" && any {
            continue;
        } else if any {
            break;
        }
    }
    any.then(|| total.saturating_add(group))
}

fn month(word: &str) -> Option<i8> {
    let w: String = word
        .chars()
        .filter(|c| c.is_alphabetic())
        .flat_map(char::to_lowercase)
        .collect();
    if w.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| *m == w || (w.len() <= 4 && m.starts_with(w.as_str())))
        .and_then(|i| i8::try_from(i).ok())
        .map(|i| i.saturating_add(1))
}

fn day_number(word: &str) -> Option<i8> {
    let digits: String = word.chars().take_while(char::is_ascii_digit).collect();
    let rest: String = word
        .chars()
        .skip_while(char::is_ascii_digit)
        .filter(|c| c.is_alphabetic())
        .flat_map(char::to_lowercase)
        .collect();
    if digits.is_empty() || !(rest.is_empty() || ["st", "nd", "rd", "th"].contains(&rest.as_str()))
    {
        return None;
    }
    digits.parse().ok().filter(|d| (1..=31).contains(d))
}

fn year_number(word: &str) -> Option<i16> {
    let digits: String = word.chars().filter(char::is_ascii_digit).collect();
    let clean = word
        .chars()
        .all(|c| c.is_ascii_digit() || ",.;:)".contains(c));
    (clean && digits.len() == 4)
        .then(|| digits.parse().ok())
        .flatten()
}

/// A date: a month name with a day and a four-digit year around it ("March 16, 2005",
/// "16th day of March, 2005", "16 March 2005"), or m/d/yyyy, or yyyy-mm-dd.
pub fn date(text: &str) -> Option<jiff::civil::Date> {
    let words: Vec<&str> = text.split_whitespace().collect();
    for (i, w) in words.iter().enumerate() {
        let Some(m) = month(w) else { continue };
        let at = |k: usize| words.get(k).copied();
        let year = (1..=2)
            .filter_map(|k| at(i.saturating_add(k)).and_then(year_number))
            .next();
        // "March 16, 2005" / "March 16th, 2005"
        let after = at(i.saturating_add(1)).and_then(day_number);
        // "16th day of March" / "16 March"
        let before = i
            .checked_sub(1)
            .and_then(at)
            .and_then(day_number)
            .or_else(|| {
                let of = i.checked_sub(1).and_then(at)?;
                let day = i.checked_sub(2).and_then(at)?;
                let first = i.checked_sub(3).and_then(at)?;
                (of.eq_ignore_ascii_case("of") && day.eq_ignore_ascii_case("day"))
                    .then(|| day_number(first))
                    .flatten()
            });
        if let (Some(d), Some(y)) = (after.or(before), year)
            && let Ok(date) = jiff::civil::Date::new(y, m, d)
        {
            return Some(date);
        }
    }
    for w in &words {
        let w = w.trim_matches(|c: char| !c.is_ascii_digit());
        let parts: Vec<&str> = w.split(['/', '-']).collect();
        if let [a, b, c] = parts.as_slice() {
            let n = |s: &str| s.parse::<i16>().ok();
            let (y, m, d) = if a.len() == 4 {
                (n(a), n(b), n(c))
            } else if c.len() == 4 {
                (n(c), n(a), n(b))
            } else {
                continue;
            };
            if let (Some(y), Some(m), Some(d)) = (y, m, d)
                && let (Ok(m), Ok(d)) = (i8::try_from(m), i8::try_from(d))
                && let Ok(date) = jiff::civil::Date::new(y, m, d)
            {
                return Some(date);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_amounts_dates() {
        assert_eq!(
            integer("One Hundred Forty Million Two Hundred Fifty Thousand (140,250,000)"),
            Some(140_250_000)
        );
        assert_eq!(integer("three (3)"), Some(3));
        assert_eq!(integer("seventy-five"), Some(75));
        assert_eq!(words("Six Hundred Eighty Thousand"), Some(680_000));
        assert_eq!(
            decimal("$0.00001").map(|d| d.to_string()),
            Some("0.00001".into())
        );
        assert_eq!(
            decimal("$7,000,000.00").map(|d| d.to_string()),
            Some("7000000.00".into())
        );
        assert_eq!(decimal("4.99%").map(|d| d.to_string()), Some("4.99".into()));
        let d = |y, m, d| jiff::civil::Date::new(y, m, d).ok();
        assert_eq!(date("September 7, 2005"), d(2005, 9, 7));
        assert_eq!(date("28th day of February, 2007"), d(2007, 2, 28));
        assert_eq!(date("January 31st, 2008"), d(2008, 1, 31));
        assert_eq!(date("on 3/16/2005."), d(2005, 3, 16));
        assert_eq!(date("7 Sept. 2005"), d(2005, 9, 7));
        assert_eq!(date("no date here"), None);
    }
}
