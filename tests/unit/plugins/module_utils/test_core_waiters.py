"""waiters.py: poll_until (with a fake clock) and wait_for (a botocore waiter)."""

import pytest
from botocore.exceptions import EndpointConnectionError
from core_fakes import Failed, FakeModule, stubbed

from ansible_collections.finproc.dr.plugins.module_utils import waiters
from ansible_collections.finproc.dr.plugins.modules.ec2_vpc_subnets import SUBNET_AVAILABLE


class Clock:
    def __init__(self):
        self.now, self.sleeps = 100.0, []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def reader(values):
    values = list(values)
    reads = []

    def read():
        reads.append(1)
        return values.pop(0) if len(values) > 1 else values[0]

    return read, reads


def test_poll_until_returns_the_first_value_that_is_done():
    clock = Clock()
    read, reads = reader(["pending", "pending", "available"])
    value = waiters.poll_until(
        FakeModule(), read, lambda v: v == "available", 60, delay=5, sleep=clock.sleep, clock=clock.monotonic
    )
    assert value == "available"
    assert len(reads) == 3 and clock.sleeps == [5, 5]


def test_poll_until_fails_past_the_timeout_naming_what_and_the_last_value():
    clock = Clock()
    read, reads = reader(["pending"])
    with pytest.raises(Failed) as failed:
        waiters.poll_until(
            FakeModule(),
            read,
            lambda v: v == "available",
            12,
            delay=5,
            what="subnet subnet-1 available",
            sleep=clock.sleep,
            clock=clock.monotonic,
        )
    assert failed.value.kwargs["msg"] == (
        "timed out after 12 s waiting for subnet subnet-1 available (last seen: 'pending')"
    )
    # reads at 0, 5, 10 and 12 s: the last sleep is cut to the deadline
    assert clock.sleeps == [5, 5, 2] and len(reads) == 4


def test_poll_until_calls_on_timeout_with_the_last_value_to_fail_its_own_way():
    clock = Clock()
    read, reads = reader(["pending", "stuck"])
    seen = []

    def on_timeout(value):
        seen.append(value)
        FakeModule().fail_json(msg="still %s" % value, status=value)

    with pytest.raises(Failed) as failed:
        waiters.poll_until(
            FakeModule(),
            read,
            lambda v: v == "ready",
            7,
            delay=5,
            sleep=clock.sleep,
            clock=clock.monotonic,
            on_timeout=on_timeout,
        )
    assert seen == ["stuck"]
    assert failed.value.kwargs == {"msg": "still stuck", "status": "stuck"}
    assert clock.sleeps == [5, 2] and len(reads) == 3


def test_poll_until_with_timeout_zero_reads_once_and_does_not_wait():
    clock = Clock()
    read, reads = reader(["pending"])
    with pytest.raises(Failed) as failed:
        waiters.poll_until(FakeModule(), read, lambda v: v == "ready", 0, sleep=clock.sleep, clock=clock.monotonic)
    assert "timed out after 0 s" in failed.value.kwargs["msg"]
    assert len(reads) == 1 and clock.sleeps == []
    read, reads = reader(["ready"])
    assert (
        waiters.poll_until(FakeModule(), read, lambda v: v == "ready", 0, sleep=clock.sleep, clock=clock.monotonic)
        == "ready"
    )


def test_poll_until_shortens_a_long_last_value():
    clock = Clock()
    with pytest.raises(Failed) as failed:
        waiters.poll_until(
            FakeModule(), lambda: "x" * 1000, lambda v: False, 0, sleep=clock.sleep, clock=clock.monotonic
        )
    assert failed.value.kwargs["msg"].endswith("...)")
    assert len(failed.value.kwargs["msg"]) < 400


def test_poll_until_uses_the_time_module_by_default(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(waiters, "time", clock)
    read, reads = reader([False, True])
    assert waiters.poll_until(FakeModule(), read, bool, 30, delay=3) is True
    assert clock.sleeps == [3]


def test_waiter_config_gives_up_at_the_timeout():
    # reads at 0, 5, ..., 30 s
    assert waiters.waiter_config(30, 5) == {"Delay": 5, "MaxAttempts": 7}
    assert waiters.waiter_config(34, 5) == {"Delay": 5, "MaxAttempts": 7}
    assert waiters.waiter_config(0, 5) == {"Delay": 5, "MaxAttempts": 1}


SUBNET = {"SubnetId": "subnet-1", "State": "pending"}


def test_wait_for_waits_with_the_botocore_waiter(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    ec2, stub = stubbed("ec2")
    with stub:
        stub.add_response("describe_subnets", {"Subnets": [SUBNET]}, {"SubnetIds": ["subnet-1"]})
        stub.add_response(
            "describe_subnets", {"Subnets": [dict(SUBNET, State="available")]}, {"SubnetIds": ["subnet-1"]}
        )
        waiters.wait_for(FakeModule(), ec2, "subnet_available", 30, SubnetIds=["subnet-1"])
        stub.assert_no_pending_responses()


def test_wait_for_fails_with_the_same_message_at_the_timeout(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    ec2, stub = stubbed("ec2")
    with stub:
        for _attempt in range(3):  # at 0, 5 and 10 s
            stub.add_response("describe_subnets", {"Subnets": [SUBNET]}, {"SubnetIds": ["subnet-1"]})
        with pytest.raises(Failed) as failed:
            waiters.wait_for(
                FakeModule(), ec2, "subnet_available", 10, delay=5, what="subnet-1", SubnetIds=["subnet-1"]
            )
        stub.assert_no_pending_responses()
    msg = failed.value.kwargs["msg"]
    assert msg.startswith("timed out after 10 s waiting for subnet-1 (last seen: {'Subnets': [")
    assert "pending" in msg and "ResponseMetadata" not in msg


# A model of a module's own: ec2_vpc_subnets' SubnetAvailable, which retries InvalidSubnetID.NotFound.
MODEL = SUBNET_AVAILABLE


def test_wait_for_with_a_model_of_its_own(monkeypatch):
    sleeps = []
    monkeypatch.setattr("time.sleep", sleeps.append)
    ec2, stub = stubbed("ec2")
    with stub:
        stub.add_client_error(
            "describe_subnets", "InvalidSubnetID.NotFound", expected_params={"SubnetIds": ["subnet-1"]}
        )
        stub.add_response(
            "describe_subnets", {"Subnets": [dict(SUBNET, State="available")]}, {"SubnetIds": ["subnet-1"]}
        )
        waiters.wait_for(FakeModule(), ec2, "SubnetAvailable", 30, delay=3, model=MODEL, SubnetIds=["subnet-1"])
        stub.assert_no_pending_responses()
    assert sleeps == [3]


def test_wait_for_reports_an_error_that_is_no_timeout(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    ec2, stub = stubbed("ec2")
    with stub:
        stub.add_client_error("describe_subnets", "UnauthorizedOperation", expected_params={"SubnetIds": ["subnet-1"]})
        with pytest.raises(Failed) as failed:
            waiters.wait_for(FakeModule(), ec2, "subnet_available", 30, what="subnet-1", SubnetIds=["subnet-1"])
    assert failed.value.kwargs["msg"].startswith("Waiting for subnet-1 failed: ")


NAT_PENDING = {"NatGatewayId": "nat-1", "State": "pending"}


def test_wait_for_with_a_summary_and_a_failure_of_the_module(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    ec2, stub = stubbed("ec2")
    by_id = {"NatGatewayIds": ["nat-1"]}

    def summary(last):
        return ", ".join("%s (%s)" % (g["NatGatewayId"], g["State"]) for g in last["NatGateways"])

    def failure(last):
        broken = [g for g in last.get("NatGateways", []) if g["State"] == "failed"]
        return {"msg": "broken: %s" % broken[0]["FailureCode"], "nat_gateways": broken} if broken else None

    with stub:
        stub.add_response("describe_nat_gateways", {"NatGateways": [NAT_PENDING]}, by_id)
        stub.add_response("describe_nat_gateways", {"NatGateways": [NAT_PENDING]}, by_id)
        with pytest.raises(Failed) as failed:
            waiters.wait_for(
                FakeModule(), ec2, "nat_gateway_available", 5, what="NAT", summary=summary, failure=failure, **by_id
            )
        assert failed.value.kwargs["msg"] == "timed out after 5 s waiting for NAT (last seen: nat-1 (pending))"
        broken = dict(NAT_PENDING, State="failed", FailureCode="Gateway.NotAttached")
        stub.add_response("describe_nat_gateways", {"NatGateways": [broken]}, by_id)
        with pytest.raises(Failed) as failed:
            waiters.wait_for(FakeModule(), ec2, "nat_gateway_available", 5, summary=summary, failure=failure, **by_id)
        assert failed.value.kwargs == {"msg": "broken: Gateway.NotAttached", "nat_gateways": [broken]}
        stub.assert_no_pending_responses()


def test_wait_for_reports_an_error_outside_the_waiter(monkeypatch):
    class Broken:
        waiter_names = ["thing_ready"]

        def get_waiter(self, name):
            class Waiter:
                def wait(self, **kwargs):
                    raise EndpointConnectionError(endpoint_url="https://ec2.invalid")

            return Waiter()

    with pytest.raises(Failed) as failed:
        waiters.wait_for(FakeModule(), Broken(), "thing_ready", 5, what="the thing")
    assert failed.value.kwargs["msg"].startswith("Waiting for the thing failed in us-east-2: ")
