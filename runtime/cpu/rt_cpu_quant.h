/* rt_cpu_quant.h - internal to runtime/cpu: the quantization kernel family (rt_cpu_quant.c),
 * one more family behind rt_cpu.c's dispatch, with the same contract as those of
 * rt_cpu_impl.h (SUPPORTS, SCRATCH, RUN; SUPPORTS and SCRATCH never read tensor data).
 *
 * Ops: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear.
 */
#ifndef PIPPY_RT_CPU_QUANT_H
#define PIPPY_RT_CPU_QUANT_H

#include "rt_cpu_impl.h"

int rtk_quant(rt_kargs *a, int mode);

#endif
