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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A {@link StreamBatch} gives the same results as one independent {@link StreamingSession} per stream, while
 * streams join and leave, are reset, snapshotted and restored. The sessions are the oracle; kernels may sum
 * in a different order for many rows than for one, so outputs are compared within {@link Tolerance#FP32}.
 */
class StreamBatchTest {

  static Stream<Arguments> models() {
    Options d = Options.DEFAULT;
    return Stream.of(
        Arguments.of("LSTM peepholes clip, GRU, dense softmax", new RandomModels(31).vectorInput(3)
            .lstm(6, Direction.FORWARD, d.withPeepholes().withClip(0.5f)).gru(4, Direction.FORWARD, d)
            .dense(5, OutputActivation.SOFTMAX).build()),
        Arguments.of("LSTM input_forget", new RandomModels(32).vectorInput(4)
            .lstm(5, Direction.FORWARD, d.withInputForget()).build()),
        Arguments.of("RNN, minimal GRU", new RandomModels(33).vectorInput(2).rnn(7, Direction.FORWARD, d)
            .minimalGru(3, Direction.FORWARD, d).build()),
        Arguments.of("GRU linear_before_reset, dense tanh", new RandomModels(34).vectorInput(5)
            .gru(8, Direction.FORWARD, d.withLinearBeforeReset()).dense(2, OutputActivation.OUTPUT_TANH).build()),
        Arguments.of("token LSTM, dense log-softmax", new RandomModels(35).tokenInput(9, 4)
            .lstm(5, Direction.FORWARD, d).dense(9, OutputActivation.LOG_SOFTMAX).build()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void batchEqualsIndependentSessionsWhileStreamsJoinAndLeave(String name, RillModel proto) {
    try (Model model = Model.of(proto)) {
      new Scenario(model, 37, new Random(name.hashCode())).run(40, 20);
    }
  }

  @Test
  void capacityOneBehavesLikeOneSession() {
    RillModel proto = new RandomModels(36).vectorInput(3).gru(5, Direction.FORWARD, Options.DEFAULT)
        .dense(2, OutputActivation.NONE).build();
    try (Model model = Model.of(proto)) {
      new Scenario(model, 1, new Random(1)).run(30, 1);
    }
  }

  @Test
  void fullBatchOf1024Streams() {
    RillModel proto = new RandomModels(37).vectorInput(2).lstm(3, Direction.FORWARD, Options.DEFAULT)
        .dense(2, OutputActivation.NONE).build();
    try (Model model = Model.of(proto)) {
      new Scenario(model, 1024, new Random(2)).run(6, 1024);
    }
  }

  @Test
  void segmentOverloadsEqualArrayOverloads() {
    RillModel proto = new RandomModels(38).vectorInput(3).lstm(4, Direction.FORWARD)
        .dense(2, OutputActivation.NONE).build();
    try (Model model = Model.of(proto);
        StreamBatch arrays = model.newStreamBatch(2);
        StreamBatch segments = model.newStreamBatch(2);
        Arena arena = Arena.ofConfined()) {
      int a = arrays.open();
      int s = segments.open();
      MemorySegment in = arena.allocate(3 * Float.BYTES);
      MemorySegment out = arena.allocate(2 * Float.BYTES);
      float[] x = {0.3f, -1.2f, 0.7f};
      float[] y = new float[2];
      for (int t = 0; t < 5; t++) {
        x[t % 3] += 0.25f;
        MemorySegment.copy(x, 0, in, ValueLayout.JAVA_FLOAT, 0, 3);
        arrays.setInput(a, x);
        segments.setInput(s, in);
        arrays.step();
        segments.step();
        arrays.output(a, y);
        segments.output(s, out);
        assertArrayEquals(y, out.toArray(ValueLayout.JAVA_FLOAT), "step " + t);
      }
      // Heap segments work too.
      segments.setInput(s, MemorySegment.ofArray(x));
      segments.step();
      segments.output(s, MemorySegment.ofArray(new float[2]));
    }
  }

  @Test
  void slotsAreHandedOutLowestFirstAndReused() {
    RillModel proto = new RandomModels(39).vectorInput(2).rnn(3, Direction.FORWARD, Options.DEFAULT).build();
    try (Model model = Model.of(proto); StreamBatch batch = model.newStreamBatch(3)) {
      assertEquals(3, batch.capacity());
      assertEquals(0, batch.activeCount());
      assertEquals(0, batch.open());
      assertEquals(1, batch.open());
      assertEquals(2, batch.open());
      assertEquals(3, batch.activeCount());
      batch.close(1);
      assertFalse(batch.isOpen(1));
      assertTrue(batch.isOpen(0));
      assertTrue(batch.isOpen(2));
      assertEquals(2, batch.activeCount());
      assertEquals(1, batch.open());
    }
  }

  @Test
  void steadyStateStepsAndChurnAllocateNothing() {
    RillModel proto = new RandomModels(41).vectorInput(4).lstm(6, Direction.FORWARD, Options.DEFAULT.withPeepholes())
        .gru(5, Direction.FORWARD, Options.DEFAULT).dense(3, OutputActivation.SOFTMAX).build();
    RillModel tokens = new RandomModels(42).tokenInput(30, 4).minimalGru(5, Direction.FORWARD, Options.DEFAULT)
        .build();
    try (Model model = Model.of(proto); StreamBatch batch = model.newStreamBatch(8);
        Model tokenModel = Model.of(tokens); StreamBatch tokenBatch = tokenModel.newStreamBatch(8);
        Arena arena = Arena.ofConfined()) {
      float[] x = new float[4];
      float[] y = new float[3];
      MemorySegment in = arena.allocate(4 * Float.BYTES);
      MemorySegment out = arena.allocate(3 * Float.BYTES);
      for (int i = 0; i < 8; i++) {
        batch.open();
        tokenBatch.open();
      }
      assertEquals(0, ZeroAllocationTest.leastAllocated(() -> {
        for (int t = 0; t < 10_000; t++) {
          // A stream leaves and another joins every step (a different slot each time), one is reset.
          batch.close(t & 7);
          batch.open();
          batch.reset((t + 3) & 7);
          for (int slot = 0; slot < 8; slot++) {
            x[slot & 3] = (t & 15) * 0.1f;
            if ((slot & 1) == 0) {
              batch.setInput(slot, x);
            } else {
              batch.setInput(slot, in);
            }
          }
          batch.step();
          batch.output(t & 7, y);
          batch.output((t + 1) & 7, out);
        }
      }), "bytes allocated by 10,000 vector batch steps");
      float[] tokenOut = new float[5];
      assertEquals(0, ZeroAllocationTest.leastAllocated(() -> {
        for (int t = 0; t < 10_000; t++) {
          for (int slot = 0; slot < 8; slot++) {
            tokenBatch.setToken(slot, (t + slot) % 30);
          }
          tokenBatch.step();
          tokenBatch.output(t & 7, tokenOut);
        }
      }), "bytes allocated by 10,000 token batch steps");
    }
  }

  @Test
  void stepWithNoOpenSlotDoesNothing() {
    RillModel proto = new RandomModels(40).vectorInput(2).rnn(3, Direction.FORWARD, Options.DEFAULT).build();
    try (Model model = Model.of(proto); StreamBatch batch = model.newStreamBatch(2)) {
      batch.step();
      assertEquals(0, batch.activeCount());
    }
  }

  /**
   * Runs a batch and its twin sessions side by side: every step, streams leave and join at random, some are
   * reset, snapshotted, or restored from another stream's snapshot, and every open stream's output must
   * equal its session's.
   */
  private static final class Scenario {
    private final Model model;
    private final int capacity;
    private final Random random;
    private final Map<Integer, StreamingSession> sessions = new HashMap<>();
    private final float[] batchOut;
    /** Per open slot: its session's output of this step. */
    private final Map<Integer, float[]> expected = new HashMap<>();

    Scenario(Model model, int capacity, Random random) {
      this.model = model;
      this.capacity = capacity;
      this.random = random;
      this.batchOut = new float[model.outputSize()];
    }

    void run(int steps, int initialStreams) {
      try (StreamBatch batch = model.newStreamBatch(capacity)) {
        for (int i = 0; i < initialStreams; i++) {
          join(batch);
        }
        for (int t = 0; t < steps; t++) {
          churn(batch);
          for (Map.Entry<Integer, StreamingSession> e : sessions.entrySet()) {
            feed(batch, e.getKey(), e.getValue());
          }
          batch.step();
          assertEquals(sessions.size(), batch.activeCount());
          for (Map.Entry<Integer, StreamingSession> e : sessions.entrySet()) {
            batch.output(e.getKey(), batchOut);
            Tolerance.assertClose(Tolerance.toDoubles(expected.get(e.getKey())), batchOut,
                "step " + t + ", slot " + e.getKey());
          }
        }
        for (Map.Entry<Integer, StreamingSession> e : sessions.entrySet()) {
          assertStatesClose(e.getValue().snapshot(), batch.snapshot(e.getKey()), "final state of slot " + e.getKey());
        }
      } finally {
        sessions.values().forEach(StreamingSession::close);
      }
    }

    private void churn(StreamBatch batch) {
      List<Integer> open = new ArrayList<>(sessions.keySet());
      for (int slot : open) {
        double p = random.nextDouble();
        if (p < 0.15) {
          batch.close(slot);
          sessions.remove(slot).close();
        } else if (p < 0.20) {
          batch.reset(slot);
          sessions.get(slot).reset();
        }
      }
      if (capacity > 1 && sessions.size() >= 2 && random.nextBoolean()) {
        List<Integer> now = new ArrayList<>(sessions.keySet());
        int from = now.get(random.nextInt(now.size()));
        int to = now.get(random.nextInt(now.size()));
        State snapshot = batch.snapshot(from);
        assertEquals(1, snapshot.batchSize());
        assertStatesClose(sessions.get(from).snapshot(), snapshot, "snapshot of slot " + from);
        batch.restore(to, snapshot);
        // The twin session takes the same state, so both continue from exactly the same values.
        sessions.get(to).restore(snapshot);
      }
      int joins = random.nextInt(4);
      for (int i = 0; i < joins && sessions.size() < capacity; i++) {
        join(batch);
      }
    }

    private void join(StreamBatch batch) {
      int slot = batch.open();
      assertTrue(batch.isOpen(slot));
      assertFalse(sessions.containsKey(slot), "slot " + slot + " handed out twice");
      sessions.put(slot, model.newSession());
    }

    private void feed(StreamBatch batch, int slot, StreamingSession session) {
      float[] sessionOut = expected.computeIfAbsent(slot, k -> new float[batchOut.length]);
      if (model.isTokenModel()) {
        int token = random.nextInt(model.inputSize());
        batch.setToken(slot, token);
        session.step(token, sessionOut);
      } else {
        float[] x = ReferenceComparisonTest.randomFloats(random, model.inputSize(), 1.5f);
        batch.setInput(slot, x);
        session.step(x, sessionOut);
      }
    }

  }

  private static void assertStatesClose(State expected, State actual, String what) {
    assertEquals(expected.recurrentLayerCount(), actual.recurrentLayerCount(), what);
    for (int r = 0; r < expected.recurrentLayerCount(); r++) {
      Tolerance.assertClose(Tolerance.toDoubles(expected.hidden(r)), actual.hidden(r), what + ": h " + r);
      if (expected.cell(r) != null) {
        Tolerance.assertClose(Tolerance.toDoubles(expected.cell(r)), actual.cell(r), what + ": c " + r);
      }
    }
  }
}
