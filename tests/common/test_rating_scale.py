"""The evaluations' answer scale is the province's (config/evaluation.yml): another scale is
what the forms offer, the schemas accept and the satisfaction rate counts; a wrong file stops
the services naming the problem."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from services.common.rating_scale import read_scale

ROOT = Path(__file__).resolve().parents[2]
FIVE_LEVELS = {
    "levels": [{"value": "rat_tot", "label": "Rất tốt", "satisfied": True},
               {"value": "tot", "label": "Tốt", "satisfied": True},
               {"value": "binh_thuong", "label": "Bình thường", "satisfied": False},
               {"value": "kem", "label": "Kém", "satisfied": False},
               {"value": "rat_kem", "label": "Rất kém", "satisfied": False}],
    "not_applicable_label": "Không áp dụng",
}


def written(tmp_path, scale):
    path = tmp_path / "evaluation.yml"
    path.write_text(yaml.safe_dump(scale, allow_unicode=True), encoding="utf-8")
    return path


def test_the_shipped_scale_is_the_portals_three_levels():
    scale = read_scale()
    assert scale.levels == ("very_satisfied", "satisfied", "not_satisfied")
    assert scale.satisfied == {"very_satisfied", "satisfied"}
    assert scale.labels["not_applicable"].startswith("Không áp dụng")


ROUTING_WITH_THE_SCALE = """
import json
from services.routing import evaluations
from services.routing.schemas import CounterEvaluationSchema, EvaluationSchema
from marshmallow import ValidationError
answers = dict.fromkeys(evaluations.EVALUATION_ITEMS, "binh_thuong") | {"time": "rat_tot"}
EvaluationSchema().load({"secret": "ABC", "answers": answers})
try:
    CounterEvaluationSchema().load({"level": "very_satisfied"})
    refused = None
except ValidationError as exc:
    refused = exc.messages
figures = evaluations._figures()
evaluations._count_evaluation(figures, answers)
print(json.dumps({"offered": evaluations.forms(5)["dossier"]["answers"],
                  "refused": refused, "rate": evaluations._with_rate(figures)["satisfaction_rate"]}))
"""


def run_with_scale(path, code):
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, env={"PATH": "/usr/bin:/bin", "MOTCUA_EVALUATION_SCALE": str(path)},
                          timeout=60)


def test_a_province_scale_of_five_levels_is_offered_accepted_and_counted(tmp_path):
    done = run_with_scale(written(tmp_path, FIVE_LEVELS), ROUTING_WITH_THE_SCALE)
    assert done.returncode == 0, done.stderr[-2000:]
    shown = json.loads(done.stdout.strip().splitlines()[-1])
    assert [answer["label"] for answer in shown["offered"]] == [
        "Rất tốt", "Tốt", "Bình thường", "Kém", "Rất kém", "Không áp dụng"]
    assert "level" in shown["refused"]  # the shipped scale's value is not on this one
    assert shown["rate"] == round(100 / 9, 1)  # one item of nine on a satisfied level


def test_the_portal_link_refuses_to_start_with_a_level_it_cannot_map(tmp_path):
    done = run_with_scale(written(tmp_path, FIVE_LEVELS),
                          "import services.nationalportal.mapping")
    assert done.returncode != 0
    assert "RATING_LEVELS has no portal level for" in done.stderr and "rat_tot" in done.stderr


@pytest.mark.parametrize("change, named", [
    ({"levels": [{"value": "tot", "label": "Tốt", "satisfied": True}] * 2}, "mỗi mức"),
    ({"levels": [{"value": "Tốt", "label": "Tốt", "satisfied": True},
                 {"value": "kem", "label": "Kém", "satisfied": False}]}, "chữ thường"),
    ({"levels": [{"value": "tot", "label": "Tốt", "satisfied": True},
                 {"value": "rat_tot", "label": "Rất tốt", "satisfied": True}]}, "không hài lòng"),
    ({"levels": [{"value": "not_applicable", "label": "x", "satisfied": False},
                 {"value": "tot", "label": "Tốt", "satisfied": True}]}, "câu trả lời riêng"),
    ({"scale": 3}, "scale"),
])
def test_a_wrong_scale_is_refused_naming_the_problem(tmp_path, change, named):
    with pytest.raises(ValueError, match="evaluation scale") as refused:
        read_scale(written(tmp_path, {**FIVE_LEVELS, **change}))
    assert named in str(refused.value)
