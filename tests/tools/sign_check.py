#!/usr/bin/env python3
"""Sign every signature field of an engross PDF in turn, as the parties to a closing would, and
validate all the signatures.

Usage: sign_check.py IN.pdf OUT.pdf [FIELD...]

Makes a self-signed test certificate in a temporary folder. Signs each FIELD (fully qualified
names such as company.signature; all unsigned signature fields when none are given) as its own
incremental update; after the first signature it fills one text field (if the form has one) as
a further incremental update, as a party filling in a date between two signatures would. Then:

- pyHanko validates every signature against the test certificate as trust root: each must be
  intact, valid, trusted, and its later changes no more than form filling and signing;
- poppler's pdfsig must report every signature as valid.

Prints one line per step and exits 0 only if everything held.
"""
import datetime
import os
import subprocess
import sys
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext


def make_cert(folder):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "engross test signer")])
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, True, False, False, False), critical=True
        )
        .sign(key, hashes.SHA256())
    )
    key_path = os.path.join(folder, "key.pem")
    cert_path = os.path.join(folder, "cert.pem")
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def text_fields(root):
    """Fully qualified names and objects of the terminal text fields."""
    out = []

    def walk(ref, prefix):
        node = ref.get_object()
        name = prefix + ("." if prefix else "") + str(node.get("/T", ""))
        kids = node.get("/Kids")
        if kids:
            for kid in kids:
                walk(kid, name)
        elif node.get("/FT") == "/Tx":
            out.append((name, ref))

    form = root.get("/AcroForm")
    if form is not None:
        for ref in form.get_object().get("/Fields", []):
            walk(ref, "")
    return out


def fill(path, out_path):
    """Fill the first text field with a value and an appearance, as an incremental update."""
    with open(path, "rb") as f:
        writer = IncrementalPdfFileWriter(f)
        found = text_fields(writer.root)
        if not found:
            return None
        name, ref = found[0]
        widget = ref.get_object()
        rect = [float(v) for v in widget["/Rect"]]
        w, h = rect[2] - rect[0], rect[3] - rect[1]
        form = writer.root["/AcroForm"]
        font_name = str(widget["/DA"]).split()[0]
        fonts = form["/DR"]["/Font"]
        value = "1"
        content = f"/Tx BMC q BT {font_name} 10 Tf 0 g 2 2 Td ({value}) Tj ET Q EMC".encode()
        ap = generic.StreamObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/XObject"),
                generic.NameObject("/Subtype"): generic.NameObject("/Form"),
                generic.NameObject("/BBox"): generic.ArrayObject(
                    [generic.FloatObject(0), generic.FloatObject(0), generic.FloatObject(w),
                     generic.FloatObject(h)]
                ),
                generic.NameObject("/Resources"): generic.DictionaryObject(
                    {generic.NameObject("/Font"): fonts}
                ),
            },
            stream_data=content,
        )
        widget[generic.NameObject("/V")] = generic.TextStringObject(value)
        widget[generic.NameObject("/AP")] = generic.DictionaryObject(
            {generic.NameObject("/N"): writer.add_object(ap)}
        )
        writer.mark_update(ref)
        with open(out_path, "wb") as o:
            writer.write(o)
        return name


def main():
    src, out = sys.argv[1:3]
    wanted = sys.argv[3:]
    ok = True
    with tempfile.TemporaryDirectory() as folder:
        key_path, cert_path = make_cert(folder)
        signer = signers.SimpleSigner.load(key_path, cert_path)
        with open(src, "rb") as f:
            names = [n for n, _, _ in fields.enumerate_sig_fields(PdfFileReader(f))]
        print(f"signature fields: {', '.join(names) or '(none)'}")
        missing = [w for w in wanted if w not in names]
        if missing:
            print(f"FAIL: no signature field {', '.join(missing)}")
            return 1
        order = wanted or names
        current = src
        for i, field in enumerate(order):
            step = os.path.join(folder, f"step{i}.pdf")
            with open(current, "rb") as f:
                writer = IncrementalPdfFileWriter(f)
                with open(step, "wb") as o:
                    signers.sign_pdf(writer, signers.PdfSignatureMetadata(field_name=field),
                                     signer=signer, output=o)
            print(f"signed {field}")
            current = step
            if i == 0:
                filled_path = os.path.join(folder, "filled.pdf")
                filled = fill(current, filled_path)
                if filled:
                    print(f"filled text field {filled}")
                    current = filled_path
        with open(current, "rb") as f:
            data = f.read()
        with open(out, "wb") as o:
            o.write(data)

        root = load_cert_from_pemder(cert_path)
        with open(out, "rb") as f:
            reader = PdfFileReader(f)
            sigs = reader.embedded_signatures
            if len(sigs) != len(order):
                print(f"FAIL: {len(sigs)} signatures in the file, {len(order)} made")
                ok = False
            for sig in sigs:
                status = validate_pdf_signature(sig, ValidationContext(trust_roots=[root]))
                level = status.modification_level
                good = (status.intact and status.valid and status.trusted and level is not None
                        and level <= ModificationLevel.FORM_FILLING)
                print(f"pyHanko {sig.field_name}: intact={status.intact} valid={status.valid} "
                      f"trusted={status.trusted} changes={level} "
                      f"coverage={status.coverage} -> {'OK' if good else 'FAIL'}")
                ok = ok and good
    if order:
        report = subprocess.run(["pdfsig", out], capture_output=True, text=True)
        print(report.stdout.strip())
        valid = report.stdout.count("Signature Validation: Signature is Valid.")
        if valid != len(order):
            print(f"FAIL: pdfsig reports {valid} valid signatures of {len(order)}")
            ok = False
    print("OK" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
