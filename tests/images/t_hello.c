/* The smallest image: print from EL2, check CurrentEL, power off. */
#include "rt.h"

int main(uint64_t dtb)
{
    (void)dtb;
    rt_puts("hello from EL2\n");
    rt_check(((SYSREG_READ(CurrentEL) >> 2) & 3) == 2, "running at EL2");
    rt_summary("hello");
    return 0;
}
