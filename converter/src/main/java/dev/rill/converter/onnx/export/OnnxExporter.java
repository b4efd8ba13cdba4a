package dev.rill.converter.onnx.export;

import static dev.rill.converter.onnx.export.GraphBuilder.intAttr;
import static dev.rill.converter.onnx.export.GraphBuilder.intsAttr;

import dev.rill.converter.onnx.proto.ModelProto;
import dev.rill.converter.onnx.proto.OperatorSetIdProto;
import dev.rill.converter.onnx.proto.StringStringEntryProto;
import dev.rill.converter.onnx.proto.TensorProto.DataType;
import dev.rill.format.GateLayout;
import dev.rill.format.ModelValidator;
import dev.rill.format.Tensors;
import dev.rill.format.proto.DenseLayer;
import dev.rill.format.proto.Layer;
import dev.rill.format.proto.Recurrent;
import dev.rill.format.proto.RillModel;
import dev.rill.format.proto.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes a Rill model as an ONNX model (opset {@value #OPSET}, IR version {@value #IR_VERSION}) that ONNX Runtime
 * loads and that computes what Rill computes.
 *
 * <p>The graph, time-major as the ONNX recurrent operators are:
 * <ul>
 *   <li>input: float [T, N, X], or int64 token ids [T, N] that a Gather maps through the embedding;
 *   <li>each recurrent layer: one LSTM, GRU or RNN node (a minimal GRU becomes a GRU, see below) whose Y
 *       [T, D, N, H] becomes [T, N, D*H] (Squeeze for one direction, Transpose and Reshape for two);
 *   <li>each dense layer: MatMul and Add, then Softmax/LogSoftmax (last axis), Sigmoid or Tanh;
 *   <li>outputs: the model output [T, N, out], and (unless switched off in {@link ExportOptions}) per
 *       recurrent layer K the final states {@code Y_h_K} (and {@code Y_c_K} for LSTM), [D, N, H];
 *   <li>optional inputs (see {@link ExportOptions}): {@code initial_h_K}/{@code initial_c_K} and
 *       {@code sequence_lens}; with sequence lengths the model output is zero past each sequence's length,
 *       as in Rill: a recurrent node's Y already is, and when dense layers follow the last recurrent layer a
 *       mask (Shape, Range, Less, Cast, Mul) zeroes their output there.
 * </ul>
 * Weights stored as bfloat16 or int8 are dequantised to float. A MINIMAL_GRU layer, which has no ONNX operator,
 * is written as a GRU with a saturated reset gate; this needs an update activation of Sigmoid or HardSigmoid
 * and no clip, and otherwise the export fails with an {@link OnnxExportException} naming the layer.
 */
public final class OnnxExporter {

  /** The ONNX opset the graph imports. */
  public static final int OPSET = 17;
  /** The IR version written: 8 is what ONNX Runtime 1.29 and older runtimes load. */
  public static final long IR_VERSION = 8;
  /** Name of the optional int32 [N] input with the per-sequence lengths. */
  public static final String SEQUENCE_LENS = "sequence_lens";
  /** Input name used when the model's IoSpec has none. */
  public static final String DEFAULT_INPUT = "input";
  /** Output name used when the model's IoSpec has none. */
  public static final String DEFAULT_OUTPUT = "output";

  private static final Pattern INITIAL_STATE = Pattern.compile("initial_[hc]_(0|[1-9][0-9]{0,5})");

  private final ExportOptions options;

  /** An exporter of the plain graph ({@link ExportOptions#DEFAULT}). */
  public OnnxExporter() {
    this(ExportOptions.DEFAULT);
  }

  /**
   * An exporter with optional inputs.
   *
   * @param options which optional inputs the graph gets
   */
  public OnnxExporter(ExportOptions options) {
    this.options = Objects.requireNonNull(options, "options");
  }

  /**
   * Returns the name of the initial hidden state input of a recurrent layer.
   *
   * @param layer the index of the recurrent layer, counting recurrent layers only, from 0
   * @return {@code initial_h_<layer>}
   */
  public static String initialHiddenName(int layer) {
    return "initial_h_" + layer;
  }

  /**
   * Returns the name of the initial cell state input of an LSTM layer.
   *
   * @param layer the index of the recurrent layer, from 0
   * @return {@code initial_c_<layer>}
   */
  public static String initialCellName(int layer) {
    return "initial_c_" + layer;
  }

  /**
   * Tells which recurrent layer an initial-state input belongs to.
   *
   * @param inputName an ONNX input name
   * @return K for {@code initial_h_K} or {@code initial_c_K}, else -1
   */
  public static int initialStateLayer(String inputName) {
    Matcher matcher = INITIAL_STATE.matcher(inputName);
    return matcher.matches() ? Integer.parseInt(matcher.group(1)) : -1;
  }

  /**
   * Returns the name of the final hidden state output of a recurrent layer.
   *
   * @param layer the index of the recurrent layer, from 0
   * @return {@code Y_h_<layer>}
   */
  public static String finalHiddenName(int layer) {
    return "Y_h_" + layer;
  }

  /**
   * Returns the name of the final cell state output of an LSTM layer.
   *
   * @param layer the index of the recurrent layer, from 0
   * @return {@code Y_c_<layer>}
   */
  public static String finalCellName(int layer) {
    return "Y_c_" + layer;
  }

  /**
   * Returns the name of the exported graph's sequence input.
   *
   * @param model a Rill model
   * @return the IoSpec's input name, or {@value #DEFAULT_INPUT}
   */
  public static String inputName(RillModel model) {
    String name = model.getIo().getInputName();
    return name.isEmpty() ? DEFAULT_INPUT : name;
  }

  /**
   * Returns the name of the exported graph's model output.
   *
   * @param model a Rill model
   * @return the IoSpec's output name, or {@value #DEFAULT_OUTPUT}
   */
  public static String outputName(RillModel model) {
    String name = model.getIo().getOutputName();
    return name.isEmpty() ? DEFAULT_OUTPUT : name;
  }

  /**
   * Exports a model to an ONNX file, atomically (written to a temporary file beside the target, then moved).
   *
   * @param model the Rill model; it is validated first
   * @param target the .onnx file to write
   * @throws IOException if the model is invalid ({@code ModelFormatException}), cannot be expressed in ONNX
   *     ({@link OnnxExportException}) or the file cannot be written
   */
  public void export(RillModel model, Path target) throws IOException {
    byte[] bytes = export(model).toByteArray();
    Path folder = target.toAbsolutePath().getParent();
    Path temp = Files.createTempFile(folder, target.getFileName().toString(), ".tmp");
    try {
      Files.write(temp, bytes);
      Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /**
   * Exports a model to an ONNX ModelProto.
   *
   * @param model the Rill model; it is validated first
   * @return the ONNX model
   * @throws IOException if the model is invalid ({@code ModelFormatException}) or cannot be expressed in ONNX
   *     ({@link OnnxExportException})
   */
  public ModelProto export(RillModel model) throws IOException {
    ModelValidator.validate(model);
    Map<String, Tensor> tensors = new HashMap<>();
    model.getTensorsList().forEach(t -> tensors.put(t.getName(), t));
    Function<String, float[]> floats = name -> Tensors.toFloats(tensors.get(name));

    GraphBuilder graph = new GraphBuilder();
    String input = inputName(model);
    String sequenceLens = "";
    if (options.sequenceLengths()) {
      sequenceLens = SEQUENCE_LENS;
      graph.input(SEQUENCE_LENS, DataType.INT32, "N");
    }
    String current = input;
    long width = 0;
    int recurrentIndex = 0;
    List<Runnable> stateOutputs = new ArrayList<>();
    for (Layer layer : model.getLayersList()) {
      switch (layer.getKindCase()) {
        case INPUT -> {
          width = layer.getInput().getSize();
          graph.input(input, DataType.FLOAT, "T", "N", width);
        }
        case EMBEDDING -> {
          var embedding = layer.getEmbedding();
          graph.input(input, DataType.INT64, "T", "N");
          String table = graph.floats("rill/" + layer.getName() + "/weight", floats.apply(embedding.getWeight()),
              embedding.getVocabSize(), embedding.getDim());
          current = graph.node("Gather", List.of(table, input));
          width = embedding.getDim();
        }
        case LSTM, GRU, MINIMAL_GRU, RNN -> {
          current = recurrent(graph, layer, floats, current, sequenceLens, recurrentIndex++, stateOutputs);
          width = GateLayout.outputSize(layer);
        }
        case DENSE -> {
          current = dense(graph, layer, floats, current);
          width = layer.getDense().getOutputSize();
        }
        default -> throw new OnnxExportException("layer '" + layer.getName() + "' has no kind");
      }
    }
    Layer last = model.getLayers(model.getLayersCount() - 1);
    if (options.sequenceLengths() && !GateLayout.isRecurrent(last)) {
      // A recurrent node's Y is already zero past each length; what follows it (a bias, an activation) is not.
      current = graph.node("Mul", List.of(current, validStepMask(graph, input, sequenceLens)));
    }
    String output = outputName(model);
    if (!graph.renameLastOutput(current, output)) {
      graph.node("Identity", List.of(current), List.of(output));
    }
    graph.output(output, DataType.FLOAT, "T", "N", width);
    stateOutputs.forEach(Runnable::run);

    ModelProto.Builder onnx = ModelProto.newBuilder()
        .setIrVersion(IR_VERSION)
        .setProducerName("rill")
        .setDocString(model.getIo().getDescription())
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
        .setGraph(graph.build());
    model.getMetadataMap().forEach((k, v) ->
        onnx.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
    return onnx.build();
  }

  private String recurrent(GraphBuilder graph, Layer layer, Function<String, float[]> floats,
      String current, String sequenceLens, int index, List<Runnable> stateOutputs) throws OnnxExportException {
    Recurrent rec = GateLayout.recurrent(layer);
    int d = GateLayout.directions(rec.getDirection());
    int h = rec.getHiddenSize();
    boolean lstm = layer.hasLstm();
    String initialH = "";
    String initialC = "";
    if (options.initialStates()) {
      initialH = initialHiddenName(index);
      graph.input(initialH, DataType.FLOAT, d, "N", h);
      if (lstm) {
        initialC = initialCellName(index);
        graph.input(initialC, DataType.FLOAT, d, "N", h);
      }
    }
    List<String> states = List.of();
    if (options.stateOutputs()) {
      states = lstm ? List.of(finalHiddenName(index), finalCellName(index)) : List.of(finalHiddenName(index));
      // Declared after the model output so that the model output comes first in the graph's output list.
      List<String> declared = states;
      stateOutputs.add(() -> declared.forEach(s -> graph.output(s, DataType.FLOAT, d, "N", h)));
    }
    String y = RecurrentNodes.add(graph, layer, floats, current, sequenceLens, initialH, initialC, states).get(0);
    if (d == 1) {
      return graph.node("Squeeze", List.of(y, graph.int64s("rill/" + layer.getName() + "/axes", new long[] {1}, 1)));
    }
    // [T, D, N, H] -> [T, N, D, H] -> [T, N, D*H]: directions concatenated per step, forward first.
    String transposed = graph.node("Transpose", List.of(y), intsAttr("perm", 0, 2, 1, 3));
    String shape = graph.int64s("rill/" + layer.getName() + "/shape", new long[] {0, 0, (long) d * h}, 3);
    return graph.node("Reshape", List.of(transposed, shape));
  }

  private static String dense(GraphBuilder graph, Layer layer, Function<String, float[]> floats,
      String current) {
    DenseLayer dense = layer.getDense();
    int in = dense.getInputSize();
    int out = dense.getOutputSize();
    float[] weight = floats.apply(dense.getWeight());
    // Rill stores [out, in]; MatMul wants [in, out].
    float[] transposed = new float[in * out];
    for (int o = 0; o < out; o++) {
      for (int i = 0; i < in; i++) {
        transposed[i * out + o] = weight[o * in + i];
      }
    }
    String prefix = "rill/" + layer.getName() + "/";
    String y = graph.node("MatMul", List.of(current, graph.floats(prefix + "weight", transposed, in, out)));
    if (!dense.getBias().isEmpty()) {
      y = graph.node("Add", List.of(y, graph.floats(prefix + "bias", floats.apply(dense.getBias()), out)));
    }
    return switch (dense.getActivation()) {
      case SOFTMAX -> graph.node("Softmax", List.of(y), intAttr("axis", -1));
      case LOG_SOFTMAX -> graph.node("LogSoftmax", List.of(y), intAttr("axis", -1));
      case OUTPUT_SIGMOID -> graph.node("Sigmoid", List.of(y));
      case OUTPUT_TANH -> graph.node("Tanh", List.of(y));
      default -> y;
    };
  }

  /** [T, N, 1] float: 1 where step t < sequence_lens[n], else 0. */
  private static String validStepMask(GraphBuilder graph, String input, String sequenceLens) {
    String shape = graph.node("Shape", List.of(input));
    String steps = graph.node("Gather", List.of(shape, graph.int64s("rill/mask/zero", new long[] {0})),
        intAttr("axis", 0));
    String range = graph.node("Range", List.of("rill/mask/zero", steps,
        graph.int64s("rill/mask/one", new long[] {1})));
    String column = graph.node("Unsqueeze", List.of(range, graph.int64s("rill/mask/axis1", new long[] {1}, 1)));
    String lengths = graph.node("Cast", List.of(sequenceLens), intAttr("to", DataType.INT64.getNumber()));
    String valid = graph.node("Less", List.of(column, lengths));
    String mask = graph.node("Cast", List.of(valid), intAttr("to", DataType.FLOAT.getNumber()));
    return graph.node("Unsqueeze", List.of(mask, graph.int64s("rill/mask/axis2", new long[] {2}, 1)));
  }
}
