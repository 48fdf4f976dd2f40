# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Error handling shared by the modules: which errors stop a run, one message format, one call helper.

The modules catch ``AWS_ERRORS`` (never a bare Exception) and fail through ``fail_aws``, so every
failure reads "<Operation> failed for <resource> in <region>: <AWS message>" and carries the AWS
response (``fail_json_aws`` of amazon.aws adds the error code, the request id and the versions).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    import botocore.exceptions
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

try:
    AWS_ERRORS = (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError)
except NameError:  # no botocore: nothing can raise them (AnsibleAWSModule reports it)
    AWS_ERRORS = ()

# Errors that say the credentials are missing, malformed, expired or refused as credentials: no
# later call can succeed, so the whole run stops (an info module must not report them as a failed
# control). AccessDenied on one call is NOT in this list: the credentials work, that one call is
# refused, and dr_controls_info reports it as the failed control it is (its tests hold that).
# Codes: "Common Errors" of the AWS API references, e.g.
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
# (Error codes for the Amazon EC2 API: AuthFailure, RequestExpired, ...) and
# https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html (Common Errors:
# ExpiredTokenException, IncompleteSignature, InvalidClientTokenId, MissingAuthenticationToken, ...).
CREDENTIAL_ERROR_CODES = frozenset(
    [
        "AuthFailure",
        "ExpiredToken",
        "ExpiredTokenException",
        "IncompleteSignature",
        "InvalidAccessKeyId",
        "InvalidClientTokenId",
        "InvalidSignatureException",
        "InvalidToken",
        "MissingAuthenticationToken",
        "MissingAuthenticationTokenException",
        "RequestExpired",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
    ]
)


def error_code(e):
    """The error code of a ClientError; None for any other exception."""
    if AWS_ERRORS and isinstance(e, botocore.exceptions.ClientError):
        return e.response.get("Error", {}).get("Code")
    return None


def is_fatal(e):
    """Missing or refused credentials, or an endpoint that cannot be reached: the run must stop."""
    if not AWS_ERRORS:
        return False
    if isinstance(e, botocore.exceptions.ClientError):
        return error_code(e) in CREDENTIAL_ERROR_CODES
    return isinstance(
        e,
        (
            botocore.exceptions.NoCredentialsError,
            botocore.exceptions.PartialCredentialsError,
            botocore.exceptions.CredentialRetrievalError,
            botocore.exceptions.NoRegionError,
            botocore.exceptions.ConnectionError,  # EndpointConnectionError, ConnectTimeoutError, proxy, SSL
        ),
    )


def failure_message(module, operation, resource=None):
    if resource is None:
        return "%s failed in %s" % (operation, module.region)
    return "%s failed for %s in %s" % (operation, resource, module.region)


def fail_aws(module, e, operation, resource=None):
    """Fail the module: "<operation> failed for <resource> in <region>: <AWS message>"."""
    module.fail_json_aws(e, msg=failure_message(module, operation, resource))


def aws_call(module, fn, operation, resource=None, ignore=(), **params):
    """``fn(aws_retry=True, **params)``; None when the error code is in `ignore`; else fail_aws.

    `fn` is a method of a client from ``client.aws_client`` (it retries with ``aws_retry=True``).
    """
    try:
        return fn(aws_retry=True, **params)
    except AWS_ERRORS as e:
        if ignore and error_code(e) in ignore:
            return None
        fail_aws(module, e, operation, resource)
