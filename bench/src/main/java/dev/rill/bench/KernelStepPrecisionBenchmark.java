package dev.rill.bench;

import dev.rill.bench.RecurrentWorkload.Cell;
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
 * {@link KernelStepBenchmark}'s step (batch 1, 1 thread, vector kernels) with bf16 or int8 weights, at S, M and L;
 * {@link KernelStepBenchmark} has the fp32 figures of the same step. Smaller weights pay off where the step is
 * bound by reading them: at L the fp32 weights (24 MiB for LSTM) outgrow the usable L3, and at M (2 MiB) they
 * outgrow the L2. See {@link RillVsOrtLargeThreadsBenchmark} for the same precisions with 2 threads against ONNX
 * Runtime. The scalar kernels are left out: for reduced precision they are the tests' oracle, not a contender.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 8, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class KernelStepPrecisionBenchmark {

  /** LSTM or GRU. */
  @Param({"LSTM", "GRU"})
  public Cell cell;

  /** S, M or L (X, H = 64, 128 | 256, 256 | 512, 1024). */
  @Param({"S", "M", "L"})
  public RecurrentWorkload workload;

  /** The weight precision. */
  @Param({"BF16", "INT8"})
  public WeightType weights;

  private RillStreamingStep rill;

  /** Chooses the vector kernels, loads the model with the weights asked for and opens the session. */
  @Setup(Level.Trial)
  public void setUp() {
    rill = new RillStreamingStep(workload, cell, "vector", weights);
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
