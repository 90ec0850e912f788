/* System-register access and barriers for the hypervisor (AArch64, EL2). */
#ifndef HYP_SYSREG_H
#define HYP_SYSREG_H
#include <stdint.h>

/* Plain MRS/MSR, without a barrier. Where a write must take effect before
 * a later instruction observes it indirectly (the timer's output, a TLBI
 * that uses VTTBR_EL2.VMID, the SCTLR_EL2.M switch, WFI waiting on a timer
 * just programmed), the caller puts the ISB itself and says why: the Arm
 * ARM ("Synchronization requirements for AArch64 System registers") only
 * guarantees an indirect read to see a direct write after a context
 * synchronization event, and orders direct reads and writes of one
 * register among themselves. Writes made for the guest (EL1 context,
 * timer, list registers, VMCR) need none: the ERET that enters the guest
 * is a context synchronization event.
 *
 * (An ISB used to follow every access to a register hvsim models: hvsim
 * re-ran the tail of the block after such an access. That is fixed, see
 * docs/hypervisor.md, "A simulator bug this code found".) */
#define read_sysreg(name)                                                                          \
    ({                                                                                             \
        uint64_t _v;                                                                               \
        __asm__ volatile("mrs %0, " #name : "=r"(_v)::"memory");                                   \
        _v;                                                                                        \
    })
#define write_sysreg(name, v)                                                                      \
    do {                                                                                           \
        uint64_t _v = (uint64_t)(v);                                                               \
        __asm__ volatile("msr " #name ", %0" ::"r"(_v) : "memory");                                \
    } while (0)
/* The same; the name remains for the EL1 context of the world switch,
 * registers the engine implements itself. */
#define read_sysreg_native(name)     read_sysreg(name)
#define write_sysreg_native(name, v) write_sysreg(name, v)
#define isb()                        __asm__ volatile("isb" ::: "memory")
#define dsb(opt)                     __asm__ volatile("dsb " #opt ::: "memory")
#define wfi()                        __asm__ volatile("wfi" ::: "memory")

static inline uint32_t mmio_r32(uint64_t a)
{
    return *(volatile uint32_t *)(uintptr_t)a;
}
static inline void mmio_w32(uint64_t a, uint32_t v)
{
    *(volatile uint32_t *)(uintptr_t)a = v;
}
static inline uint64_t mmio_r64(uint64_t a)
{
    return *(volatile uint64_t *)(uintptr_t)a;
}
static inline void mmio_w64(uint64_t a, uint64_t v)
{
    *(volatile uint64_t *)(uintptr_t)a = v;
}

/* HCR_EL2 bits (D13.2.46). */
#define HCR_VM     (UINT64_C(1) << 0)
#define HCR_SWIO   (UINT64_C(1) << 1)
#define HCR_FMO    (UINT64_C(1) << 3)
#define HCR_IMO    (UINT64_C(1) << 4)
#define HCR_AMO    (UINT64_C(1) << 5)
#define HCR_BSU_IS (UINT64_C(1) << 10)
#define HCR_FB     (UINT64_C(1) << 9)
#define HCR_TWI    (UINT64_C(1) << 13)
#define HCR_TWE    (UINT64_C(1) << 14)
#define HCR_TSC    (UINT64_C(1) << 19)
#define HCR_TACR   (UINT64_C(1) << 21)
#define HCR_RW     (UINT64_C(1) << 31)

#endif
