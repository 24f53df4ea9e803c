//! Proofing speed: `cargo bench --bench proof`. For each of the ten data files, in-process, the
//! proof of its rendered Document (median and best of N runs, `ENGROSS_BENCH_RUNS`, default
//! 20). Not a test: nothing here fails on speed.

use std::time::{Duration, Instant};

fn main() {
    let runs: usize = std::env::var("ENGROSS_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(20);
    let engine = engross::Engine::builtin().expect("templates load");
    println!("engross proof benchmark: median / best of {runs} runs, milliseconds");
    for dir in ["data/originals", "data/examples"] {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .expect("data folder")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        for path in files {
            let origin = path.display().to_string();
            let text = std::fs::read_to_string(&path).expect("data file");
            let doc = engine.run(&text, &origin).expect("renders").document;
            let mut times: Vec<Duration> = (0..=runs)
                .map(|_| {
                    let t = Instant::now();
                    std::hint::black_box(engross::proof::proof(&doc));
                    t.elapsed()
                })
                .collect();
            times.sort();
            println!(
                "{origin:<44} {:>8.2} {:>8.2} ({} findings)",
                times[times.len() / 2].as_secs_f64() * 1e3,
                times[0].as_secs_f64() * 1e3,
                engross::proof::proof(&doc).len()
            );
        }
    }
}
