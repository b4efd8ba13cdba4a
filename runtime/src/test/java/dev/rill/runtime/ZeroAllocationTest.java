package dev.rill.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rill.format.proto.Direction;
import dev.rill.format.proto.OutputActivation;
import dev.rill.runtime.testing.RandomModels;
import dev.rill.runtime.testing.RandomModels.Options;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A steady-state step allocates nothing on the Java heap: 10,000 steps after warm-up allocate 0 bytes,
 * measured with the JVM's per-thread allocation counter. Until C2 has compiled the step, the interpreter
 * may allocate (escape analysis is a C2 optimisation), so the measurement is retried a few rounds with
 * more warm-up in between; one clean round of 10,000 steps shows the steady state allocates nothing.
 */
class ZeroAllocationTest {

  private static final int STEPS = 10_000;
  /**
   * Rounds before giving up: the first clean round ends the measurement, so more rounds cost nothing when C2
   * compiles in time, and give it time on a loaded machine (a run beside another build saw every one of ten
   * rounds still allocating).
   */
  private static final int ROUNDS = 40;

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  @Test
  void vectorStepsAllocateNothing() {
    var proto = new RandomModels(1).vectorInput(8)
        .lstm(16, Direction.FORWARD, Options.DEFAULT.withPeepholes().withClip(2f))
        .gru(12, Direction.FORWARD, Options.DEFAULT.withLinearBeforeReset())
        .dense(5, OutputActivation.SOFTMAX).build();
    try (Model model = Model.of(proto);
        StreamingSession session = model.newSession();
        Arena arena = Arena.ofConfined()) {
      float[] input = new float[8];
      float[] output = new float[5];
      MemorySegment in = arena.allocate(8 * Float.BYTES);
      MemorySegment out = arena.allocate(5 * Float.BYTES);
      assertEquals(0, leastAllocated(() -> {
        for (int i = 0; i < STEPS; i++) {
          input[i & 7] = (i & 15) * 0.1f;
          session.step(input, output);
        }
      }), "bytes allocated by " + STEPS + " float[] steps");
      assertEquals(0, leastAllocated(() -> {
        for (int i = 0; i < STEPS; i++) {
          session.step(in, out);
        }
      }), "bytes allocated by " + STEPS + " MemorySegment steps");
    }
  }

  /**
   * The cells of most models (LSTM without peepholes, linear_before_reset GRU, H a multiple of the vector
   * block) take the vector kernels' whole-row path, streamed one at a time and in a batch of more than six
   * (where bf16 weights are widened a slot at a time into the session's scratch).
   */
  @ParameterizedTest
  @EnumSource(WeightType.class)
  void wholeRowStepsAllocateNothing(WeightType weights) {
    var proto = new RandomModels(3).vectorInput(8).lstm(32, Direction.FORWARD, Options.DEFAULT)
        .gru(64, Direction.FORWARD, Options.DEFAULT.withLinearBeforeReset()).dense(5, OutputActivation.SOFTMAX)
        .build();
    try (Model model = Model.of(proto, LoadOptions.builder().weights(weights).build());
        StreamingSession session = model.newSession();
        StreamBatch batch = model.newStreamBatch(9)) {
      float[] input = new float[8];
      float[] output = new float[5];
      assertEquals(0, leastAllocated(() -> {
        for (int i = 0; i < STEPS; i++) {
          input[i & 7] = (i & 15) * 0.1f;
          session.step(input, output);
        }
      }), "bytes allocated by " + STEPS + " steps");
      for (int s = 0; s < 9; s++) {
        batch.open(); // nine streams: a tile of six and one of three
      }
      assertEquals(0, leastAllocated(() -> {
        for (int i = 0; i < STEPS / 9; i++) {
          input[i & 7] = (i & 15) * 0.1f;
          for (int s = 0; s < 9; s++) {
            batch.setInput(s, input);
          }
          batch.step();
          batch.output(i % 9, output);
        }
      }), "bytes allocated by " + STEPS / 9 + " steps of 9 streams");
    }
  }

  /** A layer split across two threads (H at the default minimum of 512): the handoff and the chunking too. */
  @Test
  void threadedStepsAllocateNothing() {
    var proto = new RandomModels(4).vectorInput(8).lstm(512, Direction.FORWARD, Options.DEFAULT).build();
    try (Model model = Model.of(proto, LoadOptions.builder().threads(2).build());
        StreamingSession session = model.newSession()) {
      float[] input = new float[8];
      float[] output = new float[512];
      assertEquals(0, leastAllocated(() -> {
        for (int i = 0; i < STEPS / 10; i++) {
          input[i & 7] = (i & 15) * 0.1f;
          session.step(input, output);
        }
      }), "bytes allocated by " + STEPS / 10 + " steps on 2 threads");
    }
  }

  @Test
  void tokenStepsAllocateNothing() {
    var proto = new RandomModels(2).tokenInput(50, 6).minimalGru(10, Direction.FORWARD, Options.DEFAULT)
        .rnn(8, Direction.FORWARD, Options.DEFAULT).dense(50, OutputActivation.LOG_SOFTMAX).build();
    try (Model model = Model.of(proto); StreamingSession session = model.newSession()) {
      float[] output = new float[50];
      assertEquals(0, leastAllocated(() -> {
        for (int i = 0; i < STEPS; i++) {
          session.step(i % 50, output);
        }
      }), "bytes allocated by " + STEPS + " token steps");
    }
  }

  /** Runs {@code steps} up to ROUNDS times and returns the fewest bytes the current thread allocated in one run. */
  static long leastAllocated(Runnable steps) {
    long least = Long.MAX_VALUE;
    for (int round = 0; round < ROUNDS && least > 0; round++) {
      steps.run(); // warm-up, then measure the same loop
      long before = THREADS.getCurrentThreadAllocatedBytes();
      steps.run();
      long after = THREADS.getCurrentThreadAllocatedBytes();
      least = Math.min(least, after - before);
    }
    return least;
  }
}
