#!/usr/bin/env python3
"""LibreOffice's own Accept All and Reject All on engross's Word redlines of the five kinds,
both ways, each compared word for word with LibreOffice's text of the plain .docx of the
version it must give (underscores of blanks and rules aside: the redline draws a signature
rule as text). Not run by `cargo test`; run it by hand with the system Python (python3-uno):

    /usr/bin/python3 tests/tools/lo_accept_reject.py target/debug/engross OUTDIR

LibreOffice 7.4 headless aborts loading any .docx with a comment through UNO (a python-docx
file with one comment does the same), so the summary comment is stripped first.
"""
import difflib, os, re, subprocess, sys, time, zipfile

import uno
from com.sun.star.beans import PropertyValue

KINDS = ["assignment", "severance", "subscription", "option", "default-notice"]

def strip_comments(src, dst):
    zin = zipfile.ZipFile(src)
    zout = zipfile.ZipFile(dst, 'w', zipfile.ZIP_DEFLATED)
    for item in zin.infolist():
        data = zin.read(item.filename)
        if item.filename == 'word/comments.xml':
            continue
        if item.filename == 'word/document.xml':
            s = data.decode()
            s = re.sub(r'<w:commentRange(Start|End)[^>]*/>', '', s)
            s = re.sub(r'<w:r>(?:(?!</w:r>).)*?<w:commentReference[^>]*/>(?:(?!</w:r>).)*?</w:r>', '', s, flags=re.S)
            data = s.encode()
        if item.filename == 'word/_rels/document.xml.rels':
            data = re.sub(rb'<Relationship [^>]*comments\.xml"[^>]*/>', b'', data)
        if item.filename == '[Content_Types].xml':
            data = re.sub(rb'<Override [^>]*comments\.xml"[^>]*/>', b'', data)
        zout.writestr(item, data)
    zout.close()

def prop(n, v):
    p = PropertyValue(); p.Name = n; p.Value = v; return p



def words(path):
    text = open(path, encoding="utf-8-sig").read()
    return [w for w in (x.replace("_", "") for x in text.split()) if w]


def main():
    engross, out = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.makedirs(out, exist_ok=True)
    jobs = []
    for k in KINDS:
        data = lambda d: next(os.path.join(root, "data", d, f) for f in sorted(os.listdir(os.path.join(root, "data", d))) if f.startswith(k + "-"))
        old, new = data("originals"), data("examples")
        for name, args in ((f"{k}-old.docx", ["render", old]), (f"{k}-new.docx", ["render", new]),
                           (f"{k}-fwd.docx", ["redline", old, new]), (f"{k}-back.docx", ["redline", new, old])):
            path = os.path.join(out, name)
            fmt = ["-f", "docx"] if args[0] == "render" else []
            subprocess.run([engross] + args + fmt + ["-o", path, "--force"], check=True, capture_output=True)
        jobs.append(k)
    plain = [os.path.join(out, f"{k}-{v}.docx") for k in KINDS for v in ("old", "new")]
    subprocess.run(["soffice", "--headless", "--convert-to", "txt:Text", "--outdir", out] + plain,
                   check=True, capture_output=True)
    proc = subprocess.Popen(["soffice", "--headless", "--invisible", "--norestore",
                             "--accept=socket,host=localhost,port=2002;urp;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(120):
        try:
            ctx = resolver.resolve("uno:socket,host=localhost,port=2002;urp;StarOffice.ComponentContext")
            break
        except Exception:
            time.sleep(0.5)
    smgr = ctx.ServiceManager
    desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    dispatcher = smgr.createInstanceWithContext("com.sun.star.frame.DispatchHelper", ctx)
    bad = 0
    for k in KINDS:
        for d, acc, rej in (("fwd", "new", "old"), ("back", "old", "new")):
            f = os.path.join(out, f"{k}-{d}.docx")
            stripped = f[:-5] + ".nocomment.docx"
            strip_comments(f, stripped)
            for what, cmd, want in (("accept", ".uno:AcceptAllTrackedChanges", acc),
                                    ("reject", ".uno:RejectAllTrackedChanges", rej)):
                doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(stripped), "_blank", 0, (prop("Hidden", True),))
                dispatcher.executeDispatch(doc.getCurrentController().getFrame(), cmd, "", 0, ())
                txt = f[:-5] + "." + what + ".txt"
                doc.storeToURL(uno.systemPathToFileUrl(txt), (prop("FilterName", "Text (encoded)"), prop("FilterOptions", "UTF8")))
                doc.close(True)
                a, b = words(txt), words(os.path.join(out, f"{k}-{want}.txt"))
                spans = [op for op in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes() if op[0] != "equal"]
                bad += bool(spans)
                print(f"{k:15} {d:4} {what:6} {'exact' if not spans else str(len(spans)) + ' spans'} ({len(a)} vs {len(b)} words)")
                for op in spans[:3]:
                    print("     ", op[0], a[op[1]:op[2]][:12], "|", b[op[3]:op[4]][:12])
    try:
        desktop.terminate()
    except Exception:
        pass
    proc.wait(timeout=60)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
