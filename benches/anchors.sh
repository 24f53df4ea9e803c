#!/usr/bin/env bash
# The subscription agreement to PDF as a whole command, beside the tools a user would otherwise
# pick, in one hyperfine run (same machine, same moment, same load):
#   engross         data → PDF/A-3b, tagged, hyphenated, with form fields (release binary)
#   pandoc-pdflatex the original's text as Markdown → PDF (1-inch margins, 12 pt)
#   typst           the same paragraphs as Typst markup, Liberation Serif 12 pt, justified,
#                   compiled by the `typst` Python package (PyPI); python-import is that
#                   package's start-up alone, to be read beside it.
# Usage: benches/anchors.sh [RUNS]   (from the repository's root; builds the release binary)
#        BEFORE=/path/to/an/older/engross benches/anchors.sh   adds that binary as a row.
# Needs: hyperfine, pandoc, texlive-latex-base + texlive-latex-recommended + lmodern (pandoc's
# LaTeX template loads lmodern.sty; without it pdflatex stops with exit 43), python3 with typst.
# Not part of CI: the figures go in the issue notes with the machine's load (uptime).
set -eu
runs=${1:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
seed="$root/tests/originals/subscription-2005.txt"
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
python3 - "$seed" "$w" <<'PY'
import re, sys
src = open(sys.argv[1]).read()
src = re.sub(r'\n\s*\d+\s*\n<PAGE>\n', '\n\n', src).replace('<PAGE>', '')
paras = [re.sub(r'\s+', ' ', p).strip() for p in re.split(r'\n\s*\n', src)]
paras = [p for p in paras if p]
md = lambda p: p.replace('\\', '\\\\').replace('_', '\\_').replace('$', '\\$').replace('#', '\\#')
open(sys.argv[2] + '/doc.md', 'w').write('\n\n'.join(md(p) for p in paras))
# Each paragraph as a Typst string literal: nothing in it is markup.
typ = lambda p: '#"' + p.replace('\\', '\\\\').replace('"', '\\"') + '"'
head = ('#set page(paper: "us-letter", margin: 1in)\n'
        '#set text(font: "Liberation Serif", size: 12pt, lang: "en")\n'
        '#set par(justify: true)\n\n')
open(sys.argv[2] + '/doc.typ', 'w').write(head + '\n\n'.join(typ(p) for p in paras) + '\n')
PY
cp "$root/data/originals/subscription-2005.toml" "$w/"
cd "$w"
fonts="$root/assets/fonts"
before=()
if [ -n "${BEFORE:-}" ]; then
  before=(-n engross-before "$BEFORE render subscription-2005.toml -f pdf -o b.pdf --force")
fi
uptime
hyperfine -w 2 -r "$runs" -N \
  -n engross "$root/target/release/engross render subscription-2005.toml -f pdf -o e.pdf --force" \
  "${before[@]}" \
  -n pandoc-pdflatex "pandoc doc.md -o p.pdf -V geometry:margin=1in -V fontsize=12pt" \
  -n typst "python3 -c \"import typst; typst.compile('doc.typ', output='t.pdf', font_paths=['$fonts'])\"" \
  -n python-import "python3 -c \"import typst\""
uptime
for f in e.pdf p.pdf t.pdf; do
  printf '%s: %s pages, %s bytes\n' "$f" "$(pdfinfo "$f" 2>/dev/null | awk '/^Pages/{print $2}')" "$(stat -c %s "$f")"
done
