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

from conftest import IMAGES, run_hvsim, run_qemu

HYP = IMAGES / "hypervisor.elf"  # rtos + gpos + rogue
HYP_DUO = IMAGES / "hypervisor-duo.elf"  # rtos + gpos: the reference without rogue
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
# as a synchronous external abort (EC 0x25, from EL1), the EL1 physical
# timer as UNDEF (EC 0x00); refused vGIC writes change nothing (read back
# 0); unknown SMC functions return NOT_SUPPORTED (-1), CPU_ON of a vCPU it
# does not have INVALID_PARAMETERS (-2).
ROGUE = [
    "rogue: start dtb=ok",
    "rogue: read ipa 0x50000000: faults=1 ec=0x25",
    "rogue: write ipa 0x44800000 (gpos's RAM as a PA): faults=2 ec=0x25",
    "rogue: write ipa 0x09100000 (uart1 as a PA): faults=3 ec=0x25",
    "rogue: enable INTID 40: readback=0x0",
    "rogue: priority of INTID 41: readback=0x0",
    "rogue: enable PPI 26: readback=0x0",
    "rogue: disable PPI 25: readback=0x0",
    "rogue: msr cntp_ctl_el0: faults=4 ec=0x00",
    "rogue: smc 0x82000000 returned -1",
    "rogue: flood done",
    "rogue: CPU_ON 7 returned -2",
    "STATUS rogue faults=4 irqs=0",
]


def check_guest_output(s, check_latency):
    rtos, gpos = s["rtos"], s["gpos"]
    if s["rogue"]:
        assert s["rogue"] == ROGUE
    assert rtos[0] == "rtos: start vm=1 vcpus=1 prio=20 dtb=ok"
    sums = rtos_task2_sums(20)
    task2 = [l for l in rtos if l.startswith("rtos: task2")]
    assert task2 == [f"rtos: task2 run={k + 1} sum={v:08x}" for k, v in enumerate(sums)]
    assert rtos[-1] == "STATUS rtos ticks=200 task1=200 task2=20 other_irqs=0"
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
    assert gpos == [
        "gpos: start vm=2 vcpus=2 prio=10 dtb=ok",
        f"gpos: primes below 20000: {n}",
        f"gpos: cpu1 ctx=0xc0ffee crc32={CRC:08x}",
        "gpos: cpu1 done, joined",
        "gpos: sleep 1",
        "gpos: sleep 2",
        "gpos: sleep 3",
        "gpos: hello through the console hypercall",
        f"STATUS gpos primes={n} crc32={CRC:08x} sleeps=3",
    ]


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
    assert s["rogue"] == ROGUE
    for line in [
        "hyp: vm rogue: refused: read outside the VM's memory and devices (0x50000000,",
        "hyp: vm rogue: refused: write outside the VM's memory and devices (0x44800000,",
        "hyp: vm rogue: refused: write outside the VM's memory and devices (0x9100000,",
        "hyp: vm rogue: refused: vGIC write to INTID 40, which it does not own",
        "hyp: vm rogue: refused: vGIC write to INTID 41, which it does not own",
        "hyp: vm rogue: refused: vGIC write to INTID 26, which it does not own",
        "hyp: vm rogue: refused: vGIC write to INTID 25, which it does not own",
        "hyp: vm rogue: msr S3_3_C14_C2_1 at pc",
        "hyp: vm rogue: unknown SMC function 0x82000000: NOT_SUPPORTED",
        "hyp: vm rogue: off (crashed: exception at its own vector 0x10000200",
    ]:
        assert line in out, line
    # 3 memory + 4 vGIC + 200 flooded vGIC writes + the crash's fetch.
    m = re.search(r"hyp: vm rogue: switches=\d+ irqs=\d+ injections=0 undef=(\d+) "
                  r"violations=(\d+) resets=0 traps: (.*)", out)
    assert m, out
    assert int(m.group(2)) == 3 + 4 + 200 + 1
    # The flood: 1000 null hypercalls, plus its one CPU_ON: 1001 HVCs.
    assert "ec16=1001" in m.group(3) and "ec17=1" in m.group(3)


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
    assert kinds.count("vgic") == 4 + 200
    assert kinds.count("fetch") == 1 and kinds.count("crash") == 1
    assert len(ev) == 3 + 204 + 2
    # What was refused: the IPAs, the INTIDs (40 = 0x28, 41, 26, 25), and
    # where it crashed (VBAR_EL1 0x10000000 + 0x200, current EL with SPx).
    assert [a for _, k, a, _ in ev if k == "memory"] == ["0x50000000", "0x44800000", "0x9100000"]
    assert [a for _, k, a, _ in ev if k == "vgic"][:4] == ["0x28", "0x29", "0x1a", "0x19"]
    assert [a for _, k, a, _ in ev if k == "crash"] == ["0x10000200"]


def test_world_switch_summary(hvsim_run):
    out = hvsim_run.stdout.decode()
    m = re.search(r"hyp: vm rtos: switches=(\d+) irqs=(\d+) injections=(\d+) undef=0 "
                  r"violations=0 resets=0 traps: ec01=(\d+)", out)
    assert m, out
    switches, irqs, injections, wfi = map(int, m.groups())
    # Every rtos tick is one virtual-timer injection; it waits in WFI
    # between ticks, so each tick is a switch back in.
    assert injections == 200 and irqs >= 200
    assert wfi >= 200 and switches >= 200


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
    check_guest_output(qs, check_latency=False)
    hs = streams(hvsim_run.stdout, "hvsim")

    def stable(lines):  # latency values follow host time on QEMU
        return [l for l in lines if not l.startswith("rtos: latency")]

    assert stable(qs["rtos"]) == stable(hs["rtos"])
    assert qs["gpos"] == hs["gpos"]
    assert qs["rogue"] == hs["rogue"] == ROGUE
