# ccache as the compiler launcher, configured by the project (issue 15: CI runs
# on the developer's machine, so a warm cache may help; a cold one must pass).
#
# When ccache is installed (scripts/install-deps.sh installs it) and no launcher
# was given, every compile goes through
#   cmake -E env CCACHE_DIR=<DPEVAL_CCACHE_DIR> CCACHE_BASEDIR=<source dir>
#                CCACHE_NOHASHDIR=1 CCACHE_MAXSIZE=<DPEVAL_CCACHE_MAXSIZE> ccache
# so the project's cache does not depend on the user's ccache.conf. See
# Note [ccache across clones].
#
# Options: DPEVAL_CCACHE=OFF turns it off; DPEVAL_CCACHE_DIR (cache variable,
# or the environment variable of the same name at first configure) picks the
# directory; a CMAKE_<LANG>_COMPILER_LAUNCHER given on the command line wins.
#
# Note [ccache across clones]
# base_dir is the source tree, so absolute paths under it (sources, -I, the
# build directory, which lives in build/<preset>) reach ccache relative to the
# compiler's working directory: two clones at different paths share library
# objects. hash_dir off keeps -g builds (sanitize, fuzz) shareable too. Test
# objects still differ between clones at different paths: they embed the
# absolute DPEVAL_SOURCE_DIR (cmake/dpeval_helpers.cmake), which is what they
# must read at run time.

option(DPEVAL_CCACHE "Compile through ccache when it is installed" ON)

if(DEFINED ENV{DPEVAL_CCACHE_DIR} AND NOT "$ENV{DPEVAL_CCACHE_DIR}" STREQUAL "")
  set(_dpeval_ccache_dir_default "$ENV{DPEVAL_CCACHE_DIR}")
elseif(DEFINED ENV{XDG_CACHE_HOME} AND NOT "$ENV{XDG_CACHE_HOME}" STREQUAL "")
  set(_dpeval_ccache_dir_default "$ENV{XDG_CACHE_HOME}/dpeval/ccache")
else()
  set(_dpeval_ccache_dir_default "$ENV{HOME}/.cache/dpeval/ccache")
endif()
set(DPEVAL_CCACHE_DIR "${_dpeval_ccache_dir_default}" CACHE PATH "ccache directory for dpeval builds")
set(DPEVAL_CCACHE_MAXSIZE "5G" CACHE STRING "ccache size limit for DPEVAL_CCACHE_DIR")

if(DPEVAL_CCACHE)
  find_program(DPEVAL_CCACHE_PROGRAM ccache)
  if(DPEVAL_CCACHE_PROGRAM)
    set(_dpeval_launcher
        "${CMAKE_COMMAND}" -E env
        "CCACHE_DIR=${DPEVAL_CCACHE_DIR}"
        "CCACHE_BASEDIR=${PROJECT_SOURCE_DIR}"
        "CCACHE_NOHASHDIR=1"
        "CCACHE_MAXSIZE=${DPEVAL_CCACHE_MAXSIZE}"
        "${DPEVAL_CCACHE_PROGRAM}")
    foreach(lang C CXX)
      if(NOT CMAKE_${lang}_COMPILER_LAUNCHER)
        set(CMAKE_${lang}_COMPILER_LAUNCHER "${_dpeval_launcher}")
      endif()
    endforeach()
    message(STATUS "dpeval: compiling through ccache, cache ${DPEVAL_CCACHE_DIR}")
  endif()
endif()
