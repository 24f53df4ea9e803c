//! Extraction speed: `cargo bench --bench extract`. For each of the five originals, in-process,
//! `engross extract` of its SEC text (median and best of N runs, `ENGROSS_BENCH_RUNS`, default
//! 10), with the fields recovered. Not a test: nothing here fails on speed.

use std::time::{Duration, Instant};

fn main() {
    let runs: usize = std::env::var("ENGROSS_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(10);
    let engine = engross::Engine::builtin().expect("templates load");
    println!("engross extract benchmark: median / best of {runs} runs, milliseconds");
    for name in [
        "assignment-2006",
        "severance-2007",
        "subscription-2005",
        "option-2005",
        "default-notice-2008",
    ] {
        let kind = name.rsplit_once('-').expect("kind-year").0;
        let path = format!("tests/originals/{name}.txt");
        let text = std::fs::read_to_string(&path).expect("original text");
        let mut fields = 0;
        let mut times: Vec<Duration> = (0..runs.max(1))
            .map(|_| {
                let t = Instant::now();
                let x = engross::extract::extract(&engine, kind, &text, &path).expect("extracts");
                let elapsed = t.elapsed();
                fields = x.recovered.len();
                std::hint::black_box(x);
                elapsed
            })
            .collect();
        times.sort();
        println!(
            "{path:<40} {:>8.1} {:>8.1} ({fields} fields)",
            times[times.len() / 2].as_secs_f64() * 1e3,
            times[0].as_secs_f64() * 1e3,
        );
    }
}
