#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ec2_vpc_flow_log_info
version_added: 0.1.0
short_description: Describe VPC flow logs
description:
  - Lists flow logs, optionally by ID or filter (DescribeFlowLogs).
  - Neither amazon.aws nor community.aws has a module for flow logs.
author:
  - finproc.dr maintainers (@finproc)
options:
  flow_log_ids:
    description: Flow log IDs to describe.
    type: list
    elements: str
    default: []
  filters:
    description:
      - DescribeFlowLogs filters, for example C(resource-id), C(log-group-name), C(traffic-type),
        C(tag:Name). See U(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeFlowLogs.html).
    type: dict
    default: {}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The flow logs of a VPC
  finproc.dr.ec2_vpc_flow_log_info:
    filters:
      resource-id: vpc-0123456789abcdef0
  register: flow_logs
"""

RETURN = r"""
flow_logs:
  description: The flow logs as EC2 describes them, keys in snake case and tags as a dictionary.
  returned: always
  type: list
  elements: dict
  contains:
    flow_log_id:
      description: The flow log's ID.
      type: str
      sample: fl-0123456789abcdef0
    resource_id:
      description: The logged resource.
      type: str
    traffic_type:
      description: The traffic logged.
      type: str
    log_group_name:
      description: The destination log group.
      type: str
    deliver_logs_permission_arn:
      description: The delivery role.
      type: str
    max_aggregation_interval:
      description: The aggregation interval in seconds.
      type: int
    tags:
      description: The flow log's tags.
      type: dict
"""

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.transformation import ansible_dict_to_boto3_filter_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict


@AWSRetry.jittered_backoff()
def describe_flow_logs(client, **params):
    return client.get_paginator("describe_flow_logs").paginate(**params).build_full_result()["FlowLogs"]


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            flow_log_ids=dict(type="list", elements="str", default=[]),
            filters=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    client = module.client("ec2")
    params = {}
    if module.params["flow_log_ids"]:
        params["FlowLogIds"] = module.params["flow_log_ids"]
    if module.params["filters"]:
        params["Filters"] = ansible_dict_to_boto3_filter_list(module.params["filters"])
    try:
        flow_logs = describe_flow_logs(client, **params)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="DescribeFlowLogs failed")
    result = []
    for flow_log in flow_logs:
        item = camel_dict_to_snake_dict(flow_log, ignore_list=["Tags"])
        item["tags"] = boto3_tag_list_to_ansible_dict(flow_log.get("Tags", []))
        result.append(item)
    module.exit_json(changed=False, flow_logs=result)


if __name__ == "__main__":
    main()
