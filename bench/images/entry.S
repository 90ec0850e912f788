/* Benchmark entry point (the ELF's e_entry, set with -Wl,-e,bench_entry).
 *
 * At EL2 (hvsim, QEMU virt with virtualization=on) it is exactly the test
 * runtime's _start (guests/rt/start.S). At EL1 (bare Unicorn, which leaves
 * reset at EL1) _start cannot be used because it writes VBAR_EL2, which is
 * UNDEFINED at EL1; this path does the same set-up with the EL1 registers:
 * a stack, zeroed .bss, VBAR_EL1, then main(x0). The workload itself is the
 * same code at both ELs. */
/* The symbol table's file name, or the assembler records the
 * preprocessor's temporary (ccXXXXXX.o) and no two builds of the image
 * are byte-identical. */
    .file "entry.S"
#include <hvsim/aarch64_entry.S>

    .text
    .global bench_entry
    .type   bench_entry, %function
bench_entry:
    mrs     x9, CurrentEL
    cmp     x9, #(2 << 2)
    b.eq    _start
    mov     x19, x0
    hv_set_sp __stack_top
    hv_zero_bss
    ldr     x1, =el1_vectors
    msr     vbar_el1, x1
    isb
    mov     x0, x19
    bl      main
    bl      bench_done
3:  wfi
    b       3b
    .size   bench_entry, . - bench_entry
