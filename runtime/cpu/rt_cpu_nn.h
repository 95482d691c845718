/* rt_cpu_nn.h - internal to runtime/cpu: the nn kernel family (rt_cpu_nn.c), one more family
 * behind rt_cpu.c's dispatch, with the same contract as those of rt_cpu_impl.h (SUPPORTS,
 * SCRATCH, RUN; SUPPORTS and SCRATCH never read tensor data).
 *
 * Ops: NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss, Shrink, LRN,
 * MeanVarianceNormalization, Det, ReverseSequence.
 */
#ifndef PIPPY_RT_CPU_NN_H
#define PIPPY_RT_CPU_NN_H

#include "rt_cpu_impl.h"

int rtk_nn(rt_kargs *a, int mode);

#endif
