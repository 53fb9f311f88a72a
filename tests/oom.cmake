# sizes too large for the machine: train's estimate refuses them (relational and jepa), and an
# allocation refused under ulimit -v is one line and exit 2. The sanitizers reserve terabytes of
# address space: no ulimit -v there
add_test(NAME oom COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/oom_test.sh $<TARGET_FILE:nudge> ${NUDGE_ROOT})
if(NUDGE_SANITIZE)
  set_tests_properties(oom PROPERTIES TIMEOUT 300 ENVIRONMENT "OOM_TEST_NO_ULIMIT=sanitizers")
else()
  set_tests_properties(oom PROPERTIES TIMEOUT 120)
endif()
