/* Hypervisor entry, exception vectors and the world switch (AArch64, EL2).
 *
 * A trap from a guest saves x0-x30, ELR_EL2 and SPSR_EL2 into the running
 * vCPU (TPIDR_EL2 points at its struct vcpu, whose first member is struct
 * vcpu_regs: x[0..30] at 0..240, pc at 248, pstate at 256) and calls
 * hyp_trap(vcpu, kind), which returns the vCPU to run next; that vCPU's
 * registers are then loaded and the guest resumed with ERET. The EL1
 * system registers, FP/SIMD, the timer and the vGIC state are switched in
 * C (vm/vcpu.c) only when the vCPU changes. The hypervisor runs with
 * interrupts masked (PSTATE.I = 1 at EL2), on one stack per PE. The
 * building blocks (stack, .bss, vector table, register pairs) are the
 * shared macros of include/hvsim/aarch64_entry.S. */
/* The symbol table's file name, or the assembler records the
 * preprocessor's temporary (ccXXXXXX.o) and no two builds of the image
 * are byte-identical. */
    .file "entry.S"
#include <hvsim/aarch64_entry.S>

    .section .text.start, "ax"
    .global _start
_start:
    mov     x19, x0                 /* DTB address (0 from QEMU for an ELF) */
    msr     daifset, #0xf
    hv_set_sp __stack_top
    hv_zero_bss
    ldr     x1, =hyp_vectors
    msr     vbar_el2, x1
    /* FP/SIMD not trapped at EL2 during boot: libfdt.a (Debian's) uses
     * SIMD registers in a few functions, run at boot only. CPTR_EL2
     * (D13.2.31): RES1 bits 13, 12, 9..0; TFP (10) = 0, TTA = 0,
     * TCPAC = 0. From the first vCPU on, TFP follows the lazy FP/SIMD
     * switch (vm/vcpu.c). */
    mov     x1, #0x33ff
    msr     cptr_el2, x1
    isb
    mov     x0, x19
    bl      hyp_main
3:  wfi
    b       3b

/* --- vectors ------------------------------------------------------------ */
/* kind = group * 4 + type: entries 0-7 (EL2t, EL2h) are exceptions taken
 * from EL2 itself, 8-15 from a guest (lower EL, AArch64 or AArch32). */
.macro HYP_ENTRY kind
    .if \kind < 8
    sub     sp, sp, #(34 * 8)
    stp     x0, x1, [sp, #0]
    mov     x1, #\kind
    b       hyp_self_common
    .else
    stp     x0, x1, [sp, #-16]!
    mrs     x0, tpidr_el2
    stp     x2, x3, [x0, #16]
    ldp     x2, x3, [sp], #16
    stp     x2, x3, [x0, #0]
    mov     x1, #\kind
    b       hyp_lower_common
    .endif
.endm

    .section .text.vectors, "ax"
    .balign 2048
    .global hyp_vectors
hyp_vectors:
    hv_vectors HYP_ENTRY

    .text
hyp_lower_common:
    hv_gpr_pairs stp, x0, 4         /* x0-x3 are saved by the vector entry */
    mrs     x2, elr_el2
    mrs     x3, spsr_el2
    hv_gpr_x30 str, x0
    stp     x2, x3, [x0, #248]
    bl      hyp_trap
    /* fall through: x0 = the vCPU to run */

/* hyp_vcpu_enter(vcpu): load the vCPU's registers and ERET into it. */
    .global hyp_vcpu_enter
hyp_vcpu_enter:
    msr     tpidr_el2, x0
    hv_set_sp __stack_top           /* the hypervisor keeps nothing on its stack */
    ldp     x2, x3, [x0, #248]
    msr     elr_el2, x2
    msr     spsr_el2, x3
    hv_gpr_pairs ldp, x0, 2
    hv_gpr_x30 ldr, x0
    ldp     x0, x1, [x0, #0]
    eret

/* An exception taken from EL2 itself: save a frame (x0-x30, ELR, SPSR)
 * and call hyp_self_trap, which reports a hypervisor bug and does not
 * return, or handles the exception (EL2's own FP/SIMD use trapped by
 * CPTR_EL2.TFP, vm/vcpu.c) and returns: the frame is restored and the
 * instruction re-executed. */
hyp_self_common:
    hv_gpr_pairs stp, sp, 2
    hv_gpr_x30 str, sp
    mrs     x2, elr_el2
    mrs     x3, spsr_el2
    stp     x2, x3, [sp, #248]
    mov     x0, sp
    bl      hyp_self_trap
    ldp     x2, x3, [sp, #248]
    msr     elr_el2, x2
    msr     spsr_el2, x3
    hv_gpr_pairs ldp, sp, 2
    hv_gpr_x30 ldr, sp
    ldp     x0, x1, [sp, #0]
    add     sp, sp, #(34 * 8)
    eret

/* FP/SIMD state: q0-q31 at 0..511, FPSR at 512, FPCR at 520. Lazy
 * switching (vm/vcpu.c): called from the FP/SIMD access trap only, with
 * CPTR_EL2.TFP = 0 (the hypervisor itself is built with
 * -mgeneral-regs-only). */
    .global hyp_fp_save
hyp_fp_save:
    hv_fp_pairs stp, x0
    mrs     x1, fpsr
    mrs     x2, fpcr
    add     x0, x0, #512
    stp     x1, x2, [x0]
    ret

    .global hyp_fp_restore
hyp_fp_restore:
    hv_fp_pairs ldp, x0
    add     x0, x0, #512
    ldp     x1, x2, [x0]
    msr     fpsr, x1
    msr     fpcr, x2
    ret

/* The EL1/EL0 context of a vCPU, in struct el1_ctx's order (hyp.h; its
 * layout is checked in vm/vcpu.c): hyp_el1_save(ctx) reads the registers
 * into it, hyp_el1_restore(ctx) writes them back. In pairs (LDP/STP): the
 * world switch's largest part. No barrier: what is written is for EL1 and
 * takes effect by the ERET into the vCPU (a context synchronization
 * event); nothing at EL2 depends on these registers. */
    .global hyp_el1_save
hyp_el1_save:
    mrs     x1, sctlr_el1
    mrs     x2, ttbr0_el1
    stp     x1, x2, [x0, #0]
    mrs     x1, ttbr1_el1
    mrs     x2, tcr_el1
    stp     x1, x2, [x0, #16]
    mrs     x1, mair_el1
    mrs     x2, amair_el1
    stp     x1, x2, [x0, #32]
    mrs     x1, vbar_el1
    mrs     x2, contextidr_el1
    stp     x1, x2, [x0, #48]
    mrs     x1, tpidr_el1
    mrs     x2, tpidr_el0
    stp     x1, x2, [x0, #64]
    mrs     x1, tpidrro_el0
    mrs     x2, sp_el0
    stp     x1, x2, [x0, #80]
    mrs     x1, sp_el1
    mrs     x2, elr_el1
    stp     x1, x2, [x0, #96]
    mrs     x1, spsr_el1
    mrs     x2, esr_el1
    stp     x1, x2, [x0, #112]
    mrs     x1, far_el1
    mrs     x2, afsr0_el1
    stp     x1, x2, [x0, #128]
    mrs     x1, afsr1_el1
    mrs     x2, par_el1
    stp     x1, x2, [x0, #144]
    mrs     x1, cpacr_el1
    mrs     x2, cntkctl_el1
    stp     x1, x2, [x0, #160]
    mrs     x1, csselr_el1
    mrs     x2, mdscr_el1
    stp     x1, x2, [x0, #176]
    ret

    .global hyp_el1_restore
hyp_el1_restore:
    ldp     x1, x2, [x0, #0]
    msr     sctlr_el1, x1
    msr     ttbr0_el1, x2
    ldp     x1, x2, [x0, #16]
    msr     ttbr1_el1, x1
    msr     tcr_el1, x2
    ldp     x1, x2, [x0, #32]
    msr     mair_el1, x1
    msr     amair_el1, x2
    ldp     x1, x2, [x0, #48]
    msr     vbar_el1, x1
    msr     contextidr_el1, x2
    ldp     x1, x2, [x0, #64]
    msr     tpidr_el1, x1
    msr     tpidr_el0, x2
    ldp     x1, x2, [x0, #80]
    msr     tpidrro_el0, x1
    msr     sp_el0, x2
    ldp     x1, x2, [x0, #96]
    msr     sp_el1, x1
    msr     elr_el1, x2
    ldp     x1, x2, [x0, #112]
    msr     spsr_el1, x1
    msr     esr_el1, x2
    ldp     x1, x2, [x0, #128]
    msr     far_el1, x1
    msr     afsr0_el1, x2
    ldp     x1, x2, [x0, #144]
    msr     afsr1_el1, x1
    msr     par_el1, x2
    ldp     x1, x2, [x0, #160]
    msr     cpacr_el1, x1
    msr     cntkctl_el1, x2
    ldp     x1, x2, [x0, #176]
    msr     csselr_el1, x1
    msr     mdscr_el1, x2
    ret

/* hyp_smc(fn, a1, a2, a3): an SMC to the firmware (PSCI at EL3 on hvsim;
 * QEMU answers PSCI SMCs itself). Returns x0. */
    .global hyp_smc
hyp_smc:
    smc     #0
    ret
