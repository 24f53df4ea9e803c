//! Comparison speed, printed as a table: `cargo bench --bench diff`.
//!
//! - the subscription agreement against itself with 50 scattered word edits;
//! - a 1 MB document (the five originals concatenated many times) with 500 edits;
//! - two unrelated documents (subscription vs option, then 1 MB vs 1 MB of other text), which
//!   the deadline bounds.
//!
//! Median and best of N runs, wall time; the documents are built once, outside the timing.

use std::time::{Duration, Instant};

use engross::diff::{self, Options};
use engross::document::{Document, plain};

fn text_of(name: &str, engine: &engross::Engine) -> String {
    let path = format!("data/originals/{name}.toml");
    let text = std::fs::read_to_string(&path).expect("data");
    engross::render::text::render(&engine.run(&text, &path).expect("renders").document)
}

/// Replace `edits` words spread evenly through the text.
fn edited(text: &str, edits: usize) -> String {
    let mut words: Vec<String> = text.split(' ').map(str::to_string).collect();
    let step = (words.len() / (edits + 1)).max(1);
    for k in 1..=edits {
        let i = (k * step).min(words.len() - 1);
        words[i] = format!("EDIT{k}");
    }
    words.join(" ")
}

fn measure(runs: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    f();
    let mut t: Vec<Duration> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed()
        })
        .collect();
    t.sort();
    (t[t.len() / 2], t[0])
}

fn row(label: &str, a: &Document, b: &Document, runs: usize, options: &Options) {
    let cmp = diff::compare(a, b, options).expect("consistent");
    let (median, best) = measure(runs, || {
        let _ = std::hint::black_box(diff::compare(a, b, options));
    });
    let s = cmp.summary();
    println!(
        "{label:<44} {:>9.2} {:>9.2} {:>8} {:>8}{}",
        median.as_secs_f64() * 1000.0,
        best.as_secs_f64() * 1000.0,
        cmp.word_counts().1,
        s.changes,
        if cmp.timed_out { "  (deadline)" } else { "" }
    );
}

fn main() {
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(10);
    let engine = engross::Engine::builtin().expect("templates");
    let names = [
        "assignment-2006",
        "severance-2007",
        "subscription-2005",
        "option-2005",
        "default-notice-2008",
    ];
    let texts: Vec<String> = names.iter().map(|n| text_of(n, &engine)).collect();
    let options = Options::default();
    println!(
        "engross diff benchmark: median / best of {runs} runs, milliseconds; deadline {:?}",
        options.deadline
    );
    println!(
        "{:<44} {:>9} {:>9} {:>8} {:>8}",
        "case", "median", "best", "words", "changes"
    );

    let sub = &texts[2];
    row(
        "subscription, 50 scattered edits",
        &plain::parse(sub),
        &plain::parse(&edited(sub, 50)),
        runs,
        &options,
    );

    let mut big = String::new();
    while big.len() < 1_000_000 {
        for t in &texts {
            big.push_str(t);
            big.push_str("\n\n");
        }
    }
    let big_doc = plain::parse(&big);
    row(
        &format!("{:.1} MB document, 500 edits", big.len() as f64 / 1e6),
        &big_doc,
        &plain::parse(&edited(&big, 500)),
        runs.min(5),
        &options,
    );

    row(
        "unrelated: subscription vs option",
        &plain::parse(sub),
        &plain::parse(&texts[3]),
        runs,
        &options,
    );

    // 1 MB against 1 MB of the same words in another order: no common structure.
    let mut shuffled: Vec<&str> = big.split_whitespace().collect();
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for i in (1..shuffled.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        shuffled.swap(i, (x % (i as u64 + 1)) as usize);
    }
    let other = shuffled.join(" ");
    row(
        "unrelated: 1 MB vs 1 MB shuffled",
        &big_doc,
        &plain::parse(&other),
        3,
        &options,
    );
}
