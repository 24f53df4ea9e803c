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

pub use crate::words::{
    dollars_words, format_money, format_number, group_digits, number_words, ordinal, roman,
};
use tera::{Kwargs, State, Tera, TeraResult, Value};

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
        // The singular "they" of a person whose gender the agreement does not state.
        "neutral" => ["they", "them", "their", "themself"],
        other => {
            return Err(format!(
                "unknown gender {other:?} (expected male, female, neutral, entity or plural)"
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
    // The start of the text not written yet: written in runs, not a character at a time (a
    // formatted write per character was a twentieth of a render).
    let mut pending = 0;
    for (i, c) in input.char_indices() {
        match c {
            '\\' | '*' | '_' | '[' | ']' | '{' | '}' | '`' | '<' | '>' | '~' | '^' | '=' | '+'
            | '-' | '#' | '|' | '!' | ':' | '$' | '(' | ')' | '@' => {
                out.write_all(input.as_bytes().get(pending..i).unwrap_or_default())?;
                out.write_all(b"\\")?;
                pending = i;
            }
            // A value such as "1. Corp" or "a) b" at the start of a line would open a list.
            '.' if leading_word && !at_start => {
                out.write_all(input.as_bytes().get(pending..i).unwrap_or_default())?;
                out.write_all(b"\\")?;
                pending = i;
            }
            // Newlines would split or end blocks: data never changes structure.
            '\n' | '\r' | '\t' => {
                out.write_all(input.as_bytes().get(pending..i).unwrap_or_default())?;
                out.write_all(b" ")?;
                pending = i.saturating_add(1);
            }
            _ => {}
        }
        if !c.is_ascii_alphanumeric() {
            leading_word = false;
        }
        at_start = false;
    }
    out.write_all(input.as_bytes().get(pending..).unwrap_or_default())
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
    // A word that may be absent: the word and a space, or nothing when it is empty (an
    // executed copy's stray "the" before a name: `{{ as_executed.article | space_after }}`).
    tera.register_filter("space_after", |s: &str, _: Kwargs, _: &State| {
        if s.is_empty() {
            String::new()
        } else {
            format!("{s} ")
        }
    });
    tera.register_filter("a_an", |s: &str, _: Kwargs, _: &State| {
        format!("{} {s}", crate::words::a_an(s))
    });
    tera.register_filter(
        "join_list",
        |v: &Value, kw: Kwargs, _: &State| -> TeraResult<String> {
            let items: Vec<String> = v
                .as_array()
                .ok_or_else(|| err(format!("`join_list` takes a list, got {}", v.name())))?
                .iter()
                .map(|x| {
                    x.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| x.to_string())
                })
                .collect();
            let conjunction = kw
                .get::<String>("conjunction")?
                .unwrap_or_else(|| "and".into());
            let serial = kw.get::<bool>("serial")?.unwrap_or(false);
            Ok(crate::words::join_list(&items, &conjunction, serial))
        },
    );
    tera.register_filter(
        "sum",
        |v: &Value, _: Kwargs, _: &State| -> TeraResult<String> {
            let items = v
                .as_array()
                .ok_or_else(|| err(format!("`sum` takes a list of amounts, got {}", v.name())))?;
            let mut total = Decimal::ZERO;
            for x in items {
                total = total
                    .checked_add(to_decimal(x).map_err(err)?)
                    .ok_or_else(|| err("the sum is too large".into()))?;
            }
            Ok(total.to_string())
        },
    );
    tera.register_filter(
        "times",
        |v: &Value, kw: Kwargs, _: &State| -> TeraResult<String> {
            let by: Value = kw.must_get("by")?;
            to_decimal(v)
                .map_err(err)?
                .checked_mul(to_decimal(&by).map_err(err)?)
                .map(|d| d.to_string())
                .ok_or_else(|| err("the product is too large".into()))
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
    fn pronouns() {
        assert_eq!(pronoun("male", "possessive").unwrap(), "his");
        assert_eq!(pronoun("female", "object").unwrap(), "her");
        assert_eq!(pronoun("entity", "subject").unwrap(), "it");
        assert!(pronoun("x", "subject").is_err());
    }

    /// Escaping one character at a time, as the escape was first written: the oracle of the
    /// run-writing one.
    fn escaped_by_character(input: &str) -> String {
        let mut out = String::new();
        let (mut at_start, mut leading_word) = (true, true);
        for c in input.chars() {
            match c {
                '\\' | '*' | '_' | '[' | ']' | '{' | '}' | '`' | '<' | '>' | '~' | '^' | '='
                | '+' | '-' | '#' | '|' | '!' | ':' | '$' | '(' | ')' | '@' => {
                    out.push('\\');
                    out.push(c);
                }
                '.' if leading_word && !at_start => out.push_str("\\."),
                '\n' | '\r' | '\t' => out.push(' '),
                _ => out.push(c),
            }
            if !c.is_ascii_alphanumeric() {
                leading_word = false;
            }
            at_start = false;
        }
        out
    }

    #[test]
    fn escaping_in_runs_is_escaping_by_character() {
        // Seeded random strings of every length from an alphabet of markup, letters, digits,
        // spaces, control and multi-byte characters.
        let alphabet: Vec<char> = "\\*_[]{}`<>~^=+-#|!:$()@.\n\r\t aZ09é€😀\u{a0}"
            .chars()
            .collect();
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        for case in 0..5000 {
            let len = case % 40;
            let s: String = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    alphabet
                        .get((state % alphabet.len() as u64) as usize)
                        .copied()
                        .unwrap_or('a')
                })
                .collect();
            let mut out = Vec::new();
            escape_djot(&s, &mut out).unwrap();
            assert_eq!(
                String::from_utf8(out).unwrap(),
                escaped_by_character(&s),
                "{s:?}"
            );
        }
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
