# nudge train --kind jepa and nudge eval of a pixel model from the command line (tests/jepa_test.sh)
add_test(NAME jepa COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/jepa_test.sh $<TARGET_FILE:nudge> ${NUDGE_ROOT})
set_tests_properties(jepa PROPERTIES TIMEOUT 400 ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
