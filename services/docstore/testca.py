"""A local test certification authority: a root and two signing certificates (the counter
officer's personal one and the agency's), marked in their names as not for production. For
tests and demonstrations only: a real deployment signs through PKCS#11 (a token or HSM) or
the national CA's remote signing services."""
import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOT_FOR_PRODUCTION = "KHÔNG DÙNG THẬT - thử nghiệm motcua"
ROOT = "root"
SIGNERS = {"officer": "Cán bộ một cửa (thử nghiệm)", "agency": "Cơ quan giải quyết (thử nghiệm)"}
VALID_DAYS = 3650


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, NOT_FOR_PRODUCTION),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write(directory, stem, key, cert):
    (directory / f"{stem}.key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    (directory / f"{stem}.key.pem").chmod(0o600)
    (directory / f"{stem}.cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def create(directory):
    """Writes root.cert.pem and, per signer, <signer>.key.pem and <signer>.cert.pem; an
    existing CA in `directory` is kept (returns False)."""
    directory = Path(directory)
    if (directory / f"{ROOT}.cert.pem").exists():
        return False
    directory.mkdir(parents=True, exist_ok=True)
    start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
    end = start + datetime.timedelta(days=VALID_DAYS)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name("motcua test root CA")
    root = (x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
            .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                         False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()),
                           critical=False)
            .sign(root_key, hashes.SHA256()))
    _write(directory, ROOT, root_key, root)
    for stem, common_name in SIGNERS.items():
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(_name(common_name))
                .issuer_name(root_name).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(start).not_valid_after(end)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(True, True, False, False, False, False, False,
                                             False, False), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                               critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    root_key.public_key()), critical=False)
                .sign(root_key, hashes.SHA256()))
        _write(directory, stem, key, cert)
    return True
