/* System-register access and barriers for the hypervisor (AArch64, EL2). */
#ifndef HYP_SYSREG_H
#define HYP_SYSREG_H
#include <stdint.h>

/* Each access is followed by an ISB. Architecturally that is only needed
 * where a write must take effect before the next instruction, but hvsim
 * (Unicorn 2.1.1) re-executes the rest of the translated block after an
 * access to a system register that hvsim models (timer, GIC): the ISB
 * ends the block there, so nothing after the access runs twice. See
 * docs/hypervisor.md, "Known simulator issue". */
#define read_sysreg(name)                                                                          \
    ({                                                                                             \
        uint64_t _v;                                                                               \
        __asm__ volatile("mrs %0, " #name "\n\tisb" : "=r"(_v)::"memory");                         \
        _v;                                                                                        \
    })
#define write_sysreg(name, v)                                                                      \
    do {                                                                                           \
        uint64_t _v = (uint64_t)(v);                                                               \
        __asm__ volatile("msr " #name ", %0\n\tisb" ::"r"(_v) : "memory");                         \
    } while (0)
/* Without the ISB, for registers the engine implements itself (everything
 * but the generic timer and the GIC CPU interface, which hvsim models):
 * used on the world-switch path for the EL1 context. */
#define read_sysreg_native(name)                                                                   \
    ({                                                                                             \
        uint64_t _v;                                                                               \
        __asm__ volatile("mrs %0, " #name : "=r"(_v)::"memory");                                   \
        _v;                                                                                        \
    })
#define write_sysreg_native(name, v)                                                               \
    do {                                                                                           \
        uint64_t _v = (uint64_t)(v);                                                               \
        __asm__ volatile("msr " #name ", %0" ::"r"(_v) : "memory");                                \
    } while (0)
#define isb()    __asm__ volatile("isb" ::: "memory")
#define dsb(opt) __asm__ volatile("dsb " #opt ::: "memory")
#define wfi()    __asm__ volatile("wfi" ::: "memory")

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
