"""`hvsim walk`: a translation-table walk of a stopped machine
(docs/teaching/walk.md).

Expected values come from the images' tables and the Arm ARM, not from a run:
u_walk.c lists its stage-1 and stage-2 tables (the shapes of docs/mmu.md's
worked example), the demo's stage 2 does not map IPA 0x80000000 (demo.c).
"""
import re
import shutil
import subprocess

import pytest

from conftest import IMAGES, run_hvsim

WALK = IMAGES / "u_walk.elf"
DEMO = IMAGES / "demo.elf"


def rows(text):
    """The step rows of the text table: (stage, level, descriptor, meaning)."""
    out = []
    for line in text.splitlines():
        m = re.match(r"^ (\d+)\s+(\s*S[12])\s+(\d)\s+0x\S+\s+0x\S+\s+\d+\s+0x\S+\s+0x\S+\s+"
                     r"(0x[0-9a-f]{16}) (.*)$", line)
        if m:
            out.append((m.group(2).strip(), int(m.group(3)), m.group(4), m.group(5)))
    return out


def test_demo_first_fault_is_a_stage2_translation_fault(hvsim):
    r = run_hvsim(["walk", "--at", "fault", DEMO])
    assert r.status == 0, r.stderr
    out = r.stdout.decode()
    # demo.c: VTCR_EL2 T0SZ 32, SL0 1 -> start level 1; IPA 0x80000000 is
    # level-1 index 2, which build_stage2() leaves invalid.
    assert out.startswith("VA 0x80000000: EL1&0 regime")
    assert rows(out) == [("S2", 1, "0x0000000000000000", "invalid (bit 0 = 0)")]
    assert ("result: FAULT: stage-2 translation fault at level 1, FSC 0x05 (translation "
            "fault), taken to EL2, IPA 0x80000000 (HPFAR_EL2 0x800000)") in out
    assert b"ESR 0x93810005" in r.stderr  # what the engine reported: DFSC 0x05


def test_demo_at_an_instruction_count(hvsim):
    # After the stage 2 is built and the guest runs: IPA 0x40000000 is the
    # first 2 MiB block of s2_l2_ram, identity (demo.c).
    r = run_hvsim(["walk", "--max-insns", "12000", "--regime", "s2", "--addr", "0x40001234",
                   DEMO])
    assert r.status == 0, r.stderr
    out = r.stdout.decode()
    steps = rows(out)
    assert [s[:2] for s in steps] == [("S2", 1), ("S2", 2)]
    assert "block of 2048 KiB -> 0x40001234" in steps[1][3]
    assert "result: PA 0x40001234" in out


def test_two_stage_walk_nests_stage2_in_stage1(hvsim):
    r = run_hvsim(["walk", "--at", "fault", "--addr", "0x7f201234", WALK])
    assert r.status == 0, r.stderr
    out = r.stdout.decode()
    steps = rows(out)
    # Stage 1 starts at level 1 (T0SZ 25); each stage-1 descriptor's IPA is
    # translated by stage 2 first (levels 1, 2: a 2 MiB identity block), then
    # the output IPA 0x80_4020_1234 goes through stage 2 levels 1-3.
    assert [s[:2] for s in steps] == [("S2", 1), ("S2", 2), ("S1", 1), ("S2", 1), ("S2", 2),
                                      ("S1", 2), ("S2", 1), ("S2", 2), ("S2", 3)]
    assert "block of 2048 KiB -> 0x8040201234" in steps[5][3]
    assert "page of 4 KiB -> 0x44000234" in steps[8][3]
    assert "result: PA 0x44000234 (IPA 0x8040201234)" in out
    # IPA[39:30] = 0x201: the second of the two concatenated level-1 tables.
    assert re.search(r" 7\s+S2\s+1\s+0x8040201234\s+0x\S+\s+513 ", out)


def test_stage1_only_view_stops_at_the_ipa(hvsim):
    r = run_hvsim(["walk", "--at", "fault", "--addr", "0x7f201234", "--regime", "el10-s1",
                   WALK])
    out = r.stdout.decode()
    assert [s[:2] for s in rows(out)] == [("S2", 1), ("S2", 2), ("S1", 1), ("S2", 1), ("S2", 2),
                                          ("S1", 2)]
    assert "result: IPA 0x8040201234" in out


def test_first_fault_of_the_two_stage_image(hvsim):
    r = run_hvsim(["walk", "--at", "fault", WALK])
    out = r.stdout.decode()
    # VA 0x7f401234: stage-1 level-2 index 0x1fa is invalid (u_walk.c).
    assert rows(out)[-1][:3] == ("S1", 2, "0x0000000000000000")
    assert "result: FAULT: stage-1 translation fault at level 2, FSC 0x06" in out
    assert b"ESR 0x96000006" in r.stderr


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz (scripts/install-deps)")
def test_dot_output_is_valid_graphviz(hvsim, tmp_path):
    r = run_hvsim(["walk", "--at", "fault", "--addr", "0x7f201234", "--format", "dot", WALK])
    assert r.status == 0, r.stderr
    dot = r.stdout.decode()
    assert dot.startswith("digraph walk {")
    assert dot.count("subgraph cluster_ptw") == 2  # the two stage-1 levels' tables
    assert "stage 2 translates IPA 0x40205008" in dot
    assert 'label="PA 0x44000234"' in dot
    svg = subprocess.run(["dot", "-Tsvg"], input=r.stdout, capture_output=True, timeout=60)
    assert svg.returncode == 0, svg.stderr
    assert b"<svg" in svg.stdout


@pytest.mark.parametrize("args,msg", [
    (["--at", "fault", "--regime", "el3"], b"unknown regime 'el3'"),
    (["--at", "fault", "--addr", "0xzz"], b"malformed address '0xzz'"),
    (["--at", "now"], b"--at takes 'fault'"),
    (["--addr", "0x1000"], b"say where to stop"),
    (["--max-insns", "100"], b"no address given"),
    (["--at", "fault", "--max-insns", "5"], b"exclude each other"),
    (["--at", "fault", "--access", "q"], b"--access wants r, w or x"),
    (["--at", "fault", "--regime", "s2", "--el", "0"], b"--el applies to"),
    (["--at", "fault", "--format", "svg"], b"--format wants text or dot"),
])
def test_bad_arguments(hvsim, args, msg):
    r = run_hvsim(["walk", *args, WALK])
    assert r.status == 1
    assert msg in r.stderr, r.stderr


def test_bad_states(hvsim):
    # hello never faults: no state at the first fault.
    r = run_hvsim(["walk", "--at", "fault", IMAGES / "hello.elf"])
    assert r.status == 1
    assert b"no instruction or data abort happened" in r.stderr
    # The run ends before the instruction count.
    r = run_hvsim(["walk", "--max-insns", "100000000", "--addr", "0", IMAGES / "hello.elf"])
    assert r.status == 1
    assert b"the run ended before instruction 100000000" in r.stderr
    r = run_hvsim(["walk", "--at", "fault", "/nonexistent.elf"])
    assert r.status == 1
