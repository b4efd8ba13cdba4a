package dev.rill.converter.verify;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.rill.converter.onnx.export.OnnxExporter;
import dev.rill.format.GateLayout;
import dev.rill.format.proto.Layer;
import dev.rill.format.proto.Recurrent;
import dev.rill.runtime.Model;
import dev.rill.runtime.SequenceBatch;
import dev.rill.runtime.SequenceResult;
import dev.rill.runtime.State;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Runs a Rill model (through the runtime's sequence API) and an ONNX model (through ONNX Runtime) on the same
 * seeded random inputs and reports the largest error of every output they share: the engine of
 * {@code rill verify MODEL.rill --onnx MODEL.onnx}.
 *
 * <p>The ONNX model must take its sequence time-major, as the ONNX recurrent operators do: float [T, N, X] for a
 * vector model, int64 or int32 token ids [T, N] for a token model. Fixed dimensions of that input are honoured
 * (for example a batch fixed to 1). The inputs that {@link OnnxExporter} may add are fed too:
 * {@code sequence_lens} gets random lengths in [1, T], {@code initial_h_K}/{@code initial_c_K} random states, which
 * Rill gets as well. The model output (the ONNX output named as the model's IoSpec output, else the first output)
 * is compared with Rill's output, and {@code Y_h_K}/{@code Y_c_K} outputs, when present, with Rill's final states.
 */
public final class OnnxVerifier {

  /**
   * What to run and how strictly to compare.
   *
   * @param steps T of the random input (a fixed T of the ONNX input wins)
   * @param batch N of the random input (a fixed N of the ONNX input wins)
   * @param seed seed of the random inputs
   * @param rtol relative tolerance of the pass/fail verdict
   * @param atol absolute tolerance of the pass/fail verdict
   */
  public record Settings(int steps, int batch, long seed, double rtol, double atol) {

    /**
     * 20 steps, 3 sequences, seed 42; rtol 1e-4 and atol 1e-5, loose enough for ONNX Runtime's approximated
     * sigmoid and tanh in its GRU kernel, tight enough to catch any layout or attribute mistake.
     */
    public static final Settings DEFAULT = new Settings(20, 3, 42L, 1e-4, 1e-5);

    /** Checks the values. */
    public Settings {
      if (steps < 1 || batch < 1) {
        throw new IllegalArgumentException("steps and batch must be at least 1, got " + steps + " and " + batch);
      }
      if (!(rtol >= 0) || !(atol >= 0)) {
        throw new IllegalArgumentException("tolerances must be non-negative, got rtol " + rtol + ", atol " + atol);
      }
    }
  }

  private final Settings settings;

  /** A verifier with {@link Settings#DEFAULT}. */
  public OnnxVerifier() {
    this(Settings.DEFAULT);
  }

  /**
   * A verifier with the given settings.
   *
   * @param settings sizes, seed and tolerances
   */
  public OnnxVerifier(Settings settings) {
    this.settings = settings;
  }

  /**
   * Verifies an ONNX file against a Rill file.
   *
   * @param rillModel the .rill model
   * @param onnxModel the .onnx model
   * @return the errors per output
   * @throws IOException if a file cannot be read, a model is invalid, or the ONNX model's inputs do not fit the
   *     Rill model (the message says which input and why)
   */
  public VerificationReport verify(Path rillModel, Path onnxModel) throws IOException {
    try (Model model = Model.load(rillModel)) {
      return verify(model, Files.readAllBytes(onnxModel));
    }
  }

  /**
   * Verifies a serialized ONNX model against a loaded Rill model.
   *
   * @param model the Rill model
   * @param onnxModel the ONNX ModelProto bytes
   * @return the errors per output
   * @throws IOException if ONNX Runtime refuses the model or the ONNX model's inputs do not fit the Rill model
   */
  public VerificationReport verify(Model model, byte[] onnxModel) throws IOException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(1);
      // Failures arrive as OrtException (and then IOException); ORT's own log would repeat them on stderr.
      options.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
      try (OrtSession session = env.createSession(onnxModel, options)) {
        return verify(model, env, session);
      }
    } catch (OrtException e) {
      throw new IOException("ONNX Runtime failed: " + e.getMessage(), e);
    }
  }

  private VerificationReport verify(Model model, OrtEnvironment env, OrtSession session)
      throws OrtException, IOException {
    List<Layer> recurrent = model.proto().getLayersList().stream().filter(GateLayout::isRecurrent).toList();
    Map<String, NodeInfo> inputs = session.getInputInfo();
    String dataName = dataInputName(model, inputs);
    TensorInfo dataInfo = (TensorInfo) inputs.get(dataName).getInfo();
    long[] dataShape = dataInfo.getShape();
    int rank = model.isTokenModel() ? 2 : 3;
    if (dataShape.length != rank) {
      throw new IOException("ONNX input '" + dataName + "' has rank " + dataShape.length + ", expected " + rank
          + (model.isTokenModel() ? " (token ids [T, N])" : " ([T, N, " + model.inputSize() + "])"));
    }
    if (!model.isTokenModel() && dataShape[2] > 0 && dataShape[2] != model.inputSize()) {
      throw new IOException("ONNX input '" + dataName + "' has " + dataShape[2] + " features per step, the Rill"
          + " model " + model.inputSize());
    }
    int steps = dataShape[0] > 0 ? Math.toIntExact(dataShape[0]) : settings.steps();
    int batch = dataShape[1] > 0 ? Math.toIntExact(dataShape[1]) : settings.batch();
    Random random = new Random(settings.seed());

    Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
    try {
      SequenceBatch sequences;
      if (model.isTokenModel()) {
        int[] tokens = new int[steps * batch];
        for (int i = 0; i < tokens.length; i++) {
          tokens[i] = random.nextInt(model.inputSize());
        }
        sequences = SequenceBatch.ofTokens(tokens, steps, batch);
        feeds.put(dataName, tokenTensor(env, dataName, dataInfo, tokens, new long[] {steps, batch}));
      } else {
        float[] data = uniform(random, steps * batch * model.inputSize());
        sequences = SequenceBatch.ofVectors(data, steps, batch);
        feeds.put(dataName, floatTensor(env, dataName, dataInfo, data,
            new long[] {steps, batch, model.inputSize()}));
      }
      State.Builder initial = null;
      for (var entry : inputs.entrySet()) {
        String name = entry.getKey();
        if (name.equals(dataName)) {
          continue;
        }
        TensorInfo info = (TensorInfo) entry.getValue().getInfo();
        if (name.equals(OnnxExporter.SEQUENCE_LENS)) {
          int[] lengths = new int[batch];
          for (int s = 0; s < batch; s++) {
            lengths[s] = s == 0 ? steps : 1 + random.nextInt(steps);
          }
          sequences = sequences.withLengths(lengths);
          feeds.put(name, tokenTensor(env, name, info, lengths, new long[] {batch}));
          continue;
        }
        int layer = stateLayer(name, recurrent.size());
        if (layer < 0) {
          throw new IOException("ONNX input '" + name + "' is not one the verifier can feed (it feeds the"
              + " sequence input, " + OnnxExporter.SEQUENCE_LENS + ", initial_h_K and initial_c_K)");
        }
        Recurrent rec = GateLayout.recurrent(recurrent.get(layer));
        int d = GateLayout.directions(rec.getDirection());
        float[] state = uniform(random, d * batch * rec.getHiddenSize());
        if (initial == null) {
          initial = State.builder(model, batch);
        }
        if (name.startsWith("initial_h_")) {
          initial.hidden(layer, state);
        } else {
          initial.cell(layer, state);
        }
        feeds.put(name, floatTensor(env, name, info, state, new long[] {d, batch, rec.getHiddenSize()}));
      }
      if (initial != null) {
        sequences = sequences.withInitialState(initial.build());
      }
      SequenceResult expected = model.run(sequences);
      try (OrtSession.Result result = session.run(feeds)) {
        return compare(model, recurrent.size(), session, result, expected, steps, batch);
      }
    } finally {
      feeds.values().forEach(OnnxTensor::close);
    }
  }

  private VerificationReport compare(Model model, int recurrentLayers, OrtSession session,
      OrtSession.Result result, SequenceResult expected, int steps, int batch) throws OrtException, IOException {
    List<OutputComparison> comparisons = new ArrayList<>();
    String mainOutput = OnnxExporter.outputName(model.proto());
    if (result.get(mainOutput).isEmpty()) {
      mainOutput = session.getOutputNames().iterator().next();
    }
    comparisons.add(compareOutput(result, mainOutput, expected.output()));
    for (int k = 0; k < recurrentLayers; k++) {
      String h = OnnxExporter.finalHiddenName(k);
      if (result.get(h).isPresent()) {
        comparisons.add(compareOutput(result, h, expected.finalState().hidden(k)));
      }
      String c = OnnxExporter.finalCellName(k);
      if (result.get(c).isPresent()) {
        comparisons.add(compareOutput(result, c, expected.finalState().cell(k)));
      }
    }
    return new VerificationReport(steps, batch, settings.seed(), settings.rtol(), settings.atol(), comparisons);
  }

  private OutputComparison compareOutput(OrtSession.Result result, String name, float[] rill) throws IOException {
    OnnxValue value = result.get(name).orElseThrow();
    if (!(value instanceof OnnxTensor tensor) || ((TensorInfo) tensor.getInfo()).type != OnnxJavaType.FLOAT) {
      throw new IOException("ONNX output '" + name + "' is not a float tensor: " + value.getInfo());
    }
    FloatBuffer buffer = tensor.getFloatBuffer();
    float[] onnx = new float[buffer.remaining()];
    buffer.get(onnx);
    if (onnx.length != rill.length) {
      throw new IOException("ONNX output '" + name + "' has " + onnx.length + " values (shape "
          + Arrays.toString(((TensorInfo) tensor.getInfo()).getShape()) + "), Rill's has " + rill.length);
    }
    return OutputComparison.of(name, onnx, rill, settings.rtol(), settings.atol());
  }

  /** The sequence input: the one named as the model's input, else the only one the exporter does not add. */
  private static String dataInputName(Model model, Map<String, NodeInfo> inputs) throws IOException {
    String named = OnnxExporter.inputName(model.proto());
    if (inputs.containsKey(named)) {
      return named;
    }
    List<String> candidates = inputs.keySet().stream()
        .filter(n -> !n.equals(OnnxExporter.SEQUENCE_LENS) && stateLayer(n, Integer.MAX_VALUE) < 0)
        .toList();
    if (candidates.size() != 1) {
      throw new IOException("cannot tell which ONNX input is the sequence: expected one named '" + named
          + "' or exactly one besides the optional ones, found " + inputs.keySet());
    }
    return candidates.get(0);
  }

  /** The recurrent layer index K of an {@code initial_h_K}/{@code initial_c_K} input below {@code layers}, or -1. */
  private static int stateLayer(String name, int layers) {
    int layer = OnnxExporter.initialStateLayer(name);
    return layer < layers ? layer : -1;
  }

  private static float[] uniform(Random random, int count) {
    float[] values = new float[count];
    for (int i = 0; i < count; i++) {
      values[i] = random.nextFloat() * 2f - 1f;
    }
    return values;
  }

  private static OnnxTensor floatTensor(OrtEnvironment env, String name, TensorInfo info, float[] data,
      long[] shape) throws OrtException, IOException {
    if (info.type != OnnxJavaType.FLOAT) {
      throw new IOException("ONNX input '" + name + "' has type " + info.type + ", expected float");
    }
    return OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape);
  }

  private static OnnxTensor tokenTensor(OrtEnvironment env, String name, TensorInfo info, int[] values,
      long[] shape) throws OrtException, IOException {
    return switch (info.type) {
      case INT32 -> OnnxTensor.createTensor(env, IntBuffer.wrap(values), shape);
      case INT64 -> {
        long[] wide = new long[values.length];
        for (int i = 0; i < values.length; i++) {
          wide[i] = values[i];
        }
        yield OnnxTensor.createTensor(env, LongBuffer.wrap(wide), shape);
      }
      default -> throw new IOException("ONNX input '" + name + "' has type " + info.type
          + ", expected int64 or int32");
    };
  }
}
