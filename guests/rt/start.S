/* Test-image runtime: entry at EL2h (hvsim, or QEMU virt with
 * virtualization=on), a stack, zeroed .bss, vector tables for EL2 and EL1
 * that call C handlers with a register frame, then main(dtb). */
    .section .text.start, "ax"
    .global _start
_start:
    mov     x19, x0                 /* DTB (hvsim: its address; QEMU ELF: 0) */
    ldr     x1, =__stack_top
    mov     sp, x1
    ldr     x1, =__bss_start
    ldr     x2, =__bss_end
1:  cmp     x1, x2
    b.hs    2f
    str     xzr, [x1], #8
    b       1b
2:  ldr     x1, =el2_vectors
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
    .balign 0x80
    sub     sp, sp, #(36 * 8)
    stp     x0, x1, [sp, #0]
    mov     x0, #\kind
    b       rt_vec_el\el
.endm

.macro VHANDLER el
rt_vec_el\el:
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    str     x30, [sp, #240]
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
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x19, [sp, #144]
    ldp     x20, x21, [sp, #160]
    ldp     x22, x23, [sp, #176]
    ldp     x24, x25, [sp, #192]
    ldp     x26, x27, [sp, #208]
    ldp     x28, x29, [sp, #224]
    ldr     x30, [sp, #240]
    ldp     x0, x1, [sp, #0]
    add     sp, sp, #(36 * 8)
    eret
.endm

    .section .vectors, "ax"
    .balign 2048
    .global el2_vectors
el2_vectors:
    /* kind = group * 4 + type; group 0 current EL SP0, 1 current SPx,
     * 2 lower AArch64, 3 lower AArch32; type 0 sync 1 irq 2 fiq 3 serror */
    VENTRY 2, 0
    VENTRY 2, 1
    VENTRY 2, 2
    VENTRY 2, 3
    VENTRY 2, 4
    VENTRY 2, 5
    VENTRY 2, 6
    VENTRY 2, 7
    VENTRY 2, 8
    VENTRY 2, 9
    VENTRY 2, 10
    VENTRY 2, 11
    VENTRY 2, 12
    VENTRY 2, 13
    VENTRY 2, 14
    VENTRY 2, 15

    .balign 2048
    .global el1_vectors
el1_vectors:
    VENTRY 1, 0
    VENTRY 1, 1
    VENTRY 1, 2
    VENTRY 1, 3
    VENTRY 1, 4
    VENTRY 1, 5
    VENTRY 1, 6
    VENTRY 1, 7
    VENTRY 1, 8
    VENTRY 1, 9
    VENTRY 1, 10
    VENTRY 1, 11
    VENTRY 1, 12
    VENTRY 1, 13
    VENTRY 1, 14
    VENTRY 1, 15

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
