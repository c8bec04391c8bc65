"""An event is checked against its contract's JSON Schema (the one docs/asyncapi.yaml
publishes) before it is kept: one that does not fit is our own bug and is refused with
what is wrong, field by field."""
import copy

import pytest

from services.common.contracts import DossierReceived
from services.common.events import BrokenContract, event
from tests.common.test_contract_views import DATA


def received(data):
    return event("intake", "dossier.received", DossierReceived, data, "corr-publish",
                 dossier_code=data.get("code"))


def test_an_event_that_fits_its_contract_is_made():
    envelope = received(DATA)
    assert envelope["data"]["code"] == DATA["code"] and envelope["type"] == "dossier.received"


@pytest.mark.parametrize("change, named", [
    (lambda d: d.pop("due_date"), '"due_date" is a required property'),
    (lambda d: d.update(channel="fax"), "channel"),
    (lambda d: d.update(due_date="18/12/2026"), "due_date"),
    (lambda d: d["procedure"].update(processing_days="ten"), "procedure/processing_days"),
    (lambda d: d["applicant"].update(citizen_id="079190001234"), "applicant/citizen_id"),
    (lambda d: d.update(lookup_proof="sha1$x"), "lookup_proof"),
])
def test_an_event_that_does_not_fit_is_refused_naming_the_field(change, named):
    data = copy.deepcopy(DATA)
    change(data)
    with pytest.raises(BrokenContract, match="dossier.received does not fit") as refused:
        received(data)
    assert named in str(refused.value)
