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
 * {@link KernelStepBenchmark}'s step at workload L (X = 512, H = 1024), 1 thread, with fp32, bf16 or int8
 * weights: at L the fp32 weights (24 MiB for LSTM) outgrow the usable L3, so the step is bound by memory and the
 * smaller weights should pay off in proportion to their bytes. See {@link RillVsOrtLargeThreadsBenchmark} for the
 * same precisions with 2 threads against ONNX Runtime.
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

  /** The weight precision. */
  @Param({"FP32", "BF16", "INT8"})
  public WeightType weights;

  /** The kernels: {@code -Drill.kernels} of this fork. */
  @Param({"scalar", "vector"})
  public String kernels;

  private RillStreamingStep rill;

  /** Chooses the kernels, loads the L model with the weights asked for and opens the session. */
  @Setup(Level.Trial)
  public void setUp() {
    rill = new RillStreamingStep(RecurrentWorkload.L, cell, kernels, weights);
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
