"""Message templates: data files in templates/, one per message, checked when the service starts.

A template is YAML with `urgent` (sent even in quiet hours), `sms`, and `email` (`subject`,
`text`, `html`). Placeholders are `{field}`; the fields a template may name are the ones its
event provides (messages.FIELDS). A template naming an unknown field, a missing template, or
an SMS that cannot fit the segment limit even with the longest plausible values fails at
load, so a bad template stops the service at start instead of failing at send time.

The HTML part is filled by MarkupSafe's Markup, the escaping Jinja2 autoescapes with: every
value is escaped as it is inserted. It keeps the `{field}` form rather than Jinja's syntax
because a province may keep its own templates in that form (NOTIFY_TEMPLATES_DIR).
"""
import string
from dataclasses import dataclass
from pathlib import Path

import yaml
from markupsafe import Markup

from . import sms
from .sms import RenderError

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
_formatter = string.Formatter()


class TemplateError(Exception):
    """A template file is missing, malformed or names a field its event does not provide."""


@dataclass(frozen=True)
class Template:
    name: str
    urgent: bool
    sms: str
    email_subject: str
    email_text: str
    email_html: str

    def render_sms(self, context, policy):
        return sms.fit(self.sms.format_map(context), policy)

    def render_email(self, context):
        return {
            "subject": self.email_subject.format_map(context).strip(),
            "text": self.email_text.format_map(context),
            "html": str(Markup(self.email_html).format_map(context)),
        }


def placeholders(text):
    """The field names a format string uses; only plain `{name}` placeholders are allowed."""
    names = set()
    for _, field, spec, conversion in _formatter.parse(text):
        if field is None:
            continue
        if not field.isidentifier() or spec or conversion:
            raise TemplateError(f"placeholder {{{field}}} must be a plain {{name}}")
        names.add(field)
    return names


def load_template(path, allowed_fields):
    name = path.stem
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        email = raw["email"]
        template = Template(
            name=name, urgent=bool(raw["urgent"]), sms=raw["sms"].strip(),
            email_subject=email["subject"], email_text=email["text"], email_html=email["html"],
        )
    except (yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
        raise TemplateError(f"template {name}: malformed ({type(exc).__name__}: {exc})") from exc
    for part in ("sms", "email_subject", "email_text", "email_html"):
        try:
            unknown = placeholders(getattr(template, part)) - allowed_fields
        except (TemplateError, ValueError) as exc:
            raise TemplateError(f"template {name}, {part}: {exc}") from exc
        if unknown:
            raise TemplateError(
                f"template {name}, {part}: unknown field(s) {', '.join(sorted(unknown))}; "
                f"this message provides {', '.join(sorted(allowed_fields))}"
            )
    return template


def load_templates(fields_by_template, samples, policy, directory=TEMPLATES_DIR):
    """Every template the service needs, validated; TemplateError names the first problem."""
    templates = {}
    for name, allowed in fields_by_template.items():
        path = Path(directory) / f"{name}.yml"
        if not path.is_file():
            raise TemplateError(f"template {name}: file {path} is missing")
        template = load_template(path, set(allowed))
        try:
            template.render_sms(samples[name], policy)
        except RenderError as exc:
            raise TemplateError(f"template {name}: with the longest expected values, {exc}") from exc
        templates[name] = template
    return templates
