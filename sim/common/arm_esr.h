/* hvsim: names and decoding of exception syndromes (Arm ARM D17.2.37,
 * ESR_ELx), for reports, traces and teaching tools. */
#ifndef HV_ARM_ESR_H
#define HV_ARM_ESR_H

#include <stddef.h>
#include <stdint.h>

/* Short name of an exception class ("HVC64", "DABT_LOW", ...). */
const char *hv_ec_name(unsigned ec);
/* One-line description of ESR's ISS for the classes hvsim explains
 * (aborts, MSR/MRS traps, HVC/SVC/SMC immediates, WFx). */
void hv_esr_describe(uint32_t esr, char *buf, size_t len);
/* Name of a data/instruction fault status code (DFSC/IFSC). */
const char *hv_fsc_name(unsigned fsc);

#endif
