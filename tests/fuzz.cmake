# tests/fuzz: the libFuzzer harnesses' entry points replayed over their seed corpora and over every
# crash the fuzzers found (tests/fuzz/regressions/NAME), built with the project's compiler (and
# with ASan/UBSan under `make sanitize`); with -DNUDGE_FUZZ=ON (clang, `make fuzz`) also the
# fuzzers themselves.
set(NUDGE_FUZZ_NAMES scenario checkpoint npy dataset recording)
set(NUDGE_FUZZ_LIBS nudge_agent nudge_model nudge_data nudge_render nudge_sim nudge_base)
add_library(nudge_fuzz_common STATIC fuzz/fuzz_common.c fuzz/bundle.c)
target_include_directories(nudge_fuzz_common PUBLIC ${NUDGE_ROOT})
foreach(name ${NUDGE_FUZZ_NAMES})
  add_executable(fuzz_replay_${name} fuzz/fuzz_${name}.c fuzz/replay_main.c)
  target_link_libraries(fuzz_replay_${name} PRIVATE nudge_fuzz_common ${NUDGE_FUZZ_LIBS})
  if(NUDGE_FUZZ)
    add_executable(fuzz_${name} fuzz/fuzz_${name}.c)
    target_link_libraries(fuzz_${name} PRIVATE nudge_fuzz_common ${NUDGE_FUZZ_LIBS})
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
  endif()
endforeach()
add_executable(fuzz_seeds fuzz/seeds.c)
target_link_libraries(fuzz_seeds PRIVATE nudge_fuzz_common ${NUDGE_FUZZ_LIBS})

add_test(NAME fuzz_corpus_replay
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/replay_test.sh ${CMAKE_BINARY_DIR})
set_tests_properties(fuzz_corpus_replay PROPERTIES ENVIRONMENT "OPENBLAS_NUM_THREADS=1" TIMEOUT 600)
