"""Bus errors: an access to a physical address with nothing behind it.

By default (--on-bus-error=abort) the guest takes a synchronous external
abort, as on QEMU's virt machine (t_buserr checks the syndromes against QEMU
in test_differential.py); each one is reported on stderr. With
--on-bus-error=stop the run ends with status 4 and a one-line report naming
PA, VA, PC, EL and the faulting instruction. See docs/cpu-bus-errors.md.
"""
import re
import struct

from conftest import IMAGES, run_hvsim

BUSERR = IMAGES / "buserr.elf"
HOLE = 0x090C0000


def test_stop_reports_the_first_access_and_exits_4(hvsim):
    r = run_hvsim(["run", "--on-bus-error=stop", BUSERR])
    err = r.stderr.decode(errors="replace")
    assert r.status == 4, err
    lines = [l for l in err.splitlines() if "bus-error after" in l]
    assert len(lines) == 1, err
    line = lines[0]
    # t_buserr's first case: ldrb w1, [x0] with x0 = HOLE, at EL2.
    assert re.search(r"1-byte read at PA 0x90c0000 \(VA 0x90c0000\)", line), line
    assert re.search(r"EL2, PC 0x[0-9a-f]+: ldrb w1, \[x0\]$", line), line
    # The guest printed nothing after the faulting instruction.
    assert b"EL2 ldrb" not in r.stdout


def test_stop_separate_argument_form(hvsim):
    r = run_hvsim(["run", "-q", "--on-bus-error", "stop", BUSERR])
    assert r.status == 4


def test_bad_mode_is_a_usage_error(hvsim):
    r = run_hvsim(["run", "--on-bus-error=ignore", BUSERR])
    assert r.status == 1
    assert b"--on-bus-error wants abort or stop" in r.stderr


def test_abort_is_the_default_and_reports_each_access(hvsim):
    r = run_hvsim(["run", "-q", "--log", "bus", BUSERR])
    err = r.stderr.decode(errors="replace")
    assert r.status == 0, err
    assert r.result() == ("buserr", r.result()[1], 0), r.stdout.decode(errors="replace")
    events = [l for l in err.splitlines() if "bus error:" in l]
    # 16 cases at EL2 and 16 at EL1 (t_buserr.c: run_cases).
    assert len(events) == 32, err
    assert sum("EL2" in l for l in events) == 16 and sum("EL1" in l for l in events) == 16
    assert any("fetch of 4 bytes at PA 0x90c0200" in l for l in events), err
    assert any("write of 8 bytes at PA 0x90c0028" in l for l in events), err
    # Without --log too, every distinct bus error is reported, with its VA and
    # disassembly, as a guest error.
    reports = [l for l in err.splitlines() if "answered with a synchronous external abort" in l]
    assert len(reports) == 32, err
    assert any("8-byte read at PA 0x48000000 (VA 0x48000000)" in l and "ldp x1, x2, [x0]" in l
               for l in reports), err


def test_stop_on_an_instruction_fetch(hvsim, tmp_path):
    # movz x0, #0x090c, lsl #16; br x0
    raw = tmp_path / "fetch.bin"
    raw.write_bytes(struct.pack("<II", 0xD2A12180, 0xD61F0000))
    r = run_hvsim(["run", "--on-bus-error=stop", f"{raw}@0x40080000"])
    err = r.stderr.decode(errors="replace")
    assert r.status == 4, err
    assert re.search(r"4-byte instruction fetch at PA 0x90c0000 \(VA 0x90c0000\).*EL2, "
                     r"PC 0x90c0000", err), err

