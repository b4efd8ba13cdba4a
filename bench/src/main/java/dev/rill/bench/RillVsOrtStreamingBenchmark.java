package dev.rill.bench;

import ai.onnxruntime.OrtException;
import dev.rill.bench.RecurrentWorkload.Cell;
import dev.rill.converter.onnx.export.ExportOptions;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.Model;
import dev.rill.runtime.StreamingSession;
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
 * One streaming step at batch 1 (one time step per call, the state carried to the next call), 1 thread, on the
 * same weights: Rill against ONNX Runtime Java run two ways.
 * <ul>
 *   <li>{@code ortTypical}: what most ORT Java code does. Per call it wraps the input and the state in new
 *       heap-FloatBuffer tensors, runs, copies the output and the new state ({@code Y_h}, {@code Y_c}) out,
 *       and closes everything.
 *   <li>{@code ortPinned}: ORT's floor from Java. Inputs and outputs are preallocated tensors over direct
 *       memory; {@code run(inputs, pinnedOutputs)} writes into them; two state sets swap roles each step, so
 *       that feeding the state back copies nothing.
 *   <li>{@code rill}: {@link StreamingSession#step(float[], float[])}.
 * </ul>
 * One JMH run gives all three per workload, so their ratios come from the same conditions.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class RillVsOrtStreamingBenchmark {

  /** LSTM or GRU. */
  @Param({"LSTM", "GRU"})
  public Cell cell;

  /** S, M or L. */
  @Param({"S", "M", "L"})
  public RecurrentWorkload workload;

  private Model model;
  private StreamingSession session;
  private OrtHarness ort;
  private OrtStreamingSteps.Typical typical;
  private OrtStreamingSteps.Pinned pinned;
  private float[] x;
  private float[] y;

  /**
   * Builds the model, exports it (with initial-state inputs) and prepares all three paths.
   *
   * @throws Exception if the export or ORT fails
   */
  @Setup(Level.Trial)
  public void setUp() throws Exception {
    RillModel proto = workload.model(cell);
    model = Model.of(proto);
    session = model.newSession();
    x = RecurrentWorkload.inputs(workload.inputSize());
    y = new float[workload.hiddenSize()];
    ort = new OrtHarness(proto, ExportOptions.DEFAULT.withInitialStates(), 1);
    boolean lstm = OrtHarness.hasCellState(proto);
    typical = new OrtStreamingSteps.Typical(ort, x, workload.hiddenSize(), lstm);
    pinned = new OrtStreamingSteps.Pinned(ort, x, workload.hiddenSize(), lstm);
  }

  /**
   * Closes ORT and Rill resources.
   *
   * @throws OrtException if ORT fails to close
   */
  @TearDown(Level.Trial)
  public void tearDown() throws OrtException {
    pinned.close();
    ort.close();
    session.close();
    model.close();
  }

  /**
   * Rill: one step.
   *
   * @return the output, so that JMH keeps the work
   */
  @Benchmark
  public float[] rill() {
    session.step(x, y);
    return y;
  }

  /**
   * Typical ORT Java: tensors created from heap FloatBuffers per call, the state copied back.
   *
   * @return the output
   * @throws OrtException if ORT fails
   */
  @Benchmark
  public float[] ortTypical() throws OrtException {
    return typical.step();
  }

  /**
   * Pinned ORT: preallocated direct tensors, outputs written in place, states swapped without copies.
   *
   * @return the output buffer
   * @throws OrtException if ORT fails
   */
  @Benchmark
  public FloatBuffer ortPinned() throws OrtException {
    return pinned.step();
  }
}
