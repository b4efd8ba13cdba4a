package dev.rill.bench;

import dev.rill.bench.RecurrentWorkload.Cell;
import dev.rill.runtime.StreamingSession;
import dev.rill.runtime.WeightType;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 3's streaming step: one layer, batch 1, one time step per call, 1 thread, fp32 weights, through the public
 * API ({@link StreamingSession#step(MemorySegment, MemorySegment)} with off-heap segments), on the scalar or the
 * vector kernels. The kernels are chosen once per JVM, so each {@code kernels} value runs in its own fork (JMH
 * forks per parameter combination); see {@link RillStreamingStep#useKernels}.
 *
 * <p>Warm-up is 8 iterations: with tiered compilation, a fresh JVM may run a vector kernel slowly for thousands
 * of calls (seconds at L) before C2 settles.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 8, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class KernelStepBenchmark {

  /** LSTM or GRU. */
  @Param({"LSTM", "GRU"})
  public Cell cell;

  /** S, M or L (X, H = 64, 128 | 256, 256 | 512, 1024). */
  @Param({"S", "M", "L"})
  public RecurrentWorkload workload;

  /** The kernels: {@code -Drill.kernels} of this fork. */
  @Param({"scalar", "vector"})
  public String kernels;

  private RillStreamingStep rill;

  /** Chooses the kernels, loads the model and opens the session. */
  @Setup(Level.Trial)
  public void setUp() {
    rill = new RillStreamingStep(workload, cell, kernels, WeightType.FP32);
  }

  /** Closes the session and the model. */
  @TearDown(Level.Trial)
  public void tearDown() {
    rill.close();
  }

  /**
   * One streaming step.
   *
   * @return the output segment, so that JMH keeps the work
   */
  @Benchmark
  public MemorySegment step() {
    rill.step();
    return rill.output();
  }
}
