/* hvsim CLI: recording a trace during `hvsim run --trace FILE`, and the
 * `hvsim trace show|json` commands (docs/trace-format.md). */
#ifndef HV_TRACE_CMD_H
#define HV_TRACE_CMD_H

#include <stdint.h>

#include "common/observer.h"
#include "platform/machine.h"
#include "platform/platform.h"

struct hv_trace_cli;

/* Open FILE, write the header (options: argv without `--trace FILE`; the
 * platform's DTB hash; each image's and UART input's bytes) and subscribe
 * the recorder to obs. A UART input from stdin ('-') is read here and handed
 * to the machine through a temporary file, so that the header holds it.
 * Returns 0 (*t is NULL when path is NULL), or 1 with a message printed. */
int hv_trace_cli_begin(struct hv_trace_cli **t, const char *path, uint32_t mask, int argc,
                       char **argv, struct hv_machine_opts *o, const struct hv_platform *plat,
                       struct hv_obs *obs);
/* Once the machine exists: record each event's VM (from HCR_EL2.VM,
 * VTTBR_EL2.VMID and VMPIDR_EL2) in the context records. t may be NULL. */
void hv_trace_cli_attach(struct hv_trace_cli *t, struct hv_machine *m);
/* The VM of an event, as recorded (hv_trace_vm_fn; ctx: the struct hv_cpu). */
void hv_trace_cli_vm_of(void *ctx, const struct hv_event *ev, uint32_t *vm, uint32_t *vcpu);
/* Finish the trace (end record, close). Returns status, or 1 if the trace
 * could not be written completely (with a message). t may be NULL. */
int hv_trace_cli_end(struct hv_trace_cli *t, int status);

/* `hvsim trace SUBCOMMAND ...`: argv[0] is the subcommand. */
int hv_trace_cmd(int argc, char **argv);

#endif
