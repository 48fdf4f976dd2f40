# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Tags: one planner (amazon.aws ``compare_aws_tags``), one small reader and apply function per API.

``plan_tags(current, wanted, purge)`` says what to set and unset; ``apply_tags`` writes it with the
tagger of the API (untag first, so the resource never holds more tags than it will in the end; keys
sorted, so the requests are the same from run to run); ``read_tags`` reads them back. EC2 modules
may rather use amazon.aws ``ensure_ec2_tags``.

A resource is what the API names it by: an ARN, except for EC2 (the resource ID) and Route 53
(``"healthcheck/<id>"`` or ``"hostedzone/<id>"``, or a (type, id) tuple).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import namedtuple

from ansible.module_utils.common.text.converters import to_text
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.finproc.dr.plugins.module_utils.client import paginate
from ansible_collections.finproc.dr.plugins.module_utils.errors import AWS_ERRORS
from ansible_collections.finproc.dr.plugins.module_utils.errors import fail_aws


class TagPlan(namedtuple("TagPlan", ["to_set", "to_unset", "before", "after"])):
    """What to set (dict) and unset (list of keys), and the tags before and after."""

    __slots__ = ()

    @property
    def changed(self):
        return bool(self.to_set or self.to_unset)


def plan_tags(current, wanted, purge=True):
    """The TagPlan that brings `current` to `wanted` (None: nothing to do); values become text.

    With `purge`, tags not in `wanted` are removed, except ``aws:`` tags (compare_aws_tags).
    """
    current = dict(current or {})
    if wanted is None:
        return TagPlan({}, [], current, dict(current))
    to_set, to_unset = compare_aws_tags(current, wanted, purge_tags=purge)
    to_set = dict((key, to_text(value)) for key, value in to_set.items())
    to_unset = sorted(to_unset)
    after = dict((key, value) for key, value in current.items() if key not in to_unset)
    after.update(to_set)
    return TagPlan(to_set, to_unset, current, after)


def _tag_list(tags):
    return ansible_dict_to_boto3_tag_list(dict(sorted(tags.items())))


def _sorted(tags):
    return dict(sorted(tags.items()))


def _route53_id(resource):
    if isinstance(resource, (tuple, list)):
        return resource[0], resource[1]
    resource_type, resource_id = resource.split("/", 1)
    return resource_type, resource_id


# Each tagger: untag first, then tag; keys sorted. (client, resource, to_set, to_unset)
def _tag_sns(client, arn, to_set, to_unset):
    if to_unset:
        client.untag_resource(aws_retry=True, ResourceArn=arn, TagKeys=sorted(to_unset))
    if to_set:
        client.tag_resource(aws_retry=True, ResourceArn=arn, Tags=_tag_list(to_set))


def _tag_lambda(client, arn, to_set, to_unset):
    if to_unset:
        client.untag_resource(aws_retry=True, Resource=arn, TagKeys=sorted(to_unset))
    if to_set:
        client.tag_resource(aws_retry=True, Resource=arn, Tags=_sorted(to_set))


def _tag_arn_list(client, arn, to_set, to_unset):
    """CloudWatch and EventBridge: ResourceARN, Tags as a Key/Value list."""
    if to_unset:
        client.untag_resource(aws_retry=True, ResourceARN=arn, TagKeys=sorted(to_unset))
    if to_set:
        client.tag_resource(aws_retry=True, ResourceARN=arn, Tags=_tag_list(to_set))


def _tag_elbv2(client, arn, to_set, to_unset):
    if to_unset:
        client.remove_tags(aws_retry=True, ResourceArns=[arn], TagKeys=sorted(to_unset))
    if to_set:
        client.add_tags(aws_retry=True, ResourceArns=[arn], Tags=_tag_list(to_set))


def _tag_acm(client, arn, to_set, to_unset):
    # RemoveTagsFromCertificate takes Key (and optionally Value) pairs: a Key alone removes the tag
    # whatever its value.
    if to_unset:
        client.remove_tags_from_certificate(
            aws_retry=True, CertificateArn=arn, Tags=[{"Key": key} for key in sorted(to_unset)]
        )
    if to_set:
        client.add_tags_to_certificate(aws_retry=True, CertificateArn=arn, Tags=_tag_list(to_set))


def _tag_dynamodb(client, arn, to_set, to_unset):
    if to_unset:
        client.untag_resource(aws_retry=True, ResourceArn=arn, TagKeys=sorted(to_unset))
    if to_set:
        client.tag_resource(aws_retry=True, ResourceArn=arn, Tags=_tag_list(to_set))


def _tag_logs(client, arn, to_set, to_unset):
    # The log group's ARN without the ":*" that DescribeLogGroups appends to its "arn".
    if to_unset:
        client.untag_resource(aws_retry=True, resourceArn=arn, tagKeys=sorted(to_unset))
    if to_set:
        client.tag_resource(aws_retry=True, resourceArn=arn, tags=_sorted(to_set))


# ChangeTagsForResource takes at most 10 AddTags and 10 RemoveTagKeys a request ("ChangeTagsForResource -
# Amazon Route 53", https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeTagsForResource.html).
ROUTE53_TAG_CHUNK = 10


def _chunks(items, size):
    return [items[start : start + size] for start in range(0, len(items), size)]


def _tag_route53(client, resource, to_set, to_unset):
    resource_type, resource_id = _route53_id(resource)
    for keys in _chunks(sorted(to_unset), ROUTE53_TAG_CHUNK):
        client.change_tags_for_resource(
            aws_retry=True, ResourceType=resource_type, ResourceId=resource_id, RemoveTagKeys=keys
        )
    for tags in _chunks(_tag_list(to_set), ROUTE53_TAG_CHUNK):
        client.change_tags_for_resource(
            aws_retry=True, ResourceType=resource_type, ResourceId=resource_id, AddTags=tags
        )


def _tag_ec2(client, resource_id, to_set, to_unset):
    if to_unset:
        client.delete_tags(aws_retry=True, Resources=[resource_id], Tags=[{"Key": key} for key in sorted(to_unset)])
    if to_set:
        client.create_tags(aws_retry=True, Resources=[resource_id], Tags=_tag_list(to_set))


TAGGERS = {
    "sns": _tag_sns,
    "lambda": _tag_lambda,
    "cloudwatch": _tag_arn_list,
    "elbv2": _tag_elbv2,
    "acm": _tag_acm,
    "dynamodb": _tag_dynamodb,
    "logs": _tag_logs,
    "events": _tag_arn_list,
    "route53": _tag_route53,
    "ec2": _tag_ec2,
}


def _read_sns(client, arn):
    reply = client.list_tags_for_resource(aws_retry=True, ResourceArn=arn)
    return boto3_tag_list_to_ansible_dict(reply.get("Tags", []))


def _read_lambda(client, arn):
    return dict(client.list_tags(aws_retry=True, Resource=arn).get("Tags") or {})


def _read_arn_list(client, arn):
    reply = client.list_tags_for_resource(aws_retry=True, ResourceARN=arn)
    return boto3_tag_list_to_ansible_dict(reply.get("Tags", []))


def _read_elbv2(client, arn):
    described = client.describe_tags(aws_retry=True, ResourceArns=[arn]).get("TagDescriptions", [])
    return boto3_tag_list_to_ansible_dict(described[0].get("Tags", []) if described else [])


def _read_acm(client, arn):
    reply = client.list_tags_for_certificate(aws_retry=True, CertificateArn=arn)
    # An ACM tag may have no value ("The tag value is optional", AddTagsToCertificate,
    # https://docs.aws.amazon.com/acm/latest/APIReference/API_AddTagsToCertificate.html);
    # boto3_tag_list_to_ansible_dict wants one.
    return boto3_tag_list_to_ansible_dict([dict(tag, Value=tag.get("Value", "")) for tag in reply.get("Tags", [])])


def _read_dynamodb(client, arn):
    return boto3_tag_list_to_ansible_dict(paginate(client, "list_tags_of_resource", "Tags", ResourceArn=arn))


def _read_logs(client, arn):
    return dict(client.list_tags_for_resource(aws_retry=True, resourceArn=arn).get("tags") or {})


def _read_route53(client, resource):
    resource_type, resource_id = _route53_id(resource)
    reply = client.list_tags_for_resource(aws_retry=True, ResourceType=resource_type, ResourceId=resource_id)
    return boto3_tag_list_to_ansible_dict(reply.get("ResourceTagSet", {}).get("Tags", []))


def _read_ec2(client, resource_id):
    filters = [{"Name": "resource-id", "Values": [resource_id]}]
    return boto3_tag_list_to_ansible_dict(paginate(client, "describe_tags", "Tags", Filters=filters))


TAG_READERS = {
    "sns": _read_sns,
    "lambda": _read_lambda,
    "cloudwatch": _read_arn_list,
    "elbv2": _read_elbv2,
    "acm": _read_acm,
    "dynamodb": _read_dynamodb,
    "logs": _read_logs,
    "events": _read_arn_list,
    "route53": _read_route53,
    "ec2": _read_ec2,
}


def read_tags(module, client, api, resource, what=None):
    """The tags of `resource` as a dict; an AWS error fails the module ("Reading tags failed for ...")."""
    try:
        return TAG_READERS[api](client, resource)
    except AWS_ERRORS as e:
        fail_aws(module, e, "Reading tags", what or resource)


def apply_tags(module, client, api, resource, plan, what=None):
    """Write `plan` (no call when it changes nothing, none in check mode); the tags after it.

    `what` names the resource in an error message (default: `resource`).
    """
    if plan.changed and not module.check_mode:
        try:
            TAGGERS[api](client, resource, plan.to_set, plan.to_unset)
        except AWS_ERRORS as e:
            fail_aws(module, e, "Tagging", what or resource)
    return plan.after
