/* Guest runtime entry at EL1h: vCPU 0 enters at _start (x0 = its DTB), other
 * vCPUs at grt_secondary through PSCI CPU_ON (x0 = context). Each vCPU
 * gets a 16 KiB stack chosen by MPIDR_EL1.Aff0. */
    .section .text.start, "ax"
    .global _start
_start:
    ldr     x1, =grt_dtb            /* x0 = the DTB the hypervisor made */
    str     x0, [x1]
    bl      set_stack
    ldr     x1, =__bss_start
    ldr     x2, =__bss_end
1:  cmp     x1, x2
    b.hs    2f
    str     xzr, [x1], #8
    b       1b
2:  bl      set_vbar
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
 * call grt_sync(esr, elr, far), which may return a new ELR. */
.macro SAVE
    sub     sp, sp, #(22 * 8)
    stp     x0, x1, [sp, #0]
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
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
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x29, [sp, #144]
    add     sp, sp, #(22 * 8)
    eret
.endm

    .section .vectors, "ax"
    .balign 2048
grt_vectors:
    .balign 0x80
    b       grt_bad             /* EL1t sync */
    .balign 0x80
    b       grt_bad
    .balign 0x80
    b       grt_bad
    .balign 0x80
    b       grt_bad
    .balign 0x80                /* EL1h sync */
    b       grt_sync_entry
    .balign 0x80                /* EL1h IRQ */
    b       grt_irq_entry
    .balign 0x80
    b       grt_bad
    .balign 0x80
    b       grt_bad
    .balign 0x80
    b       grt_bad             /* lower EL: unused */
    .balign 0x80
    b       grt_bad
    .balign 0x80
    b       grt_bad
    .balign 0x80
    b       grt_bad
    .balign 0x80
    b       grt_bad
    .balign 0x80
    b       grt_bad
    .balign 0x80
    b       grt_bad
    .balign 0x80
    b       grt_bad

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
