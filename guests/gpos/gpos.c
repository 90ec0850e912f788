/* gpos: a general-purpose guest with two vCPUs. vCPU 0 counts primes
 * (a sieve), starts vCPU 1 with PSCI CPU_ON and waits for it with the
 * yield hypercall; vCPU 1 computes a CRC-32 and stops with CPU_OFF. Then
 * vCPU 0 sleeps on its virtual timer a few times, says hello through the
 * console hypercall, and powers its VM off. Output lines:
 *   gpos: start vm=<id> vcpus=<n> prio=<p> dtb=ok
 *   gpos: primes below 20000: <n>
 *   gpos: cpu1 ctx=0x<hex> crc32=<hex>
 *   gpos: cpu1 done, joined
 *   gpos: sleep <k>
 *   STATUS gpos primes=<n> crc32=<hex> sleeps=<k>
 */
#include "../grt/grt.h"

#define SIEVE_N 20000

static uint8_t composite[SIEVE_N];
static volatile uint32_t crc_result;
static volatile uint32_t cpu1_done;
static volatile uint32_t timer_fired;

void grt_irq(void)
{
    uint32_t intid = grt_iar();
    if (intid == 27) {
        SYSREG_W(cntv_ctl_el0, 0); /* one-shot */
        timer_fired++;
    }
    if (intid < 1020)
        grt_eoi(intid);
}

uint64_t grt_sync(uint64_t esr, uint64_t elr, uint64_t far)
{
    grt_printf("gpos: unexpected synchronous exception esr=0x%llx elr=0x%llx far=0x%llx\n",
               (unsigned long long)esr, (unsigned long long)elr, (unsigned long long)far);
    grt_system_off();
}

/* CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) of bytes i & 0xff
 * for i in [0, 65536): zlib.crc32 of that buffer. */
static uint32_t crc32_pattern(void)
{
    uint32_t crc = 0xffffffffu;
    for (uint32_t i = 0; i < 65536; i++) {
        crc ^= i & 0xff;
        for (int b = 0; b < 8; b++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
    }
    return ~crc;
}

void secondary_main(uint64_t ctx)
{
    uint32_t crc = crc32_pattern();
    grt_printf("gpos: cpu1 ctx=0x%llx crc32=%08x\n", (unsigned long long)ctx, crc);
    crc_result = crc;
    __asm__ volatile("dmb ish" ::: "memory");
    cpu1_done = 1;
}

static unsigned count_primes(void)
{
    unsigned n = 0;
    for (unsigned i = 2; i < SIEVE_N; i++) {
        if (composite[i])
            continue;
        n++;
        for (unsigned j = i * 2; j < SIEVE_N; j += i)
            composite[j] = 1;
    }
    return n;
}

int main(void)
{
    grt_console_init();
    struct grt_hvc_ret info = grt_hvc(HYP_VM_INFO, 0, 0, 0);
    grt_printf("gpos: start vm=%llu vcpus=%llu prio=%llu dtb=%s\n", (unsigned long long)info.x0,
               (unsigned long long)info.x1, (unsigned long long)info.x3, grt_dtb_status());
    unsigned primes = count_primes();
    grt_printf("gpos: primes below %u: %u\n", SIEVE_N, primes);

    struct grt_hvc_ret r = grt_hvc(PSCI_CPU_ON, 1, (uint64_t)(uintptr_t)grt_secondary, 0xc0ffee);
    if (r.x0 != 0)
        grt_printf("gpos: CPU_ON failed: %lld\n", (long long)r.x0);
    /* Join: yield the PE to vCPU 1 (a WFE would be trapped as a yield too,
     * but neither QEMU nor hvsim traps WFE: docs/differences.md). */
    while (!cpu1_done)
        grt_hvc(HYP_YIELD, 0, 0, 0);
    grt_printf("gpos: cpu1 done, joined\n");

    grt_gic_init();
    grt_irq_enable();
    uint64_t period = SYSREG_R(cntfrq_el0) / 1000 * 3; /* 3 ms */
    unsigned sleeps = 0;
    for (unsigned k = 1; k <= 3; k++) {
        uint32_t before = timer_fired;
        SYSREG_W(cntv_cval_el0, grt_cntvct() + period);
        SYSREG_W(cntv_ctl_el0, 1);
        while (timer_fired == before)
            grt_wfi();
        sleeps++;
        grt_printf("gpos: sleep %u\n", k);
    }
    static const char hello[] = "gpos: hello through the console hypercall\n";
    grt_hvc(HYP_CONSOLE_WRITE, (uint64_t)(uintptr_t)hello, sizeof hello - 1, 0);
    grt_printf("STATUS gpos primes=%u crc32=%08x sleeps=%u\n", primes, crc_result, sleeps);
    return 0;
}
