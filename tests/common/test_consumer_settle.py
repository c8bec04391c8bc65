import pytest
from amqp.exceptions import RecoverableConnectionError

from services.common.consumer import ReliableEventHandler


@pytest.mark.parametrize("error", [BrokenPipeError(32, "Broken pipe"),
                                   ConnectionResetError(104, "Connection reset by peer"),
                                   RecoverableConnectionError("connection already closed")])
def test_an_ack_on_a_connection_that_just_broke_is_logged_not_raised(error, caplog):
    """Raised, it would kill the nameko container (seen in the fault suite when every AMQP
    connection was closed); the broker redelivers the unacked message instead."""
    def broken_ack(message):
        raise error

    ReliableEventHandler._settle(broken_ack, message=object())
    assert "deliver the message again" in caplog.text


def test_other_errors_of_an_ack_are_not_hidden():
    def buggy_ack(message):
        raise TypeError("a bug")

    with pytest.raises(TypeError):
        ReliableEventHandler._settle(buggy_ack, message=object())
