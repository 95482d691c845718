# ONNX's protobuf schema is taken from the system (Debian libonnx-dev) and compiled with
# protoc-c at build time; no copy of onnx.proto is committed.
find_file(ONNX_PROTO onnx.proto PATHS /usr/include/onnx /usr/local/include/onnx NO_DEFAULT_PATH)
if(NOT ONNX_PROTO)
  message(FATAL_ERROR "onnx.proto not found: install Debian's libonnx-dev")
endif()
set(ONNX_PB_DIR ${CMAKE_BINARY_DIR}/gen)
file(MAKE_DIRECTORY ${ONNX_PB_DIR})
get_filename_component(_onnx_proto_dir ${ONNX_PROTO} DIRECTORY)
add_custom_command(
  OUTPUT ${ONNX_PB_DIR}/onnx.pb-c.c ${ONNX_PB_DIR}/onnx.pb-c.h
  COMMAND ${PROTOC_C} --proto_path=${_onnx_proto_dir} --c_out=${ONNX_PB_DIR} ${ONNX_PROTO}
  DEPENDS ${ONNX_PROTO}
  COMMENT "protoc-c onnx.proto")
set(ONNX_PB_C ${ONNX_PB_DIR}/onnx.pb-c.c)
set_source_files_properties(${ONNX_PB_C} PROPERTIES COMPILE_OPTIONS "-w")
