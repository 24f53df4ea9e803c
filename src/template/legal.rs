//! The legal-prose filters and functions that templates use: amounts in words, money, share
//! counts, percentages, ordinal dates, plurals, pronouns, and the markup for fill-in fields and
//! signature lines.
//!
//! Each formatter is a pure function tested at the bottom of this file; [`register`] wraps them
//! as Tera filters. Numbers arrive either as integers or as exact decimal strings (see
//! [`crate::data::Value`]), never as floats.

use std::str::FromStr;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use tera::{Kwargs, State, Tera, TeraResult, Value};

const ONES: [&str; 20] = [
    "Zero",
    "One",
    "Two",
    "Three",
    "Four",
    "Five",
    "Six",
    "Seven",
    "Eight",
    "Nine",
    "Ten",
    "Eleven",
    "Twelve",
    "Thirteen",
    "Fourteen",
    "Fifteen",
    "Sixteen",
    "Seventeen",
    "Eighteen",
    "Nineteen",
];
const TENS: [&str; 10] = [
    "", "", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety",
];
const SCALES: [&str; 7] = [
    "",
    "Thousand",
    "Million",
    "Billion",
    "Trillion",
    "Quadrillion",
    "Quintillion",
];

/// A whole number in words, title case: 120000 → "One Hundred Twenty Thousand".
#[allow(
    clippy::indexing_slicing,
    reason = "every index is a digit (0 to 9), a number below 20, or a group of a u64 (at most 6, SCALES has 7)"
)]
pub fn number_words(n: u64) -> String {
    if n == 0 {
        return ONES[0].to_string();
    }
    fn below_thousand(n: u64, out: &mut Vec<&'static str>) {
        let (h, rest) = (n / 100, n % 100);
        if h > 0 {
            out.push(ONES[h as usize]);
            out.push("Hundred");
        }
        if rest >= 20 {
            let t = TENS[(rest / 10) as usize];
            if rest % 10 == 0 {
                out.push(t);
            } else {
                // "Twenty-One": hyphenated compounds, as legal drafting writes them.
                out.push(t);
                out.push("-");
                out.push(ONES[(rest % 10) as usize]);
            }
        } else if rest > 0 {
            out.push(ONES[rest as usize]);
        }
    }
    let mut groups = Vec::new();
    let mut m = n;
    while m > 0 {
        groups.push(m % 1000);
        m /= 1000;
    }
    let mut words: Vec<&'static str> = Vec::new();
    for (i, g) in groups.iter().enumerate().rev() {
        if *g == 0 {
            continue;
        }
        below_thousand(*g, &mut words);
        if i > 0 {
            words.push(SCALES[i]);
        }
    }
    words.join(" ").replace(" - ", "-")
}

/// Parse a template value as an exact decimal: integers, or decimal strings such as "0.00001".
pub fn to_decimal(v: &Value) -> Result<Decimal, String> {
    if let Some(i) = v.as_i64() {
        return Ok(Decimal::from(i));
    }
    if let Some(s) = v.as_str() {
        return Decimal::from_str(s.trim()).map_err(|_| format!("expected a number, got {s:?}"));
    }
    if v.is_f64() {
        return Err(
            "a float reached a money filter; write amounts as decimal strings so no digit is lost"
                .into(),
        );
    }
    Err(format!("expected a number, got {}", v.name()))
}

/// Group the digits of a whole number with commas: 140250000 → "140,250,000".
pub fn group_digits(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len().saturating_add(digits.len() / 3));
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && digits.len().saturating_sub(i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A number with thousands separators, keeping its written precision unless `decimals` is given:
/// "7000000.00" → "7,000,000.00"; 140250000 → "140,250,000".
pub fn format_number(d: Decimal, decimals: Option<u32>) -> String {
    let d = match decimals {
        Some(n) => {
            d.round_dp_with_strategy(n, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        }
        None => d,
    };
    let mut d = d;
    if let Some(n) = decimals {
        d.rescale(n);
    }
    let s = d.abs().to_string();
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let sign = if d.is_sign_negative() && !d.is_zero() {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{}", group_digits(int))
    } else {
        format!("{sign}{}.{frac}", group_digits(int))
    }
}

/// Money: "$120,000", "$7,000,000.00", "$0.00001".
pub fn format_money(d: Decimal, decimals: Option<u32>, symbol: &str) -> String {
    let n = format_number(d, decimals);
    match n.strip_prefix('-') {
        Some(abs) => format!("-{symbol}{abs}"),
        None => format!("{symbol}{n}"),
    }
}

fn fraction_name(scale: u32) -> Option<&'static str> {
    Some(match scale {
        1 => "Tenth",
        2 => "Hundredth",
        3 => "Thousandth",
        4 => "Ten-Thousandth",
        5 => "Hundred-Thousandth",
        6 => "Millionth",
        7 => "Ten-Millionth",
        8 => "Hundred-Millionth",
        9 => "Billionth",
        _ => return None,
    })
}

/// An amount of dollars in words, the figure in parentheses:
/// "One Hundred Twenty Thousand Dollars ($120,000)", "Ten Dollars and Fifty Cents ($10.50)",
/// "One Hundred-Thousandth of a Dollar ($0.00001)".
pub fn dollars_words(d: Decimal) -> Result<String, String> {
    if d.is_sign_negative() && !d.is_zero() {
        return Err("cannot write a negative amount in words".into());
    }
    let figure = format_money(d, None, "$");
    let whole = d.trunc();
    let frac = d
        .checked_sub(whole)
        .ok_or("amount too large to write in words")?
        .normalize();
    let whole_u = whole
        .to_u64()
        .ok_or_else(|| "amount too large to write in words".to_string())?;
    let dollars = |n: u64| {
        format!(
            "{} {}",
            number_words(n),
            if n == 1 { "Dollar" } else { "Dollars" }
        )
    };
    let words = if frac.is_zero() {
        dollars(whole_u)
    } else if frac.scale() <= 2 {
        let cents = frac
            .checked_mul(Decimal::from(100))
            .and_then(|c| c.trunc().to_u64())
            .unwrap_or(0);
        let cents_words = format!(
            "{} {}",
            number_words(cents),
            if cents == 1 { "Cent" } else { "Cents" }
        );
        if whole_u == 0 {
            cents_words
        } else {
            format!("{} and {}", dollars(whole_u), cents_words)
        }
    } else {
        let scale = frac.scale();
        let name = fraction_name(scale).ok_or("amount has too many decimal places for words")?;
        let numerator = u64::try_from(frac.mantissa()).map_err(|_| "amount too large")?;
        let part = format!(
            "{} {}{} of a Dollar",
            number_words(numerator),
            name,
            if numerator == 1 { "" } else { "s" }
        );
        if whole_u == 0 {
            part
        } else {
            format!("{} and {}", dollars(whole_u), part)
        }
    };
    Ok(format!("{words} ({figure})"))
}

/// English ordinal suffix: 1 → "1st", 11 → "11th", 22 → "22nd".
pub fn ordinal(n: i64) -> String {
    let suffix = match (n.rem_euclid(100), n.rem_euclid(10)) {
        (11..=13, _) => "th",
        (_, 1) => "st",
        (_, 2) => "nd",
        (_, 3) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// Upper-case Roman numerals (1 to 3999): 4 → "IV".
pub fn roman(n: i64) -> Result<String, String> {
    if !(1..4000).contains(&n) {
        return Err(format!("{n} has no Roman numeral"));
    }
    const TABLE: [(i64, &str); 13] = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut n = n;
    let mut out = String::new();
    for (v, s) in TABLE {
        while n >= v {
            out.push_str(s);
            n = n.saturating_sub(v);
        }
    }
    Ok(out)
}

/// Format a date with strftime directives plus `%o`, the day as an ordinal ("24th").
/// Named styles: `long` ("April 24, 2006"), `ordinal` ("January 31st, 2008"),
/// `day_of` ("24th day of April 2006"), `iso` ("2006-04-24").
pub fn format_date(date: jiff::civil::Date, format: &str) -> Result<String, String> {
    let format = match format {
        "long" => "%B %-d, %Y",
        "ordinal" => "%B %o, %Y",
        "day_of" => "%o day of %B %Y",
        "iso" => "%Y-%m-%d",
        other => other,
    };
    let with_ordinal = format.replace("%o", &ordinal(i64::from(date.day())).replace('%', "%%"));
    jiff::fmt::strtime::format(&with_ordinal, date).map_err(|e| format!("bad date format: {e}"))
}

fn to_date(v: &Value) -> Result<jiff::civil::Date, String> {
    let s = v
        .as_str()
        .ok_or_else(|| format!("expected a date, got {}", v.name()))?;
    s.parse::<jiff::civil::Date>()
        .map_err(|_| format!("expected a date (YYYY-MM-DD), got {s:?}"))
}

/// A pronoun for a party: `gender` is "male", "female", "entity" or "plural";
/// `case` is "subject" (he), "object" (him), "possessive" (his) or "reflexive" (himself).
pub fn pronoun(gender: &str, case: &str) -> Result<&'static str, String> {
    let row = match gender {
        "male" | "m" | "he" => ["he", "him", "his", "himself"],
        "female" | "f" | "she" => ["she", "her", "her", "herself"],
        "entity" | "it" => ["it", "it", "its", "itself"],
        "plural" | "they" => ["they", "them", "their", "themselves"],
        other => {
            return Err(format!(
                "unknown gender {other:?} (expected male, female, entity or plural)"
            ));
        }
    };
    let i = match case {
        "subject" => 0,
        "object" => 1,
        "possessive" => 2,
        "reflexive" => 3,
        other => {
            return Err(format!(
                "unknown case {other:?} (expected subject, object, possessive or reflexive)"
            ));
        }
    };
    row.get(i)
        .copied()
        .ok_or_else(|| format!("no pronoun for case {case:?}"))
}

/// Escape text for Djot so that it prints literally and can never open markup: the escape
/// function of the Tera environment, applied to every value printed from data.
pub fn escape_djot(input: &str, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut at_start = true;
    let mut leading_word = true;
    for c in input.chars() {
        match c {
            '\\' | '*' | '_' | '[' | ']' | '{' | '}' | '`' | '<' | '>' | '~' | '^' | '=' | '+'
            | '-' | '#' | '|' | '!' | ':' | '$' | '(' | ')' | '@' => {
                write!(out, "\\{c}")?;
            }
            // A value such as "1. Corp" or "a) b" at the start of a line would open a list.
            '.' if leading_word && !at_start => write!(out, "\\.")?,
            // Newlines would split or end blocks: data never changes structure.
            '\n' | '\r' | '\t' => write!(out, " ")?,
            _ => write!(out, "{c}")?,
        }
        if !c.is_ascii_alphanumeric() {
            leading_word = false;
        }
        at_start = false;
    }
    Ok(())
}

/// Markup for a fill-in field (a blank completed by hand).
pub fn field_markup(name: &str, width: u32) -> String {
    format!("[]{{.field name=\"{}\" width={width}}}", attr_safe(name))
}

/// Markup for a signature line, named by role (`company.signature`).
pub fn signature_markup(role: &str, width: u32, rule: &str) -> String {
    format!(
        "[]{{.sig role=\"{}\" width={width} rule=\"{}\"}}",
        attr_safe(role),
        attr_safe(rule)
    )
}

fn attr_safe(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .collect()
}

fn err(e: String) -> tera::Error {
    tera::Error::message(e)
}

fn decimals(kwargs: &Kwargs) -> TeraResult<Option<u32>> {
    Ok(kwargs
        .get::<i64>("decimals")?
        .map(|d| d.clamp(0, 28) as u32))
}

/// Register every legal filter and function on `tera`.
pub fn register(tera: &mut Tera) {
    tera.register_filter(
        "money",
        |v: &Value, kw: Kwargs, _: &State| -> TeraResult<String> {
            let d = to_decimal(v).map_err(err)?;
            let symbol = kw.get::<String>("symbol")?.unwrap_or_else(|| "$".into());
            Ok(format_money(d, decimals(&kw)?, &symbol))
        },
    );
    tera.register_filter(
        "number",
        |v: &Value, kw: Kwargs, _: &State| -> TeraResult<String> {
            Ok(format_number(to_decimal(v).map_err(err)?, decimals(&kw)?))
        },
    );
    tera.register_filter(
        "percent",
        |v: &Value, kw: Kwargs, _: &State| -> TeraResult<String> {
            Ok(format!(
                "{}%",
                format_number(to_decimal(v).map_err(err)?, decimals(&kw)?)
            ))
        },
    );
    tera.register_filter(
        "words",
        |v: &Value, kw: Kwargs, _: &State| -> TeraResult<String> {
            let d = to_decimal(v).map_err(err)?;
            if !d.fract().is_zero() || d.is_sign_negative() {
                return Err(err(format!("`words` takes a whole number, got {d}")));
            }
            let n = d
                .trunc()
                .to_u64()
                .ok_or_else(|| err("number too large".into()))?;
            let w = number_words(n);
            Ok(match kw.get::<String>("case")?.as_deref() {
                Some("lower") => w.to_lowercase(),
                Some("upper") => w.to_uppercase(),
                _ => w,
            })
        },
    );
    tera.register_filter(
        "dollars",
        |v: &Value, _: Kwargs, _: &State| -> TeraResult<String> {
            dollars_words(to_decimal(v).map_err(err)?).map_err(err)
        },
    );
    tera.register_filter("ordinal", |n: i64, _: Kwargs, _: &State| ordinal(n));
    tera.register_filter(
        "roman",
        |n: i64, kw: Kwargs, _: &State| -> TeraResult<String> {
            let r = roman(n).map_err(err)?;
            Ok(if kw.get::<bool>("lower")?.unwrap_or(false) {
                r.to_lowercase()
            } else {
                r
            })
        },
    );
    tera.register_filter(
        "date",
        |v: &Value, kw: Kwargs, _: &State| -> TeraResult<String> {
            let date = to_date(v).map_err(err)?;
            let format = kw.get::<String>("format")?.unwrap_or_else(|| "long".into());
            format_date(date, &format).map_err(err)
        },
    );
    tera.register_filter(
        "plural",
        |v: &Value, kw: Kwargs, _: &State| -> TeraResult<String> {
            let n = to_decimal(v).map_err(err)?;
            let one: String = kw.must_get("one")?;
            let many: String = kw.must_get("many")?;
            Ok(if n == Decimal::ONE { one } else { many })
        },
    );
    tera.register_filter(
        "pronoun",
        |g: &str, kw: Kwargs, _: &State| -> TeraResult<String> {
            let case = kw
                .get::<String>("case")?
                .unwrap_or_else(|| "subject".into());
            let p = pronoun(g, &case).map_err(err)?;
            Ok(if kw.get::<bool>("capitalize")?.unwrap_or(false) {
                let mut c = p.chars();
                c.next()
                    .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                    .unwrap_or_default()
            } else {
                p.to_string()
            })
        },
    );
    tera.register_function("field", |kw: Kwargs, _: &State| -> TeraResult<Value> {
        let name: String = kw.must_get("name")?;
        let width = kw.get::<i64>("width")?.unwrap_or(20).clamp(1, 200) as u32;
        Ok(Value::safe_string(&field_markup(&name, width)))
    });
    tera.register_function("signature", |kw: Kwargs, _: &State| -> TeraResult<Value> {
        let role: String = kw.must_get("role")?;
        let width = kw.get::<i64>("width")?.unwrap_or(34).clamp(1, 200) as u32;
        let rule = kw.get::<String>("rule")?.unwrap_or_else(|| "_".into());
        if !matches!(rule.as_str(), "_" | "-") {
            return Err(err(format!(
                "signature rule must be \"_\" or \"-\", got {rule:?}"
            )));
        }
        Ok(Value::safe_string(&signature_markup(&role, width, &rule)))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn numbers_in_words() {
        assert_eq!(number_words(0), "Zero");
        assert_eq!(number_words(7), "Seven");
        assert_eq!(number_words(13), "Thirteen");
        assert_eq!(number_words(21), "Twenty-One");
        assert_eq!(number_words(100), "One Hundred");
        assert_eq!(number_words(120_000), "One Hundred Twenty Thousand");
        assert_eq!(number_words(1_000_001), "One Million One");
        assert_eq!(
            number_words(140_250_000),
            "One Hundred Forty Million Two Hundred Fifty Thousand"
        );
        assert_eq!(
            number_words(13_580_810),
            "Thirteen Million Five Hundred Eighty Thousand Eight Hundred Ten"
        );
    }

    #[test]
    fn dollars_in_words_with_figures() {
        assert_eq!(dollars_words(dec("0")).unwrap(), "Zero Dollars ($0)");
        assert_eq!(dollars_words(dec("1")).unwrap(), "One Dollar ($1)");
        assert_eq!(
            dollars_words(dec("120000")).unwrap(),
            "One Hundred Twenty Thousand Dollars ($120,000)"
        );
        assert_eq!(
            dollars_words(dec("10.50")).unwrap(),
            "Ten Dollars and Fifty Cents ($10.50)"
        );
        assert_eq!(dollars_words(dec("0.01")).unwrap(), "One Cent ($0.01)");
        assert_eq!(
            dollars_words(dec("0.00001")).unwrap(),
            "One Hundred-Thousandth of a Dollar ($0.00001)"
        );
        assert_eq!(
            dollars_words(dec("7000000.00")).unwrap(),
            "Seven Million Dollars ($7,000,000.00)"
        );
        assert!(dollars_words(dec("-5")).is_err());
    }

    #[test]
    fn money_keeps_written_precision() {
        assert_eq!(format_money(dec("120000"), None, "$"), "$120,000");
        assert_eq!(format_money(dec("7000000.00"), None, "$"), "$7,000,000.00");
        assert_eq!(format_money(dec("0.00001"), None, "$"), "$0.00001");
        assert_eq!(format_money(dec("100"), Some(2), "$"), "$100.00");
        assert_eq!(format_money(dec("999.995"), Some(2), "$"), "$1,000.00");
        assert_eq!(format_money(dec("0"), None, "$"), "$0");
        assert_eq!(format_number(dec("140250000"), None), "140,250,000");
        assert_eq!(format_number(dec("999"), None), "999");
        assert_eq!(format_number(dec("1000"), None), "1,000");
    }

    #[test]
    fn ordinals() {
        let cases = [
            (1, "1st"),
            (2, "2nd"),
            (3, "3rd"),
            (4, "4th"),
            (11, "11th"),
            (12, "12th"),
            (13, "13th"),
            (21, "21st"),
            (22, "22nd"),
            (23, "23rd"),
            (31, "31st"),
            (101, "101st"),
            (111, "111th"),
        ];
        for (n, s) in cases {
            assert_eq!(ordinal(n), s);
        }
    }

    #[test]
    fn dates_in_the_originals_styles() {
        let d = jiff::civil::date(2006, 4, 24);
        assert_eq!(format_date(d, "day_of").unwrap(), "24th day of April 2006");
        assert_eq!(format_date(d, "long").unwrap(), "April 24, 2006");
        let d = jiff::civil::date(2008, 1, 31);
        assert_eq!(format_date(d, "ordinal").unwrap(), "January 31st, 2008");
        let d = jiff::civil::date(2007, 2, 28);
        assert_eq!(
            format_date(d, "%o day of %B, %Y").unwrap(),
            "28th day of February, 2007"
        );
        assert_eq!(
            format_date(jiff::civil::date(2008, 2, 1), "ordinal").unwrap(),
            "February 1st, 2008"
        );
    }

    #[test]
    fn roman_numerals() {
        assert_eq!(roman(1).unwrap(), "I");
        assert_eq!(roman(4).unwrap(), "IV");
        assert_eq!(roman(7).unwrap(), "VII");
        assert_eq!(roman(1999).unwrap(), "MCMXCIX");
        assert!(roman(0).is_err());
    }

    #[test]
    fn pronouns() {
        assert_eq!(pronoun("male", "possessive").unwrap(), "his");
        assert_eq!(pronoun("female", "object").unwrap(), "her");
        assert_eq!(pronoun("entity", "subject").unwrap(), "it");
        assert!(pronoun("x", "subject").is_err());
    }

    #[test]
    fn escaping_makes_markup_literal() {
        let mut out = Vec::new();
        escape_djot("Smith_Jones *Holdings* [LLC]\n# 1", &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r"Smith\_Jones \*Holdings\* \[LLC\] \# 1"
        );
        let mut out = Vec::new();
        escape_djot("1. Corp", &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), r"1\. Corp");
    }
}
