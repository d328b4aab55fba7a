# The world-switch engines must build freestanding (DESIGN.md, "The
# state-transition engine"): every engine source and header compiles with no
# libc headers and no builtins, so a dependency on libc or on cpu/ fails the
# ctest engine/NAME-freestanding.
#
# This file has two roles:
# - included from models/CMakeLists.txt: defines engine_freestanding_test();
# - run as a script (cmake -P) by each such test: compiles every file the
#   test's globs name, each on its own.
if(CMAKE_SCRIPT_MODE_FILE)
  string(REPLACE "|" ";" _globs "${FS_GLOBS}")
  set(_files "")
  foreach(_g ${_globs})
    file(GLOB _found ${FS_SRC_DIR}/${_g})
    list(APPEND _files ${_found})
  endforeach()
  list(LENGTH _files _n)
  if(_n EQUAL 0)
    message(FATAL_ERROR "no ${FS_NAME} engine files found under ${FS_SRC_DIR}")
  endif()
  file(MAKE_DIRECTORY ${FS_OUT_DIR})
  set(_failed "")
  foreach(_src ${_files})
    get_filename_component(_name ${_src} NAME)
    execute_process(
      COMMAND ${FS_CC} -std=c17 -Wall -Wextra -Werror -ffreestanding -fno-builtin -nostdinc
              -isystem ${FS_GCC_INCLUDE} -I${FS_SRC_DIR} -x c -c ${_src} -o ${FS_OUT_DIR}/${_name}.o
      RESULT_VARIABLE _rc
      OUTPUT_VARIABLE _out
      ERROR_VARIABLE _out)
    if(NOT _rc EQUAL 0)
      message("not freestanding: ${_src}\n${_out}")
      list(APPEND _failed ${_name})
    endif()
  endforeach()
  if(_failed)
    message(FATAL_ERROR "${FS_NAME} engine files that are not freestanding: ${_failed}")
  endif()
  message("${FS_NAME} engine: ${_n} files compile freestanding")
  return()
endif()

# models/ is configured before the top level calls enable_testing().
enable_testing()
execute_process(
  COMMAND ${CMAKE_C_COMPILER} -print-file-name=include
  OUTPUT_VARIABLE ENGINE_GCC_INCLUDE
  OUTPUT_STRIP_TRAILING_WHITESPACE)
set(ENGINE_FREESTANDING_SCRIPT ${CMAKE_CURRENT_LIST_FILE})

# engine_freestanding_test(NAME GLOB...): the ctest engine/NAME-freestanding
# over the files the globs (relative to the source tree) name.
function(engine_freestanding_test name)
  string(REPLACE ";" "|" globs "${ARGN}")
  add_test(
    NAME engine/${name}-freestanding
    COMMAND
      ${CMAKE_COMMAND} -DFS_NAME=${name} -DFS_CC=${CMAKE_C_COMPILER}
      -DFS_GCC_INCLUDE=${ENGINE_GCC_INCLUDE} -DFS_SRC_DIR=${CMAKE_SOURCE_DIR}
      -DFS_OUT_DIR=${CMAKE_BINARY_DIR}/${name}-freestanding "-DFS_GLOBS=${globs}" -P
      ${ENGINE_FREESTANDING_SCRIPT})
  set_tests_properties(engine/${name}-freestanding PROPERTIES LABELS "engine;unit" TIMEOUT 120)
endfunction()
