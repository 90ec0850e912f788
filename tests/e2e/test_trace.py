"""End-to-end tests of the binary trace: `hvsim run --trace`, `hvsim trace
show|json|info` (docs/trace-format.md)."""
import collections
import json
import re

import pytest

from conftest import IMAGES, run_hvsim

DEMO = IMAGES / "demo.elf"


@pytest.fixture(scope="module")
def demo_trace(tmp_path_factory):
    d = tmp_path_factory.mktemp("trace")
    path = d / "demo.trc"
    r = run_hvsim(["run", "-q", "--trace", path, DEMO])
    assert r.status == 0, r.stderr
    return path


def test_two_recordings_are_identical(tmp_path, demo_trace):
    other = tmp_path / "again.trc"
    r = run_hvsim(["run", "-q", "--trace", other, DEMO])
    assert r.status == 0, r.stderr
    assert other.read_bytes() == demo_trace.read_bytes()


def test_show_matches_log(demo_trace):
    log = run_hvsim(["run", "-q", "--log", "all", DEMO])
    assert log.status == 0
    logged = [l[len("hvsim: "):] for l in log.stderr.decode().splitlines()
              if l.startswith("hvsim: [")]
    r = run_hvsim(["trace", "show", demo_trace])
    assert r.status == 0, r.stderr
    shown = r.stdout.decode().splitlines()
    assert shown == logged
    assert any("sync HVC64" in l for l in shown)
    s2 = [l for l in shown if "DABT_LOW" in l]
    assert len(s2) == 1 and "HPFAR=0x800000 (IPA 0x80000000)" in s2[0]


def test_show_filters(demo_trace):
    r = run_hvsim(["trace", "show", demo_trace, "--events", "exc,eret",
                   "--from", "11us", "--to", "14000"])
    assert r.status == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    times = [int(re.match(r"\[\s*(\d+) ns\]", l).group(1)) for l in lines]
    assert lines and all(11000 <= t <= 14000 for t in times)
    assert all(" eret " in l or " sync " in l or "IRQ" in l for l in lines)


def test_json_counts(demo_trace, tmp_path):
    out = tmp_path / "demo.jsonl"
    r = run_hvsim(["trace", "json", demo_trace, "-o", out])
    assert r.status == 0 and r.stdout == b"", r.stderr
    evs = [json.loads(l) for l in out.read_text().splitlines()]
    counts = collections.Counter(e["type"] for e in evs)
    assert counts["exc"] == 6  # 4 HVCs, 1 stage-2 abort, 1 virtual IRQ
    assert counts["eret"] == 6
    assert counts["psci"] == 1 and counts["stop"] == 1
    assert counts["uart"] > 100 and counts["mmio"] > counts["uart"]
    hvc = [e for e in evs if e["type"] == "exc" and e["esr"] == "0x5a000000"]
    assert len(hvc) == 4 and all(e["from_el"] == 1 and e["to_el"] == 2 for e in hvc)
    dabt = [e for e in evs if e["type"] == "exc" and int(e["esr"], 16) >> 26 == 0x24]
    assert dabt[0]["far"] == "0x80000000" and dabt[0]["hpfar"] == "0x800000"
    assert all(evs[i]["vtime"] <= evs[i + 1]["vtime"] for i in range(len(evs) - 1))
    assert evs[-1]["type"] == "stop" and evs[-1]["status"] == 0


def test_bytes_per_event(demo_trace):
    r = run_hvsim(["trace", "info", demo_trace])
    assert r.status == 0, r.stderr
    info = r.stdout.decode()
    nev = int(re.search(r"^events: (\d+)$", info, re.M).group(1))
    size = demo_trace.stat().st_size
    per = size / nev
    print(f"demo trace: {nev} events, {size} bytes, {per:.2f} bytes/event")
    assert per <= 16
    assert "options: -q " in info and "demo.elf" in info
    assert re.search(r"image: main \S+demo.elf addr=0x0 size=\d+ fnv1a64=[0-9a-f]{16}", info)


def test_trace_events_subset(tmp_path):
    path = tmp_path / "exc.trc"
    r = run_hvsim(["run", "-q", "--trace", path, "--trace-events", "exc,eret", DEMO])
    assert r.status == 0, r.stderr
    r = run_hvsim(["trace", "json", path])
    types = {json.loads(l)["type"] for l in r.stdout.decode().splitlines()}
    assert types == {"exc", "eret"}
    r = run_hvsim(["run", "-q", "--trace", path, "--trace-events", "nope", DEMO])
    assert r.status == 1 and b"unknown event name" in r.stderr


def test_uart_input_in_header(tmp_path, images):
    path = tmp_path / "rx.trc"
    r = run_hvsim(["run", "-q", "--trace", path, "--uart-in", "0=-", "--uart-in-start", "2us",
                   "--max-time", "1ms", images / "uart_rx.elf"], stdin=b"ping\n")
    assert r.status in (0, 3), r.stderr
    info = run_hvsim(["trace", "info", path]).stdout.decode()
    assert "uart input: port 0, 5 bytes from 2000 ns" in info
    assert "--uart-in 0=-" in info


@pytest.mark.parametrize("cut", ["header", "middle", "end"])
def test_truncated(demo_trace, tmp_path, cut):
    data = demo_trace.read_bytes()
    n = {"header": 20, "middle": len(data) // 2, "end": len(data) - 1}[cut]
    bad = tmp_path / "cut.trc"
    bad.write_bytes(data[:n])
    full = run_hvsim(["trace", "show", demo_trace]).stdout.decode().splitlines()
    r = run_hvsim(["trace", "show", bad])
    assert r.status == 1
    err = r.stderr.decode()
    m = re.search(r"offset (\d+): .*expected", err)
    assert m and int(m.group(1)) <= n, err
    part = r.stdout.decode().splitlines()
    assert part == full[:len(part)]
    if cut == "middle":
        assert 0 < len(part) < len(full)
    if cut == "end":
        assert part == full and "end record" in err


def test_bad_inputs(tmp_path, demo_trace):
    data = bytearray(demo_trace.read_bytes())
    cases = {
        "magic": (0, b"X", b"offset 0: not an hvsim trace"),
        "version": (8, b"\x07", b"offset 8: unsupported format version 7: expected 1 to 3"),
        # Format version 3 checksums the header (an edited option byte).
        "header": (30, b"\xff", b"header checksum"),
    }
    for name, (off, byte, needle) in cases.items():
        d = bytearray(data)
        d[off:off + 1] = byte
        p = tmp_path / f"{name}.trc"
        p.write_bytes(d)
        for sub in ("show", "json"):
            r = run_hvsim(["trace", sub, p])
            assert r.status == 1 and needle in r.stderr, r.stderr
            assert r.stdout == b""
    # A flipped byte in the last block: the earlier blocks still come out.
    d = bytearray(data)
    d[-20] ^= 0x10
    p = tmp_path / "flip.trc"
    p.write_bytes(d)
    r = run_hvsim(["trace", "json", p])
    assert r.status == 1 and b"offset " in r.stderr and b"AddressSanitizer" not in r.stderr
    for l in r.stdout.decode().splitlines():
        json.loads(l)
    r = run_hvsim(["trace", "show", tmp_path / "missing.trc"])
    assert r.status == 1
    r = run_hvsim(["trace", "frob", demo_trace])
    assert r.status == 1 and b"unknown subcommand" in r.stderr
