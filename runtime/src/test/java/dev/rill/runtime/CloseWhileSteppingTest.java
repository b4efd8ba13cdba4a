package dev.rill.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.rill.format.proto.Direction;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.testing.RandomModels;
import dev.rill.runtime.testing.RandomModels.Options;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Closing a model while sessions and stream batches of it step on other threads, with step threads splitting
 * a layer of H = 512: every stepping thread ends with an IllegalStateException that has a message, none hangs.
 */
class CloseWhileSteppingTest {

  private static final int X = 8;
  private static final RillModel LARGE = new RandomModels(71).scale(0.1f).vectorInput(X)
      .lstm(512, Direction.FORWARD, Options.DEFAULT).build();

  @Test
  void closingEndsEveryStepWithAnExceptionAndNeverHangs() throws InterruptedException {
    Random random = new Random(5);
    for (int round = 0; round < 150; round++) {
      Model model = Model.of(LARGE, LoadOptions.builder().threads(2).build());
      List<Thread> steppers = new ArrayList<>();
      List<AtomicReference<Throwable>> endings = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        AtomicReference<Throwable> ending = new AtomicReference<>();
        endings.add(ending);
        boolean batch = i == 2;
        Thread stepper = new Thread(() -> {
          try {
            stepUntilClosed(model, batch);
          } catch (Throwable t) {
            ending.set(t);
          }
        });
        steppers.add(stepper);
        stepper.start();
      }
      Thread.sleep(random.nextInt(3));
      for (int spin = random.nextInt(50_000); spin > 0; spin--) {
        Thread.onSpinWait();
      }
      model.close();
      for (int i = 0; i < steppers.size(); i++) {
        Thread stepper = steppers.get(i);
        stepper.join(20_000); // a hang guard only
        boolean hung = stepper.isAlive();
        assertFalse(hung, "round " + round + ": stepping thread " + i + " still runs after close()");
        Throwable ending = endings.get(i).get();
        assertNotNull(ending, "round " + round + ": thread " + i + " ended without an exception");
        assertEquals(IllegalStateException.class, ending.getClass(), "round " + round + ": " + ending);
        assertNotNull(ending.getMessage(), "round " + round + ": the exception has a message");
      }
    }
  }

  /** Steps until an exception ends it; opening a session or batch may already fail if the model closed. */
  private static void stepUntilClosed(Model model, boolean batch) {
    float[] x = new float[X];
    float[] y = new float[model.outputSize()];
    if (batch) {
      try (StreamBatch streams = model.newStreamBatch(2)) {
        int a = streams.open();
        int b = streams.open();
        while (true) {
          streams.setInput(a, x);
          streams.setInput(b, x);
          streams.step();
          streams.output(a, y);
        }
      }
    }
    try (StreamingSession session = model.newSession()) {
      while (true) {
        session.step(x, y);
      }
    }
  }
}
