"""idempotency.py: outcomes of errors, client tokens, the single-attempt client and create_once.

The retry tests use real botocore clients whose HTTP layer is a ``before-send`` handler (botocore's Stubber
answers before the retry handler runs, so it cannot show a retry): every request the client really sends
is counted, and answered 500 InternalError, or cut (ConnectionClosedError, ReadTimeoutError) as a lost
answer looks to the SDK.
"""

import re

import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    ProxyConnectionError,
    ReadTimeoutError,
    SSLError,
)
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from core_fakes import Failed, FakeModule, client_error, stubbed

from ansible_collections.finproc.dr.plugins.module_utils import idempotency
from ansible_collections.finproc.dr.plugins.module_utils.client import aws_client

SUBNET = {"SubnetId": "subnet-1", "VpcId": "vpc-1", "CidrBlock": "10.0.0.0/24"}
CREATE = {"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/24", "AvailabilityZone": "us-east-2a"}


def server_error(code="InternalError", status=500, operation="CreateSubnet"):
    return ClientError(
        {"Error": {"Code": code, "Message": "injected"}, "ResponseMetadata": {"HTTPStatusCode": status}}, operation
    )


# -- outcome -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        client_error("Throttling"),
        client_error("ThrottlingException"),
        client_error("RequestLimitExceeded"),
        server_error("RequestLimitExceeded", 503),  # EC2's throttling answers 503: still a refusal
        server_error("SlowDown", 503),
        client_error("PriorRequestNotComplete"),
        client_error("ConcurrentModificationException"),
        client_error("Throttled"),
        EndpointConnectionError(endpoint_url="https://ec2.us-east-2.amazonaws.com"),
        ConnectTimeoutError(endpoint_url="https://ec2.us-east-2.amazonaws.com"),
    ],
)
def test_refused_errors_are_those_where_aws_did_not_act(error):
    assert idempotency.outcome(error) == idempotency.REFUSED


@pytest.mark.parametrize(
    "error",
    [
        server_error("InternalError", 500),
        server_error("InternalFailure", 500),
        server_error("ServiceUnavailable", 503),
        server_error("Unavailable", 503),
        server_error("BadGateway", 502),
        server_error("GatewayTimeout", 504),
        server_error("Whatever", 500),  # any 5xx
        client_error("InternalError"),  # the code alone (no status in the response)
        client_error("RequestTimeout"),
        ConnectionClosedError(endpoint_url="https://ec2.us-east-2.amazonaws.com"),
        ReadTimeoutError(endpoint_url="https://ec2.us-east-2.amazonaws.com"),
        # May come after the request was sent (a TLS-inspecting proxy resetting while the answer is read).
        SSLError(endpoint_url="https://ec2.us-east-2.amazonaws.com", error="reset"),
        ProxyConnectionError(proxy_url="http://proxy:3128", error="reset"),
        idempotency.OutcomeUnknown("CreateSubnet"),
    ],
)
def test_unknown_outcomes_are_server_failures_and_lost_answers(error):
    assert idempotency.outcome(error) == idempotency.UNKNOWN


@pytest.mark.parametrize(
    "error",
    [
        client_error("InvalidParameterValue"),
        client_error("AccessDenied"),
        client_error("LimitExceededException"),  # a quota (KMS, IAM, Lambda): not a refusal to retry
        client_error("ResourceInUseException"),
        server_error("ValidationError", 400),
        NoCredentialsError(),
        ParamValidationError(report="bad"),
        ValueError("x"),
    ],
)
def test_other_errors_failed(error):
    assert idempotency.outcome(error) == idempotency.FAILED


# -- client_token --------------------------------------------------------------------------------


def test_the_same_identity_gives_the_same_token():
    first = idempotency.client_token("nat", "us-east-2", "vpc-1", "subnet-1", "eipalloc-1")
    assert first == idempotency.client_token("nat", "us-east-2", "vpc-1", "subnet-1", "eipalloc-1")
    assert len(first) == 64 and all(c in "0123456789abcdef" for c in first)


def test_another_identity_or_parent_gives_another_token():
    base = idempotency.client_token("nat", "us-east-2", "vpc-1", "subnet-1", "eipalloc-1")
    assert idempotency.client_token("nat", "us-east-2", "vpc-2", "subnet-1", "eipalloc-1") != base  # rebuilt VPC
    assert idempotency.client_token("nat", "us-west-2", "vpc-1", "subnet-1", "eipalloc-1") != base
    assert idempotency.client_token("nat", "us-east-2", "vpc-1", "subnet-1", "eipalloc-2") != base
    # parts are separated: ("ab", "c") is not ("a", "bc")
    assert idempotency.client_token("ab", "c") != idempotency.client_token("a", "bc")


def test_settings_count_by_content_not_by_order():
    one = idempotency.client_token("cert", {"b": 2, "a": 1}, ["x", "y"])
    assert one == idempotency.client_token("cert", {"a": 1, "b": 2}, ["x", "y"])
    assert one != idempotency.client_token("cert", {"a": 1, "b": 3}, ["x", "y"])


@pytest.mark.parametrize(
    ("service", "operation", "member"),
    [
        ("ec2", "CreateNatGateway", "ClientToken"),
        ("ec2", "CreateFlowLogs", "ClientToken"),
        ("ec2", "CreateVpcEndpoint", "ClientToken"),
        ("acm", "RequestCertificate", "IdempotencyToken"),
        ("route53", "CreateHealthCheck", "CallerReference"),
        ("route53", "CreateHostedZone", "CallerReference"),
    ],
)
def test_the_token_fits_the_model_of_each_api_that_takes_one(service, operation, member):
    shape = botocore.session.get_session().get_service_model(service).operation_model(operation).input_shape
    limits = shape.members[member].metadata
    length = min(64, limits.get("max", 64))
    token = idempotency.client_token(service, operation, length=length)
    assert limits.get("min", 1) <= len(token) <= limits.get("max", 64)
    if "pattern" in limits:
        assert re.fullmatch(limits["pattern"], token)


def test_client_token_refuses_unknown_keywords():
    with pytest.raises(TypeError):
        idempotency.client_token("x", lenght=3)


# -- the single-attempt client: botocore sends the create once, in every retry mode ---------------


class Wire:
    """The HTTP layer of a real botocore client: counts the sends, answers each with `answer(request)`."""

    def __init__(self, client, answer):
        self.sends = []
        self.answer = answer
        client.meta.events.register("before-send", self.send)

    def send(self, request, **kwargs):
        self.sends.append(request)
        return self.answer(request)


def answer_500(request):
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>InternalError</Code>'
        b"<Message>injected</Message></Error></Errors><RequestID>r-1</RequestID></Response>"
    )
    return AWSResponse(request.url, 500, {}, FakeRaw(body))


def answer_closed(request):
    raise ConnectionClosedError(endpoint_url=request.url)


class FakeRaw:
    def __init__(self, body):
        self.body = body

    def stream(self, **kwargs):
        yield self.body


def real_client(service="ec2", aws_config=None):
    session = botocore.session.get_session()
    config = Config(**aws_config) if aws_config else None
    return session.create_client(
        service,
        region_name="us-east-2",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=config,
    )


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)


@pytest.fixture(autouse=True)
def no_retry_env(monkeypatch):
    for name in ("AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS", "AWS_CONFIG_FILE", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")


@pytest.mark.parametrize("mode", ["legacy", "standard", "adaptive"])
@pytest.mark.parametrize("answer", [answer_500, answer_closed])
def test_botocore_repeats_a_create_after_a_lost_answer_unless_single_attempt(mode, answer, monkeypatch):
    monkeypatch.setenv("AWS_RETRY_MODE", mode)
    # The harness sees botocore's own retries: a plain client sends CreateSubnet several times ...
    plain = real_client()
    wire = Wire(plain, answer)
    with pytest.raises((ConnectionClosedError, plain.exceptions.ClientError)):
        plain.create_subnet(**CREATE)
    assert len(wire.sends) > 1
    # ... the single-attempt one once, in the same mode.
    once = real_client(aws_config=idempotency.single_attempt_config())
    assert once.meta.config.retries["mode"] == mode
    wire = Wire(once, answer)
    with pytest.raises((ConnectionClosedError, once.exceptions.ClientError)):
        once.create_subnet(**CREATE)
    assert len(wire.sends) == 1


def test_single_attempt_wins_over_the_users_max_attempts_everywhere(monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "7")
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    config = idempotency.single_attempt_config(
        {"retries": {"max_attempts": 9, "mode": "standard"}, "user_agent_extra": "x"}
    )
    assert config == {"retries": {"mode": "standard", "total_max_attempts": 1}, "user_agent_extra": "x"}
    client = real_client(aws_config=config)
    wire = Wire(client, answer_500)
    with pytest.raises(client.exceptions.ClientError):
        client.create_subnet(**CREATE)
    assert len(wire.sends) == 1


class RealModule(FakeModule):
    """module.client() as amazon.aws builds it: a real botocore client with the given aws_config (the
    user's, from the module's parameters, unless the caller passes one), whose sends `wires` counts."""

    def __init__(self, answer, params=None):
        super().__init__(params=params)
        self.answer = answer
        self.wires = []

    def client(self, service, retry_decorator=None, region=None, aws_config=None):
        self.client_calls.append((service, retry_decorator, {"region": region, "aws_config": aws_config}))
        raw = real_client(service, aws_config if aws_config is not None else self.params.get("aws_config"))
        self.wires.append(Wire(raw, self.answer))
        return raw if retry_decorator is None else RetryingBotoClientWrapper(raw, retry_decorator)


def test_create_once_sends_one_create_through_botocore_and_adopts_what_find_sees(monkeypatch):
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    module = RealModule(answer_500, params={"aws_config": {"retries": {"max_attempts": 5}}})
    client = aws_client(module, "ec2")
    sends = module.wires[0].sends  # the ordinary client: never used for the create
    looked = []

    def find():
        looked.append(1)
        return SUBNET

    got = idempotency.create_once(module, client, "create_subnet", CREATE, find, lambda r: r["Subnet"], "subnet")
    assert got == SUBNET
    creates = [r for r in module.wires[1].sends if "CreateSubnet" in str(r.body)]
    assert len(creates) == 1 and sends == [] and looked == [1]
    retries = module.client_calls[1][2]["aws_config"]["retries"]
    assert retries["total_max_attempts"] == 1 and "max_attempts" not in retries


def test_the_ordinary_retrying_client_would_have_sent_the_create_again(monkeypatch):
    # What create_once prevents: AWSRetry (InternalError) times botocore's retries.
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    module = RealModule(answer_500)
    client = aws_client(module, "ec2", retries=1)
    with pytest.raises(ClientError):
        client.create_subnet(aws_retry=True, **CREATE)
    assert len(module.wires[0].sends) > 2


# -- create_once, outcome by outcome (Stubber) ----------------------------------------------------


@pytest.fixture
def ec2():
    client, stub = stubbed("ec2")
    with stub:
        yield client, stub
        stub.assert_no_pending_responses()


def run(module, client, find=None, **kwargs):
    return idempotency.create_once(
        module,
        client,
        "create_subnet",
        CREATE,
        find or (lambda: None),
        lambda r: r["Subnet"],
        "subnet 10.0.0.0/24",
        **kwargs,
    )


def test_a_create_answered_at_once_is_returned_without_a_look(ec2):
    client, stub = ec2
    stub.add_response("create_subnet", {"Subnet": SUBNET}, CREATE)
    module = FakeModule(clients={"ec2": client})
    assert run(module, client, find=lambda: pytest.fail("no look")) == SUBNET
    assert module.client_calls[0][2]["aws_config"]["retries"]["total_max_attempts"] == 1


def test_refused_is_sent_again_without_a_look(ec2):
    client, stub = ec2
    stub.add_client_error("create_subnet", "RequestLimitExceeded", http_status_code=503)
    stub.add_client_error("create_subnet", "Throttling", http_status_code=400)
    stub.add_response("create_subnet", {"Subnet": SUBNET}, CREATE)
    slept = []
    got = run(FakeModule(clients={"ec2": client}), client, find=lambda: pytest.fail("no look"), sleep=slept.append)
    assert got == SUBNET and slept == [2, 4]


def test_throttling_is_waited_out_as_long_as_awsretry_would(ec2):
    """A busy account's throttling (EC2 RequestLimitExceeded is account-wide) is sent again nine times,
    back-offs doubling to the 60 s cap, as AWSRetry.jittered_backoff's default ten retries would."""
    client, stub = ec2
    for _throttled in range(9):
        stub.add_client_error("create_subnet", "RequestLimitExceeded", http_status_code=503)
    stub.add_response("create_subnet", {"Subnet": SUBNET}, CREATE)
    slept = []
    got = run(FakeModule(clients={"ec2": client}), client, find=lambda: pytest.fail("no look"), sleep=slept.append)
    assert got == SUBNET and slept == [2, 4, 8, 16, 32, 60, 60, 60, 60]


def test_unknown_and_found_is_adopted_after_one_create(ec2):
    client, stub = ec2
    stub.add_client_error("create_subnet", "InternalError", http_status_code=500)
    assert run(FakeModule(clients={"ec2": client}), client, find=lambda: SUBNET) == SUBNET
    # no second create_subnet was stubbed: a second call would have failed the stub


def test_unknown_and_found_late_is_adopted_after_the_settle_pauses(ec2):
    client, stub = ec2
    stub.add_client_error("create_subnet", "ServiceUnavailable", http_status_code=503)
    answers = [None, None, SUBNET]
    slept = []
    got = run(FakeModule(clients={"ec2": client}), client, find=lambda: answers.pop(0), sleep=slept.append)
    assert got == SUBNET and slept == [1, 2]


def test_unknown_and_not_found_is_created_again(ec2):
    client, stub = ec2
    stub.add_client_error("create_subnet", "InternalError", http_status_code=500)
    stub.add_response("create_subnet", {"Subnet": SUBNET}, CREATE)
    looks = []
    got = run(FakeModule(clients={"ec2": client}), client, find=lambda: looks.append(1), sleep=lambda s: None)
    assert got == SUBNET and len(looks) == 1 + len(idempotency.SETTLE)


def test_after_an_unknown_outcome_every_later_attempt_looks_first(ec2):
    client, stub = ec2
    stub.add_client_error("create_subnet", "InternalError", http_status_code=500)
    stub.add_client_error("create_subnet", "Throttling", http_status_code=400)
    answers = [None] * (1 + len(idempotency.SETTLE)) + [SUBNET]
    got = run(FakeModule(clients={"ec2": client}), client, find=lambda: answers.pop(0), sleep=lambda s: None)
    assert got == SUBNET and answers == []


def test_failed_fails_at_once_naming_the_operation_and_resource(ec2):
    client, stub = ec2
    stub.add_client_error("create_subnet", "InvalidSubnet.Range", http_status_code=400)
    with pytest.raises(Failed) as failed:
        run(FakeModule(clients={"ec2": client}), client, find=lambda: pytest.fail("no look"))
    assert failed.value.kwargs["msg"].startswith("CreateSubnet failed for subnet 10.0.0.0/24 in us-east-2")


def test_already_exists_is_found(ec2):
    client, stub = ec2
    stub.add_client_error("create_subnet", "InvalidSubnet.Conflict", http_status_code=400)
    got = run(FakeModule(clients={"ec2": client}), client, find=lambda: SUBNET, exists_codes=["InvalidSubnet.Conflict"])
    assert got == SUBNET


def test_already_exists_and_not_found_fails(ec2):
    client, stub = ec2
    stub.add_client_error("create_subnet", "InvalidSubnet.Conflict", http_status_code=400)
    with pytest.raises(Failed) as failed:
        run(FakeModule(clients={"ec2": client}), client, exists_codes=["InvalidSubnet.Conflict"], sleep=lambda s: None)
    assert "CreateSubnet failed" in failed.value.kwargs["msg"]


def test_attempts_are_bounded(ec2):
    client, stub = ec2
    for _attempt in range(3):
        stub.add_client_error("create_subnet", "InternalError", http_status_code=500)
    with pytest.raises(Failed) as failed:
        run(FakeModule(clients={"ec2": client}), client, attempts=3, sleep=lambda s: None)
    assert "CreateSubnet (3 attempts, the last one's outcome unknown) failed" in failed.value.kwargs["msg"]


def test_the_single_attempt_client_is_made_once_per_service_and_region(ec2):
    client = ec2[0]
    module = FakeModule(clients={"ec2": client}, params={"aws_config": {"retries": {"mode": "adaptive"}}})
    first = idempotency.single_attempt_client(module, aws_client(module, "ec2"))
    assert idempotency.single_attempt_client(module, client) is first
    calls = [call for call in module.client_calls if "aws_config" in call[2]]
    assert len(calls) == 1
    assert calls[0][2] == {
        "region": "us-east-2",
        "aws_config": {"retries": {"mode": "adaptive", "total_max_attempts": 1}},
    }
    assert calls[0][1] is None  # no AWSRetry around it


def test_a_failed_error_the_caller_knows_is_raised_to_it(ec2):
    client, stub = ec2
    stub.add_client_error("create_subnet", "InvalidParameterValue", "not yet", http_status_code=400)
    with pytest.raises(ClientError) as raised:
        run(FakeModule(clients={"ec2": client}), client, reraise=lambda e: "not yet" in str(e))
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_a_service_busy_code_is_refused_and_the_back_off_is_capped(ec2):
    client, stub = ec2
    for _attempt in range(3):
        stub.add_client_error("create_subnet", "IncorrectState", http_status_code=400)
    stub.add_response("create_subnet", {"Subnet": SUBNET}, CREATE)
    slept = []
    got = run(
        FakeModule(clients={"ec2": client}),
        client,
        find=lambda: pytest.fail("no look"),
        refused_codes=["IncorrectState"],
        delay=5,
        max_delay=12,
        sleep=slept.append,
    )
    assert got == SUBNET and slept == [5, 10, 12]


def test_settle_listed_reads_again_until_every_new_resource_is_listed():
    reads, pauses = [], []
    answers = [{"a": 1}, {"a": 1}, {"a": 1, "b": 2}]

    def read(names):
        reads.append(list(names))
        return answers[len(reads) - 1]

    found, missing = idempotency.settle_listed(read, ["a", "b"], settle=(1, 2, 4), sleep=pauses.append)

    assert found == {"a": 1, "b": 2} and missing == []
    assert pauses == [1, 2] and reads == [["a", "b"]] * 3


def test_settle_listed_names_what_is_never_listed():
    pauses = []
    found, missing = idempotency.settle_listed(lambda names: {"a": 1}, ["a", "b"], settle=(1, 2), sleep=pauses.append)

    assert found == {"a": 1} and missing == ["b"]
    assert pauses == [1, 2]
