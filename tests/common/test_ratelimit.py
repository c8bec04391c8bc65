import pytest

from services.common.ratelimit import TokenBucket, parse_limit


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_a_bucket_allows_its_burst_then_refills_at_its_rate():
    clock = Clock()
    bucket = TokenBucket(3, 60, clock)  # 3 a minute
    assert [bucket.take("a") for _ in range(4)] == [0, 0, 0, 20]
    assert bucket.take("b") == 0  # another client has its own bucket
    clock.now = 20
    assert bucket.take("a") == 0 and bucket.take("a") == 20


def test_zero_turns_a_limit_off():
    bucket = TokenBucket(*parse_limit("0/1"))
    assert all(bucket.take("a") == 0 for _ in range(1000))


@pytest.mark.parametrize("text", ["60", "a/60", "60/0", "-1/60", ""])
def test_bad_limit_settings_are_refused_with_the_expected_shape(text):
    with pytest.raises(ValueError, match="<requests>/<seconds>"):
        parse_limit(text)
