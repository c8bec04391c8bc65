"""Text files people upload (bank statements, carriers' tracking files): read whatever the
program that saved them did with the byte order mark and the line ends."""


class NotUtf8(ValueError):
    """The file is not UTF-8 from `line` on (1-based)."""

    def __init__(self, line):
        super().__init__(f"line {line} is not UTF-8 text")
        self.line = line


def uploaded_text(raw):
    """The bytes as text, UTF-8 with or without a BOM, every line ended by a LF whether the
    file used CR LF, LF or a bare CR (Excel's "CSV (Macintosh)"). NotUtf8 names the first
    line that is not UTF-8."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotUtf8(one_line_end(raw[:exc.start]).count(b"\n") + 1) from exc
    return one_line_end(text)


def one_line_end(text):
    """CR LF and bare CR as LF (str or bytes)."""
    lf, cr = ("\n", "\r") if isinstance(text, str) else (b"\n", b"\r")
    return text.replace(cr + lf, lf).replace(cr, lf)
