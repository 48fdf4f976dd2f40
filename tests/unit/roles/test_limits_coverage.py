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

A name or description a task builds (not a plain role setting) is either a setting preflight checks
(with the same rule as the parameter it is sent as) or fits by construction: the longest values
preflight lets through (a 28-character prefix, the longest region botocore knows, a 253-character
service name...) cannot make it longer than the parameter's limit; the alarms' names and
descriptions likewise, from the spec filters called with those values.
"""

import glob
import sys
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
SPEC_LISTS = {"subnets", "gateways", "alarms", "inline_policies", "endpoints"}
RESOURCE_LISTS = {"groups"}
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
            # A list of whole resources of one of our modules (ec2_security_groups' groups, each with its own
            # name, description and tags): each element is walked as the arguments of one resource.
            for param in RESOURCE_LISTS if key.startswith("finproc.dr.") else ():
                for element in args.get(param) or []:
                    if isinstance(element, dict):
                        yield where, task.get("name", ""), key, element


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
        "finproc.dr.iam_role",
        "finproc.dr.s3_bucket",
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
    monkeypatch.delitem(aws_limits.COVERAGE, ("finproc.dr.iam_role", "name"))
    with pytest.raises(AssertionError, match=r"finproc.dr.iam_role's 'name' is not in aws_limits.COVERAGE"):
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


# --- Names and descriptions built in a task: checked by preflight, or fitting by construction -----

EXPRESSION = re.compile(r"\{\{(.*?)\}\}", re.S)
IDENTIFIER = re.compile(r"\b[a-z_][a-z0-9_]*\b")
# Words of Jinja expressions that are no variables.
JINJA_WORDS = {
    "if",
    "else",
    "or",
    "and",
    "not",
    "in",
    "is",
    "true",
    "false",
    "omit",
    "int",
    "string",
    "lower",
    "default",
    "length",
    "item",
}


def _bounds():
    """The longest value each variable an inline name is built from may have, as preflight lets it through."""
    longest_region = max(len(region) for region in preflight.known_regions())
    prefix = preflight._prefix_max_for_elb()  # the name prefix: at most 28 of [a-z0-9-] (NAME_PREFIX_RE)
    return {
        "network_name_prefix": prefix,
        "monitoring_name_prefix": prefix,
        "network_region": longest_region,
        "monitoring_region": longest_region,
        # A whole number of minutes (an EventBridge rate).
        "monitoring_schedule_minutes": 10,
        # Held to S3's 63 characters by preflight's access-log check (_check_access_logs).
        "load_balancing_access_logs_bucket_name": aws_limits.rule("s3_bucket").max,
        # dr_service_name: a DNS name of at most 253 characters, lower-case labels (preflight's _check_dns).
        "load_balancing_certificate_domain_name": 253,
        # The drill's record: the primary's facts (drill_primary) hold its service name, dr_service_name.
        "drill_primary": 0,
        "service_name": 253,
    }


def _inline_values():
    """(where, task, module, parameter, value, rule name) of the names and descriptions the tasks send."""
    found = []
    for where, name, module, args in TASKS:
        if Path(where).name.startswith("destroy"):
            continue  # removes what exists: the names were sent when it was made
        for param in carried(module, args):
            entry = aws_limits.COVERAGE.get((module, param), "")
            if not entry or entry.startswith("tags:") or param in SPEC_LISTS or not isinstance(args[param], str):
                continue  # the spec lists' names: test_the_alarm_names_fit_by_construction
            found.append((where, name, module, param, args[param], entry))
    return found


def _loop_variables(where, name):
    """The variables a task's loop items are (a loop of "{{ variable }}" entries), else none."""
    for task_where, task_name, _module, _args in TASKS:
        if (task_where, task_name) == (where, name):
            break
    data = yaml.safe_load((ROOT / where).read_text())
    for task in data if isinstance(data, list) else []:
        if task.get("name") == name and isinstance(task.get("loop"), list):
            return set(IDENTIFIER.findall(" ".join(map(str, task["loop"]))))
    return set()


# The drill's probe names what the roles made (their settings, as verify.yml reads them).
DRILL = {"drill_table": "data_table_name", "drill_table_key": "data_table_hash_key_name"}


def test_every_name_a_task_builds_is_checked_by_preflight_or_fits_by_construction():
    bounds = _bounds()
    wrong = []
    for where, name, module, param, value, entry in _inline_values():
        limit = aws_limits.rule(entry)
        expressions = EXPRESSION.findall(value)
        variables = set(IDENTIFIER.findall(" ".join(expressions))) - JINJA_WORDS
        if "item" in " ".join(expressions):
            variables |= _loop_variables(where, name)
        variables = {DRILL.get(variable, variable) for variable in variables}
        literal = EXPRESSION.sub("", value)
        if limit.bad_characters(literal) or not variables and limit.refuses(value):
            wrong.append("%s, task %r: %s %r is refused by %s" % (where, name, param, value, limit.describe()))
            continue
        checked = {variable for variable in variables if variable in preflight.NAMED}
        # A value that is a setting preflight checks (or a choice of two, by region or drill step).
        whole = len(expressions) == 1 and not literal.strip(" /").replace("alias", "")
        if whole and checked and checked == variables - {"encryption_region"}:
            # Sent as a setting preflight checks: with the same rule as here (one rule, one place).
            for variable in checked:
                rule = preflight.NAMED[variable][0]
                sent_as_is = re.fullmatch(r"(alias/)?\{\{\s*%s\s*\}\}" % variable, value.strip())
                if rule is not None and sent_as_is and rule != entry:
                    wrong.append(
                        "%s, task %r: %s is sent as %s (%s) and preflight checks %s as %s"
                        % (where, name, param, entry, module, variable, rule)
                    )
            continue
        unbounded = sorted(
            variable for variable in variables if variable not in bounds and variable not in preflight.NAMED
        )
        if unbounded:
            wrong.append(
                "%s, task %r: %s is built from %s, which preflight neither checks nor bounds: add it to "
                "preflight.NAMED (and roles/preflight's preflight_sends) or a bound here"
                % (where, name, param, ", ".join(unbounded))
            )
            continue
        longest = len(literal) + sum(
            bounds[variable] if variable in bounds else (aws_limits.rule(preflight.NAMED[variable][0]).max or 0)
            for variable in variables
        )
        if limit.max is not None and longest > limit.max:
            wrong.append(
                "%s, task %r: %s %r may have %d characters; %s refuses more than %d"
                % (where, name, param, value, longest, limit.describe(), limit.max)
            )
    assert not wrong, "\n".join(wrong)


def test_the_alarm_names_and_descriptions_fit_by_construction():
    # The spec filters build the alarms from the prefix, the regions and names preflight holds to their
    # limits: with the longest of each, every alarm name and description is one CloudWatch takes.
    prefix = "p" * preflight._prefix_max_for_elb()
    region = max(preflight.known_regions(), key=len)
    bucket = "b" * aws_limits.rule("s3_bucket").max
    url = "https://" + "d" * 253 + "/" + "h" * (aws_limits.rule("health_check_path").max - 1)
    alarms = specs.monitor_alarms({
        "alarm_prefix": "%s-%s-monitor-" % (prefix, region), "namespace": "n" * aws_limits.rule("metric_namespace").max,
        "region": region, "schedule_seconds": 86400, "rpo_target_seconds": 86400,
        "endpoints": [{"region": region, "target": "load-balancer", "url": url},
                      {"region": "global", "target": "service-name", "url": url}],
        "peer_regions": [region], "table_name": "t" * aws_limits.rule("dynamodb_table").max, "bucket_name": bucket,
        "bucket_replication_rules": [{"id": "to-" + region, "destination": {"bucket": bucket}}],
        "s3_replication_latency_threshold_seconds": 900, "function_name": "f" * aws_limits.rule("lambda_function").max,
    })  # fmt: skip
    alarms += specs.health_check_alarms(
        [{"region": region, "name": "%s-%s" % (prefix, region), "health_check_id": "h" * 64, "record": "SECONDARY"}],
        {"name_prefix": prefix, "evaluation_periods": 1, "topic_arn": "arn"},
    )
    assert len(alarms) > 8
    for alarm in alarms:
        assert not aws_limits.rule("alarm").refuses(alarm["name"]), alarm["name"]
        assert not aws_limits.rule("alarm_description").refuses(alarm["description"]), alarm["description"]
        for key, value in alarm.get("tags", {}).items():
            assert not aws_limits.tag_rules("cloudwatch").value.refuses(value), (key, value)


def test_a_name_that_could_be_too_long_fails(monkeypatch):
    # With a prefix of 1,000 characters the IAM role descriptions (max 1000) could not be sent.
    bounds = _bounds()
    monkeypatch.setattr(sys.modules[__name__], "_bounds", lambda: dict(bounds, network_name_prefix=1000))
    with pytest.raises(AssertionError, match=r"description .* may have \d+ characters; IAM \(roleDescriptionType"):
        test_every_name_a_task_builds_is_checked_by_preflight_or_fits_by_construction()
