# layering: only sim/ talks to Chipmunk. Fails on any #include of a chipmunk header, or a call into
# Chipmunk's API (cpSpace..., cpBody..., cpv(...)), in a C file or header outside sim/.
add_test(NAME chipmunk_only_in_sim
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/layering_test.sh ${NUDGE_ROOT})
