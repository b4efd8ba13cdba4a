package dev.rill.runtime.testing;

import dev.rill.format.ModelFormatException;
import dev.rill.format.ModelValidator;
import dev.rill.format.Tensors;
import dev.rill.format.proto.Activation;
import dev.rill.format.proto.ActivationKind;
import dev.rill.format.proto.Activations;
import dev.rill.format.proto.DenseLayer;
import dev.rill.format.proto.Direction;
import dev.rill.format.proto.EmbeddingLayer;
import dev.rill.format.proto.FormatVersion;
import dev.rill.format.proto.GruLayer;
import dev.rill.format.proto.InputKind;
import dev.rill.format.proto.InputLayer;
import dev.rill.format.proto.IoSpec;
import dev.rill.format.proto.Layer;
import dev.rill.format.proto.LstmLayer;
import dev.rill.format.proto.MinimalGruLayer;
import dev.rill.format.proto.OutputActivation;
import dev.rill.format.proto.Recurrent;
import dev.rill.format.proto.RillModel;
import dev.rill.format.proto.RnnLayer;
import dev.rill.format.proto.Tensor;
import dev.rill.format.proto.Vocabulary;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Builds small, valid {@link RillModel}s with seeded random weights, layer by layer, for tests:
 * {@code new RandomModels(42).vectorInput(3).lstm(5, Direction.FORWARD).dense(2, NONE).build()}.
 * Weights are uniform in [-scale, scale] (default 0.5). Layers are named {@code <kind><index>} ({@code lstm0},
 * {@code gru1}, {@code dense2}, ...), their tensors {@code <layer>.w/.r/.b/.p} and {@code <layer>.weight/.bias}
 * (other modules' tests rely on these names).
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
  private final RillModel.Builder model = RillModel.newBuilder()
      .setVersion(FormatVersion.newBuilder().setMajor(1).setMinor(0));
  private float scale = 0.5f;
  private int width = -1;
  private int layerCount;
  private boolean tokens;
  private int inputSize;

  public RandomModels(long seed) {
    this.random = new Random(seed);
  }

  /** A shorthand for an activation with alpha and beta. */
  public static Activation activation(ActivationKind kind, float alpha, float beta) {
    return Activation.newBuilder().setKind(kind).setAlpha(alpha).setBeta(beta).build();
  }

  /** Weights are drawn uniformly from [-scale, scale] from now on. */
  public RandomModels scale(float scale) {
    this.scale = scale;
    return this;
  }

  public RandomModels vectorInput(int size) {
    model.addLayers(Layer.newBuilder().setName("input").setInput(InputLayer.newBuilder().setSize(size)));
    width = size;
    inputSize = size;
    return this;
  }

  /** A token input: an embedding of {@code vocab} ids to {@code dim} floats, with token strings "t0", "t1", ... */
  public RandomModels tokenInput(int vocab, int dim) {
    String weight = tensor("embedding.weight", vocab, dim);
    model.addLayers(Layer.newBuilder().setName("embedding").setEmbedding(
        EmbeddingLayer.newBuilder().setVocabSize(vocab).setDim(dim).setWeight(weight)));
    Vocabulary.Builder vocabulary = Vocabulary.newBuilder();
    for (int i = 0; i < vocab; i++) {
      vocabulary.addTokens("t" + i);
    }
    model.setVocabulary(vocabulary);
    width = dim;
    tokens = true;
    inputSize = vocab;
    return this;
  }

  public RandomModels lstm(int hidden, Direction direction) {
    return lstm(hidden, direction, Options.DEFAULT);
  }

  public RandomModels lstm(int hidden, Direction direction, Options options) {
    String name = nextName("lstm");
    LstmLayer.Builder lstm = LstmLayer.newBuilder()
        .setRecurrent(recurrent(name, 4, hidden, direction, options))
        .setInputForget(options.inputForget());
    if (options.peepholes()) {
      lstm.setP(tensor(name + ".p", directions(direction), 3 * hidden));
    }
    return add(Layer.newBuilder().setName(name).setLstm(lstm), directions(direction) * hidden);
  }

  public RandomModels gru(int hidden, Direction direction, Options options) {
    String name = nextName("gru");
    return add(Layer.newBuilder().setName(name).setGru(GruLayer.newBuilder()
        .setRecurrent(recurrent(name, 3, hidden, direction, options))
        .setLinearBeforeReset(options.linearBeforeReset())), directions(direction) * hidden);
  }

  public RandomModels minimalGru(int hidden, Direction direction, Options options) {
    String name = nextName("mgru");
    return add(Layer.newBuilder().setName(name).setMinimalGru(MinimalGruLayer.newBuilder()
        .setRecurrent(recurrent(name, 2, hidden, direction, options))), directions(direction) * hidden);
  }

  public RandomModels rnn(int hidden, Direction direction, Options options) {
    String name = nextName("rnn");
    return add(Layer.newBuilder().setName(name).setRnn(RnnLayer.newBuilder()
        .setRecurrent(recurrent(name, 1, hidden, direction, options))), directions(direction) * hidden);
  }

  public RandomModels dense(int outputSize, OutputActivation activation) {
    String name = nextName("dense");
    DenseLayer.Builder dense = DenseLayer.newBuilder().setInputSize(width).setOutputSize(outputSize)
        .setWeight(tensor(name + ".weight", outputSize, width))
        .setBias(tensor(name + ".bias", outputSize))
        .setActivation(activation);
    return add(Layer.newBuilder().setName(name).setDense(dense), outputSize);
  }

  /** Adds free-form producer metadata. */
  public RandomModels metadata(String key, String value) {
    model.putMetadata(key, value);
    return this;
  }

  /** The model, checked by the format's validator. */
  public RillModel build() {
    model.setIo(IoSpec.newBuilder().setInputName(tokens ? "tokens" : "input").setOutputName("output")
        .setInputKind(tokens ? InputKind.TOKEN : InputKind.VECTOR).setInputSize(inputSize)
        .setOutputSize(width));
    RillModel built = model.build();
    try {
      ModelValidator.validate(built);
    } catch (ModelFormatException e) {
      throw new IllegalStateException("RandomModels built an invalid model: " + e.getMessage(), e);
    }
    return built;
  }

  private Recurrent recurrent(String name, int gates, int hidden, Direction direction, Options options) {
    int d = directions(direction);
    Recurrent.Builder r = Recurrent.newBuilder().setDirection(direction).setInputSize(width).setHiddenSize(hidden)
        .setW(tensor(name + ".w", d, (long) gates * hidden, width))
        .setR(tensor(name + ".r", d, (long) gates * hidden, hidden));
    if (options.bias()) {
      r.setB(tensor(name + ".b", d, 2L * gates * hidden));
    }
    if (options.clip() != null) {
      r.setClip(options.clip());
    }
    if (!options.activations().isEmpty()) {
      Activations.Builder a = Activations.newBuilder().addAllFunctions(options.activations());
      int perDirection = switch (gates) {
        case 4 -> 3;
        case 1 -> 1;
        default -> 2;
      };
      if (d == 2 && options.activations().size() == perDirection) {
        a.addAllFunctions(options.activations());
      }
      r.setActivations(a);
    }
    return r.build();
  }

  private String tensor(String name, long... shape) {
    long count = 1;
    for (long dim : shape) {
      count *= dim;
    }
    float[] data = new float[Math.toIntExact(count)];
    for (int i = 0; i < data.length; i++) {
      data[i] = (random.nextFloat() * 2f - 1f) * scale;
    }
    model.addTensors(Tensors.fp32(name, data, shape));
    return name;
  }

  private RandomModels add(Layer.Builder layer, int outputWidth) {
    model.addLayers(layer);
    width = outputWidth;
    return this;
  }

  private String nextName(String kind) {
    return kind + (layerCount++);
  }

  private static int directions(Direction direction) {
    return direction == Direction.BIDIRECTIONAL ? 2 : 1;
  }

  /** Names of the weight-matrix tensors (recurrent w and r, dense weights; not embeddings) of a model. */
  public static List<String> matrixTensorNames(RillModel model) {
    List<String> names = new ArrayList<>();
    for (Tensor t : model.getTensorsList()) {
      String n = t.getName();
      if (n.endsWith(".w") || n.endsWith(".r") || (n.endsWith(".weight") && !n.startsWith("embedding"))) {
        names.add(n);
      }
    }
    return names;
  }
}
