package dev.rill.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.format.proto.Direction;
import dev.rill.format.proto.OutputActivation;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.testing.RandomModels;
import dev.rill.runtime.testing.RandomModels.Options;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link StreamingSession#warmUp} leaves the session as it was: the state after it, and every output after it,
 * are bitwise those of a twin session that was not warmed, for vector and token models, with step threads, and
 * from a fresh or a used session.
 */
class WarmUpTest {

  private static final int X = 6;

  @Test
  void warmUpChangesNeitherStateNorOutputs() {
    RillModel proto = new RandomModels(11).vectorInput(X)
        .lstm(10, Direction.FORWARD, Options.DEFAULT.withPeepholes().withClip(2f))
        .gru(7, Direction.FORWARD, Options.DEFAULT.withLinearBeforeReset())
        .dense(3, OutputActivation.SOFTMAX).build();
    try (Model model = Model.of(proto)) {
      compareWithTwin(model, 200);
    }
  }

  @Test
  void warmUpWithStepThreadsChangesNeitherStateNorOutputs() {
    // H = 512 reaches the threshold of LoadOptions.threads, so the warm-up runs the split step on the workers.
    RillModel proto = new RandomModels(12).scale(0.1f).vectorInput(X).lstm(512, Direction.FORWARD, Options.DEFAULT)
        .build();
    try (Model model = Model.of(proto, LoadOptions.builder().threads(2).build())) {
      compareWithTwin(model, 3);
    }
  }

  @Test
  void tokenModelWarmUpChangesNeitherStateNorOutputs() {
    RillModel proto = new RandomModels(13).tokenInput(9, 4).minimalGru(8, Direction.FORWARD, Options.DEFAULT)
        .rnn(5, Direction.FORWARD, Options.DEFAULT).dense(9, OutputActivation.LOG_SOFTMAX).build();
    try (Model model = Model.of(proto);
        StreamingSession warmed = model.newSession();
        StreamingSession twin = model.newSession()) {
      float[] a = new float[9];
      float[] b = new float[9];
      for (int t = 0; t < 4; t++) {
        warmed.step(t, a);
        twin.step(t, b);
      }
      warmed.warmUp(50); // every token id several times
      assertStatesEqual(twin.snapshot(), warmed.snapshot());
      for (int t = 0; t < 5; t++) {
        warmed.step(8 - t, a);
        twin.step(8 - t, b);
        assertArrayEquals(b, a, "output of step " + t + " after the warm-up");
      }
    }
  }

  @Test
  void warmUpRejectsNegativeStepsAndClosedSessions() {
    RillModel proto = new RandomModels(14).vectorInput(X).rnn(4, Direction.FORWARD, Options.DEFAULT).build();
    try (Model model = Model.of(proto)) {
      StreamingSession session = model.newSession();
      IllegalArgumentException negative = assertThrows(IllegalArgumentException.class, () -> session.warmUp(-1));
      assertEquals("steps must be at least 0, got -1", negative.getMessage());
      session.warmUp(0);
      assertStatesEqual(model.newSession().snapshot(), session.snapshot());
      session.close();
      assertThrows(IllegalStateException.class, () -> session.warmUp(1));
    }
  }

  /** Steps a session and its twin alike, warms one up in the middle, and compares state and outputs. */
  private static void compareWithTwin(Model model, int warmUpSteps) {
    Random random = new Random(5);
    try (StreamingSession warmed = model.newSession(); StreamingSession twin = model.newSession()) {
      float[] a = new float[model.outputSize()];
      float[] b = new float[model.outputSize()];
      warmed.warmUp(warmUpSteps); // on a fresh session: the zero state stays zero
      assertStatesEqual(twin.snapshot(), warmed.snapshot());
      for (int t = 0; t < 3; t++) {
        float[] x = inputs(random);
        warmed.step(x, a);
        twin.step(x, b);
      }
      State before = warmed.snapshot();
      warmed.warmUp(warmUpSteps);
      assertStatesEqual(before, warmed.snapshot());
      assertStatesEqual(twin.snapshot(), warmed.snapshot());
      boolean nonZero = false;
      for (int t = 0; t < 4; t++) {
        float[] x = inputs(random);
        warmed.step(x, a);
        twin.step(x, b);
        assertArrayEquals(b, a, "output of step " + t + " after the warm-up");
        for (float v : a) {
          nonZero |= v != 0f;
        }
      }
      assertTrue(nonZero, "the outputs compared are not all zero");
    }
  }

  private static float[] inputs(Random random) {
    float[] x = new float[X];
    for (int i = 0; i < X; i++) {
      x[i] = random.nextFloat() * 2 - 1;
    }
    return x;
  }

  private static void assertStatesEqual(State expected, State actual) {
    assertEquals(expected.recurrentLayerCount(), actual.recurrentLayerCount());
    for (int layer = 0; layer < expected.recurrentLayerCount(); layer++) {
      assertArrayEquals(expected.hidden(layer), actual.hidden(layer), "h of layer " + layer);
      assertArrayEquals(expected.cell(layer), actual.cell(layer), "c of layer " + layer);
    }
  }
}
