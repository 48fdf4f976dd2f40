#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: acm_certificate
version_added: 0.1.0
short_description: Import a certificate into ACM, or request one validated through DNS
description:
  - Gives a region one ACM certificate, identified by its C(Name) tag (I(name)), in one of two ways.
  - I(Import mode) (I(certificate) and I(private_key)) imports a PEM certificate. When the
    certificate named I(name) exists, its leaf certificate is compared with I(certificate) (and,
    when I(certificate_chain) is given, its chain with I(certificate_chain)), byte for byte in
    DER; a difference re-imports in place, so the ARN (and the listeners that use it) stays.
  - I(Request mode) (I(domain_name)) requests an ACM certificate validated through DNS and
    returns the DNS records that validate it (I(validation_records)), once ACM has published
    them. With I(wait=true) the module waits until the certificate is C(ISSUED).
  - ACM cannot change the names or the key of a certificate it issued. When the certificate named
    I(name) is for other names or another key algorithm, the module fails and says how to
    proceed. A requested certificate whose validation C(FAILED) or C(VALIDATION_TIMED_OUT), and
    that nothing uses, is deleted and requested again.
  - community.aws.acm_certificate only imports certificates, and without a chain it compares the
    chain ACM returns with the certificate itself. Here the chain is only compared when
    I(certificate_chain) is given, with the chain GetCertificate returns, certificate by
    certificate in DER.
  - Certificates are found by listing every certificate of the region (of every key type, not
    only C(RSA_2048) as ACM lists by default) and reading their tags. More than one certificate
    with the same C(Name) tag is an error.
author:
  - finproc.dr maintainers (@finproc)
options:
  name:
    description:
      - The certificate's identity in the region, its C(Name) tag.
      - The C(Name) tag is always set to I(name); I(tags) may hold C(Name) only with this value.
    type: str
    required: true
  state:
    description:
      - Whether the certificate should exist.
      - With C(absent), the certificate named I(name) is deleted; the module fails when it is
        still in use (by a load balancer listener, for example), naming its users.
    type: str
    choices: [present, absent]
    default: present
  certificate:
    description:
      - Import mode. The PEM leaf certificate to import (only the leaf; intermediates go in
        I(certificate_chain)).
      - Mutually exclusive with I(domain_name); one of the two is required with I(state=present).
    type: str
  private_key:
    description:
      - The PEM private key of I(certificate), unencrypted. Required with I(certificate).
      - It is sent to ACM only when the certificate is imported or re-imported; it is never
        returned.
    type: str
  certificate_chain:
    description:
      - The PEM intermediate certificates of I(certificate), issuer of the leaf first.
      - Compared with the chain of the existing certificate only when given.
    type: str
  domain_name:
    description:
      - Request mode. The fully qualified domain name of the certificate to request
        (C(*.example.com) for a wildcard).
      - Mutually exclusive with I(certificate).
    type: str
  subject_alternative_names:
    description:
      - Request mode. Other names of the certificate. ACM counts I(domain_name) among them, so
        listing it here or not makes no difference.
    type: list
    elements: str
    default: []
  validation_method:
    description: Request mode. How ACM validates the names; only DNS validation is managed.
    type: str
    choices: [DNS]
    default: DNS
  key_algorithm:
    description:
      - Request mode. The key algorithm of the requested certificate (the ones ACM issues).
    type: str
    choices: [RSA_2048, EC_prime256v1, EC_secp384r1]
    default: RSA_2048
  wait:
    description:
      - Request mode. Wait until the certificate is C(ISSUED), that is until the validation
        records exist in DNS and ACM has seen them.
      - Without it, the module only waits (at most I(wait_timeout)) for ACM to publish the
        validation records, a few seconds after a request.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait for the validation records, and with I(wait=true) for C(ISSUED).
    type: int
    default: 900
extends_documentation_fragment:
  - finproc.dr.aws
  - amazon.aws.tags
notes:
  - A certificate requested with the same settings, under the same I(name), less than an hour
    after an earlier request is the same certificate for ACM (the request's idempotency token is
    derived from them); ACM may refuse it if that certificate was deleted in between.
"""

EXAMPLES = r"""
- name: Import the ALB certificate of us-east-2 (re-imported in place when the PEM changes)
  finproc.dr.acm_certificate:
    region: us-east-2
    name: finproc-dev-alb
    certificate: "{{ lookup('file', 'alb.crt') }}"
    private_key: "{{ lookup('file', 'alb.key') }}"
    certificate_chain: "{{ lookup('file', 'alb-chain.crt') }}"
    tags:
      App: finproc

- name: Request a certificate validated through DNS
  finproc.dr.acm_certificate:
    region: us-west-2
    name: finproc-dev-alb
    domain_name: app.dev.finproc.example
    subject_alternative_names:
      - us-west-2.app.dev.finproc.example
    tags:
      App: finproc
  register: alb_certificate

- name: Create the validation records
  amazon.aws.route53:
    zone: dev.finproc.example
    record: "{{ item.name }}"
    type: "{{ item.type }}"
    value: "{{ item.value }}"
    ttl: 300
    overwrite: true
  loop: "{{ alb_certificate.validation_records }}"

- name: Wait until it is issued
  finproc.dr.acm_certificate:
    region: us-west-2
    name: finproc-dev-alb
    domain_name: app.dev.finproc.example
    subject_alternative_names:
      - us-west-2.app.dev.finproc.example
    wait: true
    wait_timeout: 1800

- name: Delete it (fails while a listener uses it)
  finproc.dr.acm_certificate:
    region: us-west-2
    name: finproc-dev-alb
    state: absent
"""

RETURN = r"""
certificate:
  description:
    - The certificate as DescribeCertificate returns it, keys in snake case, with its tags as a
      dictionary. The PEM is not returned.
    - Empty when there is no certificate (I(state=absent), or one that would be created in check
      mode).
  returned: always
  type: dict
  contains:
    certificate_arn:
      description: The certificate's ARN.
      type: str
      sample: arn:aws:acm:us-east-2:123456789012:certificate/0aa1b2c3-d4e5-f6a7-b8c9-d0e1f2a3b4c5
    domain_name:
      description: The certificate's main name.
      type: str
      sample: app.dev.finproc.example
    subject_alternative_names:
      description: Every name of the certificate, I(domain_name) included.
      type: list
      elements: str
    status:
      description: C(ISSUED), C(PENDING_VALIDATION), C(FAILED), C(VALIDATION_TIMED_OUT), C(EXPIRED), ...
      type: str
      sample: ISSUED
    type:
      description: C(IMPORTED) or C(AMAZON_ISSUED).
      type: str
    key_algorithm:
      description: The key algorithm.
      type: str
      sample: RSA_2048
    serial:
      description: The serial number.
      type: str
    not_after:
      description: When the certificate expires.
      type: str
    in_use_by:
      description: The ARNs of the resources (load balancers) that use the certificate.
      type: list
      elements: str
    domain_validation_options:
      description: Per name, its validation status and DNS record.
      type: list
      elements: dict
    tags:
      description: The certificate's tags.
      type: dict
      sample: {"Name": "finproc-dev-alb", "App": "finproc"}
certificate_arn:
  description: The certificate's ARN; null when there is none.
  returned: always
  type: str
  sample: arn:aws:acm:us-east-2:123456789012:certificate/0aa1b2c3-d4e5-f6a7-b8c9-d0e1f2a3b4c5
validation_records:
  description:
    - The DNS records that validate a requested certificate, one per distinct record (names can
      share one). ACM also needs them to renew the certificate, so they are returned as long as
      ACM reports them.
    - Empty for imported certificates.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The record's name.
      type: str
      sample: _3b2c1a0d4e5f6a7b8c9d0e1f2a3b4c5d.app.dev.finproc.example.
    type:
      description: The record's type.
      type: str
      sample: CNAME
    value:
      description: The record's value.
      type: str
      sample: _0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d.xlfgrmvvlj.acm-validations.aws.
"""

import base64
import datetime
import re
import time

from ansible.module_utils.common.text.converters import to_bytes
from ansible.module_utils.common.text.converters import to_text
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.finproc.dr.plugins.module_utils.client import aws_client
from ansible_collections.finproc.dr.plugins.module_utils.client import paginate_or_fail
from ansible_collections.finproc.dr.plugins.module_utils.errors import AWS_ERRORS
from ansible_collections.finproc.dr.plugins.module_utils.errors import aws_call
from ansible_collections.finproc.dr.plugins.module_utils.errors import error_code
from ansible_collections.finproc.dr.plugins.module_utils.errors import fail_aws
from ansible_collections.finproc.dr.plugins.module_utils.idempotency import run_token
from ansible_collections.finproc.dr.plugins.module_utils.idempotency import create_once
from ansible_collections.finproc.dr.plugins.module_utils.resource import AWSResource
from ansible_collections.finproc.dr.plugins.module_utils.resource import resource_argument_spec
from ansible_collections.finproc.dr.plugins.module_utils.resource import run_module
from ansible_collections.finproc.dr.plugins.module_utils.results import diff
from ansible_collections.finproc.dr.plugins.module_utils.results import snake
from ansible_collections.finproc.dr.plugins.module_utils.tagging import TAG_READERS
from ansible_collections.finproc.dr.plugins.module_utils.tagging import apply_tags
from ansible_collections.finproc.dr.plugins.module_utils.tagging import plan_tags
from ansible_collections.finproc.dr.plugins.module_utils.waiters import poll_until

# GetCertificate answers RequestInProgressException while ACM is still issuing a certificate
# (ThrottlingException is among client.THROTTLE_CODES).
RETRY_CODES = ["RequestInProgressException"]
RECORDS_POLL_SECONDS = 2  # ACM publishes the validation records a few seconds after a request
ISSUED_POLL_SECONDS = 10
# How long a certificate that RequestCertificate just returned may be unknown to DescribeCertificate.
NOT_FOUND_GRACE_SECONDS = 30
# A certificate in one of these states is of no use: it is replaced when nothing uses it.
DEAD = ("FAILED", "VALIDATION_TIMED_OUT")
# While waiting for ISSUED, these states will not change by themselves.
HOPELESS = ("FAILED", "VALIDATION_TIMED_OUT", "REVOKED", "EXPIRED")
REQUESTABLE_KEYS = ["RSA_2048", "EC_prime256v1", "EC_secp384r1"]
# Every key type of the ACM API model, should the model be unreadable.
ALL_KEY_TYPES = ["RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"]

PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.S)
OID_COMMON_NAME = b"\x06\x03\x55\x04\x03"
OID_SUBJECT_ALT_NAME = b"\x06\x03\x55\x1d\x11"


# -- PEM and DER ------------------------------------------------------------------------------
def pem_certificates(text):
    """The DER bytes of every certificate of a PEM text, in order (ValueError if one is not base64)."""
    return [base64.b64decode("".join(body.split()), validate=True) for body in PEM_CERTIFICATE.findall(text or "")]


def _der_item(data, pos):
    """(tag, start of the content, end of the content) of the DER item at pos."""
    if pos + 2 > len(data):
        raise ValueError("truncated DER")
    tag, length = data[pos], data[pos + 1]
    pos += 2
    if length & 0x80:
        size = length & 0x7F
        if not 0 < size <= 4 or pos + size > len(data):
            raise ValueError("bad DER length")
        length = int.from_bytes(data[pos:pos + size], "big")
        pos += size
    if pos + length > len(data):
        raise ValueError("truncated DER")
    return tag, pos, pos + length


def _der_children(data, start, end):
    """(tag, content start, content end, item start) of each item between start and end."""
    children, pos = [], start
    while pos < end:
        tag, content, stop = _der_item(data, pos)
        children.append((tag, content, stop, pos))
        pos = stop
    return children


def _der_time(tag, raw):
    text = raw.decode("ascii")
    if tag == 0x17:  # UTCTime: two-digit years, 50 and over in the 1900s (RFC 5280)
        text = ("19" if int(text[:2]) >= 50 else "20") + text
    try:
        return datetime.datetime.strptime(text, "%Y%m%d%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return None


def certificate_fields(der):
    """What a DER certificate says of itself: serial, issuer, subject, expiry and names."""
    tag, start, end = _der_item(der, 0)
    if tag != 0x30:
        raise ValueError("not a DER certificate")
    tag, start, end = _der_item(der, start)
    if tag != 0x30:
        raise ValueError("not a DER certificate")
    fields = _der_children(der, start, end)
    if fields and fields[0][0] == 0xA0:  # version
        fields = fields[1:]
    if len(fields) < 6 or [f[0] for f in fields[:6]] != [0x02, 0x30, 0x30, 0x30, 0x30, 0x30]:
        raise ValueError("not a DER certificate")
    serial, issuer, validity, subject = fields[0], fields[2], fields[3], fields[4]
    number = der[serial[1]:serial[2]]
    if len(number) > 1 and number[0] == 0:
        number = number[1:]
    times = _der_children(der, validity[1], validity[2])
    common_name = None
    for rdn in _der_children(der, subject[1], subject[2]):
        for attribute in _der_children(der, rdn[1], rdn[2]):
            parts = _der_children(der, attribute[1], attribute[2])
            if len(parts) == 2 and der[parts[0][3]:parts[0][2]] == OID_COMMON_NAME:
                common_name = der[parts[1][1]:parts[1][2]].decode("utf-8", "replace")
    names = []
    for extensions in (f for f in fields[6:] if f[0] == 0xA3):
        for sequence in _der_children(der, extensions[1], extensions[2]):
            for extension in _der_children(der, sequence[1], sequence[2]):
                parts = _der_children(der, extension[1], extension[2])
                if parts and der[parts[0][3]:parts[0][2]] == OID_SUBJECT_ALT_NAME:
                    value = _der_children(der, parts[-1][1], parts[-1][2])[0]
                    names += [der[n[1]:n[2]].decode("ascii", "replace")
                              for n in _der_children(der, value[1], value[2]) if n[0] == 0x82]  # dNSName
    return {
        "serial": ":".join("%02x" % b for b in number),
        "issuer": der[issuer[3]:issuer[2]],
        "subject": der[subject[3]:subject[2]],
        "not_after": _der_time(times[1][0], der[times[1][1]:times[1][2]]) if len(times) == 2 else None,
        "common_name": common_name,
        "names": names,
    }


# -- views ------------------------------------------------------------------------------------
def timestamp(value):
    return value.isoformat() if isinstance(value, (datetime.datetime, datetime.date)) else value


def names_of(cert):
    """Every name of an ACM certificate, its domain name included, in lower case."""
    names = set(n.lower() for n in cert.get("SubjectAlternativeNames") or [])
    if cert.get("DomainName"):
        names.add(cert["DomainName"].lower())
    return names


def view(cert, tags):
    """The settings this module manages, for diff (never the private key)."""
    if not cert:
        return {}
    return {
        "arn": cert.get("CertificateArn"),
        "domain_name": cert.get("DomainName"),
        "subject_alternative_names": sorted(set(cert.get("SubjectAlternativeNames") or [])),
        "status": cert.get("Status"),
        "not_after": timestamp(cert.get("NotAfter")),
        "serial": cert.get("Serial"),
        "tags": dict(tags),
    }


def validation_records(cert):
    """The distinct DNS records of a requested certificate, in ACM's order."""
    records, seen = [], set()
    for option in (cert or {}).get("DomainValidationOptions") or []:
        record = option.get("ResourceRecord")
        if not record:
            continue
        key = (record.get("Name"), record.get("Type"), record.get("Value"))
        if key not in seen:
            seen.add(key)
            records.append({"name": key[0], "type": key[1], "value": key[2]})
    return records


def records_ready(cert):
    options = cert.get("DomainValidationOptions") or []
    return bool(options) and all(
        option.get("ResourceRecord") for option in options if option.get("ValidationMethod", "DNS") == "DNS"
    )


def describe_records(records):
    return "; ".join("%s %s -> %s" % (r["type"], r["name"], r["value"]) for r in records) or "none published yet"


class Certificate(AWSResource):
    """A state is {"cert": DescribeCertificate's Certificate, "tags": dict}."""

    kind = "certificate"

    def __init__(self, module):
        super(Certificate, self).__init__(module)
        self.importing = bool(module.params.get("certificate"))
        self.replacing = None  # a dead requested certificate that a new request replaces
        self.client = aws_client(module, "acm", extra_codes=RETRY_CODES)
        self.deadline = time.monotonic() + module.params["wait_timeout"]

    # -- calls -----------------------------------------------------------------------------------
    def about(self, arn):
        """The certificate in messages: "certificate <name> (<arn>)"."""
        return "%s%s" % (self.label(), " (%s)" % arn if arn else "")

    def acm_call(self, fn, operation, arn=None, ignore=(), **params):
        return aws_call(self.module, fn, operation, self.about(arn), ignore=ignore, **params)

    def key_types(self):
        try:
            return list(self.client.meta.service_model.shape_for("KeyAlgorithm").enum)
        except Exception:  # pylint: disable=broad-except
            return list(ALL_KEY_TYPES)  # an unreadable model: the types it had when this was written

    def list_tags(self, arn):
        """The tags of a certificate; None when it went away in the meantime."""
        try:
            return TAG_READERS["acm"](self.client, arn)
        except AWS_ERRORS as e:
            if error_code(e) == "ResourceNotFoundException":
                return None
            fail_aws(self.module, e, "ListTagsForCertificate", self.about(arn))

    def describe(self, arn, missing_ok=False):
        ignore = ("ResourceNotFoundException",) if missing_ok else ()
        reply = self.acm_call(self.client.describe_certificate, "DescribeCertificate", arn, ignore=ignore,
                              CertificateArn=arn)
        return reply["Certificate"] if reply else None

    def find(self):
        """The certificate whose Name tag is the name, and its tags; (None, {}) when there is none."""
        summaries = paginate_or_fail(self.module, self.client, "list_certificates", "CertificateSummaryList",
                                     self.label(), Includes={"keyTypes": self.key_types()})
        found = []
        for summary in summaries:
            tags = self.list_tags(summary["CertificateArn"])
            if tags is not None and tags.get("Name") == self.name:
                found.append((summary["CertificateArn"], tags))
        if len(found) > 1:
            self.module.fail_json(
                msg="%d certificates in %s are named %s: %s. Delete all but one (by ARN, for example with the "
                "AWS CLI: aws acm delete-certificate --certificate-arn ...) or change their Name tags, then run again."
                % (len(found), self.region, self.name, ", ".join(arn for arn, tags in found)),
                certificate_arns=[arn for arn, tags in found])
        if not found:
            return None, {}
        arn, tags = found[0]
        return self.describe(arn), tags

    def read(self):
        cert, tags = self.find()
        if cert is None:
            return None
        self.arn = cert["CertificateArn"]
        if self.params["state"] == "absent" and cert.get("InUseBy"):
            self.fail_in_use(cert)  # in check mode too: the deletion would fail
        return {"cert": cert, "tags": tags}

    def settings(self, state):
        return view(state["cert"], state["tags"])

    def delete(self, state):
        cert = state["cert"]
        try:
            self.client.delete_certificate(aws_retry=True, CertificateArn=cert["CertificateArn"])
        except AWS_ERRORS as e:
            if error_code(e) == "ResourceInUseException":
                self.fail_in_use(cert)
            if error_code(e) != "ResourceNotFoundException":
                fail_aws(self.module, e, "DeleteCertificate", self.about(cert["CertificateArn"]))

    def fail_in_use(self, cert):
        users = cert.get("InUseBy") or []
        self.module.fail_json(
            msg="certificate %s (%s) is in use%s; it can only be deleted once nothing uses it. Remove it from "
            "those resources first (for a load balancer, from its listeners), then run again."
            % (self.name, cert["CertificateArn"], " by " + ", ".join(users) if users else " (ACM says so)"),
            certificate_arn=cert["CertificateArn"], in_use_by=users)

    # -- tags ------------------------------------------------------------------------------------
    def wanted_tags(self):
        return dict(self.params.get("tags") or {}, Name=self.name)

    def plan_tags(self, current):
        return plan_tags(current, self.wanted_tags() if self.params.get("tags") is not None else None,
                         self.params["purge_tags"])

    # -- creating, changing ----------------------------------------------------------------------
    def desired(self):
        predicted = self.imported_view() if self.importing else self.requested_view()
        return dict(predicted, arn=None, tags=self.wanted_tags())

    def create(self):
        if self.importing:
            arn = self.import_certificate()
            return {"cert": self.describe(arn), "tags": self.wanted_tags()}
        arn = self.request_certificate(None)
        return {"cert": self.wait_for_records(arn), "tags": self.wanted_tags()}

    def plan(self, state):
        cert, before = state["cert"], self.settings(state)
        if not self.importing and cert.get("Status") in DEAD and not cert.get("InUseBy"):
            self.replacing = cert  # of no use: a new request, whatever its settings were
            return {"replace": [cert]}, dict(before, **dict(self.requested_view(), arn=None, tags=self.wanted_tags()))
        writes, predicted = {}, {}
        if self.importing:
            self.check_importable(cert)
            if not self.same_pem(cert["CertificateArn"]):
                writes["reimport"] = [cert["CertificateArn"]]
                predicted = self.imported_view()
        else:
            self.check_request_matches(cert)
        tags = self.plan_tags(state["tags"])
        writes["tags"] = tags if tags.changed else {}
        return writes, dict(before, **dict(predicted, tags=dict(tags.after)))

    def apply(self, state, writes):
        if writes.get("replace"):
            self.delete(state)
            arn = self.request_certificate(self.replacing["CertificateArn"])
            return {"cert": self.wait_for_records(arn), "tags": self.wanted_tags()}
        cert, tags = state["cert"], state["tags"]
        if writes.get("reimport"):
            # A re-import keeps the certificate's tags (and its users): ACM takes no tags then
            # ("You cannot apply tags when reimporting a certificate", ImportCertificate,
            # https://docs.aws.amazon.com/acm/latest/APIReference/API_ImportCertificate.html) and
            # preserves "the AWS service associations of the original certificate" (ACM User Guide,
            # "Reimport a certificate", https://docs.aws.amazon.com/acm/latest/userguide/import-reimport.html).
            self.import_certificate(cert["CertificateArn"])
        if writes["tags"]:
            tags = apply_tags(self.module, self.client, "acm", cert["CertificateArn"], writes["tags"],
                              self.about(cert["CertificateArn"]))
        if writes.get("reimport"):
            cert = self.describe(cert["CertificateArn"])
        return {"cert": cert, "tags": tags}

    # -- import mode -----------------------------------------------------------------------------
    def import_certificate(self, arn=None):
        request = {
            "Certificate": to_bytes(self.params["certificate"]),
            "PrivateKey": to_bytes(self.params["private_key"]),
        }
        if self.params.get("certificate_chain"):
            request["CertificateChain"] = to_bytes(self.params["certificate_chain"])
        if arn:
            request["CertificateArn"] = arn  # re-import in place (the same ARN however often); ACM refuses tags here
            return self.acm_call(self.client.import_certificate, "ImportCertificate", arn, **request)["CertificateArn"]
        request["Tags"] = ansible_dict_to_boto3_tag_list(self.wanted_tags())
        # A new import takes no idempotency token (ImportCertificate,
        # https://docs.aws.amazon.com/acm/latest/APIReference/API_ImportCertificate.html): a retry after a lost
        # answer would make a second certificate. Sent once; after a lost answer the certificate is looked up
        # by its Name tag (given in the import itself) and adopted.
        return create_once(self.module, self.client, "import_certificate", request,
                           lambda: (self.find()[0] or {}).get("CertificateArn"),
                           lambda answer: answer["CertificateArn"], self.about(None))

    def imported_view(self):
        """What the certificate will look like once imported (check mode's diff)."""
        fields = certificate_fields(pem_certificates(self.params["certificate"])[0])
        names = fields["names"] or ([fields["common_name"]] if fields["common_name"] else [])
        return {
            "domain_name": fields["common_name"] or (names[0] if names else None),
            "subject_alternative_names": sorted(set(names)),
            "status": "ISSUED",
            "not_after": timestamp(fields["not_after"]),
            "serial": fields["serial"],
        }

    def check_importable(self, cert):
        if cert.get("Type") != "IMPORTED":
            self.module.fail_json(
                msg="certificate %s (%s) was not imported (its type is %s): it cannot be replaced by an imported "
                "certificate. Give the imported certificate another name, or delete this one (state=absent, once "
                "nothing uses it) and run again." % (self.name, cert["CertificateArn"], cert.get("Type")),
                certificate_arn=cert["CertificateArn"])

    def same_pem(self, arn):
        held = self.acm_call(self.client.get_certificate, "GetCertificate", arn, CertificateArn=arn)
        try:
            leaf = pem_certificates(held.get("Certificate"))
            chain = pem_certificates(held.get("CertificateChain"))
        except ValueError:
            return False  # unreadable: import again
        if leaf[:1] != pem_certificates(self.params["certificate"]):
            return False
        if self.params.get("certificate_chain"):
            # GetCertificate returns the imported chain: "Certificates forming the requested
            # certificate's chain of trust" (ACM API Reference, GetCertificate,
            # https://docs.aws.amazon.com/acm/latest/APIReference/API_GetCertificate.html).
            return chain == pem_certificates(self.params["certificate_chain"])
        return True

    # -- request mode ----------------------------------------------------------------------------
    def wanted_names(self):
        return set(n.lower() for n in self.params["subject_alternative_names"]) | {self.params["domain_name"].lower()}

    def requested_view(self):
        """What a requested certificate will look like (check mode's diff)."""
        return {
            "domain_name": self.params["domain_name"],
            "subject_alternative_names": sorted(set(self.params["subject_alternative_names"])
                                                | {self.params["domain_name"]}),
            "status": "PENDING_VALIDATION",
            "not_after": None,
            "serial": None,
        }

    def idempotency_token(self, replaced):
        """The same request (the same name and settings) in this module run gets the same token: a retried
        request creates no second certificate ("if you call RequestCertificate multiple times with the same
        idempotency token within one hour, ACM recognizes that you are requesting only one certificate and
        will issue only one", RequestCertificate, https://docs.aws.amazon.com/acm/latest/APIReference/API_RequestCertificate.html;
        word characters, at most 32). A later run finds the certificate by its Name tag (requested with it)
        first, and sends another token (idempotency.run_token): a stack destroyed and made again within the
        hour gets a new certificate, not the deleted one's ARN. Replacing a dead certificate is another request."""
        return run_token("RequestCertificate", self.region, self.name, self.params["domain_name"].lower(),
                         sorted(self.wanted_names()), self.params["key_algorithm"], replaced or "", length=32)

    def request_certificate(self, replaced):
        sans = list(dict.fromkeys(self.params["subject_alternative_names"]))
        request = {
            "DomainName": self.params["domain_name"],
            "ValidationMethod": self.params["validation_method"],
            "KeyAlgorithm": self.params["key_algorithm"],
            "IdempotencyToken": self.idempotency_token(replaced),
            "Options": {"CertificateTransparencyLoggingPreference": "ENABLED"},
            "Tags": ansible_dict_to_boto3_tag_list(self.wanted_tags()),
        }
        if sans:
            request["SubjectAlternativeNames"] = sans
        return self.acm_call(self.client.request_certificate, "RequestCertificate", **request)["CertificateArn"]

    def check_request_matches(self, cert):
        arn = cert["CertificateArn"]
        if cert.get("Type") != "AMAZON_ISSUED":
            self.module.fail_json(
                msg="certificate %s (%s) is of type %s, not one ACM issued: it cannot be turned into a requested "
                "certificate. Give the requested certificate another name, or delete this one (state=absent, once "
                "nothing uses it) and run again." % (self.name, arn, cert.get("Type")),
                certificate_arn=arn)
        differences = []
        if (cert.get("DomainName") or "").lower() != self.params["domain_name"].lower():
            differences.append("domain_name %s (wanted %s)" % (cert.get("DomainName"), self.params["domain_name"]))
        if names_of(cert) != self.wanted_names():
            differences.append("names %s (wanted %s)" % (", ".join(sorted(names_of(cert))),
                                                         ", ".join(sorted(self.wanted_names()))))
        key_algorithm = cert.get("KeyAlgorithm", "RSA_2048")
        if key_algorithm != self.params["key_algorithm"]:
            differences.append("key_algorithm %s (wanted %s)" % (key_algorithm, self.params["key_algorithm"]))
        if differences:
            self.module.fail_json(
                msg="certificate %s (%s) has %s. ACM cannot change the names or the key of a certificate it issued. "
                "To replace it, request the new certificate under another name, move the listeners to it, then "
                "delete this one (state=absent); or, if nothing uses it, delete it first and run again."
                % (self.name, arn, "; ".join(differences)),
                certificate_arn=arn, validation_records=validation_records(cert))

    def wait(self, read, done, delay, on_timeout):
        """poll_until against the module's deadline (wait_timeout from the start of the module)."""
        return poll_until(self.module, read, done, self.deadline - time.monotonic(), delay=delay,
                          sleep=time.sleep, clock=time.monotonic, on_timeout=on_timeout)

    def wait_for_records(self, arn, cert=None):
        """DescribeCertificate (after cert, when given) until ACM has published a DNS record for every name."""
        given, missing_since = [cert] if cert is not None else [], []

        def read():
            found = given.pop() if given else self.describe(arn, missing_ok=True)
            if found is None:
                now = time.monotonic()
                missing_since[:] = missing_since or [now]
                if now - missing_since[0] >= NOT_FOUND_GRACE_SECONDS:
                    self.module.fail_json(
                        msg="ACM answered the request of certificate %s with %s, which does not exist. A request "
                        "with the same settings less than an hour ago returns the certificate of that request; "
                        "if it was deleted since, wait an hour or change the name." % (self.name, arn),
                        certificate_arn=arn)
            return found

        def timed_out(found):
            self.module.fail_json(
                msg="timed out after %d s waiting for ACM to publish the DNS validation records of certificate "
                "%s (%s)" % (self.params["wait_timeout"], self.name, arn),
                certificate_arn=arn, validation_records=validation_records(found))

        return self.wait(read, lambda found: found is not None and records_ready(found), RECORDS_POLL_SECONDS,
                         timed_out)

    def wait_issued(self, cert):
        arn, given = cert["CertificateArn"], [cert]

        def read():
            found = given.pop() if given else self.describe(arn)
            status = found.get("Status")
            if status in HOPELESS:
                self.module.fail_json(
                    msg="certificate %s (%s) is %s%s; it will not be issued."
                    % (self.name, arn, status, " (%s)" % found["FailureReason"] if found.get("FailureReason") else ""),
                    certificate_arn=arn, status=status, validation_records=validation_records(found))
            return found

        def timed_out(found):
            records, status = validation_records(found), found.get("Status")
            self.module.fail_json(
                msg="timed out after %d s waiting for certificate %s (%s) to be ISSUED: its status is %s. These "
                "DNS records must exist for ACM to validate it: %s"
                % (self.params["wait_timeout"], self.name, arn, status, describe_records(records)),
                certificate_arn=arn, status=status, validation_records=records)

        return self.wait(read, lambda found: found.get("Status") == "ISSUED", ISSUED_POLL_SECONDS, timed_out)

    def settle(self, cert):
        """A requested certificate after any run: its records published, ISSUED with wait, or a warning."""
        if cert.get("Status") == "PENDING_VALIDATION" and not records_ready(cert):
            cert = self.wait_for_records(cert["CertificateArn"], cert)
        if self.params["wait"]:
            return self.wait_issued(cert)
        if cert.get("Status") in HOPELESS + ("INACTIVE",):
            self.module.warn("certificate %s (%s) is %s%s" % (
                self.name, cert["CertificateArn"], cert["Status"],
                ", in use by " + ", ".join(cert["InUseBy"]) if cert.get("InUseBy") else ""))
        return cert

    # -- result ----------------------------------------------------------------------------------
    def result(self, changed, state, before, after):
        if self.params["state"] == "absent" or (self.replacing and self.module.check_mode):
            state = None  # deleted, or (check mode) to be replaced
        if state is not None and not self.importing:
            state = dict(state, cert=self.settle(state["cert"]))
            if not (changed and self.module.check_mode):
                after = self.settings(state)
        out = {"changed": changed, "diff": diff(before or {}, after), "certificate": {}, "certificate_arn": None,
               "validation_records": []}
        if state is not None:
            cert = state["cert"]
            out["certificate"] = snake(cert, keep=())
            out["certificate"]["tags"] = dict(state["tags"])
            out["certificate_arn"] = cert["CertificateArn"]
            out["validation_records"] = validation_records(cert)
        return out


def validate(module):
    """Bad input is rejected before any AWS call."""
    params = module.params
    if not params["name"] or len(params["name"]) > 256:
        module.fail_json(msg="name must be 1 to 256 characters (it is the certificate's Name tag)")
    tags = params.get("tags") or {}
    if "Name" in tags and to_text(tags["Name"]) != params["name"]:
        module.fail_json(msg="tags.Name is %r but the Name tag is always the certificate's name, %r; drop it from "
                         "tags or make it equal" % (tags["Name"], params["name"]))
    if params["wait_timeout"] < 1:
        module.fail_json(msg="wait_timeout must be at least 1 second")
    if params["state"] != "present":
        return
    if params.get("certificate"):
        if params["subject_alternative_names"]:
            module.fail_json(msg="subject_alternative_names applies to requested certificates (domain_name); an "
                             "imported certificate's names are in the certificate")
        try:
            leaf = pem_certificates(params["certificate"])
            chain = pem_certificates(params.get("certificate_chain"))
            if len(leaf) == 1:
                certificate_fields(leaf[0])
        except (ValueError, IndexError):
            module.fail_json(msg="certificate or certificate_chain is not valid PEM (base64 DER between "
                             "-----BEGIN CERTIFICATE----- and -----END CERTIFICATE-----)")
        if len(leaf) != 1:
            module.fail_json(msg="certificate must hold exactly one PEM certificate, the leaf (it holds %d); put "
                             "the intermediate certificates in certificate_chain" % len(leaf))
        if params.get("certificate_chain") and not chain:
            module.fail_json(msg="certificate_chain holds no PEM certificate")
        if not re.search(r"-----BEGIN [A-Z ]*PRIVATE KEY-----", params["private_key"] or ""):
            module.fail_json(msg="private_key is not a PEM private key (-----BEGIN ... PRIVATE KEY-----)")
        if "ENCRYPTED" in params["private_key"]:
            module.fail_json(msg="private_key is encrypted; ACM needs the unencrypted key")
    elif params.get("domain_name") is not None:
        names = [params["domain_name"]] + params["subject_alternative_names"]
        bad = [n for n in names if not n or len(n) > 253 or not re.match(r"^(\*\.)?[A-Za-z0-9_.-]+$", n)]
        if bad:
            module.fail_json(msg="not a domain name: %s" % ", ".join(repr(n) for n in bad))


def main():
    argument_spec = resource_argument_spec(
        name=dict(type="str", required=True),
        certificate=dict(type="str"),
        private_key=dict(type="str", no_log=True),
        certificate_chain=dict(type="str"),
        domain_name=dict(type="str"),
        subject_alternative_names=dict(type="list", elements="str", default=[]),
        validation_method=dict(type="str", default="DNS", choices=["DNS"]),
        key_algorithm=dict(type="str", default="RSA_2048", choices=REQUESTABLE_KEYS),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=900),
    )
    run_module(
        argument_spec,
        Certificate,
        validate,
        mutually_exclusive=[
            ["certificate", "domain_name"],
            ["private_key", "domain_name"],
            ["certificate_chain", "domain_name"],
        ],
        required_together=[["certificate", "private_key"]],
        required_by={"certificate_chain": "certificate"},
        required_if=[["state", "present", ["certificate", "domain_name"], True]],
    )


if __name__ == "__main__":
    main()
