# nudge plan and the planning agents from the command line (tests/plan_test.sh)
add_test(NAME plan COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/plan_test.sh $<TARGET_FILE:nudge> ${NUDGE_ROOT})
set_tests_properties(plan PROPERTIES TIMEOUT 300 ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
