# The VMX engine (vmcs_fields.*, vmx_engine*.c/.h) must compile freestanding
# (DESIGN.md, "The state-transition engine"; notes/virt_common.md): no libc
# headers, no builtins, nothing from cpu/. The ctest engine/vmx-freestanding
# compiles every such file on its own and fails on the first dependency.
#
# Included from models/CMakeLists.txt it registers the test; run with
# cmake -P (by that test) it does the compiling.
if(CMAKE_SCRIPT_MODE_FILE)
  file(GLOB _vmx_files ${VMX_SRC_DIR}/models/vmx/*engine*.c ${VMX_SRC_DIR}/models/vmx/*engine*.h
       ${VMX_SRC_DIR}/models/vmx/vmcs*.c ${VMX_SRC_DIR}/models/vmx/vmcs*.h)
  list(LENGTH _vmx_files _count)
  if(_count EQUAL 0)
    message(FATAL_ERROR "no VMX engine files under ${VMX_SRC_DIR}/models/vmx")
  endif()
  file(MAKE_DIRECTORY ${VMX_OUT_DIR})
  set(_bad "")
  foreach(_f ${_vmx_files})
    get_filename_component(_base ${_f} NAME)
    execute_process(
      COMMAND ${VMX_CC} -std=c17 -Wall -Wextra -Werror -ffreestanding -fno-builtin -nostdinc
              -isystem ${VMX_GCC_INCLUDE} -I${VMX_SRC_DIR} -x c -c ${_f}
              -o ${VMX_OUT_DIR}/${_base}.o
      RESULT_VARIABLE _rc
      OUTPUT_VARIABLE _log
      ERROR_VARIABLE _log)
    if(NOT _rc EQUAL 0)
      message("not freestanding: ${_f}\n${_log}")
      list(APPEND _bad ${_base})
    endif()
  endforeach()
  if(_bad)
    message(FATAL_ERROR "VMX engine files that are not freestanding: ${_bad}")
  endif()
  message("VMX engine: ${_count} files compile freestanding")
  return()
endif()

enable_testing()
execute_process(
  COMMAND ${CMAKE_C_COMPILER} -print-file-name=include
  OUTPUT_VARIABLE _vmx_gcc_include
  OUTPUT_STRIP_TRAILING_WHITESPACE)
add_test(
  NAME engine/vmx-freestanding
  COMMAND
    ${CMAKE_COMMAND} -DVMX_CC=${CMAKE_C_COMPILER} -DVMX_GCC_INCLUDE=${_vmx_gcc_include}
    -DVMX_SRC_DIR=${CMAKE_SOURCE_DIR} -DVMX_OUT_DIR=${CMAKE_BINARY_DIR}/vmx-freestanding -P
    ${CMAKE_CURRENT_LIST_FILE})
set_tests_properties(engine/vmx-freestanding PROPERTIES LABELS "engine;unit" TIMEOUT 120)
