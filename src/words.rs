//! Numbers as legal prose writes them: whole numbers in words ("One Hundred Twenty Thousand"),
//! amounts in words with their figure, digits grouped with commas, ordinals and Roman numerals,
//! and clause letters. A leaf module: it uses nothing else in the crate, so data checking,
//! templates and documents can all use it.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

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
const SCALES: [&str; 13] = [
    "",
    "Thousand",
    "Million",
    "Billion",
    "Trillion",
    "Quadrillion",
    "Quintillion",
    "Sextillion",
    "Septillion",
    "Octillion",
    "Nonillion",
    "Decillion",
    "Undecillion",
];

/// The value of one number word below a hundred, any case: "seven" → 7, "Ninety" → 90.
/// The reading side of [`number_words`] (proofing and extraction read amounts in words).
pub fn word_value(word: &str) -> Option<u64> {
    let found = |table: &[&str]| table.iter().position(|w| w.eq_ignore_ascii_case(word));
    if let Some(i) = found(&ONES) {
        return u64::try_from(i).ok();
    }
    found(&TENS)
        .filter(|&i| i >= 2)
        .and_then(|i| u64::try_from(i).ok())
        .map(|i| i.saturating_mul(10))
}

/// A whole number in words, title case: 120000 → "One Hundred Twenty Thousand".
#[allow(
    clippy::indexing_slicing,
    reason = "every index is a digit (0 to 9), a number below 20, or a group of a u128 (at most 12, SCALES has 13)"
)]
pub fn number_words(n: impl Into<u128>) -> String {
    let n: u128 = n.into();
    if n == 0 {
        return ONES[0].to_string();
    }
    fn below_thousand(n: u128, out: &mut Vec<&'static str>) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn numbers_in_words() {
        assert_eq!(number_words(0u32), "Zero");
        assert_eq!(
            number_words(u128::from(u64::MAX) * 1000),
            "Eighteen Sextillion Four Hundred Forty-Six Quintillion Seven Hundred Forty-Four Quadrillion Seventy-Three Trillion Seven Hundred Nine Billion Five Hundred Fifty-One Million Six Hundred Fifteen Thousand"
        );
        assert_eq!(number_words(7u32), "Seven");
        assert_eq!(number_words(13u32), "Thirteen");
        assert_eq!(number_words(21u32), "Twenty-One");
        assert_eq!(number_words(100u32), "One Hundred");
        assert_eq!(number_words(120_000u32), "One Hundred Twenty Thousand");
        assert_eq!(number_words(1_000_001u32), "One Million One");
        assert_eq!(
            number_words(140_250_000u32),
            "One Hundred Forty Million Two Hundred Fifty Thousand"
        );
        assert_eq!(
            number_words(13_580_810u32),
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
    fn roman_numerals() {
        assert_eq!(roman(1).unwrap(), "I");
        assert_eq!(roman(4).unwrap(), "IV");
        assert_eq!(roman(7).unwrap(), "VII");
        assert_eq!(roman(1999).unwrap(), "MCMXCIX");
        assert!(roman(0).is_err());
    }
}

/// "a" or "an" before a phrase, by how it sounds: "an Ohio corporation", "a Delaware
/// corporation", "a Utah trust", "an LLC", "an hour", "a one-time payment".
pub fn a_an(phrase: &str) -> &'static str {
    let p = phrase.trim_start();
    let lower = p.to_lowercase();
    let first_word = p.split(|c: char| !c.is_alphanumeric()).next().unwrap_or("");
    // Initialisms read letter by letter: "an LLC", "an S corporation", "a UK company".
    let initialism = first_word.len() > 1 && first_word.chars().all(|c| c.is_ascii_uppercase())
        || first_word.len() == 1 && first_word.chars().all(|c| c.is_ascii_uppercase());
    if initialism {
        return match first_word.chars().next() {
            Some('A' | 'E' | 'F' | 'H' | 'I' | 'L' | 'M' | 'N' | 'O' | 'R' | 'S' | 'X') => "an",
            _ => "a",
        };
    }
    const AN: [&str; 6] = ["hour", "honest", "honor", "honour", "heir", "herb"];
    const A: [&str; 9] = [
        "uni", "use", "usu", "uti", "eu", "one", "once", "ewe", "ure",
    ];
    if AN.iter().any(|w| lower.starts_with(w)) {
        return "an";
    }
    if lower.starts_with("unin") || lower.starts_with("una") {
        // "an unincorporated association", "an unaffiliated party"
        return "an";
    }
    if A.iter().any(|w| lower.starts_with(w)) {
        return "a";
    }
    // A "u" read "yoo": a consonant then a vowel after it (Utah, unit, uranium), but not the
    // prefix "un-" (an unlimited company) or "umbrella".
    let bytes = lower.as_bytes();
    if bytes.first() == Some(&b'u')
        && !lower.starts_with("un")
        && bytes.get(1).is_some_and(|c| !b"aeiou".contains(c))
        && bytes.get(2).is_some_and(|c| b"aeiou".contains(c))
    {
        return "a";
    }
    match lower.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        // "an 8-K", "an 11-year term", "an 18"; "a 10-Q".
        Some(c)
            if c.is_ascii_digit()
                && (lower.starts_with('8')
                    || lower.starts_with("11")
                    || lower.starts_with("18")) =>
        {
            "an"
        }
        _ => "a",
    }
}

/// Items joined as a list in prose: "A", "A and B", "A, B and C", or with the serial comma
/// "A, B, and C"; `conjunction` is "and" or "or".
pub fn join_list(items: &[String], conjunction: &str, serial: bool) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [a, b] => format!("{a} {conjunction} {b}"),
        [init @ .., last] => format!(
            "{}{} {conjunction} {last}",
            init.join(", "),
            if serial { "," } else { "" }
        ),
    }
}

#[cfg(test)]
mod prose_tests {
    use super::*;

    #[test]
    fn articles_by_sound() {
        for (p, a) in [
            ("Ohio corporation", "an"),
            ("Delaware corporation", "a"),
            ("Utah trust", "a"),
            ("Indiana limited partnership", "an"),
            ("LLC", "an"),
            ("S corporation", "an"),
            ("UK company", "a"),
            ("hour", "an"),
            ("one-time payment", "a"),
            ("unit trust", "a"),
            ("umbrella fund", "an"),
            ("unincorporated association", "an"),
            ("unlimited company", "an"),
            ("usual course", "a"),
            ("8-K", "an"),
            ("10-Q", "a"),
            ("individual", "an"),
            ("", "a"),
        ] {
            assert_eq!(a_an(p), a, "{p}");
        }
    }

    #[test]
    fn number_words_read_back() {
        for n in (0u64..20).chain((2..10).map(|t| t * 10)) {
            assert_eq!(word_value(&number_words(n)), Some(n));
            assert_eq!(word_value(&number_words(n).to_lowercase()), Some(n));
        }
        assert_eq!(word_value(""), None);
        assert_eq!(word_value("hundred"), None);
    }

    #[test]
    fn lists_in_prose() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(join_list(&v(&[]), "and", false), "");
        assert_eq!(join_list(&v(&["A"]), "and", true), "A");
        assert_eq!(join_list(&v(&["A", "B"]), "or", true), "A or B");
        assert_eq!(join_list(&v(&["A", "B", "C"]), "and", false), "A, B and C");
        assert_eq!(join_list(&v(&["A", "B", "C"]), "and", true), "A, B, and C");
    }
}
