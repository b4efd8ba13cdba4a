package dev.rill.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.rill.format.proto.Direction;
import dev.rill.format.proto.OutputActivation;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.testing.RandomModels;
import dev.rill.runtime.testing.RandomModels.Options;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** A model is shared by threads; a session may move between threads (used by one at a time). */
class ConcurrencyTest {

  private static final RillModel MODEL = new RandomModels(8).vectorInput(5)
      .lstm(16, Direction.FORWARD, Options.DEFAULT.withPeepholes()).gru(8, Direction.FORWARD, Options.DEFAULT)
      .dense(3, OutputActivation.SOFTMAX).build();
  private static final int STEPS = 200;

  @Test
  void threadsShareOneModel() throws Exception {
    try (Model model = Model.of(MODEL)) {
      float[] expectedStream = stream(model);
      float[] x = ReferenceComparisonTest.randomFloats(new java.util.Random(1), 20 * 4 * 5, 1f);
      float[] expectedRun = model.run(SequenceBatch.ofVectors(x, 20, 4)).output();
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<float[]>> streams = new ArrayList<>();
        List<Future<float[]>> runs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
          streams.add(pool.submit(() -> stream(model)));
          runs.add(pool.submit(() -> model.run(SequenceBatch.ofVectors(x, 20, 4)).output()));
        }
        for (int i = 0; i < 4; i++) {
          assertArrayEquals(expectedStream, streams.get(i).get(), "session on thread " + i);
          assertArrayEquals(expectedRun, runs.get(i).get(), "run on thread " + i);
        }
      } finally {
        pool.shutdown();
      }
    }
  }

  @Test
  void aSessionMayMoveBetweenThreads() throws Exception {
    try (Model model = Model.of(MODEL)) {
      float[] expected = stream(model);
      ExecutorService first = Executors.newSingleThreadExecutor();
      ExecutorService second = Executors.newSingleThreadExecutor();
      try (StreamingSession session = model.newSession()) {
        float[] actual = new float[STEPS * 3];
        for (int t = 0; t < STEPS; t++) {
          int step = t;
          // Alternate threads; Future.get orders the steps (happens-before), so one thread uses it at a time.
          (t % 2 == 0 ? first : second).submit(() -> stepInto(session, step, actual)).get();
        }
        assertArrayEquals(expected, actual);
      } finally {
        first.shutdown();
        second.shutdown();
      }
    }
  }

  private static float[] stream(Model model) {
    float[] all = new float[STEPS * 3];
    try (StreamingSession session = model.newSession()) {
      for (int t = 0; t < STEPS; t++) {
        stepInto(session, t, all);
      }
    }
    return all;
  }

  private static void stepInto(StreamingSession session, int t, float[] all) {
    float[] input = new float[5];
    input[t % 5] = (float) Math.sin(t * 0.3);
    float[] output = new float[3];
    session.step(input, output);
    System.arraycopy(output, 0, all, t * 3, 3);
  }
}
