#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: failover_probe
version_added: 0.1.0
short_description: Measure how long a DNS failover or a DynamoDB replication takes
description:
  - Measures, during a failover drill, what the playbook then judges against its targets. It never
    changes routing, and it never fails because a target was missed; a measurement that runs out
    of time returns C(timed_out=true) with what it saw.
  - I(measure=dns_failover) follows a region being taken out of the service name (or brought back)
    after its health check was inverted (or restored, see
    finproc.dr.route53_health_check_inversion). The clock starts when the module starts, so call it
    right after the change. It first reads the configuration of the health check (GetHealthCheck)
    for its C(Inverted) flag, once per run (the drill changes it between two runs, never during
    one). Then, every I(poll_interval) seconds until I(timeout), it reads the status of the health
    check (GetHealthCheckStatus) and asks Route53 what it answers for the record (TestDNSAnswer),
    and records when the health check first reached I(expect_health) (C(health_seconds)) and when
    the answer first came from I(expect_answer_from) (C(dns_seconds), the measured failover or
    failback time). It stops once the answer came from I(expect_answer_from) (Route53 changes its
    answer after the health check changed, so C(health_seconds) is normally known by then; it stays
    null if the health check was not seen at I(expect_health) by then).
  - GetHealthCheckStatus reports what each Route53 checker saw of the endpoint, before the
    C(Inverted) flag is applied. A checker is counted healthy when its status starts with
    C(Success), or, when the health check is inverted, when its status does not start with
    C(Success) (an inverted check of a healthy endpoint is unhealthy, which is how a drill takes a
    region out). The health check is considered C(unhealthy) when 18% or fewer of the checkers that
    report on it are counted healthy (the rule Route53 applies), C(healthy) otherwise, and
    C(unknown) when no checker reports.
  - For an alias record, TestDNSAnswer answers with the addresses of the alias target, not its
    name. So I(expect_answer_from) is resolved on this host at every poll (C(A) records for
    I(record_type=A), C(AAAA) records for I(record_type=AAAA)), and the answer comes from it when
    the answer and those addresses have an address in common (load balancer addresses rotate, so
    equality would be too strict), or when the answer is the name itself (a C(CNAME) record).
  - Where TestDNSAnswer is not available (AWS documents that it is not in the China Regions; an
    endpoint answers an operation it does not have with an error such as C(InvalidAction) or a
    bare HTTP 404 or 501), C(supported) is C(false), C(unsupported_reason) says what is missing
    and C(dns_seconds) is null, never a made-up figure. The health check is then still polled, for
    at most I(unsupported_health_timeout) seconds, so that the drill exercises and records it.
  - I(measure=replication) measures the replication lag of a DynamoDB global table between two of
    its replicas. It writes a canary item in I(source_region), never over an existing item (its
    I(key_name) is C(finproc-drill#canary#<uuid4>), C(written_at) the time in epoch seconds and
    C(purpose) C(failover drill canary)), then reads it with a strongly consistent GetItem in
    I(destination_region) every I(poll_interval) seconds until it is there or I(timeout) passed.
    C(seconds) is the time from just before the PutItem to the first read that found the item,
    on this host's monotonic clock. With I(cleanup), the canary is then deleted in
    I(source_region), and the module waits (the same way, at most I(timeout)) until it is gone in
    I(destination_region) too.
  - I(measure=replication) writes an item, so in check mode it does nothing and returns
    C(skipped=true). I(measure=dns_failover) only reads and runs in check mode as well.
author:
  - finproc.dr maintainers (@finproc)
options:
  measure:
    description: What to measure.
    type: str
    required: true
    choices: [dns_failover, replication]
  health_check_id:
    description:
      - I(measure=dns_failover). The health check of the region being taken out or brought back.
      - Required with I(measure=dns_failover).
    type: str
  expect_health:
    description:
      - I(measure=dns_failover). The status the health check is expected to reach, C(unhealthy)
        when the region is taken out, C(healthy) when it is brought back.
      - Required with I(measure=dns_failover).
    type: str
    choices: [healthy, unhealthy]
  hosted_zone_id:
    description:
      - I(measure=dns_failover). The hosted zone of the record (C(/hostedzone/) before the ID is
        accepted).
      - Required with I(measure=dns_failover).
    type: str
  record_name:
    description:
      - I(measure=dns_failover). The name of the failover record (the service name).
      - Required with I(measure=dns_failover).
    type: str
  record_type:
    description: I(measure=dns_failover). The type of the failover record.
    type: str
    default: A
  expect_answer_from:
    description:
      - I(measure=dns_failover). The DNS name of the load balancer whose addresses the record is
        expected to answer with, the secondary region's during a failover, the primary's during
        the failback. An IP address is taken as it is.
      - Required with I(measure=dns_failover).
    type: str
  resolver_ip:
    description:
      - I(measure=dns_failover). Passed to TestDNSAnswer as C(ResolverIP), to simulate a request
        from this resolver.
    type: str
  edns0_client_subnet:
    description:
      - I(measure=dns_failover). Passed to TestDNSAnswer as C(EDNS0ClientSubnetIP) and, after a
        C(/), C(EDNS0ClientSubnetMask) (C(192.0.2.0/24)).
    type: str
  timeout:
    description:
      - Seconds the measurement may take at most.
      - With I(measure=dns_failover), from the start of the module (default C(600)).
      - With I(measure=replication), for the canary to arrive, and again for its deletion to
        arrive (default C(120)).
    type: float
  poll_interval:
    description:
      - Seconds between two polls (default C(10) with I(measure=dns_failover), C(0.2) with
        I(measure=replication)). Polls keep their cadence; a slow poll shortens the wait before
        the next one.
    type: float
  unsupported_health_timeout:
    description:
      - I(measure=dns_failover). When TestDNSAnswer is not available, the seconds (from the start
        of the module, at most I(timeout)) the health check is still polled.
    type: float
    default: 60
  table_name:
    description:
      - I(measure=replication). The global table.
      - Required with I(measure=replication).
    type: str
  key_name:
    description:
      - I(measure=replication). The name of the table's partition key, of type string. Tables
        with a sort key are not supported.
      - Required with I(measure=replication).
    type: str
  source_region:
    description:
      - I(measure=replication). The region of the replica the canary is written to (the module's
        I(region) is not used for it).
      - Required with I(measure=replication).
    type: str
  destination_region:
    description:
      - I(measure=replication). The region of the replica the canary is read from.
      - Required with I(measure=replication).
    type: str
  cleanup:
    description:
      - I(measure=replication). Whether the canary is deleted afterwards (and its deletion waited
        for in I(destination_region)).
    type: bool
    default: true
extends_documentation_fragment:
  - finproc.dr.aws
notes:
  - I(measure=dns_failover) needs C(route53:GetHealthCheck), C(route53:GetHealthCheckStatus) and
    C(route53:TestDNSAnswer);
    I(measure=replication) needs C(dynamodb:PutItem) and C(dynamodb:DeleteItem) in
    I(source_region) and C(dynamodb:GetItem) in I(destination_region).
  - TestDNSAnswer tells what the Route53 name servers answer; resolvers that cached the previous
    answer keep it for the record's TTL at most (alias records take the TTL of their target).
  - GetHealthCheckStatus reports what each checker saw; the AWS documentation describes it as a
    tool for diagnosis, not for high rates of queries, so keep I(poll_interval) at several seconds.
"""

EXAMPLES = r"""
- name: Take the primary region out
  finproc.dr.route53_health_check_inversion:
    health_check_id: "{{ primary_health_check_id }}"
    inverted: true

- name: Measure the failover (RTO of DNS)
  finproc.dr.failover_probe:
    measure: dns_failover
    health_check_id: "{{ primary_health_check_id }}"
    expect_health: unhealthy
    hosted_zone_id: "{{ hosted_zone_id }}"
    record_name: app.finproc.example
    expect_answer_from: "{{ secondary_alb_dns_name }}"
    timeout: 600
  register: failover

- name: Judge it
  ansible.builtin.assert:
    that:
      - failover.dns_seconds is not none
      - failover.dns_seconds <= 300
    fail_msg: "DNS failover took {{ failover.dns_seconds }} s ({{ failover.unsupported_reason or 'timed out' }})"
  when: failover.supported

- name: Measure the replication lag of the ledger table from us-east-2 to us-west-2
  finproc.dr.failover_probe:
    measure: replication
    table_name: finproc-prod-ledger
    key_name: pk
    source_region: us-east-2
    destination_region: us-west-2
  register: replication
"""

RETURN = r"""
measure:
  description: What was measured.
  returned: always
  type: str
  sample: dns_failover
supported:
  description:
    - With I(measure=dns_failover), whether TestDNSAnswer was available (when it is not,
      C(dns_seconds) is null).
  returned: measure=dns_failover
  type: bool
  sample: true
unsupported_reason:
  description: Why C(supported) is false; null when it is true.
  returned: measure=dns_failover
  type: str
  sample: >-
    Route53 TestDNSAnswer is not available at https://route53.amazonaws.com.cn: An error occurred
    (404) when calling the TestDNSAnswer operation: Not Found
inverted:
  description:
    - Whether the health check was inverted (its C(Inverted) flag, read once at the start), which
      inverts how the status each checker reports is counted.
  returned: measure=dns_failover
  type: bool
  sample: true
health_seconds:
  description: Seconds from the start until the health check was first seen at I(expect_health); null if it was not.
  returned: measure=dns_failover
  type: float
  sample: 40.1
dns_seconds:
  description:
    - Seconds from the start until TestDNSAnswer first answered with I(expect_answer_from), the
      measured failover (or failback) time; null if it did not, or if TestDNSAnswer is not
      available.
  returned: measure=dns_failover
  type: float
  sample: 50.2
timed_out:
  description:
    - Whether the time ran out before what was waited for was seen (with I(measure=dns_failover),
      the answer from I(expect_answer_from), or when TestDNSAnswer is not available the health
      check at I(expect_health); with I(measure=replication), the canary).
  returned: always
  type: bool
  sample: false
timeline:
  description: One entry per poll of I(measure=dns_failover).
  returned: measure=dns_failover
  type: list
  elements: dict
  contains:
    t:
      description: Seconds from the start at the end of the poll.
      type: float
      sample: 50.2
    health_status:
      description: C(healthy), C(unhealthy) or C(unknown) (no checker reported).
      type: str
      sample: unhealthy
    checkers_healthy_percent:
      description:
        - The percentage of the checkers counted healthy, those that reported C(Success) (or, when
          the health check is inverted, those that did not); null when none reported.
      type: float
      sample: 0.0
    inverted:
      description: Whether the health check was inverted (the same at every poll of a run).
      type: bool
      sample: true
    dns_answer:
      description: The C(RecordData) of TestDNSAnswer; null when TestDNSAnswer is not available.
      type: list
      elements: str
      sample: ["198.51.100.7", "198.51.100.8"]
    dns_response_code:
      description: The C(ResponseCode) of TestDNSAnswer (C(NOERROR), C(NXDOMAIN), ...); null when it is not available.
      type: str
      sample: NOERROR
    target_addresses:
      description: The addresses I(expect_answer_from) resolved to on this host at that poll.
      type: list
      elements: str
      sample: ["198.51.100.7", "198.51.100.9"]
    serves_expected:
      description: Whether the answer came from I(expect_answer_from); null when TestDNSAnswer is not available.
      type: bool
      sample: true
polls:
  description: How many polls were made (with I(measure=replication), reads of the canary until it arrived).
  returned: always
  type: int
  sample: 6
seconds:
  description:
    - I(measure=replication). Seconds from just before the canary was written until it was first
      read in I(destination_region); null if it did not arrive.
  returned: measure=replication
  type: float
  sample: 0.8
arrived:
  description: I(measure=replication). Whether the canary arrived in I(destination_region).
  returned: measure=replication
  type: bool
  sample: true
canary_key:
  description: I(measure=replication). The partition key of the canary; null in check mode.
  returned: measure=replication
  type: str
  sample: finproc-drill#canary#7c9e6679-7425-40de-944b-e07fc1f90ae7
cleaned_up:
  description:
    - I(measure=replication). Whether the canary was deleted in I(source_region) and seen gone in
      I(destination_region).
  returned: measure=replication
  type: bool
  sample: true
skipped:
  description: I(measure=replication) in check mode, where nothing is done.
  returned: when skipped
  type: bool
  sample: true
"""

import datetime
import socket
import time
import uuid

try:
    from botocore.parsers import ResponseParserError
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible.module_utils.common.text.converters import to_text
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.finproc.dr.plugins.module_utils.client import aws_client
from ansible_collections.finproc.dr.plugins.module_utils.errors import AWS_ERRORS
from ansible_collections.finproc.dr.plugins.module_utils.errors import error_code
from ansible_collections.finproc.dr.plugins.module_utils.errors import fail_aws

# Route53 throttles with "Throttling" and "PriorRequestNotComplete" (client.THROTTLE_CODES); DynamoDB
# also with these.
DYNAMODB_RETRY_CODES = ["ProvisionedThroughputExceededException", "InternalServerError"]
DEFAULTS = {
    "dns_failover": {"timeout": 600.0, "poll_interval": 10.0},
    "replication": {"timeout": 120.0, "poll_interval": 0.2},
}
# Route53 considers an endpoint unhealthy when this share of its checkers or fewer report it healthy.
HEALTHY_SHARE_PERCENT = 18
# TestDNSAnswer is not available everywhere: "The TestDNSAnswer API is not available" in the China
# Regions (Amazon Web Services in China, "Amazon Route 53", Feature Availability and Implementation
# Differences, https://docs.amazonaws.cn/en_us/aws/latest/userguide/route53.html). The error such
# an endpoint answers is not documented; these are the ways an endpoint says it has no such
# operation: InvalidAction ("The action or operation requested is invalid", in "Common Errors",
# "the errors common to the API actions of all AWS services", for example
# https://docs.aws.amazon.com/emr/latest/APIReference/CommonErrors.html), the names other
# protocols use, and a bare HTTP 404 or 501 (botocore reports the status as the code).
UNSUPPORTED_CODES = (
    "404",
    "501",
    "InvalidAction",
    "NotImplemented",
    "NotImplementedException",
    "UnknownOperation",
    "UnknownOperationException",
    "UnsupportedOperation",
)
CANARY_PREFIX = "finproc-drill#canary#"


class CallFailed(Exception):
    def __init__(self, error, msg):
        super(CallFailed, self).__init__(msg)
        self.error, self.msg = error, msg


def unsupported(error):
    """Whether a TestDNSAnswer error means the endpoint does not implement it."""
    if isinstance(error, ResponseParserError):
        return True
    status = getattr(error, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
    return error_code(error) in UNSUPPORTED_CODES or (error_code(error) is not None and status == 501)


def normalized(name):
    return to_text(name).strip().rstrip(".").lower()


def seconds(value):
    return round(value, 3)


# -- dns_failover -----------------------------------------------------------------------------
class DnsFailoverProbe(object):
    def __init__(self, module, started):
        self.module = module
        self.params = module.params
        self.started = started
        self.client = aws_client(module, "route53")
        self.hosted_zone_id = self.params["hosted_zone_id"].split("/")[-1]
        self.record_type = self.params["record_type"].upper()
        self.target = self.params["expect_answer_from"]

    def read_health_check(self, fn, operation):
        """GetHealthCheck or GetHealthCheckStatus of the health check."""
        health_check_id = self.params["health_check_id"]
        try:
            return fn(aws_retry=True, HealthCheckId=health_check_id)
        except AWS_ERRORS as e:
            if error_code(e) == "NoSuchHealthCheck":
                self.module.fail_json(
                    msg="Route53 health check %s does not exist (NoSuchHealthCheck)" % health_check_id)
            fail_aws(self.module, e, operation, "health check %s" % health_check_id)

    def inverted(self):
        """The Inverted flag of the health check (GetHealthCheck)."""
        reply = self.read_health_check(self.client.get_health_check, "GetHealthCheck")
        return bool((reply.get("HealthCheck") or {}).get("HealthCheckConfig", {}).get("Inverted", False))

    def health(self, inverted):
        """(status, percentage of checkers counted healthy) of the health check. A checker reports
        the endpoint's raw result; when the check is inverted, one not reporting Success counts healthy."""
        reply = self.read_health_check(self.client.get_health_check_status, "GetHealthCheckStatus")
        observations = reply.get("HealthCheckObservations") or []
        if not observations:
            return "unknown", None
        healthy = sum(
            1 for o in observations
            if to_text((o.get("StatusReport") or {}).get("Status", "")).startswith("Success") != inverted)
        status = "unhealthy" if healthy * 100 <= HEALTHY_SHARE_PERCENT * len(observations) else "healthy"
        return status, round(100.0 * healthy / len(observations), 1)

    def answer(self):
        """(RecordData, ResponseCode), or (None, reason) when TestDNSAnswer is not available."""
        request = {"HostedZoneId": self.hosted_zone_id, "RecordName": self.params["record_name"],
                   "RecordType": self.record_type}
        if self.params.get("resolver_ip"):
            request["ResolverIP"] = self.params["resolver_ip"]
        if self.params.get("edns0_client_subnet"):
            address, _sep, mask = self.params["edns0_client_subnet"].partition("/")
            request["EDNS0ClientSubnetIP"] = address
            if mask:
                request["EDNS0ClientSubnetMask"] = mask
        try:
            reply = self.client.test_dns_answer(aws_retry=True, **request)
        except AWS_ERRORS + (ResponseParserError,) as e:
            if unsupported(e):
                return None, "Route53 TestDNSAnswer is not available at %s: %s" % (
                    self.client.meta.endpoint_url, to_text(e))
            fail_aws(self.module, e, "TestDNSAnswer", "%s %s in hosted zone %s" % (
                self.record_type, self.params["record_name"], self.hosted_zone_id))
        return [to_text(r) for r in reply.get("RecordData") or []], reply.get("ResponseCode")

    def target_addresses(self):
        """The addresses expect_answer_from resolves to on this host now (empty when it does not resolve)."""
        family = {"A": socket.AF_INET, "AAAA": socket.AF_INET6}.get(self.record_type, socket.AF_UNSPEC)
        try:
            infos = socket.getaddrinfo(self.target, None, family, socket.SOCK_STREAM)
        except (socket.gaierror, OSError, UnicodeError):
            return []
        return sorted(set(to_text(info[4][0]) for info in infos))

    def serves_expected(self, answer, addresses):
        data = set(normalized(a) for a in answer)
        return bool(data & set(addresses)) or normalized(self.target) in data

    def run(self):
        params = self.params
        expect, interval = params["expect_health"], params["poll_interval"]
        deadline = self.started + params["timeout"]
        supported, reason = True, None
        health_seconds = dns_seconds = None
        timeline = []
        inverted = self.inverted()  # constant within a run: the drill changes it between runs
        while True:
            status, percent = self.health(inverted)
            entry = {"health_status": status, "checkers_healthy_percent": percent, "inverted": inverted,
                     "dns_answer": None, "dns_response_code": None, "target_addresses": None,
                     "serves_expected": None}
            if supported:
                answer, code = self.answer()
                if answer is None:
                    supported, reason = False, code
                    deadline = min(deadline, self.started + params["unsupported_health_timeout"])
                else:
                    addresses = self.target_addresses()
                    entry.update(dns_answer=answer, dns_response_code=code, target_addresses=addresses,
                                 serves_expected=self.serves_expected(answer, addresses))
            now = time.monotonic()
            entry["t"] = seconds(now - self.started)
            timeline.append(entry)
            if health_seconds is None and status == expect:
                health_seconds = entry["t"]
            if dns_seconds is None and entry["serves_expected"]:
                dns_seconds = entry["t"]
            # What is measured is the answer; the health check is its cause, normally seen first.
            done = dns_seconds is not None if supported else health_seconds is not None
            if done or now >= deadline:
                break
            next_poll = self.started + len(timeline) * interval
            time.sleep(max(0, min(next_poll, deadline) - now))
        return {
            "changed": False,
            "measure": "dns_failover",
            "supported": supported,
            "unsupported_reason": reason,
            "inverted": inverted,
            "health_seconds": health_seconds,
            "dns_seconds": dns_seconds,
            "timed_out": not done,
            "timeline": timeline,
            "polls": len(timeline),
        }


# -- replication ------------------------------------------------------------------------------
class ReplicationProbe(object):
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.table = self.params["table_name"]
        self.source_region = self.params["source_region"]
        self.destination_region = self.params["destination_region"]
        self.source = aws_client(module, "dynamodb", region=self.source_region, extra_codes=DYNAMODB_RETRY_CODES)
        self.destination = aws_client(module, "dynamodb", region=self.destination_region,
                                      extra_codes=DYNAMODB_RETRY_CODES)
        self.key = {self.params["key_name"]: {"S": CANARY_PREFIX + str(uuid.uuid4())}}

    def call(self, client, region, operation, **request):
        try:
            return getattr(client, operation)(aws_retry=True, TableName=self.table, **request)
        except AWS_ERRORS as e:
            raise CallFailed(e, "%s failed for the canary in table %s in %s" % (
                client.meta.method_to_api_mapping.get(operation, operation), self.table, region)) from e

    def put(self):
        item = dict(self.key)
        item["written_at"] = {"N": str(int(datetime.datetime.now(datetime.timezone.utc).timestamp()))}
        item["purpose"] = {"S": "failover drill canary"}
        try:
            self.call(self.source, self.source_region, "put_item", Item=item,
                      ConditionExpression="attribute_not_exists(#k)",
                      ExpressionAttributeNames={"#k": self.params["key_name"]})
        except CallFailed as failure:
            # A retried PutItem whose first attempt got through: the key is ours (a fresh UUID).
            if error_code(failure.error) != "ConditionalCheckFailedException":
                raise

    def present(self):
        reply = self.call(self.destination, self.destination_region, "get_item", Key=self.key, ConsistentRead=True,
                          ProjectionExpression="#k", ExpressionAttributeNames={"#k": self.params["key_name"]})
        return "Item" in reply

    def wait(self, wanted):
        """Read the canary in the destination until present() is wanted or the timeout passes:
        (time it was seen so, number of reads), the time None when it timed out.

        Not waiters.poll_until: here the time running out is a measurement (timed_out), not a
        failure, and the polls keep their cadence (a slow read shortens the next wait)."""
        start, polls = time.monotonic(), 0
        deadline = start + self.params["timeout"]
        while True:
            seen = self.present() == wanted
            polls += 1
            now = time.monotonic()
            if seen:
                return now, polls
            if now >= deadline:
                return None, polls
            time.sleep(max(0, min(start + polls * self.params["poll_interval"], deadline) - now))

    def run(self):
        canary = self.key[self.params["key_name"]]["S"]
        result = {"changed": False, "measure": "replication", "canary_key": canary, "seconds": None,
                  "arrived": False, "timed_out": False, "cleaned_up": False, "polls": 0}
        written = time.monotonic()
        try:
            self.put()
        except CallFailed as failure:
            self.module.fail_json_aws(failure.error, msg=failure.msg, **result)
        failed = None
        try:
            seen, result["polls"] = self.wait(True)
            result["arrived"], result["timed_out"] = seen is not None, seen is None
            if seen is not None:
                result["seconds"] = seconds(seen - written)
        except CallFailed as failure:
            failed = failure
        if not self.params["cleanup"]:
            result["changed"] = True  # the canary stays
        else:
            try:
                self.call(self.source, self.source_region, "delete_item", Key=self.key)
                if failed is None:
                    gone, _polls = self.wait(False)
                    result["cleaned_up"] = gone is not None
                    if gone is None:
                        self.module.warn("the deletion of canary %s did not reach %s within %s s" % (
                            canary, self.destination_region, self.params["timeout"]))
            except CallFailed as failure:
                failed = failed or failure
                result["changed"] = True  # the canary may have stayed
        if failed is not None:
            self.module.fail_json_aws(failed.error, msg=failed.msg, **result)
        return result


REQUIRED = {
    "dns_failover": ["health_check_id", "expect_health", "hosted_zone_id", "record_name", "expect_answer_from"],
    "replication": ["table_name", "key_name", "source_region", "destination_region"],
}


def validate(module):
    params = module.params
    empty = [name for name in REQUIRED[params["measure"]] if not params[name]]
    if empty:  # required_if lets an explicit null through
        module.fail_json(msg="measure is %s but these options are empty: %s" % (params["measure"], ", ".join(empty)))
    for name, value in DEFAULTS[params["measure"]].items():
        if params[name] is None:
            params[name] = value
    for name in ("timeout", "poll_interval", "unsupported_health_timeout"):
        if params[name] <= 0:
            module.fail_json(msg="%s must be more than 0 seconds (it is %s)" % (name, params[name]))
    if params["measure"] == "replication":
        if params["source_region"] == params["destination_region"]:
            module.fail_json(msg="source_region and destination_region are both %s; replication is measured between "
                             "two replicas" % params["source_region"])
    elif params["edns0_client_subnet"] and params["edns0_client_subnet"].count("/") > 1:
        module.fail_json(msg="edns0_client_subnet must be an address, or an address/mask (192.0.2.0/24)")


def main():
    argument_spec = dict(
        measure=dict(type="str", required=True, choices=["dns_failover", "replication"]),
        health_check_id=dict(type="str"),
        expect_health=dict(type="str", choices=["healthy", "unhealthy"]),
        hosted_zone_id=dict(type="str"),
        record_name=dict(type="str"),
        record_type=dict(type="str", default="A"),
        expect_answer_from=dict(type="str"),
        resolver_ip=dict(type="str"),
        edns0_client_subnet=dict(type="str"),
        timeout=dict(type="float"),
        poll_interval=dict(type="float"),
        unsupported_health_timeout=dict(type="float", default=60),
        table_name=dict(type="str"),
        key_name=dict(type="str", no_log=False),
        source_region=dict(type="str"),
        destination_region=dict(type="str"),
        cleanup=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[["measure", measure, names] for measure, names in sorted(REQUIRED.items())],
    )
    started = time.monotonic()  # the playbook calls the module right after the change it measures
    validate(module)
    if module.params["measure"] == "dns_failover":
        module.exit_json(**DnsFailoverProbe(module, started).run())
    if module.check_mode:
        module.exit_json(changed=False, skipped=True, measure="replication", canary_key=None, seconds=None,
                         arrived=False, timed_out=False, cleaned_up=False, polls=0,
                         msg="check mode: the replication is measured with a canary item that would be written")
    module.exit_json(**ReplicationProbe(module).run())


if __name__ == "__main__":
    main()
