package dev.rill.tests;

import static dev.rill.runtime.testing.RandomModels.activation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.converter.onnx.export.ExportOptions;
import dev.rill.converter.onnx.export.OnnxExporter;
import dev.rill.converter.onnx.proto.GraphProto;
import dev.rill.converter.onnx.proto.ModelProto;
import dev.rill.converter.onnx.proto.NodeProto;
import dev.rill.converter.verify.OnnxVerifier;
import dev.rill.converter.verify.OutputComparison;
import dev.rill.converter.verify.VerificationReport;
import dev.rill.format.proto.ActivationKind;
import dev.rill.format.proto.Direction;
import dev.rill.format.proto.OutputActivation;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.Model;
import dev.rill.runtime.testing.RandomModels;
import dev.rill.runtime.testing.RandomModels.Options;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ONNX Runtime Java as the oracle of the ONNX export: random-weight Rill models covering every attribute of the
 * recurrent operators are exported, run in ORT and in Rill on the same random inputs (24 steps, 3 sequences with
 * lengths shorter than T, random non-zero initial states), and every output is compared: the model output and each
 * layer's final Y_h (and Y_c).
 *
 * <p>Tolerance: |ort - rill| &lt;= 1e-6 + 1e-5 * |rill| for every cell. ORT's GRU kernel evaluates sigmoid and
 * tanh with a rational approximation (onnxruntime's {@code deepcpu} gru_* helpers), yet over these 24 steps the
 * largest absolute error measured was 3.6e-7 (minimal GRU), 2e-7 for GRU, 5e-7 for RNN and 1.2e-7 for LSTM, so
 * no case needs a looser bound.
 *
 * <p>{@link #everyMutationIsCaught} checks that these comparisons have teeth: an exported graph with one
 * attribute or input dropped must fail them.
 */
class OnnxExportOracleTest {

  static final int STEPS = 24;
  static final int BATCH = 3;
  static final double RTOL = 1e-5;
  static final double ATOL = 1e-6;

  enum Cell { LSTM, GRU, GRU_LINEAR_BEFORE_RESET, RNN, MINIMAL_GRU }

  static Stream<Arguments> cellsAndDirections() {
    List<Arguments> cases = new ArrayList<>();
    for (Cell cell : Cell.values()) {
      for (Direction direction : List.of(Direction.FORWARD, Direction.REVERSE, Direction.BIDIRECTIONAL)) {
        cases.add(Arguments.of(cell, direction));
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cellsAndDirections")
  void everyCellAndDirection(Cell cell, Direction direction) throws Exception {
    RandomModels models = new RandomModels(cell.ordinal() * 10L + direction.getNumber()).vectorInput(5);
    RillModel model = add(models, cell, 7, direction, Options.DEFAULT).build();
    assertMatchesOrt(model, cell + " " + direction);
  }

  @ParameterizedTest(name = "{0} clip")
  @EnumSource(value = Cell.class, mode = EnumSource.Mode.EXCLUDE, names = "MINIMAL_GRU") // refused, see OnnxExporterTest
  void clip(Cell cell) throws Exception {
    // Larger weights so that the clip bound is actually reached.
    RandomModels models = new RandomModels(100 + cell.ordinal()).scale(1.5f).vectorInput(5);
    RillModel model = add(models, cell, 6, Direction.BIDIRECTIONAL, Options.DEFAULT.withClip(0.75f)).build();
    assertMatchesOrt(model, cell + " clip");
  }

  static Stream<Arguments> rnnActivations() {
    return Stream.of(
        activation(ActivationKind.TANH, 0, 0),
        activation(ActivationKind.SIGMOID, 0, 0),
        activation(ActivationKind.RELU, 0, 0),
        activation(ActivationKind.HARD_SIGMOID, 0.3f, 0.4f),
        activation(ActivationKind.LEAKY_RELU, 0.05f, 0),
        activation(ActivationKind.THRESHOLDED_RELU, 0.2f, 0),
        activation(ActivationKind.SCALED_TANH, 1.5f, 0.7f),
        activation(ActivationKind.AFFINE, 0.6f, 0.1f),
        activation(ActivationKind.ELU, 0.8f, 0),
        activation(ActivationKind.SOFTSIGN, 0, 0),
        activation(ActivationKind.SOFTPLUS, 0, 0)).map(Arguments::of);
  }

  @ParameterizedTest(name = "RNN {0}")
  @MethodSource("rnnActivations")
  void everyActivationInAnRnn(dev.rill.format.proto.Activation f) throws Exception {
    // Small weights keep unbounded activations (Affine, Relu, Softplus, ...) from growing over 24 steps.
    RandomModels models = new RandomModels(200 + f.getKind().getNumber()).scale(0.3f).vectorInput(4);
    RillModel model = models.rnn(6, Direction.BIDIRECTIONAL, Options.DEFAULT.withActivations(List.of(f))).build();
    assertMatchesOrt(model, f.getKind().name());
  }

  @ParameterizedTest(name = "LSTM activations, {0}")
  @EnumSource(value = Direction.class, names = {"FORWARD", "BIDIRECTIONAL"})
  void lstmActivationsWithAlphaAndBeta(Direction direction) throws Exception {
    // f, g, h all non-default, with alpha and beta, and different functions per direction.
    List<dev.rill.format.proto.Activation> forward = List.of(
        activation(ActivationKind.HARD_SIGMOID, 0.25f, 0.45f),
        activation(ActivationKind.SCALED_TANH, 1.2f, 0.8f),
        activation(ActivationKind.SOFTSIGN, 0, 0));
    List<dev.rill.format.proto.Activation> functions = new ArrayList<>(forward);
    if (direction == Direction.BIDIRECTIONAL) {
      functions.addAll(List.of(
          activation(ActivationKind.SIGMOID, 0, 0),
          activation(ActivationKind.AFFINE, 0.5f, -0.2f),
          activation(ActivationKind.LEAKY_RELU, 0.1f, 0)));
    }
    RandomModels models = new RandomModels(300 + direction.getNumber()).vectorInput(5);
    RillModel model = models.lstm(6, direction, Options.DEFAULT.withActivations(functions)).build();
    assertMatchesOrt(model, "activations");
  }

  @ParameterizedTest(name = "GRU activations, linear_before_reset {0}")
  @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
  void gruActivationsWithAlphaAndBeta(boolean linearBeforeReset) throws Exception {
    List<dev.rill.format.proto.Activation> functions = List.of(
        activation(ActivationKind.HARD_SIGMOID, 0.2f, 0.5f),
        activation(ActivationKind.ELU, 0.9f, 0),
        activation(ActivationKind.SIGMOID, 0, 0),
        activation(ActivationKind.THRESHOLDED_RELU, 0.1f, 0));
    Options options = Options.DEFAULT.withActivations(functions);
    if (linearBeforeReset) {
      options = options.withLinearBeforeReset();
    }
    RandomModels models = new RandomModels(400 + (linearBeforeReset ? 1 : 0)).scale(0.4f).vectorInput(5);
    RillModel model = models.gru(6, Direction.BIDIRECTIONAL, options).build();
    assertMatchesOrt(model, "activations");
  }

  @ParameterizedTest(name = "LSTM peepholes {0}, input_forget {1}")
  @MethodSource("lstmOptions")
  void lstmPeepholesAndInputForget(boolean peepholes, boolean inputForget) throws Exception {
    Options options = Options.DEFAULT;
    if (peepholes) {
      options = options.withPeepholes();
    }
    if (inputForget) {
      options = options.withInputForget();
    }
    RandomModels models = new RandomModels(500 + (peepholes ? 2 : 0) + (inputForget ? 1 : 0)).vectorInput(5);
    RillModel model = models.lstm(7, Direction.BIDIRECTIONAL, options).build();
    assertMatchesOrt(model, "peepholes/input_forget");
  }

  static Stream<Arguments> lstmOptions() {
    return Stream.of(Arguments.of(true, false), Arguments.of(false, true), Arguments.of(true, true));
  }

  @ParameterizedTest(name = "minimal GRU update activation {0}")
  @EnumSource(value = ActivationKind.class, names = {"SIGMOID", "HARD_SIGMOID"})
  void minimalGruUpdateActivations(ActivationKind kind) throws Exception {
    List<dev.rill.format.proto.Activation> functions = List.of(
        activation(kind, 0.3f, 0.6f), activation(ActivationKind.SOFTSIGN, 0, 0));
    RandomModels models = new RandomModels(600 + kind.getNumber()).vectorInput(4);
    RillModel model = models.minimalGru(5, Direction.BIDIRECTIONAL, Options.DEFAULT.withActivations(functions))
        .build();
    assertMatchesOrt(model, kind.name());
  }

  @ParameterizedTest(name = "stacked with dense {0}")
  @EnumSource(value = OutputActivation.class, names = {"NONE", "SOFTMAX", "LOG_SOFTMAX", "OUTPUT_SIGMOID",
      "OUTPUT_TANH"})
  void stackedLayersWithDense(OutputActivation activation) throws Exception {
    RillModel model = new RandomModels(700 + activation.getNumber()).vectorInput(6)
        .lstm(8, Direction.BIDIRECTIONAL, Options.DEFAULT.withPeepholes())
        .gru(5, Direction.FORWARD, Options.DEFAULT.withLinearBeforeReset())
        .dense(7, OutputActivation.OUTPUT_TANH)
        .rnn(4, Direction.REVERSE, Options.DEFAULT)
        .dense(3, activation)
        .build();
    assertMatchesOrt(model, "stacked");
  }

  @ParameterizedTest(name = "token model, {0}")
  @EnumSource(value = Cell.class, names = {"LSTM", "RNN"})
  void tokenModel(Cell cell) throws Exception {
    RandomModels models = new RandomModels(800 + cell.ordinal()).tokenInput(11, 4);
    RillModel model = add(models, cell, 6, Direction.BIDIRECTIONAL, Options.DEFAULT)
        .dense(11, OutputActivation.LOG_SOFTMAX).build();
    assertMatchesOrt(model, "tokens");
  }

  /** One way to break an exported graph, and a model on which the break changes the outputs. */
  record Mutation(String name, RillModel model, UnaryOperator<NodeProto.Builder> change) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Mutation> mutations() {
    Options clipped = Options.DEFAULT.withClip(0.75f);
    return Stream.of(
        new Mutation("clip dropped", new RandomModels(901).scale(1.5f).vectorInput(5)
            .lstm(6, Direction.FORWARD, clipped).build(), node -> dropAttribute(node, "clip")),
        new Mutation("activations dropped", new RandomModels(902).vectorInput(5)
            .rnn(6, Direction.FORWARD, Options.DEFAULT.withActivations(
                List.of(activation(ActivationKind.SOFTSIGN, 0, 0)))).build(),
            node -> dropAttribute(node, "activations")),
        new Mutation("activation_alpha dropped", new RandomModels(903).vectorInput(5)
            .rnn(6, Direction.FORWARD, Options.DEFAULT.withActivations(
                List.of(activation(ActivationKind.SCALED_TANH, 0.9f, 1f)))).build(),
            node -> dropAttribute(node, "activation_alpha")),
        new Mutation("input_forget dropped", new RandomModels(904).vectorInput(5)
            .lstm(6, Direction.FORWARD, Options.DEFAULT.withInputForget()).build(),
            node -> dropAttribute(node, "input_forget")),
        new Mutation("linear_before_reset dropped", new RandomModels(905).vectorInput(5)
            .gru(6, Direction.FORWARD, Options.DEFAULT.withLinearBeforeReset()).build(),
            node -> dropAttribute(node, "linear_before_reset")),
        new Mutation("peepholes dropped", new RandomModels(906).vectorInput(5)
            .lstm(6, Direction.FORWARD, Options.DEFAULT.withPeepholes()).build(), node -> node.setInput(7, "")),
        new Mutation("sequence_lens not wired", new RandomModels(907).vectorInput(5)
            .gru(6, Direction.REVERSE, Options.DEFAULT).build(), node -> node.setInput(4, "")),
        new Mutation("initial_h not wired", new RandomModels(908).vectorInput(5)
            .rnn(6, Direction.FORWARD, Options.DEFAULT).build(), node -> node.setInput(5, "")),
        new Mutation("reverse written as forward", new RandomModels(909).vectorInput(5)
            .rnn(6, Direction.REVERSE, Options.DEFAULT).build(),
            node -> dropAttribute(node, "direction")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("mutations")
  void everyMutationIsCaught(Mutation mutation) throws Exception {
    ModelProto exported = new OnnxExporter(ExportOptions.ALL_INPUTS).export(mutation.model());
    ModelProto.Builder broken = exported.toBuilder();
    GraphProto.Builder graph = broken.getGraphBuilder();
    NodeProto.Builder node = graph.getNodeBuilderList().stream()
        .filter(n -> List.of("LSTM", "GRU", "RNN").contains(n.getOpType())).findFirst().orElseThrow();
    mutation.change().apply(node);
    OnnxVerifier verifier = new OnnxVerifier(new OnnxVerifier.Settings(STEPS, BATCH, 1234L, RTOL, ATOL));
    try (Model rill = Model.of(mutation.model())) {
      assertTrue(verifier.verify(rill, exported.toByteArray()).passed(), "the intact export must pass");
      VerificationReport report = verifier.verify(rill, broken.build().toByteArray());
      assertFalse(report.passed(), mutation + ": the broken export passed: " + report);
    }
  }

  private static NodeProto.Builder dropAttribute(NodeProto.Builder node, String name) {
    for (int i = 0; i < node.getAttributeCount(); i++) {
      if (node.getAttribute(i).getName().equals(name)) {
        return node.removeAttribute(i);
      }
    }
    throw new AssertionError("the exported node has no attribute " + name + ": " + node);
  }

  private static RandomModels add(RandomModels models, Cell cell, int hidden, Direction direction, Options options) {
    return switch (cell) {
      case LSTM -> models.lstm(hidden, direction, options);
      case GRU -> models.gru(hidden, direction, options);
      case GRU_LINEAR_BEFORE_RESET -> models.gru(hidden, direction, options.withLinearBeforeReset());
      case RNN -> models.rnn(hidden, direction, options);
      case MINIMAL_GRU -> models.minimalGru(hidden, direction, options);
    };
  }

  /** Exports twice (plain, and with sequence_lens and initial states) and checks every output against Rill. */
  static void assertMatchesOrt(RillModel model, String what) throws Exception {
    OnnxVerifier.Settings settings = new OnnxVerifier.Settings(STEPS, BATCH, 1234L, RTOL, ATOL);
    try (Model rill = Model.of(model)) {
      for (ExportOptions options : List.of(ExportOptions.DEFAULT, ExportOptions.ALL_INPUTS)) {
        byte[] onnx = new OnnxExporter(options).export(model).toByteArray();
        VerificationReport report = new OnnxVerifier(settings).verify(rill, onnx);
        List<String> names = report.outputs().stream().map(OutputComparison::name).toList();
        assertEquals(expectedOutputs(model), names, what + ": compared outputs");
        assertEquals((long) STEPS * BATCH * rill.outputSize(), report.outputs().get(0).elements(),
            what + ": model output size");
        String errors = report.outputs().stream()
            .map(o -> o.name() + " abs " + o.maxAbsError() + " rel " + o.maxRelError() + " bad " + o.mismatches())
            .collect(Collectors.joining("; "));
        assertTrue(report.passed(), what + " " + options + ": ORT and Rill differ: " + errors);
      }
    }
  }

  private static List<String> expectedOutputs(RillModel model) {
    List<String> names = new ArrayList<>(List.of(OnnxExporter.outputName(model)));
    int k = 0;
    for (var layer : model.getLayersList()) {
      if (dev.rill.format.GateLayout.isRecurrent(layer)) {
        names.add(OnnxExporter.finalHiddenName(k));
        if (layer.hasLstm()) {
          names.add(OnnxExporter.finalCellName(k));
        }
        k++;
      }
    }
    return names;
  }
}
