# hostile files and limits: device, FIFO and link outputs, FIFO inputs, ulimit -f, SIGINT/SIGTERM,
# wrapping integer flags, no nan in human output (tests/hostile_io_test.sh)
add_test(NAME hostile_io COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/hostile_io_test.sh $<TARGET_FILE:nudge> ${NUDGE_ROOT})
set_tests_properties(hostile_io PROPERTIES RESOURCE_LOCK xvfb TIMEOUT 300 ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
