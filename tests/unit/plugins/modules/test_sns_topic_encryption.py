from ansible_collections.finproc.dr.plugins.modules import sns_topic_encryption
from aws_stub import run_module

TOPIC = "arn:aws:sns:us-east-2:123456789012:finproc-dev-dr-alerts"
KEY = "arn:aws:kms:us-east-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY = "arn:aws:kms:us-east-2:123456789012:key/abcd1234-ab12-cd34-ef56-abcdef123456"
GET = {"TopicArn": TOPIC}
ARGS = {"topic_arn": TOPIC, "kms_master_key_id": KEY}


def attributes(key=None):
    attrs = {
        "TopicArn": TOPIC,
        "Owner": "123456789012",
        "DisplayName": "",
        "SubscriptionsConfirmed": "0",
        "SubscriptionsPending": "0",
        "SubscriptionsDeleted": "0",
    }
    if key is not None:
        attrs["KmsMasterKeyId"] = key
    return {"Attributes": attrs}


def set_key(value):
    return {"TopicArn": TOPIC, "AttributeName": "KmsMasterKeyId", "AttributeValue": value}


def run(sns, monkeypatch, capsys, args=None, **kw):
    return run_module(sns_topic_encryption.main, args or ARGS, sns[0], monkeypatch, capsys, **kw)


def test_encrypts_an_unencrypted_topic(sns, monkeypatch, capsys):
    client, stub = sns
    stub.add_response("get_topic_attributes", attributes(), GET)
    stub.add_response("set_topic_attributes", {}, set_key(KEY))
    stub.add_response("get_topic_attributes", attributes(KEY), GET)
    result, code = run(sns, monkeypatch, capsys, diff=True)
    assert code == 0
    assert result["changed"] is True
    assert result["topic_arn"] == TOPIC
    assert result["kms_master_key_id"] == KEY
    assert result["diff"] == {"before": {"kms_master_key_id": None}, "after": {"kms_master_key_id": KEY}}


def test_an_empty_key_attribute_counts_as_unencrypted(sns, monkeypatch, capsys):
    client, stub = sns
    stub.add_response("get_topic_attributes", attributes(""), GET)
    stub.add_response("set_topic_attributes", {}, set_key(KEY))
    stub.add_response("get_topic_attributes", attributes(KEY), GET)
    result, code = run(sns, monkeypatch, capsys, diff=True)
    assert result["changed"] is True
    assert result["diff"]["before"] == {"kms_master_key_id": None}


def test_the_same_key_is_not_written_again(sns, monkeypatch, capsys):
    client, stub = sns
    stub.add_response("get_topic_attributes", attributes(KEY), GET)
    result, code = run(sns, monkeypatch, capsys, diff=True)
    assert code == 0
    assert result["changed"] is False
    assert result["kms_master_key_id"] == KEY
    assert result["diff"]["before"] == result["diff"]["after"]


def test_another_key_is_replaced(sns, monkeypatch, capsys):
    client, stub = sns
    stub.add_response("get_topic_attributes", attributes(OTHER_KEY), GET)
    stub.add_response("set_topic_attributes", {}, set_key(KEY))
    stub.add_response("get_topic_attributes", attributes(KEY), GET)
    result, code = run(sns, monkeypatch, capsys, diff=True)
    assert result["changed"] is True
    assert result["kms_master_key_id"] == KEY
    assert result["diff"] == {"before": {"kms_master_key_id": OTHER_KEY}, "after": {"kms_master_key_id": KEY}}


def test_an_alias_is_kept_as_given(sns, monkeypatch, capsys):
    client, stub = sns
    stub.add_response("get_topic_attributes", attributes("alias/aws/sns"), GET)
    result, code = run(sns, monkeypatch, capsys, args={"topic_arn": TOPIC, "kms_master_key_id": "alias/aws/sns"})
    assert result["changed"] is False
    assert result["kms_master_key_id"] == "alias/aws/sns"


def test_absent_removes_the_encryption(sns, monkeypatch, capsys):
    client, stub = sns
    stub.add_response("get_topic_attributes", attributes(KEY), GET)
    stub.add_response("set_topic_attributes", {}, set_key(""))
    stub.add_response("get_topic_attributes", attributes(), GET)
    result, code = run(sns, monkeypatch, capsys, args={"topic_arn": TOPIC, "state": "absent"}, diff=True)
    assert code == 0
    assert result["changed"] is True
    assert result["kms_master_key_id"] is None
    assert result["diff"] == {"before": {"kms_master_key_id": KEY}, "after": {"kms_master_key_id": None}}


def test_absent_on_an_unencrypted_topic_is_no_change(sns, monkeypatch, capsys):
    client, stub = sns
    stub.add_response("get_topic_attributes", attributes(), GET)
    result, code = run(sns, monkeypatch, capsys, args={"topic_arn": TOPIC, "state": "absent"})
    assert result["changed"] is False
    assert result["kms_master_key_id"] is None


def test_check_mode_reports_the_change_without_writing(sns, monkeypatch, capsys):
    client, stub = sns
    stub.add_response("get_topic_attributes", attributes(OTHER_KEY), GET)
    result, code = run(sns, monkeypatch, capsys, check_mode=True, diff=True)
    assert code == 0
    assert result["changed"] is True
    assert result["kms_master_key_id"] == OTHER_KEY
    assert result["diff"]["after"] == {"kms_master_key_id": KEY}


def test_check_mode_absent_writes_nothing(sns, monkeypatch, capsys):
    client, stub = sns
    stub.add_response("get_topic_attributes", attributes(KEY), GET)
    result, code = run(sns, monkeypatch, capsys, args={"topic_arn": TOPIC, "state": "absent"}, check_mode=True)
    assert result["changed"] is True
    assert result["kms_master_key_id"] == KEY


def test_a_missing_topic_fails_clearly(sns, monkeypatch, capsys):
    client, stub = sns
    stub.add_client_error(
        "get_topic_attributes",
        service_error_code="NotFound",
        service_message="Topic does not exist",
        http_status_code=404,
        expected_params=GET,
    )
    result, code = run(sns, monkeypatch, capsys)
    assert code == 1
    assert result["failed"] is True
    assert "SNS topic %s does not exist" % TOPIC in result["msg"]
    assert result["error"]["code"] == "NotFound"


def test_a_topic_deleted_meanwhile_fails_clearly(sns, monkeypatch, capsys):
    client, stub = sns
    stub.add_response("get_topic_attributes", attributes(), GET)
    stub.add_client_error(
        "set_topic_attributes",
        service_error_code="NotFound",
        service_message="Topic does not exist",
        http_status_code=404,
        expected_params=set_key(KEY),
    )
    result, code = run(sns, monkeypatch, capsys)
    assert code == 1
    assert "SNS topic %s does not exist" % TOPIC in result["msg"]
    assert result["error"]["code"] == "NotFound"


def test_an_api_error_fails_with_the_step(sns, monkeypatch, capsys):
    client, stub = sns
    stub.add_response("get_topic_attributes", attributes(), GET)
    stub.add_client_error(
        "set_topic_attributes",
        service_error_code="AuthorizationError",
        service_message="not allowed",
        http_status_code=403,
        expected_params=set_key(KEY),
    )
    result, code = run(sns, monkeypatch, capsys)
    assert code == 1
    assert "SetTopicAttributes (KmsMasterKeyId) failed for " + TOPIC in result["msg"]
    assert result["error"]["code"] == "AuthorizationError"


def test_throttling_is_retried(sns, monkeypatch, capsys):
    client, stub = sns
    monkeypatch.setattr("time.sleep", lambda s: None)
    stub.add_client_error(
        "get_topic_attributes", service_error_code="Throttling", service_message="slow down", expected_params=GET
    )
    stub.add_response("get_topic_attributes", attributes(KEY), GET)
    result, code = run(sns, monkeypatch, capsys)
    assert code == 0
    assert result["changed"] is False


def test_present_needs_a_key(sns, monkeypatch, capsys):
    result, code = run(sns, monkeypatch, capsys, args={"topic_arn": TOPIC})
    assert code == 1
    assert "kms_master_key_id" in result["msg"]


def test_an_empty_key_is_refused(sns, monkeypatch, capsys):
    result, code = run(sns, monkeypatch, capsys, args={"topic_arn": TOPIC, "kms_master_key_id": " "})
    assert code == 1
    assert "use state=absent" in result["msg"]
