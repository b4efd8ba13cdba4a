package dev.rill.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.rill.bench.RecurrentWorkload.Cell;
import dev.rill.converter.onnx.export.ExportOptions;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.LoadOptions;
import dev.rill.runtime.Model;
import dev.rill.runtime.SequenceBatch;
import dev.rill.runtime.WeightType;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.Set;
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
 * A whole sequence of T = 100 steps for a batch of 1 or 32 sequences, 1 thread, from a zero state: Rill's
 * {@link Model#run(SequenceBatch)} against ONNX Runtime typical (heap tensors per call) and pinned (preallocated
 * direct input, output written in place). Time per sequence batch; divide by T for time per step.
 *
 * <p>{@code rill} loads the fp32 weights, {@code rillBf16} the same weights rounded to bf16 (ORT always runs fp32):
 * one method rather than a parameter, so that ORT's methods are not run again for a value they ignore.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class RillVsOrtSequenceBenchmark {

  /** Steps per sequence. */
  public static final int STEPS = 100;

  /** LSTM or GRU. */
  @Param({"LSTM", "GRU"})
  public Cell cell;

  /** S, M or L. */
  @Param({"S", "M", "L"})
  public RecurrentWorkload workload;

  /** Sequences per batch. */
  @Param({"1", "32"})
  public int batch;

  private Model model;
  private Model bf16Model;
  private SequenceBatch sequences;
  private OrtHarness ort;
  private float[] data;
  private float[] output;
  private long[] inputShape;
  private Set<String> outputs;
  private OrtHarness.Pinned pinnedInput;
  private OrtHarness.Pinned pinnedOutput;
  private Map<String, OnnxTensor> pinnedInputs;

  /**
   * Builds the model and the batch for both runtimes.
   *
   * @throws Exception if the export or ORT fails
   */
  @Setup(Level.Trial)
  public void setUp() throws Exception {
    RillModel proto = workload.model(cell);
    model = Model.of(proto);
    bf16Model = Model.of(proto, LoadOptions.builder().weights(WeightType.BF16).build());
    data = RecurrentWorkload.inputs(STEPS * batch * workload.inputSize());
    sequences = SequenceBatch.ofVectors(data, STEPS, batch);
    ort = new OrtHarness(proto, ExportOptions.DEFAULT, 1);
    output = new float[STEPS * batch * workload.hiddenSize()];
    inputShape = new long[] {STEPS, batch, workload.inputSize()};
    outputs = Set.of(ort.output);
    pinnedInput = ort.pinned(inputShape);
    pinnedInput.buffer().put(0, data);
    pinnedOutput = ort.pinned(STEPS, batch, workload.hiddenSize());
    pinnedInputs = Map.of(ort.input, pinnedInput.tensor());
  }

  /**
   * Closes both runtimes.
   *
   * @throws OrtException if ORT fails to close
   */
  @TearDown(Level.Trial)
  public void tearDown() throws OrtException {
    pinnedInput.close();
    pinnedOutput.close();
    ort.close();
    model.close();
    bf16Model.close();
  }

  /**
   * Rill: the whole batch of sequences.
   *
   * @return the outputs [T, N, H]
   */
  @Benchmark
  public float[] rill() {
    return model.run(sequences).output();
  }

  /**
   * Rill with bf16 weights: the whole batch of sequences.
   *
   * @return the outputs [T, N, H]
   */
  @Benchmark
  public float[] rillBf16() {
    return bf16Model.run(sequences).output();
  }

  /**
   * Typical ORT Java: the input wrapped in a new heap-backed tensor, the output copied out.
   *
   * @return the outputs
   * @throws OrtException if ORT fails
   */
  @Benchmark
  public float[] ortTypical() throws OrtException {
    try (OnnxTensor input = OnnxTensor.createTensor(ort.env, FloatBuffer.wrap(data), inputShape);
        OrtSession.Result result = ort.session.run(Map.of(ort.input, input), outputs)) {
      ((OnnxTensor) result.get(ort.output).orElseThrow()).getFloatBuffer().get(output);
    }
    return output;
  }

  /**
   * Pinned ORT: preallocated direct input, the output written in place.
   *
   * @return the output buffer
   * @throws OrtException if ORT fails
   */
  @Benchmark
  public FloatBuffer ortPinned() throws OrtException {
    try (OrtSession.Result result = ort.session.run(pinnedInputs, Map.of(ort.output, pinnedOutput.tensor()))) {
      return pinnedOutput.buffer();
    }
  }
}
