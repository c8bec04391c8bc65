"""Uploaded text files: whatever line ends and BOM the saving program chose."""
import pytest

from services.common.uploads import NotUtf8, uploaded_text
from services.postal.tracking import read_rows


@pytest.mark.parametrize("raw", [b"a,b\r\n1,2\r\n", b"a,b\n1,2\n", b"a,b\r1,2\r",
                                 b"\xef\xbb\xbfa,b\r1,2\r"])
def test_every_line_end_and_bom_reads_the_same(raw):
    assert uploaded_text(raw) == "a,b\n1,2\n"


def test_the_first_line_that_is_not_utf8_is_named():
    with pytest.raises(NotUtf8) as caught:
        uploaded_text(b"a,b\r\n1,2\r\n3,\xe9\r\n")
    assert caught.value.line == 3


def test_a_carriers_file_saved_with_bare_cr_is_read():
    raw = b"tracking_number,event,at\rRM1,picked_up,2026-01-05T09:00:00+07:00\r"
    assert read_rows(raw, "text/csv") == [
        {"tracking_number": "RM1", "event": "picked_up", "at": "2026-01-05T09:00:00+07:00"}]
