"""End-to-end tests of the trace tools beyond show/json/info: `hvsim replay`,
`hvsim demo --trace`, `hvsim trace diff|stats|perfetto`, the golden traces
(traces/golden/) and streaming (a killed run leaves a readable prefix).
docs/traces.md describes what is checked here."""
import json
import os
import re
import signal
import subprocess
import time
import zlib

import pytest

from conftest import BUILD, HVSIM, IMAGES, ROOT, run_hvsim

DEMO = IMAGES / "demo.elf"
GOLDEN = ROOT / "traces" / "golden"
GOLDEN_NAMES = (GOLDEN / "LIST").read_text().split()


def run_in_build(args, **kw):
    """hvsim with the build directory as cwd (image paths as in the goldens)."""
    env = dict(os.environ)
    env.setdefault("LSAN_OPTIONS", f"suppressions={ROOT / 'tests' / 'lsan.supp'}")
    return subprocess.run([str(HVSIM)] + [str(a) for a in args], cwd=BUILD, capture_output=True,
                          timeout=120, env=env, **kw)


@pytest.fixture(scope="module")
def traces(tmp_path_factory):
    d = tmp_path_factory.mktemp("tools")
    out = {}
    for name in ("demo", "gic_lr"):
        p = d / f"{name}.trc"
        r = run_hvsim(["run", "-q", "--trace", p, IMAGES / f"{name}.elf"])
        assert r.status == 0, r.stderr
        out[name] = p
    return out


# ---- golden traces ----------------------------------------------------------

@pytest.mark.parametrize("name", GOLDEN_NAMES)
def test_golden_trace_reproduced(tmp_path, name):
    new = tmp_path / f"{name}.trc"
    r = run_in_build(["run", "-q", "--trace", new, f"images/{name}.elf"])
    assert r.returncode == 0, r.stderr
    golden = GOLDEN / f"{name}.trc"
    if new.read_bytes() != golden.read_bytes():
        d = run_hvsim(["trace", "diff", golden, new])
        pytest.fail(
            f"the build no longer reproduces traces/golden/{name}.trc.\n"
            f"First difference (hvsim trace diff {golden} {new}):\n{d.stdout.decode()}\n"
            "If the change is intended: regenerate with `scripts/regen-golden-traces BUILD` "
            "and explain the difference in the same commit (docs/traces.md, 'Golden traces').")


@pytest.mark.parametrize("name", GOLDEN_NAMES)
def test_golden_trace_replays(name):
    r = run_in_build(["replay", GOLDEN / f"{name}.trc"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(rb"identical, \d+ events verified", r.stdout)


def test_format_v2_still_read_and_replayed(tmp_path):
    """tests/e2e/data/trace-v2-demo.trc is traces/golden/demo.trc as format
    version 2 wrote it (FNV-1a 32 block checksums, no header checksum):
    version 3 readers show the same events; a version-2 trace replays."""
    old = ROOT / "tests" / "e2e" / "data" / "trace-v2-demo.trc"
    info = run_hvsim(["trace", "info", old]).stdout.decode()
    assert "format version: 2" in info, info
    assert "format version: 3" in run_hvsim(["trace", "info", GOLDEN / "demo.trc"]).stdout.decode()
    a = run_hvsim(["trace", "json", old])
    b = run_hvsim(["trace", "json", GOLDEN / "demo.trc"])
    assert a.status == 0 and b.status == 0 and a.stdout == b.stdout and a.stdout
    # The committed file names the demo image as it was built then; a
    # replay needs today's image, so the version-2 file replayed is today's
    # golden rewritten as version 2 (as_format_v2, from docs/trace-format.md).
    v2 = tmp_path / "demo-v2.trc"
    v2.write_bytes(as_format_v2((GOLDEN / "demo.trc").read_bytes()))
    assert "format version: 2" in run_hvsim(["trace", "info", v2]).stdout.decode()
    r = run_in_build(["replay", v2])
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(rb"identical, 1536 events verified", r.stdout)


def read_varint(data, i):
    v = shift = 0
    while True:
        b = data[i]
        i += 1
        v |= (b & 0x7f) << shift
        shift += 7
        if not b & 0x80:
            return v, i


def fnv1a32(data):
    h = 0x811c9dc5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xffffffff
    return h


def as_format_v2(data):
    """A version-3 trace rewritten as version 2 wrote it (docs/trace-format.md,
    "Versions"): version field 2, no header checksum, FNV-1a 32 block
    checksums instead of CRC-32."""
    assert data[:8] == b"HVSTRACE" and int.from_bytes(data[8:10], "little") == 3
    hend = 16 + int.from_bytes(data[12:16], "little")
    out = bytearray(data[:hend])
    out[8:10] = (2).to_bytes(2, "little")
    i = hend + 4  # past the header checksum
    while data[i] == 0x42:  # 'B'
        start = i
        n, i = read_varint(data, i + 1)
        _, i = read_varint(data, i)
        payload = data[i + 4:i + 4 + n]
        out += data[start:i] + fnv1a32(payload).to_bytes(4, "little") + payload
        i += 4 + n
    assert data[i] == 0x45  # 'E': the end record
    out += data[i:]
    return bytes(out)


def fix_header_checksum(data):
    """Recompute a version-3 header's CRC-32 (docs/trace-format.md): what a
    tool that edits a header on purpose must do."""
    hend = 16 + int.from_bytes(data[12:16], "little")
    data[hend:hend + 4] = zlib.crc32(bytes(data[:hend])).to_bytes(4, "little")


# ---- recording: demo, streaming -------------------------------------------------

def test_demo_trace_byte_identical(tmp_path):
    a, b = tmp_path / "a.trc", tmp_path / "b.trc"
    for p in (a, b):
        r = run_hvsim(["demo", "--trace", p])
        assert r.status == 0, r.stderr
        assert b">> hypercall" in r.stdout  # the narrator still runs
    assert a.read_bytes() == b.read_bytes()
    info = run_hvsim(["trace", "info", a]).stdout.decode()
    assert re.search(r"^options: -q \S+/images/demo.elf$", info, re.M), info
    # The demo's run is `hvsim run -q IMAGE`: same events, and it replays.
    r = run_hvsim(["replay", a])
    assert r.status == 0 and b"identical, 1536 events verified" in r.stdout, r.stderr


def test_demo_trace_bad_options():
    r = run_hvsim(["demo", "--trace"])
    assert r.status == 1 and b"needs an argument" in r.stderr
    r = run_hvsim(["demo", "--frob"])
    assert r.status == 1 and b"takes only --trace" in r.stderr


def test_killed_run_leaves_readable_prefix(tmp_path):
    """A run killed with SIGKILL: every whole block written is readable, and
    the reader says where the file stops."""
    path = tmp_path / "killed.trc"
    env = dict(os.environ, LSAN_OPTIONS="detect_leaks=0")
    # idle_spin spins through 2000 timer ticks (2 s of virtual time, about
    # 190 KB of trace, seconds of host time): kill it once 4 blocks are out.
    p = subprocess.Popen([str(HVSIM), "run", "-q", "--trace", str(path),
                          str(IMAGES / "idle_spin.elf")], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not path.exists() or path.stat().st_size < 16000):
        time.sleep(0.01)
    p.send_signal(signal.SIGKILL)
    assert p.wait() == -signal.SIGKILL, "the run ended before it was killed"
    size = path.stat().st_size
    assert size >= 16000
    r = run_hvsim(["trace", "show", path, "-o", tmp_path / "out.txt"])
    assert r.status == 1
    m = re.search(rb"offset (\d+): .*expected", r.stderr)
    assert m and int(m.group(1)) <= size, r.stderr
    lines = (tmp_path / "out.txt").read_text().splitlines()
    assert len(lines) > 1000 and lines[-1].startswith("[")
    # Partial stats and a well-formed partial Perfetto file.
    r = run_hvsim(["trace", "stats", path])
    assert r.status == 1 and b"PARTIAL" in r.stdout
    r = run_hvsim(["trace", "perfetto", path])
    assert r.status == 1
    json.loads(r.stdout)
    # The replay verifies the prefix and says it cannot go further.
    r = run_hvsim(["replay", path])
    assert r.status == 1 and b"events are identical; the rest" in r.stdout, r.stdout + r.stderr


def test_run_stopped_with_the_timer_armed():
    """A run that ends while a timer is armed (here --max-time, or a replay
    stopping at damage) tears the machine down with events queued: the timer
    must cancel them before the CPU goes (under ASan, a use after free)."""
    r = run_hvsim(["run", "-q", "--max-time", "3ms", IMAGES / "idle_spin.elf"])
    assert r.status == 3, r.stderr
    assert b"Sanitizer" not in r.stderr


# ---- replay ----------------------------------------------------------------------

def test_replay_uart_input_and_divergence(tmp_path):
    """The UART input comes from the header; a hand-edited input byte makes
    the replay diverge exactly where the guest reads it."""
    path = tmp_path / "rx.trc"
    r = run_hvsim(["run", "-q", "--trace", path, "--uart-in", "0=-", "--uart-in-start", "2us",
                   "--max-time", "200us", IMAGES / "uart_rx.elf"], stdin=b"ping\n")
    assert r.status in (0, 3), r.stderr
    r = run_hvsim(["replay", path])
    assert r.status == 0, r.stdout + r.stderr
    data = bytearray(path.read_bytes())
    i = data.index(b"ping")
    data[i + 1] = ord("o")
    edited = tmp_path / "edited.trc"
    edited.write_bytes(data)
    # The header checksum catches the edit...
    r = run_hvsim(["replay", edited])
    assert r.status != 0 and b"header checksum" in r.stderr, r.stdout + r.stderr
    # ... and, made on purpose (checksum recomputed), it replays and diverges.
    fix_header_checksum(data)
    edited.write_bytes(data)
    r = run_hvsim(["replay", edited])
    assert r.status == 6, r.stdout + r.stderr
    out = r.stdout.decode()
    m = re.search(r"first divergence at event #(\d+) \(vtime (\d+) ns, icount (\d+)\): value "
                  r"differs", out)
    assert m, out
    # The recording read 'i' (0x69) where the replay, fed "pong", reads 'o'.
    assert re.search(r"expected: .*uart0 read 0x0 size 4 value 0x69", out), out
    assert re.search(r"got: .*uart0 read 0x0 size 4 value 0x6f", out), out
    # trace diff finds the same event between the two recordings.
    other = tmp_path / "pong.trc"
    run_hvsim(["run", "-q", "--trace", other, "--uart-in", "0=-", "--uart-in-start", "2us",
               "--max-time", "200us", IMAGES / "uart_rx.elf"], stdin=b"pong\n")
    d = run_hvsim(["trace", "diff", path, other])
    assert d.status == 2
    assert f"first divergence at event #{m.group(1)} " in d.stdout.decode()


def test_replay_checks_images(tmp_path, traces):
    r = run_hvsim(["replay", traces["demo"], "--image", IMAGES / "hello.elf"])
    assert r.status == 1
    assert re.search(rb"image 0: \S+hello.elf has \d+ bytes hashing to fnv1a64=[0-9a-f]{16}: "
                     rb"expected \d+ bytes", r.stderr), r.stderr
    # Recorded with a relative path, replayed elsewhere: not found, say how.
    rel = tmp_path / "rel.trc"
    r = run_in_build(["run", "-q", "--trace", rel, "images/demo.elf"])
    assert r.returncode == 0
    r = run_hvsim(["replay", rel])
    assert r.status == 1 and b"give it with --image PATH" in r.stderr
    r = run_hvsim(["replay", rel, "--image", DEMO])
    assert r.status == 0, r.stderr


def test_replay_rerecords_identically(tmp_path, traces):
    again = tmp_path / "again.trc"
    r = run_hvsim(["replay", traces["gic_lr"], "--trace", again])
    assert r.status == 0, r.stderr
    assert again.read_bytes() == traces["gic_lr"].read_bytes()


def test_replay_event_subset(tmp_path):
    """A trace of some event types replays against those types only."""
    path = tmp_path / "sub.trc"
    r = run_hvsim(["run", "-q", "--trace", path, "--trace-events", "exc,eret,stop",
                   IMAGES / "gic_lr.elf"])
    assert r.status == 0, r.stderr
    r = run_hvsim(["replay", path])
    assert r.status == 0, r.stdout + r.stderr
    n = len(run_hvsim(["trace", "json", path]).stdout.splitlines())
    assert f"identical, {n} events verified".encode() in r.stdout


def test_replay_bad_input(tmp_path, traces):
    r = run_hvsim(["replay"])
    assert r.status == 1 and b"no TRACE given" in r.stderr
    bad = tmp_path / "bad.trc"
    bad.write_bytes(traces["demo"].read_bytes()[:10])
    r = run_hvsim(["replay", bad])
    assert r.status == 1 and b"offset " in r.stderr and b"expected" in r.stderr


# ---- diff ------------------------------------------------------------------------

def test_diff_identical_and_context(tmp_path, traces):
    r = run_hvsim(["trace", "diff", traces["demo"], traces["demo"]])
    assert r.status == 0 and b"identical: 1536 events" in r.stdout
    # The demo against the demo recorded with only exc/eret: they differ at
    # the first event that is not an exception, with context around it.
    sub = tmp_path / "sub.trc"
    run_hvsim(["run", "-q", "--trace", sub, "--trace-events", "exc,eret,mmio", DEMO])
    out = tmp_path / "diff.txt"
    r = run_hvsim(["trace", "diff", traces["demo"], sub, "--context", "2", "-o", out])
    assert r.status == 2 and r.stdout == b""
    text = out.read_text()
    assert "header: recorded event types differ" in text
    m = re.search(r"first divergence at event #(\d+) .*: (\w+) differs", text)
    assert m, text
    assert [l[0] for l in text.splitlines() if l[:1] in " -+" and "#" in l][:2] == [" ", " "]
    # The first UART byte sent is the first event the subset left out.
    assert m.group(2) == "type"
    assert re.search(rf"^- #{m.group(1)} .*uart0 tx 0x", text, re.M), text


def test_diff_length_mismatch(tmp_path, traces):
    short = tmp_path / "short.trc"
    run_hvsim(["run", "-q", "--trace", short, "--max-insns", "5000", DEMO])
    r = run_hvsim(["trace", "diff", traces["demo"], short])
    assert r.status == 2
    assert b"first divergence at event #" in r.stdout


# ---- stats -----------------------------------------------------------------------

def test_stats_demo(traces):
    r = run_hvsim(["trace", "stats", traces["demo"]])
    assert r.status == 0, r.stderr
    s = r.stdout.decode()
    # The demo's guest runs with stage 2 on and VMID 1 (guests/demo/demo.c
    # writes VTTBR_EL2 with VMID 1): its events are VM 1's.
    assert "grouped by: VM" in s
    vm1 = s[s.index("\nVM 1:\n"):]
    vm1 = vm1[:vm1.index("\n\n", 1)]
    # The demo: 4 HVCs and 1 stage-2 data abort from EL1, 1 virtual IRQ.
    assert re.search(r"trap EL1 -> EL2 HVC64\s+EC 0x16: 4$", vm1, re.M), s
    assert re.search(r"trap EL1 -> EL2 DABT_LOW\s+EC 0x24: 1$", vm1, re.M), s
    assert "interrupt virtual IRQ taken: 1" in vm1
    assert "exc=6 eret=6" in vm1  # every world switch is the VM's
    times = re.findall(r"EL(\d) (\d+) ns", s)
    first, last = map(int, re.search(r"virtual time (\d+) \.\. (\d+) ns", s).groups())
    assert sum(int(t) for _, t in times) == last - first
    assert re.search(r"^  time: EL1 \d+ ns", vm1, re.M)
    assert re.search(r"no VM, EL2:\n  time: EL2 \d+ ns", s)


def test_stats_injections(traces, tmp_path):
    """gic_lr injects 11 virtual interrupts through list registers (its
    source, tests/images/t_gic_lr.c); the guest acknowledges each."""
    # -o to a file (not /dev/stdout: on some machines that is a plain file).
    out = tmp_path / "stats.txt"
    r = run_hvsim(["trace", "stats", traces["gic_lr"], "-o", out])
    assert r.status == 0
    s = out.read_text()
    inj = sum(int(x) for x in re.findall(r"injections \(LR writes, pending\): (\d+)", s))
    acks = sum(int(x) for x in re.findall(r"guest acknowledges of injected interrupts: (\d+)", s))
    assert inj >= 1 and acks >= 1 and acks <= inj, s
    m = re.search(r"injection -> guest acknowledge\s+n=(\d+) min=(\d+) p50=(\d+) p90=(\d+) "
                  r"p99=(\d+) max=(\d+) ns", s)
    assert m and int(m.group(1)) == acks, s
    v = list(map(int, m.groups()[1:]))
    assert v == sorted(v)
    # Time per EL adds up to the span of the trace.
    times = [int(t) for t in re.findall(r"EL\d (\d+) ns", s)]
    first, last = map(int, re.search(r"virtual time (\d+) \.\. (\d+) ns", s).groups())
    assert sum(times) == last - first


# ---- perfetto --------------------------------------------------------------------

PHASES = {"B", "E", "i", "I", "M", "C", "s", "t", "f", "X"}


def validate_trace_event_json(doc):
    """Checks of the Chrome trace-event format ("Trace Event Format", the
    JSON Object Format) as ui.perfetto.dev and chrome://tracing read it."""
    assert isinstance(doc, dict) and isinstance(doc["traceEvents"], list)
    assert doc.get("displayTimeUnit") in ("ns", "ms")
    stacks, last_ts, flows = {}, {}, {}
    for e in doc["traceEvents"]:
        ph = e["ph"]
        assert ph in PHASES, e
        assert isinstance(e["pid"], int) and isinstance(e.get("tid", 0), int), e
        if ph == "M":
            assert e["name"] in ("process_name", "thread_name") and "name" in e["args"]
            continue
        assert isinstance(e["ts"], (int, float)) and e["ts"] >= 0, e
        if ph != "E":
            assert isinstance(e["name"], str) and e["name"], e
        if ph in ("C",):
            track = (e["pid"], "C", e["name"])
            assert all(isinstance(v, (int, float)) for v in e["args"].values())
        else:
            track = (e["pid"], e["tid"])
        assert e["ts"] >= last_ts.get(track, 0), f"timestamps go back on {track}: {e}"
        last_ts[track] = e["ts"]
        if ph == "B":
            stacks.setdefault(track, []).append(e["name"])
        elif ph == "E":
            assert stacks.get(track), f"E without B on {track}: {e}"
            stacks[track].pop()
        elif ph == "i":
            assert e.get("s", "t") in ("g", "p", "t") and isinstance(e.get("args", {}), dict)
        elif ph in ("s", "t", "f"):
            assert isinstance(e["id"], int)
            if ph == "s":
                assert e["id"] not in flows
                flows[e["id"]] = "open"
            else:
                assert flows.get(e["id"]) == "open", f"flow step without start: {e}"
                if ph == "f":
                    flows[e["id"]] = "done"
    assert all(not s for s in stacks.values()), f"unclosed slices: {stacks}"
    return flows


def test_perfetto_demo(tmp_path, traces):
    out = tmp_path / "demo.json"
    r = run_hvsim(["trace", "perfetto", traces["demo"], "-o", out])
    assert r.status == 0 and r.stdout == b"", r.stderr
    doc = json.loads(out.read_text())
    validate_trace_event_json(doc)
    evs = doc["traceEvents"]
    threads = [e for e in evs if e["ph"] == "M" and e["name"] == "thread_name"]
    assert [t["args"]["name"] for t in threads] == ["PE0"]
    slices = {e["name"] for e in evs if e["ph"] == "B"}
    assert slices == {"EL2 hypervisor", "VM 1 vCPU 0 (EL1)"}
    traps = [e for e in evs if e["ph"] == "i" and e["name"].startswith("trap ")]
    assert sum(e["name"] == "trap HVC64 EL1->EL2" for e in traps) == 4
    assert sum(e["name"] == "trap DABT_LOW EL1->EL2" for e in traps) == 1
    dabt = next(e for e in traps if "DABT" in e["name"])
    assert dabt["args"]["hpfar"] == "0x800000" and dabt["args"]["far"] == "0x80000000"
    # Every event of the trace is an instant (with its JSON fields as args).
    n = len(run_hvsim(["trace", "json", traces["demo"]]).stdout.splitlines())
    assert sum(e["ph"] == "i" for e in evs) == n


def test_perfetto_flows_and_lr_counter(tmp_path, traces):
    r = run_hvsim(["trace", "perfetto", traces["gic_lr"]])
    assert r.status == 0
    doc = json.loads(r.stdout)
    flows = validate_trace_event_json(doc)
    assert list(flows.values()).count("done") >= 1
    counters = [e for e in doc["traceEvents"] if e["ph"] == "C"]
    assert counters and all(e["name"] == "LRs in use PE0" for e in counters)
    assert max(e["args"]["lrs"] for e in counters) >= 1
    assert all(0 <= e["args"]["lrs"] <= 16 for e in counters)
    # --events keeps the instants of those types; slices, flows and the
    # counter are the same.
    r = run_hvsim(["trace", "perfetto", traces["gic_lr"], "--events", "exc,eret"])
    assert r.status == 0
    sub = json.loads(r.stdout)
    validate_trace_event_json(sub)
    assert {e["cat"] for e in sub["traceEvents"] if e["ph"] == "i"} == {"exc", "eret"}
    strip = lambda d: [e for e in d["traceEvents"] if e["ph"] != "i"]
    assert strip(sub) == strip(doc)


# ---- the GIC's and the timer's own events (format version 2) ---------------------

def events_of(trace, types):
    r = run_hvsim(["trace", "json", trace, "--events", types])
    assert r.status == 0, r.stderr
    return [json.loads(l) for l in r.stdout.splitlines()]


def test_gic_events_forwarded_hw_interrupt(traces):
    """gic_lr forwards the virtual timer's PPI 27 with an HW list register
    (tests/images/t_gic_lr.c): the chain the GIC spec (chapter 6, HW = 1)
    prescribes must appear in this order: timer fired, PPI 27 asserted,
    acknowledged at EL2, priority drop at EL2, LR written pending with HW and
    pINTID 27, acknowledged by the guest (ICV_IAR), EOI'd and deactivated by
    the guest, and the physical 27 deactivated with it."""
    evs = events_of(traces["gic_lr"], "irq,lr,virq,timer")
    def find(pred, start):
        for i in range(start, len(evs)):
            if pred(evs[i]):
                return i
        pytest.fail(f"not found after #{start}")
    i = find(lambda e: e["type"] == "timer" and e["op"] == 1 and e["timer"] == 1, 0)
    fired = evs[i]
    assert fired["ctl"] == "0x5"  # ENABLE and ISTATUS, not masked
    assert fired["count"] >= int(fired["cval"], 16)  # D11.2.4: the condition is met
    i = find(lambda e: e["type"] == "irq" and e["intid"] == 27, i)
    assert evs[i]["op"] == 0 and evs[i]["vtime"] == fired["vtime"]
    i = find(lambda e: e["type"] == "irq" and e["intid"] == 27, i + 1)
    assert evs[i]["op"] == 1 and evs[i]["el"] == 2
    i = find(lambda e: e["type"] == "irq" and e["intid"] == 27, i + 1)
    assert evs[i]["op"] == 2 and evs[i]["el"] == 2
    i = find(lambda e: e["type"] == "lr" and e["vintid"] == 27, i + 1)
    lr = evs[i]
    assert (lr["state"], lr["hw"], lr["pintid"], lr["group"], lr["prio"]) == (1, 1, 27, 1, 0xa0)
    assert int(lr["new"], 16) >> 62 == 1 and int(lr["new"], 16) & 0xffffffff == 27
    i = find(lambda e: e["type"] == "virq" and e["vintid"] == 27, i + 1)
    assert (evs[i]["op"], evs[i]["el"], evs[i]["lr"], evs[i]["hw"]) == (0, 1, lr["lr"], 1)
    i = find(lambda e: e["type"] == "virq" and e["vintid"] == 27, i + 1)
    assert evs[i]["op"] == 1
    i = find(lambda e: e["type"] == "virq" and e["vintid"] == 27, i + 1)
    assert evs[i]["op"] == 2
    i = find(lambda e: e["type"] == "irq" and e["intid"] == 27, i + 1)
    assert evs[i]["op"] == 3 and evs[i]["el"] == 1  # deactivated by the guest's DIR/EOI


def test_gic_events_maintenance(traces):
    """gic_lr asks for the EOI and the underflow maintenance interrupts
    (ICH_MISR_EL2 EOI bit 0, U bit 1): each assertion names its cause and
    is followed by PPI 25 asserted and acknowledged at EL2."""
    evs = events_of(traces["gic_lr"], "irq,maint")
    causes = 0
    for k, e in enumerate(evs):
        if e["type"] != "maint" or not e["level"]:
            continue
        misr = int(e["misr"], 16)
        assert misr != 0, e
        causes |= misr
        nxt = [x for x in evs[k + 1:k + 3] if x["type"] == "irq" and x["intid"] == 25]
        assert [x["op"] for x in nxt] == [0, 1], evs[k:k + 3]
    assert causes & 3 == 3, hex(causes)
    # Every injection the guest acknowledged was an lr write first.
    lrs = events_of(traces["gic_lr"], "lr,virq")
    injected = set()
    for e in lrs:
        if e["type"] == "lr" and e["state"] == 1:
            injected.add(e["vintid"])
        elif e["type"] == "virq" and e["op"] == 0 and e["vintid"] < 1020:
            assert e["vintid"] in injected, e


def test_stats_and_perfetto_from_gic_events(traces):
    """With the GIC's events, stats measures assert -> guest acknowledge
    through the injection, and perfetto draws that flow: asserted (s),
    acknowledged at EL2 and injected (t, t), acknowledged by the guest (f)."""
    s = run_hvsim(["trace", "stats", traces["gic_lr"]]).stdout.decode()
    assert "from the GIC's events" in s
    m = re.search(r"asserted -> guest ack \(injected\)\s+n=(\d+) min=(\d+)", s)
    assert m and int(m.group(1)) >= 1 and int(m.group(2)) > 0, s
    doc = json.loads(run_hvsim(["trace", "perfetto", traces["gic_lr"]]).stdout)
    validate_trace_event_json(doc)
    steps = {}
    for e in doc["traceEvents"]:
        if e["ph"] in "stf" and e.get("cat") == "irq":
            steps.setdefault(e["id"], []).append(e["ph"])
    assert ["s", "t", "t", "f"] in steps.values(), steps
    # LR occupancy comes from the lr and virq events: it returns to 0.
    counters = [e["args"]["lrs"] for e in doc["traceEvents"] if e["ph"] == "C"]
    assert max(counters) == 4 and counters[-1] == 0, counters  # gic_lr fills all 4 LRs


def test_gic_events_filtered_out_costs_nothing(tmp_path):
    """--trace-events without the new types records none of them, and the
    analyses fall back to the register accesses."""
    p = tmp_path / "old.trc"
    r = run_hvsim(["run", "-q", "--trace", p, "--trace-events", "exc,eret,sysreg",
                   IMAGES / "gic_lr.elf"])
    assert r.status == 0
    types = {json.loads(l)["type"] for l in run_hvsim(["trace", "json", p]).stdout.splitlines()}
    assert types <= {"exc", "eret", "sysreg"}
    s = run_hvsim(["trace", "stats", p]).stdout.decode()
    assert "derived from register accesses" in s


# ---- exact times inside a translated block (docs/architecture.md) ----------------

# gic_spi writes GICD_IROUTER with 64-bit stores, which reach the GIC as two
# 32-bit halves: both halves carry the store's count.
@pytest.mark.parametrize("name", ["gic_lr", "gic_spi", "hypervisor"])
def test_times_never_go_back(tmp_path, name):
    """Events raised inside a translated block (an MMIO access, a modelled
    MRS/MSR) carry the count retired before their instruction, like the
    exception that instruction may cause: per PE, icount and virtual time
    never decrease. A trapped MRS/MSR (EC 0x18) and its sysreg event have
    the same PC and therefore the same count."""
    p = tmp_path / f"{name}.trc"
    r = run_hvsim(["run", "-q", "--trace", p, IMAGES / f"{name}.elf"])
    assert r.status == 0, r.stderr
    out = run_hvsim(["trace", "json", p]).stdout.splitlines()
    last, prev, traps = {}, None, 0
    for line in out:
        e = json.loads(line)
        t = (e["icount"], e["vtime"])
        if e["pe"] in last:
            assert t[0] >= last[e["pe"]][0] and t[1] >= last[e["pe"]][1], (last[e["pe"]], e)
        last[e["pe"]] = t
        if (e["type"] == "exc" and e["kind"] == 0 and int(e["esr"], 16) >> 26 == 0x18
                and prev and prev["type"] == "sysreg" and prev["pc"] == e["pc"]):
            assert prev["icount"] == e["icount"], (prev, e)
            traps += 1
        prev = e
    assert len(out) > 100
    if name == "gic_lr":
        assert traps >= 1  # its TALL1 checks trap ICC_IAR1_EL1 reads to EL2


# ---- show filters and bad input for the new tools --------------------------------

def test_show_vm_filter(traces):
    all_ = run_hvsim(["trace", "json", traces["demo"]]).stdout.splitlines()
    vm1 = run_hvsim(["trace", "json", traces["demo"], "--vm", "1"]).stdout.splitlines()
    none = run_hvsim(["trace", "json", traces["demo"], "--vm", "none"]).stdout.splitlines()
    assert vm1 and none and sorted(vm1 + none) == sorted(all_)
    vm1 = [json.loads(l) for l in vm1]
    # The world switches: the exceptions leave VM 1, the returns enter it.
    assert sum(e["type"] == "exc" for e in vm1) == 6
    assert sum(e["type"] == "eret" for e in vm1) == 6
    assert all(e["type"] in ("exc", "eret") or e["el"] < 2 for e in vm1
               if e["type"] not in ("mmio", "uart"))
    r = run_hvsim(["trace", "show", traces["demo"], "--vm", "2"])
    assert r.status == 0 and r.stdout == b""
    r = run_hvsim(["trace", "show", traces["demo"], "--vm", "x"])
    assert r.status == 1 and b"--vm wants" in r.stderr


@pytest.mark.parametrize("sub", ["stats", "perfetto", "diff"])
def test_tools_damaged_input(tmp_path, traces, sub):
    data = traces["demo"].read_bytes()
    for n in (5, 16, 100, len(data) // 2, len(data) - 1):
        bad = tmp_path / f"cut{n}.trc"
        bad.write_bytes(data[:n])
        args = ["trace", sub, bad] + ([traces["demo"]] if sub == "diff" else [])
        r = run_hvsim(args)
        assert r.status == 1, (n, r.stderr)
        assert re.search(rb"offset \d+: .*expected", r.stderr), (n, r.stderr)
        assert b"Sanitizer" not in r.stderr and b"runtime error" not in r.stderr
        if sub == "perfetto" and n > 100:
            validate_trace_event_json(json.loads(r.stdout))
    # A flipped byte in a block (bad checksum).
    d = bytearray(data)
    d[len(d) // 2] ^= 0x40
    bad = tmp_path / "flip.trc"
    bad.write_bytes(d)
    args = ["trace", sub, bad] + ([traces["demo"]] if sub == "diff" else [])
    r = run_hvsim(args)
    assert r.status == 1 and b"checksum" in r.stderr, r.stderr


# ---- the VM context: cached registers (hv_cpu_vmreg) -----------------------------

@pytest.mark.parametrize("name", ["hypervisor-duo", "hypervisor"])
def test_vm_context_cache_matches_engine(tmp_path, monkeypatch, name):
    """The recorder takes each event's VM and vCPU from HCR_EL2, VTTBR_EL2,
    VTCR_EL2 and VMPIDR_EL2, cached between exceptions, returns and MSRs to
    them. With the cache off (HVSIM_NO_VMREG_CACHE=1: every event reads the
    engine) the trace must be byte-identical, world switches between two VMs
    included. tests/unit/test_vmregs.c checks the cache at every event of an
    image made to break it."""
    image = IMAGES / f"{name}.elf"
    cached, direct = tmp_path / "cached.trc", tmp_path / "direct.trc"
    r = run_hvsim(["run", "-q", "--trace", cached, image])
    assert r.status == 0, r.stderr
    monkeypatch.setenv("HVSIM_NO_VMREG_CACHE", "1")
    r = run_hvsim(["run", "-q", "--trace", direct, image])
    assert r.status == 0, r.stderr
    monkeypatch.delenv("HVSIM_NO_VMREG_CACHE")
    assert cached.read_bytes() == direct.read_bytes()
    # Not vacuous: the events are spread over VMs (VMID 1 and, for the duo,
    # VMID 2) and the hypervisor.
    counts = {vm: len(run_hvsim(["trace", "json", cached, "--vm", vm]).stdout.splitlines())
              for vm in ("1", "2", "none")}
    assert counts["1"] > 100 and counts["none"] > 100
    if name == "hypervisor-duo":
        assert counts["2"] > 100
