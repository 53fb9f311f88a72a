# nudge as a library: install, pkg-config, the example, the installed command (tests/install_test.sh)
# Under `make sanitize` libnudge is built with ASan and UBSan: programs built against it take the
# same flags, and python3 (not built with ASan) preloads the ASan runtime
set(NUDGE_EMBED_ENV "OPENBLAS_NUM_THREADS=1")
if(NUDGE_SANITIZE)
  execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=libasan.so OUTPUT_VARIABLE NUDGE_ASAN_LIB
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  list(APPEND NUDGE_EMBED_ENV "NUDGE_EMBED_CFLAGS=-fsanitize=address,undefined" "NUDGE_PRELOAD=${NUDGE_ASAN_LIB}"
       "ASAN_OPTIONS=detect_leaks=0")
endif()
add_test(NAME install_embed
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/install_test.sh ${CMAKE_BINARY_DIR} ${NUDGE_ROOT})
set_tests_properties(install_embed PROPERTIES TIMEOUT 300 ENVIRONMENT "${NUDGE_EMBED_ENV}")

# the Python binding (python/nudge) with Debian's python3 and numpy: World, Env's contract,
# determinism, 10,000 steps without leaks, bad arguments, Model against the C API, load_dataset
set(NUDGE_PY_ENV "OPENBLAS_NUM_THREADS=1")
if(NUDGE_SANITIZE)
  list(APPEND NUDGE_PY_ENV "LD_PRELOAD=${NUDGE_ASAN_LIB}" "ASAN_OPTIONS=detect_leaks=0" "NUDGE_SANITIZED=1")
endif()
add_test(NAME python_binding
         COMMAND /usr/bin/python3 -m unittest discover -s ${NUDGE_ROOT}/python/tests -v)
set_tests_properties(python_binding PROPERTIES TIMEOUT 300 ENVIRONMENT
  "${NUDGE_PY_ENV};NUDGE_LIB=$<TARGET_FILE:nudge_shared>;NUDGE_BIN=$<TARGET_FILE:nudge>;NUDGE_TEST_API=$<TARGET_FILE:test_api>;NUDGE_SOURCE=${NUDGE_ROOT};PYTHONDONTWRITEBYTECODE=1")
