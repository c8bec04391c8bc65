"""Hostile input for the fuzzers: the text a sweep of the write endpoints used to reach 500s
with (a lone UTF-16 surrogate, NUL, control and bidirectional characters, very long strings,
every line ending, non-ASCII in headers and signatures), and where to put it in a request.

A request is the keyword arguments schemathesis builds for `requests` (`as_transport_kwargs`);
`sites` lists every place in it that can carry text (each string of a JSON body, each query
and path parameter, each header a service reads, an uploaded file) and `inject` puts hostile
text at one of them, encoded as a careless client would send it: JSON escapes a surrogate as
"\\ud800"; a URL or a header carries its UTF-8 bytes (a surrogate's as WTF-8, which is not
UTF-8 at all).
"""
import codecs
import json
from urllib.parse import quote

from hypothesis import strategies as st

LONE_SURROGATE = "\ud800"
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
LINE_ENDS = {"LF": "\n", "CRLF": "\r\n", "CR": "\r"}

# One of each kind, which the sweep puts at every site of every operation.
SAMPLES = {
    "lone surrogate": "Số 1 Lê Lợi" + LONE_SURROGATE,
    "low surrogate first": "\udfff\ud800",
    "NUL": "A\x00B",
    "control characters": "".join(map(chr, range(1, 32))) + "\x7f\x85\x9b",
    "bidirectional override": "\u202eanahp\u202c 12\u2066\u2067x\u2069\u200f",
    "line and paragraph separators": "a\u2028b\u2029c\ufeff\u200b",
    "very long": "Đ" * 70_000,
    "non-ASCII": "Nguyễn Thị Ánh 😀 ꆂ ﷽",
}
# The web server answers a header line over 8 KiB itself (400, empty): not the services' part.
MAX_HEADER_BYTES = 4000
# Headers some service reads, and ones a proxy or browser adds that none should trip on.
HEADERS = ("Authorization", "Idempotency-Key", "X-Correlation-Id", "Content-Type", "Accept",
           "Accept-Language", "User-Agent", "Cookie", "X-Forwarded-For", "Referer")
# Encodings a spreadsheet saves a file in besides UTF-8.
FILE_ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "cp1258", "latin-1")

_weird_characters = st.characters(codec=None, categories=("Cs", "Cc", "Cf", "Zl", "Zp", "Co"))
hostile_text = st.one_of(
    st.sampled_from(list(SAMPLES.values())),
    st.text(_weird_characters, min_size=1, max_size=30),
    st.tuples(st.text(max_size=20), st.sampled_from(list(SAMPLES.values())),
              st.text(max_size=20)).map("".join),
    st.builds(lambda char, times: char * times, st.sampled_from("aĐ\u202e\ud800\x00"),
              st.integers(1_000, 80_000)),
)


def wtf8(text):
    """The bytes a client sends for text with surrogates (UTF-8, surrogates encoded as if
    they were characters): what a server gets that is not UTF-8."""
    return text.encode("utf-8", "surrogatepass")


def header_value(text):
    """What of `text` a header can carry (HTTP has no way to send CR, LF or NUL in one, nor
    leading white space)."""
    sendable = text.replace("\r", " ").replace("\n", " ").replace("\x00", " ")
    return wtf8(sendable.lstrip(" \t\x0b\x0c"))[:MAX_HEADER_BYTES]


def sites(kwargs, path_parameters):
    """Every place of a request that carries text: ("json", path of keys), ("query", name),
    ("path", name), ("header", name), ("file", None)."""
    found = [("json", path) for path in _string_paths(kwargs.get("json"), ())]
    if kwargs.get("json") is not None and not found:
        found.append(("json", ()))  # no string inside: the whole body becomes one
    found += [("query", name) for name in kwargs.get("params") or {}]
    found += [("path", name) for name in path_parameters or {}]
    found += [("header", name) for name in HEADERS]
    if isinstance(kwargs.get("data"), str | bytes):
        found.append(("file", None))
    return found


def _string_paths(value, path):
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _string_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _string_paths(item, (*path, index))


def inject(kwargs, site, text, *, path_template, base_url, path_parameters, file_form=None):
    """A copy of the request with `text` at `site`. `file_form` (line end, encoding) says how
    an uploaded file is saved; the text then goes into its last cell."""
    kind, where = site
    kwargs = {**kwargs, "headers": dict(kwargs.get("headers") or {}),
              "params": dict(kwargs.get("params") or {})}
    if kind == "json":
        kwargs["data"] = json.dumps(_replaced(kwargs.pop("json"), where, text)).encode()
        kwargs["headers"]["Content-Type"] = "application/json"
    elif kind == "query":
        kwargs["params"][where] = wtf8(text)
    elif kind == "path":
        values = {name: quote(str(value), safe="") for name, value in path_parameters.items()}
        values[where] = quote(wtf8(text), safe="")
        kwargs["url"] = base_url + path_template.format(**values)
    elif kind == "header":
        kwargs["headers"][where] = header_value(text)
    else:
        kwargs["data"] = uploaded_file(kwargs["data"], text, *(file_form or ("LF", "utf-8")))
    return kwargs


def _replaced(value, path, text):
    if not path:
        return text
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replaced(value[head], rest, text)}
    return [_replaced(item, rest, text) if index == head else item
            for index, item in enumerate(value)]


def uploaded_file(data, text, line_end, encoding):
    """A CSV as a spreadsheet saves it: `text` appended to its last cell, every line ended by
    `line_end` (LF, CRLF or CR), in `encoding` (what it cannot encode becomes "?")."""
    content = data.decode("utf-8", "surrogateescape") if isinstance(data, bytes) else data
    lines = content.splitlines() or [""]
    lines[-1] += text
    saved = LINE_ENDS[line_end].join(lines) + LINE_ENDS[line_end]
    if encoding.startswith("utf-8"):
        bom = codecs.BOM_UTF8 if encoding == "utf-8-sig" else b""
        return bom + wtf8(saved)
    return saved.encode(encoding, "replace")


file_forms = st.tuples(st.sampled_from(list(LINE_ENDS)), st.sampled_from(FILE_ENCODINGS))
