"""The printable documents and HTML pages of the services: one Jinja environment per service
package, reading its templates/ folder and then the kernel's (the printed forms' frame,
`print.html`), escaping every value it inserts into HTML and failing on a field the caller
did not give instead of printing nothing; and the letterhead every printed form carries (the
province's `config/forms.yml`)."""
from datetime import date, datetime
from pathlib import Path

import segno
import yaml
from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates
from nameko.extensions import DependencyProvider

from .events import TIMEZONE
from .money import vnd

DEFAULT_FORMS_FILE = Path(__file__).resolve().parents[2] / "config" / "forms.yml"


def environment(package):
    env = Environment(
        loader=ChoiceLoader([PackageLoader(package, "templates"),
                             PackageLoader(__package__, "templates")]),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(vnd=vnd, day=day, moment=moment, long_day=long_day, qr=qr_svg)
    return env


def _local(value):
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        return value.astimezone(TIMEZONE)
    return value


def day(value):
    """dd/mm/yyyy of a date, of a time's local day, or of either in ISO 8601."""
    return f"{_local(value):%d/%m/%Y}"


def moment(value):
    """'14 giờ 05 phút, ngày 07/12/2026': a time as the forms write it, in Asia/Ho_Chi_Minh."""
    local = _local(value)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d/%m/%Y}"


def long_day(value):
    """'ngày 07 tháng 12 năm 2026', as the date line of an administrative document."""
    return f"{_local(value):ngày %d tháng %m năm %Y}"


def qr_svg(text, scale=3):
    """An inline SVG QR code of `text` (error correction M), to print beside the text itself."""
    svg = segno.make(text, error="m").svg_inline(scale=scale, title=text)
    return Markup(svg)  # segno's own markup, the text in it escaped by segno


class LetterheadSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    authority = fields.String(required=True, validate=validate.Length(min=3, max=200))
    place = fields.String(required=True, validate=validate.Length(min=2, max=100))
    # {secret} may only be in the fragment (after #): a browser never sends the fragment, so
    # the lookup secret stays out of every server's and proxy's access log
    lookup_url = fields.String(required=True, validate=validate.Regexp(
        r"^https?://[^\s#]+\{code\}[^\s#]*(#[^\s#]*)?$",
        error="phải là địa chỉ http(s) có {{code}}; {{secret}}, nếu có, chỉ sau dấu #"))

    @validates("lookup_url")
    def secret_in_fragment_only(self, value, **kwargs):
        if "{secret}" in value.partition("#")[0]:
            raise ValidationError("{secret} chỉ được đặt sau dấu # (phần không gửi lên máy chủ)")


def lookup_addresses(letterhead, code, secret):
    """(what the receipt's QR code holds, what it prints for typing) of a dossier's public
    lookup: the QR opens the dossier at once (its secret in the fragment, read by the lookup
    page's own script); the printed address leaves the secret to be typed."""
    url = letterhead["lookup_url"].replace("{code}", code)
    return url.replace("{secret}", secret), url.partition("#")[0]


def read_letterhead(path=None):
    """The province's letterhead of `path` (default config/forms.yml): `authority` (the line
    above the issuing unit's name), `place` (of the date line), `lookup_url` (the public
    lookup address, `{code}` standing for the dossier code: the receipt's QR code)."""
    path = Path(path or DEFAULT_FORMS_FILE)
    try:
        return LetterheadSchema().load(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"forms file {path}: cannot be read: {exc}") from exc
    except ValidationError as exc:
        raise ValueError(f"forms file {path}: {exc.normalized_messages()}") from exc


class Letterhead(DependencyProvider):
    """Injects the letterhead of config FORMS_FILE (default config/forms.yml), read at start:
    a wrong file stops the service naming the problem."""

    def setup(self):
        self.letterhead = read_letterhead(self.container.config.get("FORMS_FILE") or None)

    def get_dependency(self, worker_ctx):
        return self.letterhead
