# every shipped scenario's expectations pass (nudge check scenarios/)
add_test(NAME scenarios COMMAND $<TARGET_FILE:nudge> check ${NUDGE_ROOT}/scenarios
         --junit ${CMAKE_BINARY_DIR}/scenarios-junit.xml)
set_tests_properties(scenarios PROPERTIES TIMEOUT 300)

# the command line: exit codes, one-line errors, clean stdout (tests/cli_test.sh)
add_test(NAME cli COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli_test.sh $<TARGET_FILE:nudge> ${NUDGE_ROOT})
set_tests_properties(cli PROPERTIES TIMEOUT 300)

# nudge voe, magic in gen and train (tests/voe_test.sh)
add_test(NAME voe COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/voe_test.sh $<TARGET_FILE:nudge> ${NUDGE_ROOT})
set_tests_properties(voe PROPERTIES TIMEOUT 300 ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
