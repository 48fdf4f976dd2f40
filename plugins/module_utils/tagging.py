# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Tags: one planner (amazon.aws ``compare_aws_tags``), one small reader and apply function per API.

``plan_tags(current, wanted, purge)`` says what to set and unset; ``apply_tags`` writes it with the
tagger of the API (untag first, so the resource never holds more tags than it will in the end; keys
sorted, so the requests are the same from run to run); ``read_tags`` reads them back. EC2 modules
may rather use amazon.aws ``ensure_ec2_tags``.

A resource is what the API names it by: an ARN, except for EC2 (the resource ID), KMS (the key's ID
or ARN) and Route 53 (``"healthcheck/<id>"`` or ``"hostedzone/<id>"``, or a (type, id) tuple).
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


def _key_list(keys):
    return [{"Key": key} for key in keys]


def _tag_dict(tags):
    # An ACM tag may have no value ("The tag value is optional", AddTagsToCertificate,
    # https://docs.aws.amazon.com/acm/latest/APIReference/API_AddTagsToCertificate.html);
    # boto3_tag_list_to_ansible_dict wants one.
    return boto3_tag_list_to_ansible_dict([dict(tag, Value=tag.get("Value", "")) for tag in tags or []])


def _kms_tag_list(tags):
    # KMS names the members TagKey and TagValue ("TagResource - AWS Key Management Service",
    # https://docs.aws.amazon.com/kms/latest/APIReference/API_TagResource.html).
    return ansible_dict_to_boto3_tag_list(dict(sorted(tags.items())), "TagKey", "TagValue")


def _route53_id(resource):
    if isinstance(resource, (tuple, list)):
        return resource[0], resource[1]
    resource_type, resource_id = resource.split("/", 1)
    return resource_type, resource_id


def _tagger(untag, tag, target, keys="TagKeys", tags="Tags", keys_as=list, tags_as=_tag_list, many=False):
    """A tagger of an API whose calls name the resource by `target` (a list of one with `many`):
    ``untag(target, keys=keys_as(sorted keys))`` first, then ``tag(target, tags=tags_as(tags))``."""

    def apply(client, resource, to_set, to_unset):
        named = {target: [resource] if many else resource}
        if to_unset:
            params = dict(named)
            params[keys] = keys_as(sorted(to_unset))
            getattr(client, untag)(aws_retry=True, **params)
        if to_set:
            params = dict(named)
            params[tags] = tags_as(to_set)
            getattr(client, tag)(aws_retry=True, **params)

    return apply


# ChangeTagsForResource takes at most 10 AddTags and 10 RemoveTagKeys a request ("ChangeTagsForResource -
# Amazon Route 53", https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeTagsForResource.html).
ROUTE53_TAG_CHUNK = 10


def _chunks(items, size):
    return [items[start : start + size] for start in range(0, len(items), size)]


def _tag_route53(client, resource, to_set, to_unset):
    resource_type, resource_id = _route53_id(resource)
    named = {"ResourceType": resource_type, "ResourceId": resource_id}
    for keys in _chunks(sorted(to_unset), ROUTE53_TAG_CHUNK):
        client.change_tags_for_resource(aws_retry=True, RemoveTagKeys=keys, **named)
    for tags in _chunks(_tag_list(to_set), ROUTE53_TAG_CHUNK):
        client.change_tags_for_resource(aws_retry=True, AddTags=tags, **named)


# Each tagger: (client, resource, to_set, to_unset); untag first, then tag; keys sorted.
TAGGERS = {
    "sns": _tagger("untag_resource", "tag_resource", "ResourceArn"),
    "lambda": _tagger("untag_resource", "tag_resource", "Resource", tags_as=_sorted),
    "cloudwatch": _tagger("untag_resource", "tag_resource", "ResourceARN"),
    "elbv2": _tagger("remove_tags", "add_tags", "ResourceArns", many=True),
    # RemoveTagsFromCertificate takes Key (and optionally Value) pairs: a Key alone removes the tag
    # whatever its value.
    "acm": _tagger(
        "remove_tags_from_certificate", "add_tags_to_certificate", "CertificateArn", "Tags", keys_as=_key_list
    ),
    "dynamodb": _tagger("untag_resource", "tag_resource", "ResourceArn"),
    # The log group's ARN without the ":*" that DescribeLogGroups appends to its "arn".
    "logs": _tagger("untag_resource", "tag_resource", "resourceArn", "tagKeys", "tags", tags_as=_sorted),
    "events": _tagger("untag_resource", "tag_resource", "ResourceARN"),
    "route53": _tag_route53,
    "ec2": _tagger("delete_tags", "create_tags", "Resources", "Tags", keys_as=_key_list, many=True),
    "kms": _tagger("untag_resource", "tag_resource", "KeyId", tags_as=_kms_tag_list),
    # An IAM role is named by its name ("TagRole" and "UntagRole - AWS Identity and Access Management",
    # https://docs.aws.amazon.com/IAM/latest/APIReference/API_TagRole.html).
    "iam": _tagger("untag_role", "tag_role", "RoleName"),
}


def _reader(operation, target, path=("Tags",), as_list=True, many=False, pages=False):
    """A reader: ``operation(target=resource)``, the tags at `path` of the reply (a Key/Value list
    unless not `as_list`); with `pages`, every page (client.paginate)."""

    def read(client, resource):
        params = {target: [resource] if many else resource}
        if pages:
            found = paginate(client, operation, path[0], **params)
        else:
            found = getattr(client, operation)(aws_retry=True, **params)
            for key in path:
                found = found[key] if isinstance(key, int) else (found or {}).get(key)
                if found is None:
                    break
        if as_list:
            return _tag_dict(found)
        return dict(found or {})

    return read


def _read_route53(client, resource):
    resource_type, resource_id = _route53_id(resource)
    reply = client.list_tags_for_resource(aws_retry=True, ResourceType=resource_type, ResourceId=resource_id)
    return _tag_dict(reply.get("ResourceTagSet", {}).get("Tags"))


def _read_ec2(client, resource_id):
    filters = [{"Name": "resource-id", "Values": [resource_id]}]
    return _tag_dict(paginate(client, "describe_tags", "Tags", Filters=filters))


def _read_elbv2(client, arn):
    described = client.describe_tags(aws_retry=True, ResourceArns=[arn]).get("TagDescriptions", [])
    return _tag_dict(described[0].get("Tags") if described else [])


def _read_kms(client, key_id):
    found = paginate(client, "list_resource_tags", "Tags", KeyId=key_id)
    return boto3_tag_list_to_ansible_dict(found, "TagKey", "TagValue")


# Each reader: (client, resource) -> dict.
TAG_READERS = {
    "sns": _reader("list_tags_for_resource", "ResourceArn"),
    "lambda": _reader("list_tags", "Resource", as_list=False),
    "cloudwatch": _reader("list_tags_for_resource", "ResourceARN"),
    "elbv2": _read_elbv2,
    "acm": _reader("list_tags_for_certificate", "CertificateArn"),
    "dynamodb": _reader("list_tags_of_resource", "ResourceArn", pages=True),
    "logs": _reader("list_tags_for_resource", "resourceArn", ("tags",), as_list=False),
    "events": _reader("list_tags_for_resource", "ResourceARN"),
    "route53": _read_route53,
    "ec2": _read_ec2,
    "kms": _read_kms,
    # GetRole returns the role's tags ("Tags: A list of tags that are attached to the role", the Role data
    # type, https://docs.aws.amazon.com/IAM/latest/APIReference/API_Role.html): no ListRoleTags.
    "iam": _reader("get_role", "RoleName", ("Role", "Tags")),
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
