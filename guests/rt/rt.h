/* Test-image runtime: console, exceptions and small helpers. Images print
 * their results through UART0 and end with one summary line
 * "RESULT <name> pass=<n> fail=<n>" that the pytest harness parses. */
#ifndef RT_H
#define RT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UART0_BASE 0x09000000ul

struct rt_frame {
    uint64_t x[31];
    uint64_t elr, spsr, esr, far;
    uint64_t pad;
};

/* Handlers: return normally to ERET with the (possibly modified) frame. */
typedef void (*rt_handler)(struct rt_frame *f, unsigned kind);
void rt_set_el2_handler(rt_handler h);
void rt_set_el1_handler(rt_handler h);

extern char el1_vectors[];
extern char el2_vectors[];
extern char __el1_stack_top[];

void rt_putc(char c);
void rt_puts(const char *s);
int rt_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void rt_exit(void) __attribute__((noreturn));

/* Checks: print "ok/FAIL <what>" and count them for the summary line. */
void rt_check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rt_summary(const char *name);

/* Leave EL2 for EL1h (or EL0t) at pc with x0 = arg and the given SP. */
void rt_eret_to(uint64_t pc, uint64_t arg, uint64_t sp, uint64_t spsr);

uint64_t rt_smc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);
uint64_t rt_hvc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);

#define SYSREG_READ(name)                                                                          \
    ({                                                                                             \
        uint64_t _v;                                                                               \
        __asm__ volatile("mrs %0, " #name : "=r"(_v));                                             \
        _v;                                                                                        \
    })
#define SYSREG_WRITE(name, v)                                                                      \
    do {                                                                                           \
        uint64_t _v = (v);                                                                         \
        __asm__ volatile("msr " #name ", %0" ::"r"(_v));                                           \
    } while (0)
#define ISB() __asm__ volatile("isb" ::: "memory")
#define DSB() __asm__ volatile("dsb sy" ::: "memory")

static inline uint32_t mmio_read32(uintptr_t a)
{
    return *(volatile uint32_t *)a;
}
static inline void mmio_write32(uintptr_t a, uint32_t v)
{
    *(volatile uint32_t *)a = v;
}

/* Make n instructions written at p visible to instruction fetch: clean
 * each to the point of unification, then invalidate it from the
 * instruction caches (Arm ARM B2.4.4, "Concurrent modification and
 * execution of instructions": DC CVAU, DSB, IC IVAU, DSB, ISB). */
static inline void rt_sync_code(const uint32_t *p, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        __asm__ volatile("dc cvau, %0" ::"r"(p + i) : "memory");
    __asm__ volatile("dsb ish" ::: "memory");
    for (unsigned i = 0; i < n; i++)
        __asm__ volatile("ic ivau, %0" ::"r"(p + i) : "memory");
    __asm__ volatile("dsb ish\n\tisb" ::: "memory");
}

#endif
