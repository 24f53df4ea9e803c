//! Rendering speed, printed as a table: `cargo bench --bench render`.
//!
//! For each original: the pipeline up to the Document (TOML check, Tera, Djot), the text
//! renderer, the layout, the PDF writer, and data → PDF as a whole, in-process. Median and best
//! of N runs after a warm-up, wall time on this machine. Not a test: nothing here can fail on
//! speed; the numbers go in the issue notes beside `../shared/bench/anchors.sh`.

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
    format!("{:8.2}", d.as_secs_f64() * 1000.0)
}

fn main() {
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(20);
    let engine = engross::Engine::builtin().expect("templates load");
    println!("engross render benchmark: median / best of {runs} runs, milliseconds");
    println!(
        "{:<20} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>6} {:>9}",
        "original", "document", "text", "layout", "pdf", "to-pdf", "best", "pages", "bytes"
    );
    for name in ORIGINALS {
        let path = format!("data/originals/{name}.toml");
        let text = std::fs::read_to_string(&path).expect("data file");
        let rendered = engine.run(&text, &path).expect("renders");
        let (doc, _) = measure(runs, || {
            std::hint::black_box(engine.run(&text, &path).unwrap());
        });
        let (txt, _) = measure(runs, || {
            std::hint::black_box(engross::render::text::render(&rendered.document));
        });
        let setup = engross::page_setup(&rendered.data.page);
        let (lay, _) = measure(runs, || {
            std::hint::black_box(engross::layout::layout(
                &rendered.document,
                setup,
                "Doc. 00000000",
            ));
        });
        let laid = engross::layout::layout(&rendered.document, setup, "Doc. 00000000");
        let meta = engross::pdf::Metadata::default();
        let (write, _) = measure(runs, || {
            std::hint::black_box(engross::pdf::write(&laid, &meta, b"bench").unwrap());
        });
        let mut bytes = 0;
        let (whole, best) = measure(runs, || {
            let r = engine.run(&text, &path).unwrap();
            bytes = engine.pdf(&r).unwrap().len();
        });
        println!(
            "{name:<20} {} {} {} {} {} {} {:>6} {:>9}",
            ms(doc),
            ms(txt),
            ms(lay),
            ms(write),
            ms(whole),
            ms(best),
            laid.pages.len(),
            bytes
        );
    }
}
