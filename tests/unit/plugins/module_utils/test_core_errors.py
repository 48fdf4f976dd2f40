"""errors.py: error codes, the fatal ones, the failure message, aws_call."""

import pytest
from botocore.exceptions import EndpointConnectionError, NoCredentialsError, ParamValidationError
from core_fakes import Failed, FakeModule, client_error

from ansible_collections.finproc.dr.plugins.module_utils import errors


def test_error_code_of_a_client_error_and_of_other_exceptions():
    assert errors.error_code(client_error("NotFound")) == "NotFound"
    assert errors.error_code(NoCredentialsError()) is None
    assert errors.error_code(ValueError("x")) is None


@pytest.mark.parametrize("code", ["ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "AuthFailure"])
def test_refused_credentials_are_fatal(code):
    assert errors.is_fatal(client_error(code))


def test_missing_credentials_and_unreachable_endpoints_are_fatal():
    assert errors.is_fatal(NoCredentialsError())
    assert errors.is_fatal(EndpointConnectionError(endpoint_url="https://sns.us-east-2.amazonaws.com"))


@pytest.mark.parametrize("code", ["AccessDenied", "AccessDeniedException", "NotFound", "Throttling"])
def test_a_refused_call_is_not_fatal(code):
    # The credentials work: one call is refused (dr_controls_info reports it as a failed control).
    assert not errors.is_fatal(client_error(code))
    assert not errors.is_fatal(ValueError("x"))


def test_fail_aws_names_the_operation_the_resource_and_the_region():
    module = FakeModule(region="eu-west-1")
    with pytest.raises(Failed) as failed:
        errors.fail_aws(module, client_error("AccessDenied"), "CreateTopic", "SNS topic alerts")
    assert failed.value.kwargs["msg"].startswith("CreateTopic failed for SNS topic alerts in eu-west-1: ")
    with pytest.raises(Failed) as failed:
        errors.fail_aws(module, client_error("AccessDenied"), "ListTopics")
    assert failed.value.kwargs["msg"].startswith("ListTopics failed in eu-west-1: ")


def test_aws_call_passes_aws_retry_and_the_parameters():
    seen = []

    def fn(**params):
        seen.append(params)
        return {"ok": True}

    assert errors.aws_call(FakeModule(), fn, "Op", Name="x") == {"ok": True}
    assert seen == [{"aws_retry": True, "Name": "x"}]


def test_aws_call_ignores_the_listed_codes_and_fails_on_the_others():
    def fn(**params):
        raise client_error(params["Code"])

    module = FakeModule()
    assert errors.aws_call(module, fn, "DeleteTopic", "SNS topic t", ignore=("NotFound",), Code="NotFound") is None
    with pytest.raises(Failed) as failed:
        errors.aws_call(module, fn, "DeleteTopic", "SNS topic t", ignore=("NotFound",), Code="AccessDenied")
    assert failed.value.kwargs["msg"].startswith("DeleteTopic failed for SNS topic t in us-east-2: ")

    # botocore's own errors (e.g. a parameter botocore refuses) fail the module too
    def invalid(**params):
        raise ParamValidationError(report="bad")

    with pytest.raises(Failed):
        errors.aws_call(module, invalid, "Op")


def test_aws_call_lets_other_exceptions_through():
    def fn(**params):
        raise KeyError("bug")

    with pytest.raises(KeyError):
        errors.aws_call(FakeModule(), fn, "Op")
