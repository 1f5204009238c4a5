# Helpers every module uses. One place sets warnings and sanitizers; each module's
# CMakeLists.txt is then a few lines: colend_library(), colend_test(), colend_bench().

include_guard(GLOBAL)

# Warnings for colend's own code (generated code does not link this). CI turns them
# into errors through CMAKE_COMPILE_WARNING_AS_ERROR in the `ci` preset.
add_library(colend_warnings INTERFACE)
target_compile_options(colend_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wimplicit-fallthrough
  -Wcast-align -Wunused -Woverloaded-virtual -Wnull-dereference -Wformat=2)
# A unity build (the `ci` preset) compiles each source as an #include of a generated file,
# so GCC takes a class defined in a .cc for a header's class and warns that its members'
# types are file-local. They are, in the .cc that defines both. (A GCC warning; Clang has none.)
if(CMAKE_UNITY_BUILD)
  target_compile_options(colend_warnings INTERFACE $<$<CXX_COMPILER_ID:GNU>:-Wno-subobject-linkage>)
endif()

# Sanitizers apply to every target, including tests and third-party code built here, or
# they report false positives at the boundaries.
if(COLEND_SANITIZE)
  add_compile_options(-fsanitize=${COLEND_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${COLEND_SANITIZE})
endif()

# Boost.Asio and Beast for colend's code: link colend_asio instead of Boost::headers. Their
# inlined executor code (io_context.hpp operator==, scheduler.ipp) trips a GCC 12
# -Wnull-dereference false positive at -O2 in every file that instantiates Asio operations;
# code that links this target compiles with that one warning off. (Boost is found after
# this file is included; target names resolve when the build is generated.)
add_library(colend_asio INTERFACE)
target_link_libraries(colend_asio INTERFACE Boost::headers Threads::Threads)
target_compile_options(colend_asio INTERFACE -Wno-null-dereference)

# colend_library(<module> SOURCES ... [DEPS ...] [PRIVATE_DEPS ...])
# Makes target colend_<module> (alias colend::<module>) with PUBLIC <module>/include and
# PRIVATE <module>/src. DEPS are PUBLIC (their types appear in our headers); everything
# else goes in PRIVATE_DEPS.
function(colend_library module)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  set(target colend_${module})
  add_library(${target} STATIC ${ARG_SOURCES})
  add_library(colend::${module} ALIAS ${target})
  target_include_directories(${target}
    PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
    PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  # colend_warnings first: options of later targets (colend_asio's exception) come after
  # the warnings in the compile line and so take precedence.
  target_link_libraries(${target} PRIVATE colend_warnings)
  target_link_libraries(${target} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# colend_test(<name> SOURCES ... [DEPS ...] [LABELS unit|integration|slow]
#             [DEFINITIONS ...] [TEST_FILTER gtest-pattern] [TEST_PREFIX prefix])
# A GoogleTest executable; each TEST becomes one ctest entry carrying LABELS. DEFINITIONS
# and TEST_FILTER let one test file also serve as a longer `slow` soak of some of its tests.
function(colend_test name)
  cmake_parse_arguments(ARG "" "TEST_FILTER;TEST_PREFIX" "SOURCES;DEPS;LABELS;DEFINITIONS" ${ARGN})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE colend_warnings ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE ${ARG_DEFINITIONS})
  set(filter_args)
  if(ARG_TEST_FILTER)
    set(filter_args TEST_FILTER ${ARG_TEST_FILTER})
  endif()
  gtest_discover_tests(${name}
    ${filter_args}
    TEST_PREFIX "${ARG_TEST_PREFIX}"
    PROPERTIES LABELS "${ARG_LABELS}"
    DISCOVERY_TIMEOUT 60)
endfunction()

# colend_bench(<name> SOURCES ... [DEPS ...]) — a Google Benchmark executable.
function(colend_bench name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE colend_warnings ${ARG_DEPS} benchmark::benchmark)
endfunction()

# colend_program(<name> SOURCES ... [DEPS ...]) — a program banks run (colend-node, the
# tools). All of them land in <build>/bin, so scripts find each other there (netgen's
# start.sh runs the colend-node next to colend-netgen). The sources may include CLI11,
# whose inlined string code trips a GCC 12 -Wnull-dereference false positive at -O2; that
# one warning is off for these sources only.
function(colend_program name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE colend_warnings ${ARG_DEPS})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin)
  set_source_files_properties(${ARG_SOURCES} PROPERTIES COMPILE_OPTIONS -Wno-null-dereference)
endfunction()
