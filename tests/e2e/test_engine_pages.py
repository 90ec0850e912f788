"""The engine's (TCG's) page size (docs/architecture.md, "Engine pages"):
4096 by default, 1024 with --engine-page-size 1024, recorded in traces.

u_smc_page.elf checks self-modifying code after a data store to the same
engine page, and blocks that rewrite their own first instruction and
invalidate it with IC IVAU, IC IALLU or IC IALLUIS. Its expected values
are architectural; Unicorn 2.1.1 alone misses these rewrites
(tests/images/u_smc_page.c; docs/differences.md, "Self-modifying code"),
and hvsim serves the IC instructions so that it does not. The same image
runs on QEMU 7.2, and both must print the same checks.
"""
import pytest

from conftest import IMAGES, run_hvsim, run_qemu

SMC_PAGE = IMAGES / "u_smc_page.elf"
SMC_CHECKS = 7


def checks(out):
    """The image's check lines, in order."""
    return [l for l in out.decode(errors="replace").splitlines()
            if l.startswith(("ok ", "FAIL "))]


@pytest.fixture(scope="module")
def smc_on_qemu(tmp_path_factory):
    q = run_qemu(SMC_PAGE, tmp_path_factory.mktemp("smc"))
    assert q.status == 0
    assert q.result() == ("smc_page", SMC_CHECKS, 0), q.stdout.decode(errors="replace")
    return checks(q.stdout)


def test_smc_page_passes_on_qemu(smc_on_qemu):
    assert len(smc_on_qemu) == SMC_CHECKS


@pytest.mark.parametrize("page", [1024, 4096])
def test_smc_page_after_data_store(page, smc_on_qemu):
    h = run_hvsim(["run", "-q", "--engine-page-size", page, SMC_PAGE])
    assert h.status == 0, h.stderr.decode(errors="replace")
    assert h.result() == ("smc_page", SMC_CHECKS, 0), h.stdout.decode(errors="replace")
    assert checks(h.stdout) == smc_on_qemu


@pytest.mark.parametrize("bad", ["2048", "0", "4k", "65536"])
def test_engine_page_size_rejects_other_sizes(bad):
    h = run_hvsim(["run", "-q", "--engine-page-size", bad, IMAGES / "hello.elf"])
    assert h.status == 1
    assert b"--engine-page-size wants 1024 or 4096" in h.stderr


@pytest.mark.parametrize("page", ["1024", "4096"])
def test_page_size_recorded_and_replayed(page, tmp_path):
    trace = tmp_path / "t.trc"
    h = run_hvsim(["run", "-q", "--engine-page-size", page, "--trace", trace,
                   IMAGES / "gic_timer.elf"])
    assert h.status == 0, h.stderr.decode(errors="replace")
    info = run_hvsim(["trace", "info", trace])
    assert b"--engine-page-size " + page.encode() in info.stdout, info.stdout.decode()
    r = run_hvsim(["replay", trace])
    assert r.status == 0, r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
