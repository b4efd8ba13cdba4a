package dev.rill.runtime.testing;

import dev.rill.format.GateLayout;
import dev.rill.format.ModelBuilder;
import dev.rill.format.proto.Activation;
import dev.rill.format.proto.ActivationKind;
import dev.rill.format.proto.Direction;
import dev.rill.format.proto.OutputActivation;
import dev.rill.format.proto.RillModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Builds small, valid {@link RillModel}s with seeded random weights for tests, through the format's
 * {@link ModelBuilder}: {@code new RandomModels(42).vectorInput(3).lstm(5, Direction.FORWARD).dense(2, NONE).build()}.
 * Weights are uniform in [-scale, scale] (default 0.5). Layers are named {@code <kind><index>}
 * ({@code lstm0}, {@code gru1}, {@code dense2}, ...); tensors follow ModelBuilder's names.
 */
public final class RandomModels {

  /** The options of one recurrent layer; {@code null} or false means the ONNX default. */
  public record Options(boolean peepholes, boolean inputForget, boolean linearBeforeReset, Float clip,
      List<Activation> activations, boolean bias) {

    /** No peepholes, no clip, default activations, with biases. */
    public static final Options DEFAULT = new Options(false, false, false, null, List.of(), true);

    public Options withPeepholes() {
      return new Options(true, inputForget, linearBeforeReset, clip, activations, bias);
    }

    public Options withInputForget() {
      return new Options(peepholes, true, linearBeforeReset, clip, activations, bias);
    }

    public Options withLinearBeforeReset() {
      return new Options(peepholes, inputForget, true, clip, activations, bias);
    }

    public Options withClip(float value) {
      return new Options(peepholes, inputForget, linearBeforeReset, value, activations, bias);
    }

    /** Per-direction functions (f, g[, h]); repeated for the reverse direction unless 2× as many are given. */
    public Options withActivations(List<Activation> functions) {
      return new Options(peepholes, inputForget, linearBeforeReset, clip, List.copyOf(functions), bias);
    }

    public Options withoutBias() {
      return new Options(peepholes, inputForget, linearBeforeReset, clip, activations, false);
    }
  }

  private final Random random;
  private final ModelBuilder builder = ModelBuilder.create();
  private float scale = 0.5f;
  private int width;
  private int layerCount;

  public RandomModels(long seed) {
    this.random = new Random(seed);
  }

  /** A shorthand for an activation with alpha and beta. */
  public static Activation activation(ActivationKind kind, float alpha, float beta) {
    return ModelBuilder.activation(kind, alpha, beta);
  }

  /** Weights are drawn uniformly from [-scale, scale] from now on. */
  public RandomModels scale(float scale) {
    this.scale = scale;
    return this;
  }

  public RandomModels vectorInput(int size) {
    builder.input(size);
    width = size;
    return this;
  }

  /** A token input: an embedding of {@code vocab} ids to {@code dim} floats, with token strings "t0", "t1", ... */
  public RandomModels tokenInput(int vocab, int dim) {
    builder.embedding(vocab, dim, floats(vocab * dim));
    List<String> tokens = new ArrayList<>();
    for (int i = 0; i < vocab; i++) {
      tokens.add("t" + i);
    }
    builder.vocabulary(tokens);
    width = dim;
    return this;
  }

  public RandomModels lstm(int hidden, Direction direction) {
    return lstm(hidden, direction, Options.DEFAULT);
  }

  public RandomModels lstm(int hidden, Direction direction, Options options) {
    int d = GateLayout.directions(direction);
    builder.lstm(name("lstm"), direction, hidden, floats(d * 4 * hidden * width), floats(d * 4 * hidden * hidden),
        options.bias() ? floats(d * 8 * hidden) : null);
    if (options.peepholes()) {
      builder.peepholes(floats(d * 3 * hidden));
    }
    if (options.inputForget()) {
      builder.inputForget(true);
    }
    return common(options, direction, 3, d * hidden);
  }

  public RandomModels gru(int hidden, Direction direction, Options options) {
    int d = GateLayout.directions(direction);
    builder.gru(name("gru"), direction, hidden, floats(d * 3 * hidden * width), floats(d * 3 * hidden * hidden),
        options.bias() ? floats(d * 6 * hidden) : null, options.linearBeforeReset());
    return common(options, direction, 2, d * hidden);
  }

  public RandomModels minimalGru(int hidden, Direction direction, Options options) {
    int d = GateLayout.directions(direction);
    builder.minimalGru(name("mgru"), direction, hidden, floats(d * 2 * hidden * width),
        floats(d * 2 * hidden * hidden), options.bias() ? floats(d * 4 * hidden) : null);
    return common(options, direction, 2, d * hidden);
  }

  public RandomModels rnn(int hidden, Direction direction, Options options) {
    int d = GateLayout.directions(direction);
    builder.rnn(name("rnn"), direction, hidden, floats(d * hidden * width), floats(d * hidden * hidden),
        options.bias() ? floats(d * 2 * hidden) : null);
    return common(options, direction, 1, d * hidden);
  }

  public RandomModels dense(int outputSize, OutputActivation activation) {
    builder.dense(name("dense"), outputSize, floats(outputSize * width), floats(outputSize), activation);
    width = outputSize;
    return this;
  }

  /** Adds free-form producer metadata. */
  public RandomModels metadata(String key, String value) {
    builder.metadata(key, value);
    return this;
  }

  /** The model, validated by the builder. */
  public RillModel build() {
    return builder.build();
  }

  /** Names of the weight-matrix tensors (recurrent W and R, dense weights; not embeddings) of a model. */
  public static List<String> matrixTensorNames(RillModel model) {
    List<String> names = new ArrayList<>();
    for (var t : model.getTensorsList()) {
      String n = t.getName();
      if (n.endsWith(".W") || n.endsWith(".R") || (n.endsWith(".weight") && n.startsWith("dense"))) {
        names.add(n);
      }
    }
    return names;
  }

  private RandomModels common(Options options, Direction direction, int functionsPerDirection, int outputWidth) {
    if (options.clip() != null) {
      builder.clip(options.clip());
    }
    if (!options.activations().isEmpty()) {
      List<Activation> all = new ArrayList<>(options.activations());
      if (GateLayout.directions(direction) == 2 && all.size() == functionsPerDirection) {
        all.addAll(options.activations());
      }
      builder.activations(all.toArray(Activation[]::new));
    }
    width = outputWidth;
    return this;
  }

  private String name(String kind) {
    return kind + (layerCount++);
  }

  private float[] floats(int n) {
    float[] data = new float[n];
    for (int i = 0; i < n; i++) {
      data[i] = (random.nextFloat() * 2f - 1f) * scale;
    }
    return data;
  }
}
