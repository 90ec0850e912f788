/* hvsim: the machine. It builds a PE, RAM, the boot ROM and the devices from
 * a platform description, loads the images, generates the DTB, and runs the
 * deterministic loop: virtual time is derived from retired instructions
 * (plus time skipped while the PE sleeps in WFI), and every external input
 * (UART bytes, later timer deadlines) is an event at a virtual time.
 */
#ifndef HV_MACHINE_H
#define HV_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/hv_err.h"
#include "../common/observer.h"
#include "loader.h"
#include "platform.h"

#define HV_MAX_UARTS 8
#define HV_MAX_LOADS 8

struct hv_uart_route {
    const char *path; /* output file, or "-" for stdout; NULL: default */
};

/* What an access to a PA with nothing behind it does (--on-bus-error). */
enum hv_bus_error_action {
    HV_BUS_ERROR_ABORT, /* synchronous external abort to the guest, as QEMU virt (default) */
    HV_BUS_ERROR_STOP,  /* report and stop the run: status 4 */
};

/* --bios: QEMU virt's flash (banks 0 and 1), where firmware such as U-Boot's
 * qemu_arm64 build runs from. */
#define HV_FLASH_BASE 0x0u
#define HV_FLASH_SIZE (128u << 20) /* two 64 MiB banks, as on virt */

/* What an isolation violation does (--on-violation, docs/mmu.md). */
enum hv_violation_action {
    HV_VIOLATION_LOG,  /* report it (an isolation event) and go on (default) */
    HV_VIOLATION_STOP, /* report it and stop the run: status 6 */
};

struct hv_machine_opts {
    const struct hv_platform *platform; /* validated */
    const char *image;                  /* main image: ELF, Linux Image, or FILE@ADDR raw */
    struct {
        const char *path;
        uint64_t addr;
    } loads[HV_MAX_LOADS]; /* --load FILE@ADDR */
    unsigned nloads;
    const char *dtb_out;                /* write the generated DTB here too */
    const char *bootargs;               /* /chosen/bootargs */
    const char *initrd;                 /* --initrd: placed as QEMU places it */
    const char *bios;                   /* --bios: firmware in the flash at 0, entered there */
    uint64_t max_insns;                 /* 0: unlimited */
    uint64_t max_time_ns;               /* 0: unlimited */
    uint32_t mips;                      /* instructions per virtual microsecond (default 1000) */
    const char *uart_out[HV_MAX_UARTS]; /* per UART: file path, "-" = stdout, NULL = default */
    const char *uart_in[HV_MAX_UARTS];  /* per UART: input file ("-" = all of stdin) */
    uint64_t uart_in_start_ns;          /* when the first input byte arrives */
    uint32_t uart_baud;                 /* input pacing: 10 bits per byte at this rate */
    enum hv_bus_error_action on_bus_error;
    enum hv_violation_action on_violation; /* used when the platform names owners */
    uint32_t engine_page_size;             /* --engine-page-size: 0 = 4096, or 1024 */
};

/* Why a run ended, and the CLI exit status for each (docs/cli.md). */
enum hv_stop_reason {
    HV_STOP_SYSTEM_OFF,   /* PSCI SYSTEM_OFF: status 0 */
    HV_STOP_SYSTEM_RESET, /* PSCI SYSTEM_RESET: status 5 (rebooting is not implemented) */
    HV_STOP_MAX_INSNS,    /* --max-insns reached: status 3 */
    HV_STOP_MAX_TIME,     /* --max-time reached: status 3 */
    HV_STOP_BUS_ERROR,    /* access to an unmapped PA with --on-bus-error=stop: status 4 */
    HV_STOP_IDLE_FOREVER, /* WFI with no interrupt and no event pending: status 4 */
    HV_STOP_CPU_OFF,      /* the last PE called PSCI CPU_OFF: status 4 */
    HV_STOP_ENGINE,       /* the CPU engine failed: status 2 */
    HV_STOP_ISOLATION,    /* an isolation violation with --on-violation=stop: status 6 */
    HV_STOP_REQUESTED,    /* hv_machine_request_stop(): a tool's stop point or a replay's
                           * divergence (the tool decides its own exit status): status 3 */
};

int hv_stop_status(enum hv_stop_reason r);
const char *hv_stop_name(enum hv_stop_reason r);

struct hv_run_result {
    enum hv_stop_reason reason;
    int status;
    uint64_t icount;
    uint64_t vtime_ns;
    uint64_t pc;
    unsigned el;
    char detail[256]; /* a one-line explanation */
};

struct hv_machine;

int hv_machine_create(struct hv_machine **out, const struct hv_machine_opts *o, struct hv_obs *obs,
                      struct hv_err *err);
void hv_machine_destroy(struct hv_machine *m);
/* Run to the end. Returns 0 with the result filled, or -1 (err) if the run
 * could not be carried out at all. */
int hv_machine_run(struct hv_machine *m, struct hv_run_result *res, struct hv_err *err);

/* Virtual clock (for status lines and events). */
uint64_t hv_machine_icount(const struct hv_machine *m);
uint64_t hv_machine_vtime(const struct hv_machine *m);

/* Progress callback, called from the run loop every `every_ns` of virtual
 * time (for the CLI's live status line). NULL disables it. It never affects
 * the simulation. */
void hv_machine_set_progress(struct hv_machine *m,
                             void (*fn)(void *ctx, uint64_t icount, uint64_t vtime_ns), void *ctx,
                             uint64_t every_ns);

/* The health of a CRU/GRF-dependent device over the run so far (docs/soc.md,
 * "Observation"): the nth one present. Returns false past the last. */
struct hv_dev_health {
    const char *name;
    uint32_t line_baud;               /* the terminal's rate */
    uint64_t tx_bytes, rx_bytes;      /* characters that crossed the line */
    uint64_t framing_errors, garbled; /* of those, with a bad stop bit / changed */
    uint64_t lost;                    /* characters that never arrived */
    uint64_t reset_ns, gated_ns;      /* virtual time in reset / with a clock stopped */
    uint64_t mux_changes;             /* pin-routing changes */
    uint64_t i2c_ok, i2c_failed;      /* I2C transfers acknowledged / not */
};
bool hv_machine_health(struct hv_machine *m, unsigned nth, struct hv_dev_health *h);

struct hv_cpu *hv_machine_cpu(struct hv_machine *m);

/* From an observer or callback (a replay that found a divergence, a walk's
 * stop point): end the run at the next safe point (the next block start or
 * exception boundary), with reason HV_STOP_REQUESTED; `detail` becomes the
 * run's detail. */
void hv_machine_request_stop(struct hv_machine *m, const char *detail);

/* The isolation checker (NULL when the platform names no owners). */
struct hv_iso *hv_machine_iso(struct hv_machine *m);
/* Read physical memory: RAM directly, anything else through the CPU. */
int hv_machine_read_pa(void *m, uint64_t pa, void *buf, size_t len);
const struct hv_loaded_image *hv_machine_image(const struct hv_machine *m);
uint64_t hv_machine_dtb_addr(const struct hv_machine *m);

#endif
