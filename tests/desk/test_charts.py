"""The manager's charts count dossiers: their axis shows whole numbers."""
import re

from services.desk.charts import bar_chart


def axis_labels(svg):
    axis = re.search(r'<g class="axis y[^"]*">(.*?)</g>\s*</g>', svg, re.S) or re.search(
        r'class="axis y.*', svg, re.S)
    return re.findall(r"<text[^>]*>([^<]+)</text>", axis.group(0))


def test_a_month_of_one_dossier_is_counted_in_whole_dossiers():
    svg = bar_chart("Hồ sơ tiếp nhận trong tháng, theo kênh", ["Công an tỉnh"],
                    {"Trực tiếp": [1], "Trực tuyến": [0], "Bưu chính": [0]})
    labels = axis_labels(svg)
    assert labels and all(re.fullmatch(r"\d+", label) for label in labels), labels
    assert "1" in labels


def test_a_busy_month_has_about_five_whole_steps():
    svg = bar_chart("Hồ sơ đang giải quyết", ["Sở Tư pháp", "Công an tỉnh"],
                    {"Trong hạn": [120, 37], "Quá hạn": [13, 2]})
    labels = [int(label) for label in axis_labels(svg)]
    assert labels[0] == 0 and labels[-1] >= 133 and len(labels) <= 7
