/* hvsim CLI: the `hvsim run` option set and the run itself, shared by
 * `hvsim run`, `hvsim demo` and `hvsim replay`. */
#ifndef HV_CLI_H
#define HV_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "common/observer.h"
#include "platform/machine.h"
#include "platform/platform.h"

struct run_cli {
    const char *platform;
    uint64_t ram_size;
    uint32_t log_mask;
    bool quiet;
    bool health;            /* --health: device-health summary at the end */
    const char *trace_path; /* --trace */
    uint32_t trace_mask;    /* --trace-events */
    int argc;               /* the run options, recorded in the trace */
    char **argv;
    /* For `hvsim replay`: called with the platform loaded, before the
     * machine is built (a non-zero return ends the run with that status),
     * and once the machine exists. */
    int (*before_machine)(void *ctx, struct hv_machine_opts *o, const struct hv_platform *plat,
                          struct hv_obs *obs);
    void (*on_machine)(void *ctx, struct hv_machine *m);
    void *hook_ctx;
};

/* Parse the `hvsim run` options into o and c (also used by `hvsim replay`
 * on the options a trace recorded). allocs[] receives the --load paths, to
 * be freed by the caller. Returns 0, or the usage error's exit status (with
 * the message printed). */
int hv_cli_parse_run(int argc, char **argv, struct hv_machine_opts *o, struct run_cli *c,
                     char *allocs[HV_MAX_LOADS]);
/* Build the machine and run it; returns the exit status. */
int hv_cli_run_machine(struct hv_machine_opts *o, const struct run_cli *c, struct hv_obs *obs,
                       bool report);
/* The demo's run: `hvsim run -q IMAGE`, recorded to trace if not NULL. */
int hv_cli_run_machine_image(const char *image, const char *trace, uint32_t trace_mask,
                             struct hv_obs *obs, int *status);

#endif
