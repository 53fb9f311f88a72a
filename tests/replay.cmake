# nudge replay: record, check, edited/damaged/tampered recordings, changed scenarios, --to-scn
# (tests/replay_test.sh, with tests/nrec_tool.py as a second reader of the format)
add_test(NAME replay COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/replay_test.sh $<TARGET_FILE:nudge> ${NUDGE_ROOT})
set_tests_properties(replay PROPERTIES TIMEOUT 300)
