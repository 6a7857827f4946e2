package dev.peft4j.peft.train;

import dev.peft4j.engine.json.Json;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The bookkeeping a checkpoint saves besides tensors: updates done, the data position, the losses so far,
 * the dev history and early-stopping counters, and a fingerprint of the run's settings (a resume under
 * other settings would not reproduce the run, so it is refused).
 */
public final class TrainerState {

    int step;
    int epoch;
    int position;
    final List<Float> losses = new ArrayList<>();
    final List<DevPoint> dev = new ArrayList<>();
    int bestIndex = -1;
    int evalsSinceBest;
    int[] optimizerSteps = new int[0];
    String fingerprint = "";

    public int step() {
        return step;
    }

    public List<Float> losses() {
        return List.copyOf(losses);
    }

    public List<DevPoint> dev() {
        return List.copyOf(dev);
    }

    /** The best dev point so far, or null. */
    public DevPoint best() {
        return bestIndex < 0 ? null : dev.get(bestIndex);
    }

    Map<String, Object> toJson() {
        Map<String, Object> o = Json.newObject();
        o.put("step", (long) step);
        o.put("epoch", (long) epoch);
        o.put("position", (long) position);
        List<Object> l = Json.newArray();
        // Floats widen to doubles exactly and the writer prints a round-tripping decimal.
        losses.forEach(x -> l.add((double) x));
        o.put("losses", l);
        List<Object> d = Json.newArray();
        for (DevPoint p : dev) {
            Map<String, Object> e = Json.newObject();
            e.put("step", (long) p.step());
            e.put("loss", p.loss());
            e.put("accuracy", Double.isNaN(p.accuracy()) ? null : p.accuracy());
            d.add(e);
        }
        o.put("dev", d);
        o.put("best_index", (long) bestIndex);
        o.put("evals_since_best", (long) evalsSinceBest);
        List<Object> s = Json.newArray();
        for (int x : optimizerSteps) {
            s.add((long) x);
        }
        o.put("optimizer_steps", s);
        o.put("fingerprint", fingerprint);
        return o;
    }

    static TrainerState fromJson(Map<String, Object> o, String source) {
        TrainerState t = new TrainerState();
        t.step = toInt(o, "step", source);
        t.epoch = toInt(o, "epoch", source);
        t.position = toInt(o, "position", source);
        for (Object x : Json.array(Json.require(o, "losses", source), source + " losses")) {
            t.losses.add((float) Json.number(x, source + " losses"));
        }
        for (Object x : Json.array(Json.require(o, "dev", source), source + " dev")) {
            Map<String, Object> e = Json.object(x, source + " dev");
            Object acc = e.get("accuracy");
            t.dev.add(new DevPoint(toInt(e, "step", source), Json.number(Json.require(e, "loss", source), source),
                    acc == null ? Double.NaN : Json.number(acc, source + " dev accuracy")));
        }
        t.bestIndex = toInt(o, "best_index", source);
        t.evalsSinceBest = toInt(o, "evals_since_best", source);
        List<Object> s = Json.array(Json.require(o, "optimizer_steps", source), source + " optimizer_steps");
        t.optimizerSteps = new int[s.size()];
        for (int i = 0; i < s.size(); i++) {
            t.optimizerSteps[i] = Math.toIntExact(Json.integer(s.get(i), source + " optimizer_steps"));
        }
        t.fingerprint = Json.string(Json.require(o, "fingerprint", source), source + " fingerprint");
        if (t.losses.size() != t.step) {
            throw new IllegalArgumentException(source + ": " + t.losses.size() + " losses for step " + t.step);
        }
        return t;
    }

    private static int toInt(Map<String, Object> o, String key, String source) {
        return Math.toIntExact(Json.integer(Json.require(o, key, source), source + " " + key));
    }
}
