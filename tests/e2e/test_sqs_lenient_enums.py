"""SQS accepts attribute names outside the model's enums as its endpoint does: the
deprecated AttributeNames=[ApproximateReceiveCount] works, an unknown name is
InvalidAttributeName (not a generic validation error)."""

from __future__ import annotations

from typing import Any

from tests.support import expect_error


def test_deprecated_attribute_names_and_unknown_ones(url: str) -> None:
    from tests.support import client

    sqs: Any = client("sqs", url)
    q = sqs.create_queue(QueueName="lenient")["QueueUrl"]
    sqs.send_message(QueueUrl=q, MessageBody="m")
    msgs = sqs.receive_message(QueueUrl=q, AttributeNames=["ApproximateReceiveCount"])
    assert msgs["Messages"][0]["Attributes"]["ApproximateReceiveCount"] == "1"
    expect_error(lambda: sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["Nope"]),
                 "InvalidAttributeName")
