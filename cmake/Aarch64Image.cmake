# hv_aarch64_image(<name> SOURCES <files...> [LDSCRIPT <file>] [CFLAGS <flags...>]
#                  [INCLUDES <dirs...>] [OUTDIR <dir>] [DEPENDS <files...>])
#
# Cross-compiles a freestanding AArch64 image with aarch64-linux-gnu-gcc and
# produces <OUTDIR>/<name>.elf (default OUTDIR: ${CMAKE_BINARY_DIR}/images).
# A custom target `img-<name>` builds it; `images` builds them all.
find_program(AARCH64_CC aarch64-linux-gnu-gcc REQUIRED)
find_program(AARCH64_OBJCOPY aarch64-linux-gnu-objcopy REQUIRED)

set(HV_AARCH64_CFLAGS
  -ffreestanding -nostdlib -nostartfiles -fno-builtin -fno-stack-protector
  -fno-pic -mgeneral-regs-only -mstrict-align -O2 -g -Wall -Wextra -Werror -std=c11
  -static -Wl,--build-id=none -Wl,-z,norelro -Wl,--no-warn-rwx-segments
  # Reproducible images: no checkout or build path in the debug info, so
  # that an image (and the traces that hash it, traces/golden/) is the same
  # bytes in every checkout and build directory.
  -ffile-prefix-map=${CMAKE_SOURCE_DIR}=. -ffile-prefix-map=${CMAKE_BINARY_DIR}=.
  # include/: hvsim/aarch64_entry.S, the entry and vector macros every image shares
  -I${CMAKE_SOURCE_DIR}/include)

# The assembler macros every image's entry code includes (a dependency of
# every image: custom commands do not scan includes).
set(HV_AARCH64_ASM_INCLUDES ${CMAKE_SOURCE_DIR}/include/hvsim/aarch64_entry.S)

if(NOT TARGET images)
  add_custom_target(images ALL)
endif()

function(hv_aarch64_image name)
  cmake_parse_arguments(A "" "LDSCRIPT;OUTDIR" "SOURCES;CFLAGS;INCLUDES;DEPENDS" ${ARGN})
  if(NOT A_OUTDIR)
    set(A_OUTDIR "${CMAKE_BINARY_DIR}/images")
  endif()
  set(out "${A_OUTDIR}/${name}.elf")
  set(srcs)
  foreach(s ${A_SOURCES})
    get_filename_component(abs "${s}" ABSOLUTE)
    list(APPEND srcs "${abs}")
  endforeach()
  set(incs)
  foreach(i ${A_INCLUDES})
    get_filename_component(abs "${i}" ABSOLUTE)
    list(APPEND incs "-I${abs}")
  endforeach()
  set(ld)
  set(lddep)
  if(A_LDSCRIPT)
    get_filename_component(ldabs "${A_LDSCRIPT}" ABSOLUTE)
    set(ld "-T${ldabs}")
    set(lddep "${ldabs}")
  endif()
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -E make_directory "${A_OUTDIR}"
    COMMAND ${AARCH64_CC} ${HV_AARCH64_CFLAGS} ${A_CFLAGS} ${incs} ${ld} -o "${out}" ${srcs} -lgcc
    # An assembler source's file symbol is gcc's random temporary object
    # name (cc*.o): drop it, so that the image is reproducible.
    COMMAND ${AARCH64_OBJCOPY} --wildcard --strip-symbol=cc*.o "${out}"
    DEPENDS ${srcs} ${lddep} ${A_DEPENDS} ${HV_AARCH64_ASM_INCLUDES}
    COMMENT "AArch64 image ${name}.elf"
    VERBATIM)
  add_custom_target(img-${name} DEPENDS "${out}")
  add_dependencies(images img-${name})
endfunction()
