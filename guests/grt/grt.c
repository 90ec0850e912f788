/* See grt.h. */
#include "grt.h"

#include <stdarg.h>

#include "../../hypervisor/lib/fmt.h"

static inline uint32_t rd(unsigned off)
{
    return *(volatile uint32_t *)(GRT_UART + off);
}
static inline void wr(unsigned off, uint32_t v)
{
    *(volatile uint32_t *)(GRT_UART + off) = v;
}

/* PL011 TRM: 115200 8N1 from the 24 MHz UARTCLK (IBRD 13, FBRD 1),
 * FIFOs on (LCR_H 0x70), UARTEN | TXE | RXE (CR 0x301). */
void grt_console_init(void)
{
    wr(0x30, 0);
    wr(0x24, 13);
    wr(0x28, 1);
    wr(0x2c, 0x70);
    wr(0x30, 0x301);
}

void grt_putc(char c)
{
    if (c == '\n')
        grt_putc('\r');
    while (rd(0x18) & (1u << 5)) /* TXFF */
        ;
    wr(0x00, (uint8_t)c);
}

int grt_printf(const char *fmt, ...)
{
    char buf[200];
    va_list ap;
    va_start(ap, fmt);
    int n = hyp_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (const char *p = buf; *p; p++)
        grt_putc(*p);
    return n;
}

void grt_system_off(void)
{
    grt_hvc(PSCI_SYSTEM_OFF, 0, 0, 0);
    for (;;)
        grt_wfi();
}

void grt_cpu_off(void)
{
    grt_hvc(PSCI_CPU_OFF, 0, 0, 0);
    for (;;)
        grt_wfi();
}

/* GICv3 CPU interface registers by encoding (ICC_PMR_EL1 S3_0_C4_C6_0,
 * ICC_IGRPEN1_EL1 S3_0_C12_C12_7, ICC_IAR1_EL1 S3_0_C12_C12_0,
 * ICC_EOIR1_EL1 S3_0_C12_C12_1, ICC_BPR1_EL1 S3_0_C12_C12_3). */
/* The VM's emulated GICv3 (at QEMU virt's addresses): enable group 1 in
 * GICD_CTLR, wake this vCPU's redistributor (GICR_WAKER), give the
 * virtual timer PPI (INTID 27) priority 0xa0 and enable it
 * (GICR_ISENABLER0). */
#define GICD 0x08000000ul
#define GICR 0x080a0000ul
void grt_gic_init(void)
{
    uint64_t rd = GICR + 0x20000ul * (SYSREG_R(mpidr_el1) & 0xff);
    *(volatile uint32_t *)GICD = 0x2;
    *(volatile uint32_t *)(rd + 0x14) = 0;
    while (*(volatile uint32_t *)(rd + 0x14) & 4)
        ;
    *(volatile uint8_t *)(rd + 0x10400 + 27) = 0xa0;
    *(volatile uint32_t *)(rd + 0x10080) = 1u << 27;
    *(volatile uint32_t *)(rd + 0x10100) = 1u << 27;
    SYSREG_W(S3_0_C4_C6_0, 0xff);
    SYSREG_W(S3_0_C12_C12_3, 0);
    SYSREG_W(S3_0_C12_C12_7, 1);
    __asm__ volatile("isb" ::: "memory");
}

uint32_t grt_iar(void)
{
    return (uint32_t)SYSREG_R(S3_0_C12_C12_0);
}

void grt_eoi(uint32_t intid)
{
    SYSREG_W(S3_0_C12_C12_1, intid);
}

void grt_bad_exception(uint64_t esr, uint64_t elr);
void grt_bad_exception(uint64_t esr, uint64_t elr)
{
    grt_printf("guest: unexpected exception esr=0x%llx elr=0x%llx\n", (unsigned long long)esr,
               (unsigned long long)elr);
    grt_system_off();
}

struct grt_hvc_ret grt_hvc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = fn;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;
    __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)::"memory");
    return (struct grt_hvc_ret){x0, x1, x2, x3};
}

const char *grt_dtb_status(void)
{
    const volatile uint8_t *p = (const volatile uint8_t *)(uintptr_t)grt_dtb;
    if (!p)
        return "none";
    uint32_t magic = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    uint32_t version = (uint32_t)p[20] << 24 | (uint32_t)p[21] << 16 | (uint32_t)p[22] << 8 | p[23];
    return magic == 0xd00dfeedu && version == 17 ? "ok" : "bad";
}
