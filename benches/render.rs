//! Rendering speed, printed as a table: `cargo bench --bench render`.
//!
//! For each original: the pipeline up to the Document (TOML check, Tera, Djot), the text
//! renderer, the layout, the PDF writer, and data → PDF as a whole, in-process. Median and best
//! of N runs after a warm-up, wall time on this machine. Not a test: nothing here can fail on
//! speed; the numbers go in the issue notes beside `../shared/bench/anchors.sh`.
//!
//! Then the evenness of justification: every inter-word space of body type (12 pt) in the
//! layout of each original, as set (mean, 99th percentile, largest), and how many lines hold a
//! space wider than 6 pt (a natural space is 3 pt).

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

/// Inter-word spaces of body type: (all spaces in points, lines with one wider than 6 pt, lines).
fn gaps(laid: &engross::layout::Layout) -> (Vec<f32>, usize, usize) {
    gaps_of(laid, |_| true)
}

/// Lines in capitals: at least 20 letters, none of them lower case (the legends).
fn capitals(text: &str) -> bool {
    text.chars().filter(|c| c.is_alphabetic()).count() >= 20
        && !text.chars().any(char::is_lowercase)
}

/// [`gaps`] of the lines whose text passes `keep`.
fn gaps_of(
    laid: &engross::layout::Layout,
    keep: impl Fn(&str) -> bool,
) -> (Vec<f32>, usize, usize) {
    let fonts = engross::layout::fonts::Fonts::get();
    let mut all = Vec::new();
    let (mut wide, mut lines) = (0, 0);
    for page in &laid.pages {
        for item in &page.items {
            if let engross::layout::Item::Text {
                face, size, glyphs, ..
            } = item
                && (*size - laid.setup.font_size).abs() < 0.01
            {
                let upem = fonts.units_per_em(*face) as f32;
                let text: String = glyphs.iter().map(|g| &*g.text).collect();
                if !keep(&text) {
                    continue;
                }
                let spaces: Vec<f32> = glyphs
                    .iter()
                    .filter(|g| &*g.text == " ")
                    .map(|g| g.advance as f32 * size / upem)
                    .collect();
                if spaces.is_empty() {
                    continue;
                }
                lines += 1;
                if spaces.iter().any(|g| *g > 6.0) {
                    wide += 1;
                }
                all.extend(spaces);
            }
        }
    }
    all.sort_by(f32::total_cmp);
    (all, wide, lines)
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
    println!();
    println!("inter-word spaces of 12 pt body type, points (natural: 3.00)");
    println!(
        "{:<20} {:>7} {:>7} {:>7} {:>7} {:>12} {:>7}",
        "original", "spaces", "mean", "p99", "max", "lines >6pt", "lines"
    );
    for name in ORIGINALS {
        let path = format!("data/originals/{name}.toml");
        let text = std::fs::read_to_string(&path).expect("data file");
        let rendered = engine.run(&text, &path).expect("renders");
        let setup = engross::page_setup(&rendered.data.page);
        let laid = engross::layout::layout(&rendered.document, setup, "Doc. 00000000");
        let (all, wide, lines) = gaps(&laid);
        if all.is_empty() {
            continue;
        }
        let mean = all.iter().sum::<f32>() / all.len() as f32;
        let p99 = all[(all.len() * 99 / 100).min(all.len() - 1)];
        println!(
            "{name:<20} {:>7} {:>7.2} {:>7.2} {:>7.2} {:>12} {:>7}",
            all.len(),
            mean,
            p99,
            all[all.len() - 1],
            wide,
            lines
        );
    }
    println!();
    println!("the same, lines in capitals only (legends)");
    println!(
        "{:<20} {:>7} {:>7} {:>7} {:>7} {:>12} {:>7}",
        "original", "spaces", "mean", "p99", "max", "lines >6pt", "lines"
    );
    for name in ORIGINALS {
        let path = format!("data/originals/{name}.toml");
        let text = std::fs::read_to_string(&path).expect("data file");
        let rendered = engine.run(&text, &path).expect("renders");
        let setup = engross::page_setup(&rendered.data.page);
        let laid = engross::layout::layout(&rendered.document, setup, "Doc. 00000000");
        let (all, wide, lines) = gaps_of(&laid, capitals);
        if all.is_empty() {
            continue;
        }
        let mean = all.iter().sum::<f32>() / all.len() as f32;
        let p99 = all[(all.len() * 99 / 100).min(all.len() - 1)];
        println!(
            "{name:<20} {:>7} {:>7.2} {:>7.2} {:>7.2} {:>12} {:>7}",
            all.len(),
            mean,
            p99,
            all[all.len() - 1],
            wide,
            lines
        );
    }
    // Beside Typst: the subscription agreement's paragraphs as plain text, set by engross and
    // (when the `typst` Python package is installed) by Typst in the same font, measured alike
    // with pdftotext by tests/tools/gaps.py.
    let path = "data/originals/subscription-2005.toml";
    let rendered = engine
        .run(&std::fs::read_to_string(path).expect("data file"), path)
        .expect("renders");
    let text = engross::document::ascii(&engross::render::text::render(&rendered.document));
    let doc = engross::document::plain::parse(&text);
    let laid = engross::layout::layout(&doc, engross::layout::PageSetup::default(), "");
    let pdf = engross::pdf::write(&laid, &engross::pdf::Metadata::default(), b"gaps").unwrap();
    let dir = std::env::temp_dir().join("engross-gaps");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join("subscription.txt"), &text);
    let _ = std::fs::write(dir.join("engross.pdf"), pdf);
    println!();
    println!("subscription-2005 as plain paragraphs, gaps on justified lines (pdftotext -bbox)");
    match std::process::Command::new("python3")
        .arg("tests/tools/gaps.py")
        .arg(dir.join("subscription.txt"))
        .arg("assets/fonts")
        .arg(dir.join("engross.pdf"))
        .arg(&dir)
        .output()
    {
        Ok(out) => print!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => println!("(cannot run tests/tools/gaps.py: {e})"),
    }
}
