# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Clients that retry what AWS asks to retry, and pagination.

``aws_client(module, service)`` is ``module.client(service, retry_decorator=...)`` with amazon.aws's
``AWSRetry.jittered_backoff``: a call made with ``aws_retry=True`` is tried again on throttling
(``THROTTLE_CODES``, besides what AWSRetry retries anyway), and with ``just_created=True`` also on
the codes a service answers for a resource it has just created and does not show yet
(``JUST_CREATED_CODES``). Use the just-created client only for calls about a resource this run has
created: on an old resource the same codes mean that it is really gone.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.finproc.dr.plugins.module_utils.errors import AWS_ERRORS
from ansible_collections.finproc.dr.plugins.module_utils.errors import fail_aws

# Throttling codes of the services we use, beyond those AWSRetry always retries (RequestLimitExceeded,
# Throttling, TooManyRequestsException, Unavailable, ServiceUnavailable, InternalFailure, InternalError):
# ThrottlingException (ACM, CloudWatch Logs, EventBridge, DynamoDB's control plane, STS), Throttled
# (SNS), PriorRequestNotComplete (Route 53: a change to the same resource still in progress), SlowDown
# (S3), ConcurrentAccess (SNS: another writer on the same topic), ConcurrentModificationException
# (CloudWatch dashboards, alarms and tags; EventBridge rules).
THROTTLE_CODES = [
    "ThrottlingException",
    "Throttled",
    "PriorRequestNotComplete",
    "SlowDown",
    "ConcurrentAccess",
    "ConcurrentModificationException",
]

# The codes each service answers about a resource it has just created and does not show yet
# (eventual consistency). Only for a client made with just_created=True. That such a code can be
# transient right after a creation is documented for EC2, DynamoDB and IAM (Lambda's role) as cited;
# for the others the page cited documents the code's meaning, and these are the codes the modules
# waited for before. Every code but EC2's (EC2 models no errors) is an error of the service's botocore
# model (tests/unit/plugins/module_utils/test_core_client.py checks it).
JUST_CREATED_CODES = {
    # "Eventual consistency in the Amazon EC2 API"
    # https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html : "if you run a command
    # to modify or describe the resource that you just created, its ID might not have propagated
    # throughout the system, and you will get an error responding that the resource does not exist"
    # (examples: InvalidInstanceID.NotFound, InvalidGroup.NotFound). The resources we create: the codes
    # are those of "Error codes for the Amazon EC2 API"
    # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
    "ec2": [
        "InvalidSubnetID.NotFound",
        "InvalidVpcID.NotFound",
        "NatGatewayNotFound",
        "InvalidAllocationID.NotFound",
        "InvalidRouteTableID.NotFound",
        "InvalidInternetGatewayID.NotFound",
        "InvalidGroup.NotFound",
        "InvalidFlowLogId.NotFound",
        "InvalidVpcEndpointId.NotFound",
    ],
    # GetTopicAttributes, SetTopicAttributes, Subscribe: "NotFound - Indicates that the requested
    # resource does not exist" (https://docs.aws.amazon.com/sns/latest/api/API_GetTopicAttributes.html,
    # "GetTopicAttributes - Amazon Simple Notification Service"); TagResource and ListTagsForResource
    # answer ResourceNotFound ("Can't perform the action on the specified resource. Make sure that the
    # resource exists.", https://docs.aws.amazon.com/sns/latest/api/API_TagResource.html). SNS does not
    # document how long a new topic takes to be visible; the module waited for both codes before.
    "sns": ["NotFound", "ResourceNotFound"],
    # No Lambda entry: right after its IAM role is created, CreateFunction answers
    # InvalidParameterValueException "The role defined for the function cannot be assumed by Lambda"
    # (IAM "Troubleshoot general issues", eventual consistency,
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency;
    # https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html), but the same code stands
    # for any invalid parameter, which must fail at once: lambda_function waits for that message only.
    # "If you issue a DescribeTable request immediately after a CreateTable request, DynamoDB might
    # return a ResourceNotFoundException" (DescribeTable - Amazon DynamoDB,
    # https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DescribeTable.html)
    "dynamodb": ["ResourceNotFoundException"],
    # DescribeTargetGroups, ModifyTargetGroupAttributes, AddTags: TargetGroupNotFound "The specified
    # target group does not exist." (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTargetGroups.html)
    "elbv2": ["TargetGroupNotFound", "LoadBalancerNotFound", "ListenerNotFound"],
    # DescribeCertificate, AddTagsToCertificate: ResourceNotFoundException "The specified certificate
    # cannot be found in the caller's account or Region."
    # (https://docs.aws.amazon.com/acm/latest/APIReference/API_DescribeCertificate.html)
    "acm": ["ResourceNotFoundException"],
    # PutTargets, TagResource, ListTargetsByRule right after PutRule: ResourceNotFoundException "An
    # entity that you specified does not exist."
    # (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutTargets.html)
    "events": ["ResourceNotFoundException"],
    # TagResource, ListTagsForResource on a log group just created: ResourceNotFoundException "The
    # specified resource does not exist."
    # (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_TagResource.html)
    "logs": ["ResourceNotFoundException"],
    # TagResource, ListTagsForResource on an alarm just put: ResourceNotFoundException "The named
    # resource does not exist." (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_TagResource.html)
    "cloudwatch": ["ResourceNotFoundException", "ResourceNotFound"],
    # A health check just created: NoSuchHealthCheck "No health check exists with the specified ID."
    # (https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetHealthCheck.html)
    "route53": ["NoSuchHealthCheck", "NoSuchHostedZone"],
    # A bucket just created (after the BucketExists waiter): "Bucket configurations have an eventual
    # consistency model" (Amazon S3 user guide, "Amazon S3 data consistency model",
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/Welcome.html#ConsistencyModel), so a Put right
    # after the create may still answer NoSuchBucket.
    "s3": ["NoSuchBucket"],
}

RETRIES = 10
DELAY = 3  # AWSRetry.jittered_backoff's first back-off


def retry_decorator(just_created_service=None, extra_codes=(), retries=RETRIES, delay=DELAY):
    """AWSRetry.jittered_backoff for THROTTLE_CODES (+ the service's just-created codes) + extra_codes."""
    codes = list(THROTTLE_CODES)
    if just_created_service:
        codes.extend(JUST_CREATED_CODES.get(just_created_service, []))
    codes.extend(extra_codes)
    return AWSRetry.jittered_backoff(retries=retries, delay=delay, catch_extra_error_codes=codes)


def just_created_client(service, doc=None):
    """A class property: ``aws_client(self.module, service, just_created=True)``, made when first read
    (aws_client caches it on the module), so a run that creates nothing never makes that second client.
    For the calls about a resource the run has just created (eventual consistency: CLIENT codes above)."""
    return property(lambda self: aws_client(self.module, service, just_created=True), doc=doc)


def aws_client(module, service, region=None, just_created=False, extra_codes=(), retries=RETRIES, delay=DELAY):
    """A client whose calls made with ``aws_retry=True`` retry throttling (and just-created codes).

    `retries` and `delay` (the first back-off, in seconds) are those of AWSRetry.jittered_backoff: a
    module whose extra codes mean "busy for minutes" may wait longer. Cached on the module per
    (service, region, just_created, extra_codes, retries, delay).
    """
    extra_codes = tuple(extra_codes)
    key = (service, region, bool(just_created), extra_codes, retries, delay)
    cache = module.__dict__.setdefault("_finproc_clients", {})
    if key not in cache:
        decorator = retry_decorator(service if just_created else None, extra_codes, retries, delay)
        params = {"retry_decorator": decorator}
        if region:
            params["region"] = region
        cache[key] = module.client(service, **params)
    return cache[key]


def paginate(client, operation, result_key=None, **params):
    """The whole result of `operation` (every page), retried as the client's calls are.

    ``get_paginator(operation).paginate(**params).build_full_result()`` when botocore can paginate
    it, else one call. With `result_key`, only that key of the result (default []).
    """
    raw = getattr(client, "client", client)  # the botocore client inside a RetryingBotoClientWrapper
    retry = getattr(client, "retry", None) or retry_decorator()

    def call():
        if raw.can_paginate(operation):
            return raw.get_paginator(operation).paginate(**params).build_full_result()
        return getattr(raw, operation)(**params)

    result = retry(call)()
    if result_key is None:
        return result
    return result.get(result_key, [])


def paginate_or_fail(module, client, operation, result_key=None, resource=None, **params):
    """``paginate``; an AWS error fails the module naming the API operation (e.g. DescribeSubnets)."""
    try:
        return paginate(client, operation, result_key, **params)
    except AWS_ERRORS as e:
        raw = getattr(client, "client", client)
        fail_aws(module, e, raw.meta.method_to_api_mapping.get(operation, operation), resource)
