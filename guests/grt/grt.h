/* Guest runtime: console (a PL011 at IPA 0x09000000), hypercalls, PSCI,
 * the virtual timer and the virtual GIC CPU interface. */
#ifndef GRT_H
#define GRT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GRT_UART  0x09000000ul
#define GICD_BASE 0x08000000ul /* the VM's emulated GICv3, at QEMU virt's addresses */
#define GICR_BASE 0x080a0000ul

#define HYP_NULL          0x86000000u
#define HYP_CONSOLE_WRITE 0x86000001u
#define HYP_YIELD         0x86000002u
#define HYP_VM_INFO       0x86000003u
#define HYP_VDEV_INFO     0x86000004u /* x0 = 1: vCRU at x1, vGRF at x2; 0: none */
#define HYP_VM_RESETS     0x86000005u /* x0 = times this VM was reset since boot */
#define PSCI_CPU_ON       0xc4000003u
#define PSCI_CPU_OFF      0x84000002u
#define PSCI_SYSTEM_OFF   0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u
#define PSCI_VERSION      0x84000000u

#define SYSREG_R(name)                                                                             \
    ({                                                                                             \
        uint64_t _v;                                                                               \
        __asm__ volatile("mrs %0, " #name "\n\tisb" : "=r"(_v)::"memory");                         \
        _v;                                                                                        \
    })
#define SYSREG_W(name, v)                                                                          \
    do {                                                                                           \
        uint64_t _v = (uint64_t)(v);                                                               \
        __asm__ volatile("msr " #name ", %0\n\tisb" ::"r"(_v) : "memory");                         \
    } while (0)

struct grt_hvc_ret {
    uint64_t x0, x1, x2, x3;
};

void grt_console_init(void);
/* Interrupt-driven console output for vCPU 0: grt_printf then fills a ring
 * that the PL011 TX interrupt (virtual INTID intid) drains, and returns
 * when it is empty. Needs grt_gic_init() first. Returns false, leaving the
 * console polled, when the hypervisor says (VDEV_INFO x0 bit 1) that the
 * console raises no interrupt (the emulated one on QEMU). */
bool grt_console_irq_init(uint32_t intid);
/* From grt_irq: true if intid was the console's (it is then handled, the
 * caller still EOIs it). */
bool grt_console_irq(uint32_t intid);
uint32_t grt_console_irqs(void); /* console interrupts taken so far (transmit) */
/* Receive with interrupts: unmask the PL011's RX and receive-timeout
 * interrupts; each drains the RX FIFO into a ring. False (nothing done)
 * when the console raises no interrupt (grt_console_irq_init failed). */
bool grt_console_rx_irq_enable(void);
/* Up to max bytes received so far, oldest first; returns how many. */
unsigned grt_console_rx(char *buf, unsigned max);
uint32_t grt_console_rx_irqs(void); /* receive interrupts taken so far */
void grt_putc(char c);
int grt_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
struct grt_hvc_ret grt_hvc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);
void grt_system_off(void) __attribute__((noreturn));
void grt_cpu_off(void) __attribute__((noreturn));
extern char grt_secondary[];
extern uint64_t grt_dtb; /* x0 at entry: the VM's DTB */
/* "ok" if grt_dtb holds a version-17 flattened device tree (DT spec 5.2),
 * else "bad". */
const char *grt_dtb_status(void);

/* Virtual timer and virtual CPU interface (ICC_* at EL1 are ICV_* here). */
static inline uint64_t grt_cntvct(void)
{
    __asm__ volatile("isb" ::: "memory");
    return SYSREG_R(cntvct_el0);
}
void grt_gic_init(void);
uint32_t grt_iar(void);
void grt_eoi(uint32_t intid);
static inline void grt_irq_enable(void)
{
    __asm__ volatile("msr daifclr, #2" ::: "memory");
}
static inline void grt_wfi(void)
{
    __asm__ volatile("wfi" ::: "memory");
}

/* Provided by the guest program. */
void grt_irq(void);
/* FP/SIMD state for the hypervisor's lazy FP/SIMD switch (its tests):
 * grt_fp_fill writes a pattern derived from seed into V0-V31, FPCR and
 * FPSR; grt_fp_check says whether they still hold it. Guests are built
 * with -mgeneral-regs-only, so no compiled code touches them in between. */
void grt_fp_fill(uint64_t seed);
bool grt_fp_check(uint64_t seed);

int main(void);
void secondary_main(uint64_t ctx);
uint64_t grt_sync(uint64_t esr, uint64_t elr, uint64_t far);

#endif
