/* hvsim demo: run the walk-through image with a narrator that explains each
 * architectural event in one line. */
#ifndef HV_DEMO_H
#define HV_DEMO_H

int hv_demo_run(const char *image);

#endif
