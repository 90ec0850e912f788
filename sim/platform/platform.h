/* hvsim: the platform description, the one source of truth for the machine.
 *
 * A struct hv_platform says where RAM, the boot ROM and every device are and
 * which interrupts they use. The machine maps exactly this, and the DTB given
 * to the image is generated from exactly this (hv_platform_build_dtb), so the
 * two cannot disagree.
 *
 * It comes from built-in C data (hv_platform_builtin, "virt") or from a user
 * file in device-tree form (.dts compiled with dtc, or .dtb), parsed with
 * libfdt into the same struct (hv_platform_load_file). docs/platform.md
 * describes the accepted nodes and properties.
 */
#ifndef HV_PLATFORM_H
#define HV_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/hv_err.h"

#define HV_PLAT_MAX_DEVS    32
#define HV_PLAT_NAME_LEN    32
#define HV_PLAT_MAX_CPUS    8         /* ncpus is 1..8 */
#define HV_PLAT_SPI_MAX     987       /* SPIs 0..987 = INTIDs 32..1019 (GICv3 spec) */
#define HV_PLAT_GICR_STRIDE 0x20000u  /* one GICv3 redistributor: RD_base + SGI_base */
#define HV_PLAT_PL011_HZ    24000000u /* default PL011 UARTCLK, QEMU virt's apb-pclk */

enum hv_dev_type {
    HV_DEV_PL011,   /* ARM PrimeCell UART */
    HV_DEV_GICV3,   /* GICv3: base/size = GICD, base2/size2 = GICR region */
    HV_DEV_CRU,     /* Rockchip-style clock & reset unit (issue: cru_syscon) */
    HV_DEV_SYSCON,  /* Rockchip-style GRF / system control */
    HV_DEV_I2C,     /* hvsim's simple I2C controller with a 24C02 EEPROM (docs/soc.md) */
    HV_DEV_EVTPORT, /* hvsim isolation-event port (docs/hypervisor.md) */
    HV_DEV__COUNT
};

struct hv_plat_dev {
    char name[HV_PLAT_NAME_LEN]; /* "uart0", "gic", ... unique */
    enum hv_dev_type type;
    uint64_t base, size;   /* the (first) MMIO window */
    uint64_t base2, size2; /* GICv3 redistributors; 0 otherwise */
    int irq;               /* SPI number (INTID = 32 + irq), or -1 */
    uint32_t clock_hz;     /* PL011 UARTCLK; 0 if not applicable */
};

/* Who owns a PA range, for the isolation checker (docs/mmu.md). VM n is the
 * VM whose stage 2 is installed with VTTBR_EL2.VMID = n. */
#define HV_PLAT_MAX_OWNERS 32
#define HV_PLAT_MAX_VMID   255 /* 8-bit VMIDs (VTCR_EL2.VS = 0) */

enum hv_owner_kind {
    HV_OWNER_HYP,    /* the hypervisor: no VM may map it */
    HV_OWNER_VM,     /* VM `vmid`'s memory: only that VM may map it */
    HV_OWNER_SHARED, /* shared memory: the VMs in `vms` (all VMs if `vms_all`) may map it */
    HV_OWNER_DEVICE, /* a device assigned to VM `vmid`: only that VM may map it */
    HV_OWNER__COUNT
};

struct hv_plat_owner {
    char name[HV_PLAT_NAME_LEN]; /* the region's name (the node name in a file) */
    uint64_t base, size;
    enum hv_owner_kind kind;
    uint32_t vmid;   /* VM and DEVICE */
    bool vms_all;    /* SHARED: every VM */
    uint8_t vms[32]; /* SHARED: bitmap of the VMIDs allowed (vms_all false) */
};

struct hv_platform {
    char name[HV_PLAT_NAME_LEN]; /* "virt" */
    char model[64];              /* DTB /model */
    char compatible[64];         /* DTB /compatible */
    uint64_t ram_base, ram_size; /* one RAM bank */
    uint64_t rom_base, rom_size; /* EL3 boot ROM (hvsim firmware) */
    uint32_t ncpus;              /* PEs (hvsim runs 1 for now) */
    uint32_t timer_freq_hz;      /* CNTFRQ_EL0 */
    unsigned ndevs;
    struct hv_plat_dev devs[HV_PLAT_MAX_DEVS];
    /* Ownership of PA ranges (optional; none: no isolation checking). */
    unsigned nowners;
    struct hv_plat_owner owners[HV_PLAT_MAX_OWNERS];
};

/* Fill p with a built-in platform. Known names: "virt". */
int hv_platform_builtin(const char *name, struct hv_platform *p, struct hv_err *err);

/* Load a platform file: a .dts (compiled with the `dtc` program) or a .dtb.
 * Unknown hvsim properties, unknown device compatibles, malformed cells and
 * sizes are errors naming the node and property. The message does not repeat
 * the path (the caller prefixes it). On error *p is left unchanged. */
int hv_platform_load_file(const char *path, struct hv_platform *p, struct hv_err *err);
/* The same from a DTB already in memory (used by the file loader and fuzzers). */
int hv_platform_from_dtb(const void *blob, size_t len, struct hv_platform *p, struct hv_err *err);

/* Check alignment, overlaps between RAM/ROM/devices, IRQ conflicts, sizes. */
int hv_platform_validate(const struct hv_platform *p, struct hv_err *err);

/* Options for the generated DTB. */
struct hv_dtb_opts {
    const char *bootargs;              /* /chosen/bootargs, or NULL */
    uint64_t initrd_start, initrd_end; /* linux,initrd-*; 0/0 for none */
    const char *stdout_path;           /* /chosen/stdout-path; NULL: first UART */
};

/* Generate the DTB for p. *blob is malloc'ed; the caller frees it. */
int hv_platform_build_dtb(const struct hv_platform *p, const struct hv_dtb_opts *o, void **blob,
                          size_t *len, struct hv_err *err);

/* The nth device of a type (0-based), or NULL. */
const struct hv_plat_dev *hv_platform_find(const struct hv_platform *p, enum hv_dev_type t,
                                           unsigned nth);
const char *hv_dev_type_name(enum hv_dev_type t);
/* "hypervisor", "vm", "shared", "device". */
const char *hv_owner_kind_name(enum hv_owner_kind k);
/* May VM `vmid` map memory of this region? */
bool hv_owner_allows(const struct hv_plat_owner *o, uint32_t vmid);

/* The CRU/GRF-dependent device (include/hvsim/rk3568_cru.h enum rk_dev) a
 * platform device is, or -1. With a `cru` and a `grf` on the platform,
 * uart1..uart3 are RK_DEV_UART1..3 (if their clock is the CRU's 24 MHz
 * reset rate) and i2c0 is RK_DEV_I2C0 (docs/soc.md); uart0, the console,
 * never depends on them. */
int hv_platform_soc_dev(const struct hv_platform *p, const struct hv_plat_dev *d);

#endif
