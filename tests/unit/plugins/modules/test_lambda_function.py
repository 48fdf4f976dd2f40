"""lambda_function against a botocore Stubber.

Every request is checked against the Lambda API model and its expected parameters; every reply
against the model. A request nobody queued fails, and the Stubber must be drained. The code is
packaged from small files written under pytest's tmp_path.
"""

import base64
import hashlib
import io
import json
import os
import zipfile

import pytest
from ansible.module_utils.common import warnings
from ansible_collections.finproc.dr.plugins.modules import lambda_function
from aws_stub import fake_clock, record_requests, run_module
from botocore.stub import ANY

NAME = "finproc-dev-failover-check"
ACCOUNT = "123456789012"
ARN = f"arn:aws:lambda:us-east-2:{ACCOUNT}:function:{NAME}"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/finproc-dev-failover-check"
OTHER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/finproc-dev-other"
KEY = f"arn:aws:kms:us-east-2:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
LOG_GROUP = "/finproc/dev/lambda"
DEFAULT_LOG_GROUP = f"/aws/lambda/{NAME}"
FILES = {
    "check.py": b"import common\n\n\ndef handler(event, context):\n    return common.lag()\n",
    "common.py": b"def lag():\n    return 0\n",
}
SHA = lambda_function.code_sha256(lambda_function.build_package(FILES))
OLD_SHA = base64.b64encode(hashlib.sha256(b"old package").digest()).decode()
VARIABLES = {"TABLE_NAME": "finproc-dev-transactions", "MAX_LAG_SECONDS": "30"}
TAGS = {"Environment": "dev", "Service": "finproc-dr"}
BY_NAME = {"FunctionName": NAME}
BY_RESOURCE = {"Resource": ARN}
JSON_LOGGING = {"LogFormat": "JSON", "LogGroup": LOG_GROUP, "ApplicationLogLevel": "INFO", "SystemLogLevel": "INFO"}


# -- harness ---------------------------------------------------------------------------------------
@pytest.fixture
def clock(monkeypatch):
    return fake_clock(monkeypatch, lambda_function)


@pytest.fixture
def sent(awslambda):
    """The operation and parameters of every request the module makes."""
    return record_requests(awslambda[0])


@pytest.fixture(autouse=True)
def own_warnings():
    """Ansible keeps module warnings in a process-wide store: only this test's are reported."""
    warnings._global_warnings.clear()
    yield
    warnings._global_warnings.clear()


@pytest.fixture
def sources(tmp_path):
    """The code's files, listed in reverse order of their names (the zip sorts them)."""
    paths = []
    for name in sorted(FILES, reverse=True):
        path = tmp_path / "src" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(FILES[name])
        paths.append(str(path))
    return paths


@pytest.fixture
def args(sources):
    return {
        "name": NAME,
        "runtime": "python3.12",
        "handler": "check.handler",
        "role_arn": ROLE,
        "source_files": sources,
        "environment_variables": VARIABLES,
        "kms_key_arn": KEY,
        "log_group": LOG_GROUP,
        "log_format": "JSON",
        "tags": TAGS,
    }


def run(awslambda, monkeypatch, capsys, args, **kw):
    return run_module(lambda_function.main, args, awslambda[0], monkeypatch, capsys, **kw)


def without(args, *options):
    return {key: value for key, value in args.items() if key not in options}


def ops(sent):
    return [op for op, _params in sent]


def writes(sent):
    return [op for op, _params in sent if not op.startswith(("Get", "List"))]


def params_of(sent, operation):
    return [params for op, params in sent if op == operation]


def configuration(**overrides):
    """A FunctionConfiguration as Lambda reports it for a function made with `args`."""
    config = {
        "FunctionName": NAME,
        "FunctionArn": ARN,
        "Runtime": "python3.12",
        "Role": ROLE,
        "Handler": "check.handler",
        "CodeSize": 321,
        "Description": "",
        "Timeout": 60,
        "MemorySize": 128,
        "LastModified": "2026-01-01T00:00:00.000+0000",
        "CodeSha256": SHA,
        "Version": "$LATEST",
        "Environment": {"Variables": dict(VARIABLES)},
        "KMSKeyArn": KEY,
        "TracingConfig": {"Mode": "PassThrough"},
        "RevisionId": "5f6e7d8c-0000-4000-8000-000000000000",
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "PackageType": "Zip",
        "Architectures": ["x86_64"],
        "EphemeralStorage": {"Size": 512},
        "LoggingConfig": dict(JSON_LOGGING),
    }
    for key, value in overrides.items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    return config


def got(stub, config=None, tags=None):
    """GetFunction of the function (with `config`), and ListTags."""
    get_function(stub, config)
    stub.add_response("list_tags", {"Tags": TAGS if tags is None else tags}, BY_RESOURCE)


def get_function(stub, config=None):
    reply = {
        "Configuration": config or configuration(),
        "Code": {"RepositoryType": "S3", "Location": "https://awslambda-us-east-2-tasks.s3.amazonaws.com/snapshots/x"},
    }
    stub.add_response("get_function", reply, BY_NAME)


def nothing_found(stub):
    stub.add_client_error(
        "get_function",
        service_error_code="ResourceNotFoundException",
        service_message=f"Function not found: {ARN}",
        http_status_code=404,
        expected_params=BY_NAME,
    )


def create_request(**overrides):
    request = {
        "FunctionName": NAME,
        "Runtime": "python3.12",
        "Role": ROLE,
        "Handler": "check.handler",
        "Code": {"ZipFile": ANY},
        "Description": "",
        "Timeout": 60,
        "MemorySize": 128,
        "Publish": False,
        "PackageType": "Zip",
        "Architectures": ["x86_64"],
        "Environment": {"Variables": VARIABLES},
        "KMSKeyArn": KEY,
        "LoggingConfig": {"LogFormat": "JSON", "LogGroup": LOG_GROUP},
        "Tags": TAGS,
    }
    for key, value in overrides.items():
        if value is None:
            request.pop(key, None)
        else:
            request[key] = value
    return request


def pending(**overrides):
    return configuration(
        State="Pending",
        StateReason="The function is being created.",
        StateReasonCode="Creating",
        LastUpdateStatus=None,
        **overrides,
    )


def in_progress(**overrides):
    return configuration(
        LastUpdateStatus="InProgress",
        LastUpdateStatusReason="The function is being updated.",
        LastUpdateStatusReasonCode="Updating",
        **overrides,
    )


def code_request(architecture="x86_64"):
    return {"FunctionName": NAME, "ZipFile": ANY, "Architectures": [architecture], "Publish": False}


def assert_is_our_package(package):
    """The zip the module sent: its CodeSha256, and how it is made."""
    assert base64.b64encode(hashlib.sha256(package).digest()).decode() == SHA
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == sorted(FILES)
        for info in infos:
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.external_attr >> 16 == 0o100644
            assert info.create_system == 3
            assert info.compress_type == zipfile.ZIP_DEFLATED
            assert not info.is_dir()
            assert archive.read(info) == FILES[info.filename]


# -- create ----------------------------------------------------------------------------------------
def test_create_sends_everything_in_one_call_and_waits_until_active(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    nothing_found(stub)
    stub.add_response("create_function", pending(), create_request())
    get_function(stub, pending())
    get_function(stub, configuration())
    result, code = run(awslambda, monkeypatch, capsys, args, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert ops(sent) == ["GetFunction", "CreateFunction", "GetFunction", "GetFunction"]
    assert clock.sleeps == [2, 2]
    assert "warnings" not in result
    assert_is_our_package(params_of(sent, "CreateFunction")[0]["Code"]["ZipFile"])
    assert result["code_sha256"] == SHA
    function = result["function"]
    assert function["function_arn"] == ARN
    assert function["state"] == "Active"
    assert function["last_update_status"] == "Successful"
    assert function["code_sha256"] == SHA
    assert function["environment"] == {"variables": VARIABLES}  # the variables' names as they are
    assert function["logging_config"]["log_format"] == "JSON"
    assert function["tags"] == TAGS
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"] == {
        "runtime": "python3.12",
        "handler": "check.handler",
        "role_arn": ROLE,
        "description": "",
        "timeout": 60,
        "memory_size": 128,
        "architecture": "x86_64",
        "environment_variables": VARIABLES,
        "kms_key_arn": KEY,
        "log_group": LOG_GROUP,
        "log_format": "JSON",
        "code_sha256": SHA,
        "tags": TAGS,
    }


def test_create_with_the_defaults_sends_no_optional_settings(awslambda, monkeypatch, capsys, clock, sent, sources):
    client, stub = awslambda
    nothing_found(stub)
    request = create_request(Environment=None, KMSKeyArn=None, LoggingConfig=None, Tags=None)
    stub.add_response("create_function", configuration(Environment=None, KMSKeyArn=None, LoggingConfig=None), request)
    args = {
        "name": NAME,
        "runtime": "python3.12",
        "handler": "check.handler",
        "role_arn": ROLE,
        "source_files": sources,
    }
    result, code = run(awslambda, monkeypatch, capsys, args, diff=True)
    assert code == 0, result
    assert writes(sent) == ["CreateFunction"]
    assert result["diff"]["after"]["log_group"] == DEFAULT_LOG_GROUP
    assert result["diff"]["after"]["log_format"] == "Text"
    assert result["diff"]["after"]["kms_key_arn"] == ""
    assert result["function"]["tags"] == {}


def test_create_arm64_with_an_empty_key_uses_the_aws_managed_key(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    nothing_found(stub)
    request = create_request(KMSKeyArn=None, Architectures=["arm64"], LoggingConfig={"LogFormat": "JSON"})
    stub.add_response("create_function", configuration(KMSKeyArn=None, Architectures=["arm64"]), request)
    result, code = run(
        awslambda, monkeypatch, capsys, dict(without(args, "log_group"), kms_key_arn="", architecture="arm64")
    )
    assert code == 0, result
    assert result["function"]["architectures"] == ["arm64"]


def test_create_without_wait_returns_the_pending_function(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    nothing_found(stub)
    stub.add_response("create_function", pending(), create_request())
    result, code = run(awslambda, monkeypatch, capsys, dict(args, wait=False))
    assert code == 0, result
    assert ops(sent) == ["GetFunction", "CreateFunction"]
    assert result["function"]["state"] == "Pending"
    assert clock.sleeps == []


@pytest.mark.parametrize(
    ("code", "status"), [("ServiceException", 500), ("ResourceConflictException", 409), ("InternalFailure", 500)]
)
def test_a_lost_create_answer_adopts_the_function_not_a_failure(
    awslambda, monkeypatch, capsys, clock, sent, args, code, status
):
    """CreateFunction answered 5xx (Lambda may have made it) or ResourceConflictException (it exists): the
    function of this name is looked up and used; ONE CreateFunction."""
    client, stub = awslambda
    nothing_found(stub)
    stub.add_client_error("create_function", code, http_status_code=status, expected_params=create_request())
    get_function(stub, pending())  # the look-up: there it is
    result, code = run(awslambda, monkeypatch, capsys, dict(args, wait=False))
    assert code == 0, result
    assert ops(sent) == ["GetFunction", "CreateFunction", "GetFunction"]
    assert result["function"]["function_arn"] == ARN


def test_create_is_tried_again_while_a_new_role_cannot_be_assumed(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    nothing_found(stub)
    stub.add_client_error(
        "create_function",
        service_error_code="InvalidParameterValueException",
        service_message="The role defined for the function cannot be assumed by Lambda.",
        expected_params=create_request(),
    )
    stub.add_response("create_function", configuration(), create_request())
    result, code = run(awslambda, monkeypatch, capsys, args)
    assert code == 0, result
    assert writes(sent) == ["CreateFunction", "CreateFunction"]
    assert clock.sleeps == [5]


def test_a_role_that_stays_unusable_fails_clearly(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    nothing_found(stub)
    for _attempt in range(13):  # every 5 s, up to 60 s
        stub.add_client_error(
            "create_function",
            service_error_code="InvalidParameterValueException",
            service_message="The role defined for the function cannot be assumed by Lambda.",
            expected_params=create_request(),
        )
    result, code = run(awslambda, monkeypatch, capsys, args)
    assert code == 1
    assert f"Lambda could not assume the role {ROLE} for 60 s" in result["msg"]
    assert "lambda.amazonaws.com" in result["msg"]
    assert writes(sent) == ["CreateFunction"] * 13
    assert clock.sleeps == [5] * 12


def test_create_needs_runtime_and_handler(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    nothing_found(stub)
    result, code = run(awslambda, monkeypatch, capsys, without(args, "runtime"))
    assert code == 1
    assert f"Lambda function {NAME} does not exist in us-east-2: runtime and handler are required" in result["msg"]
    assert writes(sent) == []


def test_a_function_that_fails_to_become_active_fails(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    nothing_found(stub)
    stub.add_response("create_function", pending(), create_request())
    failed = configuration(State="Failed", StateReasonCode="InvalidSubnet", StateReason="subnet gone")
    get_function(stub, failed)
    result, code = run(awslambda, monkeypatch, capsys, args)
    assert code == 1
    assert "failed to become Active: its State is Failed (InvalidSubnet: subnet gone)" in result["msg"]


def test_wait_timeout_ends_with_a_clear_failure(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    nothing_found(stub)
    stub.add_response("create_function", pending(), create_request())
    for _attempt in range(3):  # at 2 s, 4 s and 5 s (the deadline)
        get_function(stub, pending())
    result, code = run(awslambda, monkeypatch, capsys, dict(args, wait_timeout=5))
    assert code == 1
    assert clock.sleeps == [2, 2, 1]
    assert result["msg"].startswith(f"timed out after 5 s waiting for Lambda function {NAME} to be Active")
    assert "its State is Pending" in result["msg"]
    assert "(The function is being created.)" in result["msg"]


# -- no change -------------------------------------------------------------------------------------
def test_the_same_function_only_reads(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    got(stub)
    result, code = run(awslambda, monkeypatch, capsys, args, diff=True)
    assert code == 0, result
    assert result["changed"] is False
    assert ops(sent) == ["GetFunction", "ListTags"]
    assert result["diff"]["before"] == result["diff"]["after"]
    assert result["function"]["function_arn"] == ARN
    assert result["function"]["kms_key_arn"] == KEY
    assert result["code_sha256"] == SHA
    assert clock.sleeps == []


def test_options_not_given_leave_the_function_as_it_is(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    got(stub, configuration(Runtime="python3.11", LoggingConfig=None), tags={"Owner": "someone"})
    leave = ("runtime", "handler", "environment_variables", "kms_key_arn", "log_group", "log_format", "tags")
    result, code = run(awslambda, monkeypatch, capsys, {k: v for k, v in args.items() if k not in leave})
    assert code == 0, result
    assert result["changed"] is False
    assert writes(sent) == []


def test_a_function_without_a_customer_key_is_what_an_empty_key_asks(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    got(stub, configuration(KMSKeyArn=None))
    result, code = run(awslambda, monkeypatch, capsys, dict(args, kms_key_arn=""))
    assert code == 0, result
    assert result["changed"] is False
    assert "kms_key_arn" not in result["function"]


def test_lambda_default_logging_is_what_the_defaults_ask(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    got(stub, configuration(LoggingConfig={"LogFormat": "Text", "LogGroup": DEFAULT_LOG_GROUP}))
    result, code = run(awslambda, monkeypatch, capsys, dict(args, log_format="Text", log_group=DEFAULT_LOG_GROUP))
    assert code == 0, result
    assert result["changed"] is False


def test_an_update_in_progress_is_waited_for_with_wait(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    got(stub, in_progress())
    get_function(stub, configuration())
    result, code = run(awslambda, monkeypatch, capsys, args)
    assert code == 0, result
    assert result["changed"] is False
    assert ops(sent) == ["GetFunction", "ListTags", "GetFunction"]
    assert result["function"]["last_update_status"] == "Successful"


# -- configuration ---------------------------------------------------------------------------------
def test_only_the_differing_fields_are_sent_in_one_update(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    held = configuration(
        Timeout=30,
        Description="old",
        Environment={"Variables": {"TABLE_NAME": "old"}},
        LoggingConfig={"LogFormat": "Text", "LogGroup": DEFAULT_LOG_GROUP},
    )
    got(stub, held)
    changes = {
        "FunctionName": NAME,
        "Timeout": 60,
        "Description": "",
        "Environment": {"Variables": VARIABLES},
        "LoggingConfig": {"LogFormat": "JSON", "LogGroup": LOG_GROUP},
    }
    stub.add_response("update_function_configuration", in_progress(), changes)
    get_function(stub, configuration())
    result, code = run(awslambda, monkeypatch, capsys, args, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert ops(sent) == ["GetFunction", "ListTags", "UpdateFunctionConfiguration", "GetFunction"]
    assert clock.sleeps == [2]
    before, after = result["diff"]["before"], result["diff"]["after"]
    assert (before["timeout"], after["timeout"]) == (30, 60)
    assert (before["description"], after["description"]) == ("old", "")
    assert (before["log_format"], after["log_format"]) == ("Text", "JSON")
    assert (before["log_group"], after["log_group"]) == (DEFAULT_LOG_GROUP, LOG_GROUP)
    assert after["environment_variables"] == VARIABLES
    assert before["code_sha256"] == after["code_sha256"] == SHA
    assert result["function"]["last_update_status"] == "Successful"
    assert "warnings" not in result


def test_role_runtime_handler_memory_and_key(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    got(
        stub,
        configuration(Role=OTHER_ROLE, Runtime="python3.11", Handler="old.handler", MemorySize=256, KMSKeyArn=None),
    )
    changes = {
        "FunctionName": NAME,
        "Role": ROLE,
        "Runtime": "python3.12",
        "Handler": "check.handler",
        "MemorySize": 128,
        "KMSKeyArn": KEY,
    }
    stub.add_response("update_function_configuration", configuration(), changes)
    result, code = run(awslambda, monkeypatch, capsys, args)
    assert code == 0, result
    assert writes(sent) == ["UpdateFunctionConfiguration"]


def test_an_empty_key_goes_back_to_the_aws_managed_key(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    got(stub)
    stub.add_response(
        "update_function_configuration", configuration(KMSKeyArn=None), {"FunctionName": NAME, "KMSKeyArn": ""}
    )
    result, code = run(awslambda, monkeypatch, capsys, dict(args, kms_key_arn=""), diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert (result["diff"]["before"]["kms_key_arn"], result["diff"]["after"]["kms_key_arn"]) == (KEY, "")


def test_an_empty_dictionary_removes_the_variables(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    got(stub)
    stub.add_response(
        "update_function_configuration",
        configuration(Environment=None),
        {"FunctionName": NAME, "Environment": {"Variables": {}}},
    )
    result, code = run(awslambda, monkeypatch, capsys, dict(args, environment_variables={}))
    assert code == 0, result
    assert writes(sent) == ["UpdateFunctionConfiguration"]
    assert "environment" not in result["function"]


def test_text_logs_drop_the_json_log_levels(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    got(stub)
    stub.add_response(
        "update_function_configuration",
        configuration(LoggingConfig={"LogFormat": "Text", "LogGroup": LOG_GROUP}),
        {"FunctionName": NAME, "LoggingConfig": {"LogFormat": "Text", "LogGroup": LOG_GROUP}},
    )
    result, code = run(awslambda, monkeypatch, capsys, dict(without(args, "log_group"), log_format="Text"))
    assert code == 0, result
    assert writes(sent) == ["UpdateFunctionConfiguration"]


def test_a_new_log_group_keeps_the_json_log_levels(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    got(stub)
    logging = dict(JSON_LOGGING, LogGroup="/finproc/dev/other")
    stub.add_response(
        "update_function_configuration",
        configuration(LoggingConfig=logging),
        {"FunctionName": NAME, "LoggingConfig": logging},
    )
    result, code = run(
        awslambda, monkeypatch, capsys, dict(without(args, "log_format"), log_group="/finproc/dev/other")
    )
    assert code == 0, result
    assert writes(sent) == ["UpdateFunctionConfiguration"]


def test_a_failed_update_fails_with_its_reason(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    got(stub, configuration(Timeout=30))
    stub.add_response("update_function_configuration", in_progress(), {"FunctionName": NAME, "Timeout": 60})
    failed = configuration(
        LastUpdateStatus="Failed", LastUpdateStatusReasonCode="KMSKeyAccessDenied", LastUpdateStatusReason="no access"
    )
    get_function(stub, failed)
    result, code = run(awslambda, monkeypatch, capsys, args)
    assert code == 1
    assert f"the update of Lambda function {NAME} failed" in result["msg"]
    assert "(KMSKeyAccessDenied: no access)" in result["msg"]


def test_a_function_being_updated_is_waited_for_before_the_update(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    got(stub, in_progress(Timeout=30))
    get_function(stub, configuration(Timeout=30))
    stub.add_response("update_function_configuration", configuration(), {"FunctionName": NAME, "Timeout": 60})
    result, code = run(awslambda, monkeypatch, capsys, dict(args, wait=False))
    assert code == 0, result
    assert ops(sent) == ["GetFunction", "ListTags", "GetFunction", "UpdateFunctionConfiguration"]
    assert clock.sleeps == [2]


# -- code ------------------------------------------------------------------------------------------
def test_other_code_is_uploaded_and_waited_for(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    got(stub, configuration(CodeSha256=OLD_SHA))
    stub.add_response("update_function_code", in_progress(), code_request())
    get_function(stub, in_progress())
    get_function(stub, configuration())
    result, code = run(awslambda, monkeypatch, capsys, args, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert ops(sent) == ["GetFunction", "ListTags", "UpdateFunctionCode", "GetFunction", "GetFunction"]
    assert_is_our_package(params_of(sent, "UpdateFunctionCode")[0]["ZipFile"])
    assert (result["diff"]["before"]["code_sha256"], result["diff"]["after"]["code_sha256"]) == (OLD_SHA, SHA)
    assert clock.sleeps == [2, 2]
    assert "warnings" not in result


def test_configuration_then_code_with_a_wait_between_even_without_wait(
    awslambda, monkeypatch, capsys, clock, sent, args
):
    client, stub = awslambda
    got(stub, configuration(CodeSha256=OLD_SHA, Timeout=30))
    stub.add_response(
        "update_function_configuration", in_progress(CodeSha256=OLD_SHA), {"FunctionName": NAME, "Timeout": 60}
    )
    get_function(stub, configuration(CodeSha256=OLD_SHA))
    stub.add_response("update_function_code", in_progress(), code_request())
    result, code = run(awslambda, monkeypatch, capsys, dict(args, wait=False))
    assert code == 0, result
    assert ops(sent) == ["GetFunction", "ListTags", "UpdateFunctionConfiguration", "GetFunction", "UpdateFunctionCode"]
    assert result["function"]["last_update_status"] == "InProgress"


def test_configuration_then_code_both_waited_for(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    got(stub, configuration(CodeSha256=OLD_SHA, MemorySize=256))
    stub.add_response(
        "update_function_configuration", in_progress(CodeSha256=OLD_SHA), {"FunctionName": NAME, "MemorySize": 128}
    )
    get_function(stub, configuration(CodeSha256=OLD_SHA))
    stub.add_response("update_function_code", in_progress(), code_request())
    get_function(stub, configuration())
    result, code = run(awslambda, monkeypatch, capsys, args)
    assert code == 0, result
    assert writes(sent) == ["UpdateFunctionConfiguration", "UpdateFunctionCode"]
    assert result["function"]["memory_size"] == 128
    assert result["function"]["last_update_status"] == "Successful"


def test_another_architecture_goes_with_the_code(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    got(stub, configuration(Architectures=["x86_64"]))
    stub.add_response("update_function_code", configuration(Architectures=["arm64"]), code_request("arm64"))
    result, code = run(awslambda, monkeypatch, capsys, dict(args, architecture="arm64"), diff=True)
    assert code == 0, result
    assert writes(sent) == ["UpdateFunctionCode"]
    assert (result["diff"]["before"]["architecture"], result["diff"]["after"]["architecture"]) == ("x86_64", "arm64")


def test_lambda_reporting_another_sha_after_an_upload_warns(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    got(stub, configuration(CodeSha256=OLD_SHA))
    stub.add_response("update_function_code", configuration(CodeSha256=OLD_SHA), code_request())
    result, code = run(awslambda, monkeypatch, capsys, args)
    assert code == 0, result
    assert f"Lambda reports code_sha256 '{OLD_SHA}' for function {NAME}, not '{SHA}' as sent" in str(result["warnings"])


def test_settings_lambda_did_not_take_are_warned_about(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    got(stub, configuration(LoggingConfig=None, KMSKeyArn=None))
    changes = {"FunctionName": NAME, "KMSKeyArn": KEY, "LoggingConfig": {"LogFormat": "JSON", "LogGroup": LOG_GROUP}}
    stub.add_response("update_function_configuration", configuration(LoggingConfig=None, KMSKeyArn=None), changes)
    result, code = run(awslambda, monkeypatch, capsys, args)
    assert code == 0, result
    warned = str(result["warnings"])
    assert f"Lambda reports log_format 'Text' for function {NAME}, not 'JSON' as sent" in warned
    assert f"Lambda reports kms_key_arn '' for function {NAME}, not '{KEY}' as sent" in warned
    assert "log_group" in warned and "code_sha256" not in warned


# -- tags ------------------------------------------------------------------------------------------
def test_tags_are_added_and_removed(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    got(stub, tags={"Environment": "dev", "Owner": "someone", "Old": "x", "aws:cloudformation:stack-name": "s"})
    stub.add_response("untag_resource", {}, {"Resource": ARN, "TagKeys": ["Old", "Owner"]})
    stub.add_response("tag_resource", {}, {"Resource": ARN, "Tags": {"Service": "finproc-dr"}})
    result, code = run(awslambda, monkeypatch, capsys, args, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == ["UntagResource", "TagResource"]
    expected = dict(TAGS, **{"aws:cloudformation:stack-name": "s"})
    assert result["diff"]["after"]["tags"] == expected
    assert result["function"]["tags"] == expected


def test_tags_without_purge_only_add(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    got(stub, tags={"Environment": "prod", "Owner": "someone"})
    stub.add_response("tag_resource", {}, {"Resource": ARN, "Tags": TAGS})
    result, code = run(awslambda, monkeypatch, capsys, dict(args, purge_tags=False))
    assert code == 0, result
    assert writes(sent) == ["TagResource"]
    assert result["function"]["tags"] == dict(TAGS, Owner="someone")


def test_tags_of_a_qualified_arn_are_read_on_the_unqualified_one(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    got(stub, configuration(FunctionArn=f"{ARN}:7"))
    result, code = run(awslambda, monkeypatch, capsys, args)
    assert code == 0, result
    assert result["function"]["function_arn"] == ARN


# -- check mode ------------------------------------------------------------------------------------
def test_check_mode_create_writes_nothing_and_says_what_it_would_make(
    awslambda, monkeypatch, capsys, clock, sent, args
):
    client, stub = awslambda
    nothing_found(stub)
    result, code = run(awslambda, monkeypatch, capsys, args, check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == []
    function = result["function"]
    assert function["function_name"] == NAME
    assert function["function_arn"] is None
    assert function["runtime"] == "python3.12"
    assert function["handler"] == "check.handler"
    assert function["code_sha256"] == SHA == result["code_sha256"]
    assert function["environment"] == {"variables": VARIABLES}
    assert function["logging_config"] == {"log_format": "JSON", "log_group": LOG_GROUP}
    assert function["tags"] == TAGS
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["code_sha256"] == SHA
    assert result["diff"]["after"]["kms_key_arn"] == KEY


def test_check_mode_update_writes_nothing_and_predicts(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    got(stub, configuration(CodeSha256=OLD_SHA, Timeout=30, LastUpdateStatus="InProgress"), tags={"Old": "x"})
    result, code = run(awslambda, monkeypatch, capsys, args, check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert ops(sent) == ["GetFunction", "ListTags"]
    before, after = result["diff"]["before"], result["diff"]["after"]
    assert (before["timeout"], after["timeout"]) == (30, 60)
    assert (before["code_sha256"], after["code_sha256"]) == (OLD_SHA, SHA)
    assert (before["tags"], after["tags"]) == ({"Old": "x"}, TAGS)
    assert result["function"]["timeout"] == 30  # as it is
    assert clock.sleeps == []


def test_check_mode_of_the_same_function_is_no_change(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    got(stub)
    result, code = run(awslambda, monkeypatch, capsys, args, check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is False
    assert result["diff"]["before"] == result["diff"]["after"]


# -- absent ----------------------------------------------------------------------------------------
def test_absent_deletes_the_unqualified_function(awslambda, monkeypatch, capsys, clock, sent):
    client, stub = awslambda
    got(stub)
    stub.add_response("delete_function", {}, BY_NAME)
    result, code = run(awslambda, monkeypatch, capsys, {"name": NAME, "state": "absent"}, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == ["DeleteFunction"]
    assert result["diff"]["before"]["code_sha256"] == SHA
    assert result["diff"]["after"] == {}
    assert result["function"] == {}
    assert result["code_sha256"] is None


def test_absent_in_check_mode_deletes_nothing(awslambda, monkeypatch, capsys, clock, sent):
    client, stub = awslambda
    got(stub)
    result, code = run(awslambda, monkeypatch, capsys, {"name": NAME, "state": "absent"}, check_mode=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == []


def test_absent_when_missing_is_no_change(awslambda, monkeypatch, capsys, clock, sent):
    client, stub = awslambda
    nothing_found(stub)
    result, code = run(awslambda, monkeypatch, capsys, {"name": NAME, "state": "absent"})
    assert code == 0, result
    assert result["changed"] is False
    assert writes(sent) == []


# -- the package -----------------------------------------------------------------------------------
class NoModule:
    def fail_json(self, **kwargs):
        raise AssertionError(kwargs["msg"])


def package_of(paths):
    return lambda_function.build_package(lambda_function.read_sources(NoModule(), paths))


def test_the_package_is_the_same_from_build_to_build(sources):
    first = package_of(sources)
    for path in sources:
        os.utime(path, (1_000_000_000, 1_000_000_000))  # another checkout: other timestamps
        os.chmod(path, 0o600)
    again = package_of(sources)
    reordered = package_of(list(reversed(sources)))
    assert first == again == reordered
    assert lambda_function.code_sha256(first) == lambda_function.code_sha256(again) == SHA
    assert_is_our_package(first)


def test_the_sha_is_base64_of_the_sha256_of_the_zip(sources):
    package = package_of(sources)
    assert lambda_function.code_sha256(package) == base64.b64encode(hashlib.sha256(package).digest()).decode("ascii")


def test_other_contents_give_another_sha(sources):
    with open(sources[0], "ab") as source:
        source.write(b"# changed\n")
    assert lambda_function.code_sha256(package_of(sources)) != SHA


def test_the_zip_is_never_in_the_result(awslambda, monkeypatch, capsys, clock, sent, args, sources):
    client, stub = awslambda
    got(stub, configuration(CodeSha256=OLD_SHA))
    stub.add_response("update_function_code", configuration(), code_request())
    result, code = run(awslambda, monkeypatch, capsys, args)
    assert code == 0, result
    text = json.dumps(result)
    package = package_of(sources)
    assert base64.b64encode(package).decode() not in text
    assert "zip_file" not in text and "ZipFile" not in text


@pytest.mark.parametrize(
    "arn, unqualified",
    [(ARN, ARN), (f"{ARN}:7", ARN), (f"{ARN}:$LATEST", ARN), (f"{ARN}:live", ARN)],
)
def test_unqualified(arn, unqualified):
    assert lambda_function.unqualified(arn) == unqualified


# -- errors and arguments --------------------------------------------------------------------------
def test_an_image_function_is_refused(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    get_function(stub, configuration(PackageType="Image"))
    result, code = run(awslambda, monkeypatch, capsys, args)
    assert code == 1
    assert "is packaged as Image; this module manages zip functions only" in result["msg"]


def test_throttling_is_retried(awslambda, monkeypatch, capsys, clock, sent):
    client, stub = awslambda
    stub.add_client_error("get_function", service_error_code="TooManyRequestsException", expected_params=BY_NAME)
    nothing_found(stub)
    result, code = run(awslambda, monkeypatch, capsys, {"name": NAME, "state": "absent"})
    assert code == 0, result
    assert result["changed"] is False


def test_an_api_error_names_the_operation(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    got(stub, configuration(Timeout=30))
    stub.add_client_error(
        "update_function_configuration",
        service_error_code="InvalidParameterValueException",
        service_message="bad timeout",
        expected_params={"FunctionName": NAME, "Timeout": 60},
    )
    result, code = run(awslambda, monkeypatch, capsys, args)
    assert code == 1
    assert result["msg"].startswith(
        f"UpdateFunctionConfiguration (Timeout) failed for Lambda function {NAME} in us-east-2"
    )


@pytest.mark.parametrize(
    "change, says",
    [
        ({"source_files": ["/nonexistent/check.py"]}, "source_files: /nonexistent/check.py does not exist"),
        ({"source_files": []}, "source_files must list at least one file"),
        ({"environment_variables": {"MAX_LAG_SECONDS": 30}}, "the value of MAX_LAG_SECONDS must be a string, not int"),
        ({"environment_variables": {"1BAD": "x"}}, "'1BAD' is not a valid variable name"),
        ({"role_arn": "finproc-dev-failover-check"}, "role_arn must be the full ARN of an IAM role"),
        ({"role_arn": None}, "state is present but all of the following are missing: role_arn"),
        ({"source_files": None}, "state is present but all of the following are missing: source_files"),
        ({"name": f"{ARN}"}, "is not a valid Lambda function name: 1 to 64 letters"),
        ({"timeout": 901}, "timeout must be 1 to 900 seconds"),
        ({"memory_size": 64}, "memory_size must be 128 to 10240 MiB"),
        ({"kms_key_arn": "alias/aws/lambda"}, "kms_key_arn must be the ARN of a KMS key"),
        ({"log_group": "bad group"}, "is not a CloudWatch Logs group name"),
        ({"log_format": "XML"}, "value of log_format must be one of: Text, JSON"),
        ({"wait_timeout": 0}, "wait_timeout must be at least 1 second"),
    ],
)
def test_bad_arguments_fail_before_any_aws_call(awslambda, monkeypatch, capsys, clock, sent, args, change, says):
    result, code = run(awslambda, monkeypatch, capsys, dict(args, **change))
    assert code == 1
    assert says in result["msg"]
    assert sent == []


def test_a_directory_or_two_files_of_one_name_fail_before_any_aws_call(
    awslambda, monkeypatch, capsys, clock, sent, args, sources, tmp_path
):
    result, code = run(awslambda, monkeypatch, capsys, dict(args, source_files=[str(tmp_path / "src")]))
    assert code == 1
    assert "is not a regular file" in result["msg"]
    other = tmp_path / "other" / "check.py"
    other.parent.mkdir()
    other.write_bytes(b"pass\n")
    result, code = run(awslambda, monkeypatch, capsys, dict(args, source_files=sources + [str(other)]))
    assert code == 1
    assert "would both be check.py in the zip" in result["msg"]
    assert sent == []


def test_a_created_function_without_the_logging_sent_is_warned_about(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    nothing_found(stub)
    stub.add_response("create_function", configuration(LoggingConfig=None), create_request())
    result, code = run(awslambda, monkeypatch, capsys, args)
    assert code == 0, result
    assert f"after CreateFunction, Lambda reports log_format 'Text' for function {NAME}" in str(result["warnings"])


def test_an_update_that_never_ends_times_out_with_its_reason(awslambda, monkeypatch, capsys, clock, sent, args):
    client, stub = awslambda
    got(stub, configuration(Timeout=30))
    stub.add_response("update_function_configuration", in_progress(), {"FunctionName": NAME, "Timeout": 60})
    for _attempt in range(2):  # at 2 s and 3 s (the deadline)
        get_function(stub, in_progress())
    result, code = run(awslambda, monkeypatch, capsys, dict(args, wait_timeout=3))
    assert code == 1
    assert clock.sleeps == [2, 1]
    assert f"waiting for Lambda function {NAME} to be updated (LastUpdateStatus Successful)" in result["msg"]
    assert "its State is Active and its LastUpdateStatus InProgress (The function is being updated.)" in result["msg"]
