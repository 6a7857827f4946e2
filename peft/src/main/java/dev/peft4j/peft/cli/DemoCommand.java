package dev.peft4j.peft.cli;

import dev.peft4j.engine.Autograd;
import dev.peft4j.engine.Functional;
import dev.peft4j.engine.Rng;
import dev.peft4j.engine.StepScope;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.Linear;
import dev.peft4j.engine.nn.Module;
import dev.peft4j.engine.optim.AdamW;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;

/**
 * Trains a small two-layer MLP to separate three interleaved spirals and prints the falling loss: a
 * whole forward/backward/AdamW loop of the engine in a few seconds.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Train a tiny MLP on a procedural three-spiral task and print its falling loss.")
final class DemoCommand implements Runnable {

    @Option(names = "--steps", defaultValue = "400", description = "Training steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--hidden", defaultValue = "64", description = "Hidden width (default: ${DEFAULT-VALUE}).")
    int hidden;

    @Option(names = "--lr", defaultValue = "0.01", description = "AdamW learning rate (default: ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--seed", defaultValue = "0", description = "Seed for data and initialisation (default: ${DEFAULT-VALUE}).")
    long seed;

    private static final int CLASSES = 3;
    private static final int POINTS_PER_CLASS = 100;

    /** Two linear layers with a GELU between them. */
    private static final class Mlp extends Module {
        final Linear fc1;
        final Linear fc2;

        Mlp(Kernels k, int hidden, Rng rng) {
            fc1 = registerModule("fc1", new Linear(k, 2, hidden, true, rng));
            fc2 = registerModule("fc2", new Linear(k, hidden, CLASSES, true, rng));
        }

        @Override
        public Tensor forward(Tensor x) {
            return fc2.forward(fc1.forward(x).gelu());
        }
    }

    @Override
    public void run() {
        PrintStream out = System.out;
        try (Kernels k = new CpuKernels()) {
            Rng rng = new Rng(seed);
            int n = CLASSES * POINTS_PER_CLASS;
            float[] points = new float[n * 2];
            int[] labels = new int[n];
            spirals(rng, points, labels);
            Tensor x = Tensor.of(k, points, n, 2);

            Mlp mlp = new Mlp(k, hidden, rng);
            AdamW optimizer = new AdamW(mlp.trainableParameters(), lr);
            out.printf("peft4j demo: MLP 2-%d-%d (%d parameters) on %d spiral points, AdamW lr %s, backend %s%n",
                    hidden, CLASSES, mlp.parameterCount(), n, lr, k.name());
            out.println(" step      loss");
            long start = System.nanoTime();
            for (int step = 0; step <= steps; step++) {
                try (StepScope ignored = StepScope.open()) { // the step's activations are recycled at its end
                    Tensor loss = Functional.crossEntropy(mlp.forward(x), labels);
                    if (step % Math.max(1, steps / 10) == 0) {
                        out.printf("%5d  %8.4f%n", step, loss.item());
                    }
                    if (step == steps) {
                        break;
                    }
                    optimizer.zeroGrad();
                    loss.backward();
                    optimizer.step();
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            out.printf("accuracy %.3f after %d steps in %.2f s%n", accuracy(mlp, x, labels), steps, seconds);
        }
    }

    private static double accuracy(Mlp mlp, Tensor x, int[] labels) {
        float[] logits;
        try (var ignored = Autograd.noGrad()) {
            logits = mlp.forward(x).toArray();
        }
        int correct = 0;
        for (int i = 0; i < labels.length; i++) {
            int best = 0;
            for (int c = 1; c < CLASSES; c++) {
                if (logits[i * CLASSES + c] > logits[i * CLASSES + best]) {
                    best = c;
                }
            }
            correct += best == labels[i] ? 1 : 0;
        }
        return correct / (double) labels.length;
    }

    /** Three arms of an Archimedean spiral, each a class, with a little Gaussian noise. */
    private static void spirals(Rng rng, float[] points, int[] labels) {
        for (int c = 0; c < CLASSES; c++) {
            for (int i = 0; i < POINTS_PER_CLASS; i++) {
                int row = c * POINTS_PER_CLASS + i;
                double radius = i / (double) POINTS_PER_CLASS;
                double angle = c * 2 * Math.PI / CLASSES + radius * 4 + rng.normal(0, 0.2);
                points[2 * row] = (float) (radius * Math.sin(angle));
                points[2 * row + 1] = (float) (radius * Math.cos(angle));
                labels[row] = c;
            }
        }
    }
}
