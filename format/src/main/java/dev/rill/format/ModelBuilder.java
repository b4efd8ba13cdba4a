package dev.rill.format;

import dev.rill.format.proto.Activation;
import dev.rill.format.proto.ActivationKind;
import dev.rill.format.proto.Activations;
import dev.rill.format.proto.DataType;
import dev.rill.format.proto.DenseLayer;
import dev.rill.format.proto.Direction;
import dev.rill.format.proto.EmbeddingLayer;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Assembles a valid {@link RillModel} from float arrays in the canonical layout, filling in tensor names and
 * checksums, the {@link IoSpec} and the format version. Each layer's input size is the previous layer's output
 * size. Tensors are named after their layer: {@code <layer>.W}, {@code .R}, {@code .B}, {@code .P} for recurrent
 * layers, {@code <layer>.weight} and {@code <layer>.bias} for dense and embedding layers.
 *
 * <pre>{@code
 * RillModel model = ModelBuilder.create()
 *     .input(8)
 *     .lstm("lstm0", Direction.FORWARD, 16, w, r, b)   // w [1, 64, 8], r [1, 64, 16], b [1, 128] or null
 *     .clip(3f)                                         // modifies the last recurrent layer
 *     .dense("out", 4, weight, bias, OutputActivation.SOFTMAX)
 *     .metadata("source", "example")
 *     .build();
 * }</pre>
 *
 * <p>Modifiers ({@link #peepholes}, {@link #inputForget}, {@link #clip}, {@link #activations}) apply to the
 * most recently added recurrent layer. Not thread-safe; use one builder per model.
 */
public final class ModelBuilder {
  private final List<Layer.Builder> layers = new ArrayList<>();
  private final Map<String, Tensor> tensors = new LinkedHashMap<>();
  private final Map<String, String> metadata = new LinkedHashMap<>();
  private final IoSpec.Builder io = IoSpec.newBuilder().setInputName("input").setOutputName("output");
  private List<String> vocabulary;
  private DataType weightType = DataType.FLOAT32;
  private long width;

  private ModelBuilder() {}

  /**
   * Starts an empty model.
   *
   * @return a new builder
   */
  public static ModelBuilder create() {
    return new ModelBuilder();
  }

  /**
   * Returns an activation with the ONNX default alpha and beta of its kind (HardSigmoid 0.2/0.5, LeakyRelu 0.01,
   * ThresholdedRelu 1, ScaledTanh 1/1, Affine 1/0, Elu 1; others 0).
   *
   * @param kind the function
   * @return the activation message
   */
  public static Activation activation(ActivationKind kind) {
    return switch (kind) {
      case HARD_SIGMOID -> activation(kind, 0.2f, 0.5f);
      case LEAKY_RELU -> activation(kind, 0.01f, 0f);
      case THRESHOLDED_RELU, ELU -> activation(kind, 1f, 0f);
      case SCALED_TANH -> activation(kind, 1f, 1f);
      case AFFINE -> activation(kind, 1f, 0f);
      default -> activation(kind, 0f, 0f);
    };
  }

  /**
   * Returns an activation with explicit parameters.
   *
   * @param kind the function
   * @param alpha its alpha
   * @param beta its beta
   * @return the activation message
   */
  public static Activation activation(ActivationKind kind, float alpha, float beta) {
    return Activation.newBuilder().setKind(kind).setAlpha(alpha).setBeta(beta).build();
  }

  /**
   * Sets the data type of the weight matrices added after this call (W, R, dense and embedding weights).
   * Biases and peepholes stay FLOAT32. The default is FLOAT32.
   *
   * @param dtype FLOAT32, BFLOAT16 or INT8
   * @return this builder
   */
  public ModelBuilder weightType(DataType dtype) {
    Tensors.elementBytes(dtype); // rejects UNSPECIFIED and UNRECOGNIZED
    this.weightType = dtype;
    return this;
  }

  /**
   * Adds the input layer {@code "input"}: a dense float vector per step.
   *
   * @param size floats per step
   * @return this builder
   */
  public ModelBuilder input(int size) {
    requireFirst("input");
    add(Layer.newBuilder().setName("input").setInput(InputLayer.newBuilder().setSize(size)));
    io.setInputKind(InputKind.VECTOR).setInputSize(size);
    width = size;
    return this;
  }

  /**
   * Adds the embedding layer {@code "embedding"}: one token id per step, mapped to a row of {@code weight}.
   *
   * @param vocabSize the number of token ids
   * @param dim the embedding width
   * @param weight [vocabSize, dim], row t is token t
   * @return this builder
   */
  public ModelBuilder embedding(int vocabSize, int dim, float[] weight) {
    requireFirst("embedding");
    String name = "embedding";
    addTensor(weightType, name + ".weight", weight, vocabSize, dim);
    add(Layer.newBuilder().setName(name).setEmbedding(
        EmbeddingLayer.newBuilder().setVocabSize(vocabSize).setDim(dim).setWeight(name + ".weight")));
    io.setInputKind(InputKind.TOKEN).setInputSize(vocabSize);
    width = dim;
    return this;
  }

  /**
   * Sets the vocabulary of a token model; {@code tokens.get(id)} is the string of token {@code id}.
   *
   * @param tokens one string per token id
   * @return this builder
   */
  public ModelBuilder vocabulary(List<String> tokens) {
    this.vocabulary = List.copyOf(tokens);
    return this;
  }

  /**
   * Adds an LSTM layer (gates i, o, f, c).
   *
   * @param name the layer name
   * @param direction FORWARD, REVERSE or BIDIRECTIONAL
   * @param hidden H
   * @param w input weights [D, 4H, X]
   * @param r recurrent weights [D, 4H, H]
   * @param b biases [D, 8H] (Wb then Rb), or null for zeros
   * @return this builder
   */
  public ModelBuilder lstm(String name, Direction direction, int hidden, float[] w, float[] r, float[] b) {
    Recurrent rec = recurrent(name, direction, 4, hidden, w, r, b);
    return addRecurrent(Layer.newBuilder().setName(name).setLstm(LstmLayer.newBuilder().setRecurrent(rec)), rec);
  }

  /**
   * Adds a GRU layer (gates z, r, h).
   *
   * @param name the layer name
   * @param direction FORWARD, REVERSE or BIDIRECTIONAL
   * @param hidden H
   * @param w input weights [D, 3H, X]
   * @param r recurrent weights [D, 3H, H]
   * @param b biases [D, 6H] (Wb then Rb), or null for zeros
   * @param linearBeforeReset true for the PyTorch/Keras form, false for the ONNX default
   * @return this builder
   */
  public ModelBuilder gru(String name, Direction direction, int hidden, float[] w, float[] r, float[] b,
      boolean linearBeforeReset) {
    Recurrent rec = recurrent(name, direction, 3, hidden, w, r, b);
    return addRecurrent(Layer.newBuilder().setName(name).setGru(
        GruLayer.newBuilder().setRecurrent(rec).setLinearBeforeReset(linearBeforeReset)), rec);
  }

  /**
   * Adds a minimal GRU layer (gates u, c).
   *
   * @param name the layer name
   * @param direction FORWARD, REVERSE or BIDIRECTIONAL
   * @param hidden H
   * @param w input weights [D, 2H, X]
   * @param r recurrent weights [D, 2H, H]
   * @param b biases [D, 4H] (Wb then Rb), or null for zeros
   * @return this builder
   */
  public ModelBuilder minimalGru(String name, Direction direction, int hidden, float[] w, float[] r, float[] b) {
    Recurrent rec = recurrent(name, direction, 2, hidden, w, r, b);
    return addRecurrent(
        Layer.newBuilder().setName(name).setMinimalGru(MinimalGruLayer.newBuilder().setRecurrent(rec)), rec);
  }

  /**
   * Adds a simple RNN layer (tanh unless {@link #activations} says otherwise, e.g. relu).
   *
   * @param name the layer name
   * @param direction FORWARD, REVERSE or BIDIRECTIONAL
   * @param hidden H
   * @param w input weights [D, H, X]
   * @param r recurrent weights [D, H, H]
   * @param b biases [D, 2H] (Wb then Rb), or null for zeros
   * @return this builder
   */
  public ModelBuilder rnn(String name, Direction direction, int hidden, float[] w, float[] r, float[] b) {
    Recurrent rec = recurrent(name, direction, 1, hidden, w, r, b);
    return addRecurrent(Layer.newBuilder().setName(name).setRnn(RnnLayer.newBuilder().setRecurrent(rec)), rec);
  }

  /**
   * Gives the last LSTM layer peepholes.
   *
   * @param p [D, 3H] in the order i, o, f
   * @return this builder
   */
  public ModelBuilder peepholes(float[] p) {
    Layer.Builder layer = lastRecurrent("peepholes");
    if (!layer.hasLstm()) {
      throw new IllegalStateException("peepholes: layer '" + layer.getName() + "' is not an LSTM layer");
    }
    Recurrent rec = layer.getLstm().getRecurrent();
    String name = layer.getName() + ".P";
    addTensor(DataType.FLOAT32, name, p, GateLayout.directions(rec.getDirection()), 3L * rec.getHiddenSize());
    layer.getLstmBuilder().setP(name);
    return this;
  }

  /**
   * Couples the last LSTM layer's input and forget gates (f = 1 - i).
   *
   * @param inputForget whether to couple them
   * @return this builder
   */
  public ModelBuilder inputForget(boolean inputForget) {
    Layer.Builder layer = lastRecurrent("inputForget");
    if (!layer.hasLstm()) {
      throw new IllegalStateException("inputForget: layer '" + layer.getName() + "' is not an LSTM layer");
    }
    layer.getLstmBuilder().setInputForget(inputForget);
    return this;
  }

  /**
   * Bounds the last recurrent layer's gate pre-activations to [-clip, clip].
   *
   * @param clip a finite positive bound
   * @return this builder
   */
  public ModelBuilder clip(float clip) {
    recurrentBuilder(lastRecurrent("clip")).setClip(clip);
    return this;
  }

  /**
   * Overrides the last recurrent layer's activation functions: f, g[, h] for each direction, forward first.
   *
   * @param functions {@link GateLayout#activationsPerDirection} functions per direction
   * @return this builder
   */
  public ModelBuilder activations(Activation... functions) {
    recurrentBuilder(lastRecurrent("activations")).setActivations(
        Activations.newBuilder().addAllFunctions(List.of(functions)));
    return this;
  }

  /**
   * Adds a dense layer {@code y = weight·x + bias} followed by an output activation.
   *
   * @param name the layer name
   * @param outputSize the number of outputs
   * @param weight [outputSize, input]
   * @param bias [outputSize], or null for zeros
   * @param activation the output activation
   * @return this builder
   */
  public ModelBuilder dense(String name, int outputSize, float[] weight, float[] bias, OutputActivation activation) {
    requireStarted(name);
    DenseLayer.Builder dense = DenseLayer.newBuilder().setInputSize((int) width).setOutputSize(outputSize)
        .setWeight(name + ".weight").setActivation(activation);
    addTensor(weightType, name + ".weight", weight, outputSize, width);
    if (bias != null) {
      addTensor(DataType.FLOAT32, name + ".bias", bias, outputSize);
      dense.setBias(name + ".bias");
    }
    add(Layer.newBuilder().setName(name).setDense(dense));
    width = outputSize;
    return this;
  }

  /**
   * Adds a producer metadata entry.
   *
   * @param key the key, such as {@code "source"}
   * @param value the value
   * @return this builder
   */
  public ModelBuilder metadata(String key, String value) {
    metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
    return this;
  }

  /**
   * Names the model's input and output and describes them (defaults: "input", "output", no description).
   *
   * @param inputName the input's name
   * @param outputName the output's name
   * @param description free text, such as what a step consumes and produces
   * @return this builder
   */
  public ModelBuilder io(String inputName, String outputName, String description) {
    io.setInputName(inputName).setOutputName(outputName).setDescription(description);
    return this;
  }

  /**
   * Builds and validates the model with {@link ReaderLimits#DEFAULT}.
   *
   * @return the model
   * @throws IllegalArgumentException if the model is not valid; the cause is the {@link ModelFormatException}
   */
  public RillModel build() {
    RillModel.Builder model = RillModel.newBuilder().setVersion(ModelFormat.current()).putAllMetadata(metadata)
        .addAllTensors(tensors.values());
    for (Layer.Builder layer : layers) {
      model.addLayers(layer.build());
    }
    if (vocabulary != null) {
      model.setVocabulary(Vocabulary.newBuilder().addAllTokens(vocabulary));
    }
    model.setIo(io.clone().setOutputSize((int) width));
    RillModel built = model.build();
    try {
      ModelValidator.validate(built);
    } catch (ModelFormatException e) {
      throw new IllegalArgumentException("invalid model: " + e.getMessage(), e);
    }
    return built;
  }

  private Recurrent recurrent(String name, Direction direction, int gates, int hidden, float[] w, float[] r,
      float[] b) {
    requireStarted(name);
    long d = GateLayout.directions(direction);
    long gh = (long) gates * hidden;
    Recurrent.Builder rec = Recurrent.newBuilder().setDirection(direction).setInputSize((int) width)
        .setHiddenSize(hidden).setW(name + ".W").setR(name + ".R");
    addTensor(weightType, name + ".W", w, d, gh, width);
    addTensor(weightType, name + ".R", r, d, gh, hidden);
    if (b != null) {
      addTensor(DataType.FLOAT32, name + ".B", b, d, 2 * gh);
      rec.setB(name + ".B");
    }
    return rec.build();
  }

  private ModelBuilder addRecurrent(Layer.Builder layer, Recurrent rec) {
    add(layer);
    width = GateLayout.directions(rec.getDirection()) * (long) rec.getHiddenSize();
    return this;
  }

  private void add(Layer.Builder layer) {
    for (Layer.Builder existing : layers) {
      if (existing.getName().equals(layer.getName())) {
        throw new IllegalArgumentException("layer '" + layer.getName() + "' is already defined");
      }
    }
    layers.add(layer);
  }

  private void addTensor(DataType dtype, String name, float[] data, long... shape) {
    if (tensors.containsKey(name)) {
      throw new IllegalArgumentException("tensor '" + name + "' is already defined");
    }
    tensors.put(name, Tensors.encode(dtype, name, data, shape));
  }

  private void requireFirst(String what) {
    if (!layers.isEmpty()) {
      throw new IllegalStateException(what + ": the input or embedding layer must be added first, and only once");
    }
  }

  private void requireStarted(String name) {
    if (layers.isEmpty()) {
      throw new IllegalStateException("layer '" + name + "': add the input or embedding layer first");
    }
  }

  private Layer.Builder lastRecurrent(String what) {
    Layer.Builder last = layers.isEmpty() ? null : layers.get(layers.size() - 1);
    if (last == null || !switch (last.getKindCase()) {
      case LSTM, GRU, MINIMAL_GRU, RNN -> true;
      default -> false;
    }) {
      throw new IllegalStateException(what + ": the last layer added is not a recurrent layer");
    }
    return last;
  }

  private static Recurrent.Builder recurrentBuilder(Layer.Builder layer) {
    return switch (layer.getKindCase()) {
      case LSTM -> layer.getLstmBuilder().getRecurrentBuilder();
      case GRU -> layer.getGruBuilder().getRecurrentBuilder();
      case MINIMAL_GRU -> layer.getMinimalGruBuilder().getRecurrentBuilder();
      default -> layer.getRnnBuilder().getRecurrentBuilder();
    };
  }
}
