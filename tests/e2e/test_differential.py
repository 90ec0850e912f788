"""Differential tests: every test image prints the same UART output on hvsim
as on QEMU, and its summary line reports no failure.

QEMU is the reference model. A difference is a bug in hvsim, or a documented
exception listed in docs/differences.md (none are expected for these images).
"""
import pytest

from conftest import IMAGES, ROOT, run_hvsim, run_qemu

IMAGE_SOURCES = sorted((ROOT / "tests" / "images").glob("t_*.[cS]"))
NAMES = [p.stem[2:] for p in IMAGE_SOURCES]


@pytest.mark.parametrize("name", NAMES)
def test_same_output_as_qemu(name, tmp_path, hvsim):
    image = IMAGES / f"{name}.elf"
    assert image.exists(), f"{image} not built"
    h = run_hvsim(["run", "-q", image])
    q = run_qemu(image, tmp_path)
    assert h.status == 0, f"hvsim exit {h.status}: {h.stderr.decode(errors='replace')}"
    assert q.status == 0, f"qemu exit {q.status}: {q.stderr.decode(errors='replace')}"
    res = h.result()
    assert res is not None, f"no RESULT line in hvsim output:\n{h.stdout.decode(errors='replace')}"
    assert res[0] == name and res[1] > 0 and res[2] == 0, h.stdout.decode(errors="replace")
    assert h.stdout == q.stdout, (
        "UART output differs from QEMU\n--- hvsim\n" + h.stdout.decode(errors="replace") +
        "\n--- qemu\n" + q.stdout.decode(errors="replace"))


def test_demo_image_matches_qemu(tmp_path, hvsim):
    image = IMAGES / "demo.elf"
    h = run_hvsim(["run", "-q", image])
    q = run_qemu(image, tmp_path)
    assert h.status == 0 and q.status == 0
    assert b"RESULT demo pass=1 fail=0" in h.stdout
    assert h.stdout == q.stdout
