# hive_module(<target> <prefix> SOURCES ... [HEADER_DIRS ...] [PUBLIC ...] [PRIVATE ...])
#
# One folder, one static library, one include prefix. A file includes another module's header
# as "<prefix>/name.hpp", and that path exists only for targets that link the module: each
# module gets an include root of its own in the build tree holding links to its headers alone.
# A folder-wide include path would let any target include any header, and the layering would
# rest on discipline; with this a wrong include fails to compile.
#
# HEADER_DIRS lists subfolders whose headers belong to the module too (common/http); a nested
# folder that is a module of its own (server/runtime/local) is left out. Two modules may share a
# folder: HEADERS names the smaller one's headers (no glob), EXCLUDE leaves them out of the
# other's glob (agent/: hive_agent_input and hive_agent_lib).
function(hive_module target prefix)
  cmake_parse_arguments(M "" "" "SOURCES;HEADERS;HEADER_DIRS;EXCLUDE;PUBLIC;PRIVATE" ${ARGN})
  if(M_SOURCES)
    add_library(${target} STATIC ${M_SOURCES})
    set(scope PUBLIC)
  else()
    add_library(${target} INTERFACE)
    set(scope INTERFACE)
  endif()
  set(root ${CMAKE_BINARY_DIR}/include/${target})
  file(REMOVE_RECURSE ${root})  # a header moved away must not stay reachable
  # The module's folder: <prefix> under the calling folder (server/store), else the calling
  # folder itself (common/, agent/).
  set(folder ${CMAKE_CURRENT_SOURCE_DIR}/${prefix})
  if(NOT IS_DIRECTORY ${folder})
    set(folder ${CMAKE_CURRENT_SOURCE_DIR})
  endif()
  if(M_HEADERS)
    list(TRANSFORM M_HEADERS PREPEND ${folder}/ OUTPUT_VARIABLE headers)
  else()
    file(GLOB headers CONFIGURE_DEPENDS ${folder}/*.hpp)
    foreach(dir ${M_HEADER_DIRS})
      file(GLOB nested CONFIGURE_DEPENDS ${folder}/${dir}/*.hpp)
      list(APPEND headers ${nested})
    endforeach()
    list(TRANSFORM M_EXCLUDE PREPEND ${folder}/ OUTPUT_VARIABLE excluded)
    list(REMOVE_ITEM headers ${excluded})
  endif()
  foreach(header ${headers})
    file(RELATIVE_PATH name ${folder} ${header})
    get_filename_component(dir ${root}/${prefix}/${name} DIRECTORY)
    file(MAKE_DIRECTORY ${dir})
    file(CREATE_LINK ${header} ${root}/${prefix}/${name} SYMBOLIC)
  endforeach()
  target_include_directories(${target} ${scope} ${root})
  target_link_libraries(${target} ${scope} ${M_PUBLIC} hive_options)
  if(M_SOURCES)
    target_link_libraries(${target} PRIVATE ${M_PRIVATE} hive_warnings)
  endif()
endfunction()
