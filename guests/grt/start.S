/* Guest runtime entry at EL1h: vCPU 0 enters at _start (x0 = its DTB), other
 * vCPUs at grt_secondary through PSCI CPU_ON (x0 = context). Each vCPU
 * gets a 16 KiB stack chosen by MPIDR_EL1.Aff0. The building blocks are
 * the shared macros of include/hvsim/aarch64_entry.S. */
/* The symbol table's file name, or the assembler records the
 * preprocessor's temporary (ccXXXXXX.o) and no two builds of the image
 * are byte-identical. */
    .file "start.S"
#include <hvsim/aarch64_entry.S>

    .section .text.start, "ax"
    .global _start
_start:
    ldr     x1, =grt_dtb            /* x0 = the DTB the hypervisor made */
    str     x0, [x1]
    bl      set_stack
    hv_zero_bss
    bl      set_vbar
    bl      main
    bl      grt_system_off
3:  b       3b

    .data
    .balign 8
    .global grt_dtb
grt_dtb:
    .quad   0

    .text
    .global grt_secondary
grt_secondary:
    mov     x19, x0
    bl      set_stack
    bl      set_vbar
    mov     x0, x19
    bl      secondary_main
    bl      grt_cpu_off
4:  b       4b

set_stack:
    mrs     x1, mpidr_el1
    and     x1, x1, #0xff
    ldr     x2, =__stack_top
    sub     x2, x2, x1, lsl #14
    mov     sp, x2
    ret

set_vbar:
    ldr     x1, =grt_vectors
    msr     vbar_el1, x1
    isb
    ret

/* EL1 vectors: IRQs from EL1 (SPx) call grt_irq(); synchronous exceptions
 * call grt_sync(esr, elr, far), which may return a new ELR. The frame holds
 * what a C call may clobber: x0-x18, x29, x30, ELR, SPSR: 23 slots, 24 for
 * SP's 16-byte alignment. (It had 22: SPSR went to [sp, #176], the first
 * word of the interrupted code's own stack, which a frame record usually
 * held; built with -fomit-frame-pointer, gpos then returned to its SPSR
 * value, 0x345.) */
.macro SAVE
    sub     sp, sp, #(24 * 8)
    hv_gpr_pairs stp, sp, 0, 16
    stp     x18, x29, [sp, #144]
    mrs     x0, elr_el1
    mrs     x1, spsr_el1
    stp     x30, x0, [sp, #160]
    str     x1, [sp, #176]
.endm
.macro RESTORE
    ldp     x30, x0, [sp, #160]
    ldr     x1, [sp, #176]
    msr     elr_el1, x0
    msr     spsr_el1, x1
    hv_gpr_pairs ldp, sp, 0, 16
    ldp     x18, x29, [sp, #144]
    add     sp, sp, #(24 * 8)
    eret
.endm

/* Only EL1h's synchronous exceptions and IRQs (entries 4, 5) are expected. */
.macro GRT_ENTRY kind
    .if \kind == 4
    b       grt_sync_entry
    .elseif \kind == 5
    b       grt_irq_entry
    .else
    b       grt_bad
    .endif
.endm

    .section .vectors, "ax"
    .balign 2048
grt_vectors:
    hv_vectors GRT_ENTRY

    .text
grt_irq_entry:
    SAVE
    bl      grt_irq
    RESTORE

grt_sync_entry:
    SAVE
    mrs     x0, esr_el1
    ldr     x1, [sp, #168]
    mrs     x2, far_el1
    bl      grt_sync
    str     x0, [sp, #168]
    RESTORE

grt_bad:
    mrs     x0, esr_el1
    mrs     x1, elr_el1
    bl      grt_bad_exception
5:  b       5b
