# nudge train streaming ~300 MB through --memory 64M: completes, peak RSS under the cap plus a stated
# overhead, as good on test episodes as in memory, reproducible; --data A,B, --weights, bad flags.
# Under make sanitize, AddressSanitizer's shadow memory and quarantine add to the overhead (124 MiB
# peak measured) and every step is slower: a larger stated overhead and fewer steps
add_test(NAME train_stream COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/stream_test.sh $<TARGET_FILE:nudge> ${NUDGE_ROOT})
if(NUDGE_SANITIZE)
  set_tests_properties(train_stream PROPERTIES TIMEOUT 900 ENVIRONMENT "STREAM_TEST_OVERHEAD=160;STREAM_TEST_STEPS=200")
else()
  set_tests_properties(train_stream PROPERTIES TIMEOUT 480)
endif()
