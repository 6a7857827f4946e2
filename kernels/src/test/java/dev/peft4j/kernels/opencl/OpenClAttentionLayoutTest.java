package dev.peft4j.kernels.opencl;

import static dev.peft4j.kernels.opencl.BackendPair.assertClose;
import static dev.peft4j.kernels.opencl.BackendPair.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.kernels.AttentionLayout;
import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.Kernels;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * OpenCL attention reading q, k, v in place from a fused qkv [B, T, 3C] and writing out where the next
 * projection reads it ([B, T, C]), with dq, dk, dv accumulating into one [B, T, 3C] gradient. The in-place
 * call must give exactly the bits of the contiguous call on the same values packed [bh, t, d] (the kernels run
 * the same sums in the same order; only addresses differ), and agree with the CPU backend's contiguous result.
 */
class OpenClAttentionLayoutTest {

    private static final int B = 2, H = 3, T = 17, D = 8, C = H * D, BH = B * H;
    private static final AttentionLayout QKV = new AttentionLayout(H, T * 3 * C, D, 3 * C);
    private static final AttentionLayout OUT = new AttentionLayout(H, T * C, D, C);
    private static final float SCALE = (float) (1 / Math.sqrt(D));

    @Test
    void fusedQkvMatchesPackedCall() {
        check(new Random(61), false);
    }

    @Test
    void fusedQkvMatchesPackedCallCausal() {
        check(new Random(62), true);
    }

    private static void check(Random rnd, boolean causal) {
        Kernels cl = OpenClTestBackend.get();
        String what = causal ? "causal" : "non-causal";
        float[] qkv = random(rnd, B * T * 3 * C, -1f, 1f);
        float[] dOut = random(rnd, B * T * C, -1f, 1f);
        float[] grad0 = random(rnd, B * T * 3 * C, -1f, 1f);
        float[] outGarbage = random(rnd, B * T * C, -1f, 1f); // out is overwritten, so stale values must vanish

        float[][] fused = BackendPair.run(cl, new float[][]{qkv, outGarbage, new float[BH * T], dOut, grad0},
                (k, b) -> {
                    k.attention(b[0], 0, QKV, b[0], C, QKV, b[0], 2 * C, QKV, BH, T, T, D, D, SCALE, causal,
                            b[1], 0, OUT, b[2], 0);
                    k.attentionBackward(b[0], 0, QKV, b[0], C, QKV, b[0], 2 * C, QKV, b[1], 0, OUT, b[2], 0,
                            b[3], 0, OUT, BH, T, T, D, D, SCALE, causal, b[4], 0, b[4], C, b[4], 2 * C);
                });
        assertArrayEquals(qkv, fused[0], what + ": qkv is only read");
        assertArrayEquals(dOut, fused[3], what + ": dOut is only read");

        float[][] packed = {pack(qkv, QKV, 0, T), pack(qkv, QKV, C, T), pack(qkv, QKV, 2 * C, T),
            new float[BH * T * D], new float[BH * T], pack(dOut, OUT, 0, T),
            pack(grad0, QKV, 0, T), pack(grad0, QKV, C, T), pack(grad0, QKV, 2 * C, T)};
        BackendPair.Op contiguous = (k, b) -> {
            k.attention(b[0], 0, b[1], 0, b[2], 0, BH, T, T, D, D, SCALE, causal, b[3], 0, b[4], 0);
            k.attentionBackward(b[0], 0, b[1], 0, b[2], 0, b[3], 0, b[4], 0, b[5], 0, BH, T, T, D, D, SCALE, causal,
                    b[6], 0, b[7], 0, b[8], 0);
        };
        float[][] clPacked = BackendPair.run(cl, packed, contiguous);
        float[][] cpuPacked = BackendPair.run(BackendPair.CPU, packed, contiguous);

        float[][] fusedPacked = {pack(fused[1], OUT, 0, T), fused[2], pack(fused[4], QKV, 0, T),
            pack(fused[4], QKV, C, T), pack(fused[4], QKV, 2 * C, T)};
        int[] contiguousIndex = {3, 4, 6, 7, 8};
        String[] names = {"out", "lse", "dq", "dk", "dv"};
        for (int x = 0; x < names.length; x++) {
            float[] expected = clPacked[contiguousIndex[x]];
            assertArrayEquals(expected, fusedPacked[x], what + ": in-place " + names[x] + " vs contiguous OpenCL");
            assertClose(what + ": in-place " + names[x] + " vs contiguous CPU", 1e-5, 1e-5,
                    cpuPacked[contiguousIndex[x]], fusedPacked[x]);
        }
        // The gradient actually moved: a kernel that wrote nothing would pass the comparisons only if both did.
        assertTrue(!Arrays.equals(grad0, fused[4]), what + ": gradient unchanged");
    }

    @Test
    void rangeChecksNameTheOperand() {
        Kernels cl = OpenClTestBackend.get();
        try (Buffer qkv = cl.allocate(B * T * 3 * C); Buffer out = cl.allocate(B * T * C);
             Buffer lse = cl.allocate(BH * T)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> cl.attention(qkv, 0, QKV, qkv, C, QKV, qkv, 2 * C + 1, QKV, BH, T, T, D, D, SCALE, true,
                            out, 0, OUT, lse, 0));
            assertTrue(e.getMessage().contains("attention: v range"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> cl.attention(qkv, 0, QKV, qkv, C, QKV, qkv, 2 * C, QKV, BH, T, T, D, D, SCALE, true,
                            out, 0, QKV, lse, 0));
            assertTrue(e.getMessage().contains("attention: out range"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> cl.attentionBackward(qkv, 0, QKV, qkv, C, QKV, qkv, 2 * C, QKV, out, 0, OUT, lse, 0,
                            out, 0, OUT, BH, T, T, D, D, SCALE, true, qkv, 0, qkv, C, out, 2 * C));
            assertTrue(e.getMessage().contains("attentionBackward: dv"), e.getMessage());
        }
    }

    /** Heads-major copy [bh, rows, D] of the rows {@code layout} puts at {@code off} in {@code src}. */
    private static float[] pack(float[] src, AttentionLayout layout, int off, int rows) {
        float[] dst = new float[BH * rows * D];
        for (int b = 0; b < BH; b++) {
            for (int t = 0; t < rows; t++) {
                System.arraycopy(src, off + layout.rowStart(b, t), dst, (b * rows + t) * D, D);
            }
        }
        return dst;
    }
}
