"""The public catalogue of procedures (no sign-in): search by words with or without
diacritics, and one procedure's page: the agency that decides it, its lĩnh vực, documents,
time, fees, where to submit it and, when it is offered online, the link to submit it on the
National Public Service Portal."""
import time

from .formats import folded
from .web import PageError, render

KEPT_SECONDS = 60
SHOWN = 50
CHANNELS = {"counter": "Trực tiếp tại Bộ phận Một cửa",
            "postal": "Qua dịch vụ bưu chính công ích",
            "online": "Trực tuyến trên Cổng Dịch vụ công quốc gia"}
ONLINE_LEVELS = {"full": "toàn trình", "partial": "một phần"}
DOCUMENT_FORMS = {"original": "Bản chính", "certified_copy": "Bản sao có chứng thực",
                  "copy": "Bản sao"}
DAY_KINDS = {"working": "ngày làm việc", "calendar": "ngày"}
_kept = {}  # {"at": monotonic, "catalogue": {...}}: the catalogue changes a few times a year


def catalogue(services):
    """The procedures, agencies and centers, asked of intake at most once a minute."""
    if _kept and time.monotonic() - _kept["at"] < KEPT_SECONDS:
        return _kept["catalogue"]
    found = services.together(
        procedures=lambda: services.call("intake", "GET", "/api/v1/procedures"),
        agencies=lambda: services.call("intake", "GET", "/api/v1/agencies"),
        centers=lambda: services.call("intake", "GET", "/api/v1/centers"))
    agencies = {a["code"]: a["name"] for a in found["agencies"].body["agencies"]}
    procedures = [{**p, "agency_names": [agencies.get(code, code) for code in
                                         ([p["department"]] if p["department"]
                                          else p["competent_agencies"])]}
                  for p in found["procedures"].body["procedures"]]
    for procedure in procedures:
        procedure["words"] = folded(" ".join((procedure["code"], procedure["name"],
                                              procedure.get("sector_name") or "",
                                              *procedure["agency_names"])))
    _kept.update(at=time.monotonic(), catalogue={
        "procedures": procedures, "agencies": agencies,
        "centers": found["centers"].body["centers"]})
    return _kept["catalogue"]


def processing_time(procedure):
    if procedure["processing_days"] == 0:
        return "Trong ngày"
    return f"{procedure['processing_days']} {DAY_KINDS[procedure['day_kind']]}"


def search_page(services, request):
    text = request.args.get("q", "").strip()[:200]
    procedures = catalogue(services)["procedures"]
    words = folded(text).split()
    found = [p for p in procedures if all(word in p["words"] for word in words)]
    return render("catalogue.html", user=None, q=text, found=found[:SHOWN], total=len(found),
                  shown=SHOWN, processing_time=processing_time)


def counters_for(centers, procedure):
    """Where to submit at the counter: each center's counters that sit the deciding agency
    (every center receives every procedure of the province; the general counter otherwise)."""
    agencies = {procedure["department"], *procedure["competent_agencies"]} - {None}
    places = []
    for center in centers:
        counters = [c for c in center["counters"] if agencies & set(c.get("agencies") or ())]
        counters = counters or [c for c in center["counters"] if not c.get("agencies")]
        places.append({"center": center["name"], "counters": counters})
    return places


def procedure_page(services, settings, code):
    known = catalogue(services)
    procedure = next((p for p in known["procedures"] if p["code"] == code), None)
    if procedure is None:
        raise PageError(404, f"Không có thủ tục mã {code} trong danh mục.", "Không tìm thấy thủ tục")
    portal_url = (settings.portal_procedure_url.replace("{code}", code)
                  if "online" in procedure["channels"] else None)
    return render("procedure.html", user=None, procedure=procedure,
                  places=counters_for(known["centers"], procedure), portal_url=portal_url,
                  channels=CHANNELS, online_levels=ONLINE_LEVELS, forms=DOCUMENT_FORMS,
                  processing_time=processing_time(procedure))
