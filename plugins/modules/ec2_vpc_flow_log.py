#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ec2_vpc_flow_log
version_added: 0.1.0
short_description: Manage a VPC flow log
description:
  - Creates, updates (tags) or deletes the flow log of a VPC, subnet or network interface.
  - Neither amazon.aws nor community.aws has a module for flow logs.
  - A flow log is identified by its resource, its traffic type and its destination (log group or
    ARN); a second run with the same options changes nothing.
  - AWS cannot modify a flow log in place. When an immutable setting differs (delivery role,
    aggregation interval, log format), the module replaces the flow log (creates the new one,
    then deletes the old one) and reports it.
author:
  - finproc.dr maintainers (@finproc)
options:
  resource_id:
    description: The ID of the VPC, subnet or network interface.
    type: str
    required: true
  resource_type:
    description: The kind of resource of I(resource_id).
    type: str
    choices: [VPC, Subnet, NetworkInterface]
    default: VPC
  traffic_type:
    description: The traffic to log.
    type: str
    choices: [ACCEPT, REJECT, ALL]
    default: ALL
  log_destination_type:
    description: Where the records go.
    type: str
    choices: [cloud-watch-logs, s3]
    default: cloud-watch-logs
  log_group_name:
    description:
      - The CloudWatch Logs log group. Required when I(log_destination_type=cloud-watch-logs)
        and I(log_destination) is not given.
    type: str
  log_destination:
    description:
      - The ARN of the destination (log group or S3 bucket or folder). Required for S3.
    type: str
  deliver_logs_permission_arn:
    description:
      - The IAM role that publishes to CloudWatch Logs. Required for CloudWatch Logs.
    type: str
  max_aggregation_interval:
    description: The aggregation interval in seconds.
    type: int
    choices: [60, 600]
    default: 600
  log_format:
    description: A custom record format; the AWS default format when omitted.
    type: str
  state:
    description: Whether the flow log should exist.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - finproc.dr.aws
  - amazon.aws.tags
"""

EXAMPLES = r"""
- name: Log all traffic of a VPC to an encrypted log group
  finproc.dr.ec2_vpc_flow_log:
    resource_id: vpc-0123456789abcdef0
    traffic_type: ALL
    log_group_name: /finproc/dev/vpc-flow-logs
    deliver_logs_permission_arn: arn:aws:iam::123456789012:role/finproc-dev-flow-logs-us-east-2
    max_aggregation_interval: 60
    tags:
      Name: finproc-dev-vpc

- name: Remove it
  finproc.dr.ec2_vpc_flow_log:
    resource_id: vpc-0123456789abcdef0
    log_group_name: /finproc/dev/vpc-flow-logs
    state: absent
"""

RETURN = r"""
flow_log:
  description: The flow log as EC2 describes it (DescribeFlowLogs), tags as a dictionary.
  returned: when I(state=present); in check mode only when it exists already
  type: dict
  contains:
    flow_log_id:
      description: The flow log's ID.
      type: str
      sample: fl-0123456789abcdef0
    flow_log_status:
      description: ACTIVE when the flow log works.
      type: str
      sample: ACTIVE
    deliver_logs_status:
      description: SUCCESS, or why delivery fails.
      type: str
      sample: SUCCESS
    resource_id:
      description: The logged resource.
      type: str
      sample: vpc-0123456789abcdef0
    traffic_type:
      description: The traffic logged.
      type: str
      sample: ALL
    log_destination_type:
      description: The kind of destination.
      type: str
      sample: cloud-watch-logs
    log_group_name:
      description: The log group.
      type: str
      sample: /finproc/dev/vpc-flow-logs
    deliver_logs_permission_arn:
      description: The delivery role.
      type: str
    max_aggregation_interval:
      description: The aggregation interval in seconds.
      type: int
      sample: 60
    tags:
      description: The flow log's tags.
      type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.finproc.dr.plugins.module_utils.client import aws_client
from ansible_collections.finproc.dr.plugins.module_utils.client import paginate_or_fail
from ansible_collections.finproc.dr.plugins.module_utils.errors import aws_call
from ansible_collections.finproc.dr.plugins.module_utils.idempotency import run_token
from ansible_collections.finproc.dr.plugins.module_utils.results import snake
from ansible_collections.finproc.dr.plugins.module_utils.tagging import apply_tags
from ansible_collections.finproc.dr.plugins.module_utils.tagging import plan_tags
from ansible_collections.finproc.dr.plugins.module_utils.resource import resource_argument_spec

RESOURCE_TYPE_FILTER = {"VPC": "VPC", "Subnet": "Subnet", "NetworkInterface": "NetworkInterface"}
# Settings AWS cannot change on an existing flow log.
IMMUTABLE = ("DeliverLogsPermissionArn", "MaxAggregationInterval", "LogFormat")


def destination_matches(flow_log, params):
    if flow_log.get("LogDestinationType", "cloud-watch-logs") != params["log_destination_type"]:
        return False
    if flow_log.get("TrafficType") != params["traffic_type"]:
        return False
    if params.get("log_destination"):
        return flow_log.get("LogDestination") == params["log_destination"]
    return flow_log.get("LogGroupName") == params["log_group_name"]


def wanted_settings(params):
    wanted = {"MaxAggregationInterval": params["max_aggregation_interval"]}
    if params.get("deliver_logs_permission_arn"):
        wanted["DeliverLogsPermissionArn"] = params["deliver_logs_permission_arn"]
    if params.get("log_format"):
        wanted["LogFormat"] = params["log_format"]
    return wanted


def differences(flow_log, params):
    """The immutable settings of an existing flow log that differ from the wanted ones."""
    return sorted(key for key, value in wanted_settings(params).items() if flow_log.get(key) != value)


def create_request(params):
    request = {
        "ResourceIds": [params["resource_id"]],
        "ResourceType": RESOURCE_TYPE_FILTER[params["resource_type"]],
        "TrafficType": params["traffic_type"],
        "LogDestinationType": params["log_destination_type"],
    }
    request.update(wanted_settings(params))
    if params.get("log_destination"):
        request["LogDestination"] = params["log_destination"]
    else:
        request["LogGroupName"] = params["log_group_name"]
    if params.get("tags"):
        request["TagSpecifications"] = [
            {"ResourceType": "vpc-flow-log", "Tags": ansible_dict_to_boto3_tag_list(params["tags"])}
        ]
    return request


def create_flow_log(module, client, replacing=None):
    """Create the flow log (in place of the flow log `replacing`, when given); its ID.

    The ClientToken comes from the whole request (resource, destination, settings, tags), the region, the
    flow log it replaces and this module run (idempotency.run_token): a retry after a lost answer
    (AWSRetry's, or botocore's) returns the flow log the first call made ("Ensuring idempotency in Amazon
    EC2 API requests", https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html), while a
    later run, which finds the flow log by its resource and destination first, never sends the token of a
    flow log deleted since (behind our back, or by a destroy whose VPC survived).
    """
    request = create_request(module.params)
    request["ClientToken"] = run_token("CreateFlowLogs", module.region, request, replacing or "")
    response = aws_call(module, client.create_flow_logs, "CreateFlowLogs", module.params["resource_id"], **request)
    if response.get("Unsuccessful"):
        error = response["Unsuccessful"][0].get("Error", {})
        module.fail_json(
            msg="CreateFlowLogs refused the flow log of %s: %s: %s"
            % (module.params["resource_id"], error.get("Code"), error.get("Message")),
            unsuccessful=response["Unsuccessful"],
        )
    return response["FlowLogIds"][0]


def delete_flow_log(module, client, flow_log_id):
    # InvalidFlowLogId.NotFound: gone meanwhile
    aws_call(
        module,
        client.delete_flow_logs,
        "DeleteFlowLogs",
        flow_log_id,
        ignore=("InvalidFlowLogId.NotFound",),
        FlowLogIds=[flow_log_id],
    )


def normalise(flow_log):
    if not flow_log:
        return {}
    result = snake(flow_log)
    result["tags"] = boto3_tag_list_to_ansible_dict(flow_log.get("Tags", []))
    result.pop("creation_time", None)
    return result


def diff_view(flow_log, params):
    """The settings this module manages, for --diff."""
    if not flow_log:
        return {}
    view = {
        "resource_id": flow_log.get("ResourceId"),
        "traffic_type": flow_log.get("TrafficType"),
        "log_destination_type": flow_log.get("LogDestinationType", "cloud-watch-logs"),
        "log_group_name": flow_log.get("LogGroupName"),
        "log_destination": flow_log.get("LogDestination"),
        "deliver_logs_permission_arn": flow_log.get("DeliverLogsPermissionArn"),
        "max_aggregation_interval": flow_log.get("MaxAggregationInterval"),
        "tags": boto3_tag_list_to_ansible_dict(flow_log.get("Tags", [])),
    }
    if params.get("log_format"):
        view["log_format"] = flow_log.get("LogFormat")
    return view


def wanted_view(params, current):
    view = {
        "resource_id": params["resource_id"],
        "traffic_type": params["traffic_type"],
        "log_destination_type": params["log_destination_type"],
        "log_group_name": params.get("log_group_name") or (current or {}).get("LogGroupName"),
        "log_destination": params.get("log_destination") or (current or {}).get("LogDestination"),
        "deliver_logs_permission_arn": params.get("deliver_logs_permission_arn"),
        "max_aggregation_interval": params["max_aggregation_interval"],
        "tags": dict(boto3_tag_list_to_ansible_dict((current or {}).get("Tags", []))),
    }
    if params.get("tags") is not None:
        if params["purge_tags"]:
            view["tags"] = dict(params["tags"])
        else:
            view["tags"].update(params["tags"])
    if params.get("log_format"):
        view["log_format"] = params["log_format"]
    return view


def ensure_present(module, client, current):
    params = module.params
    changed = False
    if current and differences(current, params):
        # Replace: the new flow log first, so no traffic goes unlogged in between.
        changed = True
        if not module.check_mode:
            new_id = create_flow_log(module, client, replacing=current["FlowLogId"])
            delete_flow_log(module, client, current["FlowLogId"])
            current = find_by_id(module, new_id)
        else:
            current = None
    elif not current:
        changed = True
        if not module.check_mode:
            current = find_by_id(module, create_flow_log(module, client))
    elif params.get("tags") is not None and sync_tags(module, client, current):
        changed = True
        if not module.check_mode:
            current = find_by_id(module, current["FlowLogId"])
    return changed, current


def sync_tags(module, client, flow_log):
    """Bring the tags to the wanted set, comparing with the tags DescribeFlowLogs returned."""
    current = boto3_tag_list_to_ansible_dict(flow_log.get("Tags", []))
    plan = plan_tags(current, module.params["tags"], purge=module.params["purge_tags"])
    apply_tags(module, client, "ec2", flow_log["FlowLogId"], plan, what="flow log %s" % flow_log["FlowLogId"])
    return plan.changed


def find_by_id(module, flow_log_id):
    """The flow log (just created or retagged) by its ID; InvalidFlowLogId.NotFound is retried."""
    fresh = aws_client(module, "ec2", just_created=True)
    found = paginate_or_fail(module, fresh, "describe_flow_logs", "FlowLogs", flow_log_id, FlowLogIds=[flow_log_id])
    return found[0] if found else None


def main():
    argument_spec = resource_argument_spec(
        resource_id=dict(type="str", required=True),
        resource_type=dict(type="str", default="VPC", choices=["VPC", "Subnet", "NetworkInterface"]),
        traffic_type=dict(type="str", default="ALL", choices=["ACCEPT", "REJECT", "ALL"]),
        log_destination_type=dict(type="str", default="cloud-watch-logs", choices=["cloud-watch-logs", "s3"]),
        log_group_name=dict(type="str"),
        log_destination=dict(type="str"),
        deliver_logs_permission_arn=dict(type="str"),
        max_aggregation_interval=dict(type="int", default=600, choices=[60, 600]),
        log_format=dict(type="str"),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[["log_group_name", "log_destination"]],
        required_one_of=[["log_group_name", "log_destination"]],
    )
    params = module.params
    if params["state"] == "present" and params["log_destination_type"] == "s3" and not params["log_destination"]:
        module.fail_json(msg="log_destination (the bucket ARN) is required when log_destination_type is s3")
    if (
        params["state"] == "present"
        and params["log_destination_type"] == "cloud-watch-logs"
        and not params["deliver_logs_permission_arn"]
    ):
        module.fail_json(msg="deliver_logs_permission_arn is required for a CloudWatch Logs destination")

    client = aws_client(module, "ec2")
    by_resource = [{"Name": "resource-id", "Values": [params["resource_id"]]}]
    found = paginate_or_fail(
        module, client, "describe_flow_logs", "FlowLogs", params["resource_id"], Filters=by_resource
    )
    existing = [flow_log for flow_log in found if destination_matches(flow_log, params)]
    current = existing[0] if existing else None
    before = diff_view(current, params)

    if params["state"] == "absent":
        changed = bool(existing)
        if changed and not module.check_mode:
            for flow_log in existing:
                delete_flow_log(module, client, flow_log["FlowLogId"])
        module.exit_json(changed=changed, diff={"before": before, "after": {}})

    # Duplicates with the same identity (left by an interrupted run elsewhere): keep the first.
    changed = False
    for duplicate in existing[1:]:
        changed = True
        if not module.check_mode:
            delete_flow_log(module, client, duplicate["FlowLogId"])

    changed_now, current_after = ensure_present(module, client, current)
    changed |= changed_now
    if module.check_mode:
        after = wanted_view(params, current)
        result = normalise(current) if current else {}
    else:
        after = diff_view(current_after, params)
        result = normalise(current_after)
    module.exit_json(changed=changed, flow_log=result, diff={"before": before, "after": after})


if __name__ == "__main__":
    main()
