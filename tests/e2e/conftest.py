"""Shared fixtures for hvsim's end-to-end tests.

The tests drive the built CLI (``$HVSIM_BUILD/hvsim``) and the AArch64 images
built next to it (``$HVSIM_BUILD/images``). QEMU (``qemu-system-aarch64 -M
virt,virtualization=on,gic-version=3 -cpu cortex-a72``) is the reference model
for the differential tests.
"""
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("HVSIM_BUILD", ROOT / "build"))
HVSIM = BUILD / "hvsim"
IMAGES = BUILD / "images"
QEMU = "qemu-system-aarch64"
QEMU_MACHINE = ["-M", "virt,virtualization=on,gic-version=3", "-cpu", "cortex-a72"]

RESULT_RE = re.compile(rb"^RESULT (\S+) pass=(\d+) fail=(\d+)$", re.M)


@dataclass
class Run:
    status: int
    stdout: bytes
    stderr: bytes

    def result(self):
        """The image's summary line: (name, pass, fail), or None."""
        m = RESULT_RE.findall(self.stdout)
        if len(m) != 1:
            return None
        name, p, f = m[0]
        return name.decode(), int(p), int(f)


def run_hvsim(args, timeout=120, stdin=None):
    env = dict(os.environ)
    # The test build runs under ASan; Unicorn's JIT is not instrumented.
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    env.setdefault("LSAN_OPTIONS", f"suppressions={ROOT / 'tests' / 'lsan.supp'}")
    p = subprocess.run([str(HVSIM)] + [str(a) for a in args], capture_output=True,
                       timeout=timeout, input=stdin, env=env)
    return Run(p.returncode, p.stdout, p.stderr)


def run_qemu(image, tmp_path, timeout=120, extra=()):
    """Run an image on QEMU virt; returns its UART0 output."""
    out = tmp_path / "qemu-uart0.txt"
    # -nic none: virt's default virtio NIC wants efi-virtio.rom (ipxe-qemu).
    cmd = [QEMU, *QEMU_MACHINE, "-display", "none", "-monitor", "none", "-nic", "none",
           "-serial", f"file:{out}", "-kernel", str(image), *extra]
    p = subprocess.run(cmd, capture_output=True, timeout=timeout)
    data = out.read_bytes() if out.exists() else b""
    return Run(p.returncode, data, p.stderr)


@pytest.fixture(scope="session")
def hvsim():
    if not HVSIM.exists():
        pytest.fail(f"{HVSIM} not built (run make)")
    return HVSIM


@pytest.fixture(scope="session")
def images():
    return IMAGES


def prepare_from_debian(script, outdir, what):
    """Run a guests/*/prepare script (it fetches from Debian's archive into
    outdir); skip the calling test, loudly, only if the archive is
    unreachable (the script's exit status 3), and fail on anything else."""
    p = subprocess.run([str(ROOT / script), str(outdir)], capture_output=True, timeout=900)
    if p.returncode == 3:
        pytest.skip(f"Debian's archive is unreachable, so {what} cannot be prepared: "
                    + p.stderr.decode(errors="replace").strip().splitlines()[-1])
    assert p.returncode == 0, p.stderr.decode(errors="replace")
