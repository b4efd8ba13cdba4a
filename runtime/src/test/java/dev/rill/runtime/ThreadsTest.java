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
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link LoadOptions#threads}: with layers of H = 512 (the threshold), sessions and stream batches give
 * bitwise the same outputs with 2 and 3 threads as with 1, and worker threads exist only when asked for
 * and useful, and stop when the model is closed.
 */
class ThreadsTest {

  private static final int H = 512;
  private static final int X = 8;
  private static final int STEPS = 3;

  static Stream<Arguments> largeModels() {
    Options d = Options.DEFAULT;
    return Stream.of(
        Arguments.of("LSTM peepholes, dense", new RandomModels(41).scale(0.1f).vectorInput(X)
            .lstm(H, Direction.FORWARD, d.withPeepholes()).dense(4, OutputActivation.NONE).build()),
        Arguments.of("GRU", new RandomModels(42).scale(0.1f).vectorInput(X).gru(H, Direction.FORWARD, d).build()),
        Arguments.of("GRU linear_before_reset", new RandomModels(43).scale(0.1f).vectorInput(X)
            .gru(H, Direction.FORWARD, d.withLinearBeforeReset()).build()),
        Arguments.of("minimal GRU then small RNN", new RandomModels(44).scale(0.1f).vectorInput(X)
            .minimalGru(H, Direction.FORWARD, d).rnn(6, Direction.FORWARD, d).build()),
        Arguments.of("token RNN", new RandomModels(45).scale(0.1f).tokenInput(20, X)
            .rnn(H + 3, Direction.FORWARD, d).build()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("largeModels")
  void moreThreadsGiveIdenticalResults(String name, RillModel proto) {
    float[] one = run(proto, 1);
    assertArrayEquals(one, run(proto, 2), name + ": 2 threads");
    assertArrayEquals(one, run(proto, 3), name + ": 3 threads");
  }

  /** STEPS steps of a session, then of a batch of 3 streams; every output concatenated. */
  private static float[] run(RillModel proto, int threads) {
    try (Model model = Model.of(proto, LoadOptions.builder().threads(threads).build());
        StreamingSession session = model.newSession();
        StreamBatch batch = model.newStreamBatch(3)) {
      Random random = new Random(7);
      int out = model.outputSize();
      float[] all = new float[STEPS * 4 * out];
      float[] y = new float[out];
      int[] slots = {batch.open(), batch.open(), batch.open()};
      for (int t = 0; t < STEPS; t++) {
        if (model.isTokenModel()) {
          session.step(random.nextInt(model.inputSize()), y);
        } else {
          session.step(ReferenceComparisonTest.randomFloats(random, X, 1f), y);
        }
        System.arraycopy(y, 0, all, t * 4 * out, out);
        for (int slot : slots) {
          if (model.isTokenModel()) {
            batch.setToken(slot, random.nextInt(model.inputSize()));
          } else {
            batch.setInput(slot, ReferenceComparisonTest.randomFloats(random, X, 1f));
          }
        }
        batch.step();
        for (int s = 0; s < slots.length; s++) {
          batch.output(slots[s], y);
          System.arraycopy(y, 0, all, (t * 4 + 1 + s) * out, out);
        }
      }
      return all;
    }
  }

  @Test
  void workersStartOnlyWhenAskedForAndUseful() throws InterruptedException {
    RillModel large = new RandomModels(46).vectorInput(X).rnn(H, Direction.FORWARD, Options.DEFAULT).build();
    RillModel small = new RandomModels(47).vectorInput(X).rnn(H - 1, Direction.FORWARD, Options.DEFAULT).build();
    Set<Thread> before = stepThreads();
    try (Model oneThread = Model.of(large);
        Model smallLayers = Model.of(small, LoadOptions.builder().threads(4).build())) {
      Set<Thread> now = stepThreads();
      now.removeAll(before);
      assertEquals(Set.of(), now, "no worker for 1 thread or for layers below H = " + H);
    }
    Set<Thread> started;
    // threads(3) is lowered to the number of cores.
    int threads = Math.min(3, Runtime.getRuntime().availableProcessors());
    try (Model model = Model.of(large, LoadOptions.builder().threads(3).build())) {
      started = stepThreads();
      started.removeAll(before);
      assertEquals(threads > 1 ? threads - 1 : 0, started.size(),
          threads + " threads = the caller and " + (threads - 1) + " workers: " + started);
      for (Thread worker : started) {
        assertTrue(worker.isDaemon(), worker.getName() + " is a daemon");
      }
    }
    for (Thread worker : started) {
      worker.join(10_000);
      assertFalse(worker.isAlive(), worker.getName() + " stopped when the model closed");
    }
  }

  @Test
  void threadsAreAtMostTheAvailableProcessors() throws InterruptedException {
    int cores = Runtime.getRuntime().availableProcessors();
    assertEquals(cores, LoadOptions.builder().threads(Integer.MAX_VALUE).build().threads());
    assertEquals(cores, LoadOptions.builder().threads(cores + 1).build().threads());
    RillModel large = new RandomModels(48).vectorInput(X).rnn(H, Direction.FORWARD, Options.DEFAULT).build();
    Set<Thread> before = stepThreads();
    try (Model model = Model.of(large, LoadOptions.builder().threads(Integer.MAX_VALUE).build())) {
      Set<Thread> started = stepThreads();
      started.removeAll(before);
      assertEquals(cores - 1, started.size(), "one worker per core besides the caller: " + started.size());
    }
  }

  private static Set<Thread> stepThreads() {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("rill-step-"))
        .filter(Thread::isAlive).collect(Collectors.toSet());
  }
}
