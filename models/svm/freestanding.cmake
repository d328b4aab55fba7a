# The SVM engine must build freestanding (DESIGN.md, "The state-transition
# engine"): every engine source and header compiles with no libc headers and
# no builtins, so a dependency on libc or on cpu/ fails the ctest
# engine/svm-freestanding.
#
# This file has two roles:
# - included from models/CMakeLists.txt: registers the test;
# - run as a script (cmake -P) by that test: compiles each file.
if(CMAKE_SCRIPT_MODE_FILE)
  file(GLOB _svm_engine_files ${SVM_SRC_DIR}/models/svm/*engine*.c
       ${SVM_SRC_DIR}/models/svm/*engine*.h ${SVM_SRC_DIR}/models/svm/vmcb.h)
  file(MAKE_DIRECTORY ${SVM_OUT_DIR})
  set(_failed "")
  foreach(_src ${_svm_engine_files})
    get_filename_component(_name ${_src} NAME)
    execute_process(
      COMMAND ${SVM_CC} -std=c17 -Wall -Wextra -Werror -ffreestanding -fno-builtin -nostdinc
              -isystem ${SVM_GCC_INCLUDE} -I${SVM_SRC_DIR} -x c -c ${_src}
              -o ${SVM_OUT_DIR}/${_name}.o
      RESULT_VARIABLE _rc
      OUTPUT_VARIABLE _out
      ERROR_VARIABLE _out)
    if(NOT _rc EQUAL 0)
      message("freestanding compile failed: ${_src}\n${_out}")
      list(APPEND _failed ${_name})
    endif()
  endforeach()
  list(LENGTH _svm_engine_files _n)
  if(_n EQUAL 0)
    message(FATAL_ERROR "no SVM engine sources found under ${SVM_SRC_DIR}/models/svm")
  endif()
  if(_failed)
    message(FATAL_ERROR "SVM engine files not freestanding: ${_failed}")
  endif()
  message("SVM engine: ${_n} files compile freestanding")
  return()
endif()

# models/ is configured before the top level calls enable_testing().
enable_testing()
execute_process(
  COMMAND ${CMAKE_C_COMPILER} -print-file-name=include
  OUTPUT_VARIABLE _svm_gcc_include
  OUTPUT_STRIP_TRAILING_WHITESPACE)
add_test(
  NAME engine/svm-freestanding
  COMMAND
    ${CMAKE_COMMAND} -DSVM_CC=${CMAKE_C_COMPILER} -DSVM_GCC_INCLUDE=${_svm_gcc_include}
    -DSVM_SRC_DIR=${CMAKE_SOURCE_DIR} -DSVM_OUT_DIR=${CMAKE_BINARY_DIR}/svm-freestanding -P
    ${CMAKE_CURRENT_LIST_FILE})
set_tests_properties(engine/svm-freestanding PROPERTIES LABELS "engine;unit" TIMEOUT 120)
