# hvsim: the two commands (README.md).
#   make demo   installs missing Debian packages, builds, and runs the demo:
#               the EL2 hypervisor with rtos, gpos and rogue (docs/hypervisor.md)
#   make tour   the narrated walk-through of hvsim itself (hvsim demo)
#   make test   installs, builds the sanitized test build, and runs every test
BUILD      ?= build
TEST_BUILD ?= build-test
UNICORN    := .deps/unicorn
LIBFDT_ARM64 := .deps/libfdt-arm64
JOBS       ?= $(shell nproc)
# Debian's interpreter, which has python3-pytest (not a pyenv python on PATH).
PYTHON     := /usr/bin/python3

.PHONY: all deps build demo tour qemu-tour test unit e2e qemu-demo linux-direct linux-demo qemu-linux-demo bench fuzz format clean

all: build

deps:
	@scripts/install-deps
	@scripts/fetch-unicorn $(UNICORN)
	@scripts/fetch-libfdt $(LIBFDT_ARM64)

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# The hypervisor image on hvsim: each VM's console as its own stream, then
# a summary (traps, injections, switches, refusals, device health).
demo: build
	@$(PYTHON) scripts/hyp-demo --build $(BUILD)

# The narrated walk-through of a small image (tools/hvsim/demo.c).
tour: build
	@./$(BUILD)/hvsim demo

# Debian's arm64 kernel and a busybox initramfs, directly at EL2 (docs/linux.md).
linux-direct: build
	@guests/linux/prepare
	./$(BUILD)/hvsim run -m 256M --append "console=ttyAMA0" \
	    --initrd .deps/linux/out/initrd.gz .deps/linux/out/Image

# Linux as a guest of the hypervisor, next to the rtos VM (docs/linux.md):
# the loader places the kernel and the initramfs where the linux VM's
# configuration (hypervisor/configs/linux.c) expects them.
LINUX_OUT := .deps/linux/out
linux-demo: build
	@guests/linux/prepare
	./$(BUILD)/hvsim run -m 256M --load $(LINUX_OUT)/Image@0x48000000 \
	    --load $(LINUX_OUT)/initrd.gz@0x4c000000 $(BUILD)/images/hypervisor-linux.elf

qemu-linux-demo: build
	@guests/linux/prepare
	qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 -cpu cortex-a72 -m 256M \
	    -nographic -nic none \
	    -device loader,file=$(LINUX_OUT)/Image,addr=0x48000000,force-raw=on \
	    -device loader,file=$(LINUX_OUT)/initrd.gz,addr=0x4c000000,force-raw=on \
	    -kernel $(BUILD)/images/hypervisor-linux.elf

# The same hypervisor image on QEMU (the reference machine).
qemu-demo: build
	@$(PYTHON) scripts/hyp-demo --qemu --build $(BUILD)

# The tour's image on QEMU.
qemu-tour: build
	qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 -cpu cortex-a72 \
	    -nographic -nic none -kernel $(BUILD)/images/demo.elf

test: deps
	@cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHVSIM_SANITIZE=ON >/dev/null
	@cmake --build $(TEST_BUILD) -j$(JOBS)
	@$(MAKE) --no-print-directory unit e2e BUILD=$(TEST_BUILD)

unit:
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

e2e:
	HVSIM_BUILD=$(abspath $(BUILD)) $(PYTHON) -m pytest -q tests/e2e

bench: build
	$(PYTHON) bench/run_bench.py --build $(BUILD)
	$(PYTHON) bench/run_idle.py --build $(BUILD)
	$(PYTHON) bench/run_linux.py --build $(BUILD)
	$(PYTHON) bench/run_linux_guest.py --build $(BUILD)
	$(PYTHON) bench/run_trace.py --build $(BUILD)
	$(PYTHON) bench/run_hyp.py --build $(BUILD)
	$(PYTHON) bench/run_hyp.py --build $(BUILD) --lat

# libFuzzer sessions (clang): FUZZ_SECONDS per harness.
fuzz:
	scripts/fuzz $(or $(FUZZ_SECONDS),60)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(TEST_BUILD)
