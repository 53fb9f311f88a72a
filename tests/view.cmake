# nudge view: the window under Xvfb (screenshot not blank, ghosts and panels drawn) and the
# headless loop (the live 0.5 s error drops while the model watches). Checks: tests/view_check.py
find_program(XVFB_RUN xvfb-run)
# every test that starts xvfb-run -a holds the ctest resource lock "xvfb" (view_*, video, hostile_io): two
# xvfb-runs at once can pick the same display number, and a view then cannot open its window; each
# starts it through tests/xvfb.sh, which runs the test once the display answers (3 tries)
set(VIEW_CHECK "/usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/view_check.py")
if(XVFB_RUN)
  add_test(NAME view_xvfb
           COMMAND sh -c "rm -f view_xvfb.png && bash ${CMAKE_CURRENT_SOURCE_DIR}/xvfb.sh -s '-screen 0 1280x720x24' $<TARGET_FILE:nudge> view ${NUDGE_ROOT}/scenarios/demo/glass_off_table.scn --frames 300 --screenshot view_xvfb.png --agent random --seed 1 && ${VIEW_CHECK} screenshot view_xvfb.png"
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  # under `make sanitize`, LeakSanitizer reports small leaks inside libdbus and the X11 libraries SDL
  # loads; our own code is leak-checked by test_view and the headless test
  set_tests_properties(view_xvfb PROPERTIES RESOURCE_LOCK xvfb TIMEOUT 300 ENVIRONMENT "OPENBLAS_NUM_THREADS=1;ASAN_OPTIONS=detect_leaks=0")
  # the planner's overlay: a task with the oracle planning, a few frames in (candidates' paths,
  # the chosen plan and its push arrows, the goal region, the planner panel)
  add_test(NAME view_plan_xvfb
           COMMAND sh -c "rm -f view_plan.png && bash ${CMAKE_CURRENT_SOURCE_DIR}/xvfb.sh -s '-screen 0 1280x720x24' $<TARGET_FILE:nudge> view ${NUDGE_ROOT}/scenarios/tasks/box_into_zone.scn --agent oracle --seed 3 --frames 4 --screenshot view_plan.png && ${VIEW_CHECK} plan view_plan.png"
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(view_plan_xvfb PROPERTIES RESOURCE_LOCK xvfb TIMEOUT 300 ENVIRONMENT "OPENBLAS_NUM_THREADS=1;ASAN_OPTIONS=detect_leaks=0")
endif()
# the window driven with xdotool: grab, push, spawn, scrub back, branch, W, F12; the recording
# replays and the written scenario passes (tests/view_interact.sh)
find_program(XDOTOOL xdotool)
if(XVFB_RUN AND XDOTOOL)
  add_test(NAME view_interact
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/xvfb.sh -s "-screen 0 1280x720x24" bash ${CMAKE_CURRENT_SOURCE_DIR}/view_interact.sh $<TARGET_FILE:nudge> ${NUDGE_ROOT})
  set_tests_properties(view_interact PROPERTIES RESOURCE_LOCK xvfb TIMEOUT 300 ENVIRONMENT "OPENBLAS_NUM_THREADS=1;ASAN_OPTIONS=detect_leaks=0")
  # the pixel model (J): its thread, its ghost dots and surprise trace in F12 screenshots, off again;
  # --jepa with a saved, a state-model, a damaged and a missing file (tests/view_pixel.sh)
  add_test(NAME view_pixel
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/xvfb.sh -s "-screen 0 1280x720x24" bash ${CMAKE_CURRENT_SOURCE_DIR}/view_pixel.sh $<TARGET_FILE:nudge> ${NUDGE_ROOT}
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(view_pixel PROPERTIES RESOURCE_LOCK xvfb TIMEOUT 400 ENVIRONMENT "OPENBLAS_NUM_THREADS=1;ASAN_OPTIONS=detect_leaks=0")
endif()
# the same 10 s episode (random agent, one seed) six times over: the last showing has the same
# physics as the first, so a lower live 0.5 s error there is the model's doing
add_test(NAME view_headless_learns
         COMMAND sh -c "$<TARGET_FILE:nudge> view ${NUDGE_ROOT}/scenarios/demo/glass_off_table.scn --headless --seconds 60 --agent random --episode-seconds 10 --repeat --fresh > view_headless.log && ${VIEW_CHECK} learning view_headless.log --same-episodes"
         WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
# some 20 CPU seconds of live training; the timeout leaves room for a machine shared with other jobs
set_tests_properties(view_headless_learns PROPERTIES TIMEOUT 900 ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
# no display and no --headless: one line, exit 2
add_test(NAME view_no_display COMMAND sh -c "out=$(env -u DISPLAY -u WAYLAND_DISPLAY $<TARGET_FILE:nudge> view 2>&1 >/dev/null); test $? -eq 2 && test $(printf '%s\\n' \"$out\" | wc -l) -eq 1 && printf '%s' \"$out\" | grep -q -- --headless")
