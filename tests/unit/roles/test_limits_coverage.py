"""Every tag, name and description the roles send is covered by a rule read from botocore's models.

The walker parses every task of roles/*/tasks/*.yml and of the playbooks (blocks included) that runs
a module sending something to AWS (not the *_info modules, not state absent or get), and lists the
parameters that carry tags, names or descriptions (`tags`, `name`, `alias`, `description`, `comment`,
`*_name`, `*_description`, and our modules' lists of specs: subnets, NAT gateways, alarms, a nested
resource with its own name or tags). Each must be in aws_limits.COVERAGE, which maps it to a rule of
aws_limits (a tag API of TAG_APIS, or a rule of RULES) standing on a (service, operation, member) of
the installed botocore model. A new task, module or parameter fails here, saying what to add.

Each tagged task's tags are also checked against preflight's table of what the roles tag (TAGGED:
the role's tags variable, the tag API's service, the tags the collection adds), so that preflight's
count of tags on each resource includes every tag the collection adds there.
"""

import glob
import re
from pathlib import Path

import pytest
import yaml
from ansible_collections.finproc.dr.plugins.filter import preflight, specs
from ansible_collections.finproc.dr.plugins.module_utils import aws_limits

ROOT = Path(__file__).resolve().parents[3]
TASK_KEYWORDS = {
    "action", "always", "any_errors_fatal", "args", "async", "become", "block", "changed_when", "check_mode",
    "delay", "delegate_to", "environment", "failed_when", "ignore_errors", "listen", "local_action", "loop",
    "loop_control", "module_defaults", "name", "no_log", "notify", "poll", "register", "rescue", "retries",
    "run_once", "tags", "throttle", "until", "vars", "when",
}  # fmt: skip
CARRIES = re.compile(r"^(tags|resource_tags|name|alias|description|comment|display_name|.*_name|.*_description)$")
# Our modules' lists of specs that carry tags and names of their own.
SPEC_LISTS = {"subnets", "gateways", "alarms"}
# Parameters that match the pattern and send no name, tag or description AWS limits, each with why.
NOT_LIMITED = {
    ("amazon.aws.route53", "alias"): "a boolean: whether the record is an alias record",
    ("finproc.dr.sns_topic", "display_name"): (
        "a topic attribute (SetTopicAttributes DisplayName): the SNS model gives AttributeValue no limit, and AWS "
        "documents one only for SMS senders, which the topics do not have (e-mail subscriptions only)"
    ),
}


def _tasks(tasks, where):
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        for key in ("block", "rescue", "always"):
            yield from _tasks(task.get(key), where)
        for key, args in task.items():
            if key in TASK_KEYWORDS or "." not in key or not isinstance(args, dict):
                continue
            yield where, task.get("name", ""), key, args


def sending_tasks():
    """(file, task name, module, args) of every task that may send something to AWS."""
    found = []
    for path in sorted(glob.glob(str(ROOT / "roles/*/tasks/*.yml")) + glob.glob(str(ROOT / "playbooks/*.yml"))):
        where = str(Path(path).relative_to(ROOT))
        data = yaml.safe_load(Path(path).read_text()) or []
        plays = data if where.startswith("playbooks/") else [{"tasks": data}]
        for play in plays:
            for section in ("pre_tasks", "tasks", "post_tasks", "handlers"):
                for item in _tasks(play.get(section), where):
                    module, args = item[2], item[3]
                    if module.startswith(("ansible.builtin.", "community.general.")) or module.endswith("_info"):
                        continue
                    if args.get("state") in ("absent", "get"):
                        continue
                    found.append(item)
    return found


def carried(module, args):
    """The parameters of a task that carry tags, names or descriptions."""
    params = []
    for param, value in args.items():
        if CARRIES.match(param) or (module.startswith("finproc.dr.") and param in SPEC_LISTS):
            params.append(param)
        elif isinstance(value, dict) and ({"name", "tags"} & set(value)):
            params.append(param)  # a nested resource with its own name or tags (the VPC's internet gateway)
    return params


TASKS = sending_tasks()


def test_the_walker_finds_the_roles_tasks():
    modules = {module for _where, _name, module, _args in TASKS}
    # A walker that finds nothing proves nothing: these modules are the stack's.
    for expected in (
        "amazon.aws.iam_role",
        "amazon.aws.s3_bucket",
        "finproc.dr.lambda_function",
        "finproc.dr.sns_topic",
        "finproc.dr.cloudwatch_metric_alarms",
        "amazon.aws.elb_application_lb",
    ):
        assert expected in modules, sorted(modules)
    assert len(TASKS) > 30


def test_every_tag_and_name_the_roles_send_is_covered_by_a_model_rule():
    missing = []
    for where, name, module, args in TASKS:
        for param in carried(module, args):
            if (module, param) in NOT_LIMITED:
                continue
            if (module, param) not in aws_limits.COVERAGE:
                missing.append(
                    "%s, task %r: %s's %r is not in aws_limits.COVERAGE: add (%r, %r) -> 'tags:<service>' (its tag "
                    "API in TAG_APIS) or a rule of RULES (the service, operation and member it is sent as), or to "
                    "NOT_LIMITED here with the reason" % (where, name, module, param, module, param)
                )
    assert not missing, "\n".join(missing)


def test_every_covered_parameter_stands_on_the_installed_model():
    used = set()
    for _where, _name, module, args in TASKS:
        for param in carried(module, args):
            if (module, param) in aws_limits.COVERAGE:
                used.add(aws_limits.COVERAGE[(module, param)])
    assert used
    for entry in sorted(used):
        for service, operation, member in aws_limits.coverage_target(entry):
            try:
                aws_limits.member_shape(service, operation, member)
            except (KeyError, AttributeError) as error:  # pragma: no cover - what a renamed member does
                pytest.fail(
                    "%s: %s %s %s is not in the installed botocore model (%s)"
                    % (entry, service, operation, member, error)
                )


def test_an_unmapped_parameter_fails_the_walker(monkeypatch):
    # The test above is not vacuous: a parameter taken out of the table is reported with what to add.
    monkeypatch.delitem(aws_limits.COVERAGE, ("amazon.aws.iam_role", "name"))
    with pytest.raises(AssertionError, match=r"amazon.aws.iam_role's 'name' is not in aws_limits.COVERAGE"):
        test_every_tag_and_name_the_roles_send_is_covered_by_a_model_rule()


# --- Tags: what each task adds, against preflight's TAGGED ----------------------------------------

STACK_VARIABLE = re.compile(r"\b([a-z_]+?)_stack_tags\b")
TAGS_VARIABLE = re.compile(r"\b([a-z_]+?_tags)\b")
COMBINED_KEYS = re.compile(r"combine\(\{(.*?)\}\)", re.S)
LITERAL_KEY = re.compile(r"'([^']+)'\s*:")


def _role_stack_tags():
    """Each role's <role>_stack_tags as its vars/main.yml defines it: (its tags variable, the keys it adds)."""
    found = {}
    for path in glob.glob(str(ROOT / "roles/*/vars/main.yml")):
        for variable, value in (yaml.safe_load(Path(path).read_text()) or {}).items():
            if variable.endswith("_stack_tags"):
                combined = COMBINED_KEYS.search(value)
                found[variable] = (
                    TAGS_VARIABLE.search(value).group(1),
                    set(LITERAL_KEY.findall(combined.group(1))) if combined else set(),
                )
    return found


def _spec_keys():
    """The tags the spec filters add to those they are given (called, not read)."""
    given = {"Team": "ops"}
    subnets = specs.subnet_specs(
        {
            "azs": ["a"],
            "public_subnet_cidrs": ["10.0.0.0/24"],
            "private_subnet_cidrs": ["10.0.1.0/24"],
            "name_prefix": "p",
            "tags": given,
        }
    )
    nats = specs.nat_gateway_specs(
        {"count": 1, "public_subnet_ids": ["s"], "azs": ["a"], "name_prefix": "p", "tags": given}
    )
    alarms = specs.health_check_alarms(
        [{"region": "r", "name": "n", "health_check_id": "h", "record": ""}],
        {"name_prefix": "p", "evaluation_periods": 1, "topic_arn": "t"},
    )
    return {
        "subnet_specs": set(subnets[0]["tags"]) - set(given),
        "nat_gateway_specs": set(nats[0]["tags"]) - set(given),
        "health_check_alarms": set(alarms[0]["tags"]),
    }


def tagged_tasks():
    """(where, task, module, the role's tags variable, the tag API's service, the tag keys the task adds)."""
    stacks = _role_stack_tags()
    spec_keys = _spec_keys()
    found = []
    for where, name, module, args in TASKS:
        for param in carried(module, args):
            entry = aws_limits.COVERAGE.get((module, param), "")
            value = args[param]
            text = value if isinstance(value, str) else str(value)
            if not entry.startswith("tags:") or not TAGS_VARIABLE.search(text):
                continue
            added = set()
            stack = STACK_VARIABLE.search(text)
            if stack:
                variable, stack_keys = stacks[stack.group(0)]
                added |= stack_keys
            else:
                variable = TAGS_VARIABLE.search(text).group(1)
            for combined in COMBINED_KEYS.findall(text):
                added |= set(LITERAL_KEY.findall(combined))
            for filter_name, keys in spec_keys.items():
                if filter_name in text:
                    added |= keys
            # A module that makes its name a Name tag (COVERAGE maps that name to the tag API).
            for other in args:
                names_a_tag = aws_limits.COVERAGE.get((module, other), "").startswith("tags:")
                if other != param and names_a_tag and not isinstance(args[other], dict):
                    added.add("Name")
            found.append((where, name, module, variable, entry[len("tags:") :], added))
    return found


def test_the_walker_finds_the_tagged_tasks():
    tagged = tagged_tasks()
    assert len(tagged) > 20
    services = {service for *_rest, service, _added in tagged}
    assert {
        "ec2",
        "kms",
        "dynamodb",
        "s3",
        "iam",
        "logs",
        "elbv2",
        "acm",
        "route53",
        "sns",
        "lambda",
        "events",
        "cloudwatch",
    } <= services


def test_preflight_counts_every_tag_the_collection_adds():
    wrong = []
    for where, name, module, variable, service, added in tagged_tasks():
        entries = [entry for entry in preflight.TAGGED if entry[0] == variable and entry[2] == service]
        if not any(added <= set(entry[3]) for entry in entries):
            wrong.append(
                "%s, task %r (%s): %s's tags on %s with %s added; preflight.TAGGED has %s: add or widen an entry "
                "(%r, <resources>, %r, %r)"
                % (
                    where,
                    name,
                    module,
                    variable,
                    service,
                    sorted(added),
                    [entry[3] for entry in entries] or "none",
                    variable,
                    service,
                    tuple(sorted(added)),
                )
            )
    assert not wrong, "\n".join(wrong)


def test_every_entry_of_tagged_is_a_task_of_the_roles():
    # No stale line in preflight's table: each (variable, service) is tagged by some task.
    seen = {(variable, service) for *_rest, variable, service, _added in tagged_tasks()}
    for variable, label, service, _added in preflight.TAGGED:
        assert (variable, service) in seen, (variable, label, service)


def test_every_name_preflight_checks_is_a_setting_it_is_given():
    # roles/preflight passes each name, number and tags variable that the filter knows (and no other).
    sends = yaml.safe_load((ROOT / "roles/preflight/vars/main.yml").read_text())["preflight_sends"]
    assert set(sends["names"]) == set(preflight.NAMED)
    assert set(sends["numbers"]) == set(preflight.NUMBERS)
    assert set(sends["tags"]) == {entry[0] for entry in preflight.TAGGED}
    for group in sends.values():
        for variable, value in group.items():
            assert value == "{{ %s }}" % variable, variable  # read from the role's own setting, not rebuilt


def test_a_tag_the_collection_adds_that_preflight_does_not_count_fails(monkeypatch):
    # Without finproc:tier on the subnets and route tables, preflight would count one tag too few there.
    narrowed = tuple(
        (variable, label, service, tuple(key for key in added if key != "finproc:tier"))
        for variable, label, service, added in preflight.TAGGED
    )
    monkeypatch.setattr(preflight, "TAGGED", narrowed)
    with pytest.raises(
        AssertionError, match=r"network_tags's tags on ec2 with \['Name', 'finproc:stack', 'finproc:tier'\]"
    ):
        test_preflight_counts_every_tag_the_collection_adds()
