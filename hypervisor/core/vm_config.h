/* The static VM configuration (hypervisor/configs/) and its validation
 * against the platform found in the DTB. Host-testable: the validation is
 * pure, and produces one clear message for the first problem found.
 *
 * A configuration names platform devices by kind and index ("uart 1"), never
 * by address, so the same configuration works on every platform; the
 * platform view (struct hyp_plat) resolves them. A VM console is a
 * passthrough PL011 when the platform has that UART, and otherwise an
 * emulated PL011 at the same IPA, multiplexed onto the hypervisor's console
 * (QEMU virt has a single UART). */
#ifndef HYP_VM_CONFIG_H
#define HYP_VM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HYP_MAX_VMS       8
#define HYP_MAX_VCPUS     4 /* per VM */
#define HYP_MAX_PT_DEVS   4 /* passthrough devices per VM */
#define HYP_MAX_EMU_DEVS  4 /* emulated devices per VM */
#define HYP_MAX_SHARED    2 /* shared RAM regions per VM */
#define HYP_MAX_PLAT_DEVS 16
#define HYP_IPA_BITS      32 /* every VM's IPA space: 4 GiB */
/* Every VM sees an emulated GICv3 where QEMU virt has its GIC. */
#define HYP_VGICD_IPA    UINT64_C(0x08000000)
#define HYP_VGICR_IPA    UINT64_C(0x080a0000)
#define HYP_VGICR_STRIDE UINT64_C(0x20000)
/* A VM whose platform has the RK3568-style CRU and GRF sees its own
 * virtual CRU and GRF (vm/vcru.c), trapped through stage 2, at the IPAs
 * the blocks have on hvsim's virt; on a platform without them (QEMU virt)
 * there is none, and the VM_INFO-style hypercall HYP_VDEV_INFO says so. */
#define HYP_VCRU_IPA  UINT64_C(0x09200000)
#define HYP_VGRF_IPA  UINT64_C(0x09210000)
#define HYP_VCLK_SIZE UINT64_C(0x10000)
/* The last 4 KiB of a VM's RAM hold the DTB the hypervisor makes for it;
 * vCPU 0 starts with x0 = its IPA (Linux arm64 boot protocol). */
#define HYP_VM_DTB_SIZE UINT64_C(0x1000)

/* Interrupt IDs (GICv3 2.2): SGIs 0-15, PPIs 16-31, SPIs 32-1019. */
#define HYP_INTID_SPI_FIRST 32u
#define HYP_INTID_SPI_LAST  1019u

enum hyp_dev_kind {
    HYP_DEV_NONE = 0,
    HYP_DEV_UART,    /* arm,pl011 */
    HYP_DEV_GIC,     /* arm,gic-v3 (never passed through) */
    HYP_DEV_CRU,     /* rockchip,rk3568-cru */
    HYP_DEV_GRF,     /* rockchip,rk3568-grf */
    HYP_DEV_EVTPORT, /* hvsim,event-port */
    HYP_DEV_I2C,     /* hvsim,simple-i2c (hvsim's virt: i2c0 with a 24C02) */
};

/* One platform device, as found in the DTB. */
struct hyp_plat_dev {
    enum hyp_dev_kind kind;
    unsigned index; /* nth device of its kind, in DTB order */
    uint64_t base, size;
    int intid; /* its SPI as an INTID, or -1 */
};

/* What the hypervisor knows about the platform when it validates. */
struct hyp_plat {
    uint64_t ram_base, ram_size;
    uint64_t hyp_base, hyp_size; /* RAM the hypervisor keeps: DTB, image, tables */
    struct hyp_plat_dev devs[HYP_MAX_PLAT_DEVS];
    unsigned ndevs;
};

/* Emulated device types (per VM, trapped through stage 2). */
enum hyp_emu_kind {
    HYP_EMU_NONE = 0,
    HYP_EMU_VUART, /* PL011 subset, multiplexed onto the hypervisor console */
};

struct hyp_mem_region {
    uint64_t ipa, pa, size;
};

/* A platform device given to the VM: its MMIO window at `ipa`, and its SPI
 * delivered as virtual INTID `virq` (0 = the device's INTID unchanged). */
struct hyp_pt_dev {
    enum hyp_dev_kind kind;
    unsigned index;
    uint64_t ipa;
    unsigned virq;
    bool optional; /* the platform may lack it (QEMU virt has no I2C): the VM goes without */
};

struct hyp_emu_dev {
    enum hyp_emu_kind kind;
    uint64_t ipa, size;
    unsigned virq; /* 0: no interrupt */
};

/* The VM console: platform UART `uart` passed through at `ipa` when the
 * platform has it, else an emulated PL011 at `ipa`. uart = 0 is refused
 * (UART0 is the hypervisor's). */
struct hyp_console_cfg {
    unsigned uart;
    uint64_t ipa;
    unsigned virq;
};

/* A guest image, embedded in the hypervisor (a raw binary). */
struct hyp_image {
    const uint8_t *start;
    const uint8_t *end;
};

/* The VM's permissions over the shared CRU/GRF, at field granularity
 * (core/vdev_perm.h; the fields are include/hvsim/rk3568_cru.h's): it may
 * change every field that only the devices in `devs` (RK_DEV_BIT(enum
 * rk_dev)s) depend on, plus the fields in `fields` (bit f = field f).
 * Everything else it writes is refused and reported. */
struct hyp_clk_perm {
    uint32_t devs;
    uint64_t fields;
};

/* The longest timer advance a configuration may ask for: the PE waits
 * that long (at most) per deadline, taking it from lower VMs. */
#define HYP_TIMER_ADVANCE_MAX_NS 100000

struct hyp_vm_config {
    const char *name;
    unsigned id;       /* 1..255: also the VMID */
    unsigned priority; /* larger runs first (the RTOS VM outranks the GPOS VM) */
    unsigned nr_vcpus;
    unsigned slice_us; /* time slice among runnable vCPUs of equal priority */
    /* Timer advance (vm/sched.c, as KVM's lapic_timer_advance_ns): a
     * vCPU of this VM blocked in WFI is switched in this long before its
     * virtual timer's deadline when it would preempt the running vCPU (or
     * the PE is idle), and the PE waits with it loaded, so that the
     * deadline finds it in place: the interrupt then takes the short
     * path of a loaded vCPU. 0: switched in at the deadline. At most
     * HYP_TIMER_ADVANCE_MAX_NS. */
    unsigned timer_advance_ns;
    struct hyp_mem_region ram;
    struct hyp_mem_region shared[HYP_MAX_SHARED]; /* size 0 = unused */
    struct hyp_console_cfg console;
    struct hyp_pt_dev pt[HYP_MAX_PT_DEVS];    /* kind NONE = unused */
    struct hyp_emu_dev emu[HYP_MAX_EMU_DEVS]; /* kind NONE = unused */
    struct hyp_clk_perm clk;                  /* its CRU/GRF fields */
    const struct hyp_image *image;
    uint64_t load_ipa;  /* where the image is copied (inside RAM) */
    uint64_t entry_ipa; /* first instruction of vCPU 0 */
    /* A preloaded VM (image = NULL): its image is too big to embed and is
     * placed in its RAM before the hypervisor starts, at PA
     * ram.pa + (load_ipa - ram.ipa) (hvsim --load FILE@PA, QEMU -device
     * loader,file=FILE,addr=PA). The hypervisor then neither clears nor
     * copies its RAM, and cannot reload it: a SYSTEM_RESET turns it off. */
    bool preloaded;
    /* Linux boot information for its DTB's /chosen (NULL / size 0: none):
     * the command line, and the window where the loader put an initramfs
     * (linux,initrd-start/end). The window may be larger than the file:
     * the zero bytes after it are padding the initramfs format allows. */
    const char *bootargs;
    struct {
        uint64_t ipa, size;
    } initrd;
    /* Interrupt IDs the VM does not own behave as not implemented (their
     * bits are RAZ/WI, GICv3 12.1: as for INTIDs beyond ITLinesNumber)
     * instead of refusing the whole write and reporting a violation: for
     * a general-purpose OS whose driver initialises every INTID the
     * distributor advertises (Linux's irq-gic-v3). */
    bool vgic_unowned_wi;
};

struct hyp_config {
    const char *name;
    const struct hyp_vm_config *vms;
    unsigned nr_vms;
};

const char *hyp_dev_kind_name(enum hyp_dev_kind k);

/* The platform device of a kind and index, or NULL. */
const struct hyp_plat_dev *hyp_plat_find(const struct hyp_plat *p, enum hyp_dev_kind kind,
                                         unsigned index);

/* Whether the VM's console is a passthrough UART on this platform. */
bool hyp_console_is_passthrough(const struct hyp_vm_config *vm, const struct hyp_plat *p);

/* Validate c against p. Returns 0, or -1 with one message in err naming the
 * VM(s), the resource and the conflict. Checks: VM names and ids unique,
 * vCPU counts, RAM inside platform RAM and outside the hypervisor's, RAM of
 * two VMs never overlapping (shared regions must be declared identically by
 * both sides), IPA windows of one VM disjoint and inside the IPA space,
 * passthrough devices existing, not the hypervisor's (UART0, GIC) and owned
 * by one VM only, virtual INTIDs unique per VM and in the SPI range,
 * physical SPIs owned by one VM only, the image fitting its RAM and the
 * entry point inside it. Every VM also has the emulated GIC windows
 * (HYP_VGICD_IPA, HYP_VGICR_IPA) in its IPA space. */
int hyp_config_validate(const struct hyp_config *c, const struct hyp_plat *p, char *err,
                        size_t errlen);

#endif
