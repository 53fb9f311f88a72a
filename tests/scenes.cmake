# make scenes end to end with tiny datasets (tests/scenes_test.sh)
add_test(NAME scenes COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/scenes_test.sh $<TARGET_FILE:nudge> ${NUDGE_ROOT})
set_tests_properties(scenes PROPERTIES TIMEOUT 120 ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
