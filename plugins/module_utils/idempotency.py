# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Creates that never duplicate: what an error says about the call's outcome, client tokens, create_once.

A write whose answer is lost (a 5xx answer, a read timeout, the connection closed after the request was
sent) may have been carried out by AWS: "Operations might also time out or encounter other server issues
before they complete, even though the request has already returned a result. [...] if the original
request and the subsequent retries are successful, the operation is completed multiple times. This means
that you might create more resources than you intended." ("Ensuring idempotency in Amazon EC2 API
requests", https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html).

botocore retries exactly those errors, for every operation, idempotent or not: "Only errors that are
plausibly transient are retried. These include socket-level failures where no HTTP response was received
(connect timeouts, read timeouts, or server-closed connections), HTTP 500, 502, 503, and 504 responses,
and a set of service error codes the SDK recognizes as transient" ("Retries", AWS SDK for Python,
https://docs.aws.amazon.com/sdk-for-python/v1/guide/config-retries.html; the modes and max_attempts:
"Retry behavior", AWS SDKs and Tools Reference Guide,
https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html; botocore/data/_retry.json
for legacy mode, botocore/retries/standard.py for standard and adaptive). amazon.aws's
``AWSRetry.jittered_backoff`` also retries InternalError and InternalFailure. So:

- A create that AWS makes idempotent with a token (EC2 ``ClientToken``, Route 53 ``CallerReference``,
  ACM ``IdempotencyToken``) sends ``client_token(<identity>)``: the same resource asked again gets the same
  token, so any retry (botocore's, AWSRetry's, the next run's) returns the resource the first call made.
- A create without a token goes through ``create_once``: ONE attempt per call (a client with
  ``total_max_attempts`` 1: neither botocore nor AWSRetry repeats it), and after an answer whose outcome is
  unknown the resource is looked up by its identity before any new attempt.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import time
import uuid

try:
    import botocore.exceptions
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.finproc.dr.plugins.module_utils.client import THROTTLE_CODES
from ansible_collections.finproc.dr.plugins.module_utils.errors import AWS_ERRORS
from ansible_collections.finproc.dr.plugins.module_utils.errors import error_code
from ansible_collections.finproc.dr.plugins.module_utils.errors import fail_aws

REFUSED = "refused"  # AWS did not act: the same call may be sent again
UNKNOWN = "unknown"  # AWS may have acted: look before sending it again
FAILED = "failed"  # any other error: do not retry

# Codes that say AWS refused the request without acting on it: throttling. "ThrottlingException [...] The
# number of API requests has exceeded the maximum allowed API request throttling limit for the account",
# to be retried ("Error retries", Amazon EC2 User Guide,
# https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/error-retries.html); "RequestLimitExceeded: The
# maximum request rate permitted by the Amazon EC2 APIs has been exceeded for your account" ("Error codes
# for the Amazon EC2 API", https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html);
# the throttling codes standard mode retries (botocore/retries/standard.py, _THROTTLED_ERROR_CODES, but
# LimitExceededException, a quota in KMS, IAM and Lambda, and DynamoDB's TransactionInProgressException,
# a transaction under way: not a refusal), and
# client.THROTTLE_CODES (each service's own: Throttled, SlowDown, PriorRequestNotComplete "the request was
# rejected because Route 53 was still processing a prior request", ConcurrentModificationException, ...).
# A 5xx code is never here: InternalError, InternalFailure, ServiceUnavailable and Unavailable say that
# the server failed, not that it did nothing.
REFUSED_CODES = frozenset(
    [
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "RequestThrottled",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "EC2ThrottledException",
        "ProvisionedThroughputExceededException",
    ]
    + list(THROTTLE_CODES)
)

# Codes of a server-side failure, whatever their HTTP status: the request may have been carried out.
# "InternalError: An internal error has occurred. Retry your request" and "Unavailable: The server is
# overloaded and can't handle the request" ("Error codes for the Amazon EC2 API",
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html); RequestTimeout(Exception)
# is a transient error of botocore's standard mode: the request may have been read in full.
UNKNOWN_CODES = frozenset(
    [
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "InternalServerException",
        "InternalServiceError",
        "InternalServiceException",
        "ServiceFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "Unavailable",
        "RequestTimeout",
        "RequestTimeoutException",
    ]
)

# Create attempts in create_once: as many as AWSRetry.jittered_backoff's default retries (10), so a busy
# account's throttling (EC2 RequestLimitExceeded is account-wide) is waited out as long as for any other
# call: back-offs of 2, 4, ... s, each at most create_once's max_delay (60 s), about 5 minutes in all.
ATTEMPTS = 10
DELAY = 2  # first back-off (s) after a refused attempt, doubled each time
# After an unknown outcome, find() is asked at once and again after these pauses (s) before the resource
# counts as not made: a resource just created may not be listed yet ("Eventual consistency in the Amazon
# EC2 API", https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html).
SETTLE = (1, 2, 4, 8)


class OutcomeUnknown(Exception):
    """A write whose answer was lost: a 5xx answer, a timeout, the connection closed after the send.

    `operation` is the API operation (e.g. CreateSubnet), `error` the botocore exception.
    """

    def __init__(self, operation, error=None):
        super(OutcomeUnknown, self).__init__("%s: outcome unknown (%s)" % (operation, error))
        self.operation = operation
        self.error = error


def _status(error):
    return error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0


def outcome(error):
    """What `error` says AWS did with the request: REFUSED, UNKNOWN or FAILED (see the module's doc)."""
    if isinstance(error, OutcomeUnknown):
        return UNKNOWN
    if not AWS_ERRORS:
        return FAILED
    if isinstance(error, botocore.exceptions.ClientError):
        code = error_code(error)
        if code in REFUSED_CODES:
            return REFUSED
        if code in UNKNOWN_CODES or _status(error) >= 500:
            return UNKNOWN
        return FAILED
    # The connection was never made (EndpointConnectionError: "Could not connect to the endpoint URL";
    # ConnectTimeoutError: "Connect timeout"): the request was never sent. Not the other ConnectionErrors:
    # an SSLError or a ProxyConnectionError can come after the request was sent (a TLS-inspecting proxy
    # resetting while the answer is read), so their outcome is unknown.
    if isinstance(error, (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectTimeoutError)):
        return REFUSED
    if isinstance(error, botocore.exceptions.ConnectionError):
        return UNKNOWN
    # ConnectionClosedError, ReadTimeoutError, ResponseStreamingError: the request was sent, no answer read.
    if isinstance(error, botocore.exceptions.HTTPClientError):
        return UNKNOWN
    return FAILED


def _text(part):
    if isinstance(part, (dict, list, tuple)):
        return json.dumps(part, sort_keys=True, separators=(",", ":"), default=str)
    return "%s" % (part,)


def client_token(*identity, **kwargs):
    """A deterministic token from the resource's identity: sha256 hex, cut to `length` (default 64).

    Pass everything that makes the resource this one: its kind, region, name, the IDs of its parents
    (which change when the stack is rebuilt, so a token of a deleted resource is not sent again), and the
    settings that reusing the token with other values would refuse (IdempotentParameterMismatch). Dicts and
    lists count by content (keys sorted). Hex digits fit every token pattern we send (EC2 ClientToken: up
    to 64 ASCII characters; ACM IdempotencyToken: \\w+, up to 32; Route 53 CallerReference: up to 128).
    """
    length = kwargs.pop("length", 64)
    if kwargs:
        raise TypeError("client_token() got unexpected keyword arguments %s" % sorted(kwargs))
    digest = hashlib.sha256("\x1f".join(_text(part) for part in identity).encode("utf-8")).hexdigest()
    return digest[:length]


# Made once per module run (each module run is a process of its own).
RUN_NONCE = uuid.uuid4().hex


def run_token(*identity, **kwargs):
    """A client token of the resource's identity AND this module run: the same through every attempt of the
    create within the run (botocore's, AWSRetry's, create_once's), so a lost answer never makes a second
    resource; another in the next run, which finds what this one made by its identity (tags, name) before
    creating. Never the token of a resource deleted since: with a token seen before, "any subsequent retries
    complete successfully without performing any further actions. However, the result might contain updated
    information, such as the current creation status" ("Ensuring idempotency in Amazon EC2 API requests",
    https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html): the first call's resource, even
    deleted, for as long as EC2 keeps the token; ACM likewise within the hour (RequestCertificate,
    https://docs.aws.amazon.com/acm/latest/APIReference/API_RequestCertificate.html). A resource deleted behind
    our back (its VPC kept) would otherwise come back as the deleted one."""
    return client_token(*(identity + (RUN_NONCE,)), **kwargs)


def _raw(client):
    return getattr(client, "client", client)  # the botocore client inside a RetryingBotoClientWrapper


def single_attempt_config(user_config=None):
    """The user's ``aws_config`` (a dict or None) with ``retries.total_max_attempts`` 1 (no retry, in
    every retry mode: legacy, standard, adaptive); the retry mode and every other setting kept."""
    config = dict(user_config or {})
    retries = dict(config.get("retries") or {})
    retries.pop("max_attempts", None)
    retries["total_max_attempts"] = 1
    config["retries"] = retries
    return config


def single_attempt_client(module, client):
    """A twin of `client` (same service, region, endpoint, credentials and user settings) that sends each
    call ONCE: botocore does not retry it (``total_max_attempts`` 1) and no AWSRetry wraps it."""
    raw = _raw(client)
    service = raw.meta.service_model.service_name
    region = raw.meta.region_name
    key = ("single-attempt", service, region)
    cache = module.__dict__.setdefault("_finproc_clients", {})
    if key not in cache:
        config = single_attempt_config((getattr(module, "params", None) or {}).get("aws_config"))
        cache[key] = module.client(service, region=region, aws_config=config)
    return cache[key]


def _api(client, operation):
    return _raw(client).meta.method_to_api_mapping.get(operation, operation)


def settle_listed(read, names, settle=SETTLE, sleep=None):
    """Resources just created, listed: ``read(names)`` ({name: resource}) again after each pause of `settle`
    until every one of `names` is listed (a resource just created may not be listed yet: "Eventual
    consistency in the Amazon EC2 API", https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html).
    Returns (what the last read found, the names still not listed)."""
    sleep = sleep or time.sleep
    found = read(names)
    for pause in settle:
        if all(name in found for name in names):
            break
        sleep(pause)
        found = read(names)
    return found, [name for name in names if name not in found]


def _look(find, settle, sleep):
    found = find()
    for pause in settle:
        if found is not None:
            break
        sleep(pause)
        found = find()
    return found


def create_once(
    module,
    client,
    operation,
    params,
    find,
    extract,
    resource,
    exists_codes=(),
    attempts=ATTEMPTS,
    delay=DELAY,
    settle=SETTLE,
    sleep=None,
    reraise=None,
    refused_codes=(),
    max_delay=60,
):
    """Create a resource whose create call AWS does not make idempotent (no client token), exactly once.

    `operation` is the client method name (e.g. "create_subnet"); `params` its parameters;
    `extract(response)` gives the resource from the create's answer; `find()` looks the resource up by its
    identity (tags, name, CIDR, ...) and returns it in the same shape, or None. `resource` names it in
    messages. Neither botocore's nor AWSRetry's automatic retry may repeat this call after an unknown
    outcome: each attempt is sent once (``single_attempt_client``), then

    - refused (throttling, no connection, or a code of `refused_codes`: the service's own "busy, not
      done", e.g. DynamoDB's ResourceInUseException on a table being updated) -> back off (`delay`,
      doubled, at most `max_delay`) and call again;
    - unknown (5xx, timeout, connection closed after the send) -> find() (asked again after each pause of
      `settle`); found -> return it (adopted, nothing duplicated); not found -> call again;
    - failed with a code of `exists_codes` (the name AWS keeps unique is taken: ResourceInUseException,
      ResourceConflictException, ...) -> find() likewise; found -> return it; not found -> fail;
    - failed -> fail_aws at once; but when ``reraise(error)`` is true, the error is raised to the caller,
      who knows what it means (e.g. Lambda's "cannot be assumed" for a role IAM has just made).

    After `attempts` attempts the module fails with the last error. Once an outcome was unknown, find()
    is asked before every later attempt. Returns ``extract(answer)`` or what find() returned.
    """
    sleep = sleep or time.sleep
    single = single_attempt_client(module, client)
    api = _api(client, operation)
    uncertain = False
    last = None

    def kind_of(error):
        if refused_codes and error_code(error) in refused_codes:
            return REFUSED
        return outcome(error)

    for attempt in range(attempts):
        if attempt and last is not None and kind_of(last) == REFUSED:
            sleep(min(delay * 2 ** (attempt - 1), max_delay))
        if uncertain:
            found = _look(find, settle, sleep)
            if found is not None:
                return found
        try:
            answer = getattr(single, operation)(**params)
        except AWS_ERRORS as e:
            last = e
            kind = kind_of(e)
            if kind == FAILED and exists_codes and error_code(e) in exists_codes:
                found = _look(find, settle, sleep)
                if found is not None:
                    return found
                fail_aws(module, e, api, resource)
            if kind == FAILED:
                if reraise is not None and reraise(e):
                    raise
                fail_aws(module, e, api, resource)
            uncertain = uncertain or kind == UNKNOWN
            continue
        return extract(answer)
    if uncertain:
        found = _look(find, settle, sleep)
        if found is not None:
            return found
    fail_aws(module, last, "%s (%d attempts, the last one's outcome %s)" % (api, attempts, outcome(last)), resource)
