# --video for run, replay and view: ffprobe's frame count, size and duration, frames not blank,
# the model's ghosts; no ffmpeg, an unwritable folder, a failing encoder (tests/video_test.sh)
find_program(FFPROBE ffprobe)
if(FFPROBE)
  add_test(NAME video COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/video_test.sh $<TARGET_FILE:nudge> ${NUDGE_ROOT})
  set_tests_properties(video PROPERTIES RESOURCE_LOCK xvfb TIMEOUT 300 ENVIRONMENT "OPENBLAS_NUM_THREADS=1;ASAN_OPTIONS=detect_leaks=0")
endif()
