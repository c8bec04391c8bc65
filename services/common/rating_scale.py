"""The province's answer scale of the evaluations (config/evaluation.yml, or the file that
MOTCUA_EVALUATION_SCALE names), read once at import: the contracts and the services' schemas
are built on it. A wrong file stops every service at start, naming the row and the problem."""
import os
from dataclasses import dataclass
from pathlib import Path

import yaml
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "config" / "evaluation.yml"
NOT_APPLICABLE = "not_applicable"


class _LevelSchema(Schema):
    class Meta:
        unknown = RAISE

    value = fields.String(required=True, validate=[
        validate.Regexp(r"^[a-z][a-z_]{0,39}$", error="chỉ gồm chữ thường không dấu và _, "
                                                       "tối đa 40 ký tự"),
        validate.NoneOf([NOT_APPLICABLE], error=f"{NOT_APPLICABLE} là câu trả lời riêng")])
    label = fields.String(required=True, validate=validate.Length(min=1, max=100))
    satisfied = fields.Boolean(required=True)


class _ScaleSchema(Schema):
    class Meta:
        unknown = RAISE

    levels = fields.List(fields.Nested(_LevelSchema), required=True,
                         validate=validate.Length(min=2, max=10))
    not_applicable_label = fields.String(required=True, validate=validate.Length(min=1, max=200))

    @validates_schema
    def _levels_make_a_scale(self, data, **kwargs):
        values = [level["value"] for level in data["levels"]]
        if len(set(values)) != len(values):
            raise ValidationError("mỗi mức chỉ có một lần", "levels")
        if len({level["satisfied"] for level in data["levels"]}) != 2:
            raise ValidationError("cần ít nhất một mức hài lòng và một mức không hài lòng",
                                  "levels")


@dataclass(frozen=True)
class Scale:
    levels: tuple  # the values, from the best
    satisfied: frozenset  # the values counted in the satisfaction rate
    labels: dict  # value (not applicable too) -> the Vietnamese words shown

    @property
    def answers(self):
        """What an item of a dossier's evaluation may be answered."""
        return (*self.levels, NOT_APPLICABLE)


def read_scale(path=None):
    path = Path(path or os.environ.get("MOTCUA_EVALUATION_SCALE") or DEFAULT_FILE)
    try:
        data = _ScaleSchema().load(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"evaluation scale {path}: cannot be read: {exc}") from exc
    except ValidationError as exc:
        raise ValueError(f"evaluation scale {path}: {exc.normalized_messages()}") from exc
    levels = data["levels"]
    return Scale(levels=tuple(level["value"] for level in levels),
                 satisfied=frozenset(level["value"] for level in levels if level["satisfied"]),
                 labels={**{level["value"]: level["label"] for level in levels},
                         NOT_APPLICABLE: data["not_applicable_label"]})


SCALE = read_scale()
