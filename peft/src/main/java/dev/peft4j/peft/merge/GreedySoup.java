package dev.peft4j.peft.merge;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Greedy model soup (Wortsman et al., model-soups main.py): rank the fine-tuned models by their own held-out
 * score, start the soup with the best, then try each next model in rank order and keep it only when the
 * soup's held-out score does not drop. The soup is always the uniform mean of the kept models.
 *
 * <p>The scorer says "higher is better" (an accuracy, or a negated loss); it is called once per model and
 * once per candidate soup.
 */
public final class GreedySoup {

    /** One candidate tried after the first ingredient: which model, the soup's score with it, and the verdict. */
    public record Step(int model, double candidateScore, boolean kept) {
    }

    /**
     * @param soup             the mean of the kept models
     * @param ingredients      indices (into the input list) of the kept models, in the order they joined
     * @param individualScores each input model's own score, by input index
     * @param soupScore        the score of {@code soup}
     * @param steps            every candidate tried after the first ingredient, in order
     */
    public record Result(StateDict soup, List<Integer> ingredients, double[] individualScores, double soupScore,
                         List<Step> steps) {
    }

    private GreedySoup() {
    }

    public static Result cook(List<StateDict> models, ToDoubleFunction<StateDict> score) {
        if (models.isEmpty()) {
            throw new IllegalArgumentException("greedy soup: no models given");
        }
        StateDict.requireSameLayout(models);
        double[] individual = new double[models.size()];
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < models.size(); i++) {
            individual[i] = checked(score.applyAsDouble(models.get(i)), models.get(i).source());
            order.add(i);
        }
        // Stable sort: equal scores keep input order, so the result does not depend on sort internals.
        order.sort(Comparator.comparingDouble((Integer i) -> individual[i]).reversed());

        List<Integer> kept = new ArrayList<>(List.of(order.get(0)));
        StateDict soup = models.get(order.get(0));
        double soupScore = individual[order.get(0)];
        List<Step> steps = new ArrayList<>();
        for (int next : order.subList(1, order.size())) {
            List<Integer> trial = new ArrayList<>(kept);
            trial.add(next);
            StateDict candidate = UniformSoup.average(trial.stream().map(models::get).toList());
            double candidateScore = checked(score.applyAsDouble(candidate), "soup of models " + trial);
            boolean keep = candidateScore >= soupScore;
            steps.add(new Step(next, candidateScore, keep));
            if (keep) {
                kept = trial;
                soup = candidate;
                soupScore = candidateScore;
            }
        }
        return new Result(soup.withSource("greedy-soup" + kept), List.copyOf(kept), individual, soupScore,
                List.copyOf(steps));
    }

    private static double checked(double score, String what) {
        if (Double.isNaN(score)) {
            throw new IllegalArgumentException("greedy soup: the scorer returned NaN for " + what);
        }
        return score;
    }
}
