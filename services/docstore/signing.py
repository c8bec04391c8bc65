"""Digital signatures on PDF/A files (PAdES, pyHanko), behind one interface: a local key (the
test CA's, `motcua docstore test-ca`), a PKCS#11 token or HSM, or an external signer in two
phases (the document's hash goes out, the signature comes back: the national CA's remote
signing services). The counter officer signs the scans received (art. 17(1)(c)); the agency
signs certified copies and results (art. 19(2), 22(1)).

pyHanko's synchronous API runs an asyncio loop of its own, which fails inside an eventlet
green thread: this module is used by the document worker (no eventlet) and by processes the
HTTP service starts (verification.py), never inside the nameko service."""
import asyncio
import io
from pathlib import Path

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.general import load_cert_from_pemder

# who signs which kind of document
SIGNER_OF_KIND = {"reception": "officer", "copy": "agency", "result": "agency"}
FIELD_NAME = "motcua"


class SigningUnavailable(Exception):
    """The key cannot be used now (token absent, PIN refused, files missing)."""


class LocalKeys:
    """Keys and certificates in files: <signer>.key.pem, <signer>.cert.pem, and the chain's
    root.cert.pem (the test CA's layout)."""

    def __init__(self, directory):
        self.directory = Path(directory)
        self._signers = {}

    def signer(self, role):
        if role not in self._signers:
            key = self.directory / f"{role}.key.pem"
            if not key.exists():
                raise SigningUnavailable(f"no signing key {key} (motcua docstore test-ca)")
            self._signers[role] = signers.SimpleSigner.load(
                str(key), str(self.directory / f"{role}.cert.pem"),
                ca_chain_files=(str(self.directory / "root.cert.pem"),))
        return self._signers[role]


class Pkcs11Keys:
    """A key on a PKCS#11 token (an HSM, a USB token, SoftHSM2 in tests): one key and its
    certificate, labelled `key_label`, sign for every role (the agency's token)."""

    def __init__(self, module, token_label, pin, key_label):
        self.module, self.token_label, self.pin, self.key_label = module, token_label, pin, key_label
        self._session = None
        self._signer = None

    def signer(self, role):
        if self._signer is None:
            from pyhanko.config.pkcs11 import TokenCriteria
            from pyhanko.sign import pkcs11

            try:
                self._session = pkcs11.open_pkcs11_session(
                    self.module, token_criteria=TokenCriteria(label=self.token_label),
                    user_pin=self.pin)
            except Exception as exc:  # noqa: BLE001 - every library failure means the same
                raise SigningUnavailable(f"PKCS#11 token unavailable: {exc}") from exc
            # the digest is computed here and the token signs it raw (CKM_ECDSA, CKM_RSA_PKCS):
            # what every token offers, where hash-and-sign mechanisms vary
            self._signer = pkcs11.PKCS11Signer(self._session, key_label=self.key_label,
                                               cert_label=self.key_label, use_raw_mechanism=True)
        return self._signer

    def close(self):
        if self._session is not None:
            self._session.close()


def sign(pdf, signer):
    """The PDF with a PAdES signature covering the whole file, as bytes."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    meta = signers.PdfSignatureMetadata(field_name=FIELD_NAME, subfilter=fields.SigSeedSubFilter.PADES,
                                        md_algorithm="sha256")
    out = signers.PdfSigner(meta, signer).sign_pdf(writer)
    return out.getvalue()


class ExternalSigning:
    """Two phases, for a remote signing service (the national CA's) that signs a hash and
    never sees the file: `prepare` reserves the signature in the PDF and gives the bytes to
    sign (the DER of the CMS signed attributes, which hold the file's digest) and a state to
    keep; `finish` embeds the signature value that came back. The state is plain bytes and
    numbers, so it can wait in the database between the phases."""

    def __init__(self, cert_path, chain_paths=()):
        from pyhanko.keys import load_cert_from_pemder as load
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        self.cert = load(str(cert_path))
        self.registry = SimpleCertificateStore.from_certs([load(str(p)) for p in chain_paths])

    def _signer(self, signature_value=None):
        return signers.ExternalSigner(self.cert, self.registry,
                                      signature_value=signature_value or 256)

    def prepare(self, pdf):
        """(state, bytes the remote service signs with SHA-256)."""
        return asyncio.run(self._prepare(pdf))

    async def _prepare(self, pdf):
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        meta = signers.PdfSignatureMetadata(field_name=FIELD_NAME, md_algorithm="sha256",
                                            subfilter=fields.SigSeedSubFilter.PADES)
        signer = self._signer()
        digest, _, output = await signers.PdfSigner(meta, signer).async_digest_doc_for_signing(
            writer)
        attrs = await signer.signed_attrs(digest.document_digest, "sha256", use_pades=True)
        state = {"pdf": output.getvalue(), "document_digest": digest.document_digest,
                 "start": digest.reserved_region_start, "end": digest.reserved_region_end,
                 "signed_attrs": attrs.dump()}
        return state, attrs.dump()

    def finish(self, state, signature_value):
        """The signed PDF, with the remote service's signature value (DER for ECDSA)."""
        return asyncio.run(self._finish(state, signature_value))

    async def _finish(self, state, signature_value):
        from asn1crypto import cms
        from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
        from pyhanko.sign.signers.pdf_signer import PdfTBSDocument

        signed = await self._signer(signature_value).async_sign_prescribed_attributes(
            "sha256", signed_attrs=cms.CMSAttributes.load(state["signed_attrs"]))
        output = io.BytesIO(state["pdf"])
        await PdfTBSDocument.async_finish_signing(output, PreparedByteRangeDigest(
            state["document_digest"], state["start"], state["end"]), signed)
        return output.getvalue()


class ExternalKeys:
    """Certificates only, <signer>.cert.pem and the chain's root.cert.pem: the keys are the
    remote signing service's, reached in two phases through the HTTP API."""

    def __init__(self, directory):
        self.directory = Path(directory)

    def signing(self, role):
        cert = self.directory / f"{role}.cert.pem"
        if not cert.exists():
            raise SigningUnavailable(f"no certificate {cert} of the remote signer")
        return ExternalSigning(cert, [self.directory / "root.cert.pem"])


def subject_of(signer):
    return signer.signing_cert.subject.human_friendly


def load_roots(paths):
    return [load_cert_from_pemder(str(path)) for path in paths]
