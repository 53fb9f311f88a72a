# make model's recipe end to end with tiny datasets and a few steps (tests/model_recipe_test.sh)
add_test(NAME model_recipe COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/model_recipe_test.sh $<TARGET_FILE:nudge> ${NUDGE_ROOT})
set_tests_properties(model_recipe PROPERTIES TIMEOUT 120 ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
