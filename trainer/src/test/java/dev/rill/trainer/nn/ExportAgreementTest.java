package dev.rill.trainer.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.format.proto.RillModel;
import dev.rill.runtime.Model;
import dev.rill.runtime.SequenceBatch;
import dev.rill.runtime.SequenceResult;
import dev.rill.trainer.nn.NetworkSpec.InputKind;
import dev.rill.trainer.tensor.Activation;
import dev.rill.trainer.tensor.Matrix;
import dev.rill.trainer.tensor.Ops;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The runtime, given the exported model, computes what the trainer's own single-precision forward pass computes,
 * to 1e-5, for every cell kind and option, over two consecutive windows (the second starts from the state the
 * first carried).
 */
class ExportAgreementTest {
  private static final int V = 11;
  private static final int STEPS = 6;
  private static final int STREAMS = 3;

  static Stream<Arguments> networks() {
    return Stream.of(
        Arguments.of("lstm", spec(InputKind.EMBEDDING, CellKind.LSTM, 2, false, false, Activation.TANH, Loss.SOFTMAX_CROSS_ENTROPY)),
        Arguments.of("lstm with peepholes, one-hot", spec(InputKind.ONE_HOT, CellKind.LSTM, 1, false, true, Activation.TANH,
            Loss.SOFTMAX_CROSS_ENTROPY)),
        Arguments.of("gru", spec(InputKind.EMBEDDING, CellKind.GRU, 2, false, false, Activation.TANH, Loss.SOFTMAX_CROSS_ENTROPY)),
        Arguments.of("gru linear before reset", spec(InputKind.EMBEDDING, CellKind.GRU_LINEAR_BEFORE_RESET, 1, false, false,
            Activation.TANH, Loss.SOFTMAX_CROSS_ENTROPY)),
        Arguments.of("minimal gru", spec(InputKind.VECTOR, CellKind.MINIMAL_GRU, 2, false, false, Activation.TANH,
            Loss.MEAN_SQUARED_ERROR)),
        Arguments.of("rnn tanh", spec(InputKind.ONE_HOT, CellKind.RNN, 1, false, false, Activation.TANH, Loss.SOFTMAX_CROSS_ENTROPY)),
        Arguments.of("rnn relu", spec(InputKind.VECTOR, CellKind.RNN, 2, false, false, Activation.RELU,
            Loss.SIGMOID_BINARY_CROSS_ENTROPY)),
        Arguments.of("bidirectional lstm with peepholes", spec(InputKind.VECTOR, CellKind.LSTM, 2, true, true, Activation.TANH,
            Loss.MEAN_SQUARED_ERROR)),
        Arguments.of("bidirectional gru", spec(InputKind.EMBEDDING, CellKind.GRU, 1, true, false, Activation.TANH,
            Loss.SOFTMAX_CROSS_ENTROPY)),
        Arguments.of("bidirectional minimal gru", spec(InputKind.VECTOR, CellKind.MINIMAL_GRU, 1, true, false, Activation.TANH,
            Loss.SIGMOID_BINARY_CROSS_ENTROPY)),
        Arguments.of("bidirectional rnn relu", spec(InputKind.EMBEDDING, CellKind.RNN, 1, true, false, Activation.RELU,
            Loss.SOFTMAX_CROSS_ENTROPY)));
  }

  private static NetworkSpec spec(InputKind input, CellKind cell, int layers, boolean bidirectional, boolean peepholes,
      Activation rnn, Loss loss) {
    return new NetworkSpec(input, input == InputKind.VECTOR ? 9 : V, input == InputKind.EMBEDDING ? 8 : 0, cell, 16, layers,
        bidirectional, peepholes, rnn, 0.25, loss == Loss.SOFTMAX_CROSS_ENTROPY ? V : 4, loss, false);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void runtimeComputesWhatTheTrainerComputes(String name, NetworkSpec spec) {
    Network net = new Network(spec, Ops.floats(), 3);
    RillModel exported = net.export(spec.takesTokens() ? vocabulary(spec.inputSize()) : null, Map.of("source", "test"));
    SplittableRandom random = new SplittableRandom(8);
    int windows = spec.bidirectional() ? 1 : 2;
    int rows = STEPS * STREAMS;
    int[] ids = random.ints((long) rows * windows, 0, spec.inputSize()).toArray();
    float[] vectors = new float[rows * windows * spec.inputSize()];
    for (int i = 0; i < vectors.length; i++) {
      vectors[i] = (float) random.nextDouble(-2, 2);
    }
    try (Model model = Model.of(exported)) {
      SequenceBatch batch = spec.takesTokens() ? SequenceBatch.ofTokens(ids, STEPS * windows, STREAMS)
          : SequenceBatch.ofVectors(vectors, STEPS * windows, STREAMS);
      SequenceResult result = model.run(batch);
      float[] runtime = result.output();
      double worst = 0;
      for (int w = 0; w < windows; w++) {
        if (spec.takesTokens()) {
          net.forward(java.util.Arrays.copyOfRange(ids, w * rows, (w + 1) * rows), STEPS, STREAMS, null, null);
        } else {
          int width = rows * spec.inputSize();
          net.forward(java.util.Arrays.copyOfRange(vectors, w * width, (w + 1) * width), STEPS, STREAMS, null, null);
        }
        Matrix z = net.logits();
        for (int row = 0; row < rows; row++) {
          double[] expected = activate(spec.loss(), z, row);
          for (int j = 0; j < expected.length; j++) {
            float actual = runtime[(w * rows + row) * spec.outputs() + j];
            worst = Math.max(worst, Math.abs(actual - expected[j]));
          }
        }
      }
      assertEquals(spec.outputs(), model.outputSize());
      assertTrue(worst <= 1e-5, name + ": the runtime differs from the trainer by " + worst);
    }
  }

  /** The exported head's activation applied to the trainer's outputs, in double precision. */
  private static double[] activate(Loss loss, Matrix z, int row) {
    double[] out = new double[z.cols()];
    for (int j = 0; j < out.length; j++) {
      out[j] = z.get(row, j);
    }
    switch (loss) {
      case SOFTMAX_CROSS_ENTROPY -> {
        double max = java.util.Arrays.stream(out).max().orElseThrow();
        double sum = 0;
        for (int j = 0; j < out.length; j++) {
          out[j] = Math.exp(out[j] - max);
          sum += out[j];
        }
        for (int j = 0; j < out.length; j++) {
          out[j] /= sum;
        }
      }
      case SIGMOID_BINARY_CROSS_ENTROPY -> {
        for (int j = 0; j < out.length; j++) {
          out[j] = 1 / (1 + Math.exp(-out[j]));
        }
      }
      case MEAN_SQUARED_ERROR -> { }
    }
    return out;
  }

  private static java.util.List<String> vocabulary(int n) {
    return java.util.stream.IntStream.range(0, n).mapToObj(i -> Character.toString('a' + i)).toList();
  }
}
