"""A stored file's verification runs pyHanko in a child process: a second look at the same
file within minutes is answered from what the first found; other bytes or other trust roots
are verified afresh."""
from types import SimpleNamespace

from services.docstore import files, verification


def test_the_same_file_is_verified_once_other_bytes_again(monkeypatch):
    runs = []

    def child_process(pdf, roots):
        runs.append((pdf, tuple(roots)))
        return {"intact": pdf == b"%PDF signed", "summary": "ok"}

    monkeypatch.setattr(verification, "verify_in_process", child_process)
    monkeypatch.setattr(files, "VERIFICATIONS", type(files.VERIFICATIONS)(maxsize=8, ttl=600))
    settings = SimpleNamespace(trust_roots="/ca/root.pem", local_key_dir="/keys")
    first = files.verified(b"%PDF signed", settings)
    assert files.verified(b"%PDF signed", settings) == first
    assert len(runs) == 1
    assert files.verified(b"%PDF signeD", settings)["intact"] is False  # one byte flipped
    other_roots = SimpleNamespace(trust_roots="/ca/other.pem", local_key_dir="/keys")
    files.verified(b"%PDF signed", other_roots)
    assert len(runs) == 3
