"""End-to-end tests of the hvsim CLI: options, exit statuses, bad input,
determinism and UART routing (docs/cli.md)."""
import struct
import subprocess

import pytest

from conftest import IMAGES, run_hvsim

EM_AARCH64 = 183


def elf64(segments, entry, machine=EM_AARCH64, cls=2, data=1):
    """A minimal ELF64 executable: segments = [(paddr, bytes, memsz)]."""
    ehsize, phsize = 64, 56
    phoff = ehsize
    off = phoff + phsize * len(segments)
    phdrs, blobs = b"", b""
    for paddr, blob, memsz in segments:
        phdrs += struct.pack("<IIQQQQQQ", 1, 5, off + len(blobs), paddr, paddr, len(blob),
                             memsz, 0x1000)
        blobs += blob
    ident = b"\x7fELF" + bytes([cls, data, 1, 0]) + b"\0" * 8
    hdr = ident + struct.pack("<HHIQQQIHHHHHH", 2, machine, 1, entry, phoff, 0, 0, ehsize,
                              phsize, len(segments), 64, 0, 0)
    return hdr + phdrs + blobs


WFI_LOOP = struct.pack("<II", 0xd503207f, 0x17ffffff)  # wfi; b .-4


def one_line_error(run):
    err = run.stderr.decode()
    lines = [l for l in err.splitlines() if l.startswith("hvsim:")]
    return lines


def test_help_and_version(hvsim):
    r = run_hvsim(["--help"])
    assert r.status == 0 and b"hvsim run [options] IMAGE" in r.stdout
    r = run_hvsim(["--version"])
    assert r.status == 0 and r.stdout.startswith(b"hvsim ") and b"Unicorn 2.1" in r.stdout


@pytest.mark.parametrize("args,needle", [
    (["frobnicate"], b"unknown command"),
    (["run"], b"no IMAGE given"),
    (["run", "--bogus", "x.elf"], b"unknown option --bogus"),
    (["run", "--max-insns", "12abc", "x.elf"], b"malformed instruction count"),
    (["run", "--max-time", "10parsecs", "x.elf"], b"malformed time"),
    (["run", "-m", "0x", "x.elf"], b"malformed size"),
    (["run", "--uart", "9=x", "x.elf"], b"--uart wants N=FILE"),
    (["run", "--log", "exc,nonsense", "x.elf"], b"unknown event name"),
    (["run", "--platform", "nosuch", "x.elf"], b"nosuch"),
])
def test_usage_errors(hvsim, args, needle):
    r = run_hvsim(args)
    assert r.status == 1, r.stderr
    assert needle in r.stderr


def write(tmp_path, name, data):
    p = tmp_path / name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize("name,data,needle", [
    ("empty.elf", b"", b""),
    ("garbage.bin", b"this is not an image at all" * 10, b"unrecognized image format"),
    ("trunc.elf", elf64([(0x40200000, WFI_LOOP, 8)], 0x40200000)[:70], b""),
    ("x86.elf", elf64([(0x40200000, WFI_LOOP, 8)], 0x40200000, machine=62), b"x86-64"),
    ("elf32.elf", elf64([(0x40200000, WFI_LOOP, 8)], 0x40200000, cls=1), b""),
    ("outside.elf", elf64([(0x1000, WFI_LOOP, 8)], 0x1000), b"outside"),
    ("overlap.elf", elf64([(0x40200000, WFI_LOOP, 8), (0x40200004, WFI_LOOP, 8)], 0x40200000),
     b"overlap"),
    ("huge.elf", elf64([(0x40000000, WFI_LOOP, 0x10000000)], 0x40000000), b""),
])
def test_bad_images(hvsim, tmp_path, name, data, needle):
    r = run_hvsim(["run", "-q", write(tmp_path, name, data)])
    assert r.status == 1, (r.status, r.stderr)
    lines = one_line_error(r)
    assert len(lines) == 1, r.stderr  # one line naming the problem
    assert name.encode() in r.stderr or b"image" in r.stderr
    assert needle in r.stderr
    assert b"AddressSanitizer" not in r.stderr and b"runtime error" not in r.stderr


def test_missing_image(hvsim, tmp_path):
    r = run_hvsim(["run", tmp_path / "nope.elf"])
    assert r.status == 1 and b"cannot open" in r.stderr


def test_raw_image_malformed_address(hvsim, tmp_path):
    p = write(tmp_path, "raw.bin", WFI_LOOP)
    r = run_hvsim(["run", f"{p}@0x4020zz"])
    assert r.status == 1 and len(one_line_error(r)) == 1


def test_wfi_forever_is_reported(hvsim, tmp_path):
    p = write(tmp_path, "wfi.bin", WFI_LOOP)
    r = run_hvsim(["run", f"{p}@0x40200000"])
    assert r.status == 4, r.stderr
    assert b"idle-forever" in r.stderr and b"WFI at PC 0x40200000" in r.stderr


def test_max_insns_and_max_time(hvsim):
    r = run_hvsim(["run", "--max-insns", "1000", IMAGES / "demo.elf"])
    assert r.status == 3 and b"max-insns" in r.stderr
    # Stops at the first block boundary at or after the limit.
    n = int(r.stderr.split(b"after ")[1].split(b" instructions")[0])
    assert 1000 <= n < 1000 + 512
    r = run_hvsim(["run", "--max-time", "2us", IMAGES / "demo.elf"])
    assert r.status == 3 and b"max-time" in r.stderr


def test_deterministic_output_and_events(hvsim):
    runs = [run_hvsim(["run", "--log", "all", IMAGES / "demo.elf"]) for _ in range(2)]
    assert runs[0].status == 0
    assert runs[0].stdout == runs[1].stdout
    assert runs[0].stderr == runs[1].stderr
    assert runs[0].stderr.count(b"EL1 -> EL2 sync HVC64") == 4


def test_event_log_explains_stage2_fault(hvsim):
    r = run_hvsim(["run", "-q", "--log", "exc", IMAGES / "demo.elf"])
    line = [l for l in r.stderr.splitlines() if b"DABT_LOW" in l][0]
    assert b"ESR=0x93810005" in line and b"FAR=0x80000000" in line
    assert b"HPFAR=0x800000 (IPA 0x80000000)" in line and b"(ldr w1, [x2])" in line


def test_uart_output_to_file(hvsim, tmp_path):
    out = tmp_path / "uart0.txt"
    r = run_hvsim(["run", "-q", "--uart", f"0={out}", IMAGES / "hello.elf"])
    assert r.status == 0 and r.stdout == b""
    assert out.read_bytes().startswith(b"hello from EL2\n")


def test_uart_input_is_delivered(hvsim, tmp_path):
    inp = write(tmp_path, "in.txt", b"ping")
    r = run_hvsim(["run", "-q", "--uart-in", f"0={inp}", IMAGES / "uart_rx.elf"])
    assert r.status == 0 and b"rx: [ping]" in r.stdout
    r2 = run_hvsim(["run", "-q", "--uart-in", "0=-", IMAGES / "uart_rx.elf"], stdin=b"pong")
    assert b"rx: [pong]" in r2.stdout


def test_dtb_out_is_valid(hvsim, tmp_path):
    dtb = tmp_path / "virt.dtb"
    r = run_hvsim(["run", "-q", "--dtb-out", dtb, IMAGES / "hello.elf"])
    assert r.status == 0
    p = subprocess.run(["dtc", "-I", "dtb", "-O", "dts", dtb], capture_output=True)
    # dtc runs its structural and semantic checks (interrupts_property,
    # unit_address_vs_reg, ...) on the blob: no warnings allowed.
    assert p.returncode == 0 and p.stderr == b"", p.stderr
    dts = p.stdout.decode()
    assert 'compatible = "arm,gic-v3"' in dts and 'method = "smc"' in dts
    assert "pl011@9000000" in dts
    # What Linux's arch_timer and irq-gic-v3 drivers expect: the four timer
    # PPIs in the binding's order (secure phys, non-secure phys, virtual,
    # hyp: INTIDs 29, 30, 27, 26 as PPI 13, 14, 11, 10), level-high; a
    # 3-cell interrupt controller with the maintenance PPI 9.
    assert "interrupts = <0x01 0x0d 0x04 0x01 0x0e 0x04 0x01 0x0b 0x04 0x01 0x0a 0x04>" in dts
    assert "#interrupt-cells = <0x03>" in dts and "interrupts = <0x01 0x09 0x04>" in dts


def test_ram_size_option(hvsim, tmp_path):
    dtb = tmp_path / "m.dtb"
    r = run_hvsim(["run", "-q", "-m", "256M", "--dtb-out", dtb, IMAGES / "hello.elf"])
    assert r.status == 0
    dts = subprocess.run(["dtc", "-I", "dtb", "-O", "dts", dtb], capture_output=True).stdout
    assert b"reg = <0x00 0x40000000 0x00 0x10000000>" in dts


def test_abort_loop_is_stopped(hvsim, tmp_path):
    """VBAR_EL2 in a hole: every abort faults again on the vector fetch and
    no instruction retires, so no limit would end the run. hvsim must."""
    prog = [0xd2a12000,  # movz x0, #0x0900, lsl #16
            0xf2980000,  # movk x0, #0xc000 -> 0x0900c000, unmapped on virt
            0xd51cc000,  # msr vbar_el2, x0
            0xd5033fdf,  # isb
            0xf9400001,  # ldr x1, [x0]: external abort -> vector in the hole
            0x14000000]  # b .
    p = write(tmp_path, "loop.bin", b"".join(struct.pack("<I", i) for i in prog))
    r = run_hvsim(["run", f"{p}@0x40200000"], timeout=60)
    assert r.status == 4, r.stderr
    assert b"stuck taking external aborts" in r.stderr


def test_system_off_with_a_timer_armed(hvsim, tmp_path):
    """Regression: tearing the machine down with a timer still queued
    recomputed the deadline of an already freed CPU (found by ASan on the
    Linux boot, which powers off with its timer armed)."""
    prog = [0xd2a20000,  # movz x0, #0x1000, lsl #16
            0xd51ce240,  # msr cnthp_cval_el2, x0: far in the future
            0xd2800020,  # mov x0, #1
            0xd51ce220,  # msr cnthp_ctl_el2, x0: ENABLE
            0xd2b08000,  # movz x0, #0x8400, lsl #16
            0xf2800100,  # movk x0, #8: PSCI SYSTEM_OFF
            0xd4000003,  # smc #0
            0x14000000]  # b .
    p = write(tmp_path, "armed.bin", b"".join(struct.pack("<I", i) for i in prog))
    r = run_hvsim(["run", "-q", f"{p}@0x40200000"])
    assert r.status == 0, r.stderr


def test_bios_runs_from_a_read_only_flash(hvsim, tmp_path):
    """--bios: the firmware runs from the flash at 0x0 at EL2; a store to the
    flash is ignored (it reads back unchanged) and reported as a guest error."""
    prog = [0xd2802001,  # mov x1, #0x100
            0xb9400022,  # ldr w2, [x1]
            0x52800aa3,  # mov w3, #0x55
            0xb9000023,  # str w3, [x1]: to the flash
            0xb9400024,  # ldr w4, [x1]
            0xd2a12005,  # movz x5, #0x0900, lsl #16: UART0
            0x528009c6,  # mov w6, #'N'
            0x6b04005f,  # cmp w2, w4
            0x52800b27,  # mov w7, #'Y'
            0x1a8600e6,  # csel w6, w7, w6, eq: 'Y' if unchanged
            0xb90000a6,  # str w6, [x5]
            0x52800146,  # mov w6, #'\n'
            0xb90000a6,  # str w6, [x5]
            0xd2b08000,  # movz x0, #0x8400, lsl #16
            0xf2800100,  # movk x0, #8: PSCI SYSTEM_OFF
            0xd4000003,  # smc #0
            0x14000000]  # b .
    p = write(tmp_path, "rom.bin", b"".join(struct.pack("<I", i) for i in prog))
    r = run_hvsim(["run", "--bios", p])
    assert r.status == 0 and r.stdout == b"Y\n", r.stderr
    assert b"write of 0x55 to read-only memory at PA 0x100: ignored" in r.stderr


def test_bios_bad_uses(hvsim, tmp_path):
    empty = write(tmp_path, "empty.bin", b"")
    r = run_hvsim(["run", "--bios", empty])
    assert r.status == 1 and b"the flash holds 1 to" in r.stderr
    r = run_hvsim(["run", "--bios", empty, IMAGES / "hello.elf"])
    assert r.status == 1 and b"give other files with --load" in r.stderr
