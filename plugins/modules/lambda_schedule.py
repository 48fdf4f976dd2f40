#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: lambda_schedule
version_added: 0.1.0
short_description: Run a Lambda function on a schedule (EventBridge rule, target and invoke permission)
description:
  - Makes "run this Lambda function on this schedule" true, in one task - the scheduled EventBridge
    rule I(name) (schedule, description, state, tags), its single target (the function, with a
    constant I(input)), and the statement of the function's resource policy that lets EventBridge
    invoke the function for this rule (and only for it).
  - amazon.aws.cloudwatchevent_rule has no check mode (it is skipped under C(--check)), no tags and
    no retries, and amazon.aws.lambda_policy reports no change in check mode for a permission it
    would add. This module changes only what differs, retries throttled and conflicting calls, and
    its check mode and diff report what a run would change without writing anything.
  - B(The rule belongs to this module alone) - targets of the rule other than I(target_id) are
    removed, and a target I(target_id) with any other setting (role, input path or transformer,
    retry policy, dead-letter queue) is replaced by the function with I(input) only.
  - The statement I(statement_id) of the function's policy is compared with the one AddPermission
    makes - C(Allow) C(lambda:InvokeFunction) for the service principal C(events.amazonaws.com) on
    the function, with the conditions C(ArnLike AWS:SourceArn) (the rule's ARN) and
    C(StringEquals AWS:SourceAccount) (the rule's account). A statement that differs in any way is
    removed and added again; the other statements of the policy are left alone. When
    I(function_arn) changes, the statement I(statement_id) of the previous function is left as it is.
  - With I(state=present) the writes come in this order - the rule (PutRule; a new rule gets its
    tags with it), the permission, the targets (strays removed first), the tags. The function may
    therefore be invoked by the rule only once it is allowed to be.
author:
  - finproc.dr maintainers (@finproc)
options:
  name:
    description:
      - The name of the EventBridge rule; 1 to 64 letters, digits, dots, hyphens and underscores.
    type: str
    required: true
  state:
    description:
      - C(present) creates or updates the rule, its target and the function's permission.
      - C(absent) removes the rule's targets, deletes the rule and removes the statement
        I(statement_id) from the function's policy. A function that does not exist is fine.
    type: str
    choices: [present, absent]
    default: present
  function_arn:
    description:
      - The unqualified ARN of the Lambda function to run, in I(region)
        (C(arn:aws:lambda:<region>:<account>:function:<name>)). A version or alias is refused.
      - Required with I(state=present).
      - With I(state=absent), the function whose statement I(statement_id) is removed; not given,
        the function of the rule's target I(target_id) (when it has one).
    type: str
  schedule_expression:
    description:
      - When the function runs, as EventBridge writes it - C(rate(<value> <unit>)) or
        C(cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>)), in UTC.
      - A rate's unit is C(minute), C(hour) or C(day) when the value is 1, C(minutes), C(hours) or
        C(days) otherwise (EventBridge refuses C(rate(1 minutes)) and C(rate(2 minute))). A cron
        expression has six fields and a C(?) in its day-of-month or day-of-week field.
      - Checked before any request. Required with I(state=present).
    type: str
  description:
    description:
      - The description of the rule.
    type: str
    default: ''
  enabled:
    description:
      - Whether the rule is enabled (C(ENABLED)) or disabled (C(DISABLED)).
    type: bool
    default: true
  input:
    description:
      - A constant JSON object passed to the function as its event instead of the scheduled event,
        sent as the target's C(Input) (keys sorted, no spaces).
      - Compared with the target's C(Input) as parsed JSON.
      - Not given, the target has no C(Input) (the function gets the scheduled event).
    type: dict
  target_id:
    description:
      - The ID of the rule's target (the function); 1 to 64 letters, digits, dots, hyphens and
        underscores.
    type: str
    default: lambda
  statement_id:
    description:
      - The ID (C(Sid)) of the statement in the function's resource policy that lets the rule invoke
        the function; 1 to 100 letters, digits, hyphens and underscores.
      - Defaults to C(<name>-invoke); give one when I(name) has a dot, which a statement ID cannot
        have.
    type: str
  event_bus_name:
    description:
      - The event bus of the rule, by name or ARN.
      - EventBridge accepts schedules only on the default event bus, so with I(state=present) it
        must be C(default) (or the ARN of the default bus).
    type: str
    default: default
extends_documentation_fragment:
  - finproc.dr.aws
  - amazon.aws.tags
notes:
  - Tags apply to the rule; a new rule gets them with PutRule, an existing one with TagResource and
    UntagResource.
  - Check mode is supported, and writes nothing; diff mode reports the schedule, description, state,
    targets, permission and tags. For a rule that would be created, the rule's ARN (needed to
    compare the permission) is not known yet; it is predicted as
    C(arn:<partition>:events:<region>:<account>:rule/<name>), with the partition and account of
    I(function_arn) - the ARN EventBridge gives a rule on the default bus - and C(msg) says so.
  - Needs C(events:DescribeRule), C(events:PutRule), C(events:ListTargetsByRule),
    C(events:PutTargets), C(events:RemoveTargets), C(events:DeleteRule),
    C(events:ListTagsForResource), C(events:TagResource), C(events:UntagResource),
    C(lambda:GetPolicy), C(lambda:AddPermission) and C(lambda:RemovePermission).
  - EventBridge recommends EventBridge Scheduler for new schedules; this module manages the
    (older) scheduled rules, which need no IAM role to invoke a function.
"""

EXAMPLES = r"""
- name: Run the replication checker every 5 minutes
  finproc.dr.lambda_schedule:
    region: us-east-2
    name: finproc-prod-replication-check
    function_arn: arn:aws:lambda:us-east-2:123456789012:function:finproc-prod-replication-check
    schedule_expression: rate(5 minutes)
    description: Checks the replication lag of the ledger
    input:
      table: finproc-prod-ledger
    tags:
      Environment: prod
      Service: finproc-dr

- name: Every day at 06:00 UTC, disabled for now
  finproc.dr.lambda_schedule:
    region: us-east-2
    name: finproc-prod-dr-report
    function_arn: arn:aws:lambda:us-east-2:123456789012:function:finproc-prod-dr-report
    schedule_expression: cron(0 6 * * ? *)
    enabled: false

- name: Remove the schedule and the function's permission
  finproc.dr.lambda_schedule:
    region: us-east-2
    name: finproc-dev-replication-check
    function_arn: arn:aws:lambda:us-east-2:123456789012:function:finproc-dev-replication-check
    state: absent
"""

RETURN = r"""
rule_arn:
  description:
    - The ARN of the rule; for a rule that would be created in check mode, the predicted one (see
      C(msg)). Empty when there is no rule (I(state=absent)).
  returned: always
  type: str
  sample: arn:aws:events:us-east-2:123456789012:rule/finproc-prod-replication-check
msg:
  description: Says that C(rule_arn) is predicted, for a rule that would be created in check mode.
  returned: when a rule would be created in check mode
  type: str
rule:
  description:
    - The rule after the run, as DescribeRule returns it, keys in snake case, with its tags; in check
      mode, as it is.
    - Empty when there is no rule (I(state=absent), or one that would be created in check mode).
  returned: always
  type: dict
  contains:
    name:
      description: The name of the rule.
      type: str
      sample: finproc-prod-replication-check
    arn:
      description: The ARN of the rule.
      type: str
      sample: arn:aws:events:us-east-2:123456789012:rule/finproc-prod-replication-check
    schedule_expression:
      description: The schedule of the rule.
      type: str
      sample: rate(5 minutes)
    state:
      description: C(ENABLED) or C(DISABLED).
      type: str
      sample: ENABLED
    description:
      description: The description of the rule (absent when it has none).
      type: str
      sample: Checks the replication lag of the ledger
    event_bus_name:
      description: The event bus of the rule.
      type: str
      sample: default
    created_by:
      description: The account that created the rule.
      type: str
      sample: "123456789012"
    tags:
      description: The tags of the rule.
      type: dict
      sample: {"Environment": "prod"}
targets:
  description:
    - The targets of the rule after the run, as ListTargetsByRule returns them, keys in snake case; in
      check mode, as they are. Empty when there is no rule.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The ID of the target.
      type: str
      sample: lambda
    arn:
      description: The ARN of the function.
      type: str
      sample: arn:aws:lambda:us-east-2:123456789012:function:finproc-prod-replication-check
    input:
      description: The constant input of the target, as JSON text (absent when it has none).
      type: str
      sample: '{"table":"finproc-prod-ledger"}'
permission:
  description:
    - The statement I(statement_id) of the function's resource policy, as Lambda returns it (GetPolicy,
      or AddPermission when it was added); in check mode, as it is. Empty when there is none.
  returned: always
  type: dict
  sample:
    Sid: finproc-prod-replication-check-invoke
    Effect: Allow
    Principal:
      Service: events.amazonaws.com
    Action: lambda:InvokeFunction
    Resource: arn:aws:lambda:us-east-2:123456789012:function:finproc-prod-replication-check
    Condition:
      StringEquals:
        AWS:SourceAccount: "123456789012"
      ArnLike:
        AWS:SourceArn: arn:aws:events:us-east-2:123456789012:rule/finproc-prod-replication-check
"""

import json
import re

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.finproc.dr.plugins.module_utils.client import aws_client
from ansible_collections.finproc.dr.plugins.module_utils.client import paginate_or_fail
from ansible_collections.finproc.dr.plugins.module_utils.errors import aws_call
from ansible_collections.finproc.dr.plugins.module_utils.resource import AWSResource
from ansible_collections.finproc.dr.plugins.module_utils.resource import resource_argument_spec
from ansible_collections.finproc.dr.plugins.module_utils.resource import run_module
from ansible_collections.finproc.dr.plugins.module_utils.results import diff
from ansible_collections.finproc.dr.plugins.module_utils.results import snake
from ansible_collections.finproc.dr.plugins.module_utils.tagging import apply_tags
from ansible_collections.finproc.dr.plugins.module_utils.tagging import plan_tags
from ansible_collections.finproc.dr.plugins.module_utils.tagging import read_tags

# EventBridge throttles with ThrottlingException and asks the later of two writers on the same rule to try
# again (ConcurrentModificationException), both among the shared client's throttle codes; it also fails now
# and then with InternalException, "This exception occurs due to unexpected causes" (EventBridge API
# reference, Common errors of PutRule/PutTargets,
# https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutTargets.html), tried again as well.
EVENTS_CODES = ("InternalException",)
# Lambda answers ResourceConflictException, "The resource already exists, or another operation is in
# progress" (AddPermission - AWS Lambda, https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html),
# while another change of the function is in progress.
LAMBDA_CODES = ("ResourceConflictException",)

RULE_NAME = re.compile(r"^[.\-_A-Za-z0-9]{1,64}$")
TARGET_ID = RULE_NAME
STATEMENT_ID = re.compile(r"^[a-zA-Z0-9\-_]{1,100}$")
FUNCTION_ARN = re.compile(r"^arn:(aws[a-zA-Z-]*):lambda:([a-z0-9-]+):([0-9]{12}):function:([a-zA-Z0-9\-_.]{1,140})$")
RATE = re.compile(r"^rate\(([0-9]+) ([a-z]+)\)$")
CRON = re.compile(r"^cron\((.*)\)$")
RATE_UNITS = ("minute", "hour", "day")
DEFAULT_BUS = re.compile(r"^(default|arn:aws[a-zA-Z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus/default)$")

PRINCIPAL = "events.amazonaws.com"
ACTION = "lambda:InvokeFunction"
STATEMENT_KEYS = frozenset(("Sid", "Effect", "Principal", "Action", "Resource", "Condition"))


def schedule_problem(expression):
    """Why EventBridge would refuse `expression`; None when its shape is right."""
    rate = RATE.match(expression)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1:
            return "the value of a rate must be a positive whole number"
        base = unit[:-1] if unit.endswith("s") else unit
        if base not in RATE_UNITS:
            return "the unit of a rate must be minute(s), hour(s) or day(s)"
        wanted = base if value == 1 else base + "s"
        if unit != wanted:
            return "with the value %d the unit must be %s (singular for 1, plural otherwise): rate(%d %s)" % (
                value, wanted, value, wanted)
        return None
    cron = CRON.match(expression)
    if cron:
        fields = cron.group(1).split()
        if len(fields) != 6:
            return ("a cron expression has six fields (minutes hours day-of-month month day-of-week year), "
                    "not %d" % len(fields))
        if "?" not in (fields[2], fields[4]):
            return "a cron expression needs a ? in its day-of-month or day-of-week field"
        return None
    return "it must be rate(<value> <unit>) or cron(<six fields>)"


def as_list(value):
    return value if isinstance(value, list) else [value]


def condition_form(condition):
    """A statement's Condition with the keys in lower case (condition keys are case-insensitive)."""
    if not isinstance(condition, dict):
        return condition
    form = {}
    for operator, tests in condition.items():
        if not isinstance(tests, dict):
            return condition
        form[operator] = dict((key.lower(), sorted(as_list(value))) for key, value in tests.items())
    return form


def input_form(text):
    """A target's Input as parsed JSON (so that key order and spacing do not count)."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def rule_settings(rule, targets, statement, tags):
    """What the diff shows."""
    return {
        "schedule_expression": rule.get("ScheduleExpression") if rule else None,
        "description": rule.get("Description", "") if rule else None,
        "state": rule.get("State") if rule else None,
        "targets": targets_result(targets),
        "permission": statement,
        "tags": tags,
    }


def targets_result(targets):
    return [snake(target, keep=["InputPathsMap"]) for target in sorted(targets, key=lambda target: target["Id"])]


class Schedule(AWSResource):
    """The rule, its targets and tags, and the function's statement statement_id.

    The state read is {rule, arn, targets, tags, statement, function_arn}; with state=present it is read
    even without a rule (the statement may be there), so creating the rule is an apply like any change.
    """

    kind = "EventBridge rule"

    def __init__(self, module):
        super(Schedule, self).__init__(module)
        self.bus = module.params["event_bus_name"]
        self.statement_id = module.params["statement_id"] or "%s-invoke" % self.name
        self.function_arn = module.params["function_arn"]
        self.events = aws_client(module, "events", extra_codes=EVENTS_CODES)
        self.lambda_ = aws_client(module, "lambda", extra_codes=LAMBDA_CODES)

    # -- calls -----------------------------------------------------------------------------------
    def describe_rule(self):
        """The rule as DescribeRule returns it; None when there is none."""
        rule = self.call(self.events.describe_rule, "DescribeRule", ignore=("ResourceNotFoundException",),
                         Name=self.name, EventBusName=self.bus)
        if rule is not None:
            rule.pop("ResponseMetadata", None)
        return rule

    def list_targets(self):
        return paginate_or_fail(self.module, self.events, "list_targets_by_rule", "Targets", resource=self.label(),
                                Rule=self.name, EventBusName=self.bus)

    def list_tags(self, arn):
        return read_tags(self.module, self.events, "events", arn, self.label())

    def put_rule(self, create):
        request = {
            "Name": self.name,
            "EventBusName": self.bus,
            "ScheduleExpression": self.params["schedule_expression"],
            "Description": self.params["description"],
            "State": "ENABLED" if self.params["enabled"] else "DISABLED",
        }
        if create and self.params["tags"]:
            request["Tags"] = ansible_dict_to_boto3_tag_list(dict(sorted(self.params["tags"].items())))
        return self.call(self.events.put_rule, "PutRule", **request)["RuleArn"]

    def check_entries(self, response, operation):
        if response.get("FailedEntryCount"):
            self.module.fail_json(
                msg="%s failed for EventBridge rule %s: %s" % (operation, self.name, response.get("FailedEntries")),
                failed_entries=response.get("FailedEntries"),
            )

    def put_target(self, target):
        response = self.call(self.events.put_targets, "PutTargets", Rule=self.name, EventBusName=self.bus,
                             Targets=[target])
        self.check_entries(response, "PutTargets")

    def remove_targets(self, ids):
        response = self.call(self.events.remove_targets, "RemoveTargets", Rule=self.name, EventBusName=self.bus,
                             Ids=ids)
        self.check_entries(response, "RemoveTargets")

    def delete_rule(self):
        self.call(self.events.delete_rule, "DeleteRule", ignore=("ResourceNotFoundException",), Name=self.name,
                  EventBusName=self.bus)

    def get_statement(self, function_arn):
        """The statement statement_id of the function's policy; None without one (or without function)."""
        reply = aws_call(self.module, self.lambda_.get_policy, "GetPolicy", "Lambda function %s" % function_arn,
                         ignore=("ResourceNotFoundException",), FunctionName=function_arn)
        if reply is None:
            return None  # no policy, or no function
        for statement in as_list(json.loads(reply["Policy"]).get("Statement", [])):
            if isinstance(statement, dict) and statement.get("Sid") == self.statement_id:
                return statement
        return None

    def add_permission(self, rule_arn):
        statement = aws_call(
            self.module,
            self.lambda_.add_permission,
            "AddPermission (%s)" % self.statement_id,
            "Lambda function %s" % self.function_arn,
            FunctionName=self.function_arn,
            StatementId=self.statement_id,
            Action=ACTION,
            Principal=PRINCIPAL,
            SourceArn=rule_arn,
            SourceAccount=rule_arn.split(":")[4],
        )["Statement"]
        return json.loads(statement)

    def remove_permission(self, function_arn):
        aws_call(self.module, self.lambda_.remove_permission, "RemovePermission (%s)" % self.statement_id,
                 "Lambda function %s" % function_arn, ignore=("ResourceNotFoundException",),
                 FunctionName=function_arn, StatementId=self.statement_id)

    # -- comparisons -----------------------------------------------------------------------------
    def predicted_arn(self):
        """The ARN EventBridge gives the rule on the default bus, from function_arn's partition and account."""
        partition, _region, account = FUNCTION_ARN.match(self.function_arn).group(1, 2, 3)
        return "arn:%s:events:%s:%s:rule/%s" % (partition, self.module.region, account, self.name)

    def wanted_statement(self, rule_arn):
        """The statement AddPermission makes, as GetPolicy returns it."""
        return {
            "Sid": self.statement_id,
            "Effect": "Allow",
            "Principal": {"Service": PRINCIPAL},
            "Action": ACTION,
            "Resource": self.function_arn,
            "Condition": {
                "StringEquals": {"AWS:SourceAccount": rule_arn.split(":")[4]},
                "ArnLike": {"AWS:SourceArn": rule_arn},
            },
        }

    def statement_matches(self, statement, rule_arn):
        if statement is None or set(statement) - STATEMENT_KEYS:
            return False
        principal = statement.get("Principal")
        if isinstance(principal, dict):
            principal = dict((key, sorted(as_list(value))) for key, value in principal.items())
        wanted = self.wanted_statement(rule_arn)
        return (
            statement.get("Effect") == "Allow"
            and as_list(statement.get("Action")) == [ACTION]
            and principal == {"Service": [PRINCIPAL]}
            and as_list(statement.get("Resource")) == [self.function_arn]
            and condition_form(statement.get("Condition")) == condition_form(wanted["Condition"])
        )

    def wanted_target(self):
        target = {"Id": self.params["target_id"], "Arn": self.function_arn}
        if self.params["input"] is not None:
            target["Input"] = json.dumps(self.params["input"], sort_keys=True, separators=(",", ":"))
        return target

    def target_matches(self, target, wanted):
        if target is None or set(target) != set(wanted):
            return False
        return target["Arn"] == wanted["Arn"] and input_form(target.get("Input")) == input_form(wanted.get("Input"))

    def rule_differs(self, rule):
        return (
            rule.get("ScheduleExpression") != self.params["schedule_expression"]
            or rule.get("Description", "") != self.params["description"]
            or rule.get("State") != ("ENABLED" if self.params["enabled"] else "DISABLED")
        )

    def plan_permission(self, statement, rule_arn):
        """(remove, add, statement after) for the statement `statement` and the rule `rule_arn`."""
        if self.statement_matches(statement, rule_arn):
            return False, False, statement
        return statement is not None, True, self.wanted_statement(rule_arn)

    def refuse_foreign(self, rule):
        if rule.get("ManagedBy"):
            self.module.fail_json(
                msg="EventBridge rule %s is managed by %s and cannot be changed" % (self.name, rule["ManagedBy"])
            )
        if rule.get("EventPattern"):
            self.module.fail_json(
                msg="EventBridge rule %s matches events (it has an event pattern): it is not a schedule of this "
                "module; choose another name" % self.name
            )

    # -- the resource ----------------------------------------------------------------------------
    def read(self):
        rule = self.describe_rule()
        targets, tags = ([], {}) if rule is None else (self.list_targets(), self.list_tags(rule["Arn"]))
        function_arn = self.function_arn
        if function_arn is None:  # state=absent without function_arn: the function of our target
            ours = [t["Arn"] for t in targets if t["Id"] == self.params["target_id"] and FUNCTION_ARN.match(t["Arn"])]
            function_arn = ours[0] if ours else None
        statement = self.get_statement(function_arn) if function_arn else None
        if rule is None and statement is None and self.params["state"] == "absent":
            return None
        return dict(rule=rule, arn=rule["Arn"] if rule else None, targets=targets, tags=tags, statement=statement,
                    function_arn=function_arn)

    def settings(self, state):
        return rule_settings(state["rule"], state["targets"], state["statement"], state["tags"])

    def plan(self, state):
        rule = state["rule"]
        if rule is not None:
            self.refuse_foreign(rule)
        rule_arn = state["arn"] or self.predicted_arn()
        remove_permission, add_permission, after_statement = self.plan_permission(state["statement"], rule_arn)
        wanted = self.wanted_target()
        ours = [target for target in state["targets"] if target["Id"] == wanted["Id"]]
        tags = plan_tags(state["tags"], self.params["tags"], purge=self.params["purge_tags"])
        writes = {
            "rule": [rule_arn] if rule is None or self.rule_differs(rule) else [],
            "remove_permission": [self.statement_id] if remove_permission else [],
            "add_permission": [after_statement] if add_permission else [],
            "strays": sorted(target["Id"] for target in state["targets"] if target["Id"] != wanted["Id"]),
            "target": [] if self.target_matches(ours[0] if ours else None, wanted) else [wanted],
            "tags": tags if tags.changed else None,
        }
        after = {
            "schedule_expression": self.params["schedule_expression"],
            "description": self.params["description"],
            "state": "ENABLED" if self.params["enabled"] else "DISABLED",
            "targets": targets_result([wanted]),
            "permission": after_statement,
            "tags": tags.after,
        }
        return writes, after

    def apply(self, state, writes):
        """The writes in order: rule, permission, targets (strays first), tags; then reads what changed."""
        created = state["rule"] is None
        rule_arn, statement = state["arn"], state["statement"]
        remove_permission, add_permission = bool(writes["remove_permission"]), bool(writes["add_permission"])
        if writes["rule"]:
            rule_arn = self.put_rule(create=created)
            if created:
                # From now on the rule exists: a ResourceNotFoundException (it is not visible yet) is
                # tried again. The permission is compared again with the ARN EventBridge gave the rule.
                self.events = aws_client(self.module, "events", just_created=True, extra_codes=EVENTS_CODES)
                remove_permission, add_permission, _after = self.plan_permission(statement, rule_arn)
        if remove_permission:
            self.remove_permission(self.function_arn)
        if add_permission:
            statement = self.add_permission(rule_arn)
        if writes["strays"]:
            self.remove_targets(writes["strays"])
        if writes["target"]:
            self.put_target(writes["target"][0])
        if not created and writes["tags"]:
            apply_tags(self.module, self.events, "events", rule_arn, writes["tags"], self.label())

        # What changed is read again, to report it as AWS describes it.
        final = dict(state, arn=rule_arn, statement=statement)
        if writes["rule"]:
            final["rule"] = self.describe_rule() or state["rule"]
        if writes["target"] or writes["strays"]:
            final["targets"] = self.list_targets()
        if created or writes["tags"]:
            final["tags"] = self.list_tags(rule_arn)
        return final

    def delete(self, state):
        if state["targets"]:
            self.remove_targets(sorted(target["Id"] for target in state["targets"]))
        if state["rule"] is not None:
            self.delete_rule()
        if state["statement"] is not None:
            self.remove_permission(state["function_arn"])

    def result(self, changed, state, before, after):
        state = state or dict(rule=None, arn=None, targets=[], tags={}, statement=None)
        present = self.params["state"] == "present"
        rule_dict = {}
        if state["rule"]:
            rule_dict = snake(state["rule"], keep=())
            rule_dict["tags"] = state["tags"]
        result = dict(
            changed=changed,
            rule_arn=state["arn"] or (self.predicted_arn() if present else ""),
            rule=rule_dict,
            targets=targets_result(state["targets"]),
            permission=state["statement"] or {},
            diff=diff(before or rule_settings(None, [], None, {}), after or rule_settings(None, [], None, {})),
        )
        if present and state["rule"] is None and self.module.check_mode:
            result["msg"] = (
                "check mode: rule %s would be created; its ARN %s is predicted from the partition and account "
                "of function_arn and the region" % (self.name, result["rule_arn"])
            )
        return result


def validate(module):
    params = module.params
    problems = []
    if not RULE_NAME.match(params["name"]):
        problems.append(
            "name %s is not a valid EventBridge rule name: 1 to 64 letters, digits, dots, hyphens and underscores"
            % params["name"]
        )
    if not TARGET_ID.match(params["target_id"]):
        problems.append(
            "target_id %s is not a valid target ID: 1 to 64 letters, digits, dots, hyphens and underscores"
            % params["target_id"]
        )
    statement_id = params["statement_id"] or "%s-invoke" % params["name"]
    if not STATEMENT_ID.match(statement_id):
        problems.append(
            "statement_id %s is not a valid Lambda statement ID: 1 to 100 letters, digits, hyphens and underscores%s"
            % (statement_id, "" if params["statement_id"] else " (it defaults to <name>-invoke; give statement_id)")
        )
    if params["function_arn"] is not None:
        match = FUNCTION_ARN.match(params["function_arn"])
        if not match:
            problems.append(
                "function_arn %s is not the unqualified ARN of a Lambda function "
                "(arn:<partition>:lambda:<region>:<account>:function:<name>, without a version or alias)"
                % params["function_arn"]
            )
        elif module.region and match.group(2) != module.region:
            problems.append(
                "function_arn %s is in %s, not in the region of the rule (%s): EventBridge rules invoke functions "
                "of their own region" % (params["function_arn"], match.group(2), module.region)
            )
    if params["state"] == "present":
        expression = params["schedule_expression"]
        if expression is not None:
            problem = schedule_problem(expression)
            if problem:
                problems.append("schedule_expression %s is not valid: %s" % (expression, problem))
        if not DEFAULT_BUS.match(params["event_bus_name"]):
            problems.append(
                "event_bus_name %s: EventBridge accepts schedules only on the default event bus"
                % params["event_bus_name"]
            )
    if not module.region:
        problems.append("region is required")
    if problems:
        module.fail_json(msg="; ".join(problems), problems=problems)


def main():
    argument_spec = resource_argument_spec(
        name=dict(type="str", required=True),
        function_arn=dict(type="str"),
        schedule_expression=dict(type="str"),
        description=dict(type="str", default=""),
        enabled=dict(type="bool", default=True),
        input=dict(type="dict"),
        target_id=dict(type="str", default="lambda"),
        statement_id=dict(type="str"),
        event_bus_name=dict(type="str", default="default"),
    )
    run_module(
        argument_spec, Schedule, validate, required_if=[("state", "present", ["function_arn", "schedule_expression"])]
    )


if __name__ == "__main__":
    main()
