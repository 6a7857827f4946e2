package dev.peft4j.kernels.opencl;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The GEMM kernels' compile-time parameters, named as in CLBlast's xgemm / xgemm_direct.
 *
 * @param mwg    rows of C per work-group (tiled path)
 * @param nwg    columns of C per work-group
 * @param kwg    K depth staged per iteration
 * @param mdimc  threads along M; each owns mwg/mdimc rows
 * @param ndimc  threads along N; each owns nwg/ndimc columns
 * @param vwm    vector width of A loads along M (transposed A)
 * @param vwn    vector width along N (B loads, accumulators, C stores)
 * @param sa     stage A tiles in local memory
 * @param sb     stage B tiles in local memory
 * @param wgd    the direct kernel's square tile
 * @param mdimcd direct kernel threads along M
 * @param ndimcd direct kernel threads along N
 */
public record GemmTunables(int mwg, int nwg, int kwg, int mdimc, int ndimc, int vwm, int vwn, boolean sa, boolean sb,
                           int wgd, int mdimcd, int ndimcd) {

    /** System property that overrides defaults, e.g. {@code -Dpeft4j.opencl.gemm=MWG=128,NWG=64,VWN=4}. */
    public static final String PROPERTY = "peft4j.opencl.gemm";

    /** Defaults for discrete GPUs (CLBlast-like): 64x64 tiles of 16x16 threads, 4x4 outputs each. */
    public static final GemmTunables GPU = new GemmTunables(64, 64, 16, 16, 16, 2, 2, true, true, 16, 8, 8);

    /**
     * Defaults for CPU drivers (PoCL): big per-thread register tiles and few threads, since a CPU
     * "work-item" is a SIMD lane of a loop and local memory is ordinary cache.
     */
    public static final GemmTunables CPU = new GemmTunables(64, 64, 32, 8, 8, 1, 8, true, true, 16, 8, 8);

    public GemmTunables {
        check(mwg % mdimc == 0, "MWG % MDIMC == 0");
        check(nwg % (ndimc * vwn) == 0, "NWG % (NDIMC * VWN) == 0");
        check(mwg % vwm == 0, "MWG % VWM == 0");
        check(isVectorWidth(vwm) && isVectorWidth(vwn), "VWM and VWN in {1, 2, 4, 8}");
        check(kwg > 0 && wgd > 0 && wgd % mdimcd == 0 && wgd % ndimcd == 0, "WGD % MDIMCD == 0 and WGD % NDIMCD == 0");
    }

    private static boolean isVectorWidth(int v) {
        return v == 1 || v == 2 || v == 4 || v == 8;
    }

    private void check(boolean ok, String rule) {
        if (!ok) throw new IllegalArgumentException("invalid GEMM tunables " + this + ": need " + rule);
    }

    /** Fails when the device cannot run these work-group shapes or hold these local tiles. */
    void checkFits(long maxWorkGroupSize, long localMemBytes) {
        if ((long) mdimc * ndimc > maxWorkGroupSize || (long) mdimcd * ndimcd > maxWorkGroupSize) {
            throw new IllegalArgumentException("GEMM tunables " + this + " need work-groups of " + mdimc * ndimc
                    + " and " + mdimcd * ndimcd + " items; the device allows " + maxWorkGroupSize);
        }
        long local = 4L * Math.max((sa ? kwg * mwg : 0) + (sb ? kwg * nwg : 0), 2L * wgd * (wgd + 1));
        if (local > localMemBytes) {
            throw new IllegalArgumentException("GEMM tunables " + this + " need " + local
                    + " bytes of local memory; the device has " + localMemBytes);
        }
    }

    /** The {@code -D} options for the OpenCL compiler. */
    String defines() {
        StringBuilder sb = new StringBuilder();
        asMap().forEach((k, v) -> sb.append(" -D").append(k).append('=').append(v));
        return sb.toString().trim();
    }

    Map<String, Integer> asMap() {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("MWG", mwg);
        m.put("NWG", nwg);
        m.put("KWG", kwg);
        m.put("MDIMC", mdimc);
        m.put("NDIMC", ndimc);
        m.put("VWM", vwm);
        m.put("VWN", vwn);
        m.put("SA", sa ? 1 : 0);
        m.put("SB", sb ? 1 : 0);
        m.put("WGD", wgd);
        m.put("MDIMCD", mdimcd);
        m.put("NDIMCD", ndimcd);
        return m;
    }

    /** These tunables with {@code NAME=value} pairs (comma-separated, CLBlast names) applied on top. */
    public GemmTunables with(String overrides) {
        Map<String, Integer> m = asMap();
        for (String pair : overrides.split(",")) {
            if (pair.isBlank()) continue;
            String[] kv = pair.trim().split("=");
            String key = kv[0].trim().toUpperCase();
            if (kv.length != 2 || !m.containsKey(key)) {
                throw new IllegalArgumentException("bad GEMM tunable '" + pair + "': expected NAME=int with NAME in "
                        + m.keySet());
            }
            m.put(key, Integer.parseInt(kv[1].trim()));
        }
        return new GemmTunables(m.get("MWG"), m.get("NWG"), m.get("KWG"), m.get("MDIMC"), m.get("NDIMC"),
                m.get("VWM"), m.get("VWN"), m.get("SA") != 0, m.get("SB") != 0, m.get("WGD"), m.get("MDIMCD"),
                m.get("NDIMCD"));
    }

    /** Defaults for the device type, then the system property's overrides. */
    static GemmTunables forDevice(OpenClDevice device) {
        GemmTunables base = "CPU".equals(device.type()) ? CPU : GPU;
        String overrides = System.getProperty(PROPERTY, "");
        return overrides.isBlank() ? base : base.with(overrides);
    }
}
