# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A certificate to import into ACM, checked the way ACM and TLS clients check it, before any AWS call.

Pure functions on the PEM bytes (no file, no AWS call), with the ``cryptography`` package (a
dependency of ansible-core): ``import_findings`` returns the problems (ACM would refuse the import,
or clients would refuse the certificate for the service name) and the warnings (it works, for now).
Each message names the input (the variable and its file, as the caller gives it) and the rule; no
message ever quotes a key (only paths, subjects, names and dates).

The rules, and the AWS documentation each one follows:

- "Prerequisites for importing ACM certificates" (AWS Certificate Manager User Guide),
  https://docs.aws.amazon.com/acm/latest/userguide/import-certificate-prerequisites.html:
  "For all imported certificates, you must specify a cryptographic algorithm and a key size. ACM
  supports the following algorithms: RSA 1024 bit (RSA_1024), RSA 2048 bit (RSA_2048), RSA 3072 bit
  (RSA_3072), RSA 4096 bit (RSA_4096), ECDSA 256 bit (EC_prime256v1), ECDSA 384 bit (EC_secp384r1),
  ECDSA 521 bit (EC_secp521r1)" and "Application Load Balancer supports all of the algorithms
  available from ACM" -> KEY_ALGORITHMS;
  "A certificate must be an SSL/TLS X.509 version 3 certificate" -> the version;
  "You must provide the private key, which may be no larger than 5 KB (5,120 bytes) and must be
  unencrypted" -> PRIVATE_KEY_MAX_BYTES and the encrypted key;
  "A certificate must be valid at the time of import. You cannot import a certificate before its
  validity period begins or after it expires. The NotBefore certificate field contains the validity
  start date, and the NotAfter field contains the end date" -> the validity window.
- ImportCertificate (AWS Certificate Manager API Reference),
  https://docs.aws.amazon.com/acm/latest/APIReference/API_ImportCertificate.html (also the
  botocore service model's documentation of the operation): "You must enter the private key that
  matches the certificate you are importing", "The current time must be between the Not Before and
  Not After certificate fields", "The Issuer field must not be empty", and "The cryptographic
  algorithm of an imported certificate must match the algorithm of the signing CA. For example, if
  the signing CA key type is RSA, then the certificate key type must also be RSA."
- "Certificate import problems" (AWS Certificate Manager User Guide),
  https://docs.aws.amazon.com/acm/latest/userguide/troubleshoot-import.html: "Each certificate in
  the chain must directly certify the one preceding" and "Do not include your end-entity
  certificate in the intermediate certificate chain" -> the chain order.
- The names: RFC 6125 ("Representation and Verification of Domain-Based Application Service
  Identity within PKIX Certificates in the Context of TLS"), https://www.rfc-editor.org/rfc/rfc6125
  section 6.4.4: "a client MUST NOT seek a match for a reference identifier of CN-ID if the
  presented identifiers include a DNS-ID" (the common name counts only without subjectAltName DNS
  names; RFC 2818 section 3.1 says the same); section 6.4.3: "The client SHOULD NOT attempt to match
  a presented identifier in which the wildcard character comprises a label other than the left-most
  label" and "If the wildcard character is the only character of the left-most label in the
  presented identifier, the client SHOULD NOT compare against anything but the left-most label of
  the reference identifier (e.g., *.example.com would match foo.example.com but not
  bar.foo.example.com or example.com)". A wildcard inside a label (f*.example.com) is matched by
  some clients only (a MAY in 6.4.3, refused by browsers): it never covers the name here.
  RFC 9110 ("HTTP Semantics"), https://www.rfc-editor.org/rfc/rfc9110 section 4.3.4 (HTTPS
  certificate verification): "A reference identity of type CN-ID MUST NOT be used by clients", so
  a name covered by the common name only is a warning.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.x509.oid import ExtensionOID, NameOID

    HAS_CRYPTOGRAPHY = True
except ImportError:  # reported as a problem by import_findings
    HAS_CRYPTOGRAPHY = False

MISSING_CRYPTOGRAPHY = (
    "the Python package cryptography is needed on the controller to check a certificate to import "
    "(ansible-core depends on it: pip install cryptography in the Python that runs ansible-playbook)"
)
# "Prerequisites for importing ACM certificates": the algorithms ACM imports (and ALB serves).
RSA_KEY_SIZES = (1024, 2048, 3072, 4096)
EC_CURVES = {"secp256r1": "EC_prime256v1", "secp384r1": "EC_secp384r1", "secp521r1": "EC_secp521r1"}
KEY_ALGORITHMS = tuple("RSA_%d" % size for size in RSA_KEY_SIZES) + tuple(sorted(EC_CURVES.values()))
# "... the private key, which may be no larger than 5 KB (5,120 bytes)".
PRIVATE_KEY_MAX_BYTES = 5120
# A warning when the certificate expires in fewer days than this (ACM does not renew imports).
EXPIRY_WARNING_DAYS = 30
PEM_BEGIN = b"-----BEGIN CERTIFICATE-----"
ENCRYPTED_KEY_MARKERS = (b"ENCRYPTED PRIVATE KEY-----", b"Proc-Type: 4,ENCRYPTED")


def key_is_encrypted(content):
    """Whether PEM key bytes hold a key protected by a passphrase (PKCS#8 or the legacy OpenSSL form)."""
    return any(marker in content for marker in ENCRYPTED_KEY_MARKERS)


def _utc(value):
    return value if value.tzinfo else value.replace(tzinfo=_UTC)


_UTC = datetime.timezone.utc if hasattr(datetime, "timezone") else None


def _valid_from(certificate):
    return getattr(certificate, "not_valid_before_utc", None) or _utc(certificate.not_valid_before)


def _valid_to(certificate):
    return getattr(certificate, "not_valid_after_utc", None) or _utc(certificate.not_valid_after)


def _subject(certificate):
    return certificate.subject.rfc4514_string() or "an empty subject"


def _load_certificates(content):
    """Every certificate of PEM bytes, in order; ValueError when one block is not a certificate."""
    certificates = []
    for block in content.split(PEM_BEGIN)[1:]:
        certificates.append(x509.load_pem_x509_certificate(PEM_BEGIN + block))
    return certificates


def key_algorithm(public_key):
    """The ACM name of a public key's algorithm (RSA_2048, EC_prime256v1), or a description of it."""
    if isinstance(public_key, rsa.RSAPublicKey):
        return "RSA_%d" % public_key.key_size
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return EC_CURVES.get(public_key.curve.name, "EC_%s" % public_key.curve.name)
    return type(public_key).__name__.lstrip("_")


def _family(public_key):
    if isinstance(public_key, rsa.RSAPublicKey):
        return "RSA"
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return "EC"
    return key_algorithm(public_key)


def _public_bytes(public_key):
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def issued_by(certificate, issuer):
    """Whether issuer directly certifies certificate: its subject is the issuer name, its key verifies the signature."""
    if certificate.issuer != issuer.subject:
        return False
    if hasattr(certificate, "verify_directly_issued_by"):  # cryptography >= 40
        try:
            certificate.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature):
            return False
        return True
    public_key = issuer.public_key()  # pragma: no cover (older cryptography)
    try:  # pragma: no cover
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(certificate.signature, certificate.tbs_certificate_bytes, padding.PKCS1v15(),
                              certificate.signature_hash_algorithm)
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(certificate.signature, certificate.tbs_certificate_bytes,
                              ec.ECDSA(certificate.signature_hash_algorithm))
        else:
            return False
    except (ValueError, TypeError, InvalidSignature):  # pragma: no cover
        return False
    return True  # pragma: no cover


def certificate_names(certificate):
    """The DNS names a TLS client checks: the subjectAltName DNS names, or the common names when there are none."""
    try:
        extension = certificate.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    except x509.ExtensionNotFound:
        extension = None
    if extension is not None:
        names = extension.value.get_values_for_type(x509.DNSName)
        if names:
            return "subjectAltName", names
    common_names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return "common name", [attribute.value for attribute in common_names]


def name_matches(pattern, name):
    """Whether a certificate name covers a host name, as TLS clients match it (RFC 6125 6.4.3).

    Case-insensitive; a wildcard only as the whole left-most label, covering exactly one label:
    *.example.com covers api.example.com, not a.b.example.com nor example.com.
    """
    pattern = pattern.lower().rstrip(".")
    name = name.lower().rstrip(".")
    if "*" not in pattern:
        return pattern == name
    first, _dot, rest = pattern.partition(".")
    if first != "*" or not rest or "*" in rest:
        return False
    label, _dot, parent = name.partition(".")
    return bool(label) and parent == rest


def import_findings(certificate, key, chain=None, service_name=None, now=None):
    """The problems and warnings of a certificate to import into ACM.

    certificate, key and chain are (name, PEM bytes) pairs; name is how messages call the input
    (for example "dr_certificate_file /etc/pki/api.pem"). chain may be None. service_name, when
    given, must be covered by the certificate's names. now is the time of the check (UTC, default
    the current time). Returns (problems, warnings), lists of sentences.
    """
    problems, warnings = [], []
    if not HAS_CRYPTOGRAPHY:
        return [MISSING_CRYPTOGRAPHY], []
    now = now or datetime.datetime.now(_UTC)
    cert_name, cert_pem = certificate
    key_name, key_pem = key

    try:
        certificates = _load_certificates(cert_pem)
    except ValueError:
        return ["%s is not a PEM certificate that can be read (a block does not decode to an X.509 certificate)"
                % cert_name], []
    if len(certificates) != 1:
        problems.append("%s holds %d certificates; it must hold only the certificate to import (its "
                        "issuers go in the chain)" % (cert_name, len(certificates)))
        return problems, warnings
    leaf = certificates[0]
    leaf_key = leaf.public_key()

    # The key: ACM's algorithms, unencrypted, at most 5,120 bytes, and the certificate's.
    algorithm = key_algorithm(leaf_key)
    if algorithm not in KEY_ALGORITHMS:
        problems.append("%s has a %s key; ACM imports only %s" % (cert_name, algorithm, ", ".join(KEY_ALGORITHMS)))
    if key_is_encrypted(key_pem):
        problems.append("%s holds an encrypted private key; ACM imports only an unencrypted one" % key_name)
    else:
        # What the role sends: the file without its trailing white space (the file lookup strips it).
        size = len(key_pem.rstrip())
        if size > PRIVATE_KEY_MAX_BYTES:
            problems.append("%s has %d bytes; ACM imports a private key of at most %d bytes"
                            % (key_name, size, PRIVATE_KEY_MAX_BYTES))
        try:
            private_key = serialization.load_pem_private_key(key_pem, password=None)
        except TypeError:  # a passphrase the markers did not show
            problems.append("%s holds an encrypted private key; ACM imports only an unencrypted one" % key_name)
            private_key = None
        except (ValueError, UnsupportedAlgorithm) as error:
            # The error names the format only; no key material is in it.
            problems.append("%s is not a PEM private key that can be read (%s)" % (key_name, type(error).__name__))
            private_key = None
        if private_key is not None and _public_bytes(private_key.public_key()) != _public_bytes(leaf_key):
            problems.append("%s is not the key of %s (subject %s): its public key differs from the "
                            "certificate's; ACM imports a certificate with its own private key"
                            % (key_name, cert_name, _subject(leaf)))

    # The certificate: X.509 v3, an issuer, valid now.
    if leaf.version != x509.Version.v3:
        problems.append("%s is an X.509 %s certificate; ACM imports only version 3" % (cert_name, leaf.version.name))
    if not leaf.issuer.rdns:
        problems.append("%s has an empty issuer; ACM refuses a certificate without one" % cert_name)
    valid_from, valid_to = _valid_from(leaf), _valid_to(leaf)
    if now < valid_from:
        problems.append("%s is not valid yet: it is valid from %s (NotBefore); ACM imports a certificate only "
                        "within its validity period" % (cert_name, valid_from.strftime("%Y-%m-%d %H:%M:%S UTC")))
    elif now > valid_to:
        problems.append("%s expired on %s (NotAfter); ACM imports a certificate only within its validity period"
                        % (cert_name, valid_to.strftime("%Y-%m-%d %H:%M:%S UTC")))
    elif valid_to - now < datetime.timedelta(days=EXPIRY_WARNING_DAYS):
        left = valid_to - now
        warnings.append("%s expires on %s, in %d day(s) (fewer than %d); ACM does not renew an imported "
                        "certificate: import its successor before then"
                        % (cert_name, valid_to.strftime("%Y-%m-%d %H:%M:%S UTC"), left.days, EXPIRY_WARNING_DAYS))

    # The names: the service name must be covered, or clients refuse the load balancer.
    if service_name:
        kind, names = certificate_names(leaf)
        covered = any(name_matches(name, service_name) for name in names)
        if covered and kind == "common name":
            warnings.append("%s covers the service name %s by its common name only (it has no subjectAltName DNS "
                            "name): an HTTPS client must not use the common name (RFC 9110 section 4.3.4) and "
                            "browsers refuse it; have it reissued with %s as a subjectAltName"
                            % (cert_name, service_name, service_name))
        if not covered:
            problems.append("%s does not cover the service name %s (dr_service_name): its %s %s %s; a wildcard "
                            "covers exactly one left-most label (*.example.com covers api.example.com, not "
                            "a.b.example.com nor example.com)"
                            % (cert_name, service_name, kind, "names are" if len(names) != 1 else "is",
                               ", ".join(names) or "(none)"))

    # The chain: each certificate directly certifies the one before it, the leaf is not in it.
    if chain is not None:
        chain_name, chain_pem = chain
        try:
            issuers = _load_certificates(chain_pem)
        except ValueError:
            problems.append("%s is not a PEM certificate chain that can be read (a block does not decode to an "
                            "X.509 certificate)" % chain_name)
            issuers = []
        problems.extend(_chain_problems(cert_name, leaf, chain_name, issuers))
        if issuers and issued_by(leaf, issuers[0]) and _family(issuers[0].public_key()) != _family(leaf_key):
            problems.append("%s has a %s key and its issuer (position 1 of %s) a %s key; ACM imports a "
                            "certificate whose algorithm matches its signing CA's"
                            % (cert_name, _family(leaf_key), chain_name, _family(issuers[0].public_key())))
    elif not issued_by(leaf, leaf):
        warnings.append("%s is issued by %s and no dr_certificate_chain_file is given: clients that do not "
                        "already hold that issuer cannot build a path to a root they trust"
                        % (cert_name, leaf.issuer.rfc4514_string() or "an empty issuer"))
    return problems, warnings


def _chain_problems(cert_name, leaf, chain_name, issuers):
    """Where the chain is out of order: the leaf in it, or a position not issuing the one before."""
    problems = []
    leaf_der = leaf.public_bytes(serialization.Encoding.DER)
    ders = [issuer.public_bytes(serialization.Encoding.DER) for issuer in issuers]
    if leaf_der in ders:
        problems.append("%s holds the certificate to import itself (position %d); the chain holds only its "
                        "issuers, the issuer of %s first" % (chain_name, ders.index(leaf_der) + 1, cert_name))
        return problems
    subjects = [leaf] + issuers
    for position in range(1, len(subjects)):
        issued, issuer = subjects[position - 1], subjects[position]
        if issued_by(issued, issuer):
            continue
        what = cert_name if position == 1 else "position %d" % (position - 1)
        found = [i for i, candidate in enumerate(issuers, 1) if i != position and issued_by(issued, candidate)]
        where = ("; that issuer is at position %d" % found[0]) if found else ""
        problems.append("%s is out of order at position %d: its certificate (subject %s) did not issue %s "
                        "(issuer %s)%s; each certificate of the chain must directly certify the one before it, "
                        "the issuer of %s first" % (chain_name, position, _subject(issuer), what,
                                                    issued.issuer.rfc4514_string(), where, cert_name))
        break
    return problems
