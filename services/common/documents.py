"""The printable documents and HTML pages of the services: one Jinja environment per service
package, reading its templates/ folder, escaping every value it inserts into HTML and failing
on a field the caller did not give instead of printing nothing."""
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from .money import vnd


def environment(package):
    env = Environment(
        loader=PackageLoader(package, "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["vnd"] = vnd
    return env
