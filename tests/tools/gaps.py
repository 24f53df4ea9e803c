#!/usr/bin/env python3
"""Inter-word gaps of justified text, measured the same way in any PDF.

Usage: gaps.py TEXT FONT_DIR ENGROSS.pdf [OUT_DIR]

TEXT is a plain-text file of paragraphs (blank lines between them) that ENGROSS.pdf sets. If
the `typst` Python package is installed, the same paragraphs are set by Typst 0.x in the same
font (Liberation Serif 12 pt, 1-inch margins on US Letter, justified, leading as engross's),
once without and once with hyphenation, into OUT_DIR. Every PDF is then measured with poppler's
`pdftotext -bbox`: on each line whose last word ends at the right margin (a justified line), the
gaps between consecutive words. Prints one row per PDF: lines, gaps, mean, p95, p99, largest gap
in points, and how many lines hold a gap wider than 6 pt.
"""
import os
import re
import statistics
import subprocess
import sys
import tempfile


def words_by_line(pdf):
    html = subprocess.run(["pdftotext", "-bbox", pdf, "-"], capture_output=True, text=True,
                          check=True).stdout
    lines = {}
    for page, body in enumerate(html.split("<page ")[1:]):
        for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
                             r'yMax="([\d.]+)">', body):
            x0, y0, x1, _ = (float(v) for v in m.groups())
            lines.setdefault((page, round(y0, 1)), []).append((x0, x1))
    return lines


def stats(pdf, right=540.0, left=72.0):
    gaps, wide, count = [], 0, 0
    for words in words_by_line(pdf).values():
        words.sort()
        if len(words) < 3 or words[-1][1] < right - 1.0 or words[0][0] < left - 1.0:
            continue
        g = [b[0] - a[1] for a, b in zip(words, words[1:])]
        # Columns and tabs are no inter-word spaces.
        if max(g) > 30:
            continue
        count += 1
        gaps.extend(g)
        wide += any(x > 6.0 for x in g)
    gaps.sort()
    q = lambda p: gaps[min(len(gaps) - 1, int(len(gaps) * p))]
    return count, len(gaps), statistics.mean(gaps), q(0.95), q(0.99), gaps[-1], wide


def typst_source(text, hyphenate):
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]
    out = [
        '#set page(paper: "us-letter", margin: 1in)',
        '#set text(font: "Liberation Serif", size: 12pt, lang: "en", '
        f'hyphenate: {"true" if hyphenate else "false"})',
        "#set par(justify: true, leading: 2.5pt, spacing: 9.75pt)",
        "",
    ]
    for p in paragraphs:
        out.append('#"' + p.replace("\\", "\\\\").replace('"', '\\"') + '"')
        out.append("")
    return "\n".join(out)


def main():
    text_path, font_dir, engross_pdf = sys.argv[1:4]
    out_dir = sys.argv[4] if len(sys.argv) > 4 else tempfile.mkdtemp()
    with open(text_path) as f:
        text = f.read()
    pdfs = [("engross", engross_pdf)]
    try:
        import typst
        for hyph in (False, True):
            src = os.path.join(out_dir, f"typst-{'hyph' if hyph else 'plain'}.typ")
            with open(src, "w") as f:
                f.write(typst_source(text, hyph))
            pdf = src[:-4] + ".pdf"
            typst.compile(src, output=pdf, font_paths=[font_dir])
            pdfs.append((f"typst {typst.__version__ if hasattr(typst, '__version__') else ''}"
                         f"{' hyphenated' if hyph else ''}", pdf))
    except ImportError:
        print("(typst is not installed: pip install typst)")
    print(f"{'setter':<24} {'lines':>6} {'gaps':>6} {'mean':>6} {'p95':>6} {'p99':>6} "
          f"{'max':>6} {'>6pt':>6}")
    for name, pdf in pdfs:
        n, g, mean, p95, p99, mx, wide = stats(pdf)
        print(f"{name:<24} {n:>6} {g:>6} {mean:>6.2f} {p95:>6.2f} {p99:>6.2f} {mx:>6.2f} "
              f"{wide:>6}")


if __name__ == "__main__":
    main()
