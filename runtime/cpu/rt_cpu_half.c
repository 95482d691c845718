/* rt_cpu_half.c - float16 and bfloat16 conversions for code outside the kernels (the
 * frontend's new constants, the concrete-arg parser): the kernels' own, so every part of
 * pippyc rounds the same way. */
#include "rt_cpu_elem.h"

uint16_t rt_f32_to_f16(float f) { return rtk_f32_to_f16(f); }
float rt_f16_to_f32(uint16_t h) { return rtk_f16_to_f32(h); }
uint16_t rt_f32_to_bf16(float f) { return rtk_f32_to_bf16(f); }
float rt_bf16_to_f32(uint16_t b) { return rtk_bf16_to_f32(b); }
