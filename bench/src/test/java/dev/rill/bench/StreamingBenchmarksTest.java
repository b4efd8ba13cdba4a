package dev.rill.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rill.bench.RecurrentWorkload.Cell;
import dev.rill.runtime.Model;
import dev.rill.runtime.StreamingSession;
import dev.rill.runtime.WeightType;
import dev.rill.runtime.internal.kernel.KernelProvider;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** The issue-3 benchmarks measure what they claim: the segment step is the session's step, the sum reads every float. */
class StreamingBenchmarksTest {

  /** The kernels this JVM's provider chose, as a value of the benchmarks' {@code kernels} parameter. */
  private static String chosenKernels() {
    return KernelProvider.get().name().startsWith("vector") ? "vector" : "scalar";
  }

  @Test
  void segmentStepsGiveTheSessionsOutputs() {
    RecurrentWorkload workload = RecurrentWorkload.S;
    for (Cell cell : Cell.values()) {
      float[] x = RecurrentWorkload.inputs(workload.inputSize());
      float[] expected = new float[workload.hiddenSize()];
      try (RillStreamingStep step = new RillStreamingStep(workload, cell, chosenKernels(), WeightType.FP32);
          Model model = Model.of(workload.model(cell));
          StreamingSession session = model.newSession()) {
        for (int t = 0; t < 3; t++) {
          step.step();
          session.step(x, expected);
          assertArrayEquals(expected, step.output().toArray(ValueLayout.JAVA_FLOAT), cell + " step " + t);
        }
      }
    }
  }

  @Test
  void otherKernelsThanTheChosenOnesAreRefused() {
    String other = chosenKernels().equals("scalar") ? "vector" : "scalar";
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> RillStreamingStep.useKernels(other));
    assertEquals("kernels=" + other + " was asked for but the provider chose '" + KernelProvider.get().name()
        + "' (its log line says why; with -f 0 every benchmark shares one JVM, and one choice)", e.getMessage());
  }

  @Test
  void bandwidthSumReadsEveryFloatOfTheWeightBytes() {
    ReadBandwidthBenchmark benchmark = new ReadBandwidthBenchmark();
    benchmark.cell = Cell.GRU;
    benchmark.workload = RecurrentWorkload.S;
    benchmark.setUp();
    try {
      long floats = RecurrentWorkload.S.weightBytes(Cell.GRU, Float.BYTES) / Float.BYTES;
      assertEquals(3L * 128 * (64 + 128), floats);
      double expected = 0;
      for (long i = 0; i < floats; i++) {
        expected += (i % 7) * 0.125;
      }
      // Float sums in another order: equal to about 1e-6 relative.
      assertEquals(expected, benchmark.sum(), expected * 1e-5);
    } finally {
      benchmark.tearDown();
    }
  }
}
