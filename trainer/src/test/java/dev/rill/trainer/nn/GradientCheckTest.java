package dev.rill.trainer.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.trainer.nn.NetworkSpec.InputKind;
import dev.rill.trainer.tensor.Activation;
import dev.rill.trainer.tensor.Matrix;
import dev.rill.trainer.tensor.Ops;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Backpropagation against centred differences, in double precision: for every cell kind and option, every
 * input kind, every loss, stacked and bidirectional layers and dropout, each checked element's analytic
 * gradient a has a relative error of at most 1e-6 from the numeric one n, |a − n| / max(|a|, |n|, 1e-6) (the
 * floor keeps gradients under 1e-6, whose differences are rounding, to an absolute 1e-12).
 */
class GradientCheckTest {
  private static final int V = 7;
  private static final int STEPS = 4;
  private static final int STREAMS = 3;
  private static final double EPS = 1e-3;
  private static final double TOLERANCE = 1e-6;

  static Stream<Arguments> networks() {
    return Stream.of(
        Arguments.of("lstm, embedding, 2 layers, dropout", spec(InputKind.EMBEDDING, CellKind.LSTM, 2, false, false, Activation.TANH, 0.3,
            Loss.SOFTMAX_CROSS_ENTROPY, false)),
        Arguments.of("lstm with peepholes, one-hot", spec(InputKind.ONE_HOT, CellKind.LSTM, 1, false, true, Activation.TANH, 0,
            Loss.SOFTMAX_CROSS_ENTROPY, false)),
        Arguments.of("gru, reset before the product", spec(InputKind.EMBEDDING, CellKind.GRU, 2, false, false, Activation.TANH, 0,
            Loss.SOFTMAX_CROSS_ENTROPY, false)),
        Arguments.of("gru, linear before reset", spec(InputKind.EMBEDDING, CellKind.GRU_LINEAR_BEFORE_RESET, 2, false, false,
            Activation.TANH, 0, Loss.SOFTMAX_CROSS_ENTROPY, false)),
        Arguments.of("minimal gru", spec(InputKind.ONE_HOT, CellKind.MINIMAL_GRU, 2, false, false, Activation.TANH, 0,
            Loss.SOFTMAX_CROSS_ENTROPY, false)),
        Arguments.of("rnn tanh", spec(InputKind.EMBEDDING, CellKind.RNN, 2, false, false, Activation.TANH, 0,
            Loss.SOFTMAX_CROSS_ENTROPY, false)),
        Arguments.of("rnn relu", spec(InputKind.VECTOR, CellKind.RNN, 1, false, false, Activation.RELU, 0,
            Loss.MEAN_SQUARED_ERROR, false)),
        Arguments.of("bidirectional lstm, many-to-one classification", spec(InputKind.VECTOR, CellKind.LSTM, 2, true, true,
            Activation.TANH, 0.2, Loss.SOFTMAX_CROSS_ENTROPY, true)),
        Arguments.of("bidirectional gru, sequence regression", spec(InputKind.VECTOR, CellKind.GRU, 1, true, false,
            Activation.TANH, 0, Loss.MEAN_SQUARED_ERROR, false)),
        Arguments.of("bidirectional linear-before-reset gru, binary", spec(InputKind.VECTOR, CellKind.GRU_LINEAR_BEFORE_RESET, 1,
            true, false, Activation.TANH, 0, Loss.SIGMOID_BINARY_CROSS_ENTROPY, true)),
        Arguments.of("minimal gru, binary at every step", spec(InputKind.VECTOR, CellKind.MINIMAL_GRU, 1, true, false,
            Activation.TANH, 0, Loss.SIGMOID_BINARY_CROSS_ENTROPY, false)),
        Arguments.of("rnn relu, bidirectional, embedding", spec(InputKind.EMBEDDING, CellKind.RNN, 2, true, false, Activation.RELU,
            0, Loss.SOFTMAX_CROSS_ENTROPY, false)));
  }

  private static NetworkSpec spec(InputKind input, CellKind cell, int layers, boolean bidirectional, boolean peepholes,
      Activation rnn, double dropout, Loss loss, boolean lastStepOnly) {
    int outputs = loss == Loss.SOFTMAX_CROSS_ENTROPY ? V : 3;
    return new NetworkSpec(input, input == InputKind.VECTOR ? 5 : V, input == InputKind.EMBEDDING ? 5 : 0, cell, 6, layers,
        bidirectional, peepholes, rnn, dropout, outputs, loss, lastStepOnly);
  }

  /**
   * The five-point centred difference of the loss in one element: truncation error O(h⁴), so h can be large
   * enough to keep the rounding error of the loss differences far below the tolerance.
   */
  private static double numeric(Matrix value, int i, int j, double h, java.util.function.DoubleSupplier loss) {
    double original = value.get(i, j);
    double[] offsets = {-2 * h, -h, h, 2 * h};
    double[] at = new double[4];
    for (int o = 0; o < 4; o++) {
      value.set(i, j, original + offsets[o]);
      at[o] = loss.getAsDouble();
    }
    value.set(i, j, original);
    return (8 * (at[2] - at[1]) - (at[3] - at[0])) / (12 * h);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void analyticGradientsMatchCentredDifferences(String name, NetworkSpec spec) {
    Network net = new Network(spec, Ops.doubles(), 11);
    SplittableRandom random = new SplittableRandom(5);
    int rows = STEPS * STREAMS;
    int[] ids = random.ints(rows, 0, V).toArray();
    float[] vectors = new float[rows * spec.inputSize()];
    for (int i = 0; i < vectors.length; i++) {
      vectors[i] = (float) random.nextDouble(-1, 1);
    }
    int targetRows = spec.lastStepOnly() ? STREAMS : rows;
    Targets targets;
    if (spec.loss() == Loss.SOFTMAX_CROSS_ENTROPY) {
      targets = Targets.ofClasses(random.ints(targetRows, 0, spec.outputs()).toArray());
    } else {
      float[] values = new float[targetRows * spec.outputs()];
      for (int i = 0; i < values.length; i++) {
        values[i] = (float) (spec.loss() == Loss.MEAN_SQUARED_ERROR ? random.nextDouble(-1, 1) : random.nextDouble());
      }
      targets = Targets.ofValues(values);
    }
    Long dropoutSeed = spec.dropout() > 0 ? 99L : null;
    java.util.function.DoubleSupplier loss = () -> {
      net.resetState();
      return spec.takesTokens() ? net.forward(ids, STEPS, STREAMS, targets, dropoutSeed)
          : net.forward(vectors, STEPS, STREAMS, targets, dropoutSeed);
    };

    net.zeroGradients();
    loss.getAsDouble();
    net.backward();

    // A relu network is smooth only between its kinks: a smaller step crosses fewer of them.
    boolean relu = spec.cell() == CellKind.RNN && spec.rnnActivation() == Activation.RELU;
    double eps = relu ? EPS / 10 : EPS;
    int checked = 0;
    int kinks = 0;
    double worst = 0;
    String worstAt = "";
    for (Param p : net.params()) {
      Matrix value = p.value();
      int n = value.size();
      int samples = Math.min(n, 12);
      for (int s = 0; s < samples; s++) {
        int k = samples == n ? s : random.nextInt(n);
        int i = k / value.cols();
        int j = k % value.cols();
        double original = value.get(i, j);
        double numeric = numeric(value, i, j, eps, loss);
        double half = numeric(value, i, j, eps / 2, loss);
        if (Math.abs(numeric - half) > TOLERANCE * Math.max(Math.max(Math.abs(numeric), Math.abs(half)), 1e-6)) {
          kinks++;  // the loss is not smooth within ±2·eps: a relu crossed zero, and no difference estimates the slope
          continue;
        }
        double analytic = p.grad().get(i, j);
        double error = Math.abs(analytic - numeric) / Math.max(Math.max(Math.abs(analytic), Math.abs(numeric)), 1e-6);
        checked++;
        if (error > worst) {
          worst = error;
          worstAt = p.name() + "[" + i + ", " + j + "]: analytic " + analytic + ", numeric " + numeric;
        }
      }
    }
    assertTrue(relu ? kinks * 10 <= checked : kinks == 0, kinks + " elements where the loss is not smooth, of " + checked);
    assertTrue(checked > 50, "checked only " + checked + " elements");
    assertTrue(worst <= TOLERANCE, name + ": relative error " + worst + " at " + worstAt);
  }
}
