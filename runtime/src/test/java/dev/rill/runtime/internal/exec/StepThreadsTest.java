package dev.rill.runtime.internal.exec;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.format.proto.Direction;
import dev.rill.format.proto.OutputActivation;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.internal.kernel.KernelProvider;
import dev.rill.runtime.internal.kernel.WeightPrecision;
import dev.rill.runtime.internal.layer.ModelPlan;
import dev.rill.runtime.testing.RandomModels;
import dev.rill.runtime.testing.RandomModels.Options;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.Random;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/**
 * The step threads with the size threshold lowered to 1, so small layers exercise the split: every cell
 * kind gives bitwise the same outputs and states with 2 and 3 threads as on one thread, for a varying
 * number of active streams, and a steady-state step allocates nothing on any thread.
 */
class StepThreadsTest {

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  private static RillModel everyKind() {
    Options d = Options.DEFAULT;
    return new RandomModels(5).vectorInput(6)
        .lstm(11, Direction.FORWARD, d.withPeepholes().withClip(0.7f))
        .gru(9, Direction.FORWARD, d)
        .gru(10, Direction.FORWARD, d.withLinearBeforeReset())
        .minimalGru(7, Direction.FORWARD, d)
        .lstm(5, Direction.FORWARD, d.withInputForget())
        .rnn(8, Direction.FORWARD, d)
        .dense(3, OutputActivation.SOFTMAX).build();
  }

  @Test
  void splitStepsEqualOneThreadBitwise() {
    try (Arena arena = Arena.ofShared(); StepThreads two = new StepThreads(2, 1);
        StepThreads three = new StepThreads(3, 1)) {
      ModelPlan plan = ModelPlan.build(everyKind(), WeightPrecision.FP32, KernelProvider.get(), arena);
      int streams = 4;
      StreamStepper single = new StreamStepper(plan, streams, arena);
      StreamStepper[] split = {new StreamStepper(plan, streams, arena, two),
          new StreamStepper(plan, streams, arena, three)};
      Random random = new Random(3);
      for (int t = 0; t < 12; t++) {
        int active = 1 + t % streams;
        float[] x = new float[streams * plan.inputSize()];
        for (int i = 0; i < x.length; i++) {
          x[i] = random.nextFloat() * 3f - 1.5f;
        }
        MemorySegment.copy(x, 0, single.input(), JAVA_FLOAT, 0, x.length);
        single.step(active);
        for (StreamStepper stepper : split) {
          MemorySegment.copy(x, 0, stepper.input(), JAVA_FLOAT, 0, x.length);
          stepper.step(active);
          assertArrayEquals(single.output().toArray(JAVA_FLOAT), stepper.output().toArray(JAVA_FLOAT),
              "output at step " + t);
          for (int r = 0; r < plan.recurrentLayers().size(); r++) {
            assertArrayEquals(single.hidden(r).toArray(JAVA_FLOAT), stepper.hidden(r).toArray(JAVA_FLOAT),
                "h of layer " + r + " at step " + t);
            if (single.cell(r) != null) {
              assertArrayEquals(single.cell(r).toArray(JAVA_FLOAT), stepper.cell(r).toArray(JAVA_FLOAT),
                  "c of layer " + r + " at step " + t);
            }
          }
        }
      }
    }
  }

  @Test
  void everyPartRunsOnceOnItsOwnThreadPerJob() {
    try (StepThreads threads = new StepThreads(3, 1)) {
      AtomicIntegerArray runs = new AtomicIntegerArray(3);
      long[] threadIds = new long[3];
      for (int job = 0; job < 1000; job++) {
        threads.run(part -> {
          runs.incrementAndGet(part);
          threadIds[part] = Thread.currentThread().threadId();
        });
      }
      for (int part = 0; part < 3; part++) {
        assertEquals(1000, runs.get(part), "runs of part " + part);
      }
      assertEquals(Thread.currentThread().threadId(), threadIds[0], "part 0 runs on the caller");
      assertTrue(threadIds[1] != threadIds[0] && threadIds[2] != threadIds[0] && threadIds[1] != threadIds[2]);
    }
  }

  @Test
  void aFailingPartIsRethrownAndThePoolStaysUsable() {
    try (StepThreads threads = new StepThreads(2, 1)) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> threads.run(part -> {
        if (part == 1) {
          throw new ArithmeticException("boom");
        }
      }));
      assertTrue(e.getMessage().contains("boom"), e.getMessage());
      AtomicIntegerArray runs = new AtomicIntegerArray(2);
      threads.run(runs::incrementAndGet);
      assertEquals(1, runs.get(1));
    }
  }

  /**
   * A close() racing with a job: every caller either finishes its job or gets an IllegalStateException;
   * none waits forever for workers that already stopped. Many short rounds, each closing at a random point.
   */
  @Test
  void closeDuringJobsEndsEveryCallerWithoutHanging() throws InterruptedException {
    Random random = new Random(11);
    for (int round = 0; round < 3_000; round++) {
      StepThreads threads = new StepThreads(2 + round % 2, 1);
      java.util.concurrent.atomic.AtomicReference<Throwable> unexpected =
          new java.util.concurrent.atomic.AtomicReference<>();
      Thread caller = new Thread(() -> {
        try {
          while (true) {
            threads.run(part -> { });
          }
        } catch (IllegalStateException closed) {
          if (!String.valueOf(closed.getMessage()).contains("closed")) {
            unexpected.set(closed);
          }
        } catch (Throwable t) {
          unexpected.set(t);
        }
      });
      caller.start();
      for (int spin = random.nextInt(20_000); spin > 0; spin--) {
        Thread.onSpinWait();
      }
      threads.close();
      caller.join(10_000); // a hang guard only
      boolean hung = caller.isAlive();
      if (hung) {
        caller.interrupt();
      }
      assertFalse(hung, "round " + round + ": a job still waits for its workers after close()");
      assertEquals(null, unexpected.get(), "round " + round);
    }
  }

  @Test
  void workersAreDaemonsAndStopOnClose() throws InterruptedException {
    StepThreads threads = new StepThreads(3, 1);
    threads.run(part -> { });
    Thread[] workers = Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("rill-step-")).toArray(Thread[]::new);
    assertTrue(workers.length >= 2, "worker threads started");
    for (Thread worker : workers) {
      assertTrue(worker.isDaemon(), worker.getName() + " is a daemon");
    }
    threads.close();
    for (Thread worker : workers) {
      worker.join(10_000);
      assertFalse(worker.isAlive(), worker.getName() + " stopped");
    }
    assertThrows(IllegalStateException.class, () -> threads.run(part -> { }));
    assertThrows(IllegalArgumentException.class, () -> new StepThreads(1, 1));
  }

  @Test
  void splitStepsAllocateNothingOnAnyThread() {
    // An LSTM (one handoff per step) and a textbook GRU (two phases, two handoffs).
    RillModel proto = new RandomModels(6).vectorInput(4).lstm(6, Direction.FORWARD)
        .gru(5, Direction.FORWARD, Options.DEFAULT).build();
    try (Arena arena = Arena.ofShared(); StepThreads threads = new StepThreads(2, 1)) {
      ModelPlan plan = ModelPlan.build(proto, WeightPrecision.FP32, KernelProvider.get(), arena);
      StreamStepper stepper = new StreamStepper(plan, 3, arena, threads);
      long[] workerIds = Thread.getAllStackTraces().keySet().stream()
          .filter(t -> t.getName().startsWith("rill-step-")).mapToLong(Thread::threadId).toArray();
      long caller = Thread.currentThread().threadId();
      long least = Long.MAX_VALUE;
      for (int round = 0; round < 10 && least > 0; round++) {
        for (int i = 0; i < 10_000; i++) {
          stepper.step(1 + i % 3); // warm-up, then measure the same loop
        }
        long before = allocated(caller, workerIds);
        for (int i = 0; i < 10_000; i++) {
          stepper.step(1 + i % 3);
        }
        least = Math.min(least, allocated(caller, workerIds) - before);
      }
      assertEquals(0, least, "bytes allocated by 10,000 split steps on the caller and the workers");
    }
  }

  private static long allocated(long caller, long[] workers) {
    long sum = THREADS.getThreadAllocatedBytes(caller);
    for (long id : workers) {
      long bytes = THREADS.getThreadAllocatedBytes(id);
      sum += Math.max(0, bytes); // -1 for a thread that ended
    }
    return sum;
  }
}
