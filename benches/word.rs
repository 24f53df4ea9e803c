//! Word speed, printed as a table: `cargo bench --bench word`.
//!
//! For each original, in-process: the Document to .docx bytes, and data → .docx as a whole
//! (TOML check, Tera, Djot, WordprocessingML, ZIP) beside data → PDF in the same run. Then the
//! redline of the subscription agreement (2005 form → 2026 draft): the comparison, and its Word
//! and PDF renderings. Median and best of N runs (`ENGROSS_BENCH_RUNS`, default 20) after a
//! warm-up, wall time. Not a test: nothing here fails on speed; the figures go in the notes.

use std::time::{Duration, Instant};

const ORIGINALS: [&str; 5] = [
    "assignment-2006",
    "severance-2007",
    "subscription-2005",
    "option-2005",
    "default-notice-2008",
];

fn measure(runs: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    f();
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    (times[times.len() / 2], times[0])
}

fn ms(d: Duration) -> String {
    format!("{:>8.2}", d.as_secs_f64() * 1e3)
}

fn main() {
    let runs: usize = std::env::var("ENGROSS_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(20);
    let engine = engross::Engine::builtin().expect("templates load");
    println!("engross Word benchmark: median / best of {runs} runs, milliseconds");
    println!(
        "{:<20} {:>8} {:>8} {:>8} {:>8} {:>9}",
        "original", "docx", "to-docx", "best", "to-pdf", "bytes"
    );
    for name in ORIGINALS {
        let path = format!("data/originals/{name}.toml");
        let text = std::fs::read_to_string(&path).expect("data file");
        let rendered = engine.run(&text, &path).expect("renders");
        let (docx, _) = measure(runs, || {
            std::hint::black_box(engine.docx(&rendered).unwrap());
        });
        let mut bytes = 0;
        let (whole, best) = measure(runs, || {
            let r = engine.run(&text, &path).unwrap();
            bytes = engine.docx(&r).unwrap().len();
        });
        let (pdf, _) = measure(runs, || {
            let r = engine.run(&text, &path).unwrap();
            std::hint::black_box(engine.pdf(&r).unwrap());
        });
        println!(
            "{name:<20} {} {} {} {} {bytes:>9}",
            ms(docx),
            ms(whole),
            ms(best),
            ms(pdf)
        );
    }
    let input = |p: &str| {
        let bytes = std::fs::read(p).expect("data file");
        engine.input(p, &bytes).expect("loads")
    };
    let old = input("data/originals/subscription-2005.toml");
    let new = input("data/examples/subscription-2026.toml");
    let options = engross::diff::Options::default();
    let red = engross::comparison::compare(&old, &new, &options).expect("compares");
    let (cmp, _) = measure(runs, || {
        std::hint::black_box(engross::comparison::compare(&old, &new, &options).unwrap());
    });
    let (docx, _) = measure(runs, || {
        std::hint::black_box(red.docx("engross"));
    });
    let (pdf, _) = measure(runs, || {
        std::hint::black_box(red.pdf().unwrap());
    });
    println!();
    println!(
        "redline subscription-2005 -> subscription-2026 ({} changes): compare {} ms, docx {} ms, pdf {} ms",
        red.report.changes.len(),
        ms(cmp).trim(),
        ms(docx).trim(),
        ms(pdf).trim()
    );
}
