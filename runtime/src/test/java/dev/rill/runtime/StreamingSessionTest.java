package dev.rill.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.format.proto.Direction;
import dev.rill.format.proto.OutputActivation;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.testing.RandomModels;
import dev.rill.runtime.testing.RandomModels.Options;
import dev.rill.runtime.testing.Tolerance;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Streaming one step at a time: equal to whole sequences, snapshot/restore, reset, the segment overloads. */
class StreamingSessionTest {

  private static final int STEPS = 12;

  static Stream<Arguments> streamableModels() {
    Options d = Options.DEFAULT;
    return Stream.of(
        Arguments.of("LSTM peepholes clip, GRU, dense softmax", new RandomModels(11).vectorInput(3)
            .lstm(6, Direction.FORWARD, d.withPeepholes().withClip(0.5f)).gru(4, Direction.FORWARD, d)
            .dense(5, OutputActivation.SOFTMAX).build()),
        Arguments.of("RNN, minimal GRU, no dense",
            new RandomModels(12).vectorInput(2).rnn(7, Direction.FORWARD, d)
                .minimalGru(3, Direction.FORWARD, d).build()),
        Arguments.of("GRU linear_before_reset, dense tanh", new RandomModels(13).vectorInput(5)
            .gru(8, Direction.FORWARD, d.withLinearBeforeReset()).dense(2, OutputActivation.OUTPUT_TANH).build()),
        Arguments.of("token LSTM, dense log-softmax", new RandomModels(14).tokenInput(9, 4)
            .lstm(5, Direction.FORWARD, d).dense(9, OutputActivation.LOG_SOFTMAX).build()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("streamableModels")
  void steppingEqualsRunningTheWholeSequence(String name, RillModel proto) {
    Random random = new Random(name.hashCode());
    try (Model model = Model.of(proto); StreamingSession session = model.newSession()) {
      assertTrue(model.isStreamable());
      Inputs inputs = Inputs.random(model, random);
      float[] stepped = new float[STEPS * model.outputSize()];
      float[] out = new float[model.outputSize()];
      for (int t = 0; t < STEPS; t++) {
        inputs.step(session, t, out);
        System.arraycopy(out, 0, stepped, t * out.length, out.length);
      }
      SequenceResult whole = model.run(inputs.batch());
      // Kernels may sum in a different order for many rows than for one, so compare within the bound.
      Tolerance.assertClose(Tolerance.toDoubles(whole.output()), stepped, name + " stepped output");
      State snapshot = session.snapshot();
      State finalState = whole.finalState();
      assertEquals(finalState.recurrentLayerCount(), snapshot.recurrentLayerCount());
      for (int r = 0; r < snapshot.recurrentLayerCount(); r++) {
        Tolerance.assertClose(Tolerance.toDoubles(finalState.hidden(r)), snapshot.hidden(r), name + " h " + r);
        if (finalState.cell(r) != null) {
          Tolerance.assertClose(Tolerance.toDoubles(finalState.cell(r)), snapshot.cell(r), name + " c " + r);
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("streamableModels")
  void snapshotAndRestoreReproduceTheContinuation(String name, RillModel proto) {
    Random random = new Random(name.hashCode() + 1);
    try (Model model = Model.of(proto);
        StreamingSession session = model.newSession();
        StreamingSession other = model.newSession()) {
      Inputs inputs = Inputs.random(model, random);
      float[] out = new float[model.outputSize()];
      for (int t = 0; t < STEPS / 2; t++) {
        inputs.step(session, t, out);
      }
      State middle = session.snapshot();
      float[] continuation = continueFrom(session, inputs, out);
      session.restore(middle);
      assertArrayEquals(continuation, continueFrom(session, inputs, out), name + ": same session");
      other.restore(middle);
      assertArrayEquals(continuation, continueFrom(other, inputs, out), name + ": another session");
      // The snapshot is a copy: stepping on did not change it.
      State again = session.snapshot();
      session.restore(middle);
      assertArrayEquals(continuation, continueFrom(session, inputs, out), name + ": snapshot unchanged");
      assertFalse(java.util.Arrays.equals(again.hidden(0), middle.hidden(0)), "the state moved on");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("streamableModels")
  void resetStartsOverFromZeros(String name, RillModel proto) {
    Random random = new Random(name.hashCode() + 2);
    try (Model model = Model.of(proto); StreamingSession session = model.newSession()) {
      Inputs inputs = Inputs.random(model, random);
      float[] out = new float[model.outputSize()];
      float[] first = continueFromStart(session, inputs, out);
      session.reset();
      for (int r = 0; r < model.recurrentLayerCount(); r++) {
        assertArrayEquals(new float[session.snapshot().hidden(r).length], session.snapshot().hidden(r));
      }
      assertArrayEquals(first, continueFromStart(session, inputs, out), name);
    }
  }

  @Test
  void segmentOverloadsEqualArrayOverloads() {
    RillModel vectorProto = new RandomModels(21).vectorInput(3).lstm(4, Direction.FORWARD)
        .dense(2, OutputActivation.NONE).build();
    RillModel tokenProto = new RandomModels(22).tokenInput(7, 3).gru(4, Direction.FORWARD, Options.DEFAULT)
        .build();
    try (Model vectors = Model.of(vectorProto);
        Model tokens = Model.of(tokenProto);
        StreamingSession a = vectors.newSession();
        StreamingSession b = vectors.newSession();
        StreamingSession c = tokens.newSession();
        StreamingSession d = tokens.newSession();
        Arena arena = Arena.ofConfined()) {
      MemorySegment in = arena.allocate(3 * Float.BYTES);
      MemorySegment out = arena.allocate(2 * Float.BYTES);
      MemorySegment tokenOut = arena.allocate(4 * Float.BYTES);
      float[] x = {0.3f, -1.2f, 0.7f};
      float[] y = new float[2];
      float[] tokenY = new float[4];
      for (int t = 0; t < 5; t++) {
        x[t % 3] += 0.25f;
        MemorySegment.copy(x, 0, in, ValueLayout.JAVA_FLOAT, 0, 3);
        a.step(x, y);
        b.step(in, out);
        assertArrayEquals(y, out.toArray(ValueLayout.JAVA_FLOAT), "vector step " + t);
        c.step(t + 1, tokenY);
        d.step(t + 1, tokenOut);
        assertArrayEquals(tokenY, tokenOut.toArray(ValueLayout.JAVA_FLOAT), "token step " + t);
      }
      // Heap segments work too.
      b.step(MemorySegment.ofArray(x), MemorySegment.ofArray(new float[2]));
    }
  }

  private static float[] continueFrom(StreamingSession session, Inputs inputs, float[] out) {
    float[] all = new float[(STEPS - STEPS / 2) * out.length];
    for (int t = STEPS / 2; t < STEPS; t++) {
      inputs.step(session, t, out);
      System.arraycopy(out, 0, all, (t - STEPS / 2) * out.length, out.length);
    }
    return all;
  }

  private static float[] continueFromStart(StreamingSession session, Inputs inputs, float[] out) {
    float[] all = new float[STEPS * out.length];
    for (int t = 0; t < STEPS; t++) {
      inputs.step(session, t, out);
      System.arraycopy(out, 0, all, t * out.length, out.length);
    }
    return all;
  }

  /** STEPS random inputs for a vector or token model. */
  private record Inputs(float[] vectors, int[] tokens, int size) {
    static Inputs random(Model model, Random random) {
      if (model.isTokenModel()) {
        return new Inputs(null, random.ints(STEPS, 0, model.inputSize()).toArray(), 0);
      }
      return new Inputs(ReferenceComparisonTest.randomFloats(random, STEPS * model.inputSize(), 1.5f), null,
          model.inputSize());
    }

    void step(StreamingSession session, int t, float[] out) {
      if (tokens != null) {
        session.step(tokens[t], out);
      } else {
        session.step(java.util.Arrays.copyOfRange(vectors, t * size, (t + 1) * size), out);
      }
    }

    SequenceBatch batch() {
      return tokens != null ? SequenceBatch.ofTokens(tokens, STEPS, 1) : SequenceBatch.ofVectors(vectors, STEPS, 1);
    }
  }
}
