"""The manager's charts: bar charts drawn on the server as SVG by pygal, put in the page itself
so that they read without JavaScript. Each chart's figures are also in a table beside it
(the chart is for the eye, the table for a screen reader and for copying)."""
import pygal
from markupsafe import Markup
from pygal.etree import etree
from pygal.style import Style

# Colours told apart by people with the commonest colour blindness (Okabe-Ito), on white.
STYLE = Style(
    background="white", plot_background="white", foreground="#1b1b1b",
    foreground_strong="#1b1b1b", foreground_subtle="#555",
    font_family="'Noto Sans', 'DejaVu Sans', Arial, sans-serif",
    colors=("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9"),
    label_font_size=13, major_label_font_size=13, legend_font_size=14, title_font_size=16,
    value_font_size=13, no_data_font_size=20)


def bar_chart(title, labels, series, stacked=True):
    """An SVG bar chart of `series` ({legend: [value per label]}) over `labels`."""
    kind = pygal.StackedBar if stacked else pygal.Bar
    chart = kind(style=STYLE, title=title, width=760, height=340, disable_xml_declaration=True,
                 js=[], print_values=True, print_zeroes=False, legend_at_bottom=True,
                 no_data_text="Chưa có số liệu")
    chart.x_labels = labels
    chart.y_labels = count_ticks(series, stacked)
    for legend, values in series.items():
        chart.add(legend, values)
    svg = chart.render_tree()
    _drop_script_hooks(svg)
    svg.set("role", "img")
    svg.set("aria-label", title)
    return Markup(etree.tostring(svg, encoding="unicode"))


def count_ticks(series, stacked):
    """Whole numbers for the axis of a count of dossiers (pygal would mark 0.1, 0.2, ...): about
    five steps from 0 to the tallest bar."""
    columns = list(zip(*series.values(), strict=True)) or [(0,)]
    top = max((sum(column) if stacked else max(column)) for column in columns)
    step = max(1, -(-top // 5))
    return list(range(0, max(top, 1) + step, step))


def _drop_script_hooks(svg):
    """pygal always adds an inline script (its tooltips' settings): the pages allow none
    (their CSP), and the values are printed on the bars instead. The legends' ids are the
    script's hooks, the same in every chart: two charts on a page would repeat them."""
    for parent in list(svg.iter()):
        if str(parent.get("id", "")).startswith("activate-serie"):
            del parent.attrib["id"]
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rpartition("}")[2] == "script":
                parent.remove(child)
