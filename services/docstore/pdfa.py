"""A scan or an uploaded PDF as PDF/A-2B with a Vietnamese text layer (OCRmyPDF and
Tesseract's `vie` model), and what poppler says of a PDF (pages, page images). Each runs as
a program in its own process, on files in a private temporary directory."""
import subprocess
import tempfile
from pathlib import Path

OCR_TIMEOUT_SECONDS = 600
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png",
              "image/tiff": "tif"}
# ocrmypdf's exit codes that mean the input, not the machine, is at fault
BAD_INPUT = {2, 4, 6, 8}


class ConversionFailed(Exception):
    """The file cannot be made into PDF/A (damaged, encrypted, not really an image)."""


def to_pdfa(data, media_type, languages, image_dpi):
    """PDF/A-2B bytes with an OCR text layer. A PDF that already has text keeps it (its
    image-only pages get one); an image is taken at `image_dpi` when it does not say."""
    with tempfile.TemporaryDirectory(prefix="docstore-ocr-") as work:
        source = Path(work) / f"in.{EXTENSIONS[media_type]}"
        target = Path(work) / "out.pdf"
        source.write_bytes(data)
        command = ["ocrmypdf", "--quiet", "--output-type", "pdfa-2", "-l", languages,
                   "--jobs", "1"]
        if media_type == "application/pdf":
            command.append("--skip-text")
        else:
            command += ["--image-dpi", str(image_dpi)]
        done = subprocess.run([*command, str(source), str(target)], capture_output=True,
                              timeout=OCR_TIMEOUT_SECONDS)
        if done.returncode in BAD_INPUT:
            raise ConversionFailed(done.stderr.decode("utf-8", "replace")[-500:])
        if done.returncode != 0:
            raise RuntimeError(f"ocrmypdf exited {done.returncode}: "
                               f"{done.stderr.decode('utf-8', 'replace')[-500:]}")
        return target.read_bytes()


def page_count(pdf):
    done = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, timeout=60)
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith("Pages:"):
            return int(line.split(":", 1)[1])
    return 0


def thumbnail(pdf, page, dpi):
    """One page as a small PNG (pdftoppm), or None when the PDF has no such page."""
    with tempfile.TemporaryDirectory(prefix="docstore-thumb-") as work:
        source = Path(work) / "in.pdf"
        source.write_bytes(pdf)
        done = subprocess.run(["pdftoppm", "-png", "-singlefile", "-r", str(dpi), "-f",
                               str(page), "-l", str(page), str(source), str(Path(work) / "page")],
                              capture_output=True, timeout=60)
        out = Path(work) / "page.png"
        return out.read_bytes() if done.returncode == 0 and out.exists() else None
