package dev.rill.bench;

import ai.onnxruntime.OrtException;
import dev.rill.bench.RecurrentWorkload.Cell;
import dev.rill.converter.onnx.export.ExportOptions;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.LoadOptions;
import dev.rill.runtime.Model;
import dev.rill.runtime.StreamingSession;
import dev.rill.runtime.WeightType;
import java.nio.FloatBuffer;
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
 * The L workload (X = 512, H = 1024) streamed at batch 1 with 2 threads: pinned ONNX Runtime with 2 intra-op
 * threads against Rill with 2 threads and fp32, bf16 or int8 weights (issue 3's target: reduced-precision Rill at
 * most half of ORT's time). ORT computes in fp32. The precisions are methods rather than a parameter, so that
 * ORT's method runs once per cell, not once per value it ignores.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class RillVsOrtLargeThreadsBenchmark {

  /** LSTM or GRU. */
  @Param({"LSTM", "GRU"})
  public Cell cell;

  /** Threads for both runtimes. */
  @Param({"2"})
  public int threads;

  private final Model[] models = new Model[WeightType.values().length];
  private final StreamingSession[] sessions = new StreamingSession[WeightType.values().length];
  private float[] x;
  private float[] y;
  private OrtHarness ort;
  private OrtStreamingSteps.Pinned pinned;

  /**
   * Builds the L model for both runtimes.
   *
   * @throws Exception if the export or ORT fails
   */
  @Setup(Level.Trial)
  public void setUp() throws Exception {
    RecurrentWorkload workload = RecurrentWorkload.L;
    RillModel proto = workload.model(cell);
    for (WeightType weights : WeightType.values()) {
      models[weights.ordinal()] = Model.of(proto, LoadOptions.builder().weights(weights).threads(threads).build());
      sessions[weights.ordinal()] = models[weights.ordinal()].newSession();
    }
    x = RecurrentWorkload.inputs(workload.inputSize());
    y = new float[workload.hiddenSize()];
    ort = new OrtHarness(proto, ExportOptions.DEFAULT.withInitialStates(), threads);
    pinned = new OrtStreamingSteps.Pinned(ort, x, workload.hiddenSize(), OrtHarness.hasCellState(proto));
  }

  /**
   * Closes both runtimes.
   *
   * @throws OrtException if ORT fails to close
   */
  @TearDown(Level.Trial)
  public void tearDown() throws OrtException {
    pinned.close();
    ort.close();
    for (int i = 0; i < models.length; i++) {
      sessions[i].close();
      models[i].close();
    }
  }

  /**
   * Rill: one step with fp32 weights.
   *
   * @return the output
   */
  @Benchmark
  public float[] rill() {
    sessions[WeightType.FP32.ordinal()].step(x, y);
    return y;
  }

  /**
   * Rill: one step with bf16 weights.
   *
   * @return the output
   */
  @Benchmark
  public float[] rillBf16() {
    sessions[WeightType.BF16.ordinal()].step(x, y);
    return y;
  }

  /**
   * Rill: one step with int8 weights.
   *
   * @return the output
   */
  @Benchmark
  public float[] rillInt8() {
    sessions[WeightType.INT8.ordinal()].step(x, y);
    return y;
  }

  /**
   * Pinned ORT with the same thread count (fp32).
   *
   * @return the output buffer
   * @throws OrtException if ORT fails
   */
  @Benchmark
  public FloatBuffer ortPinned() throws OrtException {
    return pinned.step();
  }
}
