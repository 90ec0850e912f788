/* Hypervisor entry, exception vectors and the world switch (AArch64, EL2).
 *
 * A trap from a guest saves x0-x30, ELR_EL2 and SPSR_EL2 into the running
 * vCPU (TPIDR_EL2 points at its struct vcpu, whose first member is struct
 * vcpu_regs: x[0..30] at 0..240, pc at 248, pstate at 256) and calls
 * hyp_trap(vcpu, kind), which returns the vCPU to run next; that vCPU's
 * registers are then loaded and the guest resumed with ERET. The EL1
 * system registers, FP/SIMD, the timer and the vGIC state are switched in
 * C (vm/vcpu.c) only when the vCPU changes. The hypervisor runs with
 * interrupts masked (PSTATE.I = 1 at EL2), on one stack per PE. */
    .section .text.start, "ax"
    .global _start
_start:
    mov     x19, x0                 /* DTB address (0 from QEMU for an ELF) */
    msr     daifset, #0xf
    ldr     x1, =__stack_top
    mov     sp, x1
    ldr     x1, =__bss_start
    ldr     x2, =__bss_end
1:  cmp     x1, x2
    b.hs    2f
    str     xzr, [x1], #8
    b       1b
2:  ldr     x1, =hyp_vectors
    msr     vbar_el2, x1
    /* FP/SIMD not trapped at EL2: libfdt.a (Debian's) uses SIMD registers
     * in a few functions, run at boot only. CPTR_EL2 (D13.2.31): RES1 bits
     * 13, 12, 9..0; TFP (10) = 0, TTA = 0, TCPAC = 0. */
    mov     x1, #0x33ff
    msr     cptr_el2, x1
    isb
    mov     x0, x19
    bl      hyp_main
3:  wfi
    b       3b

/* --- vectors ------------------------------------------------------------ */
.macro SELF_ENTRY kind
    .balign 0x80
    sub     sp, sp, #(34 * 8)
    stp     x0, x1, [sp, #0]
    mov     x1, #\kind
    b       hyp_self_common
.endm

.macro LOWER_ENTRY kind
    .balign 0x80
    stp     x0, x1, [sp, #-16]!
    mrs     x0, tpidr_el2
    stp     x2, x3, [x0, #16]
    ldp     x2, x3, [sp], #16
    stp     x2, x3, [x0, #0]
    mov     x1, #\kind
    b       hyp_lower_common
.endm

    .section .text.vectors, "ax"
    .balign 2048
    .global hyp_vectors
hyp_vectors:
    /* kind = group * 4 + type: group 0 EL2t, 1 EL2h, 2 lower AArch64,
     * 3 lower AArch32; type 0 sync, 1 IRQ, 2 FIQ, 3 SError. */
    SELF_ENTRY 0
    SELF_ENTRY 1
    SELF_ENTRY 2
    SELF_ENTRY 3
    SELF_ENTRY 4
    SELF_ENTRY 5
    SELF_ENTRY 6
    SELF_ENTRY 7
    LOWER_ENTRY 8
    LOWER_ENTRY 9
    LOWER_ENTRY 10
    LOWER_ENTRY 11
    LOWER_ENTRY 12
    LOWER_ENTRY 13
    LOWER_ENTRY 14
    LOWER_ENTRY 15

    .text
hyp_lower_common:
    stp     x4, x5, [x0, #32]
    stp     x6, x7, [x0, #48]
    stp     x8, x9, [x0, #64]
    stp     x10, x11, [x0, #80]
    stp     x12, x13, [x0, #96]
    stp     x14, x15, [x0, #112]
    stp     x16, x17, [x0, #128]
    stp     x18, x19, [x0, #144]
    stp     x20, x21, [x0, #160]
    stp     x22, x23, [x0, #176]
    stp     x24, x25, [x0, #192]
    stp     x26, x27, [x0, #208]
    stp     x28, x29, [x0, #224]
    mrs     x2, elr_el2
    mrs     x3, spsr_el2
    str     x30, [x0, #240]
    stp     x2, x3, [x0, #248]
    bl      hyp_trap
    /* fall through: x0 = the vCPU to run */

/* hyp_vcpu_enter(vcpu): load the vCPU's registers and ERET into it. */
    .global hyp_vcpu_enter
hyp_vcpu_enter:
    msr     tpidr_el2, x0
    ldr     x1, =__stack_top        /* the hypervisor keeps nothing on its stack */
    mov     sp, x1
    ldp     x2, x3, [x0, #248]
    msr     elr_el2, x2
    msr     spsr_el2, x3
    ldp     x2, x3, [x0, #16]
    ldp     x4, x5, [x0, #32]
    ldp     x6, x7, [x0, #48]
    ldp     x8, x9, [x0, #64]
    ldp     x10, x11, [x0, #80]
    ldp     x12, x13, [x0, #96]
    ldp     x14, x15, [x0, #112]
    ldp     x16, x17, [x0, #128]
    ldp     x18, x19, [x0, #144]
    ldp     x20, x21, [x0, #160]
    ldp     x22, x23, [x0, #176]
    ldp     x24, x25, [x0, #192]
    ldp     x26, x27, [x0, #208]
    ldp     x28, x29, [x0, #224]
    ldr     x30, [x0, #240]
    ldp     x0, x1, [x0, #0]
    eret

/* An exception taken from EL2 itself is a hypervisor bug: save a frame
 * (x0-x30, ELR, SPSR, ESR, FAR) and report it; hyp_self_trap does not
 * return. */
hyp_self_common:
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
    mrs     x2, elr_el2
    mrs     x3, spsr_el2
    stp     x2, x3, [sp, #248]
    mov     x0, sp
    bl      hyp_self_trap
4:  wfi
    b       4b

/* FP/SIMD state: q0-q31 at 0..511, FPSR at 512, FPCR at 520. Eager
 * switching: called on every vCPU switch, never on a plain trap (the
 * hypervisor itself is built with -mgeneral-regs-only). */
    .global hyp_fp_save
hyp_fp_save:
    stp     q0, q1, [x0, #0]
    stp     q2, q3, [x0, #32]
    stp     q4, q5, [x0, #64]
    stp     q6, q7, [x0, #96]
    stp     q8, q9, [x0, #128]
    stp     q10, q11, [x0, #160]
    stp     q12, q13, [x0, #192]
    stp     q14, q15, [x0, #224]
    stp     q16, q17, [x0, #256]
    stp     q18, q19, [x0, #288]
    stp     q20, q21, [x0, #320]
    stp     q22, q23, [x0, #352]
    stp     q24, q25, [x0, #384]
    stp     q26, q27, [x0, #416]
    stp     q28, q29, [x0, #448]
    stp     q30, q31, [x0, #480]
    mrs     x1, fpsr
    mrs     x2, fpcr
    add     x0, x0, #512
    stp     x1, x2, [x0]
    ret

    .global hyp_fp_restore
hyp_fp_restore:
    ldp     q0, q1, [x0, #0]
    ldp     q2, q3, [x0, #32]
    ldp     q4, q5, [x0, #64]
    ldp     q6, q7, [x0, #96]
    ldp     q8, q9, [x0, #128]
    ldp     q10, q11, [x0, #160]
    ldp     q12, q13, [x0, #192]
    ldp     q14, q15, [x0, #224]
    ldp     q16, q17, [x0, #256]
    ldp     q18, q19, [x0, #288]
    ldp     q20, q21, [x0, #320]
    ldp     q22, q23, [x0, #352]
    ldp     q24, q25, [x0, #384]
    ldp     q26, q27, [x0, #416]
    ldp     q28, q29, [x0, #448]
    ldp     q30, q31, [x0, #480]
    add     x0, x0, #512
    ldp     x1, x2, [x0]
    msr     fpsr, x1
    msr     fpcr, x2
    ret

/* hyp_smc(fn, a1, a2, a3): an SMC to the firmware (PSCI at EL3 on hvsim;
 * QEMU answers PSCI SMCs itself). Returns x0. */
    .global hyp_smc
hyp_smc:
    smc     #0
    ret
