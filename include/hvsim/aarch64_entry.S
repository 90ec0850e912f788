/* AArch64 entry and exception-vector building blocks, shared by every
 * AArch64 image the build makes: the hypervisor (hypervisor/arch/entry.S),
 * the test runtime (guests/rt/start.S), the guest runtime
 * (guests/grt/start.S) and the benchmark images (bench/images/entry.S).
 * Assembler macros only (it emits nothing by itself): `#include
 * <hvsim/aarch64_entry.S>` from a .S file (include/ is on every image's
 * include path, cmake/Aarch64Image.cmake).
 *
 * Vector table layout (Arm ARM D1.10.2, "Exception vectors"): 16 entries of
 * 0x80 bytes, the table 2 KiB aligned (VBAR_ELx[10:0] are RES0). Entry
 * k = group * 4 + type: group 0 current EL with SP_EL0, 1 current EL with
 * SP_ELx, 2 lower EL in AArch64, 3 lower EL in AArch32; type 0
 * synchronous, 1 IRQ, 2 FIQ, 3 SError. */
#ifndef HVSIM_AARCH64_ENTRY_S
#define HVSIM_AARCH64_ENTRY_S

/* hv_set_sp SYM: SP = the address SYM (the linker script's stack top).
 * Clobbers x1. */
.macro hv_set_sp sym
    ldr     x1, =\sym
    mov     sp, x1
.endm

/* hv_zero_bss: zero [__bss_start, __bss_end), both 8-byte aligned by the
 * linker scripts. Clobbers x1, x2. */
.macro hv_zero_bss
    ldr     x1, =__bss_start
    ldr     x2, =__bss_end
.Lhv_bss_loop\@:
    cmp     x1, x2
    b.hs    .Lhv_bss_done\@
    str     xzr, [x1], #8
    b       .Lhv_bss_loop\@
.Lhv_bss_done\@:
.endm

/* hv_vectors ENTRY[, ARG]: a vector table at the current position (which
 * the caller aligns to 2 KiB): each of the 16 entries starts 0x80 bytes
 * after the previous one and is the macro ENTRY expanded with (ARG, k), or
 * with (k) when ARG is blank. ENTRY must fit in 0x80 bytes. */
.macro hv_vectors entry, arg
    .irp k, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    .balign 0x80
    .ifb \arg
    \entry \k
    .else
    \entry \arg, \k
    .endif
    .endr
.endm

/* hv_gpr_pairs OP, BASE, FROM, TO: OP (stp or ldp) of the register pairs
 * x<n>, x<n+1> at [BASE, #8 * n] for even n from FROM to TO (default: all
 * of x0..x29). A frame of x0..x30 at BASE uses hv_gpr_pairs, then
 * hv_gpr_x30 for x30 at [BASE, #240]. (.altmacro evaluates n + 1, which
 * GNU as cannot compute inside a register name.) */
.macro hv_gpr_pairs op, base, from=0, to=28
    .irp n, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28
    .if \n >= \from && \n <= \to
    .altmacro
    hv_pair_ \op, \base, x, 8, \n, %(\n + 1)
    .noaltmacro
    .endif
    .endr
.endm

/* hv_gpr_x30 OP, BASE: OP (str or ldr) of x30 at [BASE, #240]. */
.macro hv_gpr_x30 op, base
    \op     x30, [\base, #240]
.endm

/* hv_fp_pairs OP, BASE: OP (stp or ldp) of q0..q31 in pairs at
 * [BASE, #16 * n], 512 bytes. */
.macro hv_fp_pairs op, base
    .irp n, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30
    .altmacro
    hv_pair_ \op, \base, q, 16, \n, %(\n + 1)
    .noaltmacro
    .endr
.endm

/* (one pair: OP Ra, Rb, [BASE, #(SIZE * a)]) */
.macro hv_pair_ op, base, kind, size, a, b
    \op     \kind\a, \kind\b, [\base, #(\size * \a)]
.endm

#endif
