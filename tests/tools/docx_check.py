"""Reads .docx files as Word would, for engross's tests; prints one JSON object.

For each file given: the text of every paragraph (body and table cells, in order) with all
tracked changes accepted and with all rejected, done on the XML (accepting drops w:del and
w:moveFrom with their content, rejecting drops w:ins and w:moveTo; deleted text counts when
rejected); and, through python-docx, the paragraph styles in use and the content controls'
tags. Usage: python3 docx_check.py FILE.docx...
"""
import json
import sys
import zipfile
import xml.etree.ElementTree as ET

import docx  # python-docx
from docx.oxml.ns import qn

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def texts(root, dropped, keep_deleted):
    """Paragraph texts, skipping whatever lies inside a `dropped` element."""
    out = []

    def walk(el, para):
        tag = el.tag
        if tag in dropped or tag == W + "instrText":
            return
        if tag == W + "p":
            para = []
            out.append(para)
        elif tag == W + "t" or (keep_deleted and tag == W + "delText"):
            para.append(el.text or "")
        elif tag in (W + "tab", W + "br", W + "cr"):
            if para is not None:
                para.append(" ")
        for child in el:
            walk(child, para)

    walk(root, None)
    return ["".join(p) for p in out]


def read(path):
    with zipfile.ZipFile(path) as z:
        root = ET.fromstring(z.read("word/document.xml"))
    body = root.find(W + "body")
    accept = texts(body, {W + "del", W + "moveFrom"}, False)
    reject = texts(body, {W + "ins", W + "moveTo"}, True)
    d = docx.Document(path)
    used = sorted({p.style.name for p in d.paragraphs if p.style is not None})
    for t in d.tables:
        for row in t.rows:
            for cell in row.cells:
                used.extend(p.style.name for p in cell.paragraphs if p.style is not None)
    defined = sorted(s.name for s in d.styles)
    tags = [
        el.find(qn("w:sdtPr")).find(qn("w:tag")).get(qn("w:val"))
        for el in d.element.body.iter(qn("w:sdt"))
        if el.find(qn("w:sdtPr")) is not None and el.find(qn("w:sdtPr")).find(qn("w:tag")) is not None
    ]
    return {
        "accept": accept,
        "reject": reject,
        "styles_used": sorted(set(used)),
        "styles_defined": defined,
        "tags": tags,
        "section": {
            "width": d.sections[0].page_width,
            "height": d.sections[0].page_height,
            "left": d.sections[0].left_margin,
        },
    }


print(json.dumps({p: read(p) for p in sys.argv[1:]}))
