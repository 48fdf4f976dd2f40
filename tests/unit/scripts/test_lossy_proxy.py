"""scripts/lossy_proxy.py: which requests are writes (real botocore requests of each protocol), the
deterministic choice of the lost answers, and the proxy itself in front of a tiny upstream."""

import importlib.util
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError

ROOT = Path(__file__).resolve().parents[3]
spec = importlib.util.spec_from_file_location("lossy_proxy_under_test", ROOT / "scripts" / "lossy_proxy.py")
proxy = importlib.util.module_from_spec(spec)
spec.loader.exec_module(proxy)


class Sent(Exception):
    pass


def request_of(service, operation, region="us-east-2", **params):
    """The HTTP request botocore sends for `operation` (method, path with query, headers, body)."""
    client = botocore.session.get_session().create_client(
        service,
        region_name=region,
        endpoint_url="http://127.0.0.1:1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
    )
    seen = {}

    def capture(request, **kwargs):
        seen["request"] = request
        raise Sent()

    client.meta.events.register("before-send", capture)
    with pytest.raises(Sent):
        getattr(client, operation)(**params)
    request = seen["request"]
    url = request.url.split("127.0.0.1:1", 1)[1] or "/"
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode()
    elif not isinstance(body, bytes):
        body = body.read()
    return request.method, url, dict(request.headers.items()), body


def decoded(headers):
    return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in headers.items()}


@pytest.mark.parametrize(
    ("service", "operation", "params", "expected"),
    [
        # EC2 protocol (form body Action=)
        ("ec2", "create_subnet", {"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/24"}, ("ec2", "CreateSubnet", True)),
        ("ec2", "allocate_address", {"Domain": "vpc"}, ("ec2", "AllocateAddress", True)),
        ("ec2", "describe_subnets", {}, ("ec2", "DescribeSubnets", False)),
        # Query
        ("sns", "create_topic", {"Name": "t"}, ("sns", "CreateTopic", True)),
        ("sns", "list_topics", {}, ("sns", "ListTopics", False)),
        ("iam", "create_role", {"RoleName": "r", "AssumeRolePolicyDocument": "{}"}, ("iam", "CreateRole", True)),
        ("sts", "get_caller_identity", {}, ("sts", "GetCallerIdentity", False)),
        # JSON (X-Amz-Target)
        ("kms", "create_key", {}, ("kms", "CreateKey", True)),
        ("kms", "describe_key", {"KeyId": "k"}, ("kms", "DescribeKey", False)),
        ("acm", "import_certificate", {"Certificate": b"c", "PrivateKey": b"k"}, ("acm", "ImportCertificate", True)),
        ("logs", "create_log_group", {"logGroupName": "g"}, ("logs", "CreateLogGroup", True)),
        (
            "dynamodb",
            "create_table",
            {
                "TableName": "t",
                "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
                "BillingMode": "PAY_PER_REQUEST",
            },
            ("dynamodb", "CreateTable", True),
        ),
        ("dynamodb", "query", {"TableName": "t"}, ("dynamodb", "Query", False)),
        # RPC v2 CBOR (CloudWatch)
        (
            "cloudwatch",
            "put_metric_alarm",
            {
                "AlarmName": "a",
                "MetricName": "m",
                "Namespace": "n",
                "Statistic": "Sum",
                "Period": 60,
                "EvaluationPeriods": 1,
                "Threshold": 1.0,
                "ComparisonOperator": "GreaterThanThreshold",
            },
            ("monitoring", "PutMetricAlarm", True),
        ),
        ("cloudwatch", "describe_alarms", {}, ("monitoring", "DescribeAlarms", False)),
        # REST, named from the botocore model
        (
            "route53",
            "create_health_check",
            {"CallerReference": "r", "HealthCheckConfig": {"Type": "HTTPS", "FullyQualifiedDomainName": "x.example"}},
            ("route53", "CreateHealthCheck", True),
        ),
        ("route53", "get_health_check", {"HealthCheckId": "h"}, ("route53", "GetHealthCheck", False)),
        (
            "route53",
            "list_tags_for_resources",
            {"ResourceType": "healthcheck", "ResourceIds": ["h"]},
            ("route53", "ListTagsForResources", False),  # a POST that reads
        ),
        (
            "route53",
            "change_tags_for_resource",
            {"ResourceType": "healthcheck", "ResourceId": "h", "AddTags": [{"Key": "k", "Value": "v"}]},
            ("route53", "ChangeTagsForResource", True),
        ),
        (
            "lambda",
            "create_function",
            {"FunctionName": "f", "Role": "arn:aws:iam::1:role/r", "Code": {"ZipFile": b"z"}},
            ("lambda", "CreateFunction", True),
        ),
        ("lambda", "get_function", {"FunctionName": "f"}, ("lambda", "GetFunction", False)),
        ("s3", "create_bucket", {"Bucket": "b"}, ("s3", "CreateBucket", True)),
        (
            "s3",
            "put_bucket_versioning",
            {"Bucket": "b", "VersioningConfiguration": {"Status": "Enabled"}},
            ("s3", "PutBucketVersioning", True),
        ),
        ("s3", "get_bucket_versioning", {"Bucket": "b"}, ("s3", "GetBucketVersioning", False)),
    ],
)
def test_real_sdk_requests_are_classified(service, operation, params, expected):
    method, path, headers, body = request_of(service, operation, **params)
    signing, region, action, write = proxy.classify(method, path, decoded(headers), body)
    assert (signing, action, write) == expected
    assert region == "us-east-2"


def test_the_first_of_each_write_per_region_is_lost_then_every_nth_alternating_modes():
    policy = proxy.Policy(every=3, seed=7)
    decisions = [policy.decide("ec2", "us-east-2", "CreateSubnet") for _count in range(7)]
    assert [d is not None for d in decisions] == [True, False, False, True, False, False, True]
    lost = [d for d in decisions if d]
    assert lost[0] != lost[1] and lost[0] == lost[2] and set(lost) == {"close", "500"}
    # another region, another action: their own first occurrence
    assert policy.decide("ec2", "us-west-2", "CreateSubnet") is not None
    assert policy.decide("ec2", "us-east-2", "CreateVpc") is not None


def test_the_choice_is_deterministic_and_only_skip_narrow_it():
    def run(policy):
        return [policy.decide("ec2", "us-east-2", a) for a in ["CreateVpc", "CreateVpc", "CreateSubnet", "CreateVpc"]]

    assert run(proxy.Policy(every=2, seed=1)) == run(proxy.Policy(every=2, seed=1))
    assert run(proxy.Policy(every=2, seed=1, only=["CreateSubnet"])) == [None, None, run(proxy.Policy(2, 1))[2], None]
    assert run(proxy.Policy(every=2, seed=1, skip=["ec2:CreateVpc"]))[::3] == [None, None]


class Upstream(BaseHTTPRequestHandler):
    """Answers 200 with a small EC2/Query body; counts what it got."""

    protocol_version = "HTTP/1.1"
    got = []

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.got.append(self.rfile.read(length))
        body = (
            b'<CreateSubnetResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId>'
            b"<subnet><subnetId>subnet-1</subnetId><cidrBlock>10.0.0.0/24</cidrBlock></subnet></CreateSubnetResponse>"
        )
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(handler):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def ec2_through(front, region):
    """An EC2 client of `region` sending to the proxy `front`, one attempt per call."""
    return botocore.session.get_session().create_client(
        "ec2",
        region_name=region,
        endpoint_url="http://127.0.0.1:%d" % front.server_port,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(retries={"total_max_attempts": 1}),
    )


def test_the_proxy_forwards_and_loses_answers_both_ways(tmp_path):
    Upstream.got = []
    upstream = serve(Upstream)
    log = tmp_path / "lost.jsonl"
    policy = proxy.Policy(every=2, seed=0)
    front = serve(proxy.make_handler({}, "http://127.0.0.1:%d" % upstream.server_port, policy, str(log)))
    try:
        client = ec2_through(front, "us-east-2")
        errors = []
        for _request in range(4):
            try:
                answer = client.create_subnet(VpcId="vpc-1", CidrBlock="10.0.0.0/24")
                errors.append(answer["Subnet"]["SubnetId"])
            except ConnectionClosedError:
                errors.append("closed")
            except ClientError as e:
                errors.append("%s %s" % (e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"]))
        # every request reached the emulator: the answers of the 1st and 3rd were lost, one each way
        assert len(Upstream.got) == 4
        assert errors[1] == errors[3] == "subnet-1"
        assert sorted(errors[::2]) == ["500 InternalError", "closed"]
        lines = [json.loads(line) for line in log.read_text().splitlines()]
        assert [(r["service"], r["region"], r["action"]) for r in lines] == [("ec2", "us-east-2", "CreateSubnet")] * 2
        assert sorted(r["mode"] for r in lines) == ["500", "close"]
    finally:
        front.shutdown()
        upstream.shutdown()


def test_counting_mode_loses_nothing_and_counts_every_request(tmp_path):
    """make bench's counting mode: --every 0 loses no answer, --count writes one line per request."""
    assert proxy.Policy(every=0).decide("ec2", "us-east-2", "CreateSubnet") is None
    args = proxy.parse_args(["--default", "http://127.0.0.1:1", "--every", "0", "--count", "c.jsonl"])
    assert args.log is None and args.count == "c.jsonl"
    with pytest.raises(SystemExit):
        proxy.parse_args(["--default", "http://127.0.0.1:1"])  # losing answers still needs --log
    Upstream.got = []
    upstream = serve(Upstream)
    count = tmp_path / "count.jsonl"
    policy = proxy.Policy(every=0)
    front = serve(proxy.make_handler({}, "http://127.0.0.1:%d" % upstream.server_port, policy, None, str(count)))
    try:
        client = ec2_through(front, "us-west-2")
        create = client.create_subnet
        answers = [create(VpcId="vpc-1", CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"] for _n in range(3)]
        assert answers == ["subnet-1"] * 3
        lines = [json.loads(line) for line in count.read_text().splitlines()]
        assert (
            lines
            == [{"service": "ec2", "region": "us-west-2", "action": "CreateSubnet", "write": True, "status": 200}] * 3
        )
    finally:
        front.shutdown()
        upstream.shutdown()
