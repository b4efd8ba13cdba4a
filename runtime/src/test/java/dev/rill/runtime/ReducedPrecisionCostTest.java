package dev.rill.runtime;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.format.ModelReader;
import dev.rill.format.proto.Direction;
import dev.rill.format.proto.OutputActivation;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.testing.RandomModels;
import dev.rill.runtime.testing.RandomModels.Options;
import dev.rill.runtime.testing.SharedFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The accuracy cost of bf16 and int8 weights that the README reports: the largest absolute difference of the
 * outputs from the fp32 outputs of the same model, over 100 steps of inputs in [-1, 1]. The models are the
 * bundled Silero VAD LSTM (trained weights) and random models of the benchmark sizes S and M with PyTorch's
 * default initialisation, uniform in ±1/√H. Each line is printed ("precision-cost ...") for the README, and the
 * bounds below are the ones it documents.
 */
class ReducedPrecisionCostTest {

  private static final int STEPS = 100;
  static final double BF16_BOUND = 2e-2;
  static final double INT8_BOUND = 1e-1;

  static Stream<Arguments> models() throws Exception {
    Stream.Builder<Arguments> models = Stream.builder();
    Path silero = SharedFixtures.repoRoot().resolve("examples/silero_vad_lstm.rill");
    if (Files.isRegularFile(silero)) {
      models.add(Arguments.of("Silero VAD LSTM 128x128", new ModelReader().read(silero)));
    }
    models.add(Arguments.of("LSTM S 64x128", random(64, 128, true)));
    models.add(Arguments.of("GRU S 64x128", random(64, 128, false)));
    models.add(Arguments.of("LSTM M 256x256", random(256, 256, true)));
    models.add(Arguments.of("GRU M 256x256", random(256, 256, false)));
    return models.build();
  }

  private static RillModel random(int inputs, int hidden, boolean lstm) {
    RandomModels m = new RandomModels(hidden * 31L + inputs).scale((float) (1 / Math.sqrt(hidden)))
        .vectorInput(inputs);
    return (lstm ? m.lstm(hidden, Direction.FORWARD)
        : m.gru(hidden, Direction.FORWARD, Options.DEFAULT.withLinearBeforeReset())).build();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void reducedWeightsStayWithinTheDocumentedBound(String name, RillModel proto) {
    int inputs = proto.getIo().getInputSize();
    float[] x = new float[STEPS * inputs];
    Random random = new Random(5);
    for (int i = 0; i < x.length; i++) {
      x[i] = random.nextFloat() * 2 - 1;
    }
    float[] fp32 = run(proto, WeightType.FP32, x);
    double bf16 = largestDifference(fp32, run(proto, WeightType.BF16, x));
    double int8 = largestDifference(fp32, run(proto, WeightType.INT8, x));
    System.out.printf(Locale.ROOT, "precision-cost %-24s bf16 %.2e  int8 %.2e%n", name, bf16, int8);
    assertTrue(bf16 > 0 && bf16 <= BF16_BOUND, name + ": bf16 costs " + bf16);
    assertTrue(int8 > 0 && int8 <= INT8_BOUND, name + ": int8 costs " + int8);
  }

  private static float[] run(RillModel proto, WeightType type, float[] x) {
    try (Model model = Model.of(proto, LoadOptions.builder().weights(type).build())) {
      return model.run(SequenceBatch.ofVectors(x, STEPS, 1)).output();
    }
  }

  private static double largestDifference(float[] a, float[] b) {
    double largest = 0;
    for (int i = 0; i < a.length; i++) {
      largest = Math.max(largest, Math.abs((double) a[i] - b[i]));
    }
    return largest;
  }
}
