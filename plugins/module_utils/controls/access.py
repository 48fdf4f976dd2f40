# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The access-path controls (access-path:<path id>): every permission path of the region listed by
plugins/module_utils/access_paths.py, evaluated on the live documents. A new path is a row of
access_paths.py; a new kind of document is a branch of live_document here."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.finproc.dr.plugins.module_utils import access_paths as paths_of_the_stack
from ansible_collections.finproc.dr.plugins.module_utils.controls.base import (
    Missing, describe_error, policy_document)
from ansible_collections.finproc.dr.plugins.module_utils.client import paginate
from ansible_collections.finproc.dr.plugins.module_utils.errors import AWS_ERRORS, is_fatal

# The access-path controls (access-path:<path id>, one per path of plugins/module_utils/access_paths.py).
ACCESS_PATHS = "access-paths"
ACCESS_PATHS_TITLE = "Every permission path of the region allowed or refused as AWS requires"


def access_path_stack(ctx):
    """The stack as access_paths() takes it, from the live state (keys by alias, health checks
    by Name tag, the flow log of the VPC)."""
    s = ctx.stack
    regions = []
    for peer in s.peers:
        region = peer["region"]
        key = s.key(region)
        regions.append(dict(
            region=region, dr_role=peer["dr_role"], bucket_name=s.bucket_of(region),
            # A missing key: its rows fail with "key-policy <region> not found".
            kms_key_arn=key["Arn"] if key else "arn:%s:kms:%s:%s:%s" % (
                s.partition, region, s.account_id, s.alias),
            # Route53 and EC2 only read for the areas whose paths name them (runner.selection).
            health_check_id=live_health_check_id(ctx, region) if in_scope(ctx, ("monitoring", "traffic")) else None,
            flow_log_id=live_flow_log_id(ctx) if region == s.region and in_scope(ctx, "network") else None))
    metrics = s.key(ctx.params["metrics_region"]) if s.is_primary else None
    return dict(partition=s.partition, account_id=s.account_id, name_prefix=s.prefix, table_name=s.table_name,
                monitoring_namespace=ctx.params["monitoring_namespace"],
                application_log_group=ctx.params["application_log_group"],
                metrics_region=ctx.params["metrics_region"], metrics_key_arn=metrics["Arn"] if metrics else "",
                alb_access_logs=ctx.params["alb_access_logs"],
                alb_access_logs_prefix=ctx.params["alb_access_logs_prefix"], regions=regions)


def in_scope(ctx, area):
    return ctx.in_scope(ctx.path_areas, area)


def reference_area(ctx, reference):
    """The area (runner.RESOURCE_AREAS) of the role that makes the document of an access-path
    reference; None for a document of no area (a given one) or one not known here."""
    s = ctx.stack
    kind, name = reference[0], str(reference[1])
    if kind == "key-policy":
        return "kms"
    if kind == "bucket-policy":
        return "traffic" if name in [s.alb_log_bucket(p["region"]) for p in s.peers] else "data"
    if kind in ("role-policy", "trust"):
        for prefix, area in (("-s3-replication-", "data"), ("-flow-logs-", "network"), ("-monitor-", "monitoring")):
            if name.startswith(s.prefix + prefix):
                return area
        return None
    if kind == "topic-policy":
        return "traffic" if name.endswith(":" + s.dns_topic_name) else "monitoring"
    if kind == "function-policy":
        return "monitoring"
    return None


def path_in_scope(ctx, path):
    """Whether every document deciding `path` is made by an area asked for (every path without I(controls))."""
    if ctx.path_areas is None:
        return True
    areas = [reference_area(ctx, r) for r in path.references() if r[0] != "given"]
    return bool(areas) and all(a in ctx.path_areas for a in areas)


def live_health_check_id(ctx, region):
    name = "%s-%s" % (ctx.stack.prefix, region)
    found = [c["Id"] for c, tags in ctx.stack.health_checks() if tags.get("Name") == name]
    return found[0] if len(found) == 1 else None


def live_flow_log_id(ctx):
    s = ctx.stack
    try:
        vpc_id = s.vpc()["VpcId"]
        flow_logs = s.cached(("flow-logs",), lambda: paginate(
            s.client("ec2"), "describe_flow_logs",
            Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"])
    except (Missing,) + AWS_ERRORS as e:
        if not isinstance(e, Missing) and is_fatal(e):
            raise
        return None  # the flow-logs control says what is missing
    found = [f["FlowLogId"] for f in flow_logs if f.get("LogGroupName") == s.flow_log_group]
    return found[0] if found else None


def live_document(ctx, reference):
    """The live document of an access-path reference; None when it does not exist."""
    s = ctx.stack
    kind = reference[0]

    def read():
        iam = s.client("iam")
        try:
            if kind == "role-policy":
                return policy_document(iam.get_role_policy(
                    aws_retry=True, RoleName=reference[1], PolicyName=reference[2])["PolicyDocument"])
            if kind == "trust":
                return policy_document(iam.get_role(
                    aws_retry=True, RoleName=reference[1])["Role"]["AssumeRolePolicyDocument"])
        except is_boto3_error_code("NoSuchEntity"):
            return None
        if kind == "key-policy":
            key = s.key(reference[1])
            if key is None:
                return None
            return policy_document(s.client("kms", reference[1]).get_key_policy(
                aws_retry=True, KeyId=key["Arn"], PolicyName="default")["Policy"])
        if kind == "bucket-policy":
            try:
                return policy_document(s.client("s3", ctx.bucket_regions[reference[1]]).get_bucket_policy(
                    aws_retry=True, Bucket=reference[1])["Policy"])
            except is_boto3_error_code(["NoSuchBucketPolicy", "NoSuchBucket"]):
                return None
        if kind == "topic-policy":
            attributes = s.topic_attributes(reference[1], reference[1].split(":")[3])
            return policy_document(attributes["Policy"]) if attributes and attributes.get("Policy") else None
        if kind == "function-policy":
            try:
                return policy_document(s.client("lambda", reference[1]).get_policy(
                    aws_retry=True, FunctionName=s.function_name)["Policy"])
            except is_boto3_error_code("ResourceNotFoundException"):
                return None
        raise ValueError("unknown access-path reference %r" % (reference,))
    return s.cached(("access-path-document",) + tuple(reference), read)


def evaluate_access_paths(ctx):
    """One entry access-path:<path id> per path of this region, on the live documents."""
    s = ctx.stack
    try:
        description = access_path_stack(ctx)
    except (Missing,) + AWS_ERRORS as e:
        if not isinstance(e, Missing) and is_fatal(e):
            ctx.module.fail_json_aws(e, msg="Access paths in %s: the credentials or the endpoint failed"
                                     % s.region)
        ctx.results.append(dict(id=ACCESS_PATHS, title=ACCESS_PATHS_TITLE, region=s.region, resource=s.region,
                                passed=False, detail=str(e) if isinstance(e, Missing) else describe_error(e)))
        return
    ctx.bucket_regions = {}
    for region in description["regions"]:
        ctx.bucket_regions[region["bucket_name"]] = region["region"]
        ctx.bucket_regions[s.alb_log_bucket(region["region"])] = region["region"]
    for path in paths_of_the_stack.access_paths(description):
        if path.region != s.region or not path_in_scope(ctx, path):
            continue
        try:
            result = paths_of_the_stack.evaluate_path(path, lambda reference: live_document(ctx, reference))
            passed, detail = result.passed, result.detail()
        except AWS_ERRORS as e:
            if is_fatal(e):
                ctx.module.fail_json_aws(e, msg="Access path %s in %s: the credentials or the endpoint failed"
                                         % (path.id, s.region))
            passed, detail = False, "%s (AWS: %s, %s)" % (describe_error(e), path.doc_title, path.doc_url)
        ctx.results.append(dict(id="access-path:" + path.id, title=path.title, region=s.region,
                                resource=path.resource, passed=bool(passed), detail=detail))
