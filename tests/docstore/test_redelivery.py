"""The redelivery contract for docstore's reliable handlers (tests/redelivery.py): each
envelope delivered twice has its effect once."""
import uuid

import pytest

from services.docstore.service import DocstoreService
from tests.docstore.test_results import CODE, dossier_received, result_ready
from tests.redelivery import delivered_twice


def signed_result(db):
    """The agency's signed result of CODE, as the worker leaves it, and routing's event
    naming it."""
    document_id = uuid.uuid4()
    with db.cursor() as cur:
        cur.execute("""INSERT INTO docstore.documents (id, kind, status, document_type, title,
                           department, source, digitised_by, sha256, size, pages, signer,
                           signer_kind, signed_at)
                       VALUES (%s, 'result', 'signed', 'qd_ket_qua', 'Quyết định', 'stp',
                           'result', 'chuyenvien-stp', %s, 1, 1, 'Cơ quan giải quyết',
                           'agency', now())""", (str(document_id), "0" * 64))
    return result_ready(str(document_id), CODE)


REDELIVERY_CASES = {
    "handle_dossier_received": lambda db: dossier_received(),
    "handle_result_ready": signed_result,
}


@pytest.mark.parametrize("method", sorted(REDELIVERY_CASES))
def test_a_redelivered_envelope_has_its_effect_once(method, container_factory, config_for, db):
    envelope = REDELIVERY_CASES[method](db)
    delivered_twice(container_factory, DocstoreService, config_for("docstore"), db, method,
                    envelope)
