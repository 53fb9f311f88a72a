# a real single-node Slurm cluster runs the README's job-array script (scripts/gen_array.sbatch):
# gathered shards byte-identical to one nudge gen, also after scancel and a resubmitted task
add_test(NAME slurm COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/slurm_test.sh $<TARGET_FILE:nudge> ${NUDGE_ROOT})
set_tests_properties(slurm PROPERTIES TIMEOUT 240)
