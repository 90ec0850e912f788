/* hvsim demo: run the walk-through image with a narrator that explains each
 * architectural event in one line. */
#ifndef HV_DEMO_H
#define HV_DEMO_H

#include <stdint.h>

/* Run the demo image with the narrator; record a trace of the run (as
 * `hvsim run -q IMAGE`) to `trace` if not NULL. */
int hv_demo_run(const char *image, const char *trace, uint32_t trace_mask);

#endif
