"""Debian's U-Boot (u-boot-qemu, qemu_arm64) reaches its prompt on hvsim.

U-Boot runs from the flash at 0x0 (`--bios`), reads the DTB at the start of
RAM, and answers commands typed on UART0: `version`, `fdt print /psci` (our
generated DTB, as U-Boot parses it) and `poweroff` (PSCI SYSTEM_OFF, which
ends the run with status 0). The input's first newline stops the autoboot
countdown. Skips, loudly, only when Debian's archive cannot be reached.
"""

import pytest

from conftest import ROOT, prepare_from_debian, run_hvsim

UBOOT_DIR = ROOT / ".deps" / "uboot" / "out"
SCRIPT = b"\nversion\nfdt addr 0x40000000\nfdt print /psci\npoweroff\n"


@pytest.fixture(scope="module")
def uboot():
    prepare_from_debian("guests/uboot/prepare", UBOOT_DIR, "U-Boot")
    return UBOOT_DIR / "u-boot.bin"


def test_uboot_prompt_answers_scripted_commands(uboot, tmp_path):
    inp = tmp_path / "in.txt"
    inp.write_bytes(SCRIPT)
    r = run_hvsim(["run", "-q", "-m", "256M", "--bios", uboot, "--uart-in", f"0={inp}",
                   "--uart-in-start", "500ms", "--max-time", "20s"], timeout=600)
    out = r.stdout
    assert r.status == 0, (r.stderr + out)[-3000:]
    assert b"DRAM:  256 MiB" in out
    assert b"=> version\r\nU-Boot 20" in out or b"=> version\nU-Boot 20" in out
    # U-Boot read hvsim's generated DTB: the PSCI node with its SMC conduit.
    assert b'method = "smc";' in out and b"cpu_on = <0xc4000003>;" in out
    assert b"=> poweroff" in out
