# make splits end to end with tiny datasets and trainings (tests/splits_test.sh)
add_test(NAME splits COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/splits_test.sh $<TARGET_FILE:nudge> ${NUDGE_ROOT})
set_tests_properties(splits PROPERTIES TIMEOUT 300 ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
