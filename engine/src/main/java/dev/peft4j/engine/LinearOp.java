package dev.peft4j.engine;

import dev.peft4j.kernels.Binary;
import dev.peft4j.kernels.GemmEpilogue;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.Unary;

/**
 * {@code y = x · Wᵀ + b} for x [..., in], W [out, in], b [out], with optional parts fused into the GEMM's
 * store ({@link GemmEpilogue}) so none costs a pass over y: a low-rank update {@code + u · Vᵀ} (u [..., r],
 * V [out, r]: LoRA's {@code B(s·A x)} with V = lora_B), a per-output scale and shift {@code y·s + t} ((IA)³,
 * SSF) and an activation {@code f(y)}. The bias is added in the same store. Backward: dY is first taken
 * through f' at the kept pre-activation and multiplied by s; then dX = dY·W (if x requires grad), dW += dYᵀ·X
 * (if W does), db += column sums of dY (if b does), du += dY·V and dV += dYᵀ·u, dt += column sums of the
 * incoming gradient. A trainable s is refused: its gradient needs the pre-scale output, which the fused op
 * never holds. A frozen W costs no GEMM and keeps no activation.
 */
final class LinearOp {

    private LinearOp() {
    }

    /** The parts fused after the product; any may be null. */
    record Extras(Tensor u, Tensor v, Tensor scale, Tensor shift, Unary act) {
        static final Extras NONE = new Extras(null, null, null, null, null);
    }

    static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        return linear(x, weight, bias, Extras.NONE);
    }

    /**
     * @param e low-rank pair u [..., r] (same leading shape as x) and v [out, r]; scale and shift [out];
     *          an activation applied last
     */
    static Tensor linear(Tensor x, Tensor weight, Tensor bias, Extras e) {
        Tensor u = e.u();
        Tensor v = e.v();
        Unary act = e.act();
        x.requireSameBackend("linear", weight);
        int[] xs = x.shapeRef();
        int[] ws = weight.shapeRef();
        if (ws.length != 2) {
            throw new IllegalArgumentException("linear: weight must be 2-D [out, in], got " + Shapes.str(ws));
        }
        if (xs.length == 0 || xs[xs.length - 1] != ws[1]) {
            throw new IllegalArgumentException("linear: input features differ from weight [out, in]: x "
                    + Shapes.str(xs) + ", weight " + Shapes.str(ws));
        }
        int outF = ws[0];
        int inF = ws[1];
        if (bias != null) {
            x.requireSameBackend("linear", bias);
            if (bias.rank() != 1 || bias.dim(0) != outF) {
                throw new IllegalArgumentException("linear: bias " + Shapes.str(bias.shapeRef())
                        + " does not match weight " + Shapes.str(ws) + " (expected [" + outF + "])");
            }
        }
        Tensor xc = x.contiguous();
        int rows = inF == 0 ? 0 : xc.numel() / inF;
        int rank = checkLowRank(x, u, v, outF, rows);
        Tensor scale = columns("scale", x, e.scale(), outF);
        Tensor shift = columns("shift", x, e.shift(), outF);
        if (scale != null && scale.requiresGrad() && Autograd.isGradEnabled()) {
            throw new IllegalArgumentException("linear: a fused output scale " + Shapes.str(scale.shapeRef())
                    + " cannot take a gradient (the pre-scale output is never held); use linear(...).mul(scale)");
        }
        Tensor w = MatrixLayout.of(weight) == null ? weight.contiguous() : weight;
        MatrixLayout lw = MatrixLayout.of(w);
        Tensor bc = bias == null ? null : bias.contiguous();
        Tensor uc = u == null ? null : u.contiguous();
        Tensor vc = v == null ? null : v.contiguous();
        int[] outShape = x.shape();
        outShape[outShape.length - 1] = outF;
        // Without a backward to feed, an activation goes in place: no pre-activation tensor is kept.
        boolean keepPreActivation = act != null && Autograd.needsRecording(xc, w, bc, uc, vc, shift);
        Tensor y = x.newZeros(outShape); // the output, or the pre-activation when it is kept
        Tensor out = keepPreActivation ? x.newZeros(outShape) : y;
        GemmEpilogue.Builder epilogue = GemmEpilogue.builder();
        if (bc != null) {
            epilogue.bias(bc.buffer(), bc.offset());
        }
        if (uc != null) {
            epilogue.lowRank(1f, rank, uc.buffer(), uc.offset(), rank, vc.buffer(), vc.offset(), rank);
        }
        if (scale != null) {
            epilogue.colScale(scale.buffer(), scale.offset());
        }
        if (shift != null) {
            epilogue.colShift(shift.buffer(), shift.offset());
        }
        if (keepPreActivation) {
            epilogue.activation(act, out.buffer(), 0, outF);
        } else if (act != null) {
            epilogue.activationInPlace(act);
        }
        Kernels k = x.kernels();
        // op(B) must be Wᵀ: a row-major W is read transposed; a transposed view of a row-major matrix is not.
        k.gemm(false, !lw.trans(), rows, outF, inF, 1f, xc.buffer(), xc.offset(), inF,
                w.buffer(), w.offset(), lw.ld(), 0f, y.buffer(), 0, outF, epilogue.build());

        // Targets are autograd slots (gradient only); the data kept is saved*, and only when needed.
        GradSlot targetX = xc.requiresGrad() ? xc.slot() : null;
        GradSlot targetW = w.requiresGrad() ? w.slot() : null;
        // W = M.t() recorded on a [in, out] matrix M (Conv1D's weight): dW goes straight into M's gradient
        // as Xᵀ·dY, so the transpose's backward (a strided copy of the whole matrix) never runs.
        GradSlot targetWt = targetW != null ? transposedSource(w) : null;
        GradSlot targetB = bc != null && bc.requiresGrad() ? bc.slot() : null;
        GradSlot targetU = uc != null && uc.requiresGrad() ? uc.slot() : null;
        GradSlot targetV = vc != null && vc.requiresGrad() ? vc.slot() : null;
        GradSlot targetShift = shift != null && shift.requiresGrad() ? shift.slot() : null;
        Tensor savedX = targetW != null ? xc : null;
        Tensor savedW = targetX != null ? w : null;
        Tensor savedU = targetV != null ? uc : null;
        Tensor savedV = targetU != null ? vc : null;
        Tensor preActivation = keepPreActivation ? y : null;
        if (preActivation != null) {
            StepScope.ownSaved(preActivation.buffer());
        }
        // Neither x (unless W trains), the bias, the shift nor the output: a frozen layer's input can go early.
        Tensor[] read = {savedX, savedW, savedU, savedV, scale};
        String name = act == null ? "linear" : "linear_" + act.name().toLowerCase();
        return Autograd.recordReading(read, out, name, gOut -> {
            Tensor gy = gOut;
            Tensor activated = null; // temporaries this rule owns, closed (recycled) at its end
            Tensor scaled = null;
            if (preActivation != null) {
                activated = gOut.newZeros(outShape);
                k.unaryBackward(act, preActivation.buffer(), 0, gOut.buffer(), gOut.offset(), activated.buffer(), 0,
                        rows * outF);
                gy = activated;
            }
            if (targetShift != null) {
                Tensor dt = targetShift.gradSink();
                k.sumTo(new int[] {rows, outF}, gy.buffer(), gy.offset(), new int[] {1, outF},
                        dt.buffer(), dt.offset(), true);
            }
            if (scale != null) {
                scaled = gy.newZeros(outShape);
                k.broadcastBinary(Binary.MUL, new int[] {rows, outF}, gy.buffer(), gy.offset(), new int[] {outF, 1},
                        scale.buffer(), scale.offset(), new int[] {0, 1}, scaled.buffer(), 0);
                gy = scaled;
            }
            if (targetX != null) {
                Tensor dx = targetX.gradSink();
                k.gemm(false, lw.trans(), rows, inF, outF, 1f, gy.buffer(), gy.offset(), outF,
                        savedW.buffer(), savedW.offset(), lw.ld(), 1f, dx.buffer(), dx.offset(), inF);
            }
            if (targetWt != null) {
                Tensor dm = targetWt.gradSink();
                k.gemm(true, false, inF, outF, rows, 1f, savedX.buffer(), savedX.offset(), inF,
                        gy.buffer(), gy.offset(), outF, 1f, dm.buffer(), dm.offset(), outF);
            } else if (targetW != null) {
                Tensor dw = targetW.gradSink();
                k.gemm(true, false, outF, inF, rows, 1f, gy.buffer(), gy.offset(), outF,
                        savedX.buffer(), savedX.offset(), inF, 1f, dw.buffer(), dw.offset(), inF);
            }
            if (targetB != null) {
                Tensor db = targetB.gradSink();
                k.sumTo(new int[] {rows, outF}, gy.buffer(), gy.offset(), new int[] {1, outF},
                        db.buffer(), db.offset(), true);
            }
            if (targetU != null) {
                Tensor du = targetU.gradSink();
                k.gemm(false, false, rows, rank, outF, 1f, gy.buffer(), gy.offset(), outF,
                        savedV.buffer(), savedV.offset(), rank, 1f, du.buffer(), du.offset(), rank);
            }
            if (targetV != null) {
                Tensor dv = targetV.gradSink();
                k.gemm(true, false, outF, rank, rows, 1f, gy.buffer(), gy.offset(), outF,
                        savedU.buffer(), savedU.offset(), rank, 1f, dv.buffer(), dv.offset(), rank);
            }
            for (Tensor t : new Tensor[] {activated, scaled}) {
                if (t != null) {
                    t.buffer().close();
                }
            }
        }, xc, w, bc, uc, vc, shift);
    }

    /** A contiguous [out] vector for a per-column part, or null. */
    private static Tensor columns(String part, Tensor x, Tensor t, int outF) {
        if (t == null) {
            return null;
        }
        x.requireSameBackend("linear", t);
        if (t.rank() != 1 || t.dim(0) != outF) {
            throw new IllegalArgumentException("linear: fused output " + part + " " + Shapes.str(t.shapeRef())
                    + " must be [" + outF + "]");
        }
        return t.contiguous();
    }

    /** The rank r of a low-rank pair u [..., r] / v [out, r] (0 when both are null); throws on a mismatch. */
    private static int checkLowRank(Tensor x, Tensor u, Tensor v, int outF, int rows) {
        if (u == null && v == null) {
            return 0;
        }
        if (u == null || v == null) {
            throw new IllegalArgumentException("linear: a low-rank update needs both u and v, got "
                    + (u == null ? "v only" : "u only"));
        }
        x.requireSameBackend("linear", u);
        x.requireSameBackend("linear", v);
        int[] us = u.shapeRef();
        int[] vs = v.shapeRef();
        int rank = vs.length == 2 ? vs[1] : -1;
        if (vs.length != 2 || vs[0] != outF || rank == 0 || us.length != x.rank() || us[us.length - 1] != rank
                || u.numel() / rank != rows) {
            throw new IllegalArgumentException("linear: low-rank update needs u [..., r] with x's leading shape and"
                    + " v [" + outF + ", r], got x " + Shapes.str(x.shapeRef()) + ", u " + Shapes.str(us) + ", v "
                    + Shapes.str(vs));
        }
        for (int i = 0; i < us.length - 1; i++) {
            if (us[i] != x.shapeRef()[i]) {
                throw new IllegalArgumentException("linear: low-rank u " + Shapes.str(us)
                        + " does not share x's leading shape " + Shapes.str(x.shapeRef()));
            }
        }
        return rank;
    }

    /** The slot of M when {@code w} is a recorded transpose of a 2-D M that requires grad; else null. */
    private static GradSlot transposedSource(Tensor w) {
        Node node = w.gradFn();
        if (node == null || !"transpose".equals(node.op()) || node.inputs().length != 1 || w.rank() != 2) {
            return null;
        }
        GradSlot m = node.inputs()[0];
        int[] ms = m.shapeRef();
        return ms.length == 2 && ms[0] == w.dim(1) && ms[1] == w.dim(0) ? m : null;
    }
}
