/* Message formatting for the host-testable core: the C library's snprintf
 * on the host (unit tests), the hypervisor's own on the target. */
#ifndef HYP_CORE_FMT_H
#define HYP_CORE_FMT_H
#ifdef HYP_HOST
#include <stdio.h>
#define core_snprintf snprintf
#else
#include "../lib/fmt.h"
#define core_snprintf hyp_snprintf
#endif
#endif
