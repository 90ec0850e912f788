/* rtos: a small real-time guest. A 1 ms periodic tick on the virtual
 * timer drives two tasks; the tick handler measures its own interrupt
 * latency (CNTVCT at handler entry minus the programmed CVAL, in counter
 * ticks) and the guest prints it periodically. Output lines:
 *   rtos: start vm=<id> vcpus=<n> prio=<p> dtb=ok
 *   rtos: task2 run=<k> sum=<hex>              (every 10 ticks)
 *   rtos: latency ticks=<n> min=<a> max=<b> avg=<c> missed=<m>  (every 50 ticks)
 *   STATUS rtos ticks=<n> task1=<k> task2=<k> other_irqs=<o> not_due=<d>
 * then PSCI SYSTEM_OFF (of this VM). not_due counts the virtual IRQs 27
 * taken while its own timer condition is false (CNTV_CTL_EL0.ISTATUS = 0):
 * its timer is the only source of its INTID 27, so such an interrupt was
 * someone else's (PPI 27 is banked per PE, not per vCPU: another VM's
 * pending virtual timer given to it, docs/hypervisor.md). It is not a
 * tick: it is counted and ignored. */
#include "../grt/grt.h"

/* How many 1 ms ticks it runs. The Linux configuration embeds a build
 * with more (rtos_long.c), so that it runs through the whole Linux boot. */
#ifndef TICKS
#define TICKS 200
#endif

static uint64_t period;
static volatile uint32_t ticks;
static uint64_t lat_min = ~0ull, lat_max, lat_sum, missed;
static uint32_t other_irqs, not_due;

void grt_irq(void)
{
    uint32_t intid = grt_iar();
    if (intid == 27 && !(SYSREG_R(cntv_ctl_el0) & 4)) { /* ISTATUS (D11.2.4) */
        not_due++;
    } else if (intid == 27) {
        uint64_t now = grt_cntvct();
        uint64_t cval = SYSREG_R(cntv_cval_el0);
        uint64_t lat = now - cval;
        if (lat < lat_min)
            lat_min = lat;
        if (lat > lat_max)
            lat_max = lat;
        lat_sum += lat;
        /* Drift-free period: the next deadline from the last one. If it
         * is already past, count the missed periods. */
        uint64_t next = cval + period;
        while (next <= now) {
            next += period;
            missed++;
        }
        SYSREG_W(cntv_cval_el0, next);
        ticks++;
    } else if (intid < 1020) {
        other_irqs++;
    }
    if (intid < 1020)
        grt_eoi(intid);
}

uint64_t grt_sync(uint64_t esr, uint64_t elr, uint64_t far)
{
    grt_printf("rtos: unexpected synchronous exception esr=0x%llx elr=0x%llx far=0x%llx\n",
               (unsigned long long)esr, (unsigned long long)elr, (unsigned long long)far);
    grt_system_off();
}

void secondary_main(uint64_t ctx)
{
    (void)ctx;
}

/* task2: a deterministic computation (a checksum over a table it updates). */
static uint32_t table[256];
static uint32_t task2(uint32_t run)
{
    uint32_t sum = 0x811c9dc5u;
    for (unsigned i = 0; i < 256; i++) {
        table[i] = table[i] * 1103515245u + 12345u + run;
        sum = (sum ^ table[i]) * 16777619u;
    }
    return sum;
}

int main(void)
{
    grt_console_init();
    struct grt_hvc_ret info = grt_hvc(HYP_VM_INFO, 0, 0, 0);
    grt_printf("rtos: start vm=%llu vcpus=%llu prio=%llu dtb=%s\n", (unsigned long long)info.x0,
               (unsigned long long)info.x1, (unsigned long long)info.x3, grt_dtb_status());
    period = SYSREG_R(cntfrq_el0) / 1000;
    grt_gic_init();
    SYSREG_W(cntv_cval_el0, grt_cntvct() + period);
    SYSREG_W(cntv_ctl_el0, 1);
    grt_irq_enable();

    uint32_t seen = 0, task1 = 0, task2_runs = 0;
    while (seen < TICKS) {
        grt_wfi();
        while (seen < ticks && seen < TICKS) {
            seen++;
            task1++;
            if (seen % 10 == 0) {
                task2_runs++;
                grt_printf("rtos: task2 run=%u sum=%08x\n", task2_runs, task2(task2_runs));
            }
            if (seen % 50 == 0)
                grt_printf("rtos: latency ticks=%u min=%llu max=%llu avg=%llu missed=%llu\n", seen,
                           (unsigned long long)lat_min, (unsigned long long)lat_max,
                           (unsigned long long)(lat_sum / ticks), (unsigned long long)missed);
        }
    }
    SYSREG_W(cntv_ctl_el0, 0);
    grt_printf("STATUS rtos ticks=%u task1=%u task2=%u other_irqs=%u not_due=%u\n", seen, task1,
               task2_runs, other_irqs, not_due);
    return 0;
}
