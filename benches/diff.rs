//! Comparison speed, printed as a table: `cargo bench --bench diff`.
//!
//! - the subscription agreement against itself with 50 scattered word edits;
//! - a 1 MB document (the five originals concatenated many times) with 500 edits;
//! - two unrelated documents (subscription vs option, then 1 MB vs 1 MB of other text), which
//!   the deadline bounds.
//!
//! Median and best of N runs, wall time; the documents are built once, outside the timing.

use std::path::Path;
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

/// About `edits` edits of every kind spread through the text: replacements, insertions,
/// deletions, and now and then a sentence inserted.
fn mixed(text: &str, edits: usize) -> String {
    let mut words: Vec<String> = text.split(' ').map(str::to_string).collect();
    let step = (words.len() / (edits + 1)).max(1);
    for k in (1..=edits).rev() {
        let i = (k * step).min(words.len() - 1);
        match k % 4 {
            0 => words[i] = format!("REPLACED{k}"),
            1 => words.insert(i, format!("INSERTED{k}")),
            2 => {
                words.remove(i);
            }
            _ => words.insert(
                i,
                format!("provided that the notice is given in writing{k}"),
            ),
        }
    }
    words.join(" ")
}

/// Median wall time of a whole command, run `runs` times.
fn command(runs: usize, program: &str, args: &[&std::path::Path]) -> Duration {
    measure(runs, || {
        let status = std::process::Command::new(program)
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("runs");
        assert!(status.code().is_some_and(|c| c <= 1), "{program} failed");
    })
    .0
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

    // The whole command beside git's word diff on the same two files (~70 KB, ~120 edits).
    let dir = std::env::temp_dir().join(format!("engross-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (a, b) = (dir.join("old.txt"), dir.join("new.txt"));
    std::fs::write(&a, sub).expect("write");
    std::fs::write(&b, mixed(sub, 120)).expect("write");
    let ours = command(
        runs,
        env!("CARGO_BIN_EXE_engross"),
        &[Path::new("diff"), Path::new("-f"), Path::new("txt"), &a, &b],
    );
    let git = std::process::Command::new("git")
        .arg("--version")
        .output()
        .is_ok()
        .then(|| {
            command(
                runs,
                "git",
                &[
                    Path::new("diff"),
                    Path::new("--no-index"),
                    Path::new("--word-diff"),
                    &a,
                    &b,
                ],
            )
        });
    println!(
        "{:<44} {:>9.2} {:>9} {:>8} {:>8}",
        format!("command: engross diff, {} KB, ~120 edits", sub.len() / 1000),
        ours.as_secs_f64() * 1000.0,
        "",
        "",
        ""
    );
    if let Some(git) = git {
        println!(
            "{:<44} {:>9.2}    ({:.2}x engross's time)",
            "command: git diff --no-index --word-diff",
            git.as_secs_f64() * 1000.0,
            ours.as_secs_f64() / git.as_secs_f64()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);

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

    // 1.2 MB of one-word paragraphs against as many others, deadline 100 ms.
    let one = |seed: u64| -> String {
        let mut x = seed;
        let mut out = String::new();
        while out.len() < 1_200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            out.push_str(shuffled[(x % shuffled.len() as u64) as usize]);
            out.push_str("\n\n");
        }
        out
    };
    row(
        "1.2 MB one-word paragraphs, deadline 100 ms",
        &plain::parse(&one(7)),
        &plain::parse(&one(11)),
        3,
        &Options {
            deadline: Duration::from_millis(100),
            ..options
        },
    );
}
