"""plugins/module_utils/certificates.py: a certificate to import, checked like ACM and TLS clients check it.

Each rule has a case that AWS (or a TLS client) refuses and one it accepts at the limit. The AWS
pages each rule follows are quoted in the module's docstring:
"Prerequisites for importing ACM certificates",
https://docs.aws.amazon.com/acm/latest/userguide/import-certificate-prerequisites.html;
ImportCertificate, https://docs.aws.amazon.com/acm/latest/APIReference/API_ImportCertificate.html;
"Certificate import problems", https://docs.aws.amazon.com/acm/latest/userguide/troubleshoot-import.html;
and RFC 6125 sections 6.4.3 and 6.4.4 for the names.
"""

import datetime
import shutil
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from ansible_collections.finproc.dr.plugins.module_utils import certificates
from ansible_collections.finproc.dr.plugins.module_utils.certificates import (
    KEY_ALGORITHMS,
    import_findings,
    name_matches,
)
from certificate_factory import DAY, NOW, cert_pem, intermediate, issue, key, key_pem, leaf, root

SERVICE = "api.dr.example.com"
CERT, KEY, CHAIN = (
    "dr_certificate_file cert.pem",
    "dr_certificate_key_file key.pem",
    "dr_certificate_chain_file chain.pem",
)
SECOND = datetime.timedelta(seconds=1)


def findings(certificate, private_key, chain=None, service=SERVICE, now=NOW, key_bytes=None, cert_bytes=None):
    chain_input = None if chain is None else (CHAIN, chain if isinstance(chain, bytes) else cert_pem(*chain))
    return import_findings(
        (CERT, cert_bytes if cert_bytes is not None else cert_pem(certificate)),
        (KEY, key_bytes if key_bytes is not None else key_pem(private_key)),
        chain_input,
        service_name=service,
        now=now,
    )


def sound(**options):
    return leaf(SERVICE, **options)


@pytest.fixture(scope="module")
def ec_intermediate():
    ec_root = issue(key("p384", 20), "finproc test EC root", ca=True), key("p384", 20)
    return issue(key("p256", 21), "finproc test EC intermediate", issuer=ec_root, ca=True), key("p256", 21)


def test_a_sound_certificate_with_its_whole_chain_passes():
    certificate, private_key = sound()
    assert findings(certificate, private_key, [intermediate()[0], root()[0]]) == ([], [])
    # The root is optional: the issuer of the certificate alone is a chain in order.
    assert findings(certificate, private_key, [intermediate()[0]]) == ([], [])


# --- The key: the certificate's own, of an algorithm ACM imports, unencrypted, at most 5,120 bytes ---


def test_the_key_must_be_the_certificates():
    certificate, _key = sound()
    problems, _warnings = findings(certificate, key("rsa2048", 1))
    assert problems == [
        "%s is not the key of %s (subject %s): its public key differs from the certificate's; ACM imports a "
        "certificate with its own private key" % (KEY, CERT, certificate.subject.rfc4514_string())
    ]


@pytest.mark.parametrize(
    "kind, algorithm",
    [("rsa1024", "RSA_1024"), ("rsa2048", "RSA_2048"), ("rsa3072", "RSA_3072"), ("rsa4096", "RSA_4096")],
)
def test_every_rsa_size_acm_imports_passes(kind, algorithm):
    # "ACM supports ... RSA 1024 bit (RSA_1024) ... RSA 4096 bit (RSA_4096)"; ALB "supports all of the
    # algorithms available from ACM": 1024 is accepted, at the lower limit.
    assert algorithm in KEY_ALGORITHMS
    certificate, private_key = sound(kind=kind)
    assert findings(certificate, private_key, [intermediate()[0]]) == ([], [])


@pytest.mark.parametrize(
    "kind, algorithm", [("p256", "EC_prime256v1"), ("p384", "EC_secp384r1"), ("p521", "EC_secp521r1")]
)
def test_every_curve_acm_imports_passes(kind, algorithm, ec_intermediate):
    assert algorithm in KEY_ALGORITHMS
    certificate, private_key = leaf(SERVICE, kind=kind, issuer=ec_intermediate)
    assert findings(certificate, private_key, [ec_intermediate[0]]) == ([], [])
    # Self-signed: no chain, no issuer to match.
    self_signed = issue(private_key, SERVICE, sans=[SERVICE])
    assert findings(self_signed, private_key) == ([], [])


@pytest.mark.parametrize(
    "kind, algorithm",
    [("rsa1536", "RSA_1536"), ("k256", "EC_secp256k1"), ("ed25519", "Ed25519PublicKey")],
)
def test_a_key_acm_does_not_import_is_refused(kind, algorithm):
    private_key = key(kind)
    certificate = issue(private_key, SERVICE, sans=[SERVICE])
    problems, _warnings = findings(certificate, private_key)
    assert problems[0] == "%s has a %s key; ACM imports only %s" % (CERT, algorithm, ", ".join(KEY_ALGORITHMS))


def test_the_certificate_algorithm_must_match_its_issuers(ec_intermediate):
    # ImportCertificate: "The cryptographic algorithm of an imported certificate must match the
    # algorithm of the signing CA."
    certificate, private_key = leaf(SERVICE, kind="p256")  # issued by the RSA intermediate
    problems, _warnings = findings(certificate, private_key, [intermediate()[0]])
    assert problems == [
        "%s has a EC key and its issuer (position 1 of %s) a RSA key; ACM imports a certificate whose algorithm "
        "matches its signing CA's" % (CERT, CHAIN)
    ]


def test_an_encrypted_key_is_refused():
    certificate, private_key = sound()
    problems, _warnings = findings(certificate, private_key, key_bytes=key_pem(private_key, b"secret"))
    assert problems == ["%s holds an encrypted private key; ACM imports only an unencrypted one" % KEY]


def test_the_key_has_at_most_5120_bytes():
    # "the private key, which may be no larger than 5 KB (5,120 bytes)": what the role sends is the
    # file without its trailing white space (the file lookup strips it).
    certificate, private_key = sound()
    body = key_pem(private_key).rstrip()
    preamble = b"Bag Attributes\n"
    at_limit = preamble + b"x" * (certificates.PRIVATE_KEY_MAX_BYTES - len(body) - len(preamble) - 1) + b"\n" + body
    assert len(at_limit) == certificates.PRIVATE_KEY_MAX_BYTES
    chain = [intermediate()[0]]
    assert findings(certificate, private_key, chain, key_bytes=at_limit + b"\n\n") == ([], [])
    over = b"x" + at_limit
    assert findings(certificate, private_key, chain, key_bytes=over) == (
        ["%s has 5121 bytes; ACM imports a private key of at most 5120 bytes" % KEY],
        [],
    )


def test_a_key_that_cannot_be_read_is_named_without_its_content():
    certificate, _key = sound()
    problems, _warnings = findings(
        certificate, None, key_bytes=b"-----BEGIN PRIVATE KEY-----\nc2VjcmV0c2VjcmV0\n-----END PRIVATE KEY-----\n"
    )
    assert problems == ["%s is not a PEM private key that can be read (ValueError)" % KEY]
    assert "c2VjcmV0" not in problems[0]


# --- The certificate: X.509 version 3, an issuer, one certificate, valid now ---


@pytest.mark.skipif(not shutil.which("openssl"), reason="openssl makes the version 1 certificate")
def test_a_version_1_certificate_is_refused(tmp_path):
    # "A certificate must be an SSL/TLS X.509 version 3 certificate" (cryptography builds only v3).
    private_key = key("rsa2048", 2)
    (tmp_path / "key.pem").write_bytes(key_pem(private_key))
    subprocess.run(
        ["openssl", "req", "-new", "-key", "key.pem", "-subj", "/CN=" + SERVICE, "-out", "v1.csr"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        ["openssl", "x509", "-req", "-in", "v1.csr", "-signkey", "key.pem", "-days", "90", "-out", "v1.pem"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    problems, _warnings = findings(None, private_key, cert_bytes=(tmp_path / "v1.pem").read_bytes(), now=None)
    assert problems == ["%s is an X.509 v1 certificate; ACM imports only version 3" % CERT]


def test_an_empty_issuer_is_refused():
    # ImportCertificate: "The Issuer field must not be empty." (The subject is empty too: no name covers it.)
    private_key = key("p256", 3)
    certificate = issue(private_key, None, sans=[SERVICE])  # issuer O=finproc tests: not empty
    empty = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(x509.Name([]))
        .public_key(private_key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - DAY)
        .not_valid_after(NOW + 90 * DAY)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(SERVICE)]), critical=False)
        .sign(private_key, hashes.SHA256())
    )
    problems, _warnings = findings(empty, private_key)
    assert problems == ["%s has an empty issuer; ACM refuses a certificate without one" % CERT]
    assert findings(certificate, private_key) == ([], [])


def test_the_certificate_file_holds_one_certificate():
    certificate, private_key = sound()
    problems, _warnings = findings(None, private_key, cert_bytes=cert_pem(certificate, intermediate()[0]))
    assert problems == [
        "%s holds 2 certificates; it must hold only the certificate to import (its issuers go in the chain)" % CERT
    ]


def test_a_certificate_that_cannot_be_read_is_refused():
    _certificate, private_key = sound()
    problems, _warnings = findings(
        None, private_key, cert_bytes=b"-----BEGIN CERTIFICATE-----\nMIIDazCCAlOgAwIBAgIUW\n-----END CERTIFICATE-----\n"
    )
    assert len(problems) == 1 and problems[0] == (
        "%s is not a PEM certificate that can be read (a block does not decode to an X.509 certificate)" % CERT
    )


# Validity window: "You cannot import a certificate before its validity period begins or after it
# expires"; ImportCertificate: "The current time must be between the Not Before and Not After".
VALID_FROM, VALID_TO = NOW - 10 * DAY, NOW + 100 * DAY


@pytest.mark.parametrize(
    "now, problem",
    [
        (
            VALID_FROM - SECOND,
            "%s is not valid yet: it is valid from %s (NotBefore); ACM imports a certificate only "
            "within its validity period",
        ),
        (VALID_FROM, None),
        (VALID_TO, None),
        (VALID_TO + SECOND, "%s expired on %s (NotAfter); ACM imports a certificate only within its validity period"),
    ],
    ids=["a second before NotBefore", "at NotBefore", "at NotAfter", "a second after NotAfter"],
)
def test_the_certificate_is_valid_now(now, problem):
    certificate, private_key = sound(not_before=VALID_FROM, not_after=VALID_TO)
    problems, _warnings = findings(certificate, private_key, [intermediate()[0]], now=now)
    if problem is None:
        assert problems == []
    else:
        boundary = VALID_FROM if now < VALID_FROM else VALID_TO
        assert problems == [problem % (CERT, boundary.strftime("%Y-%m-%d %H:%M:%S UTC"))]


def test_an_expired_and_a_future_certificate_are_refused_at_the_current_time():
    expired = sound(not_before=NOW - 100 * DAY, not_after=NOW - DAY)
    future = sound(not_before=NOW + DAY, not_after=NOW + 100 * DAY)
    assert "expired on" in findings(*expired, now=None)[0][0]
    assert "is not valid yet" in findings(*future, now=None)[0][0]


@pytest.mark.parametrize(
    "left, warning_days",
    [(10 * DAY, 10), (30 * DAY - SECOND, 29), (30 * DAY, None), (31 * DAY, None)],
    ids=["10 days", "a second under 30 days", "30 days", "31 days"],
)
def test_a_warning_below_30_days_left(left, warning_days):
    certificate, private_key = sound(not_before=NOW - DAY, not_after=NOW + left)
    problems, warnings = findings(certificate, private_key, [intermediate()[0]])
    assert problems == []
    if warning_days is None:
        assert warnings == []
    else:
        assert warnings == [
            "%s expires on %s, in %d day(s) (fewer than 30); ACM does not renew an imported certificate: import "
            "its successor before then" % (CERT, (NOW + left).strftime("%Y-%m-%d %H:%M:%S UTC"), warning_days)
        ]


# --- The names: the service name is covered, wildcards as TLS matches them ---


@pytest.mark.parametrize(
    "common_name, sans, covered",
    [
        (SERVICE, [SERVICE], True),
        ("x", ["www.dr.example.com", SERVICE], True),
        ("x", ["API.DR.Example.com"], True),
        ("x", ["*.dr.example.com"], True),
        ("x", ["*.example.com"], False),  # one label only: not a.b.example.com
        ("x", ["*.api.dr.example.com"], False),  # not the parent name itself
        ("x", ["a*.dr.example.com"], False),  # a wildcard only as the whole left-most label
        ("x", ["api.*.example.com"], False),
        ("x", ["*.*.example.com"], False),
        (SERVICE, None, True),  # no subjectAltName: the common name counts
        ("*.dr.example.com", None, True),
        (SERVICE, ["www.dr.example.com"], False),  # subjectAltName present: the common name does not count
        ("www.dr.example.com", None, False),
    ],
)
def test_the_names_cover_the_service_name(common_name, sans, covered):
    private_key = key("p256", 4)
    certificate = issue(private_key, common_name, sans=sans)
    problems, _warnings = findings(certificate, private_key)
    if covered:
        assert problems == []
    else:
        kind, names = ("subjectAltName", sans) if sans else ("common name", [common_name])
        assert problems == [
            "%s does not cover the service name %s (dr_service_name): its %s is %s; a wildcard covers exactly "
            "one left-most label (*.example.com covers api.example.com, not a.b.example.com nor example.com)"
            % (CERT, SERVICE, kind, ", ".join(names))
        ]


@pytest.mark.parametrize(
    "pattern, name, expected",
    [
        ("*.example.com", "api.example.com", True),
        ("*.example.com", "a.b.example.com", False),
        ("*.example.com", "example.com", False),
        ("*.example.com", ".example.com", False),
        ("*", "localhost", False),
        ("api.example.com.", "api.example.com", True),
        ("Api.Example.com", "api.example.COM", True),
    ],
)
def test_name_matching(pattern, name, expected):
    assert name_matches(pattern, name) is expected


@pytest.mark.parametrize("common_name", [SERVICE, "*.dr.example.com"])
def test_a_name_covered_by_the_common_name_only_is_a_warning(common_name):
    # RFC 9110 section 4.3.4: "A reference identity of type CN-ID MUST NOT be used by clients" (HTTPS).
    private_key = key("p256", 4)
    certificate = issue(private_key, common_name, sans=None)
    assert findings(certificate, private_key) == (
        [],
        [
            "%s covers the service name %s by its common name only (it has no subjectAltName DNS name): an HTTPS "
            "client must not use the common name (RFC 9110 section 4.3.4) and browsers refuse it; have it "
            "reissued with %s as a subjectAltName" % (CERT, SERVICE, SERVICE)
        ],
    )
    # With the name in subjectAltName (the common name alike), no warning.
    assert findings(issue(private_key, common_name, sans=[SERVICE]), private_key) == ([], [])


def test_without_a_service_name_the_names_are_not_checked():
    private_key = key("p256", 4)
    certificate = issue(private_key, "other.example.org", sans=["other.example.org"])
    assert findings(certificate, private_key, service=None) == ([], [])


# --- The chain: each certificate issued by the next, the leaf not in it ---


def test_a_reversed_chain_names_the_position():
    certificate, private_key = sound()
    problems, _warnings = findings(certificate, private_key, [root()[0], intermediate()[0]])
    assert problems == [
        "%s is out of order at position 1: its certificate (subject CN=finproc test root,O=finproc tests) did not "
        "issue %s (issuer CN=finproc test intermediate,O=finproc tests); that issuer is at position 2; each "
        "certificate of the chain must directly certify the one before it, the issuer of %s first" % (CHAIN, CERT, CERT)
    ]


def test_the_leaf_must_not_be_in_the_chain():
    certificate, private_key = sound()
    for chain in ([certificate, intermediate()[0]], [intermediate()[0], certificate]):
        problems, _warnings = findings(certificate, private_key, chain)
        position = chain.index(certificate) + 1
        assert problems == [
            "%s holds the certificate to import itself (position %d); the chain holds only its issuers, the issuer "
            "of %s first" % (CHAIN, position, CERT)
        ]


def test_a_later_position_out_of_order_is_named():
    certificate, private_key = sound()
    other_root = issue(key("rsa2048", 12), "another root", ca=True)
    problems, _warnings = findings(certificate, private_key, [intermediate()[0], other_root])
    assert len(problems) == 1
    assert problems[0].startswith(
        "%s is out of order at position 2: its certificate (subject CN=another root,O=finproc tests) did not issue "
        "position 1 (issuer CN=finproc test root,O=finproc tests); each certificate" % CHAIN
    )


def test_a_same_named_issuer_with_another_key_does_not_issue():
    # issuer == subject is not enough: the signature must verify with the issuer's public key.
    certificate, private_key = sound()
    impostor = issue(key("rsa2048", 13), "finproc test intermediate", issuer=root(), ca=True)
    assert impostor.subject == intermediate()[0].subject
    problems, _warnings = findings(certificate, private_key, [impostor])
    assert len(problems) == 1 and "out of order at position 1" in problems[0]


def test_a_chain_that_cannot_be_read_is_refused():
    certificate, private_key = sound()
    problems, _warnings = findings(
        certificate, private_key, b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    )
    assert len(problems) == 1 and problems[0] == (
        "%s is not a PEM certificate chain that can be read (a block does not decode to an X.509 certificate)" % CHAIN
    )


def test_a_certificate_issued_by_a_ca_without_a_chain_is_a_warning():
    certificate, private_key = sound()
    assert findings(certificate, private_key) == (
        [],
        [
            "%s is issued by CN=finproc test intermediate,O=finproc tests and no dr_certificate_chain_file is given: "
            "clients that do not already hold that issuer cannot build a path to a root they trust" % CERT
        ],
    )


def test_without_cryptography_the_problem_says_how_to_get_it(monkeypatch):
    monkeypatch.setattr(certificates, "HAS_CRYPTOGRAPHY", False)
    certificate, private_key = sound()
    assert findings(certificate, private_key) == ([certificates.MISSING_CRYPTOGRAPHY], [])
