# Helpers that keep the module layering visible: one library target per module,
# one test executable per test file, each registered with ctest under labels.

# dpeval_cc_library(NAME core SRCS a.cc b.cc DEPS dpeval::x PUBLIC_LIBS fmt::fmt)
#   Defines target dpeval_<NAME> with alias dpeval::<NAME>.
function(dpeval_cc_library)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS;PUBLIC_LIBS;PRIVATE_LIBS" ${ARGN})
  add_library(dpeval_${A_NAME} STATIC ${A_SRCS})
  add_library(dpeval::${A_NAME} ALIAS dpeval_${A_NAME})
  target_include_directories(dpeval_${A_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(dpeval_${A_NAME} PUBLIC ${A_DEPS} ${A_PUBLIC_LIBS} PRIVATE ${A_PRIVATE_LIBS})
  target_compile_options(dpeval_${A_NAME} PRIVATE ${DPEVAL_WARNINGS})
  _dpeval_layering_record(${A_NAME} "${A_DEPS}")
endfunction()

# Note [Layering from DEPS]
# The DEPS of dpeval_cc_library are the one statement of which module may use which.
# Each call records "library NAME module M deps L..." (M: the library's directory under
# src/dpeval/; L: its dpeval:: DEPS, other DEPS left out), and at the end of the top-level
# CMakeLists.txt the records are written to ${PROJECT_BINARY_DIR}/dpeval_layering.txt.
# tests/layering/layering_test.cc reads that file and checks every #include under src/dpeval/
# against it. The rule it enforces: a module may include its own headers and the headers of
# every module reachable through DEPS (the transitive closure: DEPS link PUBLIC, so that is
# what compiles), never another module's internal/ headers, and the module graph has no cycles.
function(_dpeval_layering_record name deps)
  file(RELATIVE_PATH dir ${PROJECT_SOURCE_DIR}/src/dpeval ${CMAKE_CURRENT_SOURCE_DIR})
  if(dir STREQUAL "" OR dir MATCHES "^\\.\\.")
    message(FATAL_ERROR "dpeval_cc_library(NAME ${name}) outside src/dpeval/<module>/: "
                        "the layering (Note [Layering from DEPS]) needs the module's directory")
  endif()
  string(REGEX REPLACE "/.*" "" module "${dir}")
  set(dep_libs "")
  foreach(dep IN LISTS deps)
    if(dep MATCHES "^dpeval::(.+)$")
      string(APPEND dep_libs " ${CMAKE_MATCH_1}")
    endif()
  endforeach()
  set_property(GLOBAL APPEND_STRING PROPERTY DPEVAL_LAYERING_RECORDS
               "library ${name} module ${module} deps${dep_libs}\n")
  get_property(scheduled GLOBAL PROPERTY DPEVAL_LAYERING_SCHEDULED)
  if(NOT scheduled)
    set_property(GLOBAL PROPERTY DPEVAL_LAYERING_SCHEDULED TRUE)
    cmake_language(DEFER DIRECTORY ${PROJECT_SOURCE_DIR} CALL _dpeval_layering_write)
  endif()
endfunction()

# Runs once, after every module's CMakeLists.txt; rewrites the file only when it changes.
function(_dpeval_layering_write)
  get_property(records GLOBAL PROPERTY DPEVAL_LAYERING_RECORDS)
  file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/dpeval_layering.txt
       CONTENT "# Written by cmake/dpeval_helpers.cmake: see Note [Layering from DEPS].\n${records}" @ONLY)
endfunction()

# dpeval_cc_test(NAME core_error SRCS error_test.cc DEPS dpeval::core LABELS unit)
#   One GoogleTest executable registered with ctest (gtest_discover_tests) under LABELS.
function(dpeval_cc_test)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  if(NOT DPEVAL_BUILD_TESTS)
    return()
  endif()
  if(NOT A_LABELS)
    set(A_LABELS unit)
  endif()
  add_executable(${A_NAME}_test ${A_SRCS})
  target_link_libraries(${A_NAME}_test PRIVATE ${A_DEPS} dpeval::testing GTest::gtest GTest::gtest_main)
  target_compile_options(${A_NAME}_test PRIVATE ${DPEVAL_WARNINGS})
  target_compile_definitions(${A_NAME}_test PRIVATE
    DPEVAL_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    DPEVAL_FMNIST_DIR="${DPEVAL_FMNIST_DIR}")
  gtest_discover_tests(${A_NAME}_test
    NO_PRETTY_VALUES
    PROPERTIES LABELS "${A_LABELS}"
    DISCOVERY_TIMEOUT 60)
endfunction()

# dpeval_cc_bench(NAME gemm SRCS gemm_bench.cc DEPS dpeval::kernels)
function(dpeval_cc_bench)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS" ${ARGN})
  if(NOT DPEVAL_BUILD_BENCH)
    return()
  endif()
  add_executable(${A_NAME}_bench ${A_SRCS})
  target_link_libraries(${A_NAME}_bench PRIVATE ${A_DEPS} benchmark::benchmark)
  target_compile_options(${A_NAME}_bench PRIVATE ${DPEVAL_WARNINGS})
endfunction()

# dpeval_fuzz_target(NAME idx SRCS fuzz_idx.cc DEPS dpeval::data)
#   libFuzzer target (clang + DPEVAL_FUZZ=ON only), also a dependency of
#   dpeval_fuzz_all (every fuzz target and only what they link: `make fuzz`).
function(dpeval_fuzz_target)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS" ${ARGN})
  if(NOT DPEVAL_FUZZ)
    return()
  endif()
  if(NOT TARGET dpeval_fuzz_all)
    add_custom_target(dpeval_fuzz_all)
  endif()
  add_executable(fuzz_${A_NAME} ${A_SRCS})
  add_dependencies(dpeval_fuzz_all fuzz_${A_NAME})
  target_link_libraries(fuzz_${A_NAME} PRIVATE ${A_DEPS})
  target_compile_options(fuzz_${A_NAME} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(fuzz_${A_NAME} PRIVATE -fsanitize=fuzzer,address,undefined)
endfunction()
