"""The CRU/GRF and the devices behind them, end to end (docs/soc.md).

tests/images/u_soc.c misconfigures UART2's clock, reset and pins and I2C0's,
phase by phase; here we check what reached UART2's terminal, the health
summary, the events, and the generated DTB (with dtc).

Expected line effects come from a receiver model written here from the
UART's definition (8N1 frame, mid-bit sampling after the start edge; PL011
TRM 3.3.6 for the bit rate), not from hvsim's output.
"""
import shutil
import subprocess
from fractions import Fraction

import pytest

from conftest import IMAGES, run_hvsim

IMAGE = IMAGES / "u_soc.elf"
TERMINAL = 115200


def pl011_rate(uartclk, ibrd, fbrd):
    """PL011 TRM 3.3.6: baud = UARTCLK / (16 (IBRD + FBRD / 64))."""
    return Fraction(uartclk) / (16 * (ibrd + Fraction(fbrd, 64)))


def receive(text, tx_rate, rx_rate=TERMINAL):
    """What an 8N1 receiver at rx_rate makes of 8N1 characters sent at
    tx_rate: sample k (0 start, 1-8 data, 9 stop) in the middle of the
    receiver's bit k reads the transmitter's bit floor((k + 1/2) tx / rx).
    A start sample of 1 sees no character; a stop sample of 0 is a framing
    error and the character is dropped."""
    out = bytearray()
    garbled = framing = 0
    for ch in text.encode():
        wave = [0] + [(ch >> i) & 1 for i in range(8)]
        level = lambda j: wave[j] if j < len(wave) else 1  # stop bit, then idle
        samples = [level(int((k + Fraction(1, 2)) * tx_rate / rx_rate)) for k in range(10)]
        if samples[0] == 1:
            continue
        if samples[9] == 0:
            framing += 1
            continue
        byte = sum(b << i for i, b in enumerate(samples[1:9]))
        garbled += byte != ch
        out.append(byte)
    return bytes(out), garbled, framing


def receive_flags(text, tx_rate, rx_rate):
    """As receive(), for a PL011 receiver: a character with a framing error
    is kept with DR.FE (bit 8) set (PL011 TRM 3.3.1)."""
    out = []
    for ch in text.encode():
        wave = [0] + [(ch >> i) & 1 for i in range(8)]
        level = lambda j: wave[j] if j < len(wave) else 1
        samples = [level(int((k + Fraction(1, 2)) * tx_rate / rx_rate)) for k in range(10)]
        if samples[0] == 1:
            continue
        byte = sum(b << i for i, b in enumerate(samples[1:9]))
        out.append(byte | (0x100 if samples[9] == 0 else 0))
    return out


def expected_uart2():
    ok = pl011_rate(24_000_000, 13, 1)
    fast = pl011_rate(1_188_000_000 // 25, 13, 1)  # gpll / (24 + 1)
    close = pl011_rate(Fraction(1_000_000_000, 42), 13, 1)  # cpll / (41 + 1)
    # B and H wait in the TX FIFO while sclk is stopped and leave at 24 MHz
    # once it runs again.
    parts = [receive("A:hello\n", ok), receive("B:gated\n", ok), receive("C:fast\n", fast),
             receive("D:close\n", close), receive("G:healed\n", ok),
             receive("H:reserved\n", ok), receive("I:restored\n", ok)]
    return (b"".join(p[0] for p in parts), sum(p[1] for p in parts), sum(p[2] for p in parts))


@pytest.fixture(scope="module")
def soc_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("soc") / "uart2.txt"
    r = run_hvsim(["run", "--uart", f"2={out}", "--health", "--log", "soc,devstate", IMAGE])
    return r, out.read_bytes()


def test_image_passes(soc_run):
    r, _ = soc_run
    assert r.status == 0, r.stderr.decode()
    assert r.result() == ("soc", 26, 0)


def test_terminal_sees_each_effect(soc_run):
    _, got = soc_run
    want, _, _ = expected_uart2()
    assert got == want
    # The phases whose pins were taken must not reach the terminal at all.
    for tag in (b"E:", b"F:"):
        assert tag not in got
    # Held while the clock was stopped, in order once it ran again.
    assert got.index(b"A:hello\n") < got.index(b"B:gated\n") < got.index(b"D:close\n")
    assert got.index(b"G:healed\n") < got.index(b"H:reserved\n") < got.index(b"I:restored\n")
    # The wrong divider really garbles (the model above agrees it must).
    assert b"C:fast" not in got
    assert b"D:close\n" in got and b"G:healed\n" in got and b"I:restored\n" in got


def test_health_summary(soc_run):
    r, _ = soc_run
    _, garbled, framing = expected_uart2()
    lines = {l.split()[0]: l.split() for l in r.stderr.decode().splitlines()
             if l.startswith("  uart") or l.startswith("  i2c")}
    u2 = lines["uart2"]
    # tx: characters that crossed the line (A, B, C, D, G, H, I); lost: E, F.
    sent = len("A:hello\nB:gated\nC:fast\nD:close\nG:healed\nH:reserved\nI:restored\n")
    assert int(u2[1]) == sent - framing
    assert int(u2[3]) == framing and int(u2[4]) == garbled
    assert int(u2[5]) == len("E:gpio\nF:m1\n")
    assert int(u2[6]) > 0 and int(u2[7]) > 0  # time in reset, time gated
    assert int(u2[8]) == 4  # GPIO0_D1 away and back, IO_SEL M1 and back
    # I2C0: 2 ms in reset and 2 ms gated (the image's driver timeout); 7
    # transfers acknowledged, 2 NACKed (pins, clock).
    i2c = lines["i2c0"]
    assert int(i2c[6]) >= 2_000_000 and int(i2c[7]) >= 2_000_000
    assert i2c[9] == "7/2"
    assert lines["uart1"][1:9] == ["0"] * 8


def test_events_name_register_and_devices(soc_run):
    r, _ = soc_run
    err = r.stderr.decode()
    # The gate write: register, old -> new, write mask, device bit 1 (uart2).
    assert ("cru CLKGATE_CON28 (0x0370) write 0x00080008 at EL2: 0x00000000 -> 0x00000008 "
            "(mask 0x0008, devices 0x2)") in err
    assert "uart2: bus clock on, clock 0 Hz, out of reset, pins tx muxed rx muxed" in err
    assert "grf PMU_GRF_GPIO0D_IOMUX_L (0x8018) write 0x00700000" in err
    assert "i2c0: bus clock on, clock 50000000 Hz, in reset" in err


def test_receive_with_wrong_divider(tmp_path):
    """UART2 receives 115200 8N1 from its terminal while its sclk is gpll/25
    (receiver 1.98x too fast): garbled characters, framing errors flagged
    in DR.FE, as the receiver model says."""
    text = "Hi!\n"
    inp = tmp_path / "in.txt"
    inp.write_bytes(text.encode())
    r = run_hvsim(["run", "-q", "--uart", f"2={tmp_path / 'out.txt'}", "--uart-in", f"2={inp}",
                   "--uart-in-start", "10ms", "--health", IMAGE])
    assert r.status == 0, r.stderr.decode()
    got = [int(l.split()[1], 16) for l in r.stdout.decode().splitlines() if l.startswith("rx ")]
    want = receive_flags(text, TERMINAL, pl011_rate(1_188_000_000 // 25, 13, 1))
    assert got == want
    assert any(v & 0x100 for v in want) and all((v & 0xff) != ord(c) for v, c in zip(want, text))
    u2 = [l.split() for l in r.stderr.decode().splitlines() if l.startswith("  uart2")][0]
    assert int(u2[2]) == len(want)  # rx
    assert int(u2[3]) == sum(1 for v in want if v & 0x100)  # framing


def test_deterministic(tmp_path):
    outs = []
    for i in range(2):
        out = tmp_path / f"u2-{i}.txt"
        r = run_hvsim(["run", "-q", "--uart", f"2={out}", IMAGE])
        assert r.status == 0
        outs.append((out.read_bytes(), r.stdout))
    assert outs[0] == outs[1]


def test_terminal_rate_option(tmp_path):
    """A terminal at 9600 receives the 115200 UART as garbage or nothing."""
    out = tmp_path / "u2.txt"
    r = run_hvsim(["run", "-q", "--uart-rate", "9600", "--uart", f"2={out}", IMAGE])
    assert r.status == 0
    assert b"A:hello" not in out.read_bytes()
    assert run_hvsim(["run", "--uart-rate", "0", IMAGE]).status == 1


@pytest.mark.skipif(shutil.which("dtc") is None, reason="dtc not installed")
def test_dtb_clocks_resets_pinctrl(tmp_path):
    dtb = tmp_path / "virt.dtb"
    r = run_hvsim(["run", "-q", "--dtb-out", dtb, IMAGES / "hello.elf"])
    assert r.status == 0
    p = subprocess.run(["dtc", "-I", "dtb", "-O", "dts", str(dtb)], capture_output=True,
                       text=True)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    dts = p.stdout

    def node(name):
        start = dts.index(f"\t{name} {{")
        return dts[start:dts.index("\t};", start)]

    cru = node("clock-controller@9200000")
    assert "#clock-cells = <0x01>" in cru and "#reset-cells = <0x01>" in cru
    pmucru = node("clock-controller@9208000")
    assert 'compatible = "rockchip,rk3568-pmucru"' in pmucru
    # uart2: SCLK_UART2 (291 = 0x123), PCLK_UART2 (288 = 0x120), SRST_S_UART2
    # (401 = 0x191) of Linux's rk3568-cru.h.
    u2 = node("pl011@9110000")
    assert "clocks = <0x8205 0x123 0x8205 0x120>" in u2
    assert "resets = <0x8205 0x191>" in u2
    assert 'pinctrl-names = "default"' in u2 and "pinctrl-0 = <0x8311>" in u2
    # i2c0 from the PMUCRU: CLK_I2C0 7, PCLK_I2C0 45, SRST_I2C0 4; SPI 11.
    i2c = node("i2c@9130000")
    assert "clocks = <0x8300 0x07 0x8300 0x2d>" in i2c
    assert "resets = <0x8300 0x04>" in i2c
    assert "interrupts = <0x00 0x0b 0x04>" in i2c
    # The console keeps QEMU's fixed clock and no reset or pins.
    u0 = node("pl011@9000000")
    assert "resets" not in u0 and "pinctrl" not in u0
    # UART2's M0 pins: GPIO0_D0/D1 (bank 0, pins 24, 25), function 1.
    assert "rockchip,pins = <0x00 0x18 0x01 0x8301 0x00 0x19 0x01 0x8301>" in dts
    # The DTB is a valid platform file again (hvsim reads it back).
    dts_file = tmp_path / "again.dts"
    dts_file.write_text(dts)
    r = run_hvsim(["run", "-q", "--platform", dts_file, IMAGES / "hello.elf"])
    assert r.status == 0, r.stderr.decode()


def test_trace_records_soc_events(tmp_path):
    """The soc and devstate events survive a trace round trip with every
    field (docs/trace-format.md)."""
    import json
    trace = tmp_path / "soc.trace"
    r = run_hvsim(["run", "-q", "--uart", f"2={tmp_path / 'u2'}", "--trace", trace, IMAGE])
    assert r.status == 0
    r = run_hvsim(["trace", "json", trace, "--events", "soc,devstate"])
    assert r.status == 0
    evs = [json.loads(l) for l in r.stdout.decode().splitlines()]
    gate = next(e for e in evs if e["type"] == "soc" and e["name"] == "CLKGATE_CON28")
    assert (gate["block"], gate["off"], gate["is_write"], gate["value"], gate["old"],
            gate["new"], gate["wmask"], gate["devs"], gate["el"]) == \
        ("cru", "0x370", 1, "0x80008", "0x0", "0x8", "0x8", "0x2", 2)
    dev = evs[evs.index(gate) + 1]
    assert (dev["type"], dev["device"], dev["fclk_hz"], dev["pclk_on"], dev["in_reset"]) == \
        ("devstate", "uart2", 0, 1, 0)


def test_event_pc_is_the_store(tmp_path):
    """A soc event's pc is the store instruction that made the access (not
    the start of its translation block): the instruction there is a STR."""
    import json
    trace = tmp_path / "soc.trace"
    assert run_hvsim(["run", "-q", "--uart", f"2={tmp_path / 'u2'}", "--trace", trace,
                      IMAGE]).status == 0
    r = run_hvsim(["trace", "json", trace, "--events", "soc"])
    evs = [json.loads(l) for l in r.stdout.decode().splitlines()]
    objdump = shutil.which("aarch64-linux-gnu-objdump")
    if objdump is None:
        pytest.skip("aarch64-linux-gnu-objdump not installed")
    dis = subprocess.run([objdump, "-d", str(IMAGE)], capture_output=True, text=True).stdout
    insn = {}
    for line in dis.splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[0].strip().endswith(":"):
            insn[int(parts[0].strip()[:-1], 16)] = parts[2].split()[0]
    for e in evs[:20]:
        op = insn[int(e["pc"], 16)]
        assert op.startswith("str" if e["is_write"] else "ldr"), (e, op)
