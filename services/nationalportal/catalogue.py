"""The catalogue mapping check (`motcua portal import-catalogue`): the portal's procedures,
agencies and lĩnh vực (its read services) against the local catalogue (intake's). Missing
and differing rows are reported, never changed here: the catalogue is intake's and a
person decides."""


def _rows(portal, service, key, name):
    return {str(row.get(key)): row.get(name) for row in portal.call(service).get("result") or []
            if isinstance(row, dict) and row.get(key)}


def compare(portal_rows, local_rows):
    """{missing_on_portal, missing_locally, differing} of two {code: name} maps."""
    return {
        "missing_on_portal": sorted(set(local_rows) - set(portal_rows)),
        "missing_locally": sorted(set(portal_rows) - set(local_rows)),
        "differing": [{"code": code, "local": local_rows[code], "portal": portal_rows[code]}
                      for code in sorted(set(local_rows) & set(portal_rows))
                      if (local_rows[code] or "").strip() != (portal_rows[code] or "").strip()],
    }


def check(portal, procedures, departments):
    """The report, from the portal's lists and intake's procedures and departments."""
    local_procedures = {p["code"]: p["name"] for p in procedures}
    local_sectors = {p["sector_code"]: p.get("sector_name") or "" for p in procedures
                     if p.get("sector_code")}
    local_agencies = {d["identifier"]: d["name"] for d in departments if d.get("identifier")}
    report = {
        "procedures": compare(_rows(portal, "procedures", "MaTTHC", "TenTTHC"),
                              local_procedures),
        "agencies": compare(_rows(portal, "agencies", "MaCoQuan", "TenCoQuan"),
                            local_agencies),
        "sectors": compare(_rows(portal, "sectors", "MaLinhVuc", "TenLinhVuc"),
                           local_sectors),
    }
    report["matches"] = not any(part["missing_on_portal"] or part["differing"]
                                for part in report.values())
    return report
