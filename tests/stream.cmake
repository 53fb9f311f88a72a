# nudge train streaming ~300 MB through --memory 64M: completes, peak RSS under the cap plus a stated
# overhead, as good on test episodes as in memory, reproducible; --data A,B, --weights, bad flags
add_test(NAME train_stream COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/stream_test.sh $<TARGET_FILE:nudge> ${NUDGE_ROOT})
set_tests_properties(train_stream PROPERTIES TIMEOUT 480)
