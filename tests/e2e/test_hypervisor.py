"""End-to-end tests of the hypervisor image (build/images/hypervisor.elf,
hypervisor/ and guests/): it boots on hvsim and, unchanged, on QEMU virt,
runs the rtos and gpos VMs to completion, and powers off.

Expected values come from the guests' specifications, recomputed here
independently (the prime count, CRC-32, the rtos task checksums), never
copied from a run."""
import re
import shutil
import zlib

import pytest

from conftest import IMAGES, ROOT, run_hvsim, run_qemu

HYP = IMAGES / "hypervisor.elf"  # rtos + gpos + rogue
HYP_DUO = IMAGES / "hypervisor-duo.elf"  # rtos + gpos: the reference without rogue
# The default image whose WFI traps use FP/SIMD at EL2 (HYP_TEST_EL2_FP)
HYP_FPGUARD = IMAGES / "hypervisor-fpguard.elf"
# The rtos's tick is 1 ms = 62500 counter ticks at 62.5 MHz. Its measured
# timer-interrupt latency must stay below 1% of the period on hvsim
# (docs/hypervisor.md, "Latency bound").
LATENCY_BOUND_TICKS = 625


def streams(stdout: bytes, transport: str):
    """Per-VM console lines. hvsim: the VMs' passthrough UARTs ([uart1] =
    rtos, [uart2] = gpos) plus the hypercall console ([name] on UART0);
    QEMU: the emulated consoles, [name] on UART0."""
    out = {"rtos": [], "gpos": [], "rogue": []}
    uart_vm = {"uart1": "rtos", "uart2": "gpos", "uart3": "rogue"}
    for raw in stdout.decode(errors="replace").splitlines():
        line = raw.rstrip("\r")
        m = re.match(r"^\[(\w+)\] (.*)$", line)
        if not m:
            continue
        tag, text = m.groups()
        vm = uart_vm.get(tag, tag) if transport == "hvsim" else tag
        if vm in out:
            out[vm].append(text)
    return out


def rtos_task2_sums(runs):
    """The rtos's task2 (guests/rtos/rtos.c): an LCG update of a 256-entry
    table and an FNV-1a-style fold of it, 32-bit arithmetic."""
    table = [0] * 256
    sums = []
    for run in range(1, runs + 1):
        s = 0x811C9DC5
        for i in range(256):
            table[i] = (table[i] * 1103515245 + 12345 + run) & 0xFFFFFFFF
            s = ((s ^ table[i]) * 16777619) & 0xFFFFFFFF
        sums.append(s)
    return sums


def primes_below(n):
    sieve = bytearray([1]) * n
    sieve[0:2] = b"\0\0"
    for i in range(2, int(n ** 0.5) + 1):
        if sieve[i]:
            sieve[i * i::i] = bytearray(len(sieve[i * i::i]))
    return sum(sieve)


CRC = zlib.crc32(bytes(i & 0xFF for i in range(65536)))

# What rogue sees (guests/rogue/rogue.c): every stage-2 violation comes back
# as a synchronous external abort (EC 0x25, from EL1); refused vGIC writes
# change nothing (read back 0); SGIs to targets outside its VM are ignored
# (no fault); the EL1 physical timer is its own emulated one: enabled with
# CVAL = 0 <= the count, CNTP_CTL_EL0 reads ENABLE | ISTATUS = 0x5 (Arm ARM
# D11.2.4); unknown SMC functions return NOT_SUPPORTED (-1), CPU_ON of a
# vCPU it does not have INVALID_PARAMETERS (-2).
ROGUE = [
    "rogue: start dtb=ok",
    "rogue: read ipa 0x50000000: faults=1 ec=0x25",
    "rogue: write ipa 0x44800000 (gpos's RAM as a PA): faults=2 ec=0x25",
    "rogue: write ipa 0x09100000 (uart1 as a PA): faults=3 ec=0x25",
    "rogue: enable INTID 40: readback=0x0",
    "rogue: priority of INTID 41: readback=0x0",
    "rogue: enable PPI 26: readback=0x0",
    "rogue: disable PPI 25: readback=0x0",
    "rogue: 4 SGIs to vCPUs outside its VM: faults=3 ec=0x25",
    # a Group 0 SGI to itself: refused (its vGIC offers Group 1 only), no fault
    "rogue: a Group 0 SGI to itself: faults=3 ec=0x25",
    # rtos's INTID 40 set active, pending, and its active state cleared:
    # all refused, its state reads zero
    "rogue: INTID 40 active/pending: readback=0x0/0x0",
    "rogue: cntp_ctl_el0 <- 1 (cval 0): readback=0x5 faults=3",
    "rogue: smc 0x82000000 returned -1",
    "rogue: flood done",
]


def irq_budget():
    """HYP_IRQ_BUDGET of hypervisor/core/irq_rate.h: the passthrough
    interrupts a VM gets per 1 ms window before the hypervisor masks the
    source."""
    text = (ROOT / "hypervisor/core/irq_rate.h").read_text()
    return int(re.search(r"#define HYP_IRQ_BUDGET\s+(\d+)u", text).group(1))


BUDGET = irq_budget()
# The device interrupt storm (rogue's UART3 TX interrupt, never cleared):
# on hvsim each of its two storms (the second after it re-arms the SPI)
# reaches the guest exactly BUDGET times, all within one window (each costs
# ~1000 instructions = 1 us at --mips 1000, far less than the 1 ms window).
# QEMU's emulated console raises no interrupt.
ROGUE_IRQ_HVSIM = [f"rogue: device interrupt flood: irqs={BUDGET}, re-armed: irqs={BUDGET}"]
ROGUE_IRQ_QEMU = ["rogue: no console interrupt on this platform: device flood skipped"]
# PSCI SYSTEM_RESET restarts rogue (only): it starts again, and on hvsim
# reads back its own UART3 fields, which it had left changed (source divider
# 3, fractional gate closed): the reset put them back to docs/soc.md's reset
# values (CLKSEL_CON56 0x2000, CLKGATE_CON28 0). Then it crashes.
ROGUE_TAIL = [
    "rogue: CPU_ON 7 returned -2",
    f"STATUS rogue faults=3 irqs={2 * BUDGET}",
    "rogue: start dtb=ok",
    "rogue: reset 1: cru CLKSEL_CON56=0x00002000 CLKGATE_CON28=0x00000000",
]
ROGUE_TAIL_QEMU = [
    "rogue: CPU_ON 7 returned -2",
    "STATUS rogue faults=3 irqs=0",
    "rogue: start dtb=ok",
    "rogue: reset 1: no vCRU/vGRF on this platform",
]

# The rogue's CRU/SYSCON script (guests/rogue/rogue.c) against the field
# table (include/hvsim/rk3568_cru.h, docs/soc.md). Each entry: block,
# register, offset, the value written, what it reads back, and the fields
# the hypervisor must refuse with the field value attempted. Readbacks: a
# refused write leaves the VM's view, which starts at the hand-over values
# of docs/soc.md's table (gates open 0, resets 0, CLKSEL_CON52/54/56 0x2000,
# the fractional dividers 0x000400c6, PMU_CLKSEL_CON3 3, the IOMUX 0x2000,
# 0x0002, 0x0011, 0x0110, IOFUNC_SEL3 0); fields of its own UART3 read the
# hardware, where its permitted writes landed.
CLK_ATTACKS = [
    ("cru", "CLKGATE_CON27", 0x36C, 0xF000F000, 0, "gate uart1 (rtos)",
     [("pclk_uart1_en", 1), ("clk_uart1_src_en", 1), ("clk_uart1_frac_en", 1),
      ("sclk_uart1_en", 1)]),
    ("cru", "CLKGATE_CON28", 0x370, 0x000F000F, 0, "gate uart2 (gpos)",
     [("pclk_uart2_en", 1), ("clk_uart2_src_en", 1), ("clk_uart2_frac_en", 1),
      ("sclk_uart2_en", 1)]),
    ("cru", "PMU_CLKGATE_CON1", 0x8184, 0x00030003, 0, "gate i2c0 (gpos)",
     [("pclk_i2c0_en", 1), ("clk_i2c0_en", 1)]),
    ("cru", "CLKGATE_CON26", 0x368, 0x00020002, 0, "gate pclk_bus (shared)", [("pclk_bus_en", 1)]),
    ("cru", "SOFTRST_CON24", 0x460, 0x0C000C00, 0, "reset uart1",
     [("srst_p_uart1", 1), ("srst_s_uart1", 1)]),
    ("cru", "SOFTRST_CON25", 0x464, 0x00030003, 0, "reset uart2",
     [("srst_p_uart2", 1), ("srst_s_uart2", 1)]),
    ("cru", "PMU_SOFTRST_CON0", 0x8200, 0x00180018, 0, "reset i2c0",
     [("srst_p_i2c0", 1), ("srst_i2c0", 1)]),
    ("cru", "CLKSEL_CON52", 0x1D0, 0x307F0005, 0x2000, "uart1 sclk source and divider",
     [("clk_uart1_src_div", 5), ("sclk_uart1_sel", 0)]),
    ("cru", "CLKSEL_CON55", 0x1DC, 0x00010001, 0x000400C6, "uart2 fractional divider",
     [("clk_uart2_frac", 0x00010001)]),
    ("cru", "PMU_CLKSEL_CON3", 0x810C, 0x007F007F, 3, "i2c0 divider", [("clk_i2c0_div", 0x7F)]),
    ("grf", "GRF_GPIO2B_IOMUX_L", 0x28, 0x70000000, 0x2000, "re-mux uart1 rx to GPIO",
     [("gpio2b3_sel", 0)]),
    ("grf", "GRF_GPIO2B_IOMUX_H", 0x2C, 0x00070000, 0x0002, "re-mux uart1 tx to GPIO",
     [("gpio2b4_sel", 0)]),
    ("grf", "PMU_GRF_GPIO0D_IOMUX_L", 0x8018, 0x00770000, 0x0011, "re-mux uart2 pins to GPIO",
     [("gpio0d0_sel", 0), ("gpio0d1_sel", 0)]),
    ("grf", "GRF_IOFUNC_SEL3", 0x30C, 0x0C000400, 0, "uart2 to its M1 pins", [("uart2_io_sel", 1)]),
    ("grf", "PMU_GRF_GPIO0B_IOMUX_L", 0x8008, 0x07700000, 0x0110, "re-mux i2c0 pins to GPIO",
     [("gpio0b1_sel", 0), ("gpio0b2_sel", 0)]),
    # bit 1 (uart2's source gate) refused, bit 6 (its own uart3 frac gate) applied
    ("cru", "CLKGATE_CON28", 0x370, 0x00420042, 0x40, "gate uart2 src + own uart3 frac",
     [("clk_uart2_src_en", 1)]),
    ("cru", "CLKGATE_CON28", 0x370, 0x00400000, 0, "ungate own uart3 frac", []),
    ("cru", "CLKSEL_CON56", 0x1E0, 0x007F0003, 0x2003, "own uart3 source divider", []),
    ("cru", "CLKGATE_CON28", 0x370, 0x00400040, 0x40, "gate own uart3 frac", []),
]


def rk_field_ids():
    """enum rk_field_id of include/hvsim/rk3568_cru.h -> {name: id}, the
    names from the rk3568_fields table."""
    text = (ROOT / "include/hvsim/rk3568_cru.h").read_text()
    enum = re.search(r"enum rk_field_id \{(.*?)\};", text, re.S).group(1)
    ids = [m for m in re.findall(r"^\s*(RK_F_\w+)", enum, re.M) if m != "RK_F__COUNT"]
    names = dict(re.findall(r"\[(RK_F_\w+)\] = \{RK_R_[^}]*?\"(\w+)\"\}", text, re.S))
    return {names[e]: i for i, e in enumerate(ids)}


ROGUE_CLK = [f"rogue: {b} {reg} <- 0x{v:08x}: readback=0x{rb:08x} ({what})"
             for b, reg, _, v, rb, what, _ in CLK_ATTACKS]
ROGUE_CLK.append("rogue: cru offset 0x0000 <- 0xffff0000: readback=0x00000000 (unmodelled)")
ROGUE_HVSIM = ROGUE + ROGUE_IRQ_HVSIM + ROGUE_CLK + ROGUE_TAIL
# QEMU virt has no CRU/GRF: the hypervisor gives no vCRU, and rogue says so.
ROGUE_QEMU = ROGUE + ROGUE_IRQ_QEMU + [
    "rogue: no vCRU/vGRF on this platform: CRU/SYSCON attacks skipped"] + ROGUE_TAIL_QEMU
N_CLK_REFUSED = sum(len(a[6]) for a in CLK_ATTACKS) + 1

# rogue's SGIs (guests/rogue/rogue.c), as ICC_SGI1R_EL1/ICC_SGI0R_EL1
# values (GICv3 12.2.20/22: INTID [27:24], Aff1 [23:16], TargetList [15:0],
# RS [47:44]): each names a target outside its one-vCPU VM (Aff0 1, cluster
# 0.1, range 1), so each is refused: event kind sgi, addr = INTID, info =
# the value written.
ROGUE_SGIS = [(1, 1 << 24 | 1 << 1), (2, 2 << 24 | 1 << 16 | 1), (3, 3 << 24 | 1 << 44 | 1),
              (4, 4 << 24 | 1 << 1),
              # ICC_SGI0R_EL1 to itself: a Group 0 SGI, refused as its vGIC
              # offers Group 1 only
              (5, 5 << 24 | 1)]
# rogue's refused vGIC writes before its flood: ISENABLER1 (INTID 40),
# IPRIORITYR (41), GICR_ISENABLER0 (26), ICENABLER0 (25), then, after its
# SGIs, INTID 40's ISACTIVER1, ISPENDR1 and ICACTIVER1.
ROGUE_VGIC = ["0x28", "0x29", "0x1a", "0x19", "0x28", "0x28", "0x28"]
IPI_ROUNDS = 4  # guests/gpos/gpos.c


# gpos's I2C through its own vCRU/vGRF fields (guests/gpos/gpos.c): the
# gates it opened read 0 (open), the resets 0 (released), clk_i2c0_div 3,
# GPIO0_B1/B2 function 1 (I2C0_SCL/SDA: 0x110); STATUS.DONE (0x2) after each
# transfer, no NACK; the EEPROM (docs/soc.md) gives back the four bytes
# written at word address 0x10, then byte 0x14 at its power-on value
# 0x14 ^ 0xA5.
GPOS_I2C = [
    "gpos: i2c0 clk gate0=0x0 gate1=0x0 reset=0x0 div=0x3 pins=0x110",
    "gpos: i2c0 eeprom@0x50[0x10] wrote %s status=0x2 read %s%02x status=0x2"
    % (b"gpos".hex(), b"gpos".hex(), 0x14 ^ 0xA5),
    "STATUS gpos-i2c ok=1",
]
GPOS_I2C_QEMU = ["gpos: i2c0: no vCRU/vGRF or I2C on this platform: skipped"]


def gpos_uart_irqs(lines):
    """gpos's console on hvsim (guests/grt/grt.c): vCPU 0's lines go through
    a ring that the PL011 TX interrupt drains; per line (text + CR LF) the
    first 8 bytes are written when the transmitter starts, each TX
    interrupt (TXIS: the FIFO at half of its 16 entries or below, PL011 TRM
    3.4.3) writes the next 8, and the one that empties the ring masks TXIM.
    vCPU 1's line (cpu1) is polled, the hypercall's goes through UART0."""
    def per_line(text):
        return max(len(text) + 2 - 8, 0) // 8 + (max(len(text) + 2 - 8, 0) % 8 > 0)
    return sum(per_line(l) for l in lines
               if not l.startswith("gpos: cpu1 ctx=") and "console hypercall" not in l)


def gpos_rx_line(text: bytes):
    """gpos's line for its input (guests/gpos/gpos.c, rx_line): the bytes
    before the first LF or CR, printable ASCII only, at most 48, with their
    count and CRC-32 (zlib's). No input: empty, CRC 0."""
    line = bytearray()
    for b in text:
        if b in b"\r\n":
            break
        if 0x20 <= b < 0x7F and len(line) < 48:
            line.append(b)
    return f"gpos: rx bytes={len(line)} crc32={zlib.crc32(bytes(line)):08x} line={line.decode()}"


def check_guest_output(s, check_latency, transport="hvsim", rx_text=b"", rx_irqs=0):
    rx_line = gpos_rx_line(rx_text)
    rtos, gpos = s["rtos"], s["gpos"]
    if s["rogue"]:
        assert s["rogue"] == (ROGUE_HVSIM if transport == "hvsim" else ROGUE_QEMU)
    assert rtos[0] == "rtos: start vm=1 vcpus=1 prio=20 dtb=ok"
    sums = rtos_task2_sums(20)
    task2 = [l for l in rtos if l.startswith("rtos: task2")]
    assert task2 == [f"rtos: task2 run={k + 1} sum={v:08x}" for k, v in enumerate(sums)]
    assert rtos[-1] == "STATUS rtos ticks=200 task1=200 task2=20 other_irqs=0 not_due=0"
    lat = [l for l in rtos if l.startswith("rtos: latency")]
    assert len(lat) == 4
    if check_latency:
        for l in lat:
            m = re.match(r"rtos: latency ticks=\d+ min=(\d+) max=(\d+) avg=(\d+) missed=(\d+)", l)
            assert m, l
            mn, mx, avg, missed = map(int, m.groups())
            assert missed == 0
            assert 0 < mn <= avg <= mx <= LATENCY_BOUND_TICKS

    n = primes_below(20000)
    assert n == 2262  # pi(20000)
    before = [
        "gpos: start vm=2 vcpus=2 prio=10 dtb=ok",
        f"gpos: primes below 20000: {n}",
        f"gpos: cpu1 ctx=0xc0ffee crc32={CRC:08x}",
        "gpos: cpu1 done, joined",
        *(GPOS_I2C if transport == "hvsim" else GPOS_I2C_QEMU),
        "gpos: sleep 1",
        "gpos: sleep 2",
        "gpos: sleep 3",
        # Its FP/SIMD registers (V0-V31, FPCR, FPSR: guests/grt/grt.c
        # grt_fp_fill) across the sleeps, while rogue has written its own
        # into the same PE's registers: the vCPU switch keeps each VM's.
        "STATUS gpos-fp kept=1",
        rx_line,
        # Its emulated EL1 physical timer (D19.12 CNTP_CTL_EL0): enabled
        # and masked with CVAL = 0, ISTATUS = 1 (0x7); disabled, 0; then
        # two one-shot sleeps, none taken before its compare value.
        "gpos: ptimer ctl masked=0x7 off=0x0",
        "gpos: ptimer sleep 1",
        "gpos: ptimer sleep 2",
        "STATUS gpos-ptimer sleeps=2 early=0",
        # Virtual SGIs between its two vCPUs: each ping answered by a pong.
        f"STATUS gpos-ipi rounds={IPI_ROUNDS} pings={IPI_ROUNDS} pongs={IPI_ROUNDS}",
        # Its redistributor's pending/active registers (GICR_ISPENDR0,
        # ICPENDR0, ISACTIVER0): an SGI to itself, masked, is pending;
        # cleared, it is not; set again, it is; unmasked, it is taken once
        # and is active in its handler. Pending and enable are independent
        # (GICv3 4.1.2; gpos-vgic-latch): a disabled SGI set pending reads
        # pending, is not taken, and is taken once when enabled; one sent
        # while disabled is pending, and cleared, is never taken.
        "STATUS gpos-vgic-state pending=1 cleared=1 set=1 active=1 taken=1",
        "STATUS gpos-vgic-latch pending=1 taken=0 enabled_taken=1 sgi=1 cleared_taken=0",
        # ISACTIVER0 (gpos-vgic-active): an SGI set active reads active;
        # sent then, it is pending and active and not signalled; ICACTIVER0
        # deactivates it and it is taken once. Its virtual timer (HW bit,
        # gpos-vgic-hw): pending, then
        # active through ISACTIVER0 and, its level still asserted, pending
        # too; ICACTIVER0 deactivates the physical PPI with it, the level
        # signals it again, and it is taken once; set pending through
        # ISPENDR0 with the timer off (the physical PPI made pending), it
        # reads pending and is taken once. IGROUPR0 RAO/WI and
        # GICD_CTLR.EnableGrp0 RAZ/WI: Group 1 only.
        "STATUS gpos-vgic-active set=1 held=1 cleared=1 taken=1",
        "STATUS gpos-vgic-hw pending=1 active=1 level=1 refired=1 taken=1 set=1 group1_only=1",
        "gpos: hello through the console hypercall",
    ]
    # hvsim passes UART2 and its interrupt through: the console is
    # interrupt-driven there; QEMU's emulated console raises none: polled.
    if transport == "hvsim":
        uart = f"STATUS gpos-uart mode=irq irqs={gpos_uart_irqs(before)} rx_irqs={rx_irqs}"
        assert gpos_uart_irqs(before) > 0
    else:
        uart = "STATUS gpos-uart mode=polled irqs=0 rx_irqs=0"
    assert gpos == [*before, uart, f"STATUS gpos primes={n} crc32={CRC:08x} sleeps=3"]


@pytest.fixture(scope="module")
def hvsim_run():
    return run_hvsim(["run", "-q", HYP], timeout=300)


def test_boots_and_runs_the_vms_on_hvsim(hvsim_run):
    r = hvsim_run
    assert r.status == 0, r.stderr.decode()
    out = r.stdout.decode()
    assert "hyp: configuration \"default\": 3 VMs, valid" in out
    # hvsim's virt has UART1 and UART2: both consoles are passed through.
    assert "console passthrough uart1" in out and "console passthrough uart2" in out
    assert "hyp: vm rtos: off (PSCI SYSTEM_OFF)" in out
    assert "hyp: vm gpos: off (PSCI SYSTEM_OFF)" in out
    assert out.rstrip().endswith("hyp: all VMs are off; system off")
    # gpos's SYSTEM_OFF stops gpos only: rtos goes on ticking after it.
    assert out.index("hyp: vm gpos: off") < out.index("rtos: latency ticks=200")
    s = streams(r.stdout, "hvsim")
    check_guest_output(s, check_latency=True)
    # Passthrough: the guests' own lines arrive on their UARTs, only the
    # console hypercall goes through the hypervisor's UART0.
    assert "[uart2] gpos: primes below 20000: 2262" in out
    assert "[gpos] gpos: hello through the console hypercall" in out


def test_rogue_refused_and_recorded(hvsim_run):
    out = hvsim_run.stdout.decode()
    s = streams(hvsim_run.stdout, "hvsim")
    assert s["rogue"] == ROGUE_HVSIM
    for line in [
        "hyp: vm rogue: refused: read outside the VM's memory and devices (0x50000000,",
        "hyp: vm rogue: refused: write outside the VM's memory and devices (0x44800000,",
        "hyp: vm rogue: refused: write outside the VM's memory and devices (0x9100000,",
        "hyp: vm rogue: refused: vGIC write to INTID 40, which it does not own",
        "hyp: vm rogue: refused: vGIC write to INTID 41, which it does not own",
        "hyp: vm rogue: refused: vGIC write to INTID 26, which it does not own",
        "hyp: vm rogue: refused: vGIC write to INTID 25, which it does not own",
        "hyp: vm rogue: refused: SGI 1 to a target outside the VM (ICC_SGI1R_EL1 0x1000002)",
        "hyp: vm rogue: unknown SMC function 0x82000000: NOT_SUPPORTED",
        "hyp: vm rogue: off (crashed: exception at its own vector 0x10000200",
        "hyp: vm rogue: refused: cru CLKGATE_CON27 (0x036c) field sclk_uart1_en <- 0x1",
    ]:
        assert line in out, line
    # Its vCRU/vGRF: 20 writes and 20 readbacks, plus 2 reads after its
    # reset; its four own-UART3 writes applied (the mixed one partly);
    # every other field refused; its reset wrote back the two registers
    # where it had changed its own fields.
    assert (f"hyp: vm rogue: vclk reads=22 writes=20 applied=4 refused={N_CLK_REFUSED} "
            "restored=2" in out)
    assert "hyp: vm rtos: vclk reads=0 writes=0 applied=0 refused=0 restored=0" in out
    # The storm: UART3 is INTID 42 on hvsim's virt (SPI 10), rogue's
    # virtual SPI 33; masked twice, once per storm.
    assert out.count("hyp: vm rogue: refused: interrupt storm on INTID 42 (virtual 33): "
                     f"over {BUDGET} per ms") == 2
    assert "hyp: vm rogue: interrupt storms=2 dropped=2" in out
    assert "storms=" not in out.replace("hyp: vm rogue: interrupt storms=", "")
    # 3 memory + 7 vGIC + its SGIs + 200 flooded vGIC writes + the crash's
    # fetch + the refused CRU/GRF fields + the two storms; every interrupt
    # it received was injected (2 x BUDGET), and it was reset once.
    m = re.search(r"hyp: vm rogue: switches=\d+ irqs=\d+ injections=(\d+) undef=(\d+) "
                  r"violations=(\d+) resets=1 traps: (.*)", out)
    assert m, out
    assert int(m.group(1)) == 2 * BUDGET
    assert int(m.group(3)) == 3 + len(ROGUE_VGIC) + len(ROGUE_SGIS) + 200 + 1 + N_CLK_REFUSED + 2
    # The flood: 1000 null hypercalls, plus VDEV_INFO (console interrupt,
    # CRU attacks), VM_RESETS, CPU_ON and SYSTEM_RESET, then VM_RESETS and
    # VDEV_INFO after its reset: 1007 HVCs. MSR/MRS: its 5 SGI writes and
    # 4 EL1 physical-timer accesses.
    assert "ec16=1007" in m.group(4) and "ec17=1" in m.group(4) and "ec18=9" in m.group(4)
    # Nothing reached anyone: no SGI delivered, no timer interrupt (its
    # INTID 30 is disabled); gpos's 4 pings and 4 pongs and its SGI to
    # itself, and one interrupt per EL1 physical-timer sleep.
    assert f"hyp: vm rogue: sgis=0 sgis_refused={len(ROGUE_SGIS)} ptimer_irqs=0" in out
    # gpos: its pings and pongs, and three SGIs to itself (SGI_SELF, SGI_CLR
    # sent while disabled, SGI_ACT sent while active)
    assert f"hyp: vm gpos: sgis={2 * IPI_ROUNDS + 3} sgis_refused=0 ptimer_irqs=2" in out
    assert "hyp: vm rtos: sgis=" not in out


def test_isolation_rtos_gpos_unaffected_by_rogue(hvsim_run):
    duo = run_hvsim(["run", "-q", HYP_DUO], timeout=300)
    assert duo.status == 0, duo.stderr.decode()
    assert "rogue" not in duo.stdout.decode()
    a, b = streams(duo.stdout, "hvsim"), streams(hvsim_run.stdout, "hvsim")
    check_guest_output(a, check_latency=True)

    def stable(lines):  # latency values are timing, bounded separately
        return [l for l in lines if not l.startswith("rtos: latency")]

    assert stable(a["rtos"]) == stable(b["rtos"])
    assert a["gpos"] == b["gpos"]


def test_event_port_records_every_refusal():
    # hvsim's DTB lists the event port: the hypervisor reports each refused
    # access there, and hvsim logs one "refusal" event per report.
    r = run_hvsim(["run", "-q", "--log", "refusal", HYP], timeout=300)
    assert r.status == 0, r.stderr.decode()
    assert ", event port" in r.stdout.decode().splitlines()[0]
    ev = re.findall(r"refusal: vm (\d+) refused (\w+): addr (0x[0-9a-f]+) info (0x[0-9a-f]+)",
                    r.stderr.decode())
    assert all(vm == "3" for vm, _, _, _ in ev)  # only rogue
    kinds = [k for _, k, _, _ in ev]
    assert kinds.count("memory") == 3
    assert kinds.count("vgic") == len(ROGUE_VGIC) + 200
    assert kinds.count("fetch") == 1 and kinds.count("crash") == 1
    assert kinds.count("cru") + kinds.count("grf") == N_CLK_REFUSED
    # the two interrupt storms: physical INTID 42, virtual 33 and the budget
    assert [(a, i) for _, k, a, i in ev if k == "irq"] == [(hex(42), hex(33 << 32 | BUDGET))] * 2
    assert [(a, i) for _, k, a, i in ev if k == "sgi"] == [(hex(n), hex(v)) for n, v in ROGUE_SGIS]
    assert len(ev) == 3 + len(ROGUE_VGIC) + 200 + len(ROGUE_SGIS) + 2 + N_CLK_REFUSED + 2
    # Each CRU/GRF attack: one event per refused field, in the script's
    # order, naming the register (its offset in the block's window), the
    # field (its id in the shared table) and the value attempted.
    fid = rk_field_ids()
    want = [(b, hex(off), hex(fid[f] << 32 | val))
            for b, _, off, _, _, _, fields in CLK_ATTACKS for f, val in fields]
    want.append(("cru", "0x0", hex(0xFF << 32 | 0xFFFF0000)))  # no field: unmodelled
    assert [(k, a, i) for _, k, a, i in ev if k in ("cru", "grf")] == want
    assert "(CLKGATE_CON27 sclk_uart1_en <- 0x1)" in r.stderr.decode()
    # What was refused: the IPAs, the INTIDs (40 = 0x28, 41, 26, 25), and
    # where it crashed (VBAR_EL1 0x10000000 + 0x200, current EL with SPx).
    assert [a for _, k, a, _ in ev if k == "memory"] == ["0x50000000", "0x44800000", "0x9100000"]
    assert [a for _, k, a, _ in ev if k == "vgic"][:len(ROGUE_VGIC)] == ROGUE_VGIC
    assert [a for _, k, a, _ in ev if k == "crash"] == ["0x10000200"]


def test_health_other_vms_devices_untouched():
    # hvsim's device health (CRU/GRF-dependent devices): after every
    # attack, rtos's uart1 and gpos's uart2 and i2c0 were never held in
    # reset, never had a clock gated and never had a pin re-muxed.
    r = run_hvsim(["run", "-q", "--health", HYP], timeout=300)
    assert r.status == 0, r.stderr.decode()
    text = r.stdout.decode() + r.stderr.decode()
    rows = {m.group(1): m.group(2).split() for m in
            re.finditer(r"^\s+(uart1|uart2|uart3|i2c0)\s+(.*)$", text, re.M)}
    assert set(rows) >= {"uart1", "uart2", "i2c0"}, text
    for dev in ("uart1", "uart2", "i2c0"):
        # columns: tx rx framing garbled lost reset_ns gated_ns mux i2c
        tx, rx, framing, garbled, lost, reset_ns, gated_ns, mux = rows[dev][:8]
        assert (reset_ns, gated_ns, mux) == ("0", "0", "0"), (dev, rows[dev])
        assert (framing, garbled, lost) == ("0", "0", "0"), (dev, rows[dev])
    assert int(rows["uart1"][0]) > 0 and int(rows["uart2"][0]) > 0
    # gpos's two EEPROM transfers were acknowledged, none failed
    assert rows["i2c0"][8] == "2/0", rows["i2c0"]


def test_world_switch_summary(hvsim_run):
    out = hvsim_run.stdout.decode()
    m = re.search(r"hyp: vm rtos: switches=(\d+) irqs=(\d+) injections=(\d+) undef=0 "
                  r"violations=0 resets=0 traps: ec01=(\d+)", out)
    assert m, out
    switches, irqs, injections, wfi = map(int, m.groups())
    # Every rtos tick is one virtual-timer injection; it waits in WFI
    # between ticks, so each tick is a switch back in. With its timer
    # advance (vm/sched.c) it is switched in ahead of the deadline and its
    # timer's PPI 27 is taken by the hypervisor with it loaded: one
    # physical IRQ per tick at least.
    assert injections == 200 and irqs >= injections
    assert wfi >= 200 and switches >= 200


# configs/rtos_vm.h and configs/default.c: 2000 ns, in ticks of the 62.5 MHz
# counter (rounded down, as vm/sched.c converts it).
ADVANCE_TICKS = 2000 * 62_500_000 // 1_000_000_000


def advance_line(out: str, vm: str):
    m = re.search(rf"hyp: vm {vm}: timer advance (\d+) ticks: armed=(\d+) late=(\d+)", out)
    assert m, out
    return tuple(map(int, m.groups()))


def test_timer_advance_loads_the_vcpu_before_its_deadline():
    # Every rtos tick: the hypervisor's early tick switches the rtos in
    # ahead of its deadline and the PE waits with it loaded; its own PPI
    # 27 then ends the wait at the deadline and is taken at EL2 (the
    # short path of a loaded vCPU). On hvsim the advance always suffices:
    # no load after a deadline (late=0).
    r = run_hvsim(["run", "-q", "--log", "irq,wfi", HYP], timeout=300)
    assert r.status == 0
    out, err = r.stdout.decode(), r.stderr.decode()
    ticks, armed, late = advance_line(out, "rtos")
    assert (ticks, armed, late) == (ADVANCE_TICKS, 200, 0)
    gticks, garmed, glate = advance_line(out, "gpos")
    assert gticks == ADVANCE_TICKS and garmed >= 1 and glate == 0
    assert "hyp: vm rogue: timer advance" not in out  # rogue has none
    # PPI 27 signalled to the hypervisor: every armed deadline, plus
    # gpos's three vGIC checks (test_woken_vcpu_gets_its_timer_at_load).
    assert len(re.findall(r"irq 27 acknowledged: .* at EL2", err)) == armed + garmed + 3
    # ...each while the PE slept in its idle WFI, with the vCPU loaded
    assert len(re.findall(r"irq 27 asserted: .* at EL2", err)) >= armed + garmed
    # The rtos measures its own latency from its deadline (CNTVCT at its
    # handler - CVAL): the advance takes the switch out of it.
    lat_on = rtos_latency_max(out)
    off = run_hvsim(["run", "-q", "--append", "hyp.timer_advance_ns=0", HYP], timeout=300)
    assert off.status == 0
    assert "timer advance" not in off.stdout.decode()
    lat_off = rtos_latency_max(off.stdout.decode())
    assert lat_on < lat_off, (lat_on, lat_off)
    # and changes nothing else a guest prints (each VM's stream; only the
    # interleaving of lines between streams moves)
    a, b = streams(r.stdout, "hvsim"), streams(off.stdout, "hvsim")
    for vm in ("rtos", "gpos", "rogue"):
        assert [l for l in a[vm] if not l.startswith("rtos: latency")] == \
            [l for l in b[vm] if not l.startswith("rtos: latency")], vm


def rtos_latency_max(out: str):
    return max(int(m) for m in re.findall(r"rtos: latency ticks=\d+ min=\d+ max=(\d+)", out))


@pytest.mark.parametrize("value", ["200000", "12x", ""])
def test_bad_timer_advance_refused(value):
    r = run_hvsim(["run", "-q", "--append", f"console=ttyAMA0 hyp.timer_advance_ns={value}", HYP],
                  timeout=120)
    out = r.stdout.decode()
    assert "bootargs: hyp.timer_advance_ns=: a number of ns up to 100000 expected" in out
    assert "rtos: start" not in out


def test_woken_vcpu_gets_its_timer_at_load():
    # Without the timer advance, every virtual-timer wait in these guests
    # is a WFI: the vCPU is blocked when its deadline passes, the CNTHP
    # tick switches it in, and hyp_vcpu_load injects its timer (HW bit)
    # after making PPI 27 active, so the PPI is never signalled to the
    # hypervisor (GICv3: an active interrupt is not signalled again until
    # deactivated; the guest's deactivation of the HW virtual interrupt
    # deactivates it). (With the advance, a load after the deadline takes
    # this path too: the "late" ones.)
    r = run_hvsim(["run", "-q", "--append", "hyp.timer_advance_ns=0", "--log", "irq,virq", HYP],
                  timeout=300)
    assert r.status == 0
    err = r.stderr.decode()
    delivered = len(re.findall(r"virq 27 acknowledged by the guest", err))
    deactivated = len(re.findall(r"irq 27 deactivated: .* at EL1", err))
    assert delivered >= 200, delivered  # the rtos's 200 ticks, at least
    assert deactivated == delivered  # each one by the guest's EOI
    # Except three times: gpos's vGIC check (STATUS gpos-vgic-hw) sets its
    # timer with CVAL = 0 while it runs, so that PPI 27 is signalled to the
    # hypervisor, again after it deactivated it through ICACTIVER0, and
    # once more after it set it pending through ISPENDR0.
    assert len(re.findall(r"irq 27 acknowledged: .* at EL2", err)) == 3


def without_latency(text: str):
    return [l for l in text.splitlines() if "rtos: latency" not in l]


def test_el2_fp_use_keeps_the_guests_fp_registers(hvsim_run):
    # Lazy FP/SIMD (vm/vcpu.c): the PE's FP/SIMD registers may hold a
    # guest's values that exist nowhere else. hypervisor-fpguard.elf writes
    # FPCR, V0 and V31 at EL2 in every WFI trap of a vCPU that does not own
    # them (vm/trap.c), i.e. with CPTR_EL2.TFP = 1: each such use traps at
    # EL2 (EC 0x07, Arm ARM D13.2.31), and the hypervisor saves the owner's
    # registers before its own instruction runs again. The rtos never uses
    # FP/SIMD, so each of its 200 WFIs traps so; gpos's FP/SIMD check
    # across its sleeps (rogue writing its own meanwhile) still holds, and
    # every guest line but the latency figures is the default image's
    # (per VM: the extra traps move where lines of different streams
    # interleave).
    r = run_hvsim(["run", "-q", "--log", "exc", HYP_FPGUARD], timeout=300)
    assert r.status == 0, r.stderr.decode()[-2000:]
    err = r.stderr.decode()
    assert len(re.findall(r"EL2 -> EL2 sync FP_ASIMD", err)) >= 200
    assert "exception in the hypervisor" not in r.stdout.decode()
    assert "[uart2] STATUS gpos-fp kept=1" in r.stdout.decode()
    a, b = streams(r.stdout, "hvsim"), streams(hvsim_run.stdout, "hvsim")
    for vm in ("rtos", "gpos", "rogue"):
        assert without_latency("\n".join(a[vm])) == without_latency("\n".join(b[vm])), vm

    def hyp_lines(out: bytes):  # the hypervisor's own messages and summary, in order
        return [l for l in out.decode().splitlines() if l.startswith("hyp:")]

    assert hyp_lines(r.stdout) == hyp_lines(hvsim_run.stdout)


@pytest.mark.skipif(shutil.which("qemu-system-aarch64") is None, reason="QEMU not installed")
def test_el2_fp_use_on_qemu(tmp_path):
    q = run_qemu(HYP_FPGUARD, tmp_path, timeout=120)
    assert q.status == 0, q.stderr.decode()
    out = q.stdout.decode()
    assert "exception in the hypervisor" not in out
    assert "[gpos] STATUS gpos-fp kept=1" in out
    assert "hyp: all VMs are off; system off" in out


def test_deterministic(hvsim_run):
    again = run_hvsim(["run", "-q", HYP], timeout=300)
    assert again.status == 0
    assert again.stdout == hvsim_run.stdout


def test_bad_configuration_refused():
    # With 64 MiB of RAM the VMs' RAM (0x44000000...) is outside the
    # platform: the hypervisor refuses to start and says why.
    r = run_hvsim(["run", "-q", "-m", "64M", HYP], timeout=120)
    out = r.stdout.decode()
    assert r.status == 0, r.stderr.decode()
    assert ("hyp: configuration refused: vm rtos: RAM [0x44000000,0x44400000) is outside "
            "the platform RAM [0x40000000,0x44000000)") in out
    assert "hyp: refusing to start" in out
    assert "rtos: start" not in out


@pytest.mark.skipif(shutil.which("qemu-system-aarch64") is None, reason="QEMU not installed")
def test_same_image_on_qemu(tmp_path, hvsim_run):
    q = run_qemu(HYP, tmp_path, timeout=120)
    assert q.status == 0, q.stderr.decode()
    out = q.stdout.decode()
    # QEMU virt has one UART: the consoles are emulated and multiplexed.
    assert "console emulated uart1" in out and "console emulated uart2" in out
    assert "console emulated uart3" in out
    assert ", event port" not in out  # QEMU's DTB has none: not used
    qs = streams(q.stdout, "qemu")
    # Every line but the rtos's latency values is the outcome of a guest's
    # own fixed script (the rtos counts 200 ticks whatever their latency),
    # so it is compared exactly although QEMU's ticks follow the host: a
    # vCPU switch must not change it wherever a tick lands
    # (docs/testing.md, "The hypervisor images on QEMU").
    check_guest_output(qs, check_latency=False, transport="qemu")
    hs = streams(hvsim_run.stdout, "hvsim")

    def stable(lines):  # latency values follow host time on QEMU
        return [l for l in lines if not l.startswith("rtos: latency")]

    assert stable(qs["rtos"]) == stable(hs["rtos"])
    # the same, but for the I2C work that QEMU virt has no device for and
    # the console's interrupt count (polled on QEMU: its line differs, only it)
    def same(lines, skip):
        return [l for l in lines if l not in skip and not l.startswith("STATUS gpos-uart ")]

    assert same(qs["gpos"], GPOS_I2C_QEMU) == same(hs["gpos"], GPOS_I2C)
    assert sum(l.startswith("STATUS gpos-uart ") for l in qs["gpos"]) == 1
    assert sum(l.startswith("STATUS gpos-uart ") for l in hs["gpos"]) == 1
    assert qs["rogue"] == ROGUE_QEMU and hs["rogue"] == ROGUE_HVSIM
    assert "interrupt storm" not in out  # no passthrough interrupt to storm with
    assert "vclk" not in out  # no CRU/GRF on QEMU: no vCRU, nothing counted


def test_vm_reset_restores_only_its_own_fields():
    # rogue's SYSTEM_RESET: the hypervisor writes back exactly the real
    # CRU fields rogue owns and had changed (UART3's, docs/soc.md):
    # CLKSEL_CON56's UART3 fields (divider 6:0, source 9:8, sclk mux 13:12:
    # enables 0x337f) to the reset value 0x2000, and CLKGATE_CON28's UART3
    # gates (7:4: enables 0x00f0) to 0, leaving UART2's gates (3:0, gpos's)
    # untouched. These are the last CRU/GRF writes of the run.
    r = run_hvsim(["run", "-q", "--log", "soc", HYP], timeout=300)
    assert r.status == 0, r.stderr.decode()
    writes = re.findall(r"(cru|grf) (\w+) \(0x[0-9a-f]+\) write (0x[0-9a-f]+) at EL2: "
                        r"(0x[0-9a-f]+) -> (0x[0-9a-f]+)", r.stderr.decode())
    assert writes[-2:] == [("cru", "CLKSEL_CON56", "0x337f2000", "0x00002003", "0x00002000"),
                           ("cru", "CLKGATE_CON28", "0x00f00000", "0x00000040", "0x00000000")]


@pytest.mark.parametrize("text,irqs", [
    # 11 bytes with the LF: below the RX FIFO's trigger level (16 of 32 at
    # reset, PL011 TRM 3.4.2), so no RXIS; the line goes idle: one receive
    # timeout interrupt (RTIS, TRM 3.4.4) drains it all.
    (b"hello gpos\n", 1),
    # 51 bytes arrive before gpos listens: the FIFO holds 32, the rest wait
    # on the line; one drain cannot take them all: at least two interrupts.
    # The line is cut at 48 bytes; what follows the first LF is not read.
    (b"The quick brown fox jumps over the lazy dog, twice\nsecond line\n", None),
])
def test_gpos_uart_receive_with_interrupts(tmp_path, text, irqs):
    inp = tmp_path / "in.txt"
    inp.write_bytes(text)
    r = run_hvsim(["run", "-q", "--uart-in", f"2={inp}", HYP_DUO], timeout=300)
    assert r.status == 0, r.stderr.decode()
    s = streams(r.stdout, "hvsim")
    uart = [l for l in s["gpos"] if l.startswith("STATUS gpos-uart ")]
    assert len(uart) == 1
    got = int(re.search(r"rx_irqs=(\d+)$", uart[0]).group(1))
    if irqs is None:
        assert got >= 2, uart
    else:
        assert got == irqs, uart
    # everything else as without input (the TX interrupt count recomputed
    # from the text, which now holds the line received)
    check_guest_output(s, check_latency=True, rx_text=text, rx_irqs=got)
    assert gpos_rx_line(text) in s["gpos"]
