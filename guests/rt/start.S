/* Test-image runtime: entry at EL2h (hvsim, or QEMU virt with
 * virtualization=on), a stack, zeroed .bss, vector tables for EL2 and EL1
 * that call C handlers with a register frame, then main(dtb). The
 * building blocks are the shared macros of include/hvsim/aarch64_entry.S. */
#include <hvsim/aarch64_entry.S>

    .section .text.start, "ax"
    .global _start
_start:
    mov     x19, x0                 /* DTB (hvsim: its address; QEMU ELF: 0) */
    hv_set_sp __stack_top
    hv_zero_bss
    ldr     x1, =el2_vectors
    msr     vbar_el2, x1
    isb
    mov     x0, x19
    bl      main
    bl      rt_exit
3:  wfi
    b       3b

/* Save x0-x30, ELR, SPSR, ESR, FAR of the current EL on the stack as
 * struct rt_frame and call handler(frame, kind). The handler may change the
 * frame (e.g. advance elr) before it is restored. */
.macro VENTRY el, kind
    sub     sp, sp, #(36 * 8)
    stp     x0, x1, [sp, #0]
    mov     x0, #\kind
    b       rt_vec_el\el
.endm

.macro VHANDLER el
rt_vec_el\el:
    hv_gpr_pairs stp, sp, 2         /* x0, x1: saved by VENTRY */
    hv_gpr_x30 str, sp
    mrs     x2, elr_el\el
    mrs     x3, spsr_el\el
    stp     x2, x3, [sp, #248]
    mrs     x2, esr_el\el
    mrs     x3, far_el\el
    stp     x2, x3, [sp, #264]
    mov     x1, x0                  /* kind (x0 itself was saved at entry) */
    mov     x0, sp
    bl      rt_handle_el\el
    ldp     x2, x3, [sp, #248]
    msr     elr_el\el, x2
    msr     spsr_el\el, x3
    hv_gpr_pairs ldp, sp, 2
    hv_gpr_x30 ldr, sp
    ldp     x0, x1, [sp, #0]
    add     sp, sp, #(36 * 8)
    eret
.endm

    .section .vectors, "ax"
    .balign 2048
    .global el2_vectors
el2_vectors:
    hv_vectors VENTRY, 2

    .balign 2048
    .global el1_vectors
el1_vectors:
    hv_vectors VENTRY, 1

    .text
    VHANDLER 2
    VHANDLER 1

/* rt_eret_to(pc, arg, sp, spsr): leave EL2 for the EL and mode in spsr
 * (e.g. 0x3c5 = EL1h, DAIF masked) at pc, with x0 = arg and SP_EL1 = sp. */
    .global rt_eret_to
rt_eret_to:
    /* x0 = pc, x1 = arg, x2 = sp for the target, x3 = spsr */
    msr     elr_el2, x0
    msr     spsr_el2, x3
    msr     sp_el1, x2
    mov     x0, x1
    isb
    eret
