# run(<what> <command...>): the checks' way to run a step (included by the
# cmake/check_*.cmake scripts). Prints the step's output, sets run_out in
# the caller to its standard output, and stops the check if it failed.
function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(run_out "${out}" PARENT_SCOPE)
  message("${out}${err}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc})")
  endif()
endfunction()
