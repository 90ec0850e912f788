/* The guest images embedded in the hypervisor (raw binaries built from
 * guests/), so that one ELF boots everywhere. Paths come from CMake. */
/* The symbol table's file name, or the assembler records the
 * preprocessor's temporary (ccXXXXXX.o) and no two builds of the image
 * are byte-identical. */
    .file "guests.S"
    .section .rodata.guests, "a"
    .balign 4096
    .global guest_rtos_start, guest_rtos_end
guest_rtos_start:
    .incbin GUEST_RTOS_BIN
guest_rtos_end:
    .balign 4096
    .global guest_gpos_start, guest_gpos_end
guest_gpos_start:
    .incbin GUEST_GPOS_BIN
guest_gpos_end:
    .balign 4096
    .global guest_rogue_start, guest_rogue_end
guest_rogue_start:
    .incbin GUEST_ROGUE_BIN
guest_rogue_end:
#ifdef GUEST_STRESS_BIN
    .balign 4096
    .global guest_stress_start, guest_stress_end
guest_stress_start:
    .incbin GUEST_STRESS_BIN
guest_stress_end:
#endif
#ifdef GUEST_NEST_BIN
    .balign 4096
    .global guest_nest_start, guest_nest_end
guest_nest_start:
    .incbin GUEST_NEST_BIN
guest_nest_end:
#endif
