#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: lambda_function
version_added: 0.1.0
short_description: Manage a zip-packaged Lambda function ($LATEST), its code, configuration and tags
description:
  - Creates, updates or deletes the Lambda function named I(name) in I(region). Only the
    unpublished version, C($LATEST), is managed; no version is published.
  - The code is packaged by the module itself, in memory, from I(source_files); each file is added
    at its base name to a zip whose bytes depend only on the names and contents of the files
    (entries sorted by name, every entry dated 1980-01-01 00:00:00 with the mode C(0644) of a
    regular file, deflated at level 9, no directory entries). The SHA-256 of that zip, base64
    encoded, is what Lambda reports as C(CodeSha256) for it, so the code is uploaded
    (UpdateFunctionCode) only when the files' contents or names changed; a fresh checkout, other
    timestamps or another order of I(source_files) make no difference.
  - The configuration (I(role_arn), I(runtime), I(handler), I(description), I(timeout),
    I(memory_size), I(environment_variables), I(kms_key_arn), I(log_group), I(log_format)) is
    compared with what GetFunction reports, and the fields that differ, only those, are sent in
    one UpdateFunctionConfiguration. I(architecture) is changed with the code (UpdateFunctionCode).
  - Lambda refuses an update while another is in progress, so before each update the module waits
    until the function is no longer C(Pending) and its C(LastUpdateStatus) is no longer
    C(InProgress), also with I(wait=false).
  - amazon.aws.lambda sends C(KMSKeyArn) on every run when it is set (never idempotent), has no
    logging configuration, needs a zip file (which archive tools rebuild with other timestamps,
    so the code "changes" on every checkout) and does not wait for the function to be ready.
author:
  - finproc.dr maintainers (@finproc)
options:
  name:
    description:
      - The name of the function; 1 to 64 letters, digits, hyphens and underscores (not an ARN).
    type: str
    required: true
  state:
    description:
      - C(present) creates the function or updates it.
      - C(absent) deletes the function (every version and alias with it).
    type: str
    choices: [present, absent]
    default: present
  runtime:
    description:
      - The runtime of the function, for example C(python3.12).
      - Required to create the function; not given, the runtime of an existing function is left
        as it is.
    type: str
  handler:
    description:
      - The function's entry point, for example C(app.handler) (the function C(handler) of
        C(app.py)).
      - Required to create the function; not given, the handler of an existing function is left
        as it is.
    type: str
  role_arn:
    description:
      - The full ARN of the IAM role the function runs as (C(arn:aws:iam::<account>:role/<name>)).
      - Required with I(state=present).
      - A role created just before may not be usable by Lambda yet (IAM is eventually
        consistent); the creation is tried again for up to 60 seconds while Lambda says the role
        cannot be assumed.
    type: str
  description:
    description: The description of the function.
    type: str
    default: ''
  timeout:
    description: Seconds the function may run, 1 to 900.
    type: int
    default: 60
  memory_size:
    description: The memory of the function in MiB, 128 to 10240.
    type: int
    default: 128
  architecture:
    description:
      - The instruction set of the function. A change is made with UpdateFunctionCode, which
        uploads the code again.
    type: str
    choices: [x86_64, arm64]
    default: x86_64
  environment_variables:
    description:
      - The environment variables of the function, all of them; the values must be strings (quote
        numbers and booleans in YAML).
      - An empty dictionary removes every variable. Not given, the variables are left as they are.
      - The variables are returned in I(function) and shown in the diff; do not put secrets in them.
    type: dict
  kms_key_arn:
    description:
      - The ARN of the customer managed KMS key that encrypts the environment variables at rest.
      - An empty string uses the AWS managed key of Lambda. Not given, the key is left as it is.
      - Lambda reports C(KMSKeyArn) only for a customer managed key, so the key is sent only when it
        differs from what Lambda reports.
    type: str
  log_group:
    description:
      - The CloudWatch Logs group the function writes to (C(LoggingConfig.LogGroup)); Lambda's
        default is C(/aws/lambda/<name>).
      - Not given, the log group is left as it is (a new function gets Lambda's default).
    type: str
  log_format:
    description:
      - The format of the function's logs (C(LoggingConfig.LogFormat)); Lambda's default is C(Text).
      - Not given, the format is left as it is (a new function gets Lambda's default).
    type: str
    choices: [Text, JSON]
  source_files:
    description:
      - The files of the code, paths on the host that runs the module. Each is added to the zip at
        its base name (C(src/app.py) becomes C(app.py)); two files with the same base name are an
        error, and so are directories and missing files (before any AWS call).
      - Required with I(state=present).
    type: list
    elements: path
  wait:
    description:
      - Wait, after creating the function, until it is C(Active), and after updating it, until its
        C(LastUpdateStatus) is C(Successful); fail when it becomes C(Failed).
      - Also waits for an update or creation in progress (from a run with I(wait=false), say) when
        nothing is to be changed.
    type: bool
    default: true
  wait_timeout:
    description:
      - The longest time, in seconds, each wait may take (for the function to be ready before an
        update, and after it).
    type: int
    default: 300
extends_documentation_fragment:
  - finproc.dr.aws
  - amazon.aws.tags
notes:
  - The zip's bytes come from Python's C(zipfile) and C(zlib). A host whose zlib compresses
    differently (another zlib implementation, such as zlib-ng) gives another C(CodeSha256) for the
    same files, and the code is uploaded again once from that host.
  - Every file gets the mode C(0644); a custom runtime's C(bootstrap), which must be executable, is
    not supported.
  - The zip is sent in the request, so it must stay under Lambda's limit for direct uploads (50 MB).
    It is never returned.
  - Only functions with C(PackageType) C(Zip) are managed; the module fails on a container image
    function.
  - Tags are read with ListTags and changed with TagResource and UntagResource on the function's
    unqualified ARN; C(aws:) tags are never removed.
  - Check mode is supported; diff mode reports the managed configuration, C(code_sha256) and tags.
"""

EXAMPLES = r"""
- name: The failover checker, packaged from two files
  finproc.dr.lambda_function:
    region: us-east-2
    name: finproc-dev-failover-check
    runtime: python3.12
    handler: check.handler
    role_arn: arn:aws:iam::123456789012:role/finproc-dev-failover-check
    source_files:
      - "{{ role_path }}/files/check.py"
      - "{{ role_path }}/files/common.py"
    timeout: 30
    memory_size: 256
    architecture: arm64
    environment_variables:
      TABLE_NAME: finproc-dev-transactions
      MAX_LAG_SECONDS: "30"
    kms_key_arn: arn:aws:kms:us-east-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
    log_group: /finproc/dev/lambda
    log_format: JSON
    tags:
      Environment: dev
      Service: finproc-dr
  register: checker

- name: Delete it
  finproc.dr.lambda_function:
    region: us-east-2
    name: finproc-dev-failover-check
    state: absent
"""

RETURN = r"""
code_sha256:
  description:
    - The C(CodeSha256) of the package built from I(source_files) (base64 of the SHA-256 of the
      zip); null with I(state=absent).
  returned: always
  type: str
  sample: 2jmj7l5rSw0yVb/vlWAYkK/YBwk2pB4eZ7TZ9DQlHRs=
function:
  description:
    - The function after the run, its configuration as GetFunction describes it, keys in snake
      case (the names of the environment variables and the tags are kept as they are), with its
      tags; in check mode, as it is.
    - For a function that would be created in check mode, what it would be created with (its ARN
      is then null).
    - Empty when there is no function (I(state=absent)).
  returned: always
  type: dict
  contains:
    function_name:
      description: The name of the function.
      type: str
      sample: finproc-dev-failover-check
    function_arn:
      description: The unqualified ARN of the function.
      type: str
      sample: arn:aws:lambda:us-east-2:123456789012:function:finproc-dev-failover-check
    runtime:
      description: The runtime.
      type: str
      sample: python3.12
    handler:
      description: The handler.
      type: str
      sample: check.handler
    role:
      description: The ARN of the function's role.
      type: str
    description:
      description: The description.
      type: str
    timeout:
      description: The timeout in seconds.
      type: int
      sample: 30
    memory_size:
      description: The memory in MiB.
      type: int
      sample: 256
    architectures:
      description: The instruction set, in a list of one.
      type: list
      elements: str
      sample: [arm64]
    code_sha256:
      description: The C(CodeSha256) of the function's code as Lambda reports it.
      type: str
    code_size:
      description: The size of the function's zip in bytes.
      type: int
    environment:
      description: The environment variables (C(variables)); absent when there are none.
      type: dict
      sample: {"variables": {"TABLE_NAME": "finproc-dev-transactions"}}
    kms_key_arn:
      description: The customer managed key of the environment variables; absent with the AWS managed key.
      type: str
    logging_config:
      description: The logging configuration (C(log_format), C(log_group), and the log levels with C(JSON)).
      type: dict
      sample: {"log_format": "JSON", "log_group": "/finproc/dev/lambda", "application_log_level": "INFO"}
    package_type:
      description: C(Zip).
      type: str
    state:
      description: C(Pending), C(Active), C(Inactive) or C(Failed).
      type: str
      sample: Active
    last_update_status:
      description: C(InProgress), C(Successful) or C(Failed).
      type: str
      sample: Successful
    tags:
      description: The tags of the function.
      type: dict
      sample: {"Environment": "dev"}
"""

import base64
import hashlib
import io
import os
import re
import time
import zipfile

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.finproc.dr.plugins.module_utils.client import aws_client
from ansible_collections.finproc.dr.plugins.module_utils.errors import AWS_ERRORS
from ansible_collections.finproc.dr.plugins.module_utils.errors import error_code
from ansible_collections.finproc.dr.plugins.module_utils.idempotency import create_once
from ansible_collections.finproc.dr.plugins.module_utils.resource import AWSResource
from ansible_collections.finproc.dr.plugins.module_utils.resource import resource_argument_spec
from ansible_collections.finproc.dr.plugins.module_utils.resource import run_module
from ansible_collections.finproc.dr.plugins.module_utils.results import diff
from ansible_collections.finproc.dr.plugins.module_utils.results import snake
from ansible_collections.finproc.dr.plugins.module_utils.tagging import apply_tags
from ansible_collections.finproc.dr.plugins.module_utils.tagging import plan_tags
from ansible_collections.finproc.dr.plugins.module_utils.tagging import read_tags
from ansible_collections.finproc.dr.plugins.module_utils.waiters import poll_until

# Lambda throttles with TooManyRequestsException (AWSRetry retries it) and fails inside with ServiceException,
# "The Lambda service encountered an internal error." (GetFunction - AWS Lambda, Errors,
# https://docs.aws.amazon.com/lambda/latest/api/API_GetFunction.html): tried again.
RETRY_CODES = ("ServiceException",)
# Writes to an existing function are refused while an update is in progress: ResourceConflictException, "The
# resource already exists, or another operation is in progress" (UpdateFunctionConfiguration - AWS Lambda,
# https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionConfiguration.html; "Lambda function
# states", https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html). Not for CreateFunction,
# where the same code says that the function exists.
CONFLICT_CODES = RETRY_CODES + ("ResourceConflictException",)

POLL_SECONDS = 2
# How long CreateFunction is tried again while Lambda cannot assume a role that IAM has just made: IAM is
# eventually consistent ("Changes that I make are not always immediately visible", IAM "Troubleshoot general
# issues", https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency)
# and CreateFunction answers InvalidParameterValueException with this message. Told apart from a really
# invalid parameter (the same code) by the message, not by client.JUST_CREATED_CODES.
ROLE_GRACE_SECONDS = 60
ROLE_POLL_SECONDS = 5
ROLE_NOT_READY = "cannot be assumed by Lambda"

ROLE_PATTERN = re.compile(r"^arn:aws[a-zA-Z-]*:iam::\d{12}:role/\S+$")
VARIABLE_PATTERN = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]+$")
LOG_GROUP_PATTERN = re.compile(r"^[.\-_/#A-Za-z0-9]{1,512}$")

# The package: the same names and contents give the same bytes, hence the same CodeSha256.
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
ZIP_FILE_MODE = 0o100644  # a regular file, rw-r--r--
ZIP_COMPRESSLEVEL = 9


# -- the package -------------------------------------------------------------------------------
def build_package(contents):
    """The zip of `contents` (name -> bytes), byte for byte the same for the same names and contents."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(contents):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
            info.create_system = 3  # Unix, whatever the host: the mode is read as Unix permissions
            info.external_attr = ZIP_FILE_MODE << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, contents[name], compress_type=zipfile.ZIP_DEFLATED,
                             compresslevel=ZIP_COMPRESSLEVEL)
    return buffer.getvalue()


def code_sha256(package):
    """CodeSha256 as Lambda computes it: the SHA-256 of the zip, base64 encoded."""
    return to_text(base64.b64encode(hashlib.sha256(package).digest()))


def read_sources(module, paths):
    """name -> bytes of every file of source_files; fails (before any AWS call) on a bad path."""
    contents, origins = {}, {}
    if not paths:
        module.fail_json(msg="source_files must list at least one file")
    for path in paths:
        if not os.path.exists(path):
            module.fail_json(msg="source_files: %s does not exist (on the host that runs the module)" % path)
        if not os.path.isfile(path):
            module.fail_json(msg="source_files: %s is not a regular file; list the files themselves (each is "
                             "added at its base name)" % path)
        name = os.path.basename(path)
        if name in origins:
            module.fail_json(msg="source_files: %s and %s would both be %s in the zip (each file is added at its "
                             "base name)" % (origins[name], path, name))
        try:
            with open(path, "rb") as source:
                contents[name] = source.read()
        except (IOError, OSError) as e:
            module.fail_json(msg="source_files: cannot read %s: %s" % (path, to_text(e)))
        origins[name] = path
    return contents


# -- views -------------------------------------------------------------------------------------
def unqualified(arn):
    """arn:aws:lambda:<region>:<account>:function:<name>, without a version or alias."""
    return ":".join(arn.split(":")[:7]) if arn else arn


def busy(config):
    """Lambda refuses an update while the function is being created or updated."""
    return config.get("State") == "Pending" or config.get("LastUpdateStatus") == "InProgress"


def variables_of(config):
    return dict((config.get("Environment") or {}).get("Variables") or {})


def logging_of(config):
    """LoggingConfig as Lambda reports it, with Lambda's defaults for what it leaves out."""
    logging = {"LogFormat": "Text", "LogGroup": "/aws/lambda/%s" % config.get("FunctionName")}
    logging.update(config.get("LoggingConfig") or {})
    return logging


def view(config, tags):
    """The settings this module manages, for diff."""
    if not config:
        return {}
    logging = logging_of(config)
    return {
        "runtime": config.get("Runtime"),
        "handler": config.get("Handler"),
        "role_arn": config.get("Role"),
        "description": config.get("Description") or "",
        "timeout": config.get("Timeout"),
        "memory_size": config.get("MemorySize"),
        "architecture": (config.get("Architectures") or ["x86_64"])[0],
        "environment_variables": variables_of(config),
        "kms_key_arn": config.get("KMSKeyArn") or "",
        "log_group": logging["LogGroup"],
        "log_format": logging["LogFormat"],
        "code_sha256": config.get("CodeSha256"),
        "tags": dict(tags),
    }


def function_result(config, tags):
    if not config:
        return {}
    config = dict(config)
    config.pop("ResponseMetadata", None)
    function = snake(config, keep=())
    if "environment" in function and "Variables" in (config.get("Environment") or {}):
        function["environment"]["variables"] = dict(config["Environment"]["Variables"])  # names as they are
    function["function_arn"] = unqualified(config.get("FunctionArn"))
    function["tags"] = dict(tags)
    return function


def status_text(config, after=None):
    """The State and LastUpdateStatus of a function, with the reason Lambda gives (the update's, after one)."""
    reason = config.get("LastUpdateStatusReason") if after == "update" else None
    reason = reason or config.get("StateReason") or config.get("LastUpdateStatusReason")
    return "its State is %s and its LastUpdateStatus %s%s" % (
        config.get("State"), config.get("LastUpdateStatus"), " (%s)" % reason if reason else "")


class Function(AWSResource):
    """The function's configuration (GetFunction) and tags: {"config": ..., "tags": ...}."""

    kind = "Lambda function"
    name_pattern = re.compile(r"^[A-Za-z0-9_-]{1,64}\Z")
    name_rule = "1 to 64 letters, digits, hyphens (-) and underscores (_), not an ARN"

    def __init__(self, module):
        super(Function, self).__init__(module)
        self.package = None
        if module.params["state"] == "present":
            self.package = build_package(read_sources(module, module.params["source_files"]))
        self.sha = code_sha256(self.package) if self.package is not None else None
        self.client = aws_client(module, "lambda", extra_codes=RETRY_CODES)
        self.update_client = aws_client(module, "lambda", extra_codes=CONFLICT_CODES)
        self.after = None

    # -- calls -----------------------------------------------------------------------------------
    def get_function(self):
        """The function's configuration (GetFunction); None when there is no such function."""
        found = self.call(self.client.get_function, "GetFunction", ignore=("ResourceNotFoundException",),
                          FunctionName=self.name)
        return None if found is None else found["Configuration"]

    def create_function(self, request):
        """CreateFunction, tried again while Lambda cannot assume the role yet (for ROLE_GRACE_SECONDS)."""
        def role_not_ready(e):
            return error_code(e) == "InvalidParameterValueException" and ROLE_NOT_READY in str(e)

        def attempt():
            # CreateFunction takes no client token; a function's name is unique in its region (a second
            # create: ResourceConflictException, "The resource already exists", CreateFunction - AWS Lambda,
            # https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html). Sent once: after a
            # lost answer, or that code, the function of this name is looked up and adopted.
            try:
                return create_once(self.module, self.client, "create_function", request, self.get_function,
                                   lambda answer: answer, self.label(), exists_codes=["ResourceConflictException"],
                                   reraise=role_not_ready)
            except AWS_ERRORS as e:
                return e  # a role IAM has just made: Lambda sees it a few seconds later

        def timed_out(e):
            self.module.fail_json_aws(
                e, msg="CreateFunction failed for Lambda function %s in %s: Lambda could not assume the role %s for "
                "%d s. Its trust policy must allow lambda.amazonaws.com to sts:AssumeRole."
                % (self.name, self.module.region, request["Role"], ROLE_GRACE_SECONDS))

        return poll_until(self.module, attempt, lambda reply: isinstance(reply, dict), ROLE_GRACE_SECONDS,
                          delay=ROLE_POLL_SECONDS, what="Lambda to assume the role %s" % request["Role"],
                          sleep=time.sleep, clock=time.monotonic, on_timeout=timed_out)

    def update_configuration(self, changes):
        return self.call(self.update_client.update_function_configuration,
                         "UpdateFunctionConfiguration (%s)" % ", ".join(sorted(changes)), FunctionName=self.name,
                         **changes)

    def update_code(self):
        return self.call(self.update_client.update_function_code, "UpdateFunctionCode", FunctionName=self.name,
                         ZipFile=self.package, Architectures=[self.params["architecture"]], Publish=False)

    # -- waits -----------------------------------------------------------------------------------
    def wait_ready(self, config, after=None):
        """GetFunction until the function is neither Pending nor InProgress; its configuration then.

        after="create" fails when the function's State becomes Failed, after="update" when its
        LastUpdateStatus does; after=None (before an update) does not fail on either.
        """
        goal = {"create": "Active", "update": "updated (LastUpdateStatus Successful)"}.get(after, "ready for an update")
        given = [config]

        def read():
            found = given.pop() if given else self.get_function()
            if found is None:
                self.module.fail_json(msg="Lambda function %s disappeared while waiting for it to be %s"
                                      % (self.name, goal))
            if after == "create" and found.get("State") == "Failed":
                self.module.fail_json(
                    msg="Lambda function %s failed to become Active: its State is Failed (%s: %s)"
                    % (self.name, found.get("StateReasonCode"), found.get("StateReason")),
                    function=function_result(found, {}))
            if after == "update" and found.get("LastUpdateStatus") == "Failed":
                self.module.fail_json(
                    msg="the update of Lambda function %s failed: its LastUpdateStatus is Failed (%s: %s)"
                    % (self.name, found.get("LastUpdateStatusReasonCode"), found.get("LastUpdateStatusReason")),
                    function=function_result(found, {}))
            return found

        def timed_out(found):
            self.module.fail_json(
                msg="timed out after %d s waiting for Lambda function %s to be %s: %s. Raise wait_timeout, or look at "
                "the function in the Lambda console." % (self.params["wait_timeout"], self.name, goal,
                                                         status_text(found, after)),
                function=function_result(found, {}))

        return poll_until(self.module, read, lambda found: not busy(found), self.params["wait_timeout"],
                          delay=POLL_SECONDS, what="Lambda function %s to be %s" % (self.name, goal),
                          sleep=time.sleep, clock=time.monotonic, on_timeout=timed_out)

    def check_applied(self, config, wanted, action="the update"):
        """Warn about a setting Lambda reports otherwise than it was sent: every run would change it again."""
        if busy(config):
            return  # not settled yet (wait=false)
        held = view(config, {})
        for key in sorted(wanted):
            if key != "tags" and held.get(key) != wanted[key]:
                self.module.warn(
                    "after %s, Lambda reports %s %r for function %s, not %r as sent: the next run will change it "
                    "again" % (action, key, held.get(key), self.name, wanted[key]))

    def warn_failed(self, config):
        if config.get("State") == "Failed" or config.get("LastUpdateStatus") == "Failed":
            self.module.warn(
                "Lambda function %s is State %s, LastUpdateStatus %s (%s)"
                % (self.name, config.get("State"), config.get("LastUpdateStatus"),
                   config.get("LastUpdateStatusReason") or config.get("StateReason")))

    # -- requests --------------------------------------------------------------------------------
    def wanted_tags(self):
        return plan_tags({}, self.params["tags"]).after

    def create_request(self):
        params = self.params
        request = {
            "FunctionName": self.name,
            "Runtime": params["runtime"],
            "Role": params["role_arn"],
            "Handler": params["handler"],
            "Code": {"ZipFile": self.package},
            "Description": params["description"],
            "Timeout": params["timeout"],
            "MemorySize": params["memory_size"],
            "Publish": False,
            "PackageType": "Zip",
            "Architectures": [params["architecture"]],
        }
        if params["environment_variables"]:
            request["Environment"] = {"Variables": dict(params["environment_variables"])}
        if params["kms_key_arn"]:
            request["KMSKeyArn"] = params["kms_key_arn"]
        logging = {}
        if params["log_format"] is not None:
            logging["LogFormat"] = params["log_format"]
        if params["log_group"] is not None:
            logging["LogGroup"] = params["log_group"]
        if logging:
            request["LoggingConfig"] = logging
        if self.wanted_tags():
            request["Tags"] = dict(sorted(self.wanted_tags().items()))
        return request

    def predicted(self, request):
        """The configuration of a function that would be created (check mode), as Lambda would describe it."""
        config = dict((key, value) for key, value in request.items() if key not in ("Code", "Publish", "Tags"))
        config["FunctionArn"] = None
        config["CodeSha256"] = self.sha
        config["CodeSize"] = len(self.package)
        config["LoggingConfig"] = logging_of(request)
        return config

    # -- the resource ----------------------------------------------------------------------------
    def read(self):
        config = self.get_function()
        if config is None:
            return None
        if self.params["state"] == "present" and config.get("PackageType", "Zip") != "Zip":
            self.module.fail_json(msg="Lambda function %s is packaged as %s; this module manages zip functions only"
                                  % (self.name, config.get("PackageType")), function=function_result(config, {}))
        arn = unqualified(config["FunctionArn"])
        return {"config": config, "tags": read_tags(self.module, self.client, "lambda", arn, self.label())}

    def settings(self, state):
        return view(state["config"], state["tags"])

    def desired(self):
        if not (self.params["runtime"] and self.params["handler"]):
            self.module.fail_json(msg="Lambda function %s does not exist in %s: runtime and handler are required to "
                                  "create it" % (self.name, self.module.region))
        return view(self.predicted(self.create_request()), self.wanted_tags())

    def create(self):
        request = self.create_request()
        tags = self.wanted_tags()
        config = self.create_function(request)
        if self.params["wait"]:
            config = self.wait_ready(config, after="create")
        self.check_applied(config, view(self.predicted(request), tags), "CreateFunction")
        return {"config": config, "tags": tags}

    def plan(self, state):
        """(writes: configuration changes, code to upload, tags; the settings after).

        Nothing to write: a creation or update in progress is waited for (with wait, not in check
        mode), so that the function is returned settled.
        """
        params, config, tags = self.params, state["config"], state["tags"]
        before = view(config, tags)
        after = dict(before)
        changes = {}
        for option, field in (("role_arn", "Role"), ("runtime", "Runtime"), ("handler", "Handler"),
                              ("timeout", "Timeout"), ("memory_size", "MemorySize")):
            if params[option] is not None and params[option] != config.get(field):
                changes[field] = params[option]
                after[option] = params[option]
        if params["description"] != (config.get("Description") or ""):
            changes["Description"] = after["description"] = params["description"]
        wanted = params["environment_variables"]
        if wanted is not None and dict(wanted) != variables_of(config):
            changes["Environment"] = {"Variables": dict(wanted)}
            after["environment_variables"] = dict(wanted)
        if params["kms_key_arn"] is not None and params["kms_key_arn"] != (config.get("KMSKeyArn") or ""):
            changes["KMSKeyArn"] = after["kms_key_arn"] = params["kms_key_arn"]
        held = logging_of(config)
        logging = dict(held)
        if params["log_group"] is not None:
            logging["LogGroup"] = after["log_group"] = params["log_group"]
        if params["log_format"] is not None:
            logging["LogFormat"] = after["log_format"] = params["log_format"]
        if (logging["LogGroup"], logging["LogFormat"]) != (held["LogGroup"], held["LogFormat"]):
            if logging["LogFormat"] != "JSON":  # the log levels are for JSON logs only
                logging.pop("ApplicationLogLevel", None)
                logging.pop("SystemLogLevel", None)
            changes["LoggingConfig"] = logging

        code = self.sha != config.get("CodeSha256") or params["architecture"] != before["architecture"]
        after["code_sha256"] = self.sha
        after["architecture"] = params["architecture"]
        tag_plan = plan_tags(tags, params["tags"], purge=params["purge_tags"])
        after["tags"] = tag_plan.after

        tag_writes = tag_plan if tag_plan.changed else None
        writes = {"configuration": changes, "code": [self.sha] if code else [], "tags": tag_writes}
        if not any(writes.values()):
            if not self.module.check_mode:
                if params["wait"] and busy(config):
                    state["config"] = self.wait_ready(config)
                self.warn_failed(state["config"])
            return writes, before
        self.after = after
        return writes, after

    def apply(self, state, writes):
        config, tags = state["config"], state["tags"]
        changes, code = writes["configuration"], writes["code"]
        if changes or code:
            if busy(config):
                config = self.wait_ready(config)
            if changes:
                config = self.update_configuration(changes)
                if code or self.params["wait"]:
                    config = self.wait_ready(config, after="update")
            if code:
                config = self.update_code()
                if self.params["wait"]:
                    config = self.wait_ready(config, after="update")
            self.check_applied(config, self.after)
        if writes["tags"]:
            arn = unqualified(config["FunctionArn"])
            tags = apply_tags(self.module, self.update_client, "lambda", arn, writes["tags"], self.label())
        return {"config": config, "tags": tags}

    def delete(self, state):
        self.call(self.update_client.delete_function, "DeleteFunction", ignore=("ResourceNotFoundException",),
                  FunctionName=self.name)

    def result(self, changed, state, before, after):
        if self.params["state"] == "absent":
            function = {}
        elif state is None:  # to be created, in check mode: what it would be created with
            function = function_result(self.predicted(self.create_request()), self.wanted_tags())
        else:
            function = function_result(state["config"], state["tags"])
        return dict(changed=changed, function=function, code_sha256=self.sha, diff=diff(before, after))


def validate(module):
    """Bad input is rejected before any AWS call."""
    params = module.params
    if params["wait_timeout"] < 1:
        module.fail_json(msg="wait_timeout must be at least 1 second")
    if params["state"] != "present":
        return
    for option in ("role_arn", "source_files"):
        if params[option] is None:  # given as null: required_if only looks at the option's presence
            module.fail_json(msg="state is present but all of the following are missing: %s" % option)
    if not ROLE_PATTERN.match(params["role_arn"]):
        module.fail_json(msg="role_arn must be the full ARN of an IAM role (arn:aws:iam::<account>:role/<name>), "
                         "not %r" % params["role_arn"])
    if not 1 <= params["timeout"] <= 900:
        module.fail_json(msg="timeout must be 1 to 900 seconds, not %d" % params["timeout"])
    if not 128 <= params["memory_size"] <= 10240:
        module.fail_json(msg="memory_size must be 128 to 10240 MiB, not %d" % params["memory_size"])
    for key, value in (params["environment_variables"] or {}).items():
        if not VARIABLE_PATTERN.match(key):
            module.fail_json(msg="environment_variables: %r is not a valid variable name (a letter, then letters, "
                             "digits and underscores; at least 2 characters)" % key)
        if not isinstance(value, str):
            module.fail_json(msg="environment_variables: the value of %s must be a string, not %s (quote it: "
                             "%s: \"%s\")" % (key, type(value).__name__, key, value))
    kms_key_arn = params["kms_key_arn"]
    if kms_key_arn and not kms_key_arn.startswith("arn:"):
        module.fail_json(msg="kms_key_arn must be the ARN of a KMS key (or '' for the AWS managed key), not %r"
                         % kms_key_arn)
    if params["log_group"] is not None and not LOG_GROUP_PATTERN.match(params["log_group"]):
        module.fail_json(msg="log_group %r is not a CloudWatch Logs group name (1 to 512 letters, digits and . - _ / #)"
                         % params["log_group"])


def main():
    argument_spec = resource_argument_spec(
        name=dict(type="str", required=True),
        runtime=dict(type="str"),
        handler=dict(type="str"),
        role_arn=dict(type="str"),
        description=dict(type="str", default=""),
        timeout=dict(type="int", default=60),
        memory_size=dict(type="int", default=128),
        architecture=dict(type="str", default="x86_64", choices=["x86_64", "arm64"]),
        environment_variables=dict(type="dict"),
        kms_key_arn=dict(type="str", no_log=False),
        log_group=dict(type="str"),
        log_format=dict(type="str", choices=["Text", "JSON"]),
        source_files=dict(type="list", elements="path"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
    )
    run_module(argument_spec, Function, validate, required_if=[["state", "present", ["role_arn", "source_files"]]])


if __name__ == "__main__":
    main()
