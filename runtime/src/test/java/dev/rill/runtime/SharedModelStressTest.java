package dev.rill.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.rill.format.proto.Direction;
import dev.rill.format.proto.OutputActivation;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.testing.RandomModels;
import dev.rill.runtime.testing.RandomModels.Options;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Eight threads share one model (a layer of H = 512, so 2 step threads split it): each runs sessions and
 * stream batches one after another, and every output is bitwise the one of the same stream run alone on one
 * thread. Then the model is closed while all eight step: each thread ends with an IllegalStateException.
 */
class SharedModelStressTest {

  private static final int X = 16;
  private static final int STEPS = 12;
  private static final int THREADS = 8;
  private static final int TASKS_PER_THREAD = 3;
  private static final int BATCH_STREAMS = 3;
  private static final RillModel MODEL = new RandomModels(31).scale(0.1f).vectorInput(X)
      .lstm(512, Direction.FORWARD, Options.DEFAULT.withPeepholes()).gru(24, Direction.FORWARD, Options.DEFAULT)
      .dense(6, OutputActivation.SOFTMAX).build();

  static Stream<Arguments> loads() {
    List<Arguments> out = new ArrayList<>();
    for (WeightType weights : WeightType.values()) {
      for (int threads = 1; threads <= 2; threads++) {
        out.add(Arguments.of(weights, threads));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} weights, {1} step thread(s)")
  @MethodSource("loads")
  void eightThreadsGetTheSingleThreadedResultsThenACloseEndsThemAll(WeightType weights, int stepThreads)
      throws InterruptedException {
    Model model = Model.of(MODEL, LoadOptions.builder().weights(weights).threads(stepThreads).build());
    try {
      int tasks = THREADS * TASKS_PER_THREAD;
      float[][] expected = new float[tasks][];
      for (int task = 0; task < tasks; task++) {
        expected[task] = run(model, task);
      }
      AtomicReference<Throwable> failure = new AtomicReference<>();
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int first = t;
        threads.add(Thread.ofPlatform().start(() -> {
          try {
            // Each thread takes every THREADS-th task, in an order that differs between threads.
            for (int k = 0; k < TASKS_PER_THREAD; k++) {
              int task = first + THREADS * ((k + first) % TASKS_PER_THREAD);
              assertArrayEquals(expected[task], run(model, task), "task " + task + " on thread " + first);
            }
          } catch (Throwable e) {
            failure.compareAndSet(null, e);
          }
        }));
      }
      for (Thread thread : threads) {
        thread.join(120_000); // a hang guard only
        assertFalse(thread.isAlive(), "a thread still runs");
      }
      if (failure.get() != null) {
        throw new AssertionError(failure.get());
      }
      closeWhileEightThreadsStep(model);
    } finally {
      model.close();
    }
  }

  private static void closeWhileEightThreadsStep(Model model) throws InterruptedException {
    List<Thread> threads = new ArrayList<>();
    List<AtomicReference<Throwable>> endings = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      AtomicReference<Throwable> ending = new AtomicReference<>();
      endings.add(ending);
      int task = t;
      threads.add(Thread.ofPlatform().start(() -> {
        try {
          while (true) {
            run(model, task);
          }
        } catch (Throwable e) {
          ending.set(e);
        }
      }));
    }
    Thread.sleep(50);
    model.close();
    for (int t = 0; t < THREADS; t++) {
      threads.get(t).join(60_000); // a hang guard only
      assertFalse(threads.get(t).isAlive(), "thread " + t + " still runs after the model was closed");
      Throwable ending = endings.get(t).get();
      assertNotNull(ending, "thread " + t);
      assertEquals(IllegalStateException.class, ending.getClass(), "thread " + t + ": " + ending);
    }
  }

  /** Even tasks: one session of STEPS steps; odd tasks: a batch of BATCH_STREAMS streams. Every output, in order. */
  private static float[] run(Model model, int task) {
    Random random = new Random(task);
    int out = model.outputSize();
    float[] x = new float[X];
    float[] y = new float[out];
    if (task % 2 == 0) {
      float[] all = new float[STEPS * out];
      try (StreamingSession session = model.newSession()) {
        for (int t = 0; t < STEPS; t++) {
          fill(random, x);
          session.step(x, y);
          System.arraycopy(y, 0, all, t * out, out);
        }
      }
      return all;
    }
    float[] all = new float[STEPS * BATCH_STREAMS * out];
    try (StreamBatch batch = model.newStreamBatch(BATCH_STREAMS)) {
      int[] slots = new int[BATCH_STREAMS];
      for (int s = 0; s < BATCH_STREAMS; s++) {
        slots[s] = batch.open();
      }
      for (int t = 0; t < STEPS; t++) {
        for (int slot : slots) {
          fill(random, x);
          batch.setInput(slot, x);
        }
        batch.step();
        for (int s = 0; s < BATCH_STREAMS; s++) {
          batch.output(slots[s], y);
          System.arraycopy(y, 0, all, (t * BATCH_STREAMS + s) * out, out);
        }
      }
    }
    return all;
  }

  private static void fill(Random random, float[] x) {
    for (int i = 0; i < x.length; i++) {
      x[i] = random.nextFloat() * 2f - 1f;
    }
  }
}
