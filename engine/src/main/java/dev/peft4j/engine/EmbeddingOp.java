package dev.peft4j.engine;

import dev.peft4j.kernels.Kernels;

import java.util.Arrays;

/** Row lookup {@code out[i] = table[ids[i]]}; backward scatter-adds into the table's gradient. */
final class EmbeddingOp {

    private EmbeddingOp() {
    }

    static Tensor embedding(Tensor table, int[] ids, int[] idsShape) {
        if (table.rank() != 2) {
            throw new IllegalArgumentException("embedding: table must be 2-D [rows, dim], got "
                    + Shapes.str(table.shapeRef()));
        }
        int[] lead = idsShape.length == 0 ? new int[] {ids.length} : idsShape.clone();
        if (Shapes.numel(lead) != ids.length) {
            throw new IllegalArgumentException("embedding: ids shape " + Shapes.str(idsShape) + " holds "
                    + Shapes.numel(lead) + " ids but " + ids.length + " were given");
        }
        int rows = table.dim(0);
        int dim = table.dim(1);
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= rows) {
                throw new IllegalArgumentException("embedding: id " + ids[i] + " at position " + i
                        + " is outside [0, " + rows + ") for table " + Shapes.str(table.shapeRef()));
            }
        }
        int[] saved = ids.clone();
        Tensor tc = table.contiguous();
        int[] outShape = Arrays.copyOf(lead, lead.length + 1);
        outShape[lead.length] = dim;
        Tensor out = table.newZeros(outShape);
        Kernels k = table.kernels();
        k.embedding(tc.buffer(), tc.offset(), rows, dim, saved, out.buffer(), 0);
        return Autograd.recordReading(Autograd.NOTHING, out, "embedding", gy -> {
            if (tc.requiresGrad()) {
                Tensor dt = tc.gradSink();
                k.embeddingBackward(gy.buffer(), gy.offset(), saved, dim, dt.buffer(), dt.offset());
            }
        }, tc);
    }
}
