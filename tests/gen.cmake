# nudge gen: determinism across jobs and shards, resume after kill -9, refusals, bad input, the
# numpy client and frames (tests/gen_test.sh)
add_test(NAME gen COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/gen_test.sh $<TARGET_FILE:nudge> ${NUDGE_ROOT})
set_tests_properties(gen PROPERTIES TIMEOUT 300)
