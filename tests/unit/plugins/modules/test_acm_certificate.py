"""acm_certificate against a botocore Stubber.

Every request is checked against the ACM API model and its expected parameters; every reply
against the model. A request nobody queued fails, and the Stubber must be drained. The PEMs are
made here with `cryptography` (no key file is kept anywhere).
"""

import datetime
import re

import botocore.session
import pytest
from ansible_collections.finproc.dr.plugins.module_utils import idempotency
from ansible_collections.finproc.dr.plugins.modules import acm_certificate
from aws_stub import fake_clock, record_requests, run_module
from botocore.stub import ANY
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

NAME = "finproc-dev-alb"
ACCOUNT = "123456789012"
ARN = f"arn:aws:acm:us-east-2:{ACCOUNT}:certificate/0aa1b2c3-d4e5-f6a7-b8c9-d0e1f2a3b4c5"
OTHER_ARN = f"arn:aws:acm:us-east-2:{ACCOUNT}:certificate/9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
NEW_ARN = f"arn:aws:acm:us-east-2:{ACCOUNT}:certificate/1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
DOMAIN = "app.dev.finproc.example"
SANS = ["*.app.dev.finproc.example", "us-east-2.app.dev.finproc.example"]
WHEN = datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc)
KEY_TYPES = botocore.session.get_session().get_service_model("acm").shape_for("KeyAlgorithm").enum
LIST = {"Includes": {"keyTypes": KEY_TYPES}}
BY_ARN = {"CertificateArn": ARN}
NAME_TAG = [{"Key": "Name", "Value": NAME}]


# -- PEMs ------------------------------------------------------------------------------------------
def _name(common_name):
    return x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "finproc"), x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    )


def _issue(subject, issuer, public_key, signing_key, serial, ca=False, names=None):
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(public_key)
        .serial_number(serial)
        .not_valid_before(datetime.datetime(2026, 1, 1))
        .not_valid_after(datetime.datetime(2036, 1, 1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    return builder.sign(signing_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key):
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


ROOT_KEY, INTER_KEY, LEAF_KEY, OLD_ROOT_KEY, OTHER_KEY = (_key() for _unused in range(5))
ROOT = _issue("Test Root", "Test Root", ROOT_KEY.public_key(), ROOT_KEY, 1, ca=True)
INTER = _issue("Test Intermediate", "Test Root", INTER_KEY.public_key(), ROOT_KEY, 2, ca=True)
# The root, cross-signed by an older root: it certifies INTER, so dropping it is a change.
CROSS = _issue("Test Root", "Old Root", ROOT_KEY.public_key(), OLD_ROOT_KEY, 3, ca=True)
# A root that has nothing to do with our chain.
UNRELATED = _issue("Amazon Root CA 1", "Starfield Root", OTHER_KEY.public_key(), OTHER_KEY, 4, ca=True)
LEAF = _issue(DOMAIN, "Test Intermediate", LEAF_KEY.public_key(), INTER_KEY, 0x1A2B3C, names=[DOMAIN])
LEAF_KEY_PEM = _key_pem(LEAF_KEY)
RENEWED = _issue(DOMAIN, "Test Intermediate", LEAF_KEY.public_key(), INTER_KEY, 0x4D5E6F, names=[DOMAIN])
SELF_KEY = _key()
SELF_SIGNED = _issue(DOMAIN, DOMAIN, SELF_KEY.public_key(), SELF_KEY, 77, names=[DOMAIN])

IMPORT_ARGS = {"name": NAME, "certificate": LEAF, "private_key": LEAF_KEY_PEM, "tags": {"App": "finproc"}}
REQUEST_ARGS = {"name": NAME, "domain_name": DOMAIN, "subject_alternative_names": SANS, "tags": {"App": "finproc"}}
TAGS = [{"Key": "App", "Value": "finproc"}, {"Key": "Name", "Value": NAME}]


# -- replies ---------------------------------------------------------------------------------------
def summary(arn=ARN, key="RSA_2048"):
    return {"CertificateArn": arn, "DomainName": DOMAIN, "KeyAlgorithm": key}


def imported(arn=ARN, serial="1a:2b:3c", in_use=None):
    return {
        "CertificateArn": arn,
        "DomainName": DOMAIN,
        "SubjectAlternativeNames": [DOMAIN],
        "Serial": serial,
        "Subject": f"CN={DOMAIN}",
        "Issuer": "Test Intermediate",
        "ImportedAt": WHEN,
        "Status": "ISSUED",
        "NotBefore": WHEN,
        "NotAfter": datetime.datetime(2036, 1, 1, tzinfo=datetime.timezone.utc),
        "KeyAlgorithm": "EC_prime256v1",
        "SignatureAlgorithm": "SHA256WITHECDSA",
        "InUseBy": in_use or [],
        "Type": "IMPORTED",
    }


def record(name):
    return {"Name": f"_3b2c1a0d.{name}.", "Type": "CNAME", "Value": f"_0a1b2c3d.{name}.acm-validations.aws."}


def requested(status="PENDING_VALIDATION", arn=ARN, domain=DOMAIN, sans=None, records=True, key="RSA_2048", **extra):
    """An AMAZON_ISSUED DescribeCertificate `Certificate`; ACM counts the domain among the SANs.

    The wildcard shares its record with the domain (as on AWS), so three names have two records.
    """
    names = [domain] + (SANS if sans is None else sans)
    options = []
    for name in names:
        option = {
            "DomainName": name,
            "ValidationDomain": name,
            "ValidationStatus": "SUCCESS" if status == "ISSUED" else "PENDING_VALIDATION",
            "ValidationMethod": "DNS",
        }
        if records:
            option["ResourceRecord"] = record(name[2:] if name.startswith("*.") else name)
        options.append(option)
    cert = {
        "CertificateArn": arn,
        "DomainName": domain,
        "SubjectAlternativeNames": names,
        "DomainValidationOptions": options,
        "Subject": f"CN={domain}",
        "CreatedAt": WHEN,
        "Status": status,
        "KeyAlgorithm": key,
        "InUseBy": [],
        "Type": "AMAZON_ISSUED",
        "Options": {"CertificateTransparencyLoggingPreference": "ENABLED"},
    }
    cert.update(extra)
    return cert


RECORDS = [
    {"name": f"_3b2c1a0d.{DOMAIN}.", "type": "CNAME", "value": f"_0a1b2c3d.{DOMAIN}.acm-validations.aws."},
    {
        "name": "_3b2c1a0d.us-east-2.app.dev.finproc.example.",
        "type": "CNAME",
        "value": "_0a1b2c3d.us-east-2.app.dev.finproc.example.acm-validations.aws.",
    },
]


# -- harness ---------------------------------------------------------------------------------------
@pytest.fixture
def clock(monkeypatch):
    return fake_clock(monkeypatch, acm_certificate)


@pytest.fixture
def sent(acm):
    """The operation and parameters of every request the module makes."""
    return record_requests(acm[0])


def run(acm, monkeypatch, capsys, args, **kw):
    return run_module(acm_certificate.main, args, acm[0], monkeypatch, capsys, **kw)


def found(stub, cert, tags=None, others=()):
    """ListCertificates (our certificate after `others`), each one's tags, then DescribeCertificate."""
    tags = NAME_TAG if tags is None else tags
    stub.add_response(
        "list_certificates",
        {"CertificateSummaryList": [summary(a) for a, _t in others] + [summary(cert["CertificateArn"])]},
        LIST,
    )
    for arn, other_tags in others:
        stub.add_response("list_tags_for_certificate", {"Tags": other_tags}, {"CertificateArn": arn})
    stub.add_response("list_tags_for_certificate", {"Tags": tags}, {"CertificateArn": cert["CertificateArn"]})
    stub.add_response("describe_certificate", {"Certificate": cert}, {"CertificateArn": cert["CertificateArn"]})


def nothing_found(stub):
    stub.add_response("list_certificates", {"CertificateSummaryList": []}, LIST)


def writes(sent):
    return [op for op, _params in sent if not op.startswith(("List", "Describe", "Get"))]


# -- import mode -----------------------------------------------------------------------------------
def test_the_listing_asks_for_every_key_type_of_the_api_model():
    assert "EC_prime256v1" in KEY_TYPES and "RSA_4096" in KEY_TYPES and len(KEY_TYPES) >= 7


def test_import_new(acm, monkeypatch, capsys, clock):
    client, stub = acm
    nothing_found(stub)
    stub.add_response(
        "import_certificate",
        {"CertificateArn": ARN},
        {"Certificate": LEAF.encode(), "PrivateKey": LEAF_KEY_PEM.encode(), "Tags": TAGS},
    )
    stub.add_response("describe_certificate", {"Certificate": imported()}, BY_ARN)
    result, code = run(acm, monkeypatch, capsys, IMPORT_ARGS, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert result["certificate_arn"] == ARN
    assert result["certificate"]["type"] == "IMPORTED"
    assert result["certificate"]["tags"] == {"App": "finproc", "Name": NAME}
    assert result["validation_records"] == []
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["arn"] == ARN
    assert result["diff"]["after"]["serial"] == "1a:2b:3c"
    assert LEAF_KEY_PEM not in capsys.readouterr().out


@pytest.mark.parametrize(("code", "status"), [("InternalFailure", 500), ("ServiceUnavailable", 503)])
def test_a_lost_import_answer_adopts_the_certificate_by_name(acm, monkeypatch, capsys, clock, sent, code, status):
    """ImportCertificate has no token: after a 5xx the certificate named so is looked up; ONE import."""
    client, stub = acm
    nothing_found(stub)
    request = {"Certificate": LEAF.encode(), "PrivateKey": LEAF_KEY_PEM.encode(), "Tags": TAGS}
    stub.add_client_error("import_certificate", code, http_status_code=status, expected_params=request)
    found(stub, imported())  # the look-up: ACM made it
    stub.add_response("describe_certificate", {"Certificate": imported()}, BY_ARN)
    result, code = run(acm, monkeypatch, capsys, IMPORT_ARGS)
    assert code == 0, result
    assert writes(sent) == ["ImportCertificate"]
    assert result["certificate_arn"] == ARN


def test_import_identical_writes_nothing(acm, monkeypatch, capsys, clock, sent):
    client, stub = acm
    found(stub, imported(), tags=TAGS)
    # No chain was given: what ACM returns as the chain (here an unrelated root) is not compared.
    stub.add_response("get_certificate", {"Certificate": LEAF, "CertificateChain": UNRELATED}, BY_ARN)
    result, code = run(acm, monkeypatch, capsys, IMPORT_ARGS, diff=True)
    assert code == 0, result
    assert result["changed"] is False
    assert writes(sent) == []
    assert result["certificate"]["certificate_arn"] == ARN
    assert result["diff"]["before"] == result["diff"]["after"]
    assert result["diff"]["before"]["tags"] == {"App": "finproc", "Name": NAME}


def test_import_different_reimports_in_place(acm, monkeypatch, capsys, clock):
    client, stub = acm
    found(stub, imported(), tags=TAGS)
    stub.add_response("get_certificate", {"Certificate": LEAF}, BY_ARN)
    stub.add_response(
        "import_certificate",
        {"CertificateArn": ARN},
        {"CertificateArn": ARN, "Certificate": RENEWED.encode(), "PrivateKey": LEAF_KEY_PEM.encode()},
    )
    stub.add_response("describe_certificate", {"Certificate": imported(serial="4d:5e:6f")}, BY_ARN)
    result, code = run(acm, monkeypatch, capsys, dict(IMPORT_ARGS, certificate=RENEWED), diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert result["certificate_arn"] == ARN
    assert (result["diff"]["before"]["serial"], result["diff"]["after"]["serial"]) == ("1a:2b:3c", "4d:5e:6f")
    assert "warnings" not in result


def test_a_reimport_sends_no_tags_and_leaves_them_to_acm(acm, monkeypatch, capsys, clock, sent):
    """ACM keeps a certificate's tags through a re-import (and takes none then): no tag call follows."""
    client, stub = acm
    held = NAME_TAG + [{"Key": "Owner", "Value": "someone"}]
    found(stub, imported(), tags=held)
    stub.add_response("get_certificate", {"Certificate": LEAF}, BY_ARN)
    stub.add_response(
        "import_certificate",
        {"CertificateArn": ARN},
        {"CertificateArn": ARN, "Certificate": RENEWED.encode(), "PrivateKey": LEAF_KEY_PEM.encode()},
    )
    stub.add_response("describe_certificate", {"Certificate": imported(serial="4d:5e:6f")}, BY_ARN)
    args = {k: v for k, v in IMPORT_ARGS.items() if k != "tags"}
    result, code = run(acm, monkeypatch, capsys, dict(args, certificate=RENEWED))
    assert code == 0, result
    assert writes(sent) == ["ImportCertificate"]
    assert result["certificate"]["tags"] == {"Name": NAME, "Owner": "someone"}
    assert "warnings" not in result


def test_leading_text_and_line_breaks_do_not_make_a_difference(acm, monkeypatch, capsys, clock, sent):
    client, stub = acm
    found(stub, imported(), tags=TAGS)
    stub.add_response("get_certificate", {"Certificate": LEAF.replace("\n", "\r\n")}, BY_ARN)
    result, code = run(acm, monkeypatch, capsys, dict(IMPORT_ARGS, certificate="subject=CN=app\n" + LEAF))
    assert code == 0, result
    assert result["changed"] is False
    assert writes(sent) == []


@pytest.mark.parametrize(
    "held, same",
    [
        pytest.param(INTER, True, id="the same chain"),
        pytest.param(INTER + UNRELATED, False, id="a root that does not certify the chain was dropped"),
        pytest.param(INTER + ROOT, False, id="the chain's own self-signed root was dropped"),
        pytest.param(INTER + CROSS, False, id="a cross-signed root that certifies the chain was dropped"),
        pytest.param(ROOT, False, id="another chain"),
        pytest.param(None, False, id="no chain held"),
    ],
)
def test_import_compares_the_chain_when_given(acm, monkeypatch, capsys, clock, sent, held, same):
    client, stub = acm
    found(stub, imported(), tags=TAGS)
    reply = {"Certificate": LEAF}
    if held:
        reply["CertificateChain"] = held
    stub.add_response("get_certificate", reply, BY_ARN)
    if not same:
        stub.add_response(
            "import_certificate",
            {"CertificateArn": ARN},
            {
                "CertificateArn": ARN,
                "Certificate": LEAF.encode(),
                "PrivateKey": LEAF_KEY_PEM.encode(),
                "CertificateChain": INTER.encode(),
            },
        )
        stub.add_response("describe_certificate", {"Certificate": imported()}, BY_ARN)
    result, code = run(acm, monkeypatch, capsys, dict(IMPORT_ARGS, certificate_chain=INTER))
    assert code == 0, result
    assert result["changed"] is (not same)
    assert writes(sent) == ([] if same else ["ImportCertificate"])


def test_import_new_with_a_chain(acm, monkeypatch, capsys, clock):
    client, stub = acm
    nothing_found(stub)
    stub.add_response(
        "import_certificate",
        {"CertificateArn": ARN},
        {
            "Certificate": LEAF.encode(),
            "PrivateKey": LEAF_KEY_PEM.encode(),
            "CertificateChain": (INTER + ROOT).encode(),
            "Tags": TAGS,
        },
    )
    stub.add_response("describe_certificate", {"Certificate": imported()}, BY_ARN)
    result, code = run(acm, monkeypatch, capsys, dict(IMPORT_ARGS, certificate_chain=INTER + ROOT))
    assert code == 0, result
    assert result["changed"] is True


def test_import_check_mode_writes_nothing_and_predicts(acm, monkeypatch, capsys, clock, sent):
    client, stub = acm
    nothing_found(stub)
    result, code = run(acm, monkeypatch, capsys, IMPORT_ARGS, check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == []
    assert result["certificate"] == {}
    assert result["certificate_arn"] is None
    assert result["validation_records"] == []
    after = result["diff"]["after"]
    assert after["serial"] == "1a:2b:3c"
    assert after["domain_name"] == DOMAIN
    assert after["subject_alternative_names"] == [DOMAIN]
    assert after["not_after"].startswith("2036-01-01T00:00:00")
    assert after["tags"] == {"App": "finproc", "Name": NAME}


def test_import_check_mode_of_a_renewal_writes_nothing(acm, monkeypatch, capsys, clock, sent):
    client, stub = acm
    found(stub, imported(), tags=TAGS)
    stub.add_response("get_certificate", {"Certificate": LEAF}, BY_ARN)
    result, code = run(acm, monkeypatch, capsys, dict(IMPORT_ARGS, certificate=RENEWED), check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == []
    assert result["certificate_arn"] == ARN
    assert result["diff"]["after"]["serial"] == "4d:5e:6f"
    assert result["diff"]["after"]["arn"] == ARN


def test_import_over_a_requested_certificate_fails(acm, monkeypatch, capsys, clock, sent):
    client, stub = acm
    found(stub, requested("ISSUED"))
    result, code = run(acm, monkeypatch, capsys, IMPORT_ARGS)
    assert code == 1
    assert "was not imported (its type is AMAZON_ISSUED)" in result["msg"]
    assert ARN in result["msg"]
    assert writes(sent) == []


def test_certificates_of_other_names_and_of_any_page_are_looked_at(acm, monkeypatch, capsys, clock):
    client, stub = acm
    stub.add_response("list_certificates", {"CertificateSummaryList": [summary(OTHER_ARN)], "NextToken": "page2"}, LIST)
    stub.add_response(
        "list_certificates",
        {"CertificateSummaryList": [summary(NEW_ARN), summary(ARN, "EC_prime256v1")]},
        dict(LIST, NextToken="page2"),
    )
    stub.add_response(
        "list_tags_for_certificate", {"Tags": [{"Key": "Name", "Value": "someone-else"}]}, {"CertificateArn": OTHER_ARN}
    )
    stub.add_client_error(
        "list_tags_for_certificate",
        service_error_code="ResourceNotFoundException",
        expected_params={"CertificateArn": NEW_ARN},
    )
    stub.add_response("list_tags_for_certificate", {"Tags": TAGS}, BY_ARN)
    stub.add_response("describe_certificate", {"Certificate": imported()}, BY_ARN)
    stub.add_response("get_certificate", {"Certificate": LEAF}, BY_ARN)
    result, code = run(acm, monkeypatch, capsys, IMPORT_ARGS)
    assert code == 0, result
    assert result["changed"] is False
    assert result["certificate_arn"] == ARN


# -- request mode ----------------------------------------------------------------------------------
REQUEST = {
    "DomainName": DOMAIN,
    "ValidationMethod": "DNS",
    "KeyAlgorithm": "RSA_2048",
    "IdempotencyToken": ANY,
    "Options": {"CertificateTransparencyLoggingPreference": "ENABLED"},
    "Tags": TAGS,
    "SubjectAlternativeNames": SANS,
}


def token_of(sent):
    return [params["IdempotencyToken"] for op, params in sent if op == "RequestCertificate"]


def test_request_new_polls_until_the_records_are_published(acm, monkeypatch, capsys, clock, sent):
    client, stub = acm
    nothing_found(stub)
    stub.add_response("request_certificate", {"CertificateArn": ARN}, REQUEST)
    stub.add_response("describe_certificate", {"Certificate": requested(records=False)}, BY_ARN)
    no_options = requested()
    del no_options["DomainValidationOptions"]  # not yet there at all
    stub.add_response("describe_certificate", {"Certificate": no_options}, BY_ARN)
    stub.add_response("describe_certificate", {"Certificate": requested()}, BY_ARN)
    result, code = run(acm, monkeypatch, capsys, REQUEST_ARGS, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert clock.sleeps == [2, 2]
    assert result["validation_records"] == RECORDS  # three names, two records
    assert result["certificate"]["status"] == "PENDING_VALIDATION"
    assert result["certificate"]["tags"] == {"App": "finproc", "Name": NAME}
    assert result["diff"]["after"]["subject_alternative_names"] == sorted([DOMAIN] + SANS)
    (token,) = token_of(sent)
    assert re.fullmatch(r"\w{1,32}", token)


def test_the_idempotency_token_is_the_same_for_the_same_request(acm, monkeypatch, capsys, clock, sent):
    client, stub = acm
    for _attempt in range(2):
        nothing_found(stub)
        stub.add_response("request_certificate", {"CertificateArn": ARN}, REQUEST)
        stub.add_response("describe_certificate", {"Certificate": requested()}, BY_ARN)
        result, code = run(acm, monkeypatch, capsys, REQUEST_ARGS)
        assert code == 0, result
    first, second = token_of(sent)
    assert first == second


def test_a_later_run_never_sends_the_token_of_a_certificate_deleted_since(acm, monkeypatch, capsys, clock, sent):
    """Within the hour ACM answers a token it has seen with that certificate, deleted or not: a stack
    destroyed and made again must get a new one. The token holds for one module run (the same through its
    retries); a later run finds the certificate by its Name tag first, and sends another token."""
    client, stub = acm
    for run_nonce in ("this run", "a later run"):
        monkeypatch.setattr(idempotency, "RUN_NONCE", run_nonce)
        nothing_found(stub)
        stub.add_response("request_certificate", {"CertificateArn": ARN}, REQUEST)
        stub.add_response("describe_certificate", {"Certificate": requested()}, BY_ARN)
        result, code = run(acm, monkeypatch, capsys, REQUEST_ARGS)
        assert code == 0, result
    first, second = token_of(sent)
    assert first != second


def test_request_without_alternative_names_sends_none(acm, monkeypatch, capsys, clock):
    client, stub = acm
    nothing_found(stub)
    request = {k: v for k, v in REQUEST.items() if k != "SubjectAlternativeNames"}
    request.update(KeyAlgorithm="EC_prime256v1", Tags=NAME_TAG)
    stub.add_response("request_certificate", {"CertificateArn": ARN}, request)
    stub.add_response("describe_certificate", {"Certificate": requested(sans=[], key="EC_prime256v1")}, BY_ARN)
    result, code = run(
        acm, monkeypatch, capsys, {"name": NAME, "domain_name": DOMAIN, "key_algorithm": "EC_prime256v1"}
    )
    assert code == 0, result
    assert result["validation_records"] == RECORDS[:1]


def test_request_check_mode_writes_nothing(acm, monkeypatch, capsys, clock, sent):
    client, stub = acm
    nothing_found(stub)
    result, code = run(acm, monkeypatch, capsys, REQUEST_ARGS, check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == []
    assert (result["certificate"], result["validation_records"]) == ({}, [])
    assert result["diff"]["after"]["status"] == "PENDING_VALIDATION"


def test_request_existing_identical_writes_nothing(acm, monkeypatch, capsys, clock, sent):
    client, stub = acm
    # ACM lists the domain among the SANs; the task lists it too, in another case: the same names.
    found(stub, requested("ISSUED"), tags=TAGS)
    args = dict(REQUEST_ARGS, subject_alternative_names=[DOMAIN.upper()] + SANS)
    result, code = run(acm, monkeypatch, capsys, args, diff=True)
    assert code == 0, result
    assert result["changed"] is False
    assert writes(sent) == []
    assert clock.sleeps == []
    assert result["certificate"]["status"] == "ISSUED"
    assert result["validation_records"] == RECORDS  # still needed for renewals
    assert result["diff"]["before"] == result["diff"]["after"]


def test_an_existing_pending_certificate_without_records_yet_is_polled(acm, monkeypatch, capsys, clock, sent):
    client, stub = acm
    found(stub, requested(records=False), tags=TAGS)
    stub.add_response("describe_certificate", {"Certificate": requested()}, BY_ARN)
    result, code = run(acm, monkeypatch, capsys, REQUEST_ARGS)
    assert code == 0, result
    assert result["changed"] is False
    assert result["validation_records"] == RECORDS
    assert clock.sleeps == [2]


@pytest.mark.parametrize(
    "existing, says",
    [
        pytest.param(requested("ISSUED", domain="old.finproc.example"), "domain_name old.finproc.example", id="domain"),
        pytest.param(requested("ISSUED", sans=SANS[:1]), "names *.app.dev.finproc.example, app.dev", id="names"),
        pytest.param(requested("ISSUED", key="EC_secp384r1"), "key_algorithm EC_secp384r1 (wanted RSA_2048)", id="key"),
    ],
)
def test_request_existing_with_other_settings_fails(acm, monkeypatch, capsys, clock, sent, existing, says):
    client, stub = acm
    found(stub, existing, tags=TAGS)
    result, code = run(acm, monkeypatch, capsys, REQUEST_ARGS)
    assert code == 1
    assert says in result["msg"]
    assert "ACM cannot change the names or the key" in result["msg"]
    assert "under another name" in result["msg"]
    assert writes(sent) == []


def test_request_over_an_imported_certificate_fails(acm, monkeypatch, capsys, clock, sent):
    client, stub = acm
    found(stub, imported(), tags=TAGS)
    result, code = run(acm, monkeypatch, capsys, REQUEST_ARGS)
    assert code == 1
    assert "is of type IMPORTED" in result["msg"]
    assert writes(sent) == []


@pytest.mark.parametrize("status", ["FAILED", "VALIDATION_TIMED_OUT"])
def test_request_existing_dead_and_unused_is_replaced(acm, monkeypatch, capsys, clock, sent, status):
    client, stub = acm
    found(stub, requested(status, FailureReason="CAA_ERROR"), tags=TAGS)
    stub.add_response("delete_certificate", {}, BY_ARN)
    stub.add_response("request_certificate", {"CertificateArn": NEW_ARN}, REQUEST)
    stub.add_response("describe_certificate", {"Certificate": requested(arn=NEW_ARN)}, {"CertificateArn": NEW_ARN})
    result, code = run(acm, monkeypatch, capsys, REQUEST_ARGS, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == ["DeleteCertificate", "RequestCertificate"]
    assert result["certificate_arn"] == NEW_ARN
    assert result["validation_records"] == RECORDS
    assert (result["diff"]["before"]["status"], result["diff"]["after"]["status"]) == (status, "PENDING_VALIDATION")


def test_wait_until_issued(acm, monkeypatch, capsys, clock):
    client, stub = acm
    found(stub, requested(), tags=TAGS)
    stub.add_response("describe_certificate", {"Certificate": requested()}, BY_ARN)
    stub.add_response("describe_certificate", {"Certificate": requested("ISSUED")}, BY_ARN)
    result, code = run(acm, monkeypatch, capsys, dict(REQUEST_ARGS, wait=True))
    assert code == 0, result
    assert result["changed"] is False
    assert result["certificate"]["status"] == "ISSUED"
    assert clock.sleeps == [10, 10]


def test_request_and_wait(acm, monkeypatch, capsys, clock):
    client, stub = acm
    nothing_found(stub)
    stub.add_response("request_certificate", {"CertificateArn": ARN}, REQUEST)
    stub.add_response("describe_certificate", {"Certificate": requested()}, BY_ARN)
    stub.add_response("describe_certificate", {"Certificate": requested("ISSUED")}, BY_ARN)
    result, code = run(acm, monkeypatch, capsys, dict(REQUEST_ARGS, wait=True))
    assert code == 0, result
    assert result["changed"] is True
    assert result["certificate"]["status"] == "ISSUED"


def test_wait_times_out_naming_the_records(acm, monkeypatch, capsys, clock):
    client, stub = acm
    found(stub, requested(), tags=TAGS)
    for _attempt in range(3):  # at 10 s, 20 s and 25 s (the deadline)
        stub.add_response("describe_certificate", {"Certificate": requested()}, BY_ARN)
    result, code = run(acm, monkeypatch, capsys, dict(REQUEST_ARGS, wait=True, wait_timeout=25))
    assert code == 1
    assert clock.sleeps == [10, 10, 5]
    assert "timed out after 25 s" in result["msg"]
    assert "its status is PENDING_VALIDATION" in result["msg"]
    for rec in RECORDS:
        assert f"CNAME {rec['name']} -> {rec['value']}" in result["msg"]
    assert result["validation_records"] == RECORDS


def test_a_failure_while_waiting_fails_at_once(acm, monkeypatch, capsys, clock):
    client, stub = acm
    found(stub, requested(), tags=TAGS)
    stub.add_response("describe_certificate", {"Certificate": requested("FAILED", FailureReason="CAA_ERROR")}, BY_ARN)
    result, code = run(acm, monkeypatch, capsys, dict(REQUEST_ARGS, wait=True))
    assert code == 1
    assert "is FAILED (CAA_ERROR)" in result["msg"]
    assert clock.sleeps == [10]


def test_records_that_never_come_time_out(acm, monkeypatch, capsys, clock):
    client, stub = acm
    found(stub, requested(records=False), tags=TAGS)
    for _attempt in range(2):  # at 2 s and 3 s (the deadline)
        stub.add_response("describe_certificate", {"Certificate": requested(records=False)}, BY_ARN)
    result, code = run(acm, monkeypatch, capsys, dict(REQUEST_ARGS, wait_timeout=3))
    assert code == 1
    assert "waiting for ACM to publish the DNS validation records" in result["msg"]


def test_a_requested_certificate_that_stays_unknown_fails_clearly(acm, monkeypatch, capsys, clock):
    client, stub = acm
    nothing_found(stub)
    stub.add_response("request_certificate", {"CertificateArn": ARN}, REQUEST)
    for _attempt in range(16):  # every 2 s up to 30 s
        stub.add_client_error(
            "describe_certificate", service_error_code="ResourceNotFoundException", expected_params=BY_ARN
        )
    result, code = run(acm, monkeypatch, capsys, REQUEST_ARGS)
    assert code == 1
    assert f"ACM answered the request of certificate {NAME} with {ARN}, which does not exist" in result["msg"]
    assert clock.now == 30


# -- tags ------------------------------------------------------------------------------------------
def test_tags_are_added_and_removed(acm, monkeypatch, capsys, clock, sent):
    client, stub = acm
    found(stub, imported(), tags=NAME_TAG + [{"Key": "Owner", "Value": "someone"}, {"Key": "Bare"}])
    stub.add_response("get_certificate", {"Certificate": LEAF}, BY_ARN)
    stub.add_response(
        "remove_tags_from_certificate", {}, {"CertificateArn": ARN, "Tags": [{"Key": "Bare"}, {"Key": "Owner"}]}
    )
    stub.add_response(
        "add_tags_to_certificate", {}, {"CertificateArn": ARN, "Tags": [{"Key": "App", "Value": "finproc"}]}
    )
    result, code = run(acm, monkeypatch, capsys, IMPORT_ARGS, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == ["RemoveTagsFromCertificate", "AddTagsToCertificate"]
    assert result["diff"]["before"]["tags"] == {"Name": NAME, "Owner": "someone", "Bare": ""}
    assert result["diff"]["after"]["tags"] == {"Name": NAME, "App": "finproc"}
    assert result["certificate"]["tags"] == {"Name": NAME, "App": "finproc"}


def test_tags_without_purge_only_add(acm, monkeypatch, capsys, clock, sent):
    client, stub = acm
    found(stub, requested("ISSUED"), tags=NAME_TAG + [{"Key": "Owner", "Value": "someone"}])
    stub.add_response(
        "add_tags_to_certificate", {}, {"CertificateArn": ARN, "Tags": [{"Key": "App", "Value": "finproc"}]}
    )
    result, code = run(acm, monkeypatch, capsys, dict(REQUEST_ARGS, purge_tags=False))
    assert code == 0, result
    assert writes(sent) == ["AddTagsToCertificate"]
    assert result["certificate"]["tags"] == {"Name": NAME, "Owner": "someone", "App": "finproc"}


def test_tags_in_check_mode_are_predicted_not_written(acm, monkeypatch, capsys, clock, sent):
    client, stub = acm
    found(stub, requested("ISSUED"), tags=NAME_TAG + [{"Key": "Owner", "Value": "someone"}])
    result, code = run(acm, monkeypatch, capsys, REQUEST_ARGS, check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == []
    assert result["diff"]["after"]["tags"] == {"Name": NAME, "App": "finproc"}


def test_without_tags_the_tags_are_left_alone(acm, monkeypatch, capsys, clock, sent):
    client, stub = acm
    found(stub, requested("ISSUED"), tags=NAME_TAG + [{"Key": "Owner", "Value": "someone"}])
    result, code = run(acm, monkeypatch, capsys, {k: v for k, v in REQUEST_ARGS.items() if k != "tags"})
    assert code == 0, result
    assert result["changed"] is False
    assert writes(sent) == []


# -- absent ----------------------------------------------------------------------------------------
def test_absent_deletes(acm, monkeypatch, capsys, clock, sent):
    client, stub = acm
    found(stub, imported(), tags=TAGS)
    stub.add_response("delete_certificate", {}, BY_ARN)
    result, code = run(acm, monkeypatch, capsys, {"name": NAME, "state": "absent"}, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == ["DeleteCertificate"]
    assert result["diff"]["before"]["arn"] == ARN
    assert result["diff"]["after"] == {}
    assert result["certificate"] == {}


def test_absent_in_check_mode_deletes_nothing(acm, monkeypatch, capsys, clock, sent):
    client, stub = acm
    found(stub, imported(), tags=TAGS)
    result, code = run(acm, monkeypatch, capsys, {"name": NAME, "state": "absent"}, check_mode=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == []


def test_absent_when_missing_is_no_change(acm, monkeypatch, capsys, clock):
    client, stub = acm
    nothing_found(stub)
    result, code = run(acm, monkeypatch, capsys, {"name": NAME, "state": "absent"})
    assert code == 0, result
    assert result["changed"] is False


def test_absent_in_use_fails_naming_the_users(acm, monkeypatch, capsys, clock, sent):
    client, stub = acm
    alb = f"arn:aws:elasticloadbalancing:us-east-2:{ACCOUNT}:loadbalancer/app/finproc-dev/50dc6c495c0c9188"
    found(stub, imported(in_use=[alb]), tags=TAGS)
    result, code = run(acm, monkeypatch, capsys, {"name": NAME, "state": "absent"})
    assert code == 1
    assert f"is in use by {alb}" in result["msg"]
    assert result["in_use_by"] == [alb]
    assert writes(sent) == []


def test_absent_refused_as_in_use_by_acm_fails_the_same_way(acm, monkeypatch, capsys, clock):
    client, stub = acm
    found(stub, imported(), tags=TAGS)
    stub.add_client_error(
        "delete_certificate",
        service_error_code="ResourceInUseException",
        service_message="in use",
        expected_params=BY_ARN,
    )
    result, code = run(acm, monkeypatch, capsys, {"name": NAME, "state": "absent"})
    assert code == 1
    assert f"certificate {NAME} ({ARN}) is in use" in result["msg"]


# -- identity and arguments ------------------------------------------------------------------------
def test_more_than_one_with_the_name_fails(acm, monkeypatch, capsys, clock, sent):
    client, stub = acm
    stub.add_response("list_certificates", {"CertificateSummaryList": [summary(ARN), summary(OTHER_ARN)]}, LIST)
    stub.add_response("list_tags_for_certificate", {"Tags": TAGS}, BY_ARN)
    stub.add_response("list_tags_for_certificate", {"Tags": NAME_TAG}, {"CertificateArn": OTHER_ARN})
    result, code = run(acm, monkeypatch, capsys, {"name": NAME, "state": "absent"})
    assert code == 1
    assert f"2 certificates in us-east-2 are named {NAME}: {ARN}, {OTHER_ARN}" in result["msg"]
    assert writes(sent) == []


def test_throttling_is_retried(acm, monkeypatch, capsys, clock):
    client, stub = acm
    stub.add_client_error("list_certificates", service_error_code="ThrottlingException", expected_params=LIST)
    nothing_found(stub)
    result, code = run(acm, monkeypatch, capsys, {"name": NAME, "state": "absent"})
    assert code == 0, result
    assert result["changed"] is False


def test_an_api_error_names_the_operation(acm, monkeypatch, capsys, clock):
    client, stub = acm
    stub.add_client_error("list_certificates", service_error_code="AccessDeniedException", expected_params=LIST)
    result, code = run(acm, monkeypatch, capsys, {"name": NAME, "state": "absent"})
    assert code == 1
    assert result["msg"].startswith(f"ListCertificates failed for certificate {NAME} in us-east-2")


@pytest.mark.parametrize(
    "args, says",
    [
        ({"name": NAME}, "state is present but any of the following are missing: certificate, domain_name"),
        ({"name": NAME, "certificate": LEAF, "private_key": LEAF_KEY_PEM, "domain_name": DOMAIN}, "mutually exclusive"),
        ({"name": NAME, "certificate": LEAF}, "parameters are required together: certificate, private_key"),
        ({"name": NAME, "domain_name": DOMAIN, "certificate_chain": INTER}, "mutually exclusive"),
        (
            {"name": NAME, "domain_name": DOMAIN, "tags": {"Name": "other"}},
            "the Name tag is always the certificate's name",
        ),
        ({"name": NAME, "certificate": LEAF + INTER, "private_key": LEAF_KEY_PEM}, "exactly one PEM certificate"),
        (
            {"name": NAME, "certificate": "not a certificate", "private_key": LEAF_KEY_PEM},
            "exactly one PEM certificate",
        ),
        ({"name": NAME, "certificate": LEAF.replace("M", "!", 1), "private_key": LEAF_KEY_PEM}, "is not valid PEM"),
        ({"name": NAME, "certificate": LEAF, "private_key": "secret"}, "private_key is not a PEM private key"),
        (
            {"name": NAME, "certificate": LEAF, "private_key": LEAF_KEY_PEM, "certificate_chain": "x"},
            "certificate_chain holds no",
        ),
        (
            {"name": NAME, "certificate": LEAF, "private_key": LEAF_KEY_PEM, "subject_alternative_names": [DOMAIN]},
            "applies to requested",
        ),
        ({"name": NAME, "domain_name": "bad name.example"}, "not a domain name: 'bad name.example'"),
        (
            {"name": NAME, "domain_name": DOMAIN, "validation_method": "EMAIL"},
            "value of validation_method must be one of: DNS",
        ),
        ({"name": NAME, "domain_name": DOMAIN, "wait_timeout": 0}, "wait_timeout must be at least 1 second"),
    ],
)
def test_bad_arguments_fail_before_any_aws_call(acm, monkeypatch, capsys, clock, sent, args, says):
    result, code = run(acm, monkeypatch, capsys, args)
    assert code == 1
    assert says in result["msg"]
    assert sent == []
    assert LEAF_KEY_PEM not in str(result)
