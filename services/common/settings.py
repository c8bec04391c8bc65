"""Typed settings: each service declares its settings once as a marshmallow schema (the
setting's name as `data_key`, its type, default and bounds), and they are read and checked
once when the service starts. A wrong value stops the service naming the setting, instead of
failing at first use. Empty strings (a `${VAR:}` left unset) count as not set."""
from marshmallow import EXCLUDE, Schema, ValidationError
from nameko.extensions import DependencyProvider


class SettingsSchema(Schema):
    """Base of a service's settings schema: other keys of the config are not its business."""

    class Meta:
        unknown = EXCLUDE


class InvalidSettings(ValueError):
    pass


def read_settings(schema_cls, config):
    """The settings of `config` (a service's config dict) as an object of attributes."""
    given = {key: value for key, value in config.items() if value not in (None, "")}
    try:
        loaded = schema_cls().load(given)
    except ValidationError as exc:
        problems = "; ".join(f"{name}: {' '.join(map(str, messages))}"
                             for name, messages in sorted(exc.normalized_messages().items()))
        raise InvalidSettings(f"invalid settings: {problems}") from exc
    return Settings(loaded)


class Settings:
    """Read-only attributes."""

    def __init__(self, values):
        self.__dict__.update(values)

    def __setattr__(self, name, value):
        raise AttributeError("settings are read once, at start")


class ServiceSettings(DependencyProvider):
    """Injects the service's settings, read at setup: `settings = ServiceSettings(Schema)`."""

    def __init__(self, schema_cls):
        self.schema_cls = schema_cls

    def setup(self):
        self.values = read_settings(self.schema_cls, self.container.config)

    def get_dependency(self, worker_ctx):
        return self.values
