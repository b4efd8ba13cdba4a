package dev.rill.runtime;

import static dev.rill.format.proto.ActivationKind.AFFINE;
import static dev.rill.format.proto.ActivationKind.ELU;
import static dev.rill.format.proto.ActivationKind.HARD_SIGMOID;
import static dev.rill.format.proto.ActivationKind.LEAKY_RELU;
import static dev.rill.format.proto.ActivationKind.RELU;
import static dev.rill.format.proto.ActivationKind.SCALED_TANH;
import static dev.rill.format.proto.ActivationKind.SIGMOID;
import static dev.rill.format.proto.ActivationKind.SOFTPLUS;
import static dev.rill.format.proto.ActivationKind.SOFTSIGN;
import static dev.rill.format.proto.ActivationKind.TANH;
import static dev.rill.format.proto.ActivationKind.THRESHOLDED_RELU;
import static dev.rill.runtime.testing.RandomModels.activation;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.rill.format.proto.Direction;
import dev.rill.format.proto.OutputActivation;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.reference.ReferenceRnn;
import dev.rill.runtime.testing.RandomModels;
import dev.rill.runtime.testing.RandomModels.Options;
import dev.rill.runtime.testing.Tolerance;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The runtime against the double-precision {@link ReferenceRnn} for every cell kind, direction and attribute
 * the format carries, with random weights, several sequence lengths and batch sizes, per-sequence lengths
 * shorter than T (including 0) and random initial states. Bound: {@link Tolerance#FP32}.
 */
class ReferenceComparisonTest {

  private static final int INPUT = 4;
  private static final int HIDDEN = 5;

  /** One layer configuration: a name for the report and how to add the layer. */
  record Cell(String name, BiFunction<RandomModels, Direction, RandomModels> add) {
    @Override
    public String toString() {
      return name;
    }
  }

  static List<Cell> cells() {
    Options d = Options.DEFAULT;
    List<Cell> cells = new ArrayList<>();
    cells.add(new Cell("LSTM", (m, dir) -> m.lstm(HIDDEN, dir, d)));
    cells.add(new Cell("LSTM no bias", (m, dir) -> m.lstm(HIDDEN, dir, d.withoutBias())));
    cells.add(new Cell("LSTM peepholes", (m, dir) -> m.lstm(HIDDEN, dir, d.withPeepholes())));
    cells.add(new Cell("LSTM clip", (m, dir) -> m.lstm(HIDDEN, dir, d.withClip(0.4f))));
    cells.add(new Cell("LSTM peepholes clip", (m, dir) -> m.lstm(HIDDEN, dir, d.withPeepholes().withClip(0.3f))));
    cells.add(new Cell("LSTM input_forget", (m, dir) -> m.lstm(HIDDEN, dir, d.withInputForget())));
    cells.add(new Cell("LSTM input_forget peepholes clip",
        (m, dir) -> m.lstm(HIDDEN, dir, d.withInputForget().withPeepholes().withClip(0.5f))));
    cells.add(new Cell("LSTM HardSigmoid/ScaledTanh/Softsign", (m, dir) -> m.lstm(HIDDEN, dir, d.withActivations(
        List.of(activation(HARD_SIGMOID, 0.3f, 0.4f), activation(SCALED_TANH, 1.5f, 0.7f),
            activation(SOFTSIGN, 0, 0))))));
    cells.add(new Cell("LSTM Sigmoid/Elu/Softplus", (m, dir) -> m.lstm(HIDDEN, dir, d.withActivations(
        List.of(activation(SIGMOID, 0, 0), activation(ELU, 0.8f, 0), activation(SOFTPLUS, 0, 0))))));
    cells.add(new Cell("LSTM per-direction activations", (m, dir) -> m.lstm(HIDDEN, dir, d.withActivations(
        dir == Direction.BIDIRECTIONAL
            ? List.of(activation(SIGMOID, 0, 0), activation(TANH, 0, 0), activation(TANH, 0, 0),
                activation(HARD_SIGMOID, 0.2f, 0.5f), activation(LEAKY_RELU, 0.1f, 0), activation(RELU, 0, 0))
            : List.of(activation(HARD_SIGMOID, 0.2f, 0.5f), activation(LEAKY_RELU, 0.1f, 0),
                activation(RELU, 0, 0))))));
    for (boolean lbr : new boolean[] {false, true}) {
      String v = " linear_before_reset=" + (lbr ? 1 : 0);
      Options o = lbr ? d.withLinearBeforeReset() : d;
      cells.add(new Cell("GRU" + v, (m, dir) -> m.gru(HIDDEN, dir, o)));
      cells.add(new Cell("GRU clip" + v, (m, dir) -> m.gru(HIDDEN, dir, o.withClip(0.35f))));
      cells.add(new Cell("GRU no bias" + v, (m, dir) -> m.gru(HIDDEN, dir, o.withoutBias())));
      cells.add(new Cell("GRU HardSigmoid/Affine" + v, (m, dir) -> m.gru(HIDDEN, dir, o.withActivations(
          List.of(activation(HARD_SIGMOID, 0.25f, 0.45f), activation(AFFINE, 0.6f, 0.1f))))));
      cells.add(new Cell("GRU Sigmoid/ThresholdedRelu" + v, (m, dir) -> m.gru(HIDDEN, dir, o.withActivations(
          List.of(activation(SIGMOID, 0, 0), activation(THRESHOLDED_RELU, 0.1f, 0))))));
      cells.add(new Cell("GRU Sigmoid/LeakyRelu" + v, (m, dir) -> m.gru(HIDDEN, dir, o.withActivations(
          List.of(activation(SIGMOID, 0, 0), activation(LEAKY_RELU, 0.05f, 0))))));
    }
    cells.add(new Cell("MinimalGRU", (m, dir) -> m.minimalGru(HIDDEN, dir, d)));
    cells.add(new Cell("MinimalGRU clip", (m, dir) -> m.minimalGru(HIDDEN, dir, d.withClip(0.3f))));
    cells.add(new Cell("MinimalGRU HardSigmoid/Softsign", (m, dir) -> m.minimalGru(HIDDEN, dir, d.withActivations(
        List.of(activation(HARD_SIGMOID, 0.2f, 0.5f), activation(SOFTSIGN, 0, 0))))));
    cells.add(new Cell("RNN Tanh", (m, dir) -> m.rnn(HIDDEN, dir, d)));
    cells.add(new Cell("RNN clip", (m, dir) -> m.rnn(HIDDEN, dir, d.withClip(0.25f))));
    for (var kind : List.of(RELU, ELU, SCALED_TANH, SOFTPLUS, AFFINE, SOFTSIGN, LEAKY_RELU, THRESHOLDED_RELU,
        HARD_SIGMOID, SIGMOID)) {
      cells.add(new Cell("RNN " + kind, (m, dir) -> m.rnn(HIDDEN, dir,
          d.withActivations(List.of(activation(kind, 0.7f, 0.2f))))));
    }
    return cells;
  }

  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    for (Cell cell : cells()) {
      for (Direction dir : List.of(Direction.FORWARD, Direction.REVERSE, Direction.BIDIRECTIONAL)) {
        cases.add(Arguments.of(cell, dir));
      }
    }
    return cases.stream();
  }

  /** Shapes: (T, N, lengths or null, with initial state). */
  private record Shape(int steps, int batch, int[] lengths, boolean initialState) {
    @Override
    public String toString() {
      return "T=" + steps + " N=" + batch + (lengths == null ? "" : " lengths=" + java.util.Arrays.toString(lengths))
          + (initialState ? " with initial state" : "");
    }
  }

  private static final List<Shape> SHAPES = List.of(
      new Shape(1, 1, null, false),
      new Shape(6, 1, null, true),
      new Shape(5, 3, new int[] {5, 2, 0}, true),
      new Shape(7, 4, new int[] {3, 7, 1, 6}, false));

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void matchesReference(Cell cell, Direction direction) {
    long seed = (cell.name() + direction).hashCode();
    RillModel proto = cell.add().apply(new RandomModels(seed).vectorInput(INPUT), direction)
        .dense(3, OutputActivation.NONE).build();
    try (Model model = Model.of(proto)) {
      for (Shape shape : SHAPES) {
        check(model, proto, shape, new Random(seed + shape.steps()), cell + " " + direction + " " + shape);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("stackedModels")
  void stackedModelsMatchReference(String name, RillModel proto) {
    try (Model model = Model.of(proto)) {
      for (Shape shape : SHAPES) {
        check(model, proto, shape, new Random(shape.steps()), name + " " + shape);
      }
    }
  }

  /** Float accumulation over long dot products (X + H = 192) must still meet the bound. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("largerModels")
  void largerLayersStayWithinTheBound(String name, RillModel proto) {
    try (Model model = Model.of(proto)) {
      check(model, proto, new Shape(10, 3, new int[] {10, 6, 9}, true), new Random(9), name);
    }
  }

  static Stream<Arguments> largerModels() {
    Options d = Options.DEFAULT;
    return Stream.of(
        Arguments.of("LSTM X=64 H=128 bidirectional, peepholes", new RandomModels(31).scale(0.15f).vectorInput(64)
            .lstm(128, Direction.BIDIRECTIONAL, d.withPeepholes()).dense(10, OutputActivation.SOFTMAX).build()),
        Arguments.of("GRU X=64 H=128", new RandomModels(32).scale(0.15f).vectorInput(64)
            .gru(128, Direction.FORWARD, d).build()),
        Arguments.of("GRU X=64 H=128 linear_before_reset", new RandomModels(33).scale(0.15f).vectorInput(64)
            .gru(128, Direction.REVERSE, d.withLinearBeforeReset()).build()));
  }

  static Stream<Arguments> stackedModels() {
    Options d = Options.DEFAULT;
    return Stream.of(
        Arguments.of("bidirectional LSTM, GRU, dense softmax", new RandomModels(1).vectorInput(3)
            .lstm(6, Direction.BIDIRECTIONAL, d.withPeepholes()).gru(4, Direction.FORWARD, d.withLinearBeforeReset())
            .dense(5, OutputActivation.SOFTMAX).build()),
        Arguments.of("RNN, reverse minimal GRU, dense log-softmax", new RandomModels(2).vectorInput(2)
            .rnn(7, Direction.FORWARD, d).minimalGru(3, Direction.REVERSE, d)
            .dense(4, OutputActivation.LOG_SOFTMAX).build()),
        Arguments.of("GRU, dense sigmoid, LSTM, dense tanh", new RandomModels(3).vectorInput(5)
            .gru(4, Direction.BIDIRECTIONAL, d).dense(6, OutputActivation.OUTPUT_SIGMOID)
            .lstm(3, Direction.REVERSE, d.withClip(0.6f)).dense(2, OutputActivation.OUTPUT_TANH).build()),
        Arguments.of("recurrent output only (no dense)", new RandomModels(4).vectorInput(4)
            .lstm(5, Direction.FORWARD, d).lstm(3, Direction.BIDIRECTIONAL, d.withInputForget()).build()),
        Arguments.of("token model", new RandomModels(5).tokenInput(11, 4)
            .gru(6, Direction.FORWARD, d).dense(11, OutputActivation.SOFTMAX).build()));
  }

  private static void check(Model model, RillModel proto, Shape shape, Random random, String what) {
    int steps = shape.steps();
    int batch = shape.batch();
    SequenceBatch input;
    ReferenceRnn.Result expected;
    double[][] h0 = null;
    double[][] c0 = null;
    State initial = null;
    if (shape.initialState()) {
      State.Builder builder = State.builder(model, batch);
      State zeros = builder.build();
      h0 = new double[zeros.recurrentLayerCount()][];
      c0 = new double[zeros.recurrentLayerCount()][];
      for (int r = 0; r < zeros.recurrentLayerCount(); r++) {
        float[] h = randomFloats(random, zeros.hidden(r).length, 1f);
        builder.hidden(r, h);
        h0[r] = Tolerance.toDoubles(h);
        if (zeros.cell(r) != null) {
          float[] c = randomFloats(random, zeros.cell(r).length, 2f);
          builder.cell(r, c);
          c0[r] = Tolerance.toDoubles(c);
        }
      }
      initial = builder.build();
    }
    if (model.isTokenModel()) {
      int[] tokens = random.ints(steps * batch, 0, model.inputSize()).toArray();
      input = SequenceBatch.ofTokens(tokens, steps, batch);
      expected = ReferenceRnn.runTokens(proto, tokens, steps, batch, shape.lengths(), h0, c0);
    } else {
      float[] x = randomFloats(random, steps * batch * model.inputSize(), 1.5f);
      input = SequenceBatch.ofVectors(x, steps, batch);
      expected = ReferenceRnn.run(proto, Tolerance.toDoubles(x), steps, batch, shape.lengths(), h0, c0);
    }
    if (shape.lengths() != null) {
      input = input.withLengths(shape.lengths());
    }
    if (initial != null) {
      input = input.withInitialState(initial);
    }
    SequenceResult actual = model.run(input);
    Tolerance.assertClose(expected.output(), actual.output(), what + " output");
    State state = actual.finalState();
    for (int r = 0; r < expected.layerOutputs().size(); r++) {
      Tolerance.assertClose(expected.layerOutputs().get(r), actual.layerOutput(r), what + " layer " + r + " Y");
      Tolerance.assertClose(expected.finalHidden().get(r), state.hidden(r), what + " layer " + r + " Y_h");
      if (expected.finalCell().get(r) == null) {
        assertNull(state.cell(r), what + " layer " + r + " has no cell state");
      } else {
        Tolerance.assertClose(expected.finalCell().get(r), state.cell(r), what + " layer " + r + " Y_c");
      }
    }
  }

  static float[] randomFloats(Random random, int n, float scale) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (random.nextFloat() * 2 - 1) * scale;
    }
    return out;
  }
}
