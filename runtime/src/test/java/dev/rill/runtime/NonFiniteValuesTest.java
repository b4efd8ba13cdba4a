package dev.rill.runtime;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.format.proto.Direction;
import dev.rill.format.proto.OutputActivation;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.testing.RandomModels;
import dev.rill.runtime.testing.RandomModels.Options;
import org.junit.jupiter.api.Test;

/** NaN and infinite inputs propagate through the arithmetic (they are documented, not rejected) and never throw. */
class NonFiniteValuesTest {

  private static final RillModel MODEL = new RandomModels(5).vectorInput(3)
      .lstm(4, Direction.FORWARD, Options.DEFAULT.withPeepholes())
      .gru(3, Direction.FORWARD, Options.DEFAULT).dense(2, OutputActivation.SOFTMAX).build();

  @Test
  void nanInputPropagatesToOutputAndState() {
    try (Model model = Model.of(MODEL); StreamingSession session = model.newSession()) {
      float[] out = new float[2];
      session.step(new float[] {Float.NaN, 0, 0}, out);
      assertAllNaN(out, "output after a NaN input");
      assertAllNaN(session.snapshot().hidden(0), "LSTM h after a NaN input");
      assertAllNaN(session.snapshot().cell(0), "LSTM c after a NaN input");
      session.step(new float[] {0.5f, 0.5f, 0.5f}, out);
      assertAllNaN(out, "the NaN stays in the state");
      session.reset();
      session.step(new float[] {0.5f, 0.5f, 0.5f}, out);
      assertAllFinite(out, "after reset");
    }
  }

  @Test
  void infiniteInputNeverThrows() {
    try (Model model = Model.of(MODEL); StreamingSession session = model.newSession()) {
      float[] out = new float[2];
      session.step(new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1}, out);
      // With these weights some gate rows sum +Inf and -Inf (NaN); the NaN must reach the output.
      assertAllNaN(out, "output after ±Inf inputs");
    }
  }

  @Test
  void nanInASequencePropagatesOnlyWhereItFlows() {
    try (Model model = Model.of(MODEL)) {
      float[] x = new float[2 * 2 * 3]; // T=2, N=2
      x[3] = Float.NaN; // t=0, sequence 1
      SequenceResult result = model.run(SequenceBatch.ofVectors(x, 2, 2));
      float[] y = result.output();
      assertAllFinite(new float[] {y[0], y[1], y[4], y[5]}, "sequence 0");
      assertAllNaN(new float[] {y[2], y[3], y[6], y[7]}, "sequence 1");
    }
  }

  private static void assertAllNaN(float[] values, String what) {
    for (float v : values) {
      assertTrue(Float.isNaN(v), what + ": expected NaN everywhere, got " + java.util.Arrays.toString(values));
    }
  }

  private static void assertAllFinite(float[] values, String what) {
    for (float v : values) {
      assertTrue(Float.isFinite(v), what + ": expected finite values, got " + java.util.Arrays.toString(values));
    }
  }
}
