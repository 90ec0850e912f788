"""The isolation checker end to end (docs/mmu.md, "The isolation checker").

u_iso is a "hypervisor" that gets stage 2 wrong on purpose; data/iso.dts says
who owns what. The expected violations follow from the image's tables and the
platform's ownership regions (see the comment at the top of u_iso.c), not
from a run: VM 1 mapping a page of VM 2, VM 1 mapping its own stage-2 level-3
table writable (installed without a TLBI), VM 2 mapping a hypervisor page.
"""
import json
from pathlib import Path

from conftest import IMAGES, run_hvsim

ISO = IMAGES / "u_iso.elf"
PLAT = Path(__file__).resolve().parent / "data" / "iso.dts"


def violations(stderr):
    return [l for l in stderr.decode(errors="replace").splitlines()
            if l.startswith("hvsim: isolation violation:")]


def test_violations_are_reported_with_the_owner(hvsim):
    r = run_hvsim(["run", "-q", "--platform", PLAT, ISO])
    assert r.status == 0, r.stderr
    assert r.result() == ("iso", 6, 0)
    v = violations(r.stderr)
    assert v == [
        "hvsim: isolation violation: VM 1 maps IPA [0x200000,0x201000) -> "
        "PA [0x45000000,0x45001000) RWX, owned by vm2ram (vm of VM 2)",
        # VM1_TABLES + 2 pages = 0x44800000 + 0x2000
        "hvsim: isolation violation: VM 1 maps IPA [0x300000,0x301000) -> "
        "PA [0x44802000,0x44803000) RWX, a stage-2 table page of VM 1",
        "hvsim: isolation violation: VM 2 maps IPA [0x200000,0x201000) -> "
        "PA [0x40000000,0x40001000) R-X, owned by hyp (hypervisor)",
    ], r.stderr


def test_stop_ends_the_run_before_the_vm_runs(hvsim):
    r = run_hvsim(["run", "-q", "--on-violation=stop", "--platform", PLAT, ISO])
    assert r.status == 6, r.stderr
    assert b"isolation-violation after" in r.stderr
    assert b"owned by vm2ram (vm of VM 2)" in r.stderr
    # The VM entered with the bad stage 2 never came back.
    assert b"came back (step 2)" not in r.stdout
    assert b"came back (step 1)" in r.stdout


def test_bad_mode_is_a_usage_error(hvsim):
    r = run_hvsim(["run", "--on-violation=ignore", ISO])
    assert r.status == 1
    assert b"--on-violation wants log or stop" in r.stderr


def test_no_owners_no_checking(hvsim):
    # The built-in virt platform names no owners: nothing is checked.
    r = run_hvsim(["run", "-q", ISO])
    assert r.status == 0
    assert violations(r.stderr) == []


def test_violations_are_trace_events(hvsim, tmp_path):
    tr = tmp_path / "iso.trace"
    r = run_hvsim(["run", "-q", "--trace", tr, "--trace-events", "isolation",
                   "--platform", PLAT, ISO])
    assert r.status == 0, r.stderr
    j = run_hvsim(["trace", "json", tr])
    evs = [json.loads(l) for l in j.stdout.decode().splitlines() if l.strip()]
    evs = [e for e in evs if e["type"] == "isolation"]
    assert [(e["kind"], e["vmid"], e["ipa"], e["pa"], e["size"], e["owner"], e["owner_kind"],
             e["owner_vmid"], e["table_vmid"]) for e in evs] == [
        (0, 1, "0x200000", "0x45000000", "0x1000", "vm2ram", "vm", 2, 0),
        (1, 1, "0x300000", "0x44802000", "0x1000", "-", "none", 0, 1),
        (0, 2, "0x200000", "0x40000000", "0x1000", "hyp", "hypervisor", 0, 0),
    ]


def test_ownership_survives_the_dtb_round_trip(hvsim, tmp_path):
    # The generated DTB carries /hvsim-ownership: it is a platform file again.
    dtb = tmp_path / "iso.dtb"
    r = run_hvsim(["run", "-q", "--dtb-out", dtb, "--platform", PLAT, ISO])
    assert r.status == 0
    r2 = run_hvsim(["run", "-q", "--platform", dtb, ISO])
    assert r2.status == 0
    assert violations(r2.stderr) == violations(r.stderr) != []


def test_bad_ownership_is_an_error(hvsim, tmp_path):
    text = PLAT.read_text()
    bad = tmp_path / "bad.dts"
    bad.write_text(text.replace('hvsim,owner = "shared";', 'hvsim,owner = "everyone";'))
    r = run_hvsim(["run", "--platform", bad, ISO])
    assert r.status == 1
    assert b'hvsim,owner at /hvsim-ownership/shm@46000000 is "everyone"' in r.stderr
    overlap = tmp_path / "overlap.dts"
    overlap.write_text(text.replace("reg = <0x0 0x46000000 0x0 0x10000>;",
                                    "reg = <0x0 0x45ff0000 0x0 0x20000>;"))
    r = run_hvsim(["run", "--platform", overlap, ISO])
    assert r.status == 1
    assert b"ownership region shm [0x45ff0000,0x46010000) overlaps vm2ram" in r.stderr
    novmid = tmp_path / "novmid.dts"
    novmid.write_text(text.replace("hvsim,vmid = <2>;", ""))
    r = run_hvsim(["run", "--platform", novmid, ISO])
    assert r.status == 1
    assert b"a vm or device region needs one" in r.stderr
