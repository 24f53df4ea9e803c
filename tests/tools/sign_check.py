#!/usr/bin/env python3
"""Sign one signature field of an engross PDF with pyHanko and check it with poppler's pdfsig.

Usage: sign_check.py IN.pdf FIELD OUT.pdf
Makes a self-signed test certificate in a temporary folder, signs FIELD (a fully qualified
field name such as company.signature) as an incremental update, then runs `pdfsig OUT.pdf`
and exits 0 only if pdfsig reports that signature valid. Prints what it did.
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
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers


def make_cert(folder):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "engross test signer")])
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=3650))
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


def main():
    src, field, out = sys.argv[1:4]
    with tempfile.TemporaryDirectory() as folder:
        key_path, cert_path = make_cert(folder)
        signer = signers.SimpleSigner.load(key_path, cert_path)
        with open(src, "rb") as f:
            writer = IncrementalPdfFileWriter(f)
            names = [name for name, _, _ in fields.enumerate_sig_fields(writer)]
            print(f"signature fields: {', '.join(names)}")
            if field not in names:
                print(f"FAIL: no signature field {field}")
                return 1
            with open(out, "wb") as o:
                signers.sign_pdf(writer, signers.PdfSignatureMetadata(field_name=field),
                                 signer=signer, output=o)
    report = subprocess.run(["pdfsig", out], capture_output=True, text=True)
    print(report.stdout.strip())
    if "Signature is Valid" not in report.stdout:
        print("FAIL: pdfsig does not report a valid signature")
        return 1
    print(f"OK: {field} signed and valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
