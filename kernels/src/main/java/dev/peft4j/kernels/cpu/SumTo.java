package dev.peft4j.kernels.cpu;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The backward of broadcasting: sums a contiguous tensor over the axes where the destination has extent 1.
 * Threads split destination elements, so each output is summed by one thread in a fixed order and the
 * result does not depend on the thread count.
 */
final class SumTo {

    private static final VectorSpecies<Float> S = UnaryMath.SPECIES;
    /** Destination columns per task when the innermost axis is kept: keeps the accumulator row in L1. */
    private static final int COLUMN_BLOCK = 2048;

    private final Parallel parallel;

    SumTo(Parallel parallel) {
        this.parallel = parallel;
    }

    /** Shapes were validated: same rank, each dst extent equal to src or 1; src is not empty. */
    void sumTo(int[] srcShape, float[] src, int srcOff, int[] dstShape, float[] dst, int dstOff, boolean accumulate) {
        int rank = srcShape.length;
        int[] dstStrides = StridedLayout.rowMajorStrides(dstShape);
        for (int d = 0; d < rank; d++) {
            if (dstShape[d] != srcShape[d]) {
                dstStrides[d] = 0; // a summed axis: every position lands on the same destination element
            }
        }
        StridedLayout layout = StridedLayout.of(srcShape, StridedLayout.rowMajorStrides(srcShape), dstStrides);
        Axes kept = Axes.select(layout, true);
        Axes summed = Axes.select(layout, false);
        boolean innerKept = layout.rank() == 0 || layout.strides()[1][layout.rank() - 1] != 0;
        if (innerKept) {
            sumRowsOfKeptInner(layout, kept, summed, src, srcOff, dst, dstOff, accumulate);
        } else {
            sumRunsOfSummedInner(kept, summed, src, srcOff, dst, dstOff, accumulate);
        }
    }

    /**
     * The innermost axis survives (e.g. [N, D] to [1, D]): each destination row is a SIMD sum of source rows.
     * Tasks are (destination row, column block) pairs.
     */
    private void sumRowsOfKeptInner(StridedLayout layout, Axes kept, Axes summed, float[] src, int srcOff,
                                    float[] dst, int dstOff, boolean accumulate) {
        int inner = layout.innerLength();
        int rows = kept.count() / inner;
        int blockLen = Math.min(inner, COLUMN_BLOCK);
        int blocks = (inner + blockLen - 1) / blockLen;
        int[] summedOffsets = summed.offsets(0);
        Axes outer = kept.withoutInnermost();
        parallel.forRange(rows * blocks, (long) summedOffsets.length * blockLen, (from, to) -> {
            float[] acc = new float[blockLen];
            for (int task = from; task < to; task++) {
                int row = task / blocks;
                int c0 = (task % blocks) * blockLen;
                int len = Math.min(blockLen, inner - c0);
                int srcBase = srcOff + outer.offset(row, 0) + c0;
                Arrays.fill(acc, 0, len, 0f);
                for (int r : summedOffsets) {
                    Elementwise.axpyRange(1f, src, srcBase + r, acc, 0, len);
                }
                int d = dstOff + row * inner + c0;
                if (accumulate) {
                    Elementwise.axpyRange(1f, acc, 0, dst, d, len);
                } else {
                    System.arraycopy(acc, 0, dst, d, len);
                }
            }
        });
    }

    /** The innermost axis is summed (e.g. [N, D] to [N, 1]): each destination element sums contiguous runs. */
    private void sumRunsOfSummedInner(Axes kept, Axes summed, float[] src, int srcOff,
                                      float[] dst, int dstOff, boolean accumulate) {
        int run = summed.innermostExtent();
        int[] runOffsets = summed.withoutInnermost().offsets(0);
        parallel.forRange(kept.count(), (long) runOffsets.length * run, (from, to) -> {
            for (int e = from; e < to; e++) {
                int base = srcOff + kept.offset(e, 0);
                FloatVector vacc = FloatVector.zero(S);
                float tail = 0f;
                for (int r : runOffsets) {
                    int s = base + r;
                    int i = 0;
                    for (int bound = S.loopBound(run); i < bound; i += S.length()) {
                        vacc = vacc.add(FloatVector.fromArray(S, src, s + i));
                    }
                    for (; i < run; i++) {
                        tail += src[s + i];
                    }
                }
                float total = LaneSums.sum(vacc) + tail;
                dst[dstOff + e] = accumulate ? dst[dstOff + e] + total : total;
            }
        });
    }

    /** A subset of the coalesced axes with their source strides, outermost first. */
    private record Axes(int[] extents, int[] srcStrides) {

        static Axes select(StridedLayout layout, boolean keptAxes) {
            int rank = layout.rank();
            int[] extents = new int[rank];
            int[] strides = new int[rank];
            int n = 0;
            for (int d = 0; d < rank; d++) {
                boolean kept = layout.strides()[1][d] != 0;
                if (kept == keptAxes) {
                    extents[n] = layout.shape()[d];
                    strides[n] = layout.strides()[0][d];
                    n++;
                }
            }
            return new Axes(Arrays.copyOf(extents, n), Arrays.copyOf(strides, n));
        }

        int count() {
            int c = 1;
            for (int e : extents) {
                c *= e;
            }
            return c;
        }

        int innermostExtent() {
            return extents[extents.length - 1];
        }

        Axes withoutInnermost() {
            int n = Math.max(0, extents.length - 1);
            return new Axes(Arrays.copyOf(extents, n), Arrays.copyOf(srcStrides, n));
        }

        /** Source offset of the {@code index}-th tuple of these axes (row-major), plus {@code base}. */
        int offset(int index, int base) {
            int offset = base;
            for (int d = extents.length - 1; d >= 0; d--) {
                offset += (index % extents[d]) * srcStrides[d];
                index /= extents[d];
            }
            return offset;
        }

        /** Source offsets of every tuple in row-major order: the fixed summation order. */
        int[] offsets(int base) {
            int[] out = new int[count()];
            for (int i = 0; i < out.length; i++) {
                out[i] = offset(i, base);
            }
            return out;
        }
    }
}
