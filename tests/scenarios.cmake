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

# the shipped default model passes its own regression scenarios (scenarios/model: a glass pushed
# off is predicted to break, a gentle push is not, a teleport is surprising, a resting stack calm);
# with the model every expectation is judged: none may be skipped
add_test(NAME scenarios_model
         COMMAND sh -c "$<TARGET_FILE:nudge> check ${NUDGE_ROOT}/scenarios/model --model ${NUDGE_ROOT}/assets/models/default.wm > scenarios_model.log 2>&1; rc=$?; cat scenarios_model.log; [ $rc -eq 0 ] && grep -q ' 0 failed' scenarios_model.log && ! grep -qi skip scenarios_model.log")
set_tests_properties(scenarios_model PROPERTIES TIMEOUT 300)
