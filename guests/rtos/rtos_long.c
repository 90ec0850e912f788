/* The rtos guest as the Linux configuration embeds it
 * (hypervisor/configs/linux.c): the same program, running 1200 ticks (1.2 s
 * of virtual time) instead of 200, so that it keeps running, and keeps its
 * latency bound, through Debian's Linux boot next to it (about 1 s). */
#define TICKS 1200
#include "rtos.c"
