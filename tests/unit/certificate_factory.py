"""Certificates made in the tests with cryptography: a root CA, an intermediate, leaves of every kind.

Shared by tests/unit/plugins/module_utils/test_certificates.py and tests/unit/plugins/filter/test_preflight.py
(tests/unit is on sys.path through its conftest).
"""

import datetime
import functools

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
DAY = datetime.timedelta(days=1)


@functools.lru_cache(maxsize=None)
def key(kind="rsa2048", index=0):
    """A private key (cached: index tells two keys of one kind apart)."""
    if kind.startswith("rsa"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(kind[3:]))
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    curves = {"p256": ec.SECP256R1(), "p384": ec.SECP384R1(), "p521": ec.SECP521R1(), "k256": ec.SECP256K1()}
    return ec.generate_private_key(curves[kind])


def name(common_name=None):
    attributes = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "finproc tests")]
    if common_name:
        attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def issue(subject_key, common_name=None, sans=None, issuer=None, not_before=None, not_after=None, ca=False):
    """A certificate for subject_key; issuer is (certificate, key), or None for a self-signed one."""
    subject = name(common_name)
    issuer_name, signing_key = (issuer[0].subject, issuer[1]) if issuer else (subject, subject_key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or NOW - DAY)
        .not_valid_after(not_after or NOW + 365 * DAY)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in sans]), critical=False)
    algorithm = None if isinstance(signing_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(signing_key, algorithm)


@functools.lru_cache(maxsize=None)
def root():
    return issue(key("rsa2048", 10), "finproc test root", ca=True), key("rsa2048", 10)


@functools.lru_cache(maxsize=None)
def intermediate():
    return issue(key("rsa2048", 11), "finproc test intermediate", issuer=root(), ca=True), key("rsa2048", 11)


def cert_pem(*certificates):
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)


def key_pem(private_key, password=None):
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def leaf(service="api.dr.example.com", kind="rsa2048", **options):
    """A leaf for service issued by the intermediate, with its key: (certificate, key)."""
    options.setdefault("sans", [service])
    options.setdefault("issuer", intermediate())
    subject_key = key(kind)
    return issue(subject_key, service, **options), subject_key
